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
from array import array

from machine import Pin

from iot.auto import EVENTS
from iot.compat import const, sleep_ms, thread_safe_flag, ticks_add, ticks_diff, ticks_ms

# An input's settings in `cfg`, four numbers each: its pin and flags, then its debounce, long and double ms.
_BUTTON = const(0x100)  # a button (else a contact)
_ACTIVE_LOW = const(0x200)
_PULL_UP = const(0x400)
_PULL_DOWN = const(0x800)
_DEBOUNCE_MS = const(1)
_LONG_MS = const(2)
_DOUBLE_MS = const(3)
# Its ticks in `ticks`, three each (None for none): its lockout's end after an edge, its press while held
# (a button's), its last press (for a double press).
_LOCKED_UNTIL = const(0)
_PRESSED_AT = const(1)
_LAST_PRESS = const(2)
# The events' numbers in iot.auto.EVENTS.
_PRESS = const(0)
_LONG_PRESS = const(1)
_DOUBLE_PRESS = const(2)
_RELEASE = const(3)
_OPEN = const(4)
_CLOSED = const(5)


class Inputs:
    """Every configured input, one flag and one task; emit(i, event) gets their events in order (i: the
    input's place in `names`, event: the event's number in iot.auto.EVENTS).

    The inputs are columns, not an object each (the heap holds 8 inputs in a few hundred bytes): their
    `names` (one string: iot.auto.name_at) and `count`, their settings packed in `cfg`, their `pins`, and for
    each its debounced state and the number of its last event in iot.auto.EVENTS in `state` (two bytes each),
    and its ticks in `ticks`.
    """

    def __init__(self, settings, emit):
        """`settings`: {name: (pin, button, active_low, pull, debounce_ms, long_ms, double_ms)}, as
        iot.auto.check gives them; packed here, so the caller can let them go."""
        self.emit = emit
        self.flag = thread_safe_flag()
        self.names = "\n".join(settings)
        self.count = len(settings)
        cfg = []  # type: list[int]
        for name in settings:
            pin, button, low, pull, debounce, long_ms, double = settings[name]
            cfg += (pin | (_BUTTON if button else 0) | (_ACTIVE_LOW if low else 0) |
                    (_PULL_UP if pull == "up" else _PULL_DOWN if pull == "down" else 0), debounce, long_ms, double)
        self.cfg = array("H", cfg)
        self.pins = []
        irq = self._irq  # one bound method, made here: the IRQ makes nothing
        for i in range(self.count):
            flags = self.cfg[4 * i]
            pull = Pin.PULL_UP if flags & _PULL_UP else Pin.PULL_DOWN if flags & _PULL_DOWN else None
            pin = Pin(flags & 0xFF, Pin.IN) if pull is None else Pin(flags & 0xFF, Pin.IN, pull)
            pin.irq(irq, Pin.IRQ_FALLING | Pin.IRQ_RISING)
            self.pins.append(pin)
        self.state = bytearray(2 * self.count)  # active, then the last event's number + 1 (0: none)
        for i in range(self.count):
            self.state[2 * i] = self.read(i)
        self.ticks = [None] * (3 * self.count)
        self._alarm = None  # the task that wakes the loop at a deadline
        self._task = asyncio.create_task(self._run())

    def button(self, i):
        return bool(self.cfg[4 * i] & _BUTTON)

    def read(self, i):
        return self.pins[i].value() == (0 if self.cfg[4 * i] & _ACTIVE_LOW else 1)

    def event(self, i, event):
        """Input i gave event number `event`: kept as its last, and emitted."""
        self.state[2 * i + 1] = event + 1
        self.emit(i, event)

    def _irq(self, pin):
        self.flag.set()

    def _look(self, i, now):
        """Act on input i's pin at ticks `now`; -> ms until it needs looking at again without an edge, or None."""
        wait = None
        ticks = self.ticks
        locked = ticks[3 * i + _LOCKED_UNTIL]
        if locked is not None:
            wait = ticks_diff(locked, now)
            if wait > 0:
                return self._long_due(i, now, wait)
            ticks[3 * i + _LOCKED_UNTIL] = None
            wait = None
        active = self.read(i)
        if active != self.state[2 * i]:
            self.state[2 * i] = active
            wait = self.cfg[4 * i + _DEBOUNCE_MS]
            ticks[3 * i + _LOCKED_UNTIL] = ticks_add(now, wait)
            self._edge(i, active, now)
        return self._long_due(i, now, wait)

    def _edge(self, i, active, now):
        if not self.button(i):
            self.event(i, _CLOSED if active else _OPEN)
            return
        ticks = self.ticks
        if not active:
            ticks[3 * i + _PRESSED_AT] = None
            self.event(i, _RELEASE)
            return
        ticks[3 * i + _PRESSED_AT] = now
        self.event(i, _PRESS)
        last = ticks[3 * i + _LAST_PRESS]
        if last is not None and ticks_diff(now, last) <= self.cfg[4 * i + _DOUBLE_MS]:
            ticks[3 * i + _LAST_PRESS] = None  # a third press starts a new pair
            self.event(i, _DOUBLE_PRESS)
        else:
            ticks[3 * i + _LAST_PRESS] = now

    def _long_due(self, i, now, wait):
        pressed = self.ticks[3 * i + _PRESSED_AT]
        if pressed is None:
            return wait
        left = self.cfg[4 * i + _LONG_MS] - ticks_diff(now, pressed)
        if left <= 0:
            self.ticks[3 * i + _PRESSED_AT] = None  # once per press
            self.event(i, _LONG_PRESS)
            return wait
        return left if wait is None else min(wait, left)

    async def _ring(self, ms):
        await sleep_ms(ms)
        self.flag.set()

    async def _run(self):
        """Look at every input at each wake: an edge's IRQ, or the alarm at the soonest deadline (a task that
        sleeps and sets the flag, which costs a task per edge where asyncio.wait_for would cost three and
        its module's heap for good)."""
        inputs = range(self.count)
        try:
            while True:
                now = ticks_ms()
                wait = None
                for i in inputs:
                    w = self._look(i, now)
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
        out = {}
        for i, name in enumerate(self.names.split("\n")):
            on = self.state[2 * i]
            last = self.state[2 * i + 1]
            state = ("pressed" if on else "released") if self.button(i) else ("closed" if on else "open")
            out[name] = {"state": state, "last": EVENTS[last - 1] if last else None}
        return out

    def deinit(self):
        self._task.cancel()
        for pin in self.pins:
            pin.irq(None)
