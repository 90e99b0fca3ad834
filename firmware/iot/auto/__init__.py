"""The board acting on its own: inputs (buttons, contacts), schedules and device events, bound to programs
and command lines by config.json's automations (docs/automations.md). Loaded only when config.json has them.

    check.py      the config sections, checked at boot (each bad entry left out with one error line)
    clock.py      Clock: wall time from NTP or `time set`, local time with a UTC offset and daylight saving
    sun.py        sunrise and sunset on the board
    ntp.py        the time from an NTP server without blocking the loop
    inputs.py     Inputs: buttons and contacts, debounced in asyncio, woken by their pins' IRQs
    schedules.py  Scheduler: the slots of the schedules, on the clock

Automations sit beside the transports: a firing is one command line through the command layer, so it
gets the refusals and the one reply a line from the shell gets (a relay resting, a program running in
`single` mode), and that reply is logged as an event. An automation still waiting for the reply to its
last firing skips the next one, said so: nothing queues without bound. And none fires more than
MAX_PER_MINUTE times a minute: past that its firings are skipped until the minute is over, said once, so
that one which triggers itself through a program (light.switch_on_done -> a program that switches the
light on) cannot drive the board as fast as it can (check.py refuses one that does so directly).

The engine is held compactly for a board's heap (docs/benchmarks.md measures it): config.json's settings
are packed as the engine is built and let go (app.run drops them), the names of the inputs and of the
schedules each in one string (name_at, name_index), the bindings as numbers in an array.
"""
import asyncio
from array import array

from iot import IOTError
from iot.auto.clock import Clock
from iot.compat import const, ticks_diff, ticks_ms
from iot.message import MessageType

# Every event a source gives, by its number in the bindings: an input's (a button's four, a contact's two)
# and a schedule's. A device's event is its message's code (toilet.flush_done: FLUSH) on a device source.
EVENTS = ("press", "long_press", "double_press", "release", "open", "closed", "fired")
FIRED = 6
MAX_PER_MINUTE = const(30)  # firings of one automation in a minute; the rest of that minute's are skipped


def name_at(names, i):
    """The i-th name of `names`: the inputs' or the schedules' names held in one string, a newline between them
    (a board holds one object for them all, where a name read from config.json is 32 bytes of heap on its own)."""
    start = 0
    for _ in range(i):
        start = names.index("\n", start) + 1
    end = names.find("\n", start)
    return names[start:] if end < 0 else names[start:end]


def name_index(names, name):
    """The place of `name` in `names` (as name_at reads them), found without making a string; None if absent."""
    start = 0
    i = 0
    while start <= len(names):
        end = names.find("\n", start)
        end = len(names) if end < 0 else end
        if end - start == len(name) and names.startswith(name, start):
            return i
        start = end + 1
        i += 1
    return None


