"""User programs on the board's flash, in one JSON file written atomically.

save() writes a temporary file and renames it over the old one, so a power cut
leaves the old file or the new one, never half of one. load() never fails: a
missing file is no programs, a corrupt one is renamed to `<path>.bad` and
reported, and a leftover temporary file from a cut during rename is taken up.
"""
import json
import os

from iot import IOTError


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


class ProgramStore:
    def __init__(self, path="programs.json"):
        self.path = path
        self.tmp = path + ".tmp"

    def load(self):
        """({name: program}, {name: mode}, problem line or None)."""
        path = self.path
        if not _exists(path) and _exists(self.tmp):
            os.rename(self.tmp, path)  # the cut came between writing and renaming
        try:
            with open(path) as f:
                data = json.loads(f.read())
        except OSError:
            return {}, {}, None
        except ValueError:
            return {}, {}, self._set_aside("not valid JSON")
        if type(data) is not dict or type(data.get("programs", {})) is not dict \
                or type(data.get("modes", {})) is not dict:
            return {}, {}, self._set_aside('not {"programs": {...}, "modes": {...}}')
        return data.get("programs", {}), data.get("modes", {}), None

    def _set_aside(self, why):
        bad = self.path + ".bad"
        try:
            os.remove(bad)
        except OSError:
            pass
        os.rename(self.path, bad)
        return "%s: %s; set aside as %s, starting without user programs" % (self.path, why, bad)

    def save(self, programs, modes):
        text = json.dumps({"programs": programs, "modes": modes})
        try:
            with open(self.tmp, "w") as f:
                f.write(text)
            try:
                os.rename(self.tmp, self.path)
            except OSError:  # FAT cannot rename over a file: the .tmp stays until it can
                os.remove(self.path)
                os.rename(self.tmp, self.path)
        except OSError as e:
            raise IOTError("cannot write %s: %s" % (self.path, e))
