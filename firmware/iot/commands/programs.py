"""The programs by name, built in and the user's, and all that is done with them: each checked and planned once
(iot.program.compile_program, through the service), at its first use or when it is defined, and kept (running it
parses nothing); defined, given a mode, planned, listed, saved to the flash and loaded at boot.

What the user defines is budgeted twice, so that what `save` writes is what the next boot loads: by its
bytes in programs.json, and by the heap it takes to load. At boot the programs' objects are built while the
file is read whole (its bytes, then its text: twice its size), and the boot must go on after; the objects
are the same now as then, so the heap free now beside them must hold that reading and the boot's own need
(LOAD_ROOM). A board with less heap gets a smaller budget: it is asked of the heap, not written down.
"""
import json
import sys

from iot import IOTError
from iot import program as prog
from iot.commands.parse import MAX_LINE, check_name, split
from iot.compat import heap_free, sleep_ms
from iot.store import MAX_BYTES, ProgramStore

MODES = ("single", "restart", "queued", "parallel")
MAX_PROGRAMS = 256  # user programs
MAX_SAVED = MAX_BYTES - 1024  # the user programs, as JSON: room in programs.json for the modes
SLICE = 8  # programs listed between two yields to the loop
# Heap the boot needs once the programs are loaded: a song to parse (the built-in wake_up's), a run, a listing,
# the network's replies. Twice on a 64-bit host (the unix port), whose objects are twice the size.
LOAD_ROOM = 16384 if sys.maxsize < 1 << 32 else 32768


def _saved_bytes(name, program):
    """About what a program takes in programs.json: its JSON, its name and the punctuation around."""
    return len(json.dumps(program)) + len(name) + 8


