"""Stand-in for MicroPython's `network` on the host: a WLAN station that joins at once.

The host is on its network already; this lets the firmware's Wi-Fi code run
unchanged under CPython and the unix port. To take the link away, as a router
going down would, point HOST_WIFI at a file: while it says "down", the station
cannot join and a joined one has lost its link. To play one network among others (Improv's tests), set
HOST_WIFI_NETWORK to "ssid:password": only those join, and a scan sees it beside a neighbour's.
"""
import os

STA_IF = 0
AP_IF = 1
STAT_GOT_IP = 3
STAT_WRONG_PASSWORD = -3  # the Pico W's (CYW43) codes
STAT_NO_AP_FOUND = -2


def _down():
    path = os.getenv("HOST_WIFI")
    if not path:
        return False
    try:
        with open(path) as f:
            return f.read().strip() == "down"
    except OSError:
        return False


def _network():
    """(ssid, password) of the one network that joins, or None: any does."""
    given = os.getenv("HOST_WIFI_NETWORK")
    if not given:
        return None
    ssid, _, password = given.partition(":")
    return ssid, password


_made = {}  # interface -> its WLAN: as on a board, WLAN(STA_IF) is the one station, whoever asks


class WLAN:
    def __new__(cls, interface=STA_IF):
        if interface not in _made:
            made = _made[interface] = object.__new__(cls)
            made._active = False
            made._joined = False
            made._refused = 0
        return _made[interface]

    def __init__(self, interface=STA_IF):
        pass

    def active(self, on=None):
        if on is not None:
            self._active = bool(on)
        return self._active

    def config(self, *args, **kwargs):
        return None

    def connect(self, ssid=None, key=None, **kwargs):
        if not self._active:
            raise OSError("WLAN not active")
        only = _network()
        self._joined = only is None or (ssid, key or "") == only
        self._refused = 0 if self._joined else STAT_NO_AP_FOUND if ssid != only[0] else STAT_WRONG_PASSWORD

    def scan(self):
        if not self._active:
            raise OSError("WLAN not active")
        only = _network()
        seen = [(b"neighbours", b"\x02\x00\x00\x00\x00\x02", 11, -80, 3, False)]
        if only is not None:
            seen.insert(0, (only[0].encode(), b"\x02\x00\x00\x00\x00\x01", 6, -50, 3, False))
        return seen

    def disconnect(self):
        self._joined = False

    def isconnected(self):
        return self._joined and not _down()

    def ifconfig(self):
        return ("127.0.0.1", "255.0.0.0", "127.0.0.1", "127.0.0.1") if self.isconnected() else ("0.0.0.0",) * 4

    def status(self, param=None):
        if param == "rssi":
            return -50
        return STAT_GOT_IP if self.isconnected() else self._refused
