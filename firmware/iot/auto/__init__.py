"""The board acting on its own: inputs (buttons, contacts), schedules and device events, bound to programs
and command lines by config.json's automations (docs/automations.md). Loaded only when config.json has them.

    check.py      the config sections, checked at boot (each bad entry left out with one error line)
    clock.py      Clock: wall time from NTP or `time set`, local time with a UTC offset and daylight saving
    sun.py        sunrise and sunset on the board
    ntp.py        the time from an NTP server without blocking the loop
    inputs.py     Inputs: buttons and contacts, debounced in asyncio, woken by their pins' IRQs
    schedules.py  Scheduler: the slots of the schedules, on the clock
    values.py     Threshold: a sensor's reading above or below a value, with hysteresis and for_s

Automations sit beside the transports: a firing is one command line through the command layer, so it
gets the refusals and the one reply a line from the shell gets (a relay resting, a program running in
`single` mode), and that reply is logged as an event. An automation still waiting for the reply to its
last firing skips the next one, said so: nothing queues without bound. And none fires more than
MAX_PER_MINUTE times a minute: past that its firings are skipped until the minute is over, said once, so
that one which triggers itself through a program (light.switch_on_done -> a program that switches the
light on) cannot drive the board as fast as it can (check.py refuses one that does so directly).
"""
import asyncio

from iot.auto.clock import Clock
from iot.compat import const, ticks_diff, ticks_ms
from iot.message import MessageType

MAX_PER_MINUTE = const(30)  # firings of one automation in a minute; the rest of that minute's are skipped
# The events an input gives (iot.auto.inputs); a schedule's is "fired", a device's "<message>_done", a reading's
# "above" or "below" (iot.auto.values).
BUTTON_EVENTS = ("press", "release", "long_press", "double_press")
CONTACT_EVENTS = ("closed", "open")


class Binding:
    """One automation: the command line it runs (`do`), and its `firings` this minute. What it is bound to is
    its key in the engine's bindings."""

    def __init__(self, do):
        self.do = do
        self.firings = 0


def on_text(source, event):
    """A binding's `on` as config.json spells it: "bath_button.press", "night_clean", "toilet.flush_done"."""
    return source if event == "fired" else source + "." + event


