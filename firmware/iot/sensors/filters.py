"""A reading's filters, in the order config.json gives them (ESPHome's, by name):

    {"median": N}, {"average": N}   over the last N values (a sliding window)
    {"offset": X}, {"multiply": X}  value + X, value * X
    {"delta": X}                    publish only a change of at least X from the value last published
    {"throttle_s": S}               publish at most once every S seconds

The first four make the value; the last two decide whether it is published (sent to MQTT, the page and the value
automations). A reading back from unavailable is published whatever they say.
"""
from iot import IOTError
from iot.compat import ticks_diff

NAMES = ("median", "average", "offset", "multiply", "delta", "throttle_s")
MAX_WINDOW = 32
MAX_FILTERS = 8


def check(given, where):
    """IOTError naming the filter unless `given` is a list of them (as above)."""
    if type(given) is not list or len(given) > MAX_FILTERS:
        raise IOTError("%s must be a list of at most %d filters: {\"median\": 5}, ..." % (where, MAX_FILTERS))
    for i, f in enumerate(given):
        at = "%s[%d]" % (where, i)
        if type(f) is not dict or len(f) != 1 or list(f)[0] not in NAMES:
            raise IOTError("%s must be one of {%s: number}" % (at, ", ".join(NAMES)))
        key = list(f)[0]
        value = f[key]
        if key in ("median", "average"):
            if type(value) is not int or not 1 <= value <= MAX_WINDOW:
                raise IOTError("%s.%s must be a window of 1 to %d values" % (at, key, MAX_WINDOW))
        elif type(value) not in (int, float) or (key in ("delta", "throttle_s") and value < 0):
            raise IOTError("%s.%s must be a number%s" % (at, key, "" if key in ("offset", "multiply") else " >= 0"))


class Chain:
    """One reading's filters, and what they remember: the windows, the value and time last published."""

    def __init__(self, given):
        self.steps = [(key, f[key], [] if key in ("median", "average") else None)
                      for f in given for key in f]  # type: list
        self.published = None  # the value last published
        self.published_at = None  # its ticks_ms

    def value(self, raw):
        """The value the filters make of a raw one."""
        for key, arg, window in self.steps:
            if window is not None:
                window.append(raw)
                if len(window) > arg:
                    window.pop(0)
                if key == "average":
                    raw = sum(window) / len(window)
                else:
                    ordered = sorted(window)
                    raw = ordered[len(ordered) // 2]
            elif key == "offset":
                raw = raw + arg
            elif key == "multiply":
                raw = raw * arg
        return raw

    def publishes(self, value, now, again=False):
        """Whether `value` is published now (and if so it is remembered as published); `again`: it is, whatever
        delta and throttle_s say (back from unavailable)."""
        if not again and self.published is not None:
            for key, arg, _ in self.steps:
                if key == "delta" and abs(value - self.published) < arg:
                    return False
                if key == "throttle_s" and ticks_diff(now, self.published_at) < arg * 1000:
                    return False
        self.published = value
        self.published_at = now
        return True
