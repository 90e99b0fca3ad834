"""Sensors in asyncio (iot.sensors), on the stub's parts (tools/hostmachine/parts.py): Alice's measurement and Bob's
request, a bus taken in turn, filters, a sensor failing and coming back."""
import asyncio

import app
import config
import parts
from scenarios.common import now_ms

from iot.compat import sleep_ms
from iot.sensors import build as build_sensors


async def _serving(cfg, op_ms):
    """The seed's devices registered and the commands serving, with config.json's `sensors` from `cfg`."""
    settings = config.check(dict(cfg, op_ms=op_ms, demo=False))
    service, devices = app.build(settings, log=lambda line: None)
    await service.register_devices(devices)
    said = []
    sensors = build_sensors(settings, said.append)
    commands = app.make_commands(service, said.append, sensors=sensors)
    commands.serve()
    return service, devices, commands, said


async def _timed(commands, line):
    start = now_ms()
    reply = await commands.execute(line)
    return {"reply": reply, "from_ms": start, "to_ms": now_ms()}


async def alice_and_bob(op_ms, sensors):
    """Alice asks for a fresh DS18B20 reading (a 750 ms conversion); meanwhile Bob asks for the status and switches
    the light on, and a flush's relay is due to be cut: nobody waits for Alice."""
    service, devices, commands, said = await _serving({"sensors": sensors}, op_ms)
    await sleep_ms(2000)  # past the first scheduled measurements
    flush = await _timed(commands, "toilet flush")
    alice = asyncio.create_task(_timed(commands, "measure floor"))
    await sleep_ms(10)
    bob = [await _timed(commands, "status"), await _timed(commands, "light switch_on")]
    out = {"flush": flush, "alice": await alice, "bob": bob, "said": said}
    commands.deinit()
    app.safe_all(service, devices)
    return out


async def bus_in_turns(rounds):
    """Two parts on one I2C bus measured at once, again and again: the bus's transfers, in time."""
    service, devices, commands, said = await _serving({"sensors": {
        "bath": {"kind": "sht4x", "interval_s": 3600}, "air": {"kind": "aht20", "interval_s": 3600}}}, 0)
    del parts.LOG[:]
    for _ in range(rounds):
        replies = await asyncio.gather(commands.execute("measure bath"), commands.execute("measure air"),
                                       commands.execute("measure bath_humidity"))
    commands.deinit()
    return {"log": parts.LOG, "replies": replies, "said": said}


async def published(sensors, until_ms):
    """What the readings' watchers hear (value automations, MQTT, the page), while the parts' values change."""
    service, devices, commands, said = await _serving({"sensors": sensors}, 0)
    heard = []
    commands.sensors.watchers.append(lambda r: heard.append([round(now_ms()), r.name, r.value, r.reason]))
    await sleep_ms(until_ms)
    status = commands.sensors.status()
    commands.deinit()
    return {"heard": heard, "said": said, "status": status}
