"""A device kind from outside the firmware tree (test only): a fan on one relay, as docs/architecture.md's
walk-through adds it. Its row: iot.devices.kinds.KINDS["fan"] = "fan_kind"; config.json declares one:
"devices": {"fan": {"kind": "fan", "pin": 21}}."""
from iot.compat import sleep_ms
from iot.declare import PIN, REQUIRED, TOP
from iot.devices.base import Device
from iot.message import MessageType
from iot.outputs import Relay

SWITCH_ON = MessageType.SWITCH_ON
SWITCH_OFF = MessageType.SWITCH_OFF
SETTINGS = {"pin": (PIN, REQUIRED), "max_on_ms": (TOP,), "min_off_ms": (TOP,)}  # what devices.NAME may say


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


def build(name, spec, op_ms):
    return Fan(Relay(spec["pin"], spec["max_on_ms"], "pin" in spec["active_low"], spec["min_off_ms"], name), op_ms)
