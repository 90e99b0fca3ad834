"""Helpers the scenarios share (run on both interpreters)."""
import asyncio

import app
import machine
from iot.devices.base import Device


# A short melody for timing tests: 16ths of 40 ms (C5 E5 G5, a pause) and an 8th of C6, 240 ms.
TEST_SONG = "test:d=16,o=5,b=375:c,e,g,p,8c6"


def now_ms():
    """Time on the trace's clock, so scenario marks line up with pin changes."""
    return machine.now_us() / 1000


def build(op_ms):
    return app.build(op_ms=op_ms)


async def registered(op_ms):
    service, devices = build(op_ms)
    await service.register_devices(devices)
    return service, devices


class Faulty(Device):
    """A device that fails (or hangs) `after_ms` into its operation."""

    kind = "faulty"
    ACCEPTS = (1, 2)  # SWITCH_ON, SWITCH_OFF

    def __init__(self, after_ms, op_ms, fail_connect=False):
        super().__init__(op_ms, 0)
        self.after_ms = after_ms
        self.fail_connect = fail_connect

    async def connect(self):
        await asyncio.sleep(0)
        if self.fail_connect:
            raise OSError("no answer")

    async def handle(self, msg_type, data):
        await asyncio.sleep(self.after_ms / 1000)
        raise RuntimeError("jammed")

    def safe(self):
        pass


def hog(ms):
    """Hold the loop for `ms` of simulated time, as a task that runs long without an await: the clock moves on
    and the machine.Timer alarms fire at their instants (as interrupts would), but no other task runs."""
    try:
        import virtualtime  # CPython's simulated time
    except ImportError:
        import time  # the unix port's: tools/simtime/micropython/time.py, whose sleeps move the clock

        time.sleep_ms(ms)
        return
    virtualtime.advance_ns(ms * 1_000_000)
