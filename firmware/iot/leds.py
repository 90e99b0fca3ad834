"""The light's colour outputs: an RGB LED on three PWM pins, a NeoPixel strip. Loaded only when config.json's
light is one of them (iot.devices.light.output); a single dimmable LED is iot.outputs.PwmLed."""
from machine import Pin

from iot.outputs import PwmLed, gamma


class RgbLed:
    """An RGB LED on three PWM pins; a common-anode one is active-low."""

    colours = True

    def __init__(self, pin_ids, active_low=False):
        self._channels = [PwmLed(p, active_low) for p in pin_ids]

    def show(self, r, g, b):
        ch = self._channels
        ch[0].level(r)
        ch[1].level(g)
        ch[2].level(b)

    def deinit(self):
        for ch in self._channels:
            ch.deinit()


class PixelStrip:
    """WS2812/NeoPixel LEDs on one pin, all showing the same colour."""

    colours = True

    def __init__(self, pin_id, count=1):
        from neopixel import NeoPixel  # only boards with a strip need the module

        self._np = NeoPixel(Pin(pin_id, Pin.OUT, value=0), count)
        self.show(0, 0, 0)

    def show(self, r, g, b):
        self._np.fill((gamma(r) >> 8, gamma(g) >> 8, gamma(b) >> 8))
        self._np.write()

    def deinit(self):
        self.show(0, 0, 0)
