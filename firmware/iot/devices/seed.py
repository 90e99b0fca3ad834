"""The seed's device classes, made with no arguments as the tutorial makes them, on this board's pins."""
from iot.devices import light, speaker, toilet
from iot.devices.light import Light
from iot.devices.speaker import Speaker
from iot.devices.toilet import Toilet

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
        output, fade_ms = light.parts(_settings(settings))
        super().__init__(output, fade_ms, op_ms)


class SmartSpeakerDevice(Speaker):
    def __init__(self, settings=None, op_ms=SEED_OP_MS):
        pin, enable_pin, enable_active_low = speaker.parts(_settings(settings))
        super().__init__(pin, enable_pin, enable_active_low, op_ms)


class SmartToiletDevice(Toilet):
    def __init__(self, settings=None, op_ms=SEED_OP_MS):
        flush, clean, lid = toilet.parts(_settings(settings))
        super().__init__(flush, clean, lid, op_ms)
