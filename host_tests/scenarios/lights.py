"""The light as a dimmable LED, an RGB LED and a NeoPixel strip; fades; the toilet's lid servo."""
import asyncio

import app
import config
from iot import IOTError, color
from iot.message import MessageType
from scenarios.common import now_ms

ON, OFF, COLOR = MessageType.SWITCH_ON, MessageType.SWITCH_OFF, MessageType.CHANGE_COLOR


async def registered(cfg, op_ms):
    service, devices = app.build(config.check(cfg), op_ms)
    await service.register_devices(devices)
    return service, devices


async def steps(cfg, op_ms, messages):
    """Send [device, type, data] one after another; each step's start time, error and light status."""
    service, devices = await registered(cfg, op_ms)
    out = []
    for device, msg_type, data in messages:
        start = now_ms()
        try:
            await service.send(device, msg_type, data)
            error = None
        except IOTError as e:
            error = str(e)
        out.append({"start_ms": start, "error": error, "light": devices["light"].status(),
                    "toilet": devices["toilet"].status()})
    return out


async def fade_taken_over(op_ms, fade_ms):
    """SWITCH_OFF halfway through a fade up: the fade stops where it was and fades down from there."""
    service, devices = await registered({"light": {"fade_ms": fade_ms}}, op_ms)
    start = now_ms()
    up = asyncio.create_task(service.send("light", "SWITCH_ON"))
    await asyncio.sleep(fade_ms / 2000)
    off = now_ms()
    await service.send("light", "SWITCH_OFF")
    await up
    return {"start_ms": start, "off_ms": off, "end_ms": now_ms(), "status": devices["light"].status()}


async def lid_cancelled(op_ms):
    """The lid's move cancelled halfway: the servo is released at once, by the move itself."""
    service, devices = await registered({}, op_ms)
    task = asyncio.create_task(service.send("toilet", "OPEN"))
    await asyncio.sleep(op_ms / 2000)
    cancel = now_ms()
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    return {"cancel_ms": cancel, "status": devices["toilet"].status()}


async def parse(texts):
    out = []
    for text in texts:
        try:
            out.append(list(color.parse(text)))
        except IOTError as e:
            out.append(str(e))
    return out
