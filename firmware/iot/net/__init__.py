"""Networking, imported only when config.json sets "mqtt" or "web": Wi-Fi, MQTT, Home Assistant discovery,
the web page; and `update fetch` (fetch.py), loaded only to pull an update."""


class Network:
    """What start() set going: the Wi-Fi station, the MQTT bridge and the web server (each or None)."""

    def __init__(self, wifi, bridge, web):
        self.wifi = wifi
        self.bridge = bridge
        self.web = web

    def serve(self, commands):
        """Take commands from the network (and announce to Home Assistant) from now on."""
        commands.network = self
        for part in (self.bridge, self.web):
            if part is not None:
                part.serve(commands)

    def status(self):
        if self.bridge is not None:
            s = self.bridge.diagnostics()
            s["mqtt"] = "up" if self.bridge.client.up.is_set() else "down"
        else:
            s = link_status(self.wifi)
        if self.web is not None:
            s["web"] = {"port": self.web.port, "pages": len(self.web.clients)}
        return s

    def deinit(self):
        for part in (self.web, self.bridge, self.wifi):
            if part is not None:
                part.deinit()


def link_status(wifi):
    """The link's part of `status` and of the diagnostics: the Wi-Fi station's, or "wired" on a host."""
    return wifi.status() if wifi is not None else {"link": "wired"}


def node_name():
    """The board's own name on the network: iot_ and the end of its unique id."""
    import machine

    uid = machine.unique_id()
    return "iot_" + "".join(["%02x" % b for b in uid[-3:]])


def tls_context():
    """TLS that encrypts; the broker's certificate is not checked (a board has no store of CAs)."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if hasattr(context, "check_hostname"):
        context.check_hostname = False  # CPython only: MicroPython checks no host name
    context.verify_mode = ssl.CERT_NONE  # type: ignore[attr-defined, unused-ignore]  # the esp32 stubs lack it
    return context


def start(settings, service, events, led=None, safe=False):
    """Join Wi-Fi, the broker and serve the page, as configured, in the background; the devices and the
    shell work meanwhile. Events and device states go out at once; commands are taken once serve() is called.
    None, said in an event, on a board with no network (a Pico; a Pico W, Pico 2 W or ESP32 has one).
    `safe` (safe mode): Wi-Fi and the web server's update and status only, whatever else is configured."""
    try:
        import socket  # noqa: F401  (only to know that there is a network to use)
    except ImportError:
        events("event: this board has no network (a Pico W, Pico 2 W or ESP32 has): mqtt, web and wifi left off")
        return None
    from iot.devices.speaker import SONGBOOK

    wifi = bridge = web = None
    if settings["wifi"] is not None:
        from iot.net.wifi import WiFi

        wifi = WiFi(settings["wifi"]["ssid"], settings["wifi"]["password"], led, events).start()
    m = None if safe else settings["mqtt"]
    if m is not None:
        from iot.net.bridge import Bridge
        from iot.net.mqtt import MQTTClient

        node = m["node"] or node_name()
        base = "%s/%s" % (m["prefix"], node)
        client = MQTTClient(m["host"], m["port"], node, m["user"], m["password"],
                            tls_context() if m["tls"] else None, m["keepalive"], will=(base + "/status", "offline", True),
                            log=events, link=None if wifi is None else wifi.up)
        if wifi is not None:
            wifi.on_down = client.drop
        bridge = Bridge(client, base, node, service, settings["board"], SONGBOOK, wifi, m["discovery"]).start()
        events.sinks.append(bridge.event)
    w = settings["web"]
    if w is not None:
        from iot import __version__
        from iot.net.web import Web

        web = Web(service, {"board": settings["board"], "version": __version__, "songs": sorted(SONGBOOK)},
                  w["port"], w["user"], w["password"], safe).start(events)
        events.sinks.append(web.event)
    return Network(wifi, bridge, web)
