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
last firing skips the next one, said so: nothing queues without bound.
"""
import asyncio

from iot import IOTError
from iot.auto.clock import Clock
from iot.message import MessageType


class Automations:
    """The engine: its sources (Inputs, Scheduler, the service's finished steps), the bindings, `enabled`.

    `watchers` are called with (source, event) for every event, automations on or off ("bath_button",
    "press"; a schedule's name and "fired"; "" and "changed" for the rest of their status: changed()),
    so a transport can report them.
    """

    def __init__(self, settings, commands, log):
        self.commands = commands
        self.log = log
        self.enabled = True
        self.bindings = settings["automations"]  # [(on, do)]
        self.fired = {}  # source.event -> {"at": time text or None, "reply": ...}
        self.watchers = []
        self._busy = set()  # indexes of the bindings whose firing awaits its reply
        self._tasks = []
        clock = settings["clock"]
        self.clock = Clock(clock["offset_s"], clock["dst"])
        self.clock.watchers.append(lambda old, new: self.changed())
        self.inputs = None
        self.scheduler = None
        if settings["inputs"]:
            from iot.auto.inputs import Inputs

            self.inputs = Inputs(settings["inputs"], self.event)
        if settings["schedules"]:
            from iot.auto.schedules import Scheduler

            self.scheduler = Scheduler(self.clock, settings["schedules"], clock["place"], self._schedule_fired, log)
        self._on_done = None  # the one bound method the service holds (MicroPython's compare by identity)
        if [b for b in self.bindings if b[0].partition(".")[0] in commands.service.devices]:
            self._on_done = self._device_done
            commands.service.finished.append(self._on_done)
        if clock["ntp"] is not None:
            try:
                from iot.auto.ntp import keep
            except ImportError:  # no socket module: a board without a network (a Pico)
                log("event: ntp: this board has no network; `time set` gives the time")
            else:
                self._tasks.append(asyncio.create_task(keep(self.clock, clock["ntp"], log)))

    def _schedule_fired(self, name, why):
        if why is not None:
            self.log("event: schedule %s %s" % (name, why))
        self.event(name, "fired")

    def _device_done(self, device, code):
        self.event(device, MessageType.name(code).lower() + "_done")

    def changed(self):
        """The time was set, automations switched, a firing answered: what `status` shows of them is new."""
        for w in self.watchers:
            w("", "changed")

    def event(self, source, event):
        """An event happened: watchers hear it; with automations on, each binding of it fires."""
        for w in self.watchers:
            w(source, event)
        if not self.enabled:
            return
        on = source if event == "fired" else source + "." + event
        for i, binding in enumerate(self.bindings):
            if binding[0] == on:
                self._fire(i, binding)

    def _fire(self, i, binding):
        if i in self._busy:
            self.log("event: automation %s -> %s: its last firing still waits for its reply; skipped" % (
                binding[0], binding[1]))
            return
        self._busy.add(i)
        self._tasks = [t for t in self._tasks if not t.done()]
        self._tasks.append(asyncio.create_task(self._do(i, binding)))

    async def _do(self, i, binding):
        on, line = binding
        try:
            if " " not in line and line in self.commands.programs.all():
                line = "run " + line
            reply = await self.commands.execute(line)
            now = self.clock.now()
            self.fired[on] = {"at": None if now is None else self.clock.text(now), "reply": reply}
            self.log("event: automation %s -> %s: %s" % (on, line, reply))
            self.changed()
        finally:
            self._busy.discard(i)

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
        i = None if inputs is None else inputs.index(name)
        if inputs is None or i is None:
            raise IOTError("no input %r; inputs: %s" % (name, ", ".join(sorted(inputs.names if inputs else ())) or
                                                       "none"))
        if not inputs.button(i) or how not in ("", "long", "double"):
            raise IOTError("press takes a button's name, then nothing, long or double")
        events = {"": ("press", "release"), "long": ("press", "long_press", "release"),
                  "double": ("press", "release", "press", "double_press", "release")}[how]
        for event in events:
            inputs.event(i, event)
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
        if self._on_done is not None:
            self.commands.service.finished.remove(self._on_done)
            self._on_done = None
