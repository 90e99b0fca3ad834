"""Networking, imported only when config.json sets "mqtt" or "web": Wi-Fi, MQTT, Home Assistant discovery,
the web page (started by boot.py, which the boot lets go after); and `update fetch` (fetch.py), loaded only to
pull an update."""


class Network:
    """What start() set going: the Wi-Fi station, the MQTT bridge, the web server and the syslog sink (each or
    None)."""

    def __init__(self, wifi, bridge, web, syslog=None):
        self.wifi = wifi
        self.bridge = bridge
        self.web = web
        self.syslog = syslog

    def status(self, secrets=False):
        """The network's part of `status`; `secrets` (asked on the serial console): the web page's password too."""
        if self.bridge is not None:
            from iot.net.ha import diagnostics

            s = diagnostics(self.bridge)
            s["mqtt"] = "up" if self.bridge.client.up.is_set() else "down"
            s["mqtt_dropped"] = self.bridge.client.dropped  # event lines dropped for room (iot.net.mqtt)
        else:
            s = link_status(self.wifi)
        if self.web is not None:
            s["web"] = self.web.status(secrets)
        if self.syslog is not None:
            s["syslog"] = self.syslog.status()
        return s

    def up(self):
        """On its network as configured: Wi-Fi joined, the broker connected, the page serving (a config on trial
        is confirmed by it: slots.py)."""
        return (self.wifi is None or self.wifi.up.is_set()) and \
            (self.bridge is None or self.bridge.client.up.is_set()) and \
            (self.web is None or self.web.serving())

    def deinit(self):
        for part in (self.syslog, self.web, self.bridge, self.wifi):
            if part is not None:
                part.deinit()


def link_status(wifi):
    """The link's part of `status` and of the diagnostics: the Wi-Fi station's, or "wired" on a host."""
    return wifi.status() if wifi is not None else {"link": "wired"}


def node_name(settings):
    """The board's name on the network (MQTT, syslog, Improv): config.json's mqtt.node, else its own (board_id)."""
    m = settings["mqtt"]
    return m["node"] if m is not None and m["node"] else board_id()


def board_id():
    """The board's own name on the network, the default node: iot_ and the end of its unique id. Discovery's ids
    are made of it too, so that a node renamed in config.json keeps its device and entities."""
    import machine

    uid = machine.unique_id()
    return "iot_" + "".join(["%02x" % b for b in uid[-3:]])
