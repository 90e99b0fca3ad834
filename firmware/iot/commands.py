"""The one command language of every transport (the serial shell, MQTT, the web): one reply per command.

Every command line gets exactly one reply, `ok ...` or `error: ...`; long work
(a device operation, a program) replies when it is accepted and reports its
end, done or not, as an `event:` line through `write`. Input is only ever
parsed, never evaluated as Python. Pending work is bounded: a device command
waits (and the transport stops taking commands) while its device has MAX_RUNS
commands pending.
"""
import asyncio
import gc
import json

from iot import IOTError, jsontext
from iot import program as prog
from iot.compat import sleep_ms
from iot.message import MessageType, ascii_lower
from iot.service import Work
from iot.store import MAX_BYTES

ANONYMOUS = "{}"  # the runs of programs given as JSON: no program name can be this
MODES = ("single", "restart", "queued", "parallel")
MAX_RUNS = 8  # running or queued runs of one program or one device, so a flood cannot fill the heap
MAX_NAME = 24
MAX_PROGRAMS = 256  # user programs
MAX_LINE = 1024  # the console's longest line, so the longest JSON a command takes
NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"
SLICE = 8  # programs listed or saved between two yields to the loop
MAX_SAVED = MAX_BYTES - 1024  # the user programs, as JSON: room in programs.json for the modes

HELP = ("commands: help | devices | status | <device> <message> [data] | run <program or JSON> | stop [program] | "
        "programs | plan <program or JSON> | define <name> [mode] <JSON> | mode <program> <%s> | save | "
        "wait [ms]" % "|".join(MODES))


def split(text):
    """Words; a "double-quoted" word keeps its spaces (\\" and \\\\ inside). IOTError on bad quoting."""
    words = []
    word = None
    quoted = False
    escaped = False
    for ch in text:
        if escaped:
            if ch not in '"\\':
                raise IOTError("bad quoting: \\%s (inside quotes only \\\" and \\\\)" % ch)
            word += ch
            escaped = False
        elif quoted:
            if ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
            else:
                word += ch
        elif ch == '"':
            if word is not None:
                raise IOTError("bad quoting: a quote inside a word")
            word = ""
            quoted = True
        elif ch in " \t":
            if word is not None:
                words.append(word)
                word = None
        else:
            word = ch if word is None else word + ch
    if quoted or escaped:
        raise IOTError("bad quoting: a quote is not closed")
    if word is not None:
        words.append(word)
    return words


def _saved_bytes(name, program):
    """About what a program takes in programs.json: its JSON, its name and the punctuation around."""
    return len(json.dumps(program)) + len(name) + 8


def device_message(device, body):
    """(msg, data) of a device command given as JSON, {"msg": ..., "data": ...}, as MQTT and the web API
    give it; IOTError if it is none."""
    if type(body) is not dict:
        raise IOTError('%s: a device command is {"msg": ..., "data": ...}' % device)
    for key in body:
        if key not in ("msg", "data"):
            raise IOTError("%s: %r is neither msg nor data" % (device, key))
    msg, data = body.get("msg", ""), body.get("data", "")
    if type(msg) is not str or type(data) is not str:
        raise IOTError("%s: msg and data are text" % device)
    return msg, data


def check_name(name):
    if not 0 < len(name) <= MAX_NAME or [c for c in name if c not in NAME_CHARS]:
        raise IOTError("%r is no program name: 1 to %d of a-z, 0-9 and _" % (name, MAX_NAME))
    return name


class _Run:
    """One accepted run of a program (or a device command): its task, and an Event set when it is over."""

    def __init__(self, name, label):
        self.name = name
        self.label = label  # what its event lines call it
        self.task = None
        self.job = None  # the coroutine doing it
        self.work = Work(label)  # what the service knows of it once it has begun
        self.started = False  # its task has run (a coroutine cancelled before that runs none of its code)
        self.begun = False  # its work has begun (a queued run waits first)
        self.done = asyncio.Event()
        self.planned_ms = None  # a program's planned time; None for a device command


