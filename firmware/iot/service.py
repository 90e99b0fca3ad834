"""The seed's IOTService: registers devices, routes messages, and owns each program run's life.

A run is compiled by iot.program (a library of program data) and then lived here: its Run, its steps
walked in sequence and in parallel, each step's hang watch, the halt that makes its devices safe, and its
report and event line.
"""
import asyncio
from random import getrandbits

from iot import IOTError
from iot import program as prog
from iot.blinker import Blinker
from iot.compat import sleep_ms, ticks_add, ticks_diff, ticks_ms
from iot.message import Message, MessageType


def generate_id(length=8):
    """Eight capital letters, as the seed made them (without random.choices)."""
    return "".join([chr(65 + getrandbits(8) % 26) for _ in range(length)])


def device_named(devices, name):
    """The device called `name` in {name: device}; IOTError if there is none."""
    device = devices.get(name)
    if device is None:
        raise IOTError("unknown device %r" % (name,))
    return device


class Run:
    """One run of a program (a device command is a one-step program): from its acceptance to its report.

    While it goes on: `tasks[0]` is the task running it, the others its parallel branches; `why` says why it
    was halted (None while it may go on); `error` is what iot.program.failure says of its first failing step.
    Once over, what it came to: `planned_ms` (its critical path), `actual_ms` and `error` (None if it was
    done). The command layer's runs (iot.commands.runs) are these too: `key` is what it is listed under
    there, `task` its task, `begun` whether its work has begun (a queued run waits first), and `done` (an
    asyncio.Event) is set when it is over, however it ends. What a run has not set yet is the class's default.
    """

    program = None  # the compiled program's root step, once begun
    devices = ()  # names of the devices it drives
    why = None
    error = None
    planned_ms = None  # a program's, known when it is accepted; a device command's when it begins
    actual_ms = None
    task = None  # type: asyncio.Task | None
    begun = False

    def __init__(self, name, key=None, done=None):
        self.name = name  # what its event lines call it
        self.key = key
        self.tasks = []
        self.done = done

    def __repr__(self):
        return "Run(%r, planned_ms=%s, actual_ms=%s, error=%r)" % (self.name, self.planned_ms, self.actual_ms,
                                                                   self.error)


