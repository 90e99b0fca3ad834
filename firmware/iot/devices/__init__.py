"""The devices: one module each, on the outputs of iot.outputs.

    base.py      Device: what every device is (messages, checks, durations, safe state)
    light.py     Light: a dimmable LED, an RGB LED or a NeoPixel strip
    speaker.py   Speaker: a passive buzzer playing RTTTL songs (SONGBOOK)
    toilet.py    Toilet: flush and clean relays in an interlock, and a lid servo
    seed.py      HueLightDevice, SmartSpeakerDevice, SmartToiletDevice: the seed's classes, made with no
                 arguments on this board's pins (`from iot.devices import HueLightDevice` as the tutorial does)
    adapter.py   SeedDevice: a device written the seed's way (duck-typed); loaded only when one registers

Import a device from its module (`from iot.devices.toilet import Toilet`); the package itself gives only
the seed's classes, so that what the tutorial imports loads nothing more. A new device is a module here
with a Device subclass; it is built in app.build and, for Home Assistant, described in iot.net.discovery.
"""
from iot.devices.seed import HueLightDevice, SmartSpeakerDevice, SmartToiletDevice  # noqa: F401  (re-exported)
