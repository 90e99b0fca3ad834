"""Simulated time for a CPython run of the firmware, set up before it starts (PYTHONPATH, only when asked).

asyncio.run() gets a VirtualTimeLoop (virtualtime.py beside this file), whose clock
the firmware's ticks (time.monotonic_ns, through iot.compat) and the stub machine's
trace (time.perf_counter_ns) read too. The console reads its input whole before the
loop starts (stdin is a file or a pipe the harness wrote in full), instead of from
a thread whose timing the loop could not know: every line is there when the shell
asks, as on the MicroPython port, whose stdin poll answers at once.
"""
import asyncio
import time

import virtualtime

time.monotonic_ns = virtualtime.now_ns
time.perf_counter_ns = virtualtime.now_ns


class _Policy(asyncio.DefaultEventLoopPolicy):
    def new_event_loop(self):
        return virtualtime.VirtualTimeLoop()


asyncio.set_event_loop_policy(_Policy())


class _ReadLines:
    """In place of iot.threadlines' reader thread: the input's lines, read at once."""

    def __init__(self, stream):
        self._lines = stream.read().splitlines(True) + [None]

    async def get(self):
        await asyncio.sleep(0)  # as on a board, work started by the last line gets to begin first
        return self._lines.pop(0) if len(self._lines) > 1 else self._lines[0]


try:
    import iot.threadlines
except ImportError:  # not a firmware run
    pass
else:
    iot.threadlines.ThreadedLines = _ReadLines
