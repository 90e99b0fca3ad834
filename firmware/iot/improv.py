"""Improv Serial (improv-wifi.com/serial) on the console: Wi-Fi credentials from a web page (esp-web-tools, the
Improv SDK) over the USB serial port, with no toolchain.

iot.console recognises a packet by its header ("IMPROV" at the start of a line) and hands it here whole; it
never reaches the shell. A packet is IMPROV, version 1, its type, its data's length, the data and a checksum
(the sum of every byte before it). The client sends RPC commands; each gets its answer as packets of the
current state, an error state or an RPC result:

- request current state: the state (ready, or provisioned with the page's URL when Wi-Fi is up; stopped on a
  board with no Wi-Fi chip);
- request device info: firmware, version, chip family, device name;
- request Wi-Fi networks: one result per network seen, then an empty one (an error on a board with no Wi-Fi);
- send Wi-Fi settings: tried (joined within JOIN_MS); on success kept in secrets.json, answered with the URL,
  and the board restarts on them; on failure the error state says it could not connect, and nothing is kept.

A scan or a join at a time, as the protocol has it: another that comes meanwhile is answered with an error; the
state and the device info are answered at once, always.
"""
import asyncio

from iot.compat import const, sleep_ms, ticks_diff, ticks_ms

HEADER = b"IMPROV"
VERSION = 1
JOIN_MS = 15000  # how long a network's credentials are given to join before "unable to connect"
RESTART_MS = 500  # after a success, the answer's time to leave before the board restarts on the new Wi-Fi

_CURRENT_STATE = const(1)
_ERROR_STATE = const(2)
_RPC = const(3)
_RPC_RESULT = const(4)

_SEND_WIFI = const(1)
_GET_STATE = const(2)
_GET_INFO = const(3)
_SCAN = const(4)

STOPPED, READY, PROVISIONING, PROVISIONED = 0, 2, 3, 4  # the current states
NO_ERROR, INVALID_RPC, UNKNOWN_RPC, UNABLE_TO_CONNECT, UNKNOWN_ERROR = 0, 1, 2, 3, 0xFF  # the error states


def packet(kind, data=b""):
    """A packet of `kind` carrying `data`, its checksum added."""
    out = bytearray(HEADER)
    out.append(VERSION)
    out.append(kind)
    out.append(len(data))
    out.extend(data)
    out.append(sum(out) & 0xFF)
    return bytes(out)


def result(command, texts=()):
    """An RPC result: the command it answers, then each text (UTF-8) after its length."""
    body = bytearray()
    for text in texts:
        raw = text.encode()
        body.append(len(raw))
        body.extend(raw)
    return packet(_RPC_RESULT, bytes([command, len(body)]) + body)


def command(raw):
    """An RPC packet's (command, its texts) from the console's whole packet; ValueError if it is none."""
    if len(raw) < 10 or raw[6] != VERSION or raw[7] != _RPC or len(raw) != 10 + raw[8]:
        raise ValueError("not an Improv RPC packet of version 1")
    if sum(raw[:-1]) & 0xFF != raw[-1]:
        raise ValueError("checksum")
    data = raw[9:-1]
    if len(data) < 2 or data[1] != len(data) - 2:
        raise ValueError("its length")
    texts = []
    at = 2
    while at < len(data):
        end = at + 1 + data[at]
        if end > len(data):
            raise ValueError("a text runs past its end")
        texts.append(bytes(data[at + 1:end]))
        at = end
    return data[0], texts


