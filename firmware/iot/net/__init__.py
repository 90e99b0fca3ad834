"""Networking, imported only when config.json sets "mqtt": Wi-Fi, MQTT, Home Assistant discovery."""


class Network:
    """What start() set going: the Wi-Fi station (or None) and the MQTT bridge; deinit() ends them."""

    def __init__(self, wifi, bridge):
        self.wifi = wifi
        self.bridge = bridge

    def serve(self, commands):
        """Take commands from the network (and announce to Home Assistant) from now on."""
        commands.network = self
        self.bridge.serve(commands)

    def status(self):
        s = self.bridge.diagnostics()
        s["mqtt"] = "up" if self.bridge.client.up.is_set() else "down"
        return s

    def deinit(self):
        self.bridge.deinit()
        if self.wifi is not None:
            self.wifi.deinit()


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


def start(settings, service, events, led=None):
    """Join Wi-Fi (if configured) and the broker in the background; the devices and shell work meanwhile.
    Events and device states go out as soon as the broker is there; commands once serve() is called."""
    from iot.devices import SONGBOOK
    from iot.net.bridge import Bridge
    from iot.net.mqtt import MQTTClient

    wifi = None
    if settings["wifi"] is not None:
        from iot.net.wifi import WiFi

        wifi = WiFi(settings["wifi"]["ssid"], settings["wifi"]["password"], led, events).start()
    m = settings["mqtt"]
    node = m["node"] or node_name()
    base = "%s/%s" % (m["prefix"], node)
    client = MQTTClient(m["host"], m["port"], node, m["user"], m["password"], tls_context() if m["tls"] else None,
                        m["keepalive"], will=(base + "/status", "offline", True), log=events,
                        link=None if wifi is None else wifi.up)
    if wifi is not None:
        wifi.on_down = client.drop
    bridge = Bridge(client, base, node, service, settings["board"], SONGBOOK, wifi, m["discovery"])
    events.sinks.append(bridge.event)
    return Network(wifi, bridge.start())
