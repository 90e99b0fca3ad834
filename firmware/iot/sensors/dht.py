"""Aosong DHT22 (AM2302) and DHT11: temperature and humidity on one data pin, with MicroPython's own `dht`; at
most one read every 2 s (1 s for the DHT11), as their datasheets allow: an earlier one waits, asleep."""
from machine import Pin

from iot import IOTError
from iot.compat import sleep_ms, ticks_diff, ticks_ms

SETTINGS = {"pin": ("io", "required")}
QUANTITIES = (("temperature", "°C", "temperature", 1, -40, 80), ("humidity", "%", "humidity", 1, 0, 100))
MIN_INTERVAL_S = 2
GAP_MS = {"dht22": 2000, "dht11": 1000}


class Driver:
    def __init__(self, spec, bus):
        import dht

        self.part = (dht.DHT22 if spec["kind"] == "dht22" else dht.DHT11)(Pin(spec["pin"]))
        self.pin = spec["pin"]
        self.gap_ms = GAP_MS[spec["kind"]]
        self.last = None  # ticks_ms of the last read

    async def read(self):
        if self.last is not None:
            await sleep_ms(max(0, self.gap_ms - ticks_diff(ticks_ms(), self.last)))
        self.last = ticks_ms()
        try:
            self.part.measure()  # the part's own 4 ms answer, timed by the port in C
        except Exception as e:  # OSError ETIMEDOUT: no answer; "checksum error"
            raise IOTError("no answer on GP%s: %r" % (self.pin, e))
        return self.part.temperature(), self.part.humidity()
