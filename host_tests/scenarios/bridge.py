"""The MQTT client's queue against a stand-in broker, and the bridge's watchers (no broker: deinit() comes first)."""
import asyncio

import app
from iot.net.bridge import Bridge
from iot.net.mqtt import MAX_QUEUE, MQTTClient


def quiet(line):
    pass


async def watchers_come_and_go():
    """Of the devices, the updates and the automations; the client never connects (deinit() comes first)."""
    settings = app.load_settings(given={"op_ms": 0, "demo": False, "inputs": {"b": {"pin": 14}},
                                        "automations": [{"on": "b.press", "do": "light switch_on"}]})
    service, devices = app.build(settings, log=quiet)
    await service.register_devices(devices)
    commands = app.make_commands(service, quiet)
    commands.serve(automations=settings["auto"])
    auto = commands.auto

    def count():
        return [len(service.watchers), len(commands.update_watchers), len(auto.watchers)]

    seen = {"before": count()}
    bridge = Bridge(MQTTClient("127.0.0.1", 1, "test", log=quiet), "iot/test", "test", service, commands, "pico",
                    discover=False).start()
    await asyncio.sleep(0)  # its worker sees the commands serve
    await asyncio.sleep(0)
    seen["served"] = count()
    bridge.deinit()
    seen["after deinit"] = count()
    commands.deinit()
    return seen


async def _packet(reader):
    """(packet type, body) of one MQTT packet."""
    first = (await reader.readexactly(1))[0]
    n = shift = 0
    while True:
        byte = (await reader.readexactly(1))[0]
        n |= (byte & 127) << shift
        shift += 7
        if not byte & 128:
            break
    return first >> 4, (await reader.readexactly(n)) if n else b""


async def queue_waits_for_room(port):
    """MAX_QUEUE messages queued before the client connects: publish() refuses one more, put() waits for
    room, and all of them reach the broker (a stand-in: CONNACK to CONNECT, the rest counted)."""
    kinds = []

    async def broker(reader, writer):
        try:
            while True:
                kind, _ = await _packet(reader)
                kinds.append(kind)
                if kind == 1:  # CONNECT
                    writer.write(b"\x20\x02\x00\x00")
                    await writer.drain()
        except Exception:  # the client went
            writer.close()

    server = await asyncio.start_server(broker, "127.0.0.1", port)
    client = MQTTClient("127.0.0.1", port, "test", log=quiet)
    for i in range(MAX_QUEUE):
        client.publish("t", "m%d" % i)
    seen = {"one more": client.publish("t", "over")}
    late = asyncio.create_task(client.put("t", "waited"))
    await asyncio.sleep(0.05)
    seen["waiting"] = not late.done()
    runner = asyncio.create_task(client.run())
    for _ in range(500):
        if late.done() and kinds.count(3) == MAX_QUEUE + 1:
            break
        await asyncio.sleep(0.01)
    seen.update(put=late.done(), published=kinds.count(3))
    client.deinit()
    runner.cancel()
    server.close()
    return seen