class Automations:
    """The engine: its sources (Inputs, Scheduler, the service's finished steps), the bindings, `enabled`.

    `watchers` are called with (source, event) for every event, automations on or off ("bath_button",
    "press"; a schedule's name and "fired"; "" and "changed" for the rest of their status: changed()),
    so a transport can report them. The sources are numbered: the inputs, the schedules, then self.devices; a
    binding is two numbers in `bindings`, its source's and event's (source << 4 | event) and the place of
    its line in `lines` (each line once, however many bindings run it).
    """

    def __init__(self, settings, commands, log):
        self.commands = commands
        self.log = log
        self.devices = settings["devices"]  # whose finished steps are events (toilet.flush_done)
        self.enabled = True
        self.fired = {}  # source.event -> {"at": time text or None, "reply": ...}
        self.watchers = []
        self._busy = set()  # the bindings whose firing awaits its reply
        self._tasks = []
        clock = settings["clock"]
        self.clock = Clock(clock["offset_s"], clock["dst"])
        self.clock.watchers.append(self.changed)
        self.inputs = self.scheduler = None
        if settings["inputs"]:
            from iot.auto.inputs import Inputs

            self.inputs = Inputs(settings["inputs"], self._event)  # the inputs are the first sources
        self._first_schedule = self.inputs.count if self.inputs is not None else 0
        if settings["schedules"]:
            from iot.auto.schedules import Scheduler

            self.scheduler = Scheduler(self.clock, settings["schedules"], clock["place"], self._schedule, log)
        self._first_device = self._first_schedule + (self.scheduler.count if self.scheduler is not None else 0)
        self.lines = []  # type: list[str]
        bindings = []  # type: list[int]
        for on, do in settings["automations"]:  # as iot.auto.check let them through
            source, _, event = on.partition(".")
            i = None if self.inputs is None else name_index(self.inputs.names, source)
            if not event:  # "night_clean"
                code = (self._first_schedule + name_index(self.scheduler.names, on)) << 4 | FIRED  # type: ignore[union-attr]  # check found the schedule
            elif i is not None:  # "bath_button.press"
                code = i << 4 | EVENTS.index(event)
            else:  # "toilet.flush_done"
                code = (self._first_device + self.devices.index(source)) << 4 | MessageType.code(event[:-5])
            if do not in self.lines:
                self.lines.append(do)
            bindings += (code, self.lines.index(do))
        self.bindings = array("H", bindings)
        self._minute = ticks_ms()  # when this minute of firings began
        self._firings = array("H", [0] * (len(bindings) // 2))  # each binding's this minute (past the most: said)
        if [code for code in bindings[::2] if code >> 4 >= self._first_device]:
            commands.service.finished.append(self._device_done)
        if clock["ntp"] is not None:
            try:
                from iot.auto.ntp import keep
            except ImportError:  # no socket module: a board without a network (a Pico)
                log("event: ntp: this board has no network; `time set` gives the time")
            else:
                self._tasks.append(asyncio.create_task(keep(self.clock, clock["ntp"], log)))

    def _name(self, src):
        """Source number `src`'s name."""
        if src >= self._first_device:
            return self.devices[src - self._first_device]
        n = self._first_schedule
        return name_at(self.inputs.names, src) if src < n else name_at(self.scheduler.names, src - n)  # type: ignore[union-attr]  # a number is a source's

    def _on(self, k):
        """Binding k's `on`, as config.json spells it."""
        code = self.bindings[2 * k]
        src, ev = code >> 4, code & 15
        if src >= self._first_device:
            return "%s.%s_done" % (self._name(src), MessageType.name(ev).lower())
        return self._name(src) if ev == FIRED else "%s.%s" % (self._name(src), EVENTS[ev])

    def _schedule(self, i, why):
        src = self._first_schedule + i
        if why is not None:
            self.log("event: schedule %s %s" % (self._name(src), why))
        self._event(src, FIRED)

    def _device_done(self, device, code):
        if device in self.devices:
            self._event(self._first_device + self.devices.index(device), code)

    def changed(self, *_):
        """The time was set (the clock calls this with its old and new time), automations switched, a
        firing answered: what `status` shows of them is new."""
        for w in self.watchers:
            w("", "changed")

    def _event(self, src, ev):
        """Source `src` gave event number `ev` (in EVENTS; a device's: its message's code): watchers hear it,
        its texts made for them only; with automations on, each binding of it fires, found with nothing made."""
        if self.watchers:
            source = self._name(src)
            event = EVENTS[ev] if src < self._first_device else MessageType.name(ev).lower() + "_done"
            for w in self.watchers:
                w(source, event)
        if not self.enabled:
            return
        code = src << 4 | ev
        bindings = self.bindings
        for k in range(len(bindings) // 2):
            if bindings[2 * k] == code:
                self._fire(k)

    def _fire(self, k):
        now = ticks_ms()
        firings = self._firings
        if ticks_diff(now, self._minute) >= 60000:
            self._minute = now
            for i in range(len(firings)):
                firings[i] = 0
        if firings[k] >= MAX_PER_MINUTE:
            if firings[k] == MAX_PER_MINUTE:  # said once a minute
                firings[k] += 1
                self.log("event: automation %s -> %s: %d firings this minute, the most there can be; skipped until "
                         "the minute is over (does it trigger itself?)" % (
                             self._on(k), self.lines[self.bindings[2 * k + 1]], MAX_PER_MINUTE))
            return
        firings[k] += 1
        if k in self._busy:
            self.log("event: automation %s -> %s: its last firing still waits for its reply; skipped" % (
                self._on(k), self.lines[self.bindings[2 * k + 1]]))
            return
        self._busy.add(k)
        self._tasks = [t for t in self._tasks if not t.done()]
        self._tasks.append(asyncio.create_task(self._do(k)))

    async def _do(self, k):
        on, line = self._on(k), self.lines[self.bindings[2 * k + 1]]
        try:
            if " " not in line and line in self.commands.programs.names():
                line = "run " + line
            reply = await self.commands.execute(line)
            now = self.clock.now()
            self.fired[on] = {"at": None if now is None else self.clock.text(now), "reply": reply}
            self.log("event: automation %s -> %s: %s" % (on, line, reply))
            self.changed()
        finally:
            self._busy.discard(k)

    def command(self, word, rest):
        """The shell's `time`, `automations` and `press` commands: the reply text; IOTError if refused."""
        if word == "time":
            if rest.startswith("set "):
                self.clock.set_ms(self.clock.parse(rest[4:].strip(" \t")) * 1000, "set")
            elif rest:
                raise IOTError("time takes nothing, or set YYYY-MM-DDTHH:MM[:SS][+HH:MM]")
            now = self.clock.now()
            if now is None:
                return "time unknown: no schedule fires until NTP or `time set` gives it"
            return "time %s (%s)" % (self.clock.text(now), self.clock.source)
        if word == "automations":
            if rest not in ("", "on", "off"):
                raise IOTError("automations takes on or off")
            if rest:
                self.enabled = rest == "on"
                self.changed()
            return "automations %s" % ("on" if self.enabled else "off")
        name, _, how = rest.partition(" ")
        inputs = self.inputs
        i = None if inputs is None else name_index(inputs.names, name)
        if inputs is None or i is None:
            raise IOTError("no input %r; inputs: %s" % (name, ", ".join(sorted(inputs.names.split("\n"))) if inputs
                                                       else "none"))
        if not inputs.button(i) or how not in ("", "long", "double"):
            raise IOTError("press takes a button's name, then nothing, long or double")
        events = {"": ("press", "release"), "long": ("press", "long_press", "release"),
                  "double": ("press", "release", "press", "double_press", "release")}[how]
        for event in events:
            inputs.event(i, EVENTS.index(event))
        return "pressed %s%s" % (name, " (%s)" % how if how else "")

    def status(self):
        """What `status` shows under "automations"."""
        now = self.clock.now()
        return {"enabled": self.enabled,
                "time": {"known": now is not None, "now": None if now is None else self.clock.text(now),
                         "source": self.clock.source,
                         "note": None if now is not None else "unknown: no schedule fires until NTP or time set"},
                "inputs": self.inputs.status() if self.inputs is not None else {},
                "schedules": self.scheduler.status() if self.scheduler is not None else {},
                "fired": self.fired}

    def deinit(self):
        """Every task ended and every input's IRQ off (the outputs are the service's to make safe)."""
        if self.inputs is not None:
            self.inputs.deinit()
        if self.scheduler is not None:
            self.scheduler.deinit()
        for task in self._tasks:
            task.cancel()
        finished = self.commands.service.finished
        if self._device_done in finished:  # a bound method equals another of the same (MicroPython 1.22 on)
            finished.remove(self._device_done)
