"""The seed's device classes, made with no arguments as the tutorial makes them, on this board's pins."""
from iot import IOTError
from iot.devices import light, speaker, toilet
from iot.devices.light import Light
from iot.devices.speaker import Speaker
from iot.devices.toilet import Toilet

# The light, speaker and toilet on this board's pins (config.json and the board map), at the seed's 0.5 s
# per operation.
SEED_OP_MS = 500


def _declared(settings, name):
    """The seed device `name`'s settings: config.json's (or `settings`, config.load()'s)."""
    if settings is None:
        import config  # the board's own settings, read when a device is made the seed's way

        settings = config.load()
    spec = settings["devices"].get(name)
    if spec is None or spec["kind"] != name:
        raise IOTError("config.json declares no %s %r: its devices are %s" % (name, name, ", ".join(
            settings["devices"]) or "none"))
    return spec


class HueLightDevice(Light):
    def __init__(self, settings=None, op_ms=SEED_OP_MS):
        output, fade_ms = light.parts(_declared(settings, "light"))
        super().__init__(output, fade_ms, op_ms)


class SmartSpeakerDevice(Speaker):
    def __init__(self, settings=None, op_ms=SEED_OP_MS):
        pin, enable_pin, enable_active_low = speaker.parts(_declared(settings, "speaker"))
        super().__init__(pin, enable_pin, enable_active_low, op_ms)


class SmartToiletDevice(Toilet):
    def __init__(self, settings=None, op_ms=SEED_OP_MS):
        flush, clean, lid = toilet.parts(_declared(settings, "toilet"))
        super().__init__(flush, clean, lid, op_ms)
