"""A relay: one on/off output (a fan, a heater, a pump), on until switched off or until its bound cuts it."""
from iot.compat import sleep_ms
from iot.devices.base import Device
from iot.message import MessageType
from iot.outputs import Relay

SWITCH_ON = MessageType.SWITCH_ON
SWITCH_OFF = MessageType.SWITCH_OFF
# config.json's devices.NAME (iot.devices.kinds): its pin, its bound (a relay is never on longer than max_on_ms at a
# stretch), the interlock group it is in, and what Home Assistant shows it as
SETTINGS = {"pin": ("pin", "required"), "max_on_ms": ("top",), "min_off_ms": ("top",), "interlock": ("name", None),
            "ha": ("choice", ("switch", "fan"), "switch")}


class RelayDevice(Device):
    """SWITCH_ON energises the relay for as long as its bound allows (iot.outputs.Relay: its own timer cuts it at
    max_on_ms, whatever happens to the program or the command that switched it on); SWITCH_OFF releases it. Each
    takes op_ms. `ha` is how Home Assistant shows it ("switch" or "fan")."""

    kind = "relay"
    ACCEPTS = (SWITCH_ON, SWITCH_OFF)

    def __init__(self, relay, op_ms=500, ha="switch"):
        super().__init__(op_ms)
        self.relay = relay
        self.ha = ha

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
    relay = Relay(spec["pin"], spec["max_on_ms"], "pin" in spec["active_low"], spec["min_off_ms"], name)
    return RelayDevice(relay, op_ms, spec["ha"])
