"""A device written the seed's way (connect, disconnect, send_message, nothing else) in the firmware."""
from iot.message import Message, MessageType
from iot.program import parallel, send
from iot.service import IOTService
from scenarios.common import registered


class SeedStyleLamp:
    """As the tutorial writes a device: three coroutines and nothing else."""

    def __init__(self):
        self.got = []

    async def connect(self):
        self.got.append("connect")

    async def disconnect(self):
        self.got.append("disconnect")

    async def send_message(self, message_type, data=""):
        self.got.append([message_type, data])


async def duck(op_ms):
    service, devices = await registered(op_ms)
    lines = []
    service.log = lines.append
    lamp = SeedStyleLamp()
    lamp_id = await service.register_device(lamp)
    await service.send_msg(Message(lamp_id, MessageType.CHANGE_COLOR, "anything"))
    program = parallel(send(lamp_id, "SWITCH_ON"), send("light", "SWITCH_ON"))
    plan = service.plan(program)
    report = await service.run_program(program, "mixed")
    await service.unregister_device(lamp_id)
    refused = None
    try:
        await IOTService().register_device(object(), "thing")
    except Exception as e:
        refused = str(e)
    return {"id": lamp_id, "got": lamp.got, "plan": list(plan), "log": lines, "error": report.error,
            "refused": refused}
