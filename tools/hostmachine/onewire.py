"""Stand-in for MicroPython's onewire on the host: a 1-Wire line with the DS18B20s tools/hostmachine/parts.py puts
on its pin."""


class OneWireError(Exception):
    pass


class OneWire:
    def __init__(self, pin):
        self.pin = pin._id
