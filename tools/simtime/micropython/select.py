"""Simulated time for the MicroPython unix port: the poller asyncio waits in jumps instead of sleeping.

asyncio's core waits for its next timer in poll(dt); when no I/O is ready this
moves the clock of time.py (beside this file) on by dt instead. With no timer
at all (dt < 0) it waits for I/O as usual.

An object with no file descriptor (asyncio's ThreadSafeFlag, which the inputs
wait on) is asked here, through its own ioctl, as the port asks it: given one,
the port's poll(0) waits its ioctl period of 1 ms for real
(MICROPY_PY_SELECT_IOCTL_CALL_PERIOD_MS in extmod/modselect.c), which made
every command typed into `make sim FAST=1` cost milliseconds of real time.
"""
from uselect import *  # noqa: F401,F403
import uselect
import time

_STREAM_POLL = 3  # MP_STREAM_POLL: the request a port's poller makes of an object's ioctl


class _Poll:
    def __init__(self):
        self._poll = uselect.poll()
        self._flags = {}  # the objects with no file descriptor: their event mask

    def register(self, obj, flags=POLLIN | POLLOUT):  # noqa: F405
        if hasattr(obj, "fileno"):
            return self._poll.register(obj, flags)
        self._flags[obj] = flags

    def unregister(self, obj):
        if self._flags.pop(obj, None) is None:
            return self._poll.unregister(obj)

    def modify(self, obj, flags):
        if obj in self._flags:
            self._flags[obj] = flags
        else:
            self._poll.modify(obj, flags)

    def poll(self, timeout=-1):
        return self._wait(timeout)

    def ipoll(self, timeout=-1, flags=0):
        return self._wait(timeout)

    def _ready(self, timeout):
        """What is ready now, the flags first; the descriptors waited on for up to `timeout` ms if no flag is."""
        flagged = [(obj, got) for obj, want in self._flags.items() for got in (obj.ioctl(_STREAM_POLL, want),) if got]
        return flagged + self._poll.poll(0 if flagged else timeout)

    def _wait(self, timeout):
        ready = self._ready(0)
        if ready or timeout == 0:
            return ready
        if timeout > 0:
            time.wait(timeout * 1000)
            return ready
        while not ready:  # no timer will move the clock: wait for I/O, asking the flags each ms, as the port does
            ready = self._ready(1 if self._flags else timeout)
        return ready


def poll():
    return _Poll()
