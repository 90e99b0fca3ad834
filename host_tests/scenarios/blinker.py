"""The Blinker: trigger, retrigger (longer and shorter), stop, expiry callback, deinit."""
import asyncio

from iot.blinker import Blinker
from iot.outputs import output_pin
from scenarios.common import now_ms

PIN = 2


async def timeline(ms):
    """trigger; retrigger to extend; retrigger shorter; stop; trigger and let it expire."""
    expiries = []
    b = Blinker(output_pin(PIN), ms, callback=lambda: expiries.append(now_ms()))
    marks = {}
    marks["t0"] = now_ms()
    b.trigger()  # on until t0 + ms
    task = b._task
    await asyncio.sleep(ms / 2000)
    marks["retrigger"] = now_ms()
    b.trigger()  # extend: off at retrigger + ms
    await asyncio.sleep(ms / 2000)
    marks["long"] = now_ms()
    b.trigger(10 * ms)  # push far out; once the task sleeps towards it...
    await asyncio.sleep(3 * ms / 4000)
    marks["short"] = now_ms()
    b.trigger(ms // 2)  # ...pull it in: the task must wake early, off at short + ms/2
    same_task = b._task is task  # every retrigger of the on-period served by the one task
    await asyncio.sleep(ms / 1000)
    ended_when_off = b._task is None and task.done()  # off: no task is left waiting
    marks["trigger2"] = now_ms()
    b.trigger(ms)
    await asyncio.sleep(ms / 4000)
    marks["stop"] = now_ms()
    b.stop()  # off now, no callback
    await asyncio.sleep(ms / 1000)
    marks["trigger3"] = now_ms()
    b.trigger(ms)  # expires with callback
    await asyncio.sleep(2 * ms / 1000)
    idle_after_expiry = b._task is None
    b.deinit()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    return {
        "marks": marks,
        "expiries": expiries,
        "same_task": same_task,
        "ended_when_off": ended_when_off,
        "idle_after_expiry": idle_after_expiry,
        "running_after_deinit": b.running(),
    }


async def retrigger_storm(ms, n):
    """Many retriggers: one task throughout, off once, ms after the last trigger, and then no task."""
    b = Blinker(output_pin(PIN), ms)
    b.trigger()
    task = b._task
    for _ in range(n):
        await asyncio.sleep(0.001)
        b.trigger()
    last = now_ms()
    same = b._task is task
    await asyncio.sleep(2 * ms / 1000)
    out = {"last_ms": last, "same_task": same, "ended": task.done() and b._task is None}
    b.deinit()
    return out


async def deinit_while_on(ms):
    """deinit() switches off at once and ends the task; a bad callback does not kill the timer."""

    def bad():
        raise ValueError("callback bug")

    b = Blinker(output_pin(PIN), ms, callback=bad)
    b.trigger()
    await asyncio.sleep(2 * ms / 1000)  # expiry runs the bad callback
    b.trigger()  # the timer still works
    await asyncio.sleep(ms / 4000)
    task = b._task
    mark = now_ms()
    b.deinit()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    return {"deinit_ms": mark, "task_done": task.done(), "task_cleared": b._task is None}


async def retrigger_under_heap_lock(ms):
    """On MicroPython, moving a deadline must not allocate at all: heap_lock() makes it fail if it did."""
    import micropython

    b = Blinker(output_pin(PIN), ms)
    b.trigger()
    await asyncio.sleep(0.005)
    micropython.heap_lock()
    try:
        for _ in range(100):
            b.trigger()
        error = None
    except MemoryError as e:
        error = repr(e)
    finally:
        micropython.heap_unlock()
    b.deinit()
    return {"error": error}
