"""Stand-in for MicroPython's ds18x20 on the host, over the DS18B20s tools/hostmachine/parts.py puts on a pin: a
conversion takes 750 ms, and a read before one is done gives the scratchpad's power-on 85 °C, as the part does."""
import parts
from onewire import OneWireError


class DS18X20:
    def __init__(self, onewire):
        self.pin = onewire.pin
        self.converted = {}  # rom -> (the time its conversion is done, its value)

    def _present(self):
        now = {}
        for s in parts.SETTINGS:
            if s["part"] == "ds18b20" and s["pin"] == self.pin and s["at_ms"] <= parts.now_ms():
                now.setdefault(s["rom"], {}).update(s)
        return {rom: s for rom, s in now.items() if s.get("fault") != "nack"}

    def scan(self):
        return [bytes.fromhex(rom) for rom in sorted(self._present())]

    def convert_temp(self):
        present = self._present()
        if not present:
            raise OneWireError()
        for rom, s in present.items():  # done within 750 ms: a millisecond less here, as the firmware's sleep of
            # 750 counts whole ms of its ticks, and this clock fractions of one
            self.converted[rom] = (parts.now_ms() + 749, s.get("temp", 25))

    def read_temp(self, rom):
        code = "".join(["%02x" % b for b in rom])
        s = self._present().get(code)
        if s is None:
            raise OneWireError()
        if s.get("fault") == "crc":
            raise Exception("CRC error")
        done_at, value = self.converted.get(code, (0, 85.0))
        return 85.0 if parts.now_ms() < done_at else value
