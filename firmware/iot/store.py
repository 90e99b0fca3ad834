"""User programs on the board's flash, in one JSON file written atomically.

save() writes a temporary file and renames it over the old one, so a power cut
leaves the old file or the new one, never half of one. load() never fails: a
missing file is no programs; one that cannot be loaded (too big, nested too
deep, not UTF-8, not JSON, not the right shape) is renamed to `<path>.bad` and
reported; a leftover temporary file from a cut during rename is taken up.
"""
import json
import os

from iot import IOTError, jsontext
from iot.compat import sleep_ms

MAX_BYTES = 32768  # the file is read whole: it must fit in the heap beside the app


def file_size(path):
    """The file's size in bytes, or None if there is none."""
    try:
        return os.stat(path)[6]
    except OSError:
        return None


def write_whole(path, text):
    """`text` as the file at `path`, atomically: written whole under path.tmp, then renamed over it (a power cut
    leaves the old file or the new, never half of one). OSError if the flash refuses."""
    with open(path + ".tmp", "w") as f:
        f.write(text)
    put_in_place(path + ".tmp", path)


def put_in_place(tmp, path):
    try:
        os.rename(tmp, path)
    except OSError:  # FAT cannot rename over a file (LittleFS, a Pico's and an ESP32's, can)
        os.remove(path)
        os.rename(tmp, path)


class ProgramStore:
    def __init__(self, path="programs.json"):
        self.path = path
        self.tmp = path + ".tmp"

    def load(self):
        """({name: program}, {name: mode}, problem line or None)."""
        path = self.path
        if file_size(path) is None and file_size(self.tmp) is not None:
            os.rename(self.tmp, path)  # the cut came between writing and renaming
        size = file_size(path)
        if size is None:
            return {}, {}, None
        try:
            if size > MAX_BYTES:
                raise IOTError("it is %d bytes, over %d" % (size, MAX_BYTES))
            with open(path, "rb") as f:
                raw = f.read(size)  # its size at once: a read that grows its buffer would need twice the heap
            text = jsontext.decode(raw, "it")
            del raw
            data = jsontext.loads(text, MAX_BYTES, "it")
            del text
        except IOTError as e:
            return {}, {}, self.set_aside(str(e))
        except MemoryError:
            return {}, {}, self.set_aside("it does not fit in the heap beside the app")
        if type(data) is not dict or type(data.get("programs", {})) is not dict \
                or type(data.get("modes", {})) is not dict:
            return {}, {}, self.set_aside('it is not {"programs": {...}, "modes": {...}}')
        return data.get("programs", {}), data.get("modes", {}), None

    def set_aside(self, why):
        """Rename the file to <path>.bad (replacing an older one); the line that says so."""
        bad = self.path + ".bad"
        try:
            os.remove(bad)
        except OSError:
            pass
        try:
            os.rename(self.path, bad)
        except OSError as e:  # gone, or the flash refuses: the boot goes on all the same
            return "%s: %s; cannot set it aside (%s), starting without user programs" % (self.path, why, e)
        return "%s: %s; set aside as %s, starting without user programs" % (self.path, why, bad)

    async def save(self, programs, modes, slice=8):
        """Write the programs a few at a time, yielding to the loop between (a long save must not
        hold up the devices' timers), then put the file in place at once."""
        try:
            with open(self.tmp, "w") as f:
                f.write('{"modes": %s, "programs": {' % json.dumps(modes))
                for i, name in enumerate(list(programs)):  # a define meanwhile changes the dict
                    if i:
                        f.write(", ")
                        if i % slice == 0:
                            await sleep_ms(0)
                    f.write(json.dumps(name))
                    f.write(": ")
                    f.write(json.dumps(programs[name]))
                f.write("}}")
            put_in_place(self.tmp, self.path)
        except OSError as e:
            raise IOTError("cannot write %s: %s" % (self.path, e))
