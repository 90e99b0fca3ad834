"""Maxim DS18B20: temperature over 1-Wire, with MicroPython's own `onewire` and `ds18x20`. Several may share one
pin, told apart by their ROM codes (`"rom": "28ff4c2b61150312"`: `sensors` lists those it finds); a conversion
takes 750 ms, slept through."""
from machine import Pin

from iot import IOTError
from iot.compat import sleep_ms

SETTINGS = {"pin": ("io", "required"), "rom": ("text", None)}
QUANTITIES = (("temperature", "°C", "temperature", 1, -55, 125),)
MIN_INTERVAL_S = 1
CONVERSION_MS = 750  # 12 bits, the datasheet's maximum
POWER_ON = 85.0  # what the scratchpad holds before any conversion: a part that lost power meanwhile


def bus_key(spec):
    return "onewire%s" % spec["pin"]


def open_bus(spec):
    import ds18x20
    import onewire

    return ds18x20.DS18X20(onewire.OneWire(Pin(spec["pin"])))


def check(spec):
    rom = spec["rom"]
    if rom is not None and (len(rom) != 16 or [c for c in rom if c not in "0123456789abcdef"]):
        return "rom must be a ROM code of 16 lower-case hex digits"
    return None


class Driver:
    def __init__(self, spec, bus):
        self.bus = bus
        self.pin = spec["pin"]
        self.wanted = spec["rom"]
        self.rom = None  # found at the first read

    def _find(self):
        roms = self.bus.scan()
        codes = ["".join(["%02x" % b for b in rom]) for rom in roms]
        if self.wanted is not None:
            if self.wanted not in codes:
                raise IOTError("no DS18B20 %s on GP%s (found: %s)" % (self.wanted, self.pin,
                                                                       ", ".join(codes) or "none"))
            return roms[codes.index(self.wanted)]
        if len(roms) != 1:
            raise IOTError("%s on GP%s: give its rom (found: %s)" % (
                "no DS18B20" if not roms else "%d DS18B20s" % len(roms), self.pin, ", ".join(codes) or "none"))
        return roms[0]

    async def read(self):
        try:
            if self.rom is None:
                self.rom = self._find()
            self.bus.convert_temp()
            await sleep_ms(CONVERSION_MS)
            t = self.bus.read_temp(self.rom)
        except IOTError:
            raise
        except Exception as e:  # onewire.OneWireError: no presence pulse; "CRC error" from ds18x20
            self.rom = None  # looked for again next time: it may have been swapped
            raise IOTError("no answer on GP%s: %r" % (self.pin, e))
        if t == POWER_ON:
            raise IOTError("it reads its power-on 85 °C: no conversion (a loose power wire?)")
        return (t,)
