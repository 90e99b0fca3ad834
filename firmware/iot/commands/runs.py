"""What runs: a program's runs by its mode, device commands with back-pressure, stop and wait.

A device command is a one-step program, so both are runs: accepted (the reply says so), started now or
queued behind another, and reported at their end by the service's event line. Pending work is bounded:
a device command waits (and the transport stops taking commands) while its device has MAX_RUNS pending.
"""
import asyncio

from iot import IOTError
from iot import program as prog
from iot.compat import sleep_ms
from iot.message import MessageType, digits
from iot.service import Run

ANONYMOUS = "{}"  # the runs of programs given as JSON: no program name can be this
MAX_RUNS = 8  # running or queued runs of one program or one device, so a flood cannot fill the heap


class Runs:
    def __init__(self, service, programs, write=print):
        self.service = service
        self.programs = programs  # iot.commands.programs.Programs
        self.write = write
        self.going = {}  # name -> [_Run], oldest first
        self.watchers = []  # callables of (program, planned ms), called as a program's run begins

    def count(self, name):
        return len(self.going.get(name, ()))

    def run(self, text):
        """`run <program or JSON>`: start (or queue) a run by the program's mode; the reply says which. A
        program given as JSON runs once, beside any other (it has no name to stop it by: `stop` with no
        name stops it)."""
        if text[:1] in "{[":
            return self.anonymous(self.programs.get(text))
        name = text
        program = self.programs.compiled(name)
        planned = program.planned_ms
        mode = self.programs.mode(name)
        before = self.going.get(name, [])
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

    def anonymous(self, program):
        """A compiled program with no name, started beside any other."""
        if self.count(ANONYMOUS) >= MAX_RUNS:
            raise IOTError("%d programs without a name (given as JSON, or made for Home Assistant's siren) run "
                           "already, the most there can be" % MAX_RUNS)
        self._start(ANONYMOUS, program, label="program")
        return "program started (planned %d ms)" % program.planned_ms

    async def device(self, device, msg_type, data, wait=True):
        """`<device> <message> [data]`: checked now, then run as a one-step program. While the device has MAX_RUNS
        commands pending it waits (`wait`: the serial console, which reads no line meanwhile), or is refused."""
        target = self.service.get_device(device)
        if not msg_type:
            raise IOTError("%s: which message? it takes %s" % (device, ", ".join(
                MessageType.name(t) for t in target.ACCEPTS)))
        code = MessageType.code(msg_type)
        target.check(code, data)
        pending = self.going.get(device, ())
        if len(pending) >= MAX_RUNS and not wait:
            raise IOTError("%s: %d commands wait for it already, the most there can be; this one is refused" % (
                device, MAX_RUNS))
        while len(pending) >= MAX_RUNS:  # back-pressure: no more lines are read until one is done
            await pending[0].done.wait()
            pending = self.going.get(device, ())
        target.check_now(code, data)  # a refusal known now is this reply, and changes nothing
        what = "%s %s" % (device, MessageType.name(code))
        self._start(device, prog.send(device, code, data), label=what)
        return what + (" " + data if data else "")

    def _start(self, key, program, after=None, label=None):
        run = Run(label or key, key, asyncio.Event())
        if isinstance(program, prog.Compiled):
            run.planned_ms = program.planned_ms  # a program's: a transport may show its run as it begins
        self.going.setdefault(key, []).append(run)
        run.task = asyncio.create_task(self._go(run, program, after))

    async def _go(self, run, program, after):
        try:
            if after is not None:
                await after.done.wait()
            run.begun = True
            if run.planned_ms is not None:
                for w in self.watchers:
                    w(run.name, run.planned_ms)
            await self.service.run_program(program, run=run)
        except asyncio.CancelledError:
            pass  # before it began: _cancel said so; after: the service reported it
        except Exception as e:  # the program no longer validates (run_program reports all else itself)
            self.write("event: %s not started: %s" % (run.name, e))
        finally:
            self._over(run)

    def _cancel(self, run, why):
        if run.begun:
            self.service.halt(run, why)  # at once: its devices safe, and other runs on them halted
            return
        run.task.cancel()  # a task cancelled before it ran runs none of its code: it is over here, at once
        self.write("event: %s cancelled before it started" % run.name)
        self._over(run)

    def _over(self, run):
        runs = self.going.get(run.key, [])
        if run in runs:
            runs.remove(run)
            if not runs:
                del self.going[run.key]
        run.done.set()

    async def stop(self, name):
        """`stop [program]`: the runs of `name` (their devices safe, and other runs on those halted), or all
        and everything safe."""
        if name and name not in self.going:
            raise IOTError("%s is not running" % name)
        names = [name] if name else list(self.going)
        stopped = []
        safe = []
        for n in names:
            for run in list(self.going.get(n, ())):
                stopped.append(run)
                for device in run.devices:
                    if device not in safe:
                        safe.append(device)
                self._cancel(run, "stopped")
        for run in stopped:
            await run.done.wait()  # their cleanup is over before the reply
        if not name:
            self.service.safe_all()
            return "stopped %s; all outputs safe" % (", ".join(
                "the programs without a name" if n == ANONYMOUS else n for n in names) if names else "nothing")
        return "stopped %s; %s safe" % (name, ", ".join(safe) if safe else "nothing was on")

    async def wait(self, ms=""):
        """`wait [ms]`: that long, or until no run is left (including runs queued meanwhile)."""
        if ms:
            if len(ms) > 7 or not digits(ms) or int(ms) > 3600000:
                raise IOTError("wait takes a time in ms up to 3600000")
            await sleep_ms(int(ms))
            return "waited %s ms" % ms
        while self.going:
            for name in self.going:
                await self.going[name][-1].done.wait()
                break
        return "all work done"
