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


class Inputs:
    """Every configured input, one flag and one task; emit(name, event) gets their events in order.

    The inputs are columns, not an object each (the heap holds 8 inputs in a few hundred bytes): `names`,
    their settings `cfgs` and `pins`, and for each its debounced state (`active`), the ticks its lockout
    after an edge ends at (`locked_until`), of its press while it is held (`pressed_at`, a button's) and of
    its last press (`last_press`, for a double press), each None when there is none, and the name of its
    last event (`last`). index(name) finds one.
    """

    def __init__(self, settings, emit):
        self.emit = emit
        self.flag = thread_safe_flag()
        self.names = list(settings)
        self.cfgs = [settings[name] for name in self.names]
        self.pins = []
        irq = self._irq  # one bound method, made here: the IRQ makes nothing
        for cfg in self.cfgs:
            pull = cfg[_PULL]
            pin = Pin(cfg[_PIN], Pin.IN) if pull is None else Pin(cfg[_PIN], Pin.IN, PULLS[pull])
            pin.irq(irq, Pin.IRQ_FALLING | Pin.IRQ_RISING)
            self.pins.append(pin)
        n = len(self.names)
        self.active = [self.read(i) for i in range(n)]
        self.locked_until = [None] * n
        self.pressed_at = [None] * n
        self.last_press = [None] * n
        self.last = [None] * n
        self._task = asyncio.create_task(self._run())

    def index(self, name):
        """The input's place in the columns, or None if there is no input of that name."""
        return self.names.index(name) if name in self.names else None

    def button(self, i):
        return self.cfgs[i][_BUTTON]

    def read(self, i):
        return self.pins[i].value() == (0 if self.cfgs[i][_ACTIVE_LOW] else 1)

    def event(self, i, event):
        """Input i gave `event`: kept as its last, and emitted."""
        self.last[i] = event
        self.emit(self.names[i], event)

    def _irq(self, pin):
        self.flag.set()

    def _look(self, i, now):
        """Act on input i's pin at ticks `now`; -> ms until it needs looking at again without an edge, or None."""
        wait = None
        locked = self.locked_until[i]
        if locked is not None:
            wait = ticks_diff(locked, now)
            if wait > 0:
                return self._long_due(i, now, wait)
            self.locked_until[i] = None
            wait = None
        active = self.read(i)
        if active != self.active[i]:
            self.active[i] = active
            wait = self.cfgs[i][_DEBOUNCE_MS]
            self.locked_until[i] = ticks_add(now, wait)
            self._edge(i, active, now)
        return self._long_due(i, now, wait)

    def _edge(self, i, active, now):
        if not self.button(i):
            self.event(i, "closed" if active else "open")
            return
        if not active:
            self.pressed_at[i] = None
            self.event(i, "release")
            return
        self.pressed_at[i] = now
        self.event(i, "press")
        last = self.last_press[i]
        if last is not None and ticks_diff(now, last) <= self.cfgs[i][_DOUBLE_MS]:
            self.last_press[i] = None  # a third press starts a new pair
            self.event(i, "double_press")
        else:
            self.last_press[i] = now

    def _long_due(self, i, now, wait):
        pressed = self.pressed_at[i]
        if pressed is None:
            return wait
        left = self.cfgs[i][_LONG_MS] - ticks_diff(now, pressed)
        if left <= 0:
            self.pressed_at[i] = None  # once per press
            self.event(i, "long_press")
            return wait
        return left if wait is None else min(wait, left)

    async def _run(self):
        inputs = range(len(self.names))
        while True:
            now = ticks_ms()
            wait = None
            for i in inputs:
                w = self._look(i, now)
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
        for i, name in enumerate(self.names):
            on = self.active[i]
            state = ("pressed" if on else "released") if self.button(i) else ("closed" if on else "open")
            out[name] = {"state": state, "last": self.last[i]}
        return out

    def deinit(self):
        self._task.cancel()
        for pin in self.pins:
            pin.irq(None)
