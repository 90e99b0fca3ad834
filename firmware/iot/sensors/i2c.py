"""What the I2C sensor kinds share: the bus (one machine.I2C per bus for all the parts on it), Sensirion's and
Aosong's CRC-8, and an I2C error in words."""
from machine import I2C, Pin

from iot import IOTError

FREQ = 100_000  # standard mode: every part on the bus takes it, on any wiring length a maker uses
# what every I2C sensor says in config.json: its bus, that bus's pins (the board's own for it if not given) and the
# part's address (each kind gives its own default)
SETTINGS = {"bus": ("int", 0, 1, 0), "sda": ("sda", None), "scl": ("scl", None)}


def bus_key(spec):
    return "i2c%d" % spec["bus"]


def open_bus(spec):
    return I2C(spec["bus"], sda=Pin(spec["sda"]), scl=Pin(spec["scl"]), freq=FREQ)


def crc8(data, start, end):
    """CRC-8 of data[start:end]: polynomial 0x31, initial 0xFF (the SHT4x's and the AHT20's datasheets)."""
    crc = 0xFF
    for i in range(start, end):
        crc ^= data[i]
        for _ in range(8):
            crc = (crc << 1) ^ 0x31 if crc & 0x80 else crc << 1
        crc &= 0xFF
    return crc


class Part:
    """An I2C part's driver: the bus it is on, its address, and where it is as its errors say it."""

    def __init__(self, spec, bus):
        self.bus = bus
        self.address = spec["address"]
        self.where = "0x%02x on I2C%d (GP%s/GP%s)" % (spec["address"], spec["bus"], spec["sda"], spec["scl"])

    def no_answer(self, e):
        """The IOTError for the part not answering (an OSError from machine.I2C)."""
        return IOTError("no answer at %s: %s" % (self.where, e))
