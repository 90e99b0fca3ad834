"""The network's start, as config.json asks: Wi-Fi, the MQTT client and bridge, the web page. app.run loads
this for the boot and lets it go: what runs after is iot.net.Network's."""
from iot.net import Network, node_name


def tls_context():
    """TLS that encrypts; the broker's certificate is not checked (a board has no store of CAs)."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if hasattr(context, "check_hostname"):
        context.check_hostname = False  # CPython only: MicroPython checks no host name
    context.verify_mode = ssl.CERT_NONE  # type: ignore[attr-defined, unused-ignore]  # the esp32 stubs lack it
    return context


def start(settings, service, events, commands, led=None, safe=False):
    """Join Wi-Fi, the broker and serve the page, as configured, in the background; the devices and the
    shell work meanwhile. Events and device states go out at once; `commands` are taken once they serve.
    None, said in an event, on a board with no network (a Pico; a Pico W, Pico 2 W or ESP32 has one).
    `safe` (safe mode): Wi-Fi and the web server's update and status only, whatever else is configured."""
    try:
        import socket  # noqa: F401  (only to know that there is a network to use)
    except ImportError:
        events("event: this board has no network (a Pico W, Pico 2 W or ESP32 has): mqtt, web and wifi left off")
        return None
    wifi = bridge = web = None
    if settings["wifi"] is not None:
        from iot.net.wifi import WiFi

        wifi = WiFi(settings["wifi"]["ssid"], settings["wifi"]["password"], led, events).start()
    m = None if safe else settings["mqtt"]
    if m is not None:
        from iot.net.bridge import Bridge
        from iot.net.mqtt import MQTTClient

        node = node_name(settings)
        base = "%s/%s" % (m["prefix"], node)
        client = MQTTClient(m["host"], m["port"], node, m["user"], m["password"],
                            tls_context() if m["tls"] else None, m["keepalive"], will=(base + "/status", "offline", True),
                            log=events, link=None if wifi is None else wifi.up)
        if wifi is not None:
            wifi.on_down = client.drop
        bridge = Bridge(client, base, node, service, commands, settings["board"], wifi, m["discovery"],
                        settings["labels"]).start()
        events.sinks.append(bridge.event)
    syslog = None
    if settings["syslog"] is not None:
        from iot.net.logs import Syslog

        syslog = Syslog(settings["syslog"]["host"], settings["syslog"]["port"], node_name(settings))
        events.sinks.append(syslog)
    w = settings["web"]
    if w is not None:
        from iot.net.web import Web

        password = w["password"]
        if not w["auth"]:
            events("event: web page: authentication is off (config.json: web.auth false): anyone on this network "
                   "can drive every output from it")
        elif password is None:
            password = made_password(w["user"] or "admin", events)
        web = Web(service, commands, settings["board"], w["port"], w["user"], password, safe, events, w["auth"],
                  w["hosts"]).start()
    return Network(wifi, bridge, web, syslog)


def made_password(user, events, path="secrets.json"):
    """A password for the web page, made at the first boot that serves it without one, and kept in secrets.json
    (the rest of the file as it was; written whole, then renamed over it). It is shown once, here, on the serial
    console only (print: never the event lines, which MQTT and the page get), and after that in `status` typed on
    that console. None, said, when it cannot be kept: the page then changes nothing until one is set."""
    from iot.secret import keep, password

    made = password()
    try:
        keep("web", {"password": made}, path)
    except (OSError, ValueError) as e:
        events("event: web page: no password could be kept in %s (%s): the page changes nothing until web.password "
               "is set there" % (path, e))
        return None
    print("event: web page: user %s, password %s (made now and kept in %s; shown here once, and in status typed on "
          "this console)" % (user, made, path))
    return made
