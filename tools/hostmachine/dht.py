"""Stand-in for MicroPython's dht on the host, over the DHT11s and DHT22s tools/hostmachine/parts.py puts on a pin."""
import parts


class _DHT:
    part = "dht22"

    def __init__(self, pin):
        self.pin = pin._id
        self.values = None

    def measure(self):
        s = parts.state(self.part, pin=(self.pin, None))
        if not s or s.get("fault") == "nack":
            raise OSError(110)  # ETIMEDOUT, as the port's dht_readinto
        if s.get("fault") == "crc":
            raise Exception("checksum error")
        self.values = (s.get("temp", 25), s.get("rh", 50))

    def temperature(self):
        return self.values[0]

    def humidity(self):
        return self.values[1]


class DHT22(_DHT):
    part = "dht22"


class DHT11(_DHT):
    part = "dht11"