class Programs:
    """`builtin`: {name: a function that makes it}; `store`: the path of the file the user's are saved in
    (iot.store.ProgramStore's), or None. The one owner of the programs' state: the user's programs, their
    modes, their compiled forms and their bytes in the file."""

    def __init__(self, service, builtin, store=None, write=print):
        self.service = service
        self.builtin = builtin
        self.store = store
        self.write = write
        self._forget()

    def _forget(self):
        """No user program at all."""
        self.user = {}
        self.modes = {}
        self.cache = {}  # name -> the program checked and planned (iot.program.Compiled), at its first use
        self.sizes = {}  # user program name -> its bytes in programs.json
        self.saved = 0  # their sum: kept under MAX_SAVED, so that what is saved loads again

    def names(self):
        """The built-in programs' names and the user's."""
        return set(self.builtin) | set(self.user)

    def mode(self, name):
        return self.modes.get(name, "single")

    def get(self, text):
        """A program given by name or as JSON, compiled (checked and planned)."""
        if not text:
            raise IOTError("which program? give its name or its JSON")
        if text[0] in "{[":
            return self.service.compile(self.parse(text))
        return self.compiled(text)

    def parse(self, text):
        """A program given as JSON, as data; IOTError if it is no JSON."""
        from iot import jsontext

        try:
            return jsontext.loads(text, MAX_LINE, "the program")
        except IOTError as e:
            raise IOTError("bad JSON: %s" % e)

    def compiled(self, name):
        """A named program compiled once, at its first use, and kept."""
        compiled = self.cache.get(name)
        if compiled is None:
            compiled = self.cache[name] = self.service.compile(self.named(name))
        return compiled

    def named(self, name):
        """A program's data: the user's as defined; a built-in one made now (`builtin`: {name: its maker})."""
        if name in self.user:
            return self.user[name]
        if name in self.builtin:
            return self.builtin[name]()
        raise IOTError("no program %r; programs: %s" % (name, ", ".join(sorted(self.names()))))

    def load(self):
        """Take up the saved programs; each one that no longer validates is reported and left out. A file whose
        programs do not fit in the heap, or that this board could not have saved (_loadable), is set aside whole:
        the boot goes on with the built-in ones."""
        if self.store is None:
            return
        store = ProgramStore(self.store)
        try:
            self._take_up(*store.load())
            if self.user:
                free = heap_free()
                if free is not None and free < self._load_need(self.saved):
                    raise MemoryError  # more than this board could have saved
        except MemoryError:
            self._forget()
            self.write("event: " + store.set_aside("it does not fit in the heap beside the app"))

    def _take_up(self, saved, modes, problem):
        """The programs and modes read from programs.json (`saved`), each checked and compiled."""
        if problem:
            self.write("event: " + problem)
        for name in saved:
            try:
                check_name(name)
                if len(self.user) >= MAX_PROGRAMS:
                    raise IOTError("more than %d programs" % MAX_PROGRAMS)
                if name in self.builtin:
                    raise IOTError("%s is built in" % name)
                self.cache[name] = self.service.compile(saved[name])  # checked and planned once, kept
                self.user[name] = saved[name]
                self.sizes[name] = _saved_bytes(name, saved[name])
                self.saved += self.sizes[name]
            except IOTError as e:
                self.write("event: %s: saved program %r left out: %s" % (self.store, name, e))
        known = self.names()
        for name in modes:
            if modes[name] in MODES and name in known:
                self.modes[name] = modes[name]

    def plan(self, text):
        """`plan <program or JSON>`: its critical path and its steps one after another."""
        compiled = self.get(text)
        return "%s: %s critical path, %d ms one after another%s" % (
            "program" if text[:1] in "{[" else text, compiled.planned, compiled.serial_ms,
            ", and more" if compiled.unknown else "")

    async def describe(self, running):
        """Every program, by name: its mode and planned time (or why it cannot run), user's or built in,
        and how many runs it has going (`running(name)`)."""
        out = []
        for i, name in enumerate(sorted(self.names())):
            if i % SLICE == SLICE - 1:
                await sleep_ms(0)  # a long list must not hold up the loop (and the devices' timers)
            about = {"name": name, "mode": self.mode(name), "user": name in self.user, "running": running(name)}
            try:
                about["planned_ms"] = self.compiled(name).planned_ms
            except IOTError as e:  # a built-in program on a device that did not connect
                about["error"] = str(e)
            out.append(about)
        return out

    async def listing(self, running):
        """`programs`: each one in a few words."""
        parts = []
        for p in await self.describe(running):
            if "error" in p:
                what = ["cannot run: %s" % p["error"]]
            else:
                what = [p["mode"], "%d ms" % p["planned_ms"]]
            if p["user"]:
                what.append("user")
            if p["running"]:
                what.append("running %d" % p["running"])
            parts.append("%s (%s)" % (p["name"], ", ".join(what)))
        return ", ".join(parts)

    def define(self, rest):
        """`define <name> [mode] <JSON>`: checked and planned as `run` would, and within the saved budget."""
        name, _, text = rest.partition(" ")
        text = text.strip()
        mode = None
        if text[:1] not in "{[":
            mode, _, text = text.partition(" ")
            text = text.strip()
            if mode not in MODES:
                raise IOTError("define %s: %r is no mode (%s); the program is JSON" % (name, mode, ", ".join(MODES)))
        check_name(name)
        if name in self.builtin:
            raise IOTError("%s is built in; pick another name" % name)
        if not text:
            raise IOTError("define <name> [mode] <program as JSON>")
        if name not in self.user and len(self.user) >= MAX_PROGRAMS:
            raise IOTError("there are %d programs, the most there can be" % MAX_PROGRAMS)
        program = self.parse(text) if text[0] in "{[" else self.named(text)
        compiled = self.service.compile(program)
        size = _saved_bytes(name, program)
        total = self.saved + size - self.sizes.get(name, 0)
        if total > MAX_SAVED:
            raise IOTError("the programs would take %d bytes, over the %d the flash file holds" % (total, MAX_SAVED))
        self._loadable(total, "define %s: nothing defined" % name)
        self.user[name] = program
        self.sizes[name] = size
        self.saved = total
        self.cache[name] = compiled
        if mode:
            self.modes[name] = mode
        return "defined %s (planned %d ms); save keeps it" % (name, compiled.planned_ms)

    def set_mode(self, rest):
        """`mode <program> <mode>`."""
        words = split(rest)
        if len(words) != 2 or words[1] not in MODES:
            raise IOTError("mode <program> %s" % "|".join(MODES))
        self.named(words[0])
        self.modes[words[0]] = words[1]
        return "%s mode %s" % (words[0], words[1])

    def _load_need(self, saved):
        """Heap to boot with programs of `saved` bytes beside those programs: reading their file, then LOAD_ROOM."""
        return 2 * (saved + len(json.dumps(self.modes)) + 32) + LOAD_ROOM

    def _loadable(self, saved, refused):
        """IOTError (`refused`, and the budget) unless a boot could load programs of `saved` bytes, as they
        are in the heap now, back (see the module's docstring)."""
        free = heap_free()
        need = self._load_need(saved)
        if free is not None and free < need:
            raise IOTError("%s: this board could not load the programs back at boot (reading their file takes "
                           "%d bytes of heap beside them, and %d are free); define fewer or shorter ones"
                           % (refused, need, free))

    async def save(self):
        if self.store is None:
            raise IOTError("no storage here")
        self._loadable(self.saved, "not saved, the old file kept")
        await ProgramStore(self.store).save(self.user, self.modes)
        return "saved %d programs to %s" % (len(self.user), self.store)

