"""The command shell on the serial console: one reply line per command, in order.

Every command gets exactly one reply, `ok ...` or `error: ...`; long work
(a device operation, a program) replies when it is accepted and reports its end
as an `event:` line. Input is only ever parsed, never evaluated as Python.
"""
import asyncio
import json

from iot import IOTError
from iot import program as prog
from iot.compat import sleep_ms, ticks_diff, ticks_ms
from iot.console import TOO_LONG
from iot.message import MessageType

MODES = ("single", "restart", "queued", "parallel")
MAX_RUNS = 8  # running or queued runs of one program, so a flood cannot fill the heap
MAX_NAME = 24
NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"

HELP = ("commands: help | devices (or status) | <device> <message> [data] | run <program> | stop [program] | "
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
        self.work = None
        self.started = False  # its task has run (a coroutine cancelled before that runs none of its code)
        self.begun = False  # its work has begun (a queued run waits first)
        self.done = asyncio.Event()


class Shell:
    def __init__(self, service, programs, store=None, write=print):
        self.service = service
        self.builtin = programs
        self.user = {}
        self.modes = {}
        self.store = store
        self.write = write
        self.runs = {}  # name -> [_Run], oldest first

    def load(self):
        """Take up the saved programs; each one that no longer validates is reported and left out."""
        if self.store is None:
            return
        programs, modes, problem = self.store.load()
        if problem:
            self.write("event: " + problem)
        for name in programs:
            try:
                prog.validate(programs[name], self.service)
                check_name(name)
                self.user[name] = programs[name]
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

    async def serve(self, console):
        """Answer each line until the input ends; then wait for the work it started."""
        while True:
            line = await console.readline()
            if line is None:
                break
            if line is TOO_LONG:
                self.write("error: line over %d characters; ignored" % console.max_len)
            elif line.strip():
                self.write(await self.execute(line))
        await self.wait()

    async def execute(self, line):
        """The reply to one command line."""
        try:
            for ch in line:
                if ord(ch) < 32 and ch != "\t" or ord(ch) == 127:
                    raise IOTError("control character 0x%02x in the line; ignored" % ord(ch))
            reply = await self._command(line.strip())
            return "ok " + reply if reply else "ok"
        except IOTError as e:
            return "error: %s" % e
        except Exception as e:  # a bug in a command must not end the shell
            return "error: internal: %r" % (e,)

    async def _command(self, line):
        word, _, rest = line.partition(" ")
        word = word.lower()
        rest = rest.strip()
        if word == "help":
            return HELP
        if word in ("devices", "status"):
            return json.dumps(self.service.status())
        if word == "programs":
            return self._describe()
        if word == "run":
            return self._run(self._named(rest), rest)
        if word == "stop":
            return await self._stop(rest)
        if word == "plan":
            program = self._program(rest)
            critical, serial = self.service.plan(program)
            return "%s: %d ms critical path, %d ms one after another" % (
                "program" if rest[:1] in "{[" else rest, critical, serial)
        if word == "define":
            return self._define(rest)
        if word == "mode":
            return self._mode(split(rest))
        if word == "save":
            return self._save()
        if word == "wait":
            return await self._wait(rest)
        if word in self.service.devices:
            return self._send(word, split(rest))
        raise IOTError("unknown command or device %r; try help" % word)

    def _named(self, name):
        programs = self.programs()
        if name not in programs:
            raise IOTError("no program %r; programs: %s" % (name, ", ".join(sorted(programs))))
        return programs[name]

    def _program(self, text):
        if not text:
            raise IOTError("which program? give its name or its JSON")
        if text[0] in "{[":
            try:
                program = json.loads(text)
            except ValueError:
                raise IOTError("bad JSON")
            prog.validate(program, self.service)
            return program
        return self._named(text)

    def _describe(self):
        parts = []
        programs = self.programs()
        for name in sorted(programs):
            running = len(self.runs.get(name, ()))
            what = [self.modes.get(name, "single"), "%d ms" % self.service.plan(programs[name])[0]]
            if name in self.user:
                what.append("user")
            if running:
                what.append("running %d" % running)
            parts.append("%s (%s)" % (name, ", ".join(what)))
        return ", ".join(parts)

    def _run(self, program, name):
        """Start (or queue) a run by the program's mode; the reply says which."""
        planned = self.service.plan(program)[0]
        mode = self.modes.get(name, "single")
        before = self.runs.get(name, [])
        after = None
        if before:
            if mode == "single":
                raise IOTError("%s is already running (mode single; see: mode %s restart|queued|parallel)" % (name, name))
            if len(before) >= MAX_RUNS:
                raise IOTError("%s: %d runs already, the most there can be" % (name, MAX_RUNS))
            if mode == "restart":
                for run in list(before):
                    self._cancel(run)
            if mode in ("restart", "queued"):
                after = before[-1]  # starts when that one (and its cleanup) is over
        self._start(name, self.service.run_program(program, name), after)
        how = "queued" if mode == "queued" and after else "restarted" if after else "started"
        return "%s %s (planned %d ms)" % (name, how, planned)

    def _start(self, name, work, after=None, label=None):
        run = _Run(name, label or name)
        run.work = work
        self.runs.setdefault(name, []).append(run)
        run.task = asyncio.create_task(self._go(run, after))

    async def _go(self, run, after):
        run.started = True
        try:
            if after is not None:
                await after.done.wait()
            run.begun = True
            await run.work
        except asyncio.CancelledError:
            if not run.begun:
                run.work.close()
                self.write("event: %s cancelled before it started" % run.label)
        except Exception as e:  # run_program reports its own; this is a device command's
            self.service.safe_all()
            self.write("event: %s failed: %s; all outputs safe" % (run.label, e))
        finally:
            self._over(run)

    def _cancel(self, run):
        run.task.cancel()
        if not run.started:  # cancelled before its first step, a coroutine runs none of its code
            run.work.close()
            self.write("event: %s cancelled before it started" % run.label)
            self._over(run)

    def _over(self, run):
        runs = self.runs.get(run.name, [])
        if run in runs:
            runs.remove(run)
            if not runs:
                del self.runs[run.name]
        run.done.set()

    def _send(self, device, words):
        if not words:
            raise IOTError("%s: which message? it takes %s" % (device, ", ".join(
                MessageType.name(t) for t in self.service.devices[device].ACCEPTS)))
        code = MessageType.code(words[0].upper())
        data = " ".join(words[1:])
        self.service.devices[device].check(code, data)
        what = "%s %s" % (device, MessageType.name(code))
        self._start(device, self._timed(what, device, code, data), label=what)
        return what + (" " + data if data else "")

    async def _timed(self, what, device, code, data):
        start = ticks_ms()
        await self.service.send(device, code, data)
        self.write("event: %s done in %d ms" % (what, ticks_diff(ticks_ms(), start)))

    async def _stop(self, name):
        names = [name] if name else list(self.runs)
        if name and name not in self.runs:
            raise IOTError("%s is not running" % name)
        stopped = []
        for n in names:
            for run in list(self.runs.get(n, ())):
                stopped.append(run)
                self._cancel(run)
        for run in stopped:
            await run.done.wait()  # their cleanup is over before the reply
        self.service.safe_all()
        return "stopped %s; all outputs safe" % (", ".join(names) if names else "nothing")

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
        program = self._program(text)
        self.user[name] = program
        if mode:
            self.modes[name] = mode
        return "defined %s (planned %d ms); save keeps it" % (name, self.service.plan(program)[0])

    def _mode(self, words):
        if len(words) != 2 or words[1] not in MODES:
            raise IOTError("mode <program> %s" % "|".join(MODES))
        self._named(words[0])
        self.modes[words[0]] = words[1]
        return "%s mode %s" % (words[0], words[1])

    def _save(self):
        if self.store is None:
            raise IOTError("no storage here")
        self.store.save(self.user, self.modes)
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
