"""A servo: a hobby servo between two positions (a vent's flap, a window's latch, a feeder's door)."""
from iot.compat import sleep_ms
from iot.devices.base import Device
from iot.message import MessageType
from iot.outputs import Servo

OPEN = MessageType.OPEN
CLOSE = MessageType.CLOSE
# config.json's devices.NAME (iot.devices.kinds): its pin and its two positions in degrees
SETTINGS = {"pin": ("pin", "required"), "open_deg": ("int", 0, 180, 90), "close_deg": ("int", 0, 180, 0)}


class ServoDevice(Device):
    """OPEN and CLOSE move the servo to its two positions; each takes op_ms, after which the servo is released (no
    pulses: it stops pushing), as it is on any stop. Its position is unknown until it has moved once."""

    kind = "servo"
    ACCEPTS = (OPEN, CLOSE)

    def __init__(self, servo, open_deg=90, close_deg=0, op_ms=500):
        super().__init__(op_ms)
        self._servo = servo
        self._degrees = {OPEN: open_deg, CLOSE: close_deg}
        self.position = None  # "open" or "closed" once moved

    async def handle(self, msg_type, data):
        self.position = None
        self._servo.angle(self._degrees[msg_type])
        try:
            await sleep_ms(self.op_ms)
            self.position = "open" if msg_type == OPEN else "closed"
        finally:
            self._servo.release()

    def safe(self):
        self._servo.release()

    def deinit(self):
        self._servo.deinit()

    def status(self):
        return {"position": self.position}


def build(name, spec, op_ms):
    return ServoDevice(Servo(spec["pin"]), spec["open_deg"], spec["close_deg"], op_ms)
