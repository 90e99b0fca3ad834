"""Message dispatch with and without gc.threshold, on a heap the size of a board's.

    micropython -X heapsize=256K tools/bench/gc_threshold.py      (host, firmware/ and the stub machine on MICROPYPATH)
    mpremote mount firmware run tools/bench/gc_threshold.py        (a board)

Sends SWITCH_ON/SWITCH_OFF to the light through the service, as the firmware
does, while some live data sits on the heap (a board's programs, songs and
buffers); prints messages per second with gc.threshold off and as main.py sets it.
"""
import asyncio
import gc
import time

import app
import config

MESSAGES = 4000
LIVE_BLOCKS = 200  # small live objects spread over the heap, as a running app has


async def dispatch(service):
    """(messages per second, longest single message in us: a collection's pause shows there)."""
    worst = 0
    start = time.ticks_us()
    for i in range(MESSAGES):
        t = time.ticks_us()
        await service.send("light", 1 + (i & 1))
        worst = max(worst, time.ticks_diff(time.ticks_us(), t))
    return MESSAGES * 1_000_000 // time.ticks_diff(time.ticks_us(), start), worst


async def main():
    settings = config.check({"op_ms": 0})
    service, devices = app.build(settings)
    for d in devices.values():
        d.connect_ms = 0
    await service.register_devices(devices)
    # Live objects scattered between garbage, as a running app's heap looks.
    live = []
    for i in range(LIVE_BLOCKS):
        live.append(bytearray(16 + i % 64))
        [0] * (i % 16)
    gc.collect()
    free, used = gc.mem_free(), gc.mem_alloc()
    print("heap: %d bytes, %d in use" % (free + used, used))
    gc.threshold(-1)
    gc.collect()
    off = await dispatch(service)
    gc.collect()
    gc.threshold(gc.mem_free() // 4 + gc.mem_alloc())  # as app.main() sets it
    on = await dispatch(service)
    gc.threshold(-1)
    print("gc.threshold off: %6d messages/s, longest %5d us" % off)
    print("gc.threshold on:  %6d messages/s, longest %5d us" % on)


asyncio.run(main())