class IOTService:
    """Devices by id, messages to them, programs over them.

    `activity` is an optional Blinker (the status LED) blinked on every message.
    `log` gets one `event:` line per run that ends, however it ends. Each of
    `watchers` is called with a device's name when a program step on it begins
    or ends and when it is made safe, so a transport can report its state; each
    of `finished` with (device name, message code) when a step on it has done
    its operation whole (the automations' "toilet.flush_done"). A program
    step that runs `step_slack_ms` past its device's planned time is taken as hung.

    A run that fails or is stopped makes the devices it drives safe, at once,
    and halts every other run on one of those devices (which does the same in
    turn); runs on other devices go on. No step of a halted run starts.
    """

    def __init__(self, activity=None, log=print, activity_ms=40, step_slack_ms=1000):
        self.devices = {}
        self.activity = activity
        self.activity_ms = activity_ms
        self.step_slack_ms = step_slack_ms
        self.watch = StepWatch()  # one timer for the steps of every program run
        self.log = log
        self.watchers = []  # callables of a device name; a transport adds its own
        self.finished = []  # callables of (device name, message code)
        self.runs = []  # the runs going on now
        self._connecting = set()

    async def register_device(self, device, name=None):
        """Connect the device and return its id: `name` if given, else 8 random letters."""
        if name is None:
            name = generate_id()
            while name in self.devices or name in self._connecting:
                name = generate_id()
        elif type(name) is not str or not name:
            raise IOTError("device name must be non-empty text, not %r" % (name,))
        elif name in self.devices or name in self._connecting:
            raise IOTError("device name %r is taken" % name)
        if not hasattr(device, "handle"):  # written the seed's way: connect, disconnect, send_message
            for method in ("connect", "disconnect", "send_message"):
                if not hasattr(device, method):
                    raise IOTError("%s: a device needs connect(), disconnect() and send_message()" % name)
            from iot.devices.adapter import SeedDevice

            device = SeedDevice(device)
        self._connecting.add(name)
        device.name = name
        try:
            await device.connect()
        except Exception as e:
            device.safe()
            raise IOTError("%s: failed to connect: %s" % (name, e))
        finally:
            self._connecting.discard(name)
        self.devices[name] = device
        return name

    async def register_devices(self, devices):
        """Register {name: device} concurrently; a failure is logged and the rest go on.

        Returns the names that were registered.
        """
        names = list(devices)
        done = await asyncio.gather(*[self._try_register(devices[n], n) for n in names])
        return [name for name, ok in zip(names, done) if ok]

    async def _try_register(self, device, name):
        try:
            await self.register_device(device, name)
            return True
        except IOTError as e:
            self.log("event: %s; left out, its outputs safe" % e)
            return False

    async def unregister_device(self, device_id):
        device = self.get_device(device_id)
        del self.devices[device_id]
        try:
            await device.disconnect()
        finally:
            device.deinit()

    def get_device(self, device_id):
        return device_named(self.devices, device_id)

    def send_msg(self, msg):
        """Awaitable, as the seed's was: the delivery itself, with no coroutine of its own."""
        return self.send(msg.device_id, msg.msg_type, msg.data)

    def send(self, device_id, msg_type, data="", limit_ms=0):
        """Check one message and return its delivery, to await; bad input raises IOTError and moves nothing.

        A one-at-a-time device takes one operation at a time: the message waits
        for the device first. `limit_ms` (0: none) counts from when the device
        starts the operation; past it the operation is cut off as hung (IOTError).
        """
        device = self.get_device(device_id)
        code = MessageType.code(msg_type)
        device.check(code, data)
        if device.busy is None and not limit_ms:  # the common case: the device's own coroutine, nothing more
            if self.activity is not None:
                self.activity.trigger(self.activity_ms)
            return device.handle(code, data)
        return self._guarded(device, code, data, limit_ms)

    async def _guarded(self, device, code, data, limit_ms):
        busy = device.busy
        if busy is not None:
            await busy.acquire()
        watchers = self.watchers
        try:
            if self.activity is not None:
                self.activity.trigger(self.activity_ms)
            for w in watchers:
                w(device.name)
            if not limit_ms:
                await device.handle(code, data)
            else:
                watch = self.watch
                step = watch.begin(limit_ms)
                try:
                    await device.handle(code, data)
                except asyncio.CancelledError:
                    if not watch.overdue(step):
                        raise  # a cancel from outside: the run is being halted
                    if hasattr(step[1], "uncancel"):
                        step[1].uncancel()  # CPython: the cancel was the watch's own, and is dealt with
                    raise IOTError("no answer in %d ms" % limit_ms)
                finally:
                    watch.end(step)
            for f in self.finished:
                f(device.name, code)
        finally:
            if busy is not None:
                busy.release()
            for w in watchers:
                w(device.name)

    def status(self):
        """{device name: its status()}: what every device is doing now."""
        return {name: device.status() for name, device in self.devices.items()}

    def safe_all(self):
        """Every registered device to its safe state, and the status LED off."""
        for device in self.devices.values():
            device.safe()
            for w in self.watchers:
                w(device.name)
        if self.activity is not None:
            self.activity.stop()

    def deinit(self):
        """Every output safe and the service's own timer tasks (status LED, step watch) ended."""
        self.safe_all()
        self.watch.deinit()
        if self.activity is not None:
            self.activity.deinit()

    def compile(self, program):
        """The program checked and planned once (iot.program.Compiled), to run as often as wanted."""
        if isinstance(program, prog.Compiled):
            return program
        return prog.compile_program(self._as_program(program), self.get_device)

    def plan(self, program):
        """Validate and return (critical-path ms, one-after-another ms)."""
        compiled = self.compile(program)
        return compiled.planned_ms, compiled.serial_ms

    async def run_program(self, program, name="program", run=None):
        """Validate, run and report a program (or a Compiled one, checked already); returns its Run.

        A bad program raises IOTError before any pin moves. A failing step halts
        the run (see the class) and is reported in the Run and one event line;
        so is a cancel, which is then re-raised. `run` is the Run to run it as
        (a new one, called `name`, if None), so that the caller can halt() it.
        """
        compiled = self.compile(program)
        devices = compiled.devices
        if run is None:
            run = Run(name)
        name = run.name
        run.program = compiled.root
        run.devices = devices
        run.planned_ms = compiled.planned_ms
        run.tasks.append(asyncio.current_task())
        self.runs.append(run)
        start = ticks_ms()
        try:
            await self._walk(compiled.root, run)
        except asyncio.CancelledError:
            self.halt(run, "cancelled")
            self.log("event: %s cancelled after %d ms: %s; %s safe" % (
                name, ticks_diff(ticks_ms(), start), run.why, ", ".join(devices)))
            raise
        finally:
            self.runs.remove(run)
            run.tasks = []
            run.actual_ms = ticks_diff(ticks_ms(), start)
        if run.error is None and run.why is None:
            self.log("event: %s done in %d ms (planned %s)" % (name, run.actual_ms, compiled.planned))
            return run
        error = run.error
        run.error = error[0] if error is not None else run.why
        if error is not None and error[1]:  # a device command: "light SWITCH_ON failed: ..."
            self.log("event: %s; %s safe" % (run.error, ", ".join(devices)))
        else:
            self.log("event: %s: %s; %s safe" % (name, run.error, ", ".join(devices)))
        return run

    async def _walk(self, node, run):
        """Walk a compiled step of `run`. A failing step raises nothing: it halts the run at once (fail),
        no step of a halted run starts, and the walk returns."""
        kind = node[0]
        if kind == prog.SEQ:
            for s in node[1]:
                if run.why is not None:
                    return
                await self._walk(s, run)
        elif kind == prog.PAR:
            steps = node[1]
            if len(steps) == 1:
                await self._walk(steps[0], run)
            else:
                await self._together(steps, run)
        elif kind == prog.SEND:
            if run.why is not None:
                return
            try:
                # Hung: still running step_slack_ms after the device's planned time (none if it has none).
                ms = node[4]
                # checked when the program was compiled: only a device gone since is refused here
                device = self.get_device(node[1])
                await self._guarded(device, node[2], node[3], 0 if ms is None else ms + self.step_slack_ms)
            except Exception as e:
                self.fail(run, node, e)
        else:
            await sleep_ms(node[1])

    async def _together(self, steps, run):
        group = _Together(len(steps), run)
        tasks = [asyncio.create_task(group.branch(s, self)) for s in steps]
        run.tasks.extend(tasks)
        try:
            await group.over.wait()
        finally:
            # Halted, or cancelled from outside: a branch cancelled before it started runs no code, so each
            # one still going is awaited here, not counted, until all have done their cleanup.
            going = [t for t in tasks if not t.done()]
            for t in going:
                t.cancel()
            for t in going:
                try:
                    await t
                except asyncio.CancelledError:
                    pass
            for t in tasks:
                run.tasks.remove(t)

    def fail(self, run, node, cause):
        """A step of `run` failed (called in the failing step's task): halt the run now."""
        if run.why is not None:
            return  # halted already; this is the fallout
        run.error = prog.failure(run.program, node, cause, run.name)
        self.halt(run, "failed", keep=run.tasks[0])

    def halt(self, run, why, keep=None, cause=None):
        """End `run` at once: no step of it starts after this, its tasks are cancelled (but the
        caller's and `keep`), its devices are made safe, and so is every other run on them
        (`cause`: what started it all, as "sleep stopped")."""
        if run.why is not None:
            return
        run.why = why
        if cause is None:
            cause = "%s %s" % (run.name, why)
        me = asyncio.current_task()
        for task in run.tasks:
            if task is not me and task is not keep:
                task.cancel()
        for name in run.devices:
            device = self.devices.get(name)
            if device is not None:
                device.safe()
                for w in self.watchers:
                    w(name)
        if self.activity is not None:
            self.activity.stop()  # the status LED's blink: an output too, and of no one run
        for other in self.runs:
            if other.why is None:
                for name in other.devices:
                    if name in run.devices:
                        self.halt(other, "%s was made safe (%s)" % (name, cause), None, cause)
                        break

    def _as_program(self, program):
        """The seed ran a list of Messages all at once; that is a parallel program."""
        if type(program) in (list, tuple):
            steps = []
            for m in program:
                if not isinstance(m, Message):
                    raise IOTError("program: a list program holds Messages, not %r" % (m,))
                steps.append(prog.send(m.device_id, MessageType.code(m.msg_type), m.data))
            return prog.parallel(*steps)
        return program