class Events:
    """Where event lines go: each line to every transport's sink (the console, MQTT), in the order added."""

    def __init__(self, *sinks):
        self.sinks = list(sinks)

    def __call__(self, line):
        for sink in self.sinks:
            sink(line)


class Commands:
    def __init__(self, service, programs, store=None, write=print):
        self.service = service
        self.builtin = programs
        self.user = {}
        self.modes = {}
        self.store = store
        self.write = write
        self.runs = {}  # name -> [_Run], oldest first
        self._compiled = {}  # name -> the program checked and planned (iot.program.Compiled), at its first use
        self._sizes = {}  # user program name -> its bytes in programs.json
        self._saved = 0  # their sum: kept under MAX_SAVED, so that what is saved loads again
        self.network = None  # iot.net.Network once the network is started: `status` reports it
        self.run_watchers = []  # callables of (program, planned ms), called as a program's run begins

    def load(self):
        """Take up the saved programs; each one that no longer validates is reported and left out."""
        if self.store is None:
            return
        programs, modes, problem = self.store.load()
        if problem:
            self.write("event: " + problem)
        for name in programs:
            try:
                check_name(name)
                if len(self.user) >= MAX_PROGRAMS:
                    raise IOTError("more than %d programs" % MAX_PROGRAMS)
                if name in self.builtin:
                    raise IOTError("%s is built in" % name)
                self._compiled[name] = self.service.compile(programs[name])  # checked and planned once, kept
                self.user[name] = programs[name]
                self._sizes[name] = _saved_bytes(name, programs[name])
                self._saved += self._sizes[name]
            except IOTError as e:
                self.write("event: %s: saved program %r left out: %s" % (self.store.path, name, e))
        known = self.programs()
        for name in modes:
            if modes[name] in MODES and name in known:
                self.modes[name] = modes[name]

    def programs(self):
        both = dict(self.builtin)
        both.update(self.user)
        return both

    async def execute(self, line):
        """The reply to one command line."""
        return await self.reply(self._line(line))

    async def send(self, device, msg_type, data=""):
        """The reply to one device command given in parts (as MQTT and the web API give it)."""
        return await self.reply(self._device(device, msg_type, data))

    async def reply(self, command):
        """The one reply line to a command (a coroutine of this class): `ok ...` or `error: ...`."""
        try:
            reply = await command
            return "ok " + reply if reply else "ok"
        except IOTError as e:
            return "error: %s" % e
        except MemoryError:  # a command too big for the heap now: say so, collect, serve on
            gc.collect()
            return "error: out of memory; nothing done"
        except Exception as e:  # a bug in a command must not end the shell
            return "error: internal: %r" % (e,)

    async def _line(self, line):
        for ch in line:
            if ord(ch) < 32 and ch != "\t" or ord(ch) == 127:
                raise IOTError("control character 0x%02x in the line; ignored" % ord(ch))
        return await self._command(line.strip(" \t"))

    async def _command(self, line):
        word, _, rest = line.partition(" ")
        word = ascii_lower(word)
        rest = rest.strip(" \t")
        if word == "help":
            return HELP
        if word == "devices":
            return json.dumps(self.service.status())
        if word == "status":
            return json.dumps(self.status())
        if word == "programs":
            return await self._describe()
        if word == "run":
            return self._run(rest)
        if word == "stop":
            return await self._stop(rest)
        if word == "plan":
            compiled = self._program(rest)
            return "%s: %s critical path, %d ms one after another%s" % (
                "program" if rest[:1] in "{[" else rest, prog.planned_text(compiled), compiled.serial_ms,
                ", and more" if compiled.unknown else "")
        if word == "define":
            return self._define(rest)
        if word == "mode":
            return self._mode(split(rest))
        if word == "save":
            return await self._save()
        if word == "wait":
            return await self._wait(rest)
        if word in self.service.devices:
            words = split(rest)
            return await self._device(word, words[0] if words else "", " ".join(words[1:]))
        raise IOTError("unknown command or device %r; try help" % (word or line.partition(" ")[0]))

    def _named(self, name):
        programs = self.programs()
        if name not in programs:
            raise IOTError("no program %r; programs: %s" % (name, ", ".join(sorted(programs))))
        return programs[name]

    def _program(self, text):
        """A program given by name or as JSON, compiled (checked and planned)."""
        if not text:
            raise IOTError("which program? give its name or its JSON")
        if text[0] in "{[":
            try:
                program = jsontext.loads(text, MAX_LINE, "the program")
            except IOTError as e:
                raise IOTError("bad JSON: %s" % e)
            return self.service.compile(program)
        return self._compile(text)

    def _compile(self, name):
        """A named program compiled once, at its first use, and kept: running it parses nothing."""
        compiled = self._compiled.get(name)
        if compiled is None:
            compiled = self._compiled[name] = self.service.compile(self._named(name))
        return compiled

    def status(self):
        """What `status` shows: every device's state, and the network's when it is on."""
        status = self.service.status()
        if self.network is not None:
            status["network"] = self.network.status()
        return status

    async def describe(self):
        """Every program, by name: its mode and planned time (or why it cannot run), user's or built in,
        and how many runs it has going."""
        out = []
        programs = self.programs()
        for i, name in enumerate(sorted(programs)):
            if i % SLICE == SLICE - 1:
                await sleep_ms(0)  # a long list must not hold up the loop (and the devices' timers)
            about = {"name": name, "mode": self.modes.get(name, "single"), "user": name in self.user,
                     "running": len(self.runs.get(name, ()))}
            try:
                about["planned_ms"] = self._compile(name).planned_ms
            except IOTError as e:  # a built-in program on a device that did not connect
                about["error"] = str(e)
            out.append(about)
        return out

    async def _describe(self):
        parts = []
        for p in await self.describe():
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

    def _run(self, name):
        """Start (or queue) a run by the program's mode; the reply says which. A program given as JSON
        runs once, beside any other (it has no name to stop it by: `stop` with no name stops it)."""
        if name[:1] in "{[":
            program = self._program(name)
            if len(self.runs.get(ANONYMOUS, ())) >= MAX_RUNS:
                raise IOTError("%d programs given as JSON run already, the most there can be" % MAX_RUNS)
            self._start(ANONYMOUS, program, label="program")
            return "program started (planned %d ms)" % program.planned_ms
        program = self._compile(name)
        planned = program.planned_ms
        mode = self.modes.get(name, "single")
        before = self.runs.get(name, [])
        after = None
        if before:
            if mode == "single":
                raise IOTError("%s is already running (mode single; see: mode %s restart|queued|parallel)" % (name, name))
            if len(before) >= MAX_RUNS:
                raise IOTError("%s: %d runs already, the most there can be" % (name, MAX_RUNS))
            if mode in ("restart", "queued"):
                after = before[-1]  # starts when that one (and its cleanup) is over
            if mode == "restart":
                for run in list(before):  # one not started yet leaves the list at once
                    self._cancel(run, "restarted")
        self._start(name, program, after)
        how = "queued" if mode == "queued" and after else "restarted" if after else "started"
        return "%s %s (planned %d ms)" % (name, how, planned)

    def _start(self, name, program, after=None, label=None):
        run = _Run(name, label or name)
        run.planned_ms = program.planned_ms if isinstance(program, prog.Compiled) else None
        run.job = self.service.run_program(program, run.label, run.work)
        self.runs.setdefault(name, []).append(run)
        run.task = asyncio.create_task(self._go(run, after))

    async def _go(self, run, after):
        run.started = True
        try:
            if after is not None:
                await after.done.wait()
            run.begun = True
            if run.planned_ms is not None:  # a program (not a device command): a transport may show its run
                for w in self.run_watchers:
                    w(run.label, run.planned_ms)
            await run.job
        except asyncio.CancelledError:
            if not run.begun:
                run.job.close()
                self.write("event: %s cancelled before it started" % run.label)
        except Exception as e:  # the program no longer validates (run_program reports all else itself)
            self.write("event: %s not started: %s" % (run.label, e))
        finally:
            self._over(run)

    def _cancel(self, run, why):
        if run.begun:
            self.service.halt(run.work, why)  # at once: its devices safe, and other runs on them halted
            return
        run.task.cancel()
        if not run.started:  # cancelled before its first step, a coroutine runs none of its code
            run.job.close()
            self.write("event: %s cancelled before it started" % run.label)
            self._over(run)

    def _over(self, run):
        runs = self.runs.get(run.name, [])
        if run in runs:
            runs.remove(run)
            if not runs:
                del self.runs[run.name]
        run.done.set()

    async def _device(self, device, msg_type, data):
        target = self.service.get_device(device)
        if not msg_type:
            raise IOTError("%s: which message? it takes %s" % (device, ", ".join(
                MessageType.name(t) for t in target.ACCEPTS)))
        code = MessageType.code(msg_type)
        target.check(code, data)
        pending = self.runs.get(device, ())
        while len(pending) >= MAX_RUNS:  # back-pressure: no more lines are read until one is done
            await pending[0].done.wait()
            pending = self.runs.get(device, ())
        target.check_now(code, data)  # a refusal known now is this reply, and changes nothing
        what = "%s %s" % (device, MessageType.name(code))
        self._start(device, prog.send(device, code, data), label=what)
        return what + (" " + data if data else "")

    async def _stop(self, name):
        """Stop the runs of `name` (their devices safe, and other runs on those halted), or all and everything safe."""
        if name and name not in self.runs:
            raise IOTError("%s is not running" % name)
        names = [name] if name else list(self.runs)
        stopped = []
        safe = []
        for n in names:
            for run in list(self.runs.get(n, ())):
                stopped.append(run)
                for device in run.work.devices:
                    if device not in safe:
                        safe.append(device)
                self._cancel(run, "stopped")
        for run in stopped:
            await run.done.wait()  # their cleanup is over before the reply
        if not name:
            self.service.safe_all()
            return "stopped %s; all outputs safe" % (", ".join(names) if names else "nothing")
        return "stopped %s; %s safe" % (name, ", ".join(safe) if safe else "nothing was on")

    def _define(self, rest):
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
        compiled = self._program(text)
        program = compiled.source
        size = _saved_bytes(name, program)
        total = self._saved + size - self._sizes.get(name, 0)
        if total > MAX_SAVED:
            raise IOTError("the programs would take %d bytes, over the %d the flash file holds" % (total, MAX_SAVED))
        self.user[name] = program
        self._sizes[name] = size
        self._saved = total
        self._compiled[name] = compiled
        if mode:
            self.modes[name] = mode
        return "defined %s (planned %d ms); save keeps it" % (name, compiled.planned_ms)

    def _mode(self, words):
        if len(words) != 2 or words[1] not in MODES:
            raise IOTError("mode <program> %s" % "|".join(MODES))
        self._named(words[0])
        self.modes[words[0]] = words[1]
        return "%s mode %s" % (words[0], words[1])

    async def _save(self):
        if self.store is None:
            raise IOTError("no storage here")
        await self.store.save(self.user, self.modes)
        return "saved %d programs to %s" % (len(self.user), self.store.path)

    async def _wait(self, ms):
        if ms:
            if len(ms) > 7 or [c for c in ms if not "0" <= c <= "9"] or int(ms) > 3600000:
                raise IOTError("wait takes a time in ms up to 3600000")
            await sleep_ms(int(ms))
            return "waited %s ms" % ms
        await self.wait()
        return "all work done"

    async def wait(self):
        """Until no run is left (including runs queued meanwhile)."""
        while self.runs:
            for name in self.runs:
                await self.runs[name][-1].done.wait()
                break
