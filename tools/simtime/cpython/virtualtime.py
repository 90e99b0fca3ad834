"""Simulated time on CPython: an asyncio loop whose clock jumps to the next timer.

When no task is ready the loop does not sleep: its clock moves straight on to
the earliest timer, so a test of a day-long program takes no time, and times
are exact whatever else the machine is doing. The firmware's ticks (iot.compat)
and the stub machine's trace read the same clock. Waiting for real I/O with no
timer due blocks as usual. Nothing of this goes on a board.

    loop = VirtualTimeLoop()
    with loop.installed():
        loop.run_until_complete(main())
"""
import asyncio
import contextlib
import math

from alarms import Alarms

_now = [0]  # ns: one clock for every loop of the process
_alarms = Alarms()


def now_ns():
    return _now[0]


def in_use():
    """True while a VirtualTimeLoop runs: the stub machine.Timer then keeps this clock."""
    try:
        return isinstance(asyncio.get_running_loop(), VirtualTimeLoop)
    except RuntimeError:
        return False


def call_after_ms(ms, fn):
    """fn() when the clock reaches now + ms (an alarm: see alarms.py); -> the alarm, for cancel()."""
    return _alarms.add(_now[0] + ms * 1_000_000, fn)


def cancel(alarm):
    _alarms.cancel(alarm)


def _set_now(ns):
    _now[0] = ns


def advance_ns(ns):
    """The clock moves on by `ns`, firing each alarm on the way at its instant."""
    _alarms.jump(_now[0], _now[0] + ns, _set_now)


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self):
        super().__init__()
        select = self._selector.select

        def fast_forward(timeout=None):
            events = select(0)
            if events or timeout == 0:
                return events
            if timeout is None:
                return select(None)  # no timer: only I/O (or another thread) can wake the loop
            now = _now[0]  # on to the next timer, or to the first alarm before it (an interrupt wakes the loop)
            _alarms.jump(now, _alarms.first(now, now + max(1, math.ceil(timeout * 1e9))), _set_now)
            return []

        self._selector.select = fast_forward

    @property
    def now_ns(self):
        return _now[0]

    def time(self):
        return _now[0] / 1e9

    def advance(self, ms):
        """Run every task for `ms` of simulated time."""
        self.run_until_complete(asyncio.sleep(ms / 1000))

    @contextlib.contextmanager
    def installed(self):
        """This loop as the current one, with iot.compat's ticks and the stub machine's clock on it."""
        import iot.compat
        import machine

        clock = _Clock(self)
        saved = iot.compat.time, machine._now_ns, machine._T0
        iot.compat.time, machine._now_ns, machine._T0 = clock, clock.monotonic_ns, 0
        asyncio.set_event_loop(self)
        try:
            yield self
        finally:
            iot.compat.time, machine._now_ns, machine._T0 = saved
            asyncio.set_event_loop(None)


class _Clock:
    """What iot.compat takes from the time module on CPython, on the loop's clock."""

    def __init__(self, loop):
        self._loop = loop

    def monotonic_ns(self):
        return self._loop.now_ns
