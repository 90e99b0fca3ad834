"""A Wi-Fi station that joins in the background and rejoins after a loss, with a backoff.

The devices and the shell work meanwhile: nothing here blocks. `up` is an
Event set while the link is up; `state` is "connecting", "up" or "down";
`on_down` (if set) is called when a link that was up is lost; the status LED
blinks while joining.
"""
import asyncio
import sys

from iot.compat import sleep_ms, ticks_diff, ticks_ms

JOIN_MS = 20000  # a join that has not worked by then is tried again
CHECK_MS = 2000  # how often a link that is up is looked at: the WLAN driver has no event for its loss
LED_JOIN_MS = 100  # the status LED's blink, every 250 ms, while joining


class WiFi:
    def __init__(self, ssid, password="", led=None, log=print, backoff_ms=(2000, 60000)):
        import network  # loaded only when Wi-Fi is configured

        self.ssid = ssid
        self._password = password
        self.led = led  # a Blinker, or None
        self.log = log
        self.backoff_ms = backoff_ms
        self.wlan = network.WLAN(network.STA_IF)
        self.up = asyncio.Event()
        self.on_down = None
        self.state = "connecting"
        self._task = None

    def start(self):
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self):
        wlan = self.wlan
        wlan.active(True)
        if sys.platform == "rp2":
            wlan.config(pm=0xA11140)  # the Pico W's power saving off: it drops MQTT keepalives otherwise
        wait = self.backoff_ms[0]
        while True:
            self.state = "connecting"
            if not wlan.isconnected():
                wlan.connect(self.ssid, self._password)
                start = ticks_ms()
                while not wlan.isconnected() and ticks_diff(ticks_ms(), start) < JOIN_MS:
                    self._blink()
                    await sleep_ms(250)
            if wlan.isconnected():
                self.state = "up"
                self.up.set()
                self.log("event: wifi %s up, address %s" % (self.ssid, wlan.ifconfig()[0]))
                wait = self.backoff_ms[0]
                while wlan.isconnected():
                    await sleep_ms(CHECK_MS)
                self.up.clear()
                self.log("event: wifi %s lost; joining again" % self.ssid)
                if self.on_down is not None:
                    self.on_down()
            else:
                self.log("event: wifi %s: no link after %d s; again in %d s" % (self.ssid, JOIN_MS // 1000,
                                                                                   wait // 1000))
                wlan.disconnect()
                self.state = "down"  # until the backoff is over
                await sleep_ms(wait)
                wait = min(wait * 2, self.backoff_ms[1])

    def _blink(self):
        if self.led is not None:
            self.led.trigger(LED_JOIN_MS)

    def status(self):
        s = {"link": self.state, "ssid": self.ssid}
        if self.state == "up":
            s["ip"] = self.wlan.ifconfig()[0]
            try:
                s["rssi"] = self.wlan.status("rssi")
            except (ValueError, OSError, TypeError):
                pass
        return s

    def deinit(self):
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self.up.clear()
        self.state = "down"
        self.wlan.disconnect()
        self.wlan.active(False)
