"""The one command language of every transport (the serial shell, MQTT, the web): one reply per command.

Every command line gets exactly one reply, `ok ...` or `error: ...`; long work (a device operation, a
program) replies when it is accepted and reports its end, done or not, as an `event:` line through
`write`. A command's path: the transport calls Commands.execute(line) (or send() for a device command in
parts, as MQTT and the web API give it); its first word picks the room that does the work

    parse.py     a line's words, quoting, names, a device command's JSON: what every command is made of
    programs.py  the programs by name, built in and the user's, compiled at their first use: what a run needs
    library.py   define, mode, save, plan, programs, and the boot's load: loaded for each and let go after
    runs.py      what runs: `run` by the program's mode, `<device> <message>`, stop, wait

and reply() turns what the room returns, or the IOTError it raises, into the one reply line.
"""
import gc
import json

from iot import IOTError, installed
from iot.commands.parse import check_line, split
from iot.commands.programs import MODES, Programs
from iot.commands.runs import Runs
from iot.compat import heap_free, release
from iot.message import ascii_lower

HELP = ("commands: help | devices | status | <device> <message> [data] | run <program or JSON> | stop [program] | "
        "programs | plan <program or JSON> | define <name> [mode] <JSON> | mode <program> <%s> | save | "
        "wait [ms] | time [set YYYY-MM-DDTHH:MM] | automations [on|off] | press <button> [long|double] | "
        "update [apply FILE | fetch URL] | safe off"
        % "|".join(MODES))
LIBRARY = ("programs", "plan", "define", "mode", "save")  # iot.commands.library's commands
OUT_OF_MEMORY = "error: out of memory; nothing done"  # made now: the one reply that needs no heap when there is none


class Events:
    """Where event lines go: each line to every transport's sink (the console, MQTT), in the order added."""

    def __init__(self, *sinks):
        self.sinks = list(sinks)

    def __call__(self, line):
        for sink in self.sinks:
            sink(line)


