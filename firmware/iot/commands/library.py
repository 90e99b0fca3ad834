"""The programs' library work: load at boot, define, mode, save, plan and the listing.

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
from iot.commands.parse import check_name, split
from iot.commands.programs import MODES
from iot.compat import heap_free, sleep_ms
from iot.store import MAX_BYTES, ProgramStore

MAX_PROGRAMS = 256  # user programs
SLICE = 8  # programs listed between two yields to the loop
MAX_SAVED = MAX_BYTES - 1024  # the user programs, as JSON: room in programs.json for the modes
# Heap the boot needs once the programs are loaded: a song to parse (the built-in wake_up's), a run, a listing,
# the network's replies. Twice on a 64-bit host (the unix port), whose objects are twice the size.
LOAD_ROOM = 16384 if sys.maxsize < 1 << 32 else 32768


def _saved_bytes(name, program):
    """About what a program takes in programs.json: its JSON, its name and the punctuation around."""
    return len(json.dumps(program)) + len(name) + 8


async def command(programs, word, rest, running):
    """The reply to `programs`, `plan`, `define`, `mode` or `save` (`word`); `running(name)`: its runs going."""
    if word == "programs":
        return await listing(programs, running)
    if word == "plan":
        return plan(programs, rest)
    if word == "define":
        return define(programs, rest)
    if word == "mode":
        return set_mode(programs, rest)
    return await save(programs)


def load(programs):
    """Take up the saved programs; each one that no longer validates is reported and left out. A file whose
    programs do not fit in the heap, or that this board could not have saved (_loadable), is set aside whole:
    the boot goes on with the built-in ones."""
    if programs.store is None:
        return
    store = ProgramStore(programs.store)
    try:
        _take_up(programs, *store.load())
        if programs.user:
            free = heap_free()
            if free is not None and free < _load_need(programs, programs.saved):
                raise MemoryError  # more than this board could have saved
    except MemoryError:
        programs.user, programs.modes, programs.cache, programs.sizes, programs.saved = {}, {}, {}, {}, 0
        programs.write("event: " + store.set_aside("it does not fit in the heap beside the app"))


def _take_up(programs, saved, modes, problem):
    """The programs and modes read from programs.json (`saved`), each checked and compiled."""
    if problem:
        programs.write("event: " + problem)
    for name in saved:
        try:
            check_name(name)
            if len(programs.user) >= MAX_PROGRAMS:
                raise IOTError("more than %d programs" % MAX_PROGRAMS)
            if name in programs.builtin:
                raise IOTError("%s is built in" % name)
            programs.cache[name] = programs.service.compile(saved[name])  # checked and planned once, kept
            programs.user[name] = saved[name]
            programs.sizes[name] = _saved_bytes(name, saved[name])
            programs.saved += programs.sizes[name]
        except IOTError as e:
            programs.write("event: %s: saved program %r left out: %s" % (programs.store, name, e))
    known = programs.names()
    for name in modes:
        if modes[name] in MODES and name in known:
            programs.modes[name] = modes[name]


def plan(programs, text):
    """`plan <program or JSON>`: its critical path and its steps one after another."""
    compiled = programs.get(text)
    return "%s: %s critical path, %d ms one after another%s" % (
        "program" if text[:1] in "{[" else text, prog.planned_text(compiled), compiled.serial_ms,
        ", and more" if compiled.unknown else "")


async def describe(programs, running):
    """Every program, by name: its mode and planned time (or why it cannot run), user's or built in,
    and how many runs it has going (`running(name)`)."""
    out = []
    every = programs.names()
    for i, name in enumerate(sorted(every)):
        if i % SLICE == SLICE - 1:
            await sleep_ms(0)  # a long list must not hold up the loop (and the devices' timers)
        about = {"name": name, "mode": programs.mode(name), "user": name in programs.user, "running": running(name)}
        try:
            about["planned_ms"] = programs.compiled(name).planned_ms
        except IOTError as e:  # a built-in program on a device that did not connect
            about["error"] = str(e)
        out.append(about)
    return out


async def listing(programs, running):
    """`programs`: each one in a few words."""
    parts = []
    for p in await describe(programs, running):
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


def define(programs, rest):
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
    if name in programs.builtin:
        raise IOTError("%s is built in; pick another name" % name)
    if not text:
        raise IOTError("define <name> [mode] <program as JSON>")
    if name not in programs.user and len(programs.user) >= MAX_PROGRAMS:
        raise IOTError("there are %d programs, the most there can be" % MAX_PROGRAMS)
    program = programs.parse(text) if text[0] in "{[" else programs.named(text)
    compiled = programs.service.compile(program)
    size = _saved_bytes(name, program)
    total = programs.saved + size - programs.sizes.get(name, 0)
    if total > MAX_SAVED:
        raise IOTError("the programs would take %d bytes, over the %d the flash file holds" % (total, MAX_SAVED))
    _loadable(programs, total, "define %s: nothing defined" % name)
    programs.user[name] = program
    programs.sizes[name] = size
    programs.saved = total
    programs.cache[name] = compiled
    if mode:
        programs.modes[name] = mode
    return "defined %s (planned %d ms); save keeps it" % (name, compiled.planned_ms)


def set_mode(programs, rest):
    """`mode <program> <mode>`."""
    words = split(rest)
    if len(words) != 2 or words[1] not in MODES:
        raise IOTError("mode <program> %s" % "|".join(MODES))
    programs.named(words[0])
    programs.modes[words[0]] = words[1]
    return "%s mode %s" % (words[0], words[1])


def _load_need(programs, saved):
    """Heap to boot with programs of `saved` bytes beside those programs: reading their file, then LOAD_ROOM."""
    return 2 * (saved + len(json.dumps(programs.modes)) + 32) + LOAD_ROOM


def _loadable(programs, saved, refused):
    """IOTError (`refused`, and the budget) unless a boot could load programs of `saved` bytes, as they
    are in the heap now, back (see the module's docstring)."""
    free = heap_free()
    need = _load_need(programs, saved)
    if free is not None and free < need:
        raise IOTError("%s: this board could not load the programs back at boot (reading their file takes "
                       "%d bytes of heap beside them, and %d are free); define fewer or shorter ones"
                       % (refused, need, free))


async def save(programs):
    if programs.store is None:
        raise IOTError("no storage here")
    _loadable(programs, programs.saved, "not saved, the old file kept")
    await ProgramStore(programs.store).save(programs.user, programs.modes)
    return "saved %d programs to %s" % (len(programs.user), programs.store)
