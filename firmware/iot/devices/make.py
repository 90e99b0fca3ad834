"""The light, speaker and toilet on this board's pins, as config.json's settings (config.check) place them:
what each device's constructor takes. The boot (app.build) loads this to build its devices and lets it go;
the seed's classes (seed.py) take the same parts."""
from iot.outputs import PwmLed, Relay, Servo


def light_output(kind, pin, active_low, pixels):
    """The light's LEDs: one dimmable LED, an RGB LED (pin is [r, g, b]) or a NeoPixel strip (iot.leds, loaded
    only for those two)."""
    if kind == "rgb":
        from iot.leds import RgbLed

        return RgbLed(pin, active_low)
    if kind == "neopixel":
        from iot.leds import PixelStrip

        return PixelStrip(pin, pixels)
    return PwmLed(pin, active_low)


def light_parts(s):
    """Light's output and fade_ms."""
    light = s["light"]
    output = light_output(light["kind"], s["pins"]["light"], "light" in s["active_low"], light["pixels"])
    return output, light["fade_ms"]


def speaker_parts(s):
    """Speaker's pin, enable_pin and enable_active_low."""
    return s["pins"]["speaker"], s["pins"]["speaker_enable"], "speaker_enable" in s["active_low"]


def toilet_parts(s):
    """Toilet's flush and clean relays and its lid's servo (None without one)."""
    pins, low = s["pins"], s["active_low"]
    flush, clean = [Relay(pins[name], s["max_on_ms"], name in low, s["min_off_ms"], name)
                    for name in ("flush", "clean")]
    return flush, clean, None if pins["lid"] is None else Servo(pins["lid"])


def devices(s, op_ms):
    """{"light", "speaker", "toilet"}: the devices, every output off."""
    from iot.devices.light import Light
    from iot.devices.speaker import Speaker
    from iot.devices.toilet import Toilet

    output, fade_ms = light_parts(s)
    pin, enable_pin, enable_active_low = speaker_parts(s)
    flush, clean, lid = toilet_parts(s)
    return {"light": Light(output, fade_ms, op_ms), "speaker": Speaker(pin, enable_pin, enable_active_low, op_ms),
            "toilet": Toilet(flush, clean, lid, op_ms)}
