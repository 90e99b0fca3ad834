"""The devices: one module each, on the outputs of iot.outputs.

    base.py      Device: what every device is (messages, checks, durations, safe state)
    light.py     Light: a dimmable LED, an RGB LED or a NeoPixel strip
    speaker.py   Speaker: a passive buzzer playing RTTTL songs (SONGBOOK)
    toilet.py    Toilet: flush and clean relays in an interlock, and a lid servo
    make.py      the three devices on this board's pins from config.json's settings: the boot's (app.build)
    seed.py      HueLightDevice, SmartSpeakerDevice, SmartToiletDevice: the seed's classes, made with no
                 arguments on this board's pins (`from iot.devices import HueLightDevice` as the tutorial does)
    adapter.py   SeedDevice: a device written the seed's way (duck-typed); loaded only when one registers

Import a device from its module (`from iot.devices.toilet import Toilet`); the package itself gives only
the seed's classes, loaded when first named (a module __getattr__), so a boot, which builds its devices
with make.py, never holds them. A new device is a module here with a Device subclass; it is built in
make.py and, for Home Assistant, described in iot.net.discovery.
"""
SEED = ("HueLightDevice", "SmartSpeakerDevice", "SmartToiletDevice")


def __getattr__(name):
    """A seed class, from seed.py when first named; else a submodule by its name (MicroPython asks here before
    it imports one: `from iot.devices import light`)."""
    import sys

    module = "iot.devices." + ("seed" if name in SEED else name)
    try:
        __import__(module)
    except ImportError:
        raise AttributeError(name)
    return getattr(sys.modules[module], name) if name in SEED else sys.modules[module]
