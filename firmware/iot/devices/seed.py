"""The seed's device classes, made with no arguments as the tutorial makes them, on this board's pins."""
from iot.devices.light import Light
from iot.devices.speaker import Speaker
from iot.devices.toilet import Toilet
from iot.outputs import Relay, Servo, light_output

# The light, speaker and toilet on this board's pins (config.json and the board map), at the seed's 0.5 s
# per operation.
SEED_OP_MS = 500


def _settings(settings):
    if settings is None:
        import config  # the board's own settings, read when a device is made the seed's way

        settings = config.load()
    return settings


class HueLightDevice(Light):
    def __init__(self, settings=None, op_ms=SEED_OP_MS):
        s = _settings(settings)
        light = s["light"]
        super().__init__(light_output(light["kind"], s["pins"]["light"], "light" in s["active_low"], light["pixels"]),
                         fade_ms=light["fade_ms"], op_ms=op_ms)


class SmartSpeakerDevice(Speaker):
    def __init__(self, settings=None, op_ms=SEED_OP_MS):
        s = _settings(settings)
        super().__init__(s["pins"]["speaker"], enable_pin=s["pins"]["speaker_enable"],
                         enable_active_low="speaker_enable" in s["active_low"], op_ms=op_ms)


class SmartToiletDevice(Toilet):
    def __init__(self, settings=None, op_ms=SEED_OP_MS):
        s = _settings(settings)
        pins, low = s["pins"], s["active_low"]

        def relay(name):
            return Relay(pins[name], s["max_on_ms"], name in low, s["min_off_ms"], name)

        lid = pins["lid"]
        super().__init__(relay("flush"), relay("clean"), None if lid is None else Servo(lid), op_ms=op_ms)
