"""Simulated time for the MicroPython unix port: this `time` stands in for the built-in one.

On the path first only when the host harness asks (hostrun.environ(simulated=True)):
the ticks, sleeps and time_ns (the stub machine's trace clock) all read one
counter, which only ever moves when the loop would otherwise sleep (see select.py
beside this file) or when code sleeps. asyncio's core takes its ticks from here.
The firmware is unchanged; nothing of this goes on a board.
"""
from utime import *  # noqa: F401,F403  # everything else the real module has
import utime

_PERIOD = 1 << 30  # as MicroPython's ticks: they wrap, and ticks_diff copes
_HALF = _PERIOD >> 1
# asyncio's C task queue stamps a task it runs "now" with the real ticks_ms. This clock starts an hour
# ahead of that one and only moves on, so such stamps are always in its past: due at once, in order.
_now_us = (utime.ticks_ms() + 3600000) * 1000


_alarms = []  # [[due µs, fn]], soonest first: the stub machine.Timer's callbacks


def call_after_ms(ms, fn):
    """fn() when the clock reaches now + ms, as an interrupt would: in the middle of whatever runs."""
    due = _now_us + ms * 1000
    i = 0
    while i < len(_alarms) and _alarms[i][0] <= due:
        i += 1
    entry = [due, fn]
    _alarms.insert(i, entry)
    return entry


def cancel(entry):
    """An alarm call_after_ms() returned, taken back if it has not fired."""
    for i, e in enumerate(_alarms):
        if e is entry:
            del _alarms[i]
            return


def advance(us):
    """The clock moves on by `us`, stopping at each alarm on the way to fire it at its instant."""
    global _now_us
    end = _now_us + us
    while _alarms and _alarms[0][0] <= end:
        due, fn = _alarms.pop(0)
        _now_us = max(_now_us, due)
        fn()
    _now_us = end


def ticks_us():
    return _now_us & (_PERIOD - 1)


def ticks_ms():
    return (_now_us // 1000) & (_PERIOD - 1)


def ticks_add(t, delta):
    return (t + delta) & (_PERIOD - 1)


def ticks_diff(a, b):
    return ((a - b + _HALF) & (_PERIOD - 1)) - _HALF


def time_ns():
    return _now_us * 1000


def sleep_us(us):
    advance(us)


def sleep_ms(ms):
    advance(ms * 1000)


def sleep(s):
    advance(int(s * 1000000))