class Automations:
    """The engine: its sources (Inputs, Scheduler, the service's finished steps), the bindings, `enabled`.

    `bindings` are keyed by (source, event): ("bath_button", "press"), ("night_clean", "fired"),
    ("toilet", "flush_done"); a value automation's is its Threshold's, in `thresholds` ({reading: [(Threshold,
    Binding)]}), judged at each measurement of `sensors` (iot.sensors.Sensors). `execute` is the command layer's
    (iot.commands.Commands.automation): a coroutine function of a binding's command line, -> (the line as it ran
    it, its reply). `watchers` are called with (source, event) for every event, automations on or off ("" and
    "changed" for the rest of their status: changed()), so a transport can report them.
    """

    def __init__(self, settings, service, log, execute, sensors=None):
        self.service = service
        self.log = log
        self.execute = execute
        self.enabled = True
        self.fired = {}  # on -> {"at": time text or None, "reply": ...}
        self.watchers = []
        self._tasks = []
        self._busy = set()  # the bindings whose last firing waits for its reply
        clock = settings["clock"]
        self.clock = Clock(clock["offset_s"], clock["dst"])
        self.clock.watchers.append(self.changed)
        self.inputs = self.scheduler = None
        if settings["inputs"]:
            from iot.auto.inputs import Inputs

            self.inputs = Inputs(settings["inputs"], self._event)
        if settings["schedules"]:
            from iot.auto.schedules import Scheduler

            self.scheduler = Scheduler(self.clock, settings["schedules"], clock["place"], self._schedule, log)
        # Each name and command line once, as the engine holds it (read again from each automation, the same text
        # would be one more string per binding): the sources' names, the events', and the lines.
        held = {name: name for name in BUTTON_EVENTS + CONTACT_EVENTS + ("fired",)}
        for name in list(self.inputs.inputs if self.inputs else ()) + [
                s.name for s in (self.scheduler.schedules if self.scheduler else ())] + list(settings["devices"]):
            held[name] = name
        bindings = {}  # type: dict[tuple[str, str], list[Binding]]
        self.thresholds = {}  # type: dict
        self.sensors = sensors
        watch_devices = False
        for on, do, values in settings["automations"]:  # as iot.auto.check let them through
            source, _, event = on.partition(".")
            binding = Binding(held.setdefault(do, do))
            if values is not None:
                self._threshold(source, event, values, binding)
                continue
            key = (held[on], "fired") if not event else (held[source], held.setdefault(event, event))
            watch_devices = watch_devices or source in settings["devices"] and bool(event)
            bindings.setdefault(key, []).append(binding)
        self.bindings = {key: tuple(bindings[key]) for key in bindings}  # (source, event) -> its Bindings
        if self.thresholds and sensors is not None:
            sensors.measured.append(self._measured)
        self._minute = ticks_ms()  # when this minute of firings began
        if watch_devices:
            service.finished.append(self._device_done)
        if clock["ntp"] is not None:
            try:
                from iot.auto.ntp import keep
            except ImportError:  # no socket module: a board without a network (a Pico)
                log("event: ntp: this board has no network; `time set` gives the time")
            else:
                self._tasks.append(asyncio.create_task(keep(self.clock, clock["ntp"], log)))

    def _threshold(self, reading, event, values, binding):
        from iot.auto.values import Threshold

        value, hysteresis, for_ms = values
        key = (reading, event)

        def fire():
            for w in self.watchers:
                w(reading, event)
            if self.enabled:
                self._fire(key, binding)

        self.thresholds.setdefault(reading, []).append(Threshold(event == "above", value, hysteresis, for_ms, fire))

    def _measured(self, reading):
        """A sensor's reading was measured (or failed): its value automations judge it."""
        thresholds = self.thresholds.get(reading.name)
        if thresholds:
            now = ticks_ms()
            for t in thresholds:
                t.measured(None if reading.reason else reading.value, now)

    def _schedule(self, name, why):
        if why is not None:
            self.log("event: schedule %s %s" % (name, why))
        self._event(name, "fired")

    def _device_done(self, device, code):
        self._event(device, MessageType.name(code).lower() + "_done")

    def changed(self, *_):
        """The time was set (the clock calls this with its old and new time), automations switched, a
        firing answered: what `status` shows of them is new."""
        for w in self.watchers:
            w("", "changed")

    def _event(self, source, event):
        """`source` gave `event`: watchers hear it; with automations on, each binding of it fires."""
        for w in self.watchers:
            w(source, event)
        if self.enabled:
            key = (source, event)
            for binding in self.bindings.get(key, ()):
                self._fire(key, binding)

    def _fire(self, key, binding):
        now = ticks_ms()
        if ticks_diff(now, self._minute) >= 60000:
            self._minute = now
            for bindings in self.bindings.values():
                for b in bindings:
                    b.firings = 0
        if binding.firings >= MAX_PER_MINUTE:
            if binding.firings == MAX_PER_MINUTE:  # said once a minute
                binding.firings += 1
                self.log("event: automation %s -> %s: %d firings this minute, the most there can be; skipped until "
                         "the minute is over (does it trigger itself?)" % (on_text(*key), binding.do, MAX_PER_MINUTE))
            return
        binding.firings += 1
        if binding in self._busy:
            self.log("event: automation %s -> %s: its last firing still waits for its reply; skipped" % (
                on_text(*key), binding.do))
            return
        self._busy.add(binding)
        self._tasks = [t for t in self._tasks if not t.done()]
        self._tasks.append(asyncio.create_task(self._do(key, binding)))

    async def _do(self, key, binding):
        try:
            line, reply = await self.execute(binding.do)
            now = self.clock.now()
            on = on_text(*key)
            self.fired[on] = {"at": None if now is None else self.clock.text(now), "reply": reply}
            self.log("event: automation %s -> %s: %s" % (on, line, reply))
            self.changed()
        finally:
            self._busy.discard(binding)

    def press(self, name, how=""):
        """The button `name` pressed from the shell (`how`: "", "long" or "double"), its events as a press gives
        them; IOTError if there is no such button."""
        from iot import IOTError
        from iot.auto.inputs import Button

        inputs = self.inputs.inputs if self.inputs is not None else {}
        if name not in inputs:
            raise IOTError("no input %r; inputs: %s" % (name, ", ".join(sorted(inputs)) or "none"))
        button = inputs[name]
        if not isinstance(button, Button) or how not in ("", "long", "double"):
            raise IOTError("press takes a button's name, then nothing, long or double")
        events = {"": ("press", "release"), "long": ("press", "long_press", "release"),
                  "double": ("press", "release", "press", "double_press", "release")}[how]
        for event in events:
            button.event(event)

    def switch(self, on):
        self.enabled = on
        self.changed()

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
        finished = self.service.finished
        if self._device_done in finished:  # a bound method equals another of the same (MicroPython 1.22 on)
            finished.remove(self._device_done)
        if self.sensors is not None and self._measured in self.sensors.measured:
            self.sensors.measured.remove(self._measured)
