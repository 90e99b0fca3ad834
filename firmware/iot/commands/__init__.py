"""The one command language of every transport (the serial shell, MQTT, the web): one reply per command.

Every command line gets exactly one reply, `ok ...` or `error: ...`; long work (a device operation, a
program) replies when it is accepted and reports its end, done or not, as an `event:` line through
`write`. A command's path: the transport calls Commands.execute(line) (or send() for a device command in
parts, as MQTT and the web API give it); its first word picks the room that does the work

    parse.py     a line's words, quoting, names, a device command's JSON: what every command is made of
    programs.py  the programs by name, built in and the user's: compiled at their first use, defined,
                 planned, listed, saved and loaded at boot
    automations.py  time, automations and press, over iot.auto's engine (when config.json has one)
    settings.py  config: config.json read, replaced on trial, rolled back; backups
    runs.py      what runs: `run` by the program's mode, `<device> <message>`, stop, wait

and reply() turns what the room returns, or the IOTError it raises, into the one reply line.
"""
import asyncio
import gc
import json
import sys

from iot import IOTError, installed
from iot.commands.parse import check_line, split
from iot.commands.programs import MODES, Programs
from iot.commands.runs import Runs
from iot.compat import heap_free, ticks_ms
from iot.message import ascii_lower

HELP = ("commands: help | devices | status | <device> <message> [data] | run <program or JSON> | stop [program] | "
        "programs | plan <program or JSON> | define <name> [mode] <JSON> | mode <program> <%s> | save | "
        "wait [ms] | sensors | measure <sensor> | time [set YYYY-MM-DDTHH:MM] | automations [on|off] | "
        "press <button> [long|double] | "
        "config [get | set JSON | rollback | backup | restore FILE] | update [apply FILE [--downgrade] | fetch URL] | safe off"
        % "|".join(MODES))
