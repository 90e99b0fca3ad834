"""What every device is: the messages it takes, data checked before anything moves, how long each
operation takes (the planner adds these up), and a safe state it returns to on error, cancel, unregister
and reset. An operation changes its outputs at once and completes after its time (`op_ms`, the seed's 0.5 s).
"""
import asyncio

from iot import IOTError
from iot.compat import sleep_ms
from iot.message import MessageType


class Device:
    """Base class: message checks, operation time, connect/disconnect, safe state."""

    kind = "device"
    ACCEPTS = ()  # type: tuple
    ONE_AT_A_TIME = False  # True: operations queue up (the planner adds them up, even in parallel)

    def __init__(self, op_ms=500, connect_ms=None):
        self.name = self.kind  # the service sets the registered name
        self.op_ms = op_ms
        self.connect_ms = op_ms if connect_ms is None else connect_ms
        self.busy = asyncio.Lock() if self.ONE_AT_A_TIME else None  # the service holds it for each operation

    async def connect(self):
        """Bring-up time after power-on (outputs are already in their safe state)."""
        await sleep_ms(self.connect_ms)

    async def disconnect(self):
        self.safe()

    def check(self, msg_type, data):
        """Raise IOTError unless this device can take the message; changes nothing."""
        if msg_type not in self.ACCEPTS:
            raise IOTError("%s: %s" % (self.name, self.refusal(msg_type)))
        if type(data) is not str:
            raise IOTError("%s: data must be text, not %r" % (self.name, data))
        self.check_data(msg_type, data)

    def check_now(self, msg_type, data):
        """Raise IOTError if the device cannot take the message in the state it is in now
        (check() is for any time, as when a program is defined); changes nothing."""

    def refusal(self, msg_type):
        return "does not take %s" % MessageType.name(msg_type)

    def check_data(self, msg_type, data):
        if data:
            raise IOTError("%s: %s takes no data (got %r)" % (self.name, MessageType.name(msg_type), data))

    def duration_ms(self, msg_type, data):
        return self.op_ms

    async def send_message(self, msg_type, data=""):
        self.check(msg_type, data)
        await self.handle(msg_type, data)

    async def handle(self, msg_type, data):
        raise NotImplementedError

    def safe(self):
        raise NotImplementedError

    def deinit(self):
        self.safe()

    def status(self):
        return {}
