"""Programs as plain data (what JSON can hold), checked before they run.

A step is one of:
    {"seq": [step, ...]}               one after another
    {"par": [step, ...]}               all at once; the first failure cancels the rest
    {"send": [device, type, data]}     one message (data may be left out)
    {"delay": ms}
"""
import asyncio

from iot import IOTError
from iot.blinker import Blinker
from iot.compat import const, sleep_ms, ticks_add, ticks_diff, ticks_ms
from iot.message import MessageType
from iot.runner import run_parallel

MAX_DEPTH = const(16)
MAX_STEPS = const(2000)
MAX_DELAY_MS = const(86_400_000)

SHAPE = 'a step is {"seq": [...]}, {"par": [...]}, {"send": [device, type, data]} or {"delay": ms}'


def sequence(*steps):
    return {"seq": list(steps)}


def parallel(*steps):
    return {"par": list(steps)}


def send(device, msg_type, data=""):
    if type(msg_type) is int:
        msg_type = MessageType.name(msg_type)
    return {"send": [device, msg_type, data] if data else [device, msg_type]}


def delay(ms):
    return {"delay": ms}


def _where(path):
    """'step 2.1' for the path [2, 1] (or the text "2.1"); 'program' for the top."""
    if type(path) is list:
        path = ".".join([str(i) for i in path])
    return "step " + path if path else "program"


def _parts(step, path):
    if type(step) is not dict or len(step) != 1:
        raise IOTError("%s: %s" % (_where(path), SHAPE))
    for key in step:
        return key, step[key]


def validate(program, service):
    """Raise IOTError naming the first bad step ("step 2.1: ..."); return the step count."""
    count = [0]
    _check(program, service, [], 0, count)
    return count[0]


def _check(step, service, path, depth, count):
    """`path` is the step's place as a list, turned into text only for an error."""
    if depth > MAX_DEPTH:
        raise IOTError("%s: nested deeper than %d" % (_where(path), MAX_DEPTH))
    count[0] += 1
    if count[0] > MAX_STEPS:
        raise IOTError("%s: program has more than %d steps" % (_where(path), MAX_STEPS))
    key, arg = _parts(step, path)
    if key == "seq" or key == "par":
        if type(arg) not in (list, tuple):
            raise IOTError("%s: %s takes a list of steps" % (_where(path), key))
        path.append(0)
        for s in arg:
            path[-1] += 1
            _check(s, service, path, depth + 1, count)
        path.pop()
    elif key == "send":
        if type(arg) not in (list, tuple) or not 2 <= len(arg) <= 3:
            raise IOTError("%s: send takes [device, type] or [device, type, data]" % _where(path))
        if type(arg[0]) is not str:
            raise IOTError("%s: device must be a name, not %r" % (_where(path), arg[0]))
        try:
            device = service.get_device(arg[0])
            device.check(MessageType.code(arg[1]), arg[2] if len(arg) == 3 else "")
        except IOTError as e:
            raise IOTError("%s: %s" % (_where(path), e))
    elif key == "delay":
        if type(arg) is not int or not 0 <= arg <= MAX_DELAY_MS:
            raise IOTError("%s: delay takes whole milliseconds from 0 to %d" % (_where(path), MAX_DELAY_MS))
    else:
        raise IOTError("%s: unknown step %r; %s" % (_where(path), key, SHAPE))


def plan_ms(step, service):
    """Critical-path time of a valid program from the devices' declared operation times."""
    key, arg = _parts(step, "")
    if key == "seq":
        total = 0
        for s in arg:
            total += plan_ms(s, service)
        return total
    if key == "par":
        longest = 0
        for s in arg:
            longest = max(longest, plan_ms(s, service))
        queued = {}  # type: dict  # a one-at-a-time device takes at least the sum of its operations
        for s in arg:
            _queued_ms(s, service, queued)
        for ms in queued.values():
            longest = max(longest, ms)
        return longest
    if key == "send":
        return service.get_device(arg[0]).duration_ms(MessageType.code(arg[1]), arg[2] if len(arg) == 3 else "")
    return arg


