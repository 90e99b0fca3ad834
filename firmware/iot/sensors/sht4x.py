"""Sensirion SHT4x (SHT40/41/45): temperature and humidity over I2C, from its datasheet: a measure command, its
conversion time (a sleep), six bytes with a CRC-8 per word."""
from iot import IOTError
from iot.compat import sleep_ms
from iot.sensors import i2c

SETTINGS = dict(i2c.SETTINGS, address=("int", 0x44, 0x46, 0x44),
                precision=("choice", ("high", "medium", "low"), "high"))
QUANTITIES = (("temperature", "°C", "temperature", 1, -40, 125), ("humidity", "%", "humidity", 1, 0, 100))
MIN_INTERVAL_S = 1
# precision -> (command, its conversion time in ms: the datasheet's maximum, 8.3 / 4.5 / 1.7 ms, rounded up)
COMMANDS = {"high": (0xFD, 9), "medium": (0xF6, 5), "low": (0xE0, 2)}
bus_key = i2c.bus_key
open_bus = i2c.open_bus


class Driver(i2c.Part):
    def __init__(self, spec, bus):
        super().__init__(spec, bus)
        command, self.wait_ms = COMMANDS[spec["precision"]]
        self.command = bytes([command])
        self.result = bytearray(6)

    async def read(self):
        try:
            self.bus.writeto(self.address, self.command)
            await sleep_ms(self.wait_ms)
            self.bus.readfrom_into(self.address, self.result)
        except OSError as e:
            raise self.no_answer(e)
        r = self.result
        if i2c.crc8(r, 0, 2) != r[2] or i2c.crc8(r, 3, 5) != r[5]:
            raise IOTError("CRC error in its answer")
        t = -45 + 175 * (r[0] << 8 | r[1]) / 65535
        rh = -6 + 125 * (r[3] << 8 | r[4]) / 65535
        return t, min(100, max(0, rh))  # the datasheet's advice: a humidity past 0..100 % is clipped
