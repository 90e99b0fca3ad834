"""Aosong AHT20: temperature and humidity over I2C, from its datasheet: calibrate if the status says so, trigger a
measurement, wait 80 ms (a sleep), read the status and the 20-bit results with their CRC-8."""
from iot import IOTError
from iot.compat import sleep_ms
from iot.sensors import i2c

SETTINGS = dict(i2c.SETTINGS, address=("int", 0x38, 0x38, 0x38))
QUANTITIES = (("temperature", "°C", "temperature", 1, -40, 85), ("humidity", "%", "humidity", 1, 0, 100))
MIN_INTERVAL_S = 1
TRIGGER = b"\xac\x33\x00"
CALIBRATE = b"\xbe\x08\x00"
BUSY, CALIBRATED = 0x80, 0x08
CONVERSION_MS = 80
MORE_MS = 20  # and this more, up to twice, while its status still says busy
bus_key = i2c.bus_key
open_bus = i2c.open_bus


class Driver(i2c.Part):
    def __init__(self, spec, bus):
        super().__init__(spec, bus)
        self.status = bytearray(1)
        self.result = bytearray(7)

    async def read(self):
        r = self.result
        try:
            self.bus.readfrom_into(self.address, self.status)
            if not self.status[0] & CALIBRATED:
                self.bus.writeto(self.address, CALIBRATE)
                await sleep_ms(10)
            self.bus.writeto(self.address, TRIGGER)
            await sleep_ms(CONVERSION_MS)
            for _ in range(3):
                self.bus.readfrom_into(self.address, r)
                if not r[0] & BUSY:
                    break
                await sleep_ms(MORE_MS)
        except OSError as e:
            raise self.no_answer(e)
        if r[0] & BUSY:
            raise IOTError("still busy %d ms after the trigger" % (CONVERSION_MS + 2 * MORE_MS))
        if i2c.crc8(r, 0, 6) != r[6]:
            raise IOTError("CRC error in its answer")
        rh = (r[1] << 12 | r[2] << 4 | r[3] >> 4) * 100 / 1048576
        t = ((r[3] & 0x0F) << 16 | r[4] << 8 | r[5]) * 200 / 1048576 - 50
        return t, rh
