"""Stand-in for MicroPython's `neopixel` on the host: write() records the strip in the pin trace.

    {"t_us": int, "pin": id, "rgb": [r, g, b]}   every pixel shows this colour
    {"t_us": int, "pin": id, "pixels": [[r, g, b], ...]}   otherwise
Only writes that change what the strip shows are recorded.
"""
import machine


class NeoPixel:
    ORDER = (1, 0, 2, 3)

    def __init__(self, pin, n, bpp=3, timing=1):
        self.pin = pin
        self.n = n
        self.bpp = bpp
        self._pixels = [(0,) * bpp] * n
        self._shown = None

    def __len__(self):
        return self.n

    def __setitem__(self, i, v):
        self._pixels[i] = tuple(v)

    def __getitem__(self, i):
        return self._pixels[i]

    def fill(self, v):
        self._pixels = [tuple(v)] * self.n

    def write(self):
        if self._pixels == self._shown:
            return
        self._shown = list(self._pixels)
        first = self._pixels[0]
        if self._pixels.count(first) == self.n:
            machine._record({"pin": self.pin._id, "rgb": list(first)})
        else:
            machine._record({"pin": self.pin._id, "pixels": [list(p) for p in self._pixels]})
