"""Simulated time for the MicroPython unix port: the poller asyncio waits in jumps instead of sleeping.

asyncio's core waits for its next timer in poll(dt); when no I/O is ready this
moves the clock of time.py (beside this file) on by dt instead. With no timer
at all (dt < 0) it waits for I/O as usual.
"""
from uselect import *  # noqa: F401,F403
import uselect
import time


class _Poll:
    def __init__(self):
        self._poll = uselect.poll()

    def register(self, *args):
        return self._poll.register(*args)

    def unregister(self, obj):
        return self._poll.unregister(obj)

    def modify(self, *args):
        return self._poll.modify(*args)

    def poll(self, timeout=-1):
        return self._wait(timeout)

    def ipoll(self, timeout=-1, flags=0):
        return self._wait(timeout)

    def _wait(self, timeout):
        ready = self._poll.poll(0)
        if ready or timeout == 0:
            return ready
        if timeout > 0:
            time.wait(timeout * 1000)
            return ready
        return self._poll.poll(timeout)


def poll():
    return _Poll()
