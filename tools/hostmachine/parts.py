"""Sensor parts on the host's buses, for the stub machine's I2C and ADC and the stub onewire, ds18x20 and dht: what a
test sets, applied on the trace's clock (machine.now_us: simulated time when the run is on it).

The environment variable IOT_PARTS names a JSON file: a list of settings, each from its time on,

    {"at_ms": 0, "part": "sht4x", "bus": 0, "address": 68, "temp": 23.5, "rh": 55}
    {"at_ms": 0, "part": "aht20", "bus": 0, "temp": 21, "rh": 40}
    {"at_ms": 0, "part": "ds18b20", "pin": 22, "rom": "28ff4c2b61150312", "temp": 19.5}
    {"at_ms": 0, "part": "dht22", "pin": 15, "temp": 20, "rh": 50}        (or "dht11")
    {"at_ms": 0, "part": "adc", "pin": 26, "volts": 1.65}                 (pin 4: the chip's sensor, "temp")
    {"at_ms": 9000, "part": "sht4x", "bus": 0, "address": 68, "fault": "crc"}   crc | nack | null (none)

A part is there from its first setting on. The I2C parts follow their datasheets as the emulated Pico's models do
(a read before the conversion is done is NACKed, CRC-8 0x31/0xFF): the tests' own stand-in, never the test of a
driver against someone else's part, which is the emulated Pico's (make test-board).
"""
import json
import os

_path = os.getenv("IOT_PARTS")
LOG = []  # (ms, bus, address, "w" or "r") of every I2C transfer that reached a part: a test sees the bus's turns
SETTINGS = []
if _path:
    with open(_path) as f:
        SETTINGS = json.load(f)


def now_ms():
    from machine import now_us

    return now_us() / 1000


def state(part, **where):
    """The part's settings in force now ({} if it is not there yet), merged from its first on."""
    now = now_ms()
    out = {}
    for s in SETTINGS:
        if s["part"] == part and s["at_ms"] <= now and all(s.get(k, d) == v for k, (v, d) in where.items()):
            out.update(s)
    return out


def crc8(data):
    crc = 0xFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc << 1) ^ 0x31 if crc & 0x80 else crc << 1
        crc &= 0xFF
    return crc


def _word(value, bad):
    w = bytes([value >> 8 & 255, value & 255])
    return w + bytes([crc8(w) ^ (0xFF if bad else 0)])


class Sht4x:
    TIMES = {0xFD: 8.3, 0xF6: 4.5, 0xE0: 1.7}

    def __init__(self, bus, address):
        self.where = {"bus": (bus, 0), "address": (address, 0x44)}
        self.ready_at = None
        self.result = None

    def settings(self):
        return state("sht4x", **self.where)

    def write(self, data):
        s = self.settings()
        if not s or s.get("fault") == "nack" or self.busy() or len(data) != 1 or data[0] not in self.TIMES:
            raise OSError(5)
        t = round((s.get("temp", 25) + 45) * 65535 / 175)
        rh = round((s.get("rh", 50) + 6) * 65535 / 125)
        bad = s.get("fault") == "crc"
        self.result = _word(t, bad) + _word(rh, bad)
        self.ready_at = now_ms() + self.TIMES[data[0]]

    def busy(self):
        return self.ready_at is not None and now_ms() < self.ready_at

    def read(self, n):
        s = self.settings()
        if not s or s.get("fault") == "nack" or self.busy() or self.result is None:
            raise OSError(5)
        out, self.result = self.result, None
        return out[:n]


class Aht20:
    def __init__(self, bus, address):
        self.where = {"bus": (bus, 0)}
        self.ready_at = None
        self.result = bytes(6)

    def settings(self):
        return state("aht20", **self.where)

    def write(self, data):
        s = self.settings()
        if not s or s.get("fault") == "nack":
            raise OSError(5)
        if bytes(data) == b"\xac\x33\x00" and not self.busy():
            rh = round(s.get("rh", 50) / 100 * (1 << 20))
            t = round((s.get("temp", 25) + 50) / 200 * (1 << 20))
            self.result = bytes([rh >> 12 & 255, rh >> 4 & 255, (rh & 15) << 4 | t >> 16 & 15, t >> 8 & 255, t & 255])
            self.ready_at = now_ms() + 80

    def busy(self):
        return self.ready_at is not None and now_ms() < self.ready_at

    def read(self, n):
        s = self.settings()
        if not s or s.get("fault") == "nack":
            raise OSError(5)
        body = bytes([0x98 if self.busy() else 0x18]) + self.result
        return (body + bytes([crc8(body) ^ (0xFF if s.get("fault") == "crc" else 0)]))[:n]


I2C_PARTS = {"sht4x": Sht4x, "aht20": Aht20}
_i2c = {}  # (bus, address) -> its part


def i2c_part(bus, address):
    """The part at `address` on I2C `bus`, if one is set there by now; else None (the address NACKs)."""
    key = (bus, address)
    if key not in _i2c:
        for s in SETTINGS:
            if s["part"] in I2C_PARTS and s.get("bus", 0) == bus and \
                    s.get("address", 0x44 if s["part"] == "sht4x" else 0x38) == address:
                _i2c[key] = I2C_PARTS[s["part"]](bus, address)
                break
    return _i2c.get(key)


def adc_volts(pin):
    """An ADC input's voltage now (pin 4: the RP2040's temperature sensor, from its "temp")."""
    s = state("adc", pin=(pin, None))
    if pin == 4:
        return 0.706 - (s.get("temp", 27) - 27) * 0.001721
    return s.get("volts", 0)
