"""Simulated time for the MicroPython unix port: this `time` stands in for the built-in one.

On the path first only when the host harness asks (hostrun.environ(simulated=True)):
the ticks, sleeps and time_ns (the stub machine's trace clock) all read one
counter, which only ever moves when the loop would otherwise sleep (see select.py
beside this file) or when code sleeps. asyncio's core takes its ticks from here.
The firmware is unchanged; nothing of this goes on a board.
"""
from utime import *  # noqa: F401,F403  # everything else the real module has
import utime

from alarms import Alarms

_PERIOD = 1 << 30  # as MicroPython's ticks: they wrap, and ticks_diff copes
_HALF = _PERIOD >> 1
# asyncio's C task queue stamps a task it runs "now" with the real ticks_ms. This clock starts an hour
# ahead of that one and only moves on, so such stamps are always in its past: due at once, in order.
_now_us = (utime.ticks_ms() + 3600000) * 1000


_alarms = Alarms()


def _set_now(us):
    global _now_us
    _now_us = us


def call_after_ms(ms, fn):
    """fn() when the clock reaches now + ms (an alarm: see alarms.py); -> the alarm, for cancel()."""
    return _alarms.add(_now_us + ms * 1000, fn)


def cancel(alarm):
    _alarms.cancel(alarm)


def advance(us):
    """The clock moves on by `us`, firing each alarm on the way at its instant."""
    _alarms.jump(_now_us, _now_us + us, _set_now)


def wait(us):
    """The loop waits `us` for its next timer: the clock moves on to then, or to the first alarm before."""
    _alarms.jump(_now_us, _alarms.first(_now_us, _now_us + us), _set_now)


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
