"""What an update costs (issue 24): the time to apply a 60 KB bundle, and the most heap it holds meanwhile.

    mpremote run tools/bench/update.py    on a board with the app on it (make deploy), as files or frozen

A bundle of 30 files of 2 KB (60 KB, signed as tools/bundle.py signs one) is streamed through iot.update's
apply() from bytes made here, as a socket would hand them over: each file hashed and written to the flash,
the folder renamed and the slot switched, all inside a folder of its own (bench_update.d, removed after),
so the board's own slots and its next boot are untouched. Prints one `BENCH {json}` line per figure, as
tools/bench/suite.py does: the apply's time (median of 3, wall time on the host, the board's own clock on
a board), and on MicroPython, first, the peak live heap over the heap before iot.update was imported,
sampled after a collection at every read of the stream.
"""
import binascii
import gc
import hashlib
import json
import os
import sys
import time

import asyncio

SIZE = 60 * 1024
FILE = 2048
RUNS = 3
KEY = "bench-update-key-0123456789"
WORK = "bench_update.d"
HEAP_TARGET = 8 * 1024  # issue 24: whatever the bundle's size
MICROPYTHON = sys.implementation.name == "micropython"


def ms():
    return time.ticks_ms() if MICROPYTHON else time.monotonic_ns() // 1000000  # type: ignore[attr-defined]


def figure(key, name, unit, values, target=None, met=None):
    values = sorted(values)
    print("BENCH " + json.dumps({"key": key, "name": name, "unit": unit, "min": values[0],
                                 "median": values[len(values) // 2], "max": values[-1], "runs": len(values),
                                 "target": target, "met": met, "note": ""}))


def pieces(family, mpy):
    """The bundle as the pieces a stream hands over: magic, header, signature, the table, then each file's bytes."""
    from iot.update import MAGIC, hmac_sha256

    data = b"x" * FILE
    digest = binascii.hexlify(hashlib.sha256(data).digest()).decode()
    lines = [("bench/f%02d.mpy %d %s\n" % (i, FILE, digest)).encode() for i in range(SIZE // FILE)]
    table = binascii.hexlify(hashlib.sha256(b"".join(lines)).digest()).decode()
    header = json.dumps({"version": "99.0.0", "mpy": mpy, "family": family, "files": len(lines),
                         "bytes": FILE * len(lines), "table": table}).encode()
    signature = binascii.hexlify(hmac_sha256(KEY.encode(), header))
    return [MAGIC, header + b"\n", signature + b"\n"] + lines + [data] * len(lines)


class Stream:
    """read(n) over the pieces, as a socket's; with `sample`, the live heap after a collection at each read."""

    def __init__(self, parts, sample=False):
        self.parts = parts
        self.i = self.at = 0
        self.sample = sample
        self.peak = 0

    async def read(self, n):
        if self.sample:
            gc.collect()
            self.peak = max(self.peak, gc.mem_alloc())  # type: ignore[attr-defined]
        if self.i >= len(self.parts):
            return b""
        part = self.parts[self.i]
        out = part[self.at:self.at + n]
        self.at += len(out)
        if self.at >= len(part):
            self.i += 1
            self.at = 0
        return out


def clear():
    from iot.update import remove_tree

    remove_tree(WORK)


async def main():
    import slots  # noqa: F401  (as main.py has it at every boot: found from the root, before the chdir below)
    from iot.compat import unload
    from iot.update import family, mpy_version

    parts = pieces(family(), mpy_version())
    del family, mpy_version
    here = os.getcwd()
    clear()
    os.mkdir(WORK)
    try:
        if MICROPYTHON:  # first, while nothing of an earlier apply can linger in the heap
            unload("iot.update")
            await asyncio.sleep_ms(0)
            gc.collect()
            before = gc.mem_alloc()  # type: ignore[attr-defined]
            from iot import update  # from the root: the app's files are found there (a board's sys.path has "")

            os.chdir(WORK)  # slots.d inside it: the board's own slots are never touched
            gc.collect()
            loaded = gc.mem_alloc()  # type: ignore[attr-defined]
            stream = Stream(parts, sample=True)
            await update.apply(stream.read, KEY, update.family())
            peak = stream.peak - before
            figure("update_peak_heap", "an update: the most live heap it holds, over the heap before it (iot.update "
                   "included)", "bytes", [peak], "<= %d" % HEAP_TARGET, peak <= HEAP_TARGET)
            figure("update_stream_heap", "an update: of that, what streaming it takes (file, chunk, hashes; the "
                   "same for any size)", "bytes", [stream.peak - loaded])
        else:
            from iot import update

            os.chdir(WORK)
        times = []
        for _ in range(RUNS):
            start = ms()
            await update.apply(Stream(parts).read, KEY, update.family())
            times.append(ms() - start)
        figure("update_apply_ms", "an update: a 60 KB bundle (30 files) applied, from its first byte to the slot "
               "switched", "ms", times)
    finally:
        os.chdir(here)
        clear()


asyncio.run(main())