class _Together:
    """The branches of one "par": how many are left, and an Event for when none are or the run halted."""

    def __init__(self, n, run):
        self.left = n
        self.run = run
        self.over = asyncio.Event()

    async def branch(self, node, service):
        try:
            await service._walk(node, self.run)
        except asyncio.CancelledError:
            pass  # halted: the run reports it
        except Exception as e:  # a bug below run(): the run fails, nothing escapes a task
            service.fail(self.run, node, e)
        finally:
            self.left -= 1
            if self.left == 0 or self.run.why is not None:
                self.over.set()


class StepWatch:
    """One timer for every running step: a step still running `limit_ms` after it began is hung.

    The hung step's task is cancelled (the device's own `finally` switches it
    off) and the step fails like any other. One Blinker serves all steps of all
    runs, so a step costs a tuple in a list, not a wait_for task.
    """

    def __init__(self):
        self._steps = []  # (deadline, task) of each step running
        self._overdue = []  # those the watch cancelled, until they end
        self._timer = Blinker(None, callback=self._expired)
        self._wake_at = None

    def begin(self, limit_ms):
        """The step the running task begins now: watched; -> the step, for overdue() and end()."""
        deadline = ticks_add(ticks_ms(), limit_ms)
        step = (deadline, asyncio.current_task())
        self._steps.append(step)
        if self._wake_at is None or ticks_diff(deadline, self._wake_at) < 0:
            self._arm(deadline)
        return step

    def overdue(self, step):
        return step in self._overdue

    def end(self, step):
        self._steps.remove(step)
        if step in self._overdue:
            self._overdue.remove(step)

    def _arm(self, deadline):
        self._wake_at = deadline
        self._timer.trigger(max(1, ticks_diff(deadline, ticks_ms())))

    def _expired(self):
        self._wake_at = None
        now = ticks_ms()
        soonest = None
        for step in self._steps:
            deadline = step[0]
            if ticks_diff(deadline, now) <= 0:
                if step not in self._overdue:
                    self._overdue.append(step)
                    step[1].cancel()
            elif soonest is None or ticks_diff(deadline, soonest) < 0:
                soonest = deadline
        if soonest is not None:
            self._arm(soonest)

    def deinit(self):
        self._timer.deinit()
