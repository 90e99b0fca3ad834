"""The toilet: flush and clean relays in an interlock, each bounding its own energised time, and a lid servo."""
from iot import IOTError
from iot.compat import sleep_ms
from iot.devices.base import Device
from iot.message import MessageType
from iot.outputs import Relay, Servo, interlock

OPEN = MessageType.OPEN
CLOSE = MessageType.CLOSE
FLUSH = MessageType.FLUSH
CLEAN = MessageType.CLEAN
# config.json's devices.NAME (iot.devices.kinds): the two relays' pins and their bound, the lid servo's pin
SETTINGS = {"flush": ("pin", "required"), "clean": ("pin", "required"), "lid": ("pin", None),
            "max_on_ms": ("top",), "min_off_ms": ("top",)}


class Toilet(Device):
    """Two relays and an optional lid servo: FLUSH opens the flush valve, CLEAN runs
    the cleaning pump, OPEN/CLOSE move the lid; each takes op_ms.

    It does one thing at a time: the relays form an interlock group, and a CLEAN
    sent during a FLUSH (or a lid move) waits for it to finish. Each relay (an
    iot.outputs.Relay, with its own polarity) bounds its own energised time,
    whatever happens to the program that started it: an operation the relay has
    no time left for is refused. The servo is released (no pulses) once the lid
    has moved, and on any stop.
    """

    kind = "toilet"
    ONE_AT_A_TIME = True
    LID_ANGLES = {OPEN: 100, CLOSE: 0}  # degrees; a lid stands at about 100 degrees

    def __init__(self, flush, clean, lid=None, op_ms=500, connect_ms=None):
        super().__init__(op_ms, connect_ms)
        for relay in (flush, clean):
            if op_ms > relay.max_on_ms:
                raise ValueError("toilet: op_ms %d is over max_on_ms %d" % (op_ms, relay.max_on_ms))
        self.flush_relay = flush
        self.clean_relay = clean
        interlock(flush, clean)
        self._servo = lid
        self.ACCEPTS = (FLUSH, CLEAN) if lid is None else (FLUSH, CLEAN, OPEN, CLOSE)
        self.lid = None  # "open" or "closed" once moved; unknown at boot
        self.doing = None  # "flush" or "clean" while one runs: the whole step, however its relay's pulse ends

    def refusal(self, msg_type):
        if msg_type in (OPEN, CLOSE):
            return "has no lid servo for %s (set pins.lid in config.json)" % MessageType.name(msg_type)
        return Device.refusal(self, msg_type)

    def _relay(self, msg_type):
        return self.flush_relay if msg_type == FLUSH else self.clean_relay

    def check_now(self, msg_type, data):
        if msg_type in (FLUSH, CLEAN):
            self._relay_says(self._relay(msg_type).check, self.op_ms)

    def _relay_says(self, action, ms):
        try:
            action(ms)
        except IOTError as e:
            raise IOTError("%s: %s" % (self.name, e))

    async def handle(self, msg_type, data):
        if msg_type in (OPEN, CLOSE):
            await self._move_lid(msg_type)
            return
        relay = self._relay(msg_type)
        self._relay_says(relay.pulse, self.op_ms)
        self.doing = "flush" if msg_type == FLUSH else "clean"
        try:
            await sleep_ms(self.op_ms)
        finally:
            relay.off()
            self.doing = None

    async def _move_lid(self, msg_type):
        servo = self._servo
        assert servo is not None  # OPEN and CLOSE are accepted only with a lid
        self.lid = None
        servo.angle(self.LID_ANGLES[msg_type])
        try:
            await sleep_ms(self.op_ms)
            self.lid = "open" if msg_type == OPEN else "closed"
        finally:
            servo.release()

    def safe(self):
        self.flush_relay.off()
        self.clean_relay.off()
        if self._servo is not None:
            self._servo.release()

    def deinit(self):
        self.flush_relay.deinit()
        self.clean_relay.deinit()
        if self._servo is not None:
            self._servo.deinit()

    def status(self):
        return {"flush": self.flush_relay.value(), "clean": self.clean_relay.value(), "lid": self.lid,
                "busy": self.busy.locked() if self.busy is not None else False, "doing": self.doing}


def parts(spec):
    """The toilet's flush and clean relays and its lid's servo (None without one), from its settings (config.json's
    devices.NAME)."""
    low = spec["active_low"]
    flush, clean = [Relay(spec[key], spec["max_on_ms"], key in low, spec["min_off_ms"], key)
                    for key in ("flush", "clean")]
    return flush, clean, None if spec["lid"] is None else Servo(spec["lid"])


def build(name, spec, op_ms):
    flush, clean, lid = parts(spec)
    return Toilet(flush, clean, lid, op_ms)
