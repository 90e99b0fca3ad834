"""Programs as plain data (what JSON can hold): built, checked and planned once, described; a library.

It runs nothing and calls nothing back: iot.service owns a run's life (its steps, their watch, halting and
the report) and calls this for the compiled steps and their words. A step is one of:
    {"seq": [step, ...]}               one after another
    {"par": [step, ...]}               all at once; the first failure cancels the rest
    {"send": [device, type, data]}     one message (data may be left out)
    {"delay": ms}
"""
from iot import IOTError
from iot.compat import const
from iot.message import MessageType

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


SEND = const(0)
SEQ = const(1)
PAR = const(2)
DELAY = const(3)


class Compiled:
    """A program checked once: its steps as small tuples, the devices it drives, and its plan.

    A step is (SEND, device, code, data, duration_ms), (SEQ, [steps]), (PAR, [steps]) or
    (DELAY, ms); `planned_ms` its critical path
    and `serial_ms` its steps one after another; `planned` says the plan in words, as a run's report gives it
    ("2746 ms", or "at least 500 ms; ABCDEFGH takes an unknown time" where a device cannot say how long).
    Running it parses and formats nothing.
    """

    def __init__(self, root, devices, planned_ms, serial_ms, unknown):
        self.root = root
        self.devices = devices
        self.planned_ms = planned_ms
        self.serial_ms = serial_ms
        self.unknown = unknown  # devices whose operations take a time nobody knows: the plan is a least
        if unknown:
            self.planned = "at least %d ms; %s %s an unknown time" % (
                planned_ms, ", ".join(unknown), "takes" if len(unknown) == 1 else "take")
        else:
            self.planned = "%d ms" % planned_ms


class _Pass:
    """What one compile_program pass gathers as it goes."""

    def __init__(self, get_device):
        self.get_device = get_device
        self.steps = 0
        self.devices = []  # type: list
        self.unknown = []  # type: list
        self.checked = {}  # type: dict  # (device, type, data) -> (code, ms, one at a time): each checked once


def compile_program(program, get_device):
    """Check a program in one pass and plan it, with `get_device(name)` (IOTError if there is none);
    IOTError naming the first bad step ("step 2.1: ...")."""
    ctx = _Pass(get_device)
    root, planned, serial, _ = _compile(program, ctx, [], 0)
    return Compiled(root, ctx.devices, planned, serial, ctx.unknown)


def _compile(step, ctx, path, depth):
    """-> (compiled step, critical path ms, one-after-another ms, {one-at-a-time device: its ms} or None).
    `path` is the step's place as a list, turned into text only for an error."""
    if depth > MAX_DEPTH:
        raise IOTError("%s: nested deeper than %d" % (_where(path), MAX_DEPTH))
    ctx.steps += 1
    if ctx.steps > MAX_STEPS:
        raise IOTError("%s: program has more than %d steps" % (_where(path), MAX_STEPS))
    if type(step) is not dict or len(step) != 1:
        raise IOTError("%s: %s" % (_where(path), SHAPE))
    for key in step:  # its one key: cheaper than a call to _parts, once per step
        arg = step[key]
    if key == "send":
        if type(arg) not in (list, tuple) or not 2 <= len(arg) <= 3:
            raise IOTError("%s: send takes [device, type] or [device, type, data]" % _where(path))
        name = arg[0]
        data = arg[2] if len(arg) == 3 else ""
        key = (name, arg[1], data)
        try:
            known = ctx.checked.get(key)  # each distinct message is checked once
        except TypeError:  # a list or dict inside: no key, and check() refuses it below
            known = None
        if known is None:
            known = _check(ctx, name, arg[1], data, path)
            if type(arg[1]) in (str, int) and type(data) is str:
                ctx.checked[key] = known
        code, ms, one_at_a_time = known
        node = (SEND, name, code, data, ms)
        if ms is None:  # the device cannot say: planned as no time, and the plan says so
            if name not in ctx.unknown:
                ctx.unknown.append(name)
            ms = 0
        return node, ms, ms, {name: ms} if one_at_a_time else None
    if key == "seq" or key == "par":
        if type(arg) not in (list, tuple):
            raise IOTError("%s: %s takes a list of steps" % (_where(path), key))
        in_seq = key == "seq"
        steps = []
        critical = serial = 0
        queued = None  # type: dict | None  # a one-at-a-time device takes the sum of its operations, even in parallel
        path.append(0)
        for s in arg:
            path[-1] += 1
            node, c, t, q = _compile(s, ctx, path, depth + 1)
            steps.append(node)
            if in_seq:
                critical += c
            elif c > critical:
                critical = c
            serial += t
            if q:
                if queued is None:
                    queued = {}
                for name in q:
                    queued[name] = queued.get(name, 0) + q[name]
        path.pop()
        if not in_seq and queued:
            for name in queued:
                critical = max(critical, queued[name])
        return (SEQ if in_seq else PAR, steps), critical, serial, queued
    if key == "delay":
        if type(arg) is not int or not 0 <= arg <= MAX_DELAY_MS:
            raise IOTError("%s: delay takes whole milliseconds from 0 to %d" % (_where(path), MAX_DELAY_MS))
        return (DELAY, arg), arg, arg, None
    raise IOTError("%s: unknown step %r; %s" % (_where(path), key, SHAPE))


def _check(ctx, name, msg_type, data, path):
    """(code, duration ms, one at a time) of a message the device takes; IOTError naming the step if not."""
    if type(name) is not str:
        raise IOTError("%s: device must be a name, not %r" % (_where(path), name))
    try:
        device = ctx.get_device(name)
        code = MessageType.code(msg_type)
        device.check(code, data)
        known = (code, device.duration_ms(code, data), device.ONE_AT_A_TIME)
    except IOTError as e:
        raise IOTError("%s: %s" % (_where(path), e))
    if name not in ctx.devices:
        ctx.devices.append(name)
    return known


def failure(root, node, cause, name):
    """A failed step's words, found only when one fails: (the run's report of it, and whether the program is
    that one step, named as the step is: a device command, "light SWITCH_ON")."""
    path = path_of(root, node) or []
    what = describe(node)
    if not path:
        return "%s failed: %s" % (what, cause), what == name
    return "%s (%s) failed: %s" % (_where(path), what, cause), False


def describe(node):
    """'light SWITCH_ON' for a send step, else its kind ('par')."""
    if node[0] == SEND:
        return "%s %s" % (node[1], MessageType.name(node[2]))
    return ("send", "seq", "par", "delay")[node[0]]


def path_of(node, target):
    """Where `target` (a compiled step) is below `node`, as [2, 1]; found only when a step fails."""
    if node is target:
        return []
    if node[0] == SEQ or node[0] == PAR:
        for i, s in enumerate(node[1]):
            found = path_of(s, target)
            if found is not None:
                return [i + 1] + found
    return None
