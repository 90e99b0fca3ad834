"""Stand-in for MicroPython's `network` on the host: a WLAN station that joins at once.

The host is on its network already; this lets the firmware's Wi-Fi code run
unchanged under CPython and the unix port. `HOST_WIFI_FAIL=1` in the
environment makes every join fail, to see the firmware retry.
"""
import os

STA_IF = 0
AP_IF = 1
STAT_GOT_IP = 3


class WLAN:
    def __init__(self, interface=STA_IF):
        self._active = False
        self._connected = False

    def active(self, on=None):
        if on is not None:
            self._active = bool(on)
        return self._active

    def config(self, *args, **kwargs):
        return None

    def connect(self, ssid=None, key=None, **kwargs):
        if not self._active:
            raise OSError("WLAN not active")
        self._connected = not os.getenv("HOST_WIFI_FAIL")

    def disconnect(self):
        self._connected = False

    def isconnected(self):
        return self._connected

    def ifconfig(self):
        return ("127.0.0.1", "255.0.0.0", "127.0.0.1", "127.0.0.1") if self._connected else ("0.0.0.0",) * 4

    def status(self, param=None):
        if param == "rssi":
            return -50
        return STAT_GOT_IP if self._connected else 0
