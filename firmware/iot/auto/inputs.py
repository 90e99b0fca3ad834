"""Buttons and contacts on GPIO inputs: debounced in asyncio, woken by their pins' interrupts.

Every input's IRQ does one thing: set a ThreadSafeFlag (no allocation, no Python object made, safe in a
hard IRQ). One task serves all the inputs: woken by the flag, it reads each pin and acts on the first
edge at once (so a press reaches its automation in a few ms), then ignores that pin for `debounce_ms`
and reads it again: a bounce pattern gives one press, and a level that changed back meanwhile is seen
then. The task sleeps between edges, never polls; it wakes by itself only for a deadline (a lockout's
end, a long press coming due).

A button gives `press`, `release`, `long_press` (still held `long_ms` after its press) and `double_press`
(a press within `double_ms` of the one before, given after that press's own `press`, as ESPHome's
on_press and on_double_click both fire); a contact gives `closed` and `open`.
"""
import asyncio

from machine import Pin

from iot.compat import const, thread_safe_flag, ticks_add, ticks_diff, ticks_ms, wait_for_ms

PULLS = {"up": Pin.PULL_UP, "down": Pin.PULL_DOWN}
# An input's settings, as iot.auto.check gives them: a tuple (the board holds one per input).
_PIN = const(0)
_BUTTON = const(1)  # a button (else a contact)
_ACTIVE_LOW = const(2)
_PULL = const(3)  # "up", "down" or None
_DEBOUNCE_MS = const(4)
_LONG_MS = const(5)
_DOUBLE_MS = const(6)


class Input:
    """One input's pin, its settings (the tuple iot.auto.check gives), and its debounced state (`active`)."""

    def __init__(self, name, cfg):
        self.name = name
        self.cfg = cfg
        self.button = cfg[_BUTTON]
        pull = cfg[_PULL]
        self.pin = Pin(cfg[_PIN], Pin.IN) if pull is None else Pin(cfg[_PIN], Pin.IN, PULLS[pull])
        self.active = self.read()
        self.locked_until = None  # ticks_ms the lockout ends at, after an edge
        self.pressed_at = None  # ticks_ms of the press while held (a button)
        self.last_press = None  # ticks_ms of the last press, for a double press
        self.last = None  # its last event's name

    def read(self):
        return self.pin.value() == (0 if self.cfg[_ACTIVE_LOW] else 1)

    def look(self, now, emit):
        """Act on the pin at ticks `now`: the events it gives go to emit(name, event); -> ms until this input
        needs looking at again without an edge, or None."""
        wait = None
        if self.locked_until is not None:
            wait = ticks_diff(self.locked_until, now)
            if wait > 0:
                return self._long_due(now, emit, wait)
            self.locked_until = None
            wait = None
        active = self.read()
        if active != self.active:
            self.active = active
            self.locked_until = ticks_add(now, self.cfg[_DEBOUNCE_MS])
            wait = self.cfg[_DEBOUNCE_MS]
            self._edge(active, now, emit)
        return self._long_due(now, emit, wait)

    def _edge(self, active, now, emit):
        if not self.button:
            emit(self, "closed" if active else "open")
            return
        if not active:
            self.pressed_at = None
            emit(self, "release")
            return
        self.pressed_at = now
        emit(self, "press")
        if self.last_press is not None and ticks_diff(now, self.last_press) <= self.cfg[_DOUBLE_MS]:
            self.last_press = None  # a third press starts a new pair
            emit(self, "double_press")
        else:
            self.last_press = now

    def _long_due(self, now, emit, wait):
        if self.pressed_at is None:
            return wait
        left = self.cfg[_LONG_MS] - ticks_diff(now, self.pressed_at)
        if left <= 0:
            self.pressed_at = None  # once per press
            emit(self, "long_press")
            return wait
        return left if wait is None else min(wait, left)


class Inputs:
    """Every configured input, one flag and one task; emit(input, event) gets their events in order."""

    def __init__(self, settings, emit):
        self.emit = emit
        self.flag = thread_safe_flag()
        self.inputs = {}
        irq = self._irq  # one bound method, made here: the IRQ makes nothing
        for name in settings:
            inp = Input(name, settings[name])
            inp.pin.irq(irq, Pin.IRQ_FALLING | Pin.IRQ_RISING)
            self.inputs[name] = inp
        self._task = asyncio.create_task(self._run())

    def _irq(self, pin):
        self.flag.set()

    async def _run(self):
        emit = self.emit
        inputs = list(self.inputs.values())
        while True:
            now = ticks_ms()
            wait = None
            for inp in inputs:
                w = inp.look(now, emit)
                if w is not None and (wait is None or w < wait):
                    wait = w
            if wait is None:
                await self.flag.wait()
                continue
            try:
                await wait_for_ms(self.flag.wait(), wait)
            except asyncio.TimeoutError:
                pass

    def status(self):
        """{name: {"state", "last"}}: pressed or released (closed or open), and its last event."""
        out = {}
        for name, inp in self.inputs.items():
            state = ("pressed" if inp.active else "released") if inp.button else ("closed" if inp.active else "open")
            out[name] = {"state": state, "last": inp.last}
        return out

    def deinit(self):
        self._task.cancel()
        for inp in self.inputs.values():
            inp.pin.irq(None)
