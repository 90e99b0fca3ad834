"""A device written the seed's way (duck-typed), as the service takes one: loaded only when one registers."""
from iot.devices.base import Device
from iot.message import MessageType


class SeedDevice(Device):
    """A device written the seed's way: any object with async connect(), disconnect() and
    send_message(message_type, data=""). It takes every message type, its operations take a time
    nobody knows (the planner says so instead of guessing), and it has no outputs of its own to make safe.
    """

    ACCEPTS = tuple(range(1, len(MessageType.NAMES) + 1))  # every message type there is

    def __init__(self, duck):
        super().__init__(0, 0)
        self.duck = duck

    async def connect(self):
        await self.duck.connect()

    async def disconnect(self):
        await self.duck.disconnect()

    def check_data(self, msg_type, data):
        pass  # any text: the device itself judges it

    def duration_ms(self, msg_type, data):
        return None

    async def handle(self, msg_type, data):
        await self.duck.send_message(msg_type, data)

    def safe(self):
        pass
