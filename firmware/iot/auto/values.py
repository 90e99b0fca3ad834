"""Automations on sensors' values (`{"on": "bath_humidity.above", "value": 70, "hysteresis": 5, "for_s": 30}`):
loaded only when config.json has one."""
from iot.compat import ticks_diff


class Threshold:
    """One value automation: its reading `above` (or below) `value` for `for_ms` fires it once; it fires again only
    once the value has gone back past the threshold by `hysteresis`. So a value hovering at the threshold fires
    once, and a spike shorter than for_s not at all. It is judged at each measurement of its reading (every
    interval_s), whatever the reading's delta and throttle_s publish; while the sensor is unavailable, it waits."""

    def __init__(self, above, value, hysteresis, for_ms, fire):
        self.above = above
        self.value = value
        self.hysteresis = hysteresis
        self.for_ms = for_ms
        self.fire = fire  # called with no arguments when it fires
        self.armed = True  # may fire: it has not yet, or the value went back past the hysteresis since
        self.since = None  # ticks_ms of the first measurement past the threshold in this stretch

    def measured(self, value, now):
        """A measurement of its reading (None: unavailable) at `now` (ticks_ms)."""
        if value is None:
            self.since = None
            return
        if not self.armed:
            self.armed = value < self.value - self.hysteresis if self.above else value > self.value + self.hysteresis
            return
        if not (value > self.value if self.above else value < self.value):
            self.since = None
            return
        if self.since is None:
            self.since = now
        if ticks_diff(now, self.since) >= self.for_ms:
            self.armed = False
            self.since = None
            self.fire()
