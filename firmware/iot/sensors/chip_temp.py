"""The microcontroller's own temperature: the RP2040's sensor on ADC channel 4, through the datasheet's formula
(27 °C at 0.706 V, -1.721 mV per degree); an ESP32's from the port where it has one. It reads the die, a few
degrees over the room: a sign of the board's health, not a room thermometer."""
import sys

from iot.compat import sleep_ms

SETTINGS = {}  # type: dict
QUANTITIES = (("temperature", "°C", "temperature", 1, -40, 125),)
MIN_INTERVAL_S = 1
SAMPLES = 8  # averaged, a loop turn apart: 1 count is 0.47 °C


class Driver:
    def __init__(self, spec, bus):
        if sys.platform == "esp32":
            import esp32

            self.esp32 = esp32
            self.adc = None
        else:
            from machine import ADC

            self.adc = ADC(4)

    async def read(self):
        if self.adc is None:
            if hasattr(self.esp32, "mcu_temperature"):  # the S2, S3, C3 and C6
                return (self.esp32.mcu_temperature(),)
            return ((self.esp32.raw_temperature() - 32) / 1.8,)  # the first ESP32: Fahrenheit
        total = 0
        for _ in range(SAMPLES):
            total += self.adc.read_u16()
            await sleep_ms(0)
        volts = total / SAMPLES * 3.3 / 65535
        return (27 - (volts - 0.706) / 0.001721,)