SAFE_MODE = "safe mode: only status, update and safe off answer (docs/updates.md)"
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
    are its rooms. Built with what it answers for: the `service`, the built-in `programs` ({name: maker}) and
    the `store` the user's are saved in, where event lines go (`write`), the key updates are signed with
    (`update_key`, secrets.json's), safe mode (`safe`, slots.py's: only help, status, update and safe answer) and
    the `sensors` (iot.sensors.Sensors, or None: config.json declares none). The transports are given it when
    they are made, and take commands once `serving` is set (serve(): the devices registered, the programs loaded,
    the automations built, the sensors measuring)."""

    def __init__(self, service, programs, store=None, write=print, update_key=None, safe=False, sensors=None):
        self.service = service
        self.write = write  # event lines
        self.programs = Programs(service, programs, store, write)
        self.runs = Runs(service, self.programs, write)
        self.update_key = update_key
        self.safe = safe
        self.sensors = sensors
        self.serving = asyncio.Event()
        self.auto = None  # iot.auto.Automations, from serve() on, when config.json has any
        self.network = None  # iot.net.Network, from serve() on, when config.json has one
        self.ready_ms = None  # on a board, its ticks when it began to serve: ms from its reset to ready
        self.update_watchers = []  # f(step, done, total, version) of every update, whoever started it (the page,
        # MQTT's state): "verified", "file", "written", "switched", or "failed" (done and total 0, version None)
        self.staging = None  # an update being staged: True while a command waits for it, or the task it runs in

    def serve(self, network=None, automations=None):
        """Take commands from now on: the programs saved on the flash taken up, the automations config.json has
        (iot.auto.check's `automations`) built, running their lines here, and `network` (iot.net.Network, whose
        transports were given these commands) reported in `status`."""
        self.programs.load()
        self.network = network
        if self.sensors is not None:
            self.sensors.start()
        if automations is not None:
            from iot.auto import Automations

            self.auto = Automations(automations, self.service, self.write, self.automation, self.sensors)
        if sys.platform not in ("linux", "darwin", "win32"):  # a board: its ticks began at its reset
            self.ready_ms = ticks_ms()
        self.serving.set()

    def restart(self, why):
        """The board restarted at once, on what it has on its flash (new Wi-Fi, a config on trial): said, every
        output safe first. On a host, the process ends with the stub machine's reset status."""
        import machine

        self.write("event: restarting: " + why)
        self.service.safe_all()
        machine.reset()

    def deinit(self):
        """The automations' tasks and inputs, and the sensors' schedules, ended."""
        if self.auto is not None:
            self.auto.deinit()
        if self.sensors is not None:
            self.sensors.deinit()

    async def automation(self, line):
        """An automation's command line run: (the line as run, its reply); a program's name alone runs it."""
        if " " not in line and line in self.programs.names():
            line = "run " + line
        return line, await self.execute(line)

    async def execute(self, line, console=False):
        """The reply to one command line. `console`: typed on the serial console, by someone at the board. Only there
        does a command wait (`wait`; a device command while its device has MAX_RUNS pending), `status` show the
        web page's password, and an update take an older version; from anywhere else (MQTT, the web page, the
        automations) no command holds its channel: what would wait is refused, or runs beside it (an update)."""
        try:
            command = self._line(line, console)
        except MemoryError:  # not even the command's coroutine fitted
            gc.collect()
            return OUT_OF_MEMORY
        return await self.reply(command)

    async def send(self, device, msg_type, data=""):
        """The reply to one device command given in parts (MQTT, the web page: it never waits for room)."""
        try:
            command = self.runs.device(device, msg_type, data, wait=False)
        except MemoryError:
            gc.collect()
            return OUT_OF_MEMORY
        return await self.reply(command)

    async def configure(self, text):
        """The reply to `config set` with a whole config.json's JSON text, as MQTT and the page give it (several
        lines, over a command line's length)."""
        return await self.reply(self._configure(text))

    async def _configure(self, text):
        return self._settings().replace(self, text)

    async def restore(self, data):
        """A backup's bytes (the page's POST /api/restore) applied on trial: the coroutine reply() takes."""
        return self._settings().restore(self, data)

    def _settings(self):
        """iot.commands.settings, loaded at its first use and kept; IOTError in safe mode, which takes no config."""
        if self.safe:
            raise IOTError(SAFE_MODE)
        from iot.commands import settings

        return settings

    async def run(self, program):
        """The reply to a program given as data, run once beside any other (as `run <JSON>`)."""
        return await self.reply(self._run(program))

    async def _run(self, program):
        return self.runs.anonymous(self.service.compile(program))

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

    async def _line(self, line, console):
        check_line(line)
        line = line.strip(" \t")
        word, _, rest = line.partition(" ")
        word = ascii_lower(word)
        rest = rest.strip(" \t")
        if word == "help":
            return HELP
        if self.safe and word not in ("status", "update", "safe"):
            raise IOTError(SAFE_MODE)
        if word == "update":
            return await self.update(rest, console=console)
        if word == "safe":
            if rest != "off":
                raise IOTError("safe takes off")
            import slots

            slots.safe_off()
            return "safe mode off from the next reset"
        if word == "config":
            return self._settings().command(self, rest)
        if word == "devices":
            return json.dumps(self.service.status())
        if word == "status":
            return json.dumps(self.status(console))
        if word == "run":
            return self.runs.run(rest)
        if word == "stop":
            return await self.runs.stop(rest)
        if word == "programs":
            return await self.programs.listing(self.runs.count)
        if word == "plan":
            return self.programs.plan(rest)
        if word == "define":
            return self.programs.define(rest)
        if word == "mode":
            return self.programs.set_mode(rest)
        if word == "save":
            return await self.programs.save()
        if word == "wait":
            if not console:
                raise IOTError("wait holds the channel it comes on: it is the serial console's alone (a run's end is "
                               "an event line)")
            return await self.runs.wait(rest)
        if word in ("sensors", "measure"):
            if self.sensors is None:
                raise IOTError("%s: config.json declares no sensors (docs/boards.md#sensors)" % word)
            if word == "sensors":
                return json.dumps(self.sensors.status())
            return json.dumps(await self.sensors.measure(rest))
        if word in ("time", "automations", "press"):
            if self.auto is None:
                raise IOTError("%s: config.json has no inputs, schedules or automations (docs/automations.md)" % word)
            from iot.commands import automations

            if word == "time":
                return automations.time(self.auto, rest)
            if word == "automations":
                return automations.switch(self.auto, rest)
            return automations.press(self.auto, rest)
        if word in self.service.devices:
            words = split(rest)
            return await self.runs.device(word, words[0] if words else "", " ".join(words[1:]), wait=console)
        raise IOTError("unknown command or device %r; try help" % (word or line.partition(" ")[0]))

    async def update(self, rest, read=None, console=False):
        """`update`: the slots' state. `update apply FILE [--downgrade]`: a bundle put on the flash (mpremote fs cp);
        typed on the serial console it answers once staged, and only there does --downgrade take a version older
        than the one installed; from MQTT it runs beside the commands. `update fetch URL`: one pulled over plain
        HTTP, always beside the commands (the shell and MQTT go on meanwhile). What runs beside ends with an event
        line. The web page's POST /api/update gives `read` (its body's stream), and is answered once staged, on its
        own connection. One update at a time. Its progress goes to every update watcher."""
        import slots

        if not rest and read is None:
            return json.dumps(slots.status())
        if self.staging is not None:
            raise IOTError("update: another update is being staged; one at a time")
        words = rest.split()
        url = f = None
        downgrade = False
        if read is None:
            if len(words) == 2 and words[0] == "fetch":
                from iot.net.fetch import target

                target(words[1])  # a URL that is none is refused now, not when the fetch has begun
                url = words[1]
            elif words[:1] == ["apply"] and (len(words) == 2 or words[2:] == ["--downgrade"]):
                downgrade = len(words) == 3
                if downgrade and not console:
                    raise IOTError("update: --downgrade is taken on the serial console only")
                try:
                    f = open(words[1], "rb")
                except OSError as e:
                    raise IOTError("update: cannot open %s: %s" % (words[1], e))

                async def read(n):
                    return f.read(n)
            else:
                raise IOTError("update takes nothing, apply FILE [--downgrade] (a bundle on the flash) or fetch URL "
                               "(http://)")
        job = self._stage(url, read, f, downgrade)
        if url is None and (console or f is None):
            self.staging = True
            return await job
        self.staging = asyncio.create_task(self._beside(job, rest))
        return "update %s: begun; its end is an event line" % rest

    async def _stage(self, url, read, f, downgrade):
        """One update, fetched or read, into the spare slot (iot.update); -> its reply. Over, the next may begin."""
        from iot import update

        ended = False
        try:
            if url is not None:
                from iot.net.fetch import fetch

                reply = await fetch(url, self.update_key, update.family(), self._progress)
            else:
                reply = await update.apply(read, self.update_key, update.family(), self._progress, downgrade)
            ended = True
            return reply
        finally:
            self.staging = None
            if f is not None:
                f.close()
            if not ended:
                self._progress("failed", 0, 0, None)

    async def _beside(self, job, what):
        self.write("event: update %s: %s" % (what, await self.reply(job)))

    def _progress(self, step, done, total, version):
        for watcher in self.update_watchers:
            watcher(step, done, total, version)

    def status(self, secrets=False):
        """What `status` shows: every device's state, how the app is installed and the heap it leaves (bytes free
        after a collection; null on CPython), and the network's when it is on (`secrets`, on the serial console
        alone: the web page's password too)."""
        free = heap_free()  # before this reply's own objects are made: the heap the app leaves
        status = self.service.status()
        kind, version = installed()
        status["firmware"] = {"app": kind, "version": version, "heap_free": free, "ready_ms": self.ready_ms}
        if self.network is not None:
            status["network"] = self.network.status(secrets)
        if self.auto is not None:
            status["automations"] = self.auto.status()
        if self.sensors is not None:
            status["sensors"] = self.sensors.status()
        import slots

        status["update"] = slots.status()
        return status

    async def describe(self):
        """Every program with its mode, planned time and runs, as the web API lists them."""
        return await self.programs.describe(self.runs.count)

    async def wait(self):
        """Until no run is left (including runs queued meanwhile)."""
        await self.runs.wait()