def _queued_ms(step, service, totals):
    key, arg = _parts(step, "")
    if key == "seq" or key == "par":
        for s in arg:
            _queued_ms(s, service, totals)
    elif key == "send":
        device = service.get_device(arg[0])
        if device.ONE_AT_A_TIME:
            totals[arg[0]] = totals.get(arg[0], 0) + plan_ms(step, service)


def in_series(step):
    """The same steps one after another in program order: the seed's synchronous version."""
    key, arg = _parts(step, "")
    if key != "seq" and key != "par":
        return sequence(step)
    steps = []
    for s in arg:
        steps.extend(in_series(s)["seq"])
    return {"seq": steps}


class StepError(Exception):
    """A step failed while running; `path` is filled in on the way up (e.g. [2, 1])."""

    def __init__(self, what, cause):
        super().__init__(what)
        self.what = what
        self.cause = cause
        self.path = []

    def message(self):
        path = ".".join([str(i) for i in self.path])
        return "%s (%s) failed: %s" % (_where(path), self.what, self.cause)


class _Nothing:
    def on(self):
        pass

    def off(self):
        pass


class StepWatch:
    """One timer for every running step: a step still running `limit_ms` after it began is hung.

    The hung step's task is cancelled (the device's own `finally` switches it
    off) and the step fails like any other. One Blinker serves all steps of all
    runs, so a step costs a list entry, not a wait_for task.
    """

    def __init__(self):
        self._steps = []  # [deadline, task, overdue]
        self._timer = Blinker(_Nothing(), callback=self._expired)
        self._wake_at = None

    def begin(self, limit_ms):
        deadline = ticks_add(ticks_ms(), limit_ms)
        entry = [deadline, asyncio.current_task(), False]
        self._steps.append(entry)
        if self._wake_at is None or ticks_diff(deadline, self._wake_at) < 0:
            self._arm(deadline)
        return entry

    def end(self, entry):
        self._steps.remove(entry)

    def _arm(self, deadline):
        self._wake_at = deadline
        self._timer.trigger(max(1, ticks_diff(deadline, ticks_ms())))

    def _expired(self):
        self._wake_at = None
        now = ticks_ms()
        soonest = None
        for entry in self._steps:
            if ticks_diff(entry[0], now) <= 0:
                if not entry[2]:
                    entry[2] = True
                    entry[1].cancel()
            elif soonest is None or ticks_diff(entry[0], soonest) < 0:
                soonest = entry[0]
        if soonest is not None:
            self._arm(soonest)

    def deinit(self):
        self._timer.deinit()


async def run(step, service, watch):
    """Run a validated program; a failure raises StepError naming the step."""
    key, arg = _parts(step, "")
    if key == "seq":
        for i, s in enumerate(arg):
            try:
                await run(s, service, watch)
            except StepError as e:
                e.path.insert(0, i + 1)
                raise
    elif key == "par":
        await run_parallel(*[_branch(s, service, watch, i + 1) for i, s in enumerate(arg)])
    elif key == "send":
        data = arg[2] if len(arg) == 3 else ""
        code = MessageType.code(arg[1])
        # Hung: still running step_slack_ms after the device's planned time.
        limit = service.get_device(arg[0]).duration_ms(code, data) + service.step_slack_ms
        entry = watch.begin(limit)
        try:
            await service.send(arg[0], code, data)
        except asyncio.CancelledError:
            if not entry[2]:
                raise  # a cancel from outside: the run is being stopped
            if hasattr(entry[1], "uncancel"):
                entry[1].uncancel()  # CPython: the cancel was the watch's own, and is dealt with
            raise StepError("%s %s" % (arg[0], MessageType.name(code)), "no answer in %d ms" % limit)
        except Exception as e:
            raise StepError("%s %s" % (arg[0], MessageType.name(code)), e)
        finally:
            watch.end(entry)
    else:
        await sleep_ms(arg)


async def _branch(step, service, watch, index):
    try:
        await run(step, service, watch)
    except StepError as e:
        e.path.insert(0, index)
        raise
