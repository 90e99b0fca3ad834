"""IOTService: registration, ids, routing and refusals."""
import asyncio

import app
import config
from iot import IOTError
from iot.message import Message, MessageType
from scenarios.common import Faulty, build, now_ms


async def register(op_ms):
    """Three devices with gather, one without a name; then the errors registration gives."""
    service, devices = build(op_ms)
    start = now_ms()
    ids = await asyncio.gather(
        service.register_device(devices["light"], "light"),
        service.register_device(devices["speaker"]),
        service.register_device(devices["toilet"], "toilet"),
    )
    took = now_ms() - start
    errors = []
    for name in ("light", "", 5):
        try:
            await service.register_device(Faulty(0, op_ms), name)
        except IOTError as e:
            errors.append(str(e))
    return {"ids": ids, "took_ms": took, "errors": errors, "devices": sorted(service.devices)}


async def failing_connect(op_ms):
    """One device fails to connect while the others register alongside it."""
    service, devices = build(op_ms)
    devices["broken"] = Faulty(0, op_ms, fail_connect=True)
    lines = []
    service.log = lines.append
    start = now_ms()
    names = await service.register_devices(devices)
    return {"names": sorted(names), "took_ms": now_ms() - start, "log": lines, "devices": sorted(service.devices)}


async def refusals(op_ms):
    """Bad messages raise one clear error each and move no pin (on a toilet without a lid servo)."""
    service, devices = app.build(config.check({"pins": {"lid": None}}), op_ms)
    await service.register_devices(devices)
    bad = [
        Message("lamp", MessageType.SWITCH_ON),
        Message("light", 99),
        Message("light", "DANCE"),
        Message("light", MessageType.CHANGE_COLOR, "#ff0000"),
        Message("light", MessageType.SWITCH_ON, "bright"),
        Message("light", MessageType.SWITCH_ON, 42),
        Message("speaker", MessageType.PLAY_SONG, "Nobody - Nothing"),
        Message("speaker", MessageType.PLAY_SONG, "x:d=4:c,h5"),
        Message("speaker", MessageType.PLAY_SONG, "Miles Davis - Kind of Blue"),
        Message("toilet", MessageType.OPEN),
        Message("toilet", MessageType.SWITCH_ON),
    ]
    errors = []
    for msg in bad:
        try:
            await service.send_msg(msg)
            errors.append(None)
        except IOTError as e:
            errors.append(str(e))
    return {"errors": errors}


async def unregister(op_ms):
    """Unregistering a device that is on puts it in its safe state."""
    service, devices = build(op_ms)
    await service.register_devices(devices)
    await service.send_msg(Message("light", MessageType.SWITCH_ON))
    on_ms = now_ms()
    await service.unregister_device("light")
    off_ms = now_ms()
    try:
        service.get_device("light")
        gone = None
    except IOTError as e:
        gone = str(e)
    return {"on_ms": on_ms, "off_ms": off_ms, "gone": gone, "devices": sorted(service.devices)}


async def message_types():
    """Name lookup both ways, as the seed's enum gave."""
    return {
        "names": [MessageType.name(c) for c in range(1, 9)],
        "codes": [MessageType.code(n) for n in ("switch_on", "SWITCH_OFF", "Play_Song", 8)],
        "repr": repr(Message("light", MessageType.SWITCH_ON)),
        "eq": Message("a", 1, "x") == Message("a", 1, "x"),
    }


async def status(op_ms):
    """Every device's status at rest, and while the speaker plays and the toilet flushes."""
    service, devices = build(op_ms)
    await service.register_devices(devices)
    rest = service.status()
    await service.send("light", "SWITCH_ON", "40%")
    await service.send("speaker", "SWITCH_ON")
    song = asyncio.create_task(service.send("speaker", "PLAY_SONG", "Miles Davis - Kind of Blue"))
    flush = asyncio.create_task(service.send("toilet", "FLUSH"))
    await asyncio.sleep(op_ms / 2000)
    busy = service.status()
    song.cancel()
    await flush
    return {"rest": rest, "busy": busy}
