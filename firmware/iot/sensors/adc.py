"""A voltage on one of the board's ADC pins, or a value through a linear calibration of two points (a light level,
a soil moisture probe: `"calibration": [[0.5, 0], [2.8, 100]]`, volts to values, with its own unit)."""
from machine import ADC, Pin

from iot.compat import sleep_ms

SETTINGS = {"pin": ("adc", "required"), "calibration": ("any", None)}
QUANTITIES = (("voltage", "V", "voltage", 2, None, None),)
MIN_INTERVAL_S = 1
FULL_SCALE_V = 3.3  # the Pico's and an ESP32's (at 11 dB) reference
SAMPLES = 8  # averaged, a loop turn apart: the RP2040's ADC is noisy by a few counts


def check(spec):
    points = spec["calibration"]
    if points is None:
        return None
    if type(points) is not list or len(points) != 2 or [p for p in points if type(p) is not list or len(p) != 2 or
                                                         [x for x in p if type(x) not in (int, float)]] \
            or points[0][0] == points[1][0]:
        return "calibration must be two points [[volts, value], [volts, value]] at two voltages"
    if spec["unit"] is None:
        return 'calibration: give the value\'s unit too ("unit": "%")'
    return None


class Driver:
    def __init__(self, spec, bus):
        self.adc = ADC(Pin(spec["pin"]))
        self.points = spec["calibration"]

    async def read(self):
        total = 0
        for _ in range(SAMPLES):
            total += self.adc.read_u16()
            await sleep_ms(0)
        volts = total / SAMPLES * FULL_SCALE_V / 65535
        if self.points is None:
            return (volts,)
        (v0, y0), (v1, y1) = self.points
        return (y0 + (volts - v0) * (y1 - y0) / (v1 - v0),)
