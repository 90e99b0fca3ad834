"""A device kind from outside the firmware tree (test only): a fan on one relay, as docs/architecture.md's
walk-through adds it. Its row: iot.devices.kinds.KINDS["fan"] = ("fan_kind", ("fan",), ())."""
from iot.compat import sleep_ms
from iot.devices.base import Device
from iot.message import MessageType
from iot.outputs import Relay

SWITCH_ON = MessageType.SWITCH_ON
SWITCH_OFF = MessageType.SWITCH_OFF


class Fan(Device):
    """A fan on a relay: on until switched off or until the relay's limit (max_on_ms) cuts it."""

    kind = "fan"
    ACCEPTS = (SWITCH_ON, SWITCH_OFF)

    def __init__(self, relay, op_ms=500):
        super().__init__(op_ms)
        self.relay = relay

    def check_now(self, msg_type, data):
        if msg_type == SWITCH_ON:
            self.relay.check(self.op_ms)

    async def handle(self, msg_type, data):
        if msg_type == SWITCH_ON:
            self.relay.on()
        else:
            self.relay.off()
        await sleep_ms(self.op_ms)

    def safe(self):
        self.relay.off()

    def deinit(self):
        self.relay.deinit()

    def status(self):
        return {"on": bool(self.relay.value())}


def build(name, s, op_ms):
    return Fan(Relay(s["pins"]["fan"], s["max_on_ms"], "fan" in s["active_low"], s["min_off_ms"], name), op_ms)
