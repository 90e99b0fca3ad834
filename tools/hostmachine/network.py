"""Stand-in for MicroPython's `network` on the host: a WLAN station that joins at once.

The host is on its network already; this lets the firmware's Wi-Fi code run
unchanged under CPython and the unix port. To take the link away, as a router
going down would, point HOST_WIFI at a file: while it says "down", the station
cannot join and a joined one has lost its link.
"""
import os

STA_IF = 0
AP_IF = 1
STAT_GOT_IP = 3


def _down():
    path = os.getenv("HOST_WIFI")
    if not path:
        return False
    try:
        with open(path) as f:
            return f.read().strip() == "down"
    except OSError:
        return False


class WLAN:
    def __init__(self, interface=STA_IF):
        self._active = False
        self._joined = False

    def active(self, on=None):
        if on is not None:
            self._active = bool(on)
        return self._active

    def config(self, *args, **kwargs):
        return None

    def connect(self, ssid=None, key=None, **kwargs):
        if not self._active:
            raise OSError("WLAN not active")
        self._joined = True

    def disconnect(self):
        self._joined = False

    def isconnected(self):
        return self._joined and not _down()

    def ifconfig(self):
        return ("127.0.0.1", "255.0.0.0", "127.0.0.1", "127.0.0.1") if self.isconnected() else ("0.0.0.0",) * 4

    def status(self, param=None):
        if param == "rssi":
            return -50
        return STAT_GOT_IP if self.isconnected() else 0
