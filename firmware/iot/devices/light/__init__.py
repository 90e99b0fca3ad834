"""The light: a dimmable LED, an RGB LED or a NeoPixel strip, with fades on the clock."""
from iot import IOTError
from iot.compat import sleep_ms, ticks_add, ticks_diff, ticks_ms
from iot.devices.base import Device
from iot.message import MessageType
from iot.outputs import PwmLed

SWITCH_ON = MessageType.SWITCH_ON
SWITCH_OFF = MessageType.SWITCH_OFF
CHANGE_COLOR = MessageType.CHANGE_COLOR
FADE_STEP_MS = 20  # a light fade's step: 50 per second look smooth
# config.json's devices.NAME (iot.devices.kinds): its LEDs' type, their pin (an RGB LED's three), a default fade
SETTINGS = {"pin": ("pins", "required"), "type": ("choice", ("pwm", "rgb", "neopixel"), "pwm"),
            "fade_ms": ("int", 0, 60000, 0), "pixels": ("int", 1, 1024, 1)}


class Light(Device):
    """A light: a dimmable LED, an RGB LED or a NeoPixel strip (`output`, see iot.outputs).

    Its data is ESPHome's light.turn_on in words (iot.color): SWITCH_ON takes an
    optional brightness ("40%"), colour and transition ("2s"); CHANGE_COLOR a
    colour (kept for the next SWITCH_ON while the light is off); SWITCH_OFF a
    transition. Changes fade over the transition (default `fade_ms`, 0: at once);
    an operation takes op_ms or its transition, whichever is longer.
    """

    kind = "light"

    def __init__(self, output, fade_ms=0, op_ms=500, connect_ms=None):
        super().__init__(op_ms, connect_ms)
        self._out = output
        self.ACCEPTS = (SWITCH_ON, SWITCH_OFF, CHANGE_COLOR) if output.colours else (SWITCH_ON, SWITCH_OFF)
        self.fade_ms = fade_ms
        self.on = False
        self.brightness = 100
        self.color = 0xFFFFFF
        self._shown = 0  # what the LEDs show now, 0xRRGGBB after brightness
        self._change = 0  # counts changes, so a fade knows when a newer one took over

    def refusal(self, msg_type):
        if msg_type == CHANGE_COLOR:
            return "is a single-colour LED and cannot CHANGE_COLOR"
        return Device.refusal(self, msg_type)

    def check_data(self, msg_type, data):
        try:
            rgb, brightness, transition = light_data(data, self._out.colours)
        except IOTError as e:
            raise IOTError("%s: %s" % (self.name, e))
        if msg_type == CHANGE_COLOR and rgb is None:
            raise IOTError("%s: CHANGE_COLOR needs a colour (#rrggbb or a name)" % self.name)
        if msg_type == SWITCH_OFF and (rgb is not None or brightness is not None):
            raise IOTError("%s: %s takes only a transition time" % (self.name, MessageType.name(msg_type)))
        if brightness == 0:
            raise IOTError("%s: brightness is from 1%% to 100%%; SWITCH_OFF switches off" % self.name)
        return transition

    def duration_ms(self, msg_type, data):
        """Of data check() has passed: op_ms, or the transition if longer."""
        transition = light_data(data, self._out.colours)[2]
        return max(self.op_ms, self.fade_ms if transition is None else transition)

    def _target(self):
        if not self.on:
            return 0
        b = self.brightness
        c = self.color
        return ((c >> 16) * b // 100) << 16 | ((c >> 8 & 255) * b // 100) << 8 | (c & 255) * b // 100

    def _show(self, rgb):
        if rgb != self._shown:
            self._shown = rgb
            self._out.show(rgb >> 16, rgb >> 8 & 255, rgb & 255)

    async def handle(self, msg_type, data):
        start = ticks_ms()
        rgb, brightness, transition = light_data(data)
        if msg_type != CHANGE_COLOR:
            self.on = msg_type == SWITCH_ON
        if rgb is not None:
            self.color = rgb
        if brightness is not None:
            self.brightness = brightness
        await self._fade(self._target(), self.fade_ms if transition is None else transition)
        await sleep_ms(max(0, ticks_diff(ticks_add(start, self.op_ms), ticks_ms())))

    async def _fade(self, target, ms):
        """From what shows now to `target` in steps of FADE_STEP_MS, each on the clock."""
        self._change += 1
        change = self._change
        start = ticks_ms()
        src = self._shown
        while True:
            t = ticks_diff(ticks_ms(), start)
            if self._change != change:
                return  # a newer change (or safe()) took over
            if t >= ms:
                self._show(target)
                return
            self._show(_mix(src, target, t, ms))
            await sleep_ms(min(FADE_STEP_MS, ms - t))

    def safe(self):
        self._change += 1
        self.on = False
        self._show(0)

    def deinit(self):
        self.safe()
        self._out.deinit()

    def status(self):
        s = {"on": self.on, "brightness": self.brightness, "level": "#%06x" % self._shown}
        if self._out.colours:
            s["color"] = "#%06x" % self.color
        return s


def light_data(data, colours=True):
    """(colour, brightness, transition) of a light's data; the colour parser is loaded only for data."""
    if not data:
        return None, None, None
    from iot import color  # loaded by the first message with data

    return color.parse(data, colours)


def _mix(a, b, t, span):
    """The colour t/span of the way from a to b, per channel."""
    out = 0
    for shift in (16, 8, 0):
        ca = a >> shift & 255
        out |= (ca + ((b >> shift & 255) - ca) * t // span) << shift
    return out


def output(kind, pin, active_low, pixels):
    """The light's LEDs: one dimmable LED, an RGB LED (pin is [r, g, b]) or a NeoPixel strip (iot.leds, loaded
    only for those two)."""
    if kind == "rgb":
        from iot.leds import RgbLed

        return RgbLed(pin, active_low)
    if kind == "neopixel":
        from iot.leds import PixelStrip

        return PixelStrip(pin, pixels)
    return PwmLed(pin, active_low)


def check(spec):
    """What is wrong with checked settings that no one key says, or None."""
    if (spec["type"] == "rgb") != (type(spec["pin"]) is list):
        return "pin must be a list of 3 pins [r, g, b] for an rgb light, and only then"
    return None


def parts(spec):
    """The light's output and fade_ms, from its settings (config.json's devices.NAME)."""
    return output(spec["type"], spec["pin"], "pin" in spec["active_low"], spec["pixels"]), spec["fade_ms"]


def build(name, spec, op_ms):
    out, fade_ms = parts(spec)
    return Light(out, fade_ms, op_ms)
