"""Buttons and contacts on GPIO inputs: debounced in asyncio, woken by their pins' interrupts.

Every input's IRQ does one thing: set a ThreadSafeFlag (no allocation, no Python object made, safe in a
hard IRQ). One task serves all the inputs (Inputs): woken by the flag, it has each input look at its pin
and act on the first edge at once (so a press reaches its automation in a few ms), then ignore that pin for
`debounce_ms` and read it again: a bounce pattern gives one press, and a level that changed back meanwhile
is seen then. The task sleeps between edges, never polls; it wakes by itself only for a deadline (a
lockout's end, a long press coming due).

A Button gives `press`, `release`, `long_press` (still held `long_ms` after its press) and `double_press`
(a press within `double_ms` of the one before, given after that press's own `press`, as ESPHome's
on_press and on_double_click both fire); a Contact gives `closed` and `open`. Each input is shaped like
Peter Hinch's Pushbutton and ESwitch: its events go to one callback, emit(name, event).
"""
import asyncio

from machine import Pin

from iot.auto import BUTTON_EVENTS, CONTACT_EVENTS
from iot.compat import sleep_ms, thread_safe_flag, ticks_add, ticks_diff, ticks_ms


class Input:
    """One input on a GPIO: its debounced state and last event. `look(now)` acts on its pin."""

    EVENTS = ()  # type: tuple

    def __init__(self, name, pin, active_low, pull, debounce_ms, emit):
        self.name = name
        self.active_low = active_low
        self.debounce_ms = debounce_ms
        self.emit = emit
        pull = Pin.PULL_UP if pull == "up" else Pin.PULL_DOWN if pull == "down" else None
        self.pin = Pin(pin, Pin.IN) if pull is None else Pin(pin, Pin.IN, pull)
        self.active = self.read()  # debounced
        self.last = None  # its last event
        # ticks: the pin is not read again before (its lockout after an edge)
        self.locked_until = None  # type: int | None

    def read(self):
        return self.pin.value() == (0 if self.active_low else 1)

    def event(self, event):
        """`event` happened: kept as its last, and emitted."""
        self.last = event
        self.emit(self.name, event)

    def look(self, now):
        """Act on the pin at ticks `now`; -> ms until it needs looking at again without an edge, or None."""
        if self.locked_until is not None:
            left = ticks_diff(self.locked_until, now)
            if left > 0:
                return self.due(now, left)
            self.locked_until = None
        wait = None  # type: int | None
        active = self.read()
        if active != self.active:
            self.active = active
            wait = self.debounce_ms
            self.locked_until = ticks_add(now, wait)
            self.edge(active, now)
        return self.due(now, wait)

    def edge(self, active, now):
        raise NotImplementedError

    def due(self, now, wait):
        """The soonest of `wait` and what else this input waits for (a button's long press)."""
        return wait

    def state(self):
        return "closed" if self.active else "open"

    def status(self):
        return {"state": self.state(), "last": self.last}

    def deinit(self):
        self.pin.irq(None)


class Contact(Input):
    """A door or window contact: `closed` and `open`."""

    EVENTS = CONTACT_EVENTS

    def edge(self, active, now):
        self.event("closed" if active else "open")


class Button(Input):
    """A push button: `press`, `release`, `long_press` and `double_press`."""

    EVENTS = BUTTON_EVENTS

    def __init__(self, name, pin, active_low, pull, debounce_ms, long_ms, double_ms, emit):
        super().__init__(name, pin, active_low, pull, debounce_ms, emit)
        self.long_ms = long_ms
        self.double_ms = double_ms
        self.pressed_at = None  # ticks of the press while held, until its long press is given
        self.last_press = None  # ticks of the last press, for a double press

    def edge(self, active, now):
        if not active:
            self.pressed_at = None
            self.event("release")
            return
        self.pressed_at = now
        self.event("press")
        if self.last_press is not None and ticks_diff(now, self.last_press) <= self.double_ms:
            self.last_press = None  # a third press starts a new pair
            self.event("double_press")
        else:
            self.last_press = now

    def due(self, now, wait):
        if self.pressed_at is None:
            return wait
        left = self.long_ms - ticks_diff(now, self.pressed_at)
        if left <= 0:
            self.pressed_at = None  # once per press
            self.event("long_press")
            return wait
        return left if wait is None else min(wait, left)

    def state(self):
        return "pressed" if self.active else "released"


class Inputs:
    """Every configured input, one flag and one task; emit(name, event) gets their events in order. `inputs`:
    {name: its Button or Contact}."""

    def __init__(self, settings, emit):
        """`settings`: {name: (pin, button, active_low, pull, debounce_ms, long_ms, double_ms)}, as
        iot.auto.check gives them."""
        self.flag = thread_safe_flag()
        self.inputs = {}
        irq = self._irq  # one bound method, made here: the IRQ makes nothing
        for name in settings:
            pin, button, low, pull, debounce, long_ms, double = settings[name]
            if button:
                made = Button(name, pin, low, pull, debounce, long_ms, double, emit)  # type: Input
            else:
                made = Contact(name, pin, low, pull, debounce, emit)
            made.pin.irq(irq, Pin.IRQ_FALLING | Pin.IRQ_RISING)
            self.inputs[name] = made
        self._alarm = None  # the task that wakes the loop at a deadline
        self._task = asyncio.create_task(self._run())

    def _irq(self, pin):
        self.flag.set()

    async def _ring(self, ms):
        await sleep_ms(ms)
        self.flag.set()

    async def _run(self):
        """Look at every input at each wake: an edge's IRQ, or the alarm at the soonest deadline (a task that
        sleeps and sets the flag: one task per deadline, where asyncio.wait_for would take three)."""
        inputs = list(self.inputs.values())
        try:
            while True:
                now = ticks_ms()
                wait = None
                for one in inputs:
                    w = one.look(now)
                    if w is not None and (wait is None or w < wait):
                        wait = w
                if wait is not None:
                    self._alarm = asyncio.create_task(self._ring(wait))
                await self.flag.wait()
                if self._alarm is not None:
                    self._alarm.cancel()
                    self._alarm = None
        finally:
            if self._alarm is not None:
                self._alarm.cancel()

    def status(self):
        """{name: {"state", "last"}}: pressed or released (closed or open), and its last event."""
        return {name: self.inputs[name].status() for name in self.inputs}

    def deinit(self):
        self._task.cancel()
        for one in self.inputs.values():
            one.deinit()