class Improv:
    """The Improv side of the console. `write(bytes)` puts a packet out (iot.console.Console.packet); `commands`
    (iot.commands.Commands) has the network and restarts the board; `info` is the device info's texts (firmware,
    version, chip family, device name); `port` the web page's."""

    def __init__(self, write, commands, info, port=80, log=print):
        self.write = write
        self.commands = commands
        self.info = info
        self.port = port
        self.log = log
        self._task = None

    def take(self, raw):
        """A whole packet from the console. The state and the device info are answered at once, however many come
        (a client asks for the state every second until it hears from a board still booting: those wait in the
        USB buffer, then come together); a scan or a join in a task of its own, the shell going on meanwhile, one
        at a time."""
        try:
            cmd, texts = command(raw)
        except ValueError:
            self.write(packet(_ERROR_STATE, bytes([INVALID_RPC])))
            return
        if cmd == _GET_STATE:
            self._state()
        elif cmd == _GET_INFO:
            self.write(result(cmd, self.info))
        elif self._task is not None:
            self.write(packet(_ERROR_STATE, bytes([UNKNOWN_ERROR])))  # one at a time: the client sends none sooner
        else:
            self._task = asyncio.create_task(self._answer(cmd, texts))

    def deinit(self):
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _answer(self, cmd, texts):
        try:
            if cmd == _SCAN:
                await self._scan()
            elif cmd == _SEND_WIFI and len(texts) == 2:
                await self._provision(texts[0], texts[1])
            elif cmd == _SEND_WIFI:
                self.write(packet(_ERROR_STATE, bytes([INVALID_RPC])))
            else:
                self.write(packet(_ERROR_STATE, bytes([UNKNOWN_RPC])))
        except Exception as e:  # noqa: BLE001  (whatever failed, the client hears an error, not silence)
            self.log("error: improv: %r" % (e,))
            self.write(packet(_ERROR_STATE, bytes([UNKNOWN_ERROR])))
        finally:
            self._task = None

    def _state(self):
        """The current state; when provisioned, the page's URL as the result too."""
        wlan = _wlan()
        if wlan is None:
            self.write(packet(_CURRENT_STATE, bytes([STOPPED])))
            self.write(result(_GET_STATE))
        elif wlan.isconnected():
            self.write(packet(_CURRENT_STATE, bytes([PROVISIONED])))
            self.write(result(_GET_STATE, [self._url(wlan)]))
        else:
            self.write(packet(_CURRENT_STATE, bytes([READY])))

    async def _scan(self):
        wlan = _wlan()
        if wlan is None:
            self.write(packet(_ERROR_STATE, bytes([UNKNOWN_RPC])))  # no Wi-Fi chip: the client shows no list
            return
        wlan.active(True)
        seen = []
        for net in wlan.scan():  # (ssid, bssid, channel, rssi, security, hidden)
            name = net[0].decode() if type(net[0]) is bytes else net[0]
            if name and name not in seen:
                seen.append(name)
                self.write(result(_SCAN, [name, str(net[3]), "YES" if net[4] else "NO"]))
            await sleep_ms(0)
        self.write(result(_SCAN))

    async def _provision(self, ssid, password):
        """Join `ssid` with `password` (the app's own Wi-Fi station paused meanwhile); kept and restarted on when it
        joins, said and forgotten when not."""
        wlan = _wlan()
        try:
            name, key = ssid.decode(), password.decode()
        except UnicodeError:
            name = None
        if wlan is None or name is None or not 1 <= len(name) <= 32 or len(key) > 64:
            self.write(packet(_ERROR_STATE, bytes([UNABLE_TO_CONNECT])))
            return
        self.write(packet(_CURRENT_STATE, bytes([PROVISIONING])))
        network = self.commands.network
        wifi = network.wifi if network is not None else None
        if wifi is not None:
            wifi.deinit()  # its rejoins would fight this join
        wlan.active(True)
        wlan.disconnect()
        wlan.connect(name, key)
        start = ticks_ms()
        refused = _refusals()
        while not wlan.isconnected() and ticks_diff(ticks_ms(), start) < JOIN_MS and wlan.status() not in refused:
            await sleep_ms(100)
        if not wlan.isconnected():
            wlan.disconnect()
            self.log("event: improv: wifi %s: no link within %d s; nothing kept" % (name, JOIN_MS // 1000))
            self.write(packet(_ERROR_STATE, bytes([UNABLE_TO_CONNECT])))
            if wifi is not None:
                wifi.start()
            else:
                wlan.active(False)
            return
        from iot.secret import keep

        keep("wifi", {"ssid": name, "password": key})
        self.log("event: improv: wifi %s joined and kept in secrets.json; restarting on it" % name)
        self.write(packet(_CURRENT_STATE, bytes([PROVISIONED])))
        self.write(result(_SEND_WIFI, [self._url(wlan)]))
        await sleep_ms(RESTART_MS)
        self.commands.restart("wifi set over improv")

    def _url(self, wlan):
        """The page's address on this network (the web page is served once Wi-Fi is set: config.py)."""
        port = self.port
        return "http://%s%s/" % (wlan.ifconfig()[0], "" if port == 80 else ":%d" % port)


def _refusals():
    """The station's statuses that end a join at once (a wrong password, no such network), as the port names them."""
    import network

    return [getattr(network, name) for name in ("STAT_WRONG_PASSWORD", "STAT_NO_AP_FOUND", "STAT_CONNECT_FAIL")
            if hasattr(network, name)]


def _wlan():
    """The Wi-Fi station, or None on a board with no Wi-Fi chip (a Pico)."""
    try:
        import network
    except ImportError:
        return None
    if not hasattr(network, "WLAN"):
        return None
    return network.WLAN(network.STA_IF)
