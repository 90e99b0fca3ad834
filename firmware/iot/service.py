"""The seed's IOTService: registers devices, routes messages, runs programs safely."""
import asyncio
from random import getrandbits

from iot import IOTError
from iot import program as prog
from iot.compat import ticks_diff, ticks_ms
from iot.message import Message, MessageType


def generate_id(length=8):
    """Eight capital letters, as the seed made them (without random.choices)."""
    return "".join([chr(65 + getrandbits(8) % 26) for _ in range(length)])


class Report:
    """What a program run came to: planned (critical path) and actual time, and any error."""

    def __init__(self, name, planned_ms, actual_ms, error=None):
        self.name = name
        self.planned_ms = planned_ms
        self.actual_ms = actual_ms
        self.error = error

    def __repr__(self):
        return "Report(%r, planned_ms=%d, actual_ms=%d, error=%r)" % (
            self.name, self.planned_ms, self.actual_ms, self.error)


class IOTService:
    """Devices by id, messages to them, programs over them.

    `activity` is an optional Blinker (the status LED) blinked on every message.
    `log` gets one line per event; errors start with "error:". A program step
    that runs `step_slack_ms` past its device's planned time is taken as hung.
    """

    def __init__(self, activity=None, log=print, activity_ms=40, step_slack_ms=1000):
        self.devices = {}
        self.activity = activity
        self.activity_ms = activity_ms
        self.step_slack_ms = step_slack_ms
        self.watch = prog.StepWatch()  # one timer for the steps of every program run
        self.log = log
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
        results = await asyncio.gather(*[self._try_register(devices[n], n) for n in names])
        return [n for n, ok in zip(names, results) if ok]

    async def _try_register(self, device, name):
        try:
            await self.register_device(device, name)
            return True
        except IOTError as e:
            self.log("error: %s" % e)
            return False

    async def unregister_device(self, device_id):
        device = self.get_device(device_id)
        del self.devices[device_id]
        try:
            await device.disconnect()
        finally:
            device.deinit()

    def get_device(self, device_id):
        device = self.devices.get(device_id)
        if device is None:
            raise IOTError("unknown device %r" % (device_id,))
        return device

    def send_msg(self, msg):
        """Awaitable, as the seed's was: the delivery itself, with no coroutine of its own."""
        return self.send(msg.device_id, msg.msg_type, msg.data)

    async def send(self, device_id, msg_type, data=""):
        """Check and deliver one message; bad input raises IOTError and moves nothing."""
        device = self.get_device(device_id)
        code = MessageType.code(msg_type)
        device.check(code, data)
        if self.activity is not None:
            self.activity.trigger(self.activity_ms)
        await device.handle(code, data)

    def status(self):
        """{device name: its status()}: what every device is doing now."""
        return {name: device.status() for name, device in self.devices.items()}

    def safe_all(self):
        """Every registered device to its safe state, and the status LED off."""
        for device in self.devices.values():
            device.safe()
        if self.activity is not None:
            self.activity.stop()

    def deinit(self):
        """Every output safe and the service's own timer tasks (status LED, step watch) ended."""
        self.safe_all()
        self.watch.deinit()
        if self.activity is not None:
            self.activity.deinit()

    def plan(self, program):
        """Validate and return (critical-path ms, one-after-another ms)."""
        program = self._as_program(program)
        prog.validate(program, self)
        return prog.plan_ms(program, self), prog.plan_ms(prog.in_series(program), self)

    async def run_program(self, program, name="program"):
        """Validate, run and report a program; returns a Report.

        A bad program raises IOTError before any pin moves. A failing step cancels
        its running siblings, puts every device in its safe state and is reported;
        so is a cancel, which is then re-raised.
        """
        program = self._as_program(program)
        prog.validate(program, self)
        planned = prog.plan_ms(program, self)
        start = ticks_ms()
        try:
            await prog.run(program, self, self.watch)
        except Exception as e:
            self.safe_all()
            error = e.message() if isinstance(e, prog.StepError) else repr(e)
            report = Report(name, planned, ticks_diff(ticks_ms(), start), error)
            self.log("error: %s: %s; all outputs safe" % (name, report.error))
            return report
        except asyncio.CancelledError:
            self.safe_all()
            self.log("event: %s cancelled after %d ms; all outputs safe" % (name, ticks_diff(ticks_ms(), start)))
            raise
        report = Report(name, planned, ticks_diff(ticks_ms(), start))
        self.log("event: %s done in %d ms (planned %d ms)" % (name, report.actual_ms, planned))
        return report

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