class Commands:
    """The entry point of every transport; `programs` (iot.commands.programs) and `runs` (iot.commands.runs)
    are its rooms, `network` the iot.net.Network once it is started and `auto` the iot.auto.Automations
    (`status` reports both)."""

    def __init__(self, service, programs, store=None, write=print):
        self.service = service
        self.programs = Programs(service, programs, store, write)
        self.runs = Runs(service, self.programs, write)
        self.network = None
        self.auto = None  # iot.auto.Automations, when config.json has inputs, schedules or automations
        self.update_key = None  # secrets.json's: what bundles are signed with (iot.update)
        self.safe = False  # safe mode (slots.py): only help, status, update and safe answer
        self.update_watchers = []  # f(step, done, total, version) of every update, whoever started it (the page,
        # MQTT's state): "verified", "file", "written", "switched", or "failed" (done and total 0, version None)

    def load(self):
        """Take up the programs saved on the flash."""
        self._library("load")

    def _library(self, name, *args):
        """iot.commands.library's `name` of the programs and `args`: the module is loaded for the call and let go
        after it (iot.compat.release), as a run needs none of it; a coroutine it returns holds it until done."""
        from iot.commands import library

        try:
            return getattr(library, name)(self.programs, *args)
        finally:
            release("iot.commands.library", "iot.store", "iot.jsontext")

    async def execute(self, line):
        """The reply to one command line."""
        try:
            command = self._line(line)
        except MemoryError:  # not even the command's coroutine fitted
            gc.collect()
            return OUT_OF_MEMORY
        return await self.reply(command)

    async def send(self, device, msg_type, data=""):
        """The reply to one device command given in parts."""
        try:
            command = self.runs.device(device, msg_type, data)
        except MemoryError:
            gc.collect()
            return OUT_OF_MEMORY
        return await self.reply(command)

    async def reply(self, command):
        """The one reply line to a command (a coroutine of the rooms): `ok ...` or `error: ...`. With no heap left for
        the command, or for its reply's text, it is OUT_OF_MEMORY, made in advance: this never raises MemoryError."""
        try:
            try:
                reply = await command
                return "ok " + reply if reply else "ok"
            except IOTError as e:
                return "error: %s" % e
            except MemoryError:
                raise
            except Exception as e:  # a bug in a command must not end the shell
                return "error: internal: %r" % (e,)
        except MemoryError:  # the command, or its reply's text: say so, collect, serve on
            gc.collect()
            return OUT_OF_MEMORY

    async def _line(self, line):
        check_line(line)
        line = line.strip(" \t")
        word, _, rest = line.partition(" ")
        word = ascii_lower(word)
        rest = rest.strip(" \t")
        if word == "help":
            return HELP
        if self.safe and word not in ("status", "update", "safe"):
            raise IOTError("safe mode: only status, update and safe off answer (docs/updates.md)")
        if word == "update":
            return await self.update(rest)
        if word == "safe":
            if rest != "off":
                raise IOTError("safe takes off")
            import slots

            slots.safe_off()
            return "safe mode off from the next reset"
        if word == "devices":
            return json.dumps(self.service.status())
        if word == "status":
            return json.dumps(self.status())
        if word == "run":
            return self.runs.run(rest)
        if word == "stop":
            return await self.runs.stop(rest)
        if word in LIBRARY:
            return await self._library("command", word, rest, self.runs.count)
        if word == "wait":
            return await self.runs.wait(rest)
        if word in ("time", "automations", "press"):
            if self.auto is None:
                raise IOTError("%s: config.json has no inputs, schedules or automations (docs/automations.md)" % word)
            return self.auto.command(word, rest)
        if word in self.service.devices:
            words = split(rest)
            return await self.runs.device(word, words[0] if words else "", " ".join(words[1:]))
        raise IOTError("unknown command or device %r; try help" % (word or line.partition(" ")[0]))

    async def update(self, rest, read=None):
        """`update`: the slots' state; `update apply FILE`: a bundle put on the flash (mpremote fs cp) applied;
        `update fetch URL`: one pulled over plain HTTP (as MQTT's command topic asks); the web page's POST
        /api/update gives `read` (its body's stream) instead. Its progress goes to every update watcher."""
        import slots

        if not rest and read is None:
            return json.dumps(slots.status())
        from iot import update

        url = f = None
        if read is None:
            if rest.startswith("fetch "):
                url = rest[6:].strip(" \t")
            elif rest.startswith("apply "):
                path = rest[6:].strip(" \t")
                try:
                    f = open(path, "rb")
                except OSError as e:
                    raise IOTError("update: cannot open %s: %s" % (path, e))

                async def read(n):
                    return f.read(n)
            else:
                raise IOTError("update takes nothing, apply FILE (a bundle on the flash) or fetch URL (http://)")
        ended = False
        try:
            if url is not None:
                from iot.net.fetch import fetch

                reply = await fetch(url, self.update_key, update.family(), self._progress)
            else:
                reply = await update.apply(read, self.update_key, update.family(), self._progress)
            ended = True
            return reply
        finally:
            if f is not None:
                f.close()
            if not ended:
                self._progress("failed", 0, 0, None)

    def _progress(self, step, done, total, version):
        for watcher in self.update_watchers:
            watcher(step, done, total, version)

    def status(self):
        """What `status` shows: every device's state, how the app is installed and the heap it leaves (bytes free
        after a collection; null on CPython), and the network's when it is on."""
        free = heap_free()  # before this reply's own objects are made: the heap the app leaves
        status = self.service.status()
        kind, version = installed()
        status["firmware"] = {"app": kind, "version": version, "heap_free": free}
        if self.network is not None:
            status["network"] = self.network.status()
        if self.auto is not None:
            status["automations"] = self.auto.status()
        import slots

        status["update"] = slots.status()
        return status

    async def describe(self):
        """Every program with its mode, planned time and runs, as the web API lists them."""
        return await self._library("describe", self.runs.count)

    async def wait(self):
        """Until no run is left (including runs queued meanwhile)."""
        await self.runs.wait()

