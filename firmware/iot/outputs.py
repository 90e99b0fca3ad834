"""GPIO outputs: each is created in its off state and has a safe off()."""
import sys

from machine import PWM, Pin, Signal, Timer

from iot import IOTError
from iot.blinker import Blinker
from iot.compat import const, ticks_add, ticks_diff, ticks_ms

LOUD = const(32768)  # 50 % duty: the loudest square wave a passive buzzer makes
LED_HZ = const(1000)  # fast enough not to flicker, slow enough for any LED driver transistor
SERVO_HZ = const(50)  # hobby servos: a pulse every 20 ms


_esp32_timers = [0, 1, 2, 3]  # an ESP32 has four hardware timers; the rp2 any number of virtual ones
# How a relay's backstop runs (docs/safety.md). On the rp2 its callback is a hard interrupt: it runs from the timer's
# alarm whatever the interpreter is doing, a long call into C included (ports/rp2/machine_timer.c: hard=True passes
# the callback to mp_irq_dispatch at once, with the heap locked). MicroPython v1.28.0's ESP32 refuses hard=True
# ("hard Timers are not implemented", ports/esp32/machine_timer.c) and schedules the callback: it runs between two
# bytecodes, so there the bound holds because no network path makes a long call into C (iot.net.http, mqtt).
_HARD = {"hard": True} if sys.platform == "rp2" else {}


def backstop_timer():
    """(a machine.Timer of its own, its id) for a deadline that must hold when the asyncio loop does not run;
    give the id back with release_timer() when done."""
    if sys.platform == "esp32":
        if not _esp32_timers:
            raise ValueError("no hardware timer left for a relay's backstop")
        timer_id = _esp32_timers.pop(0)
        return Timer(timer_id), timer_id
    return Timer(-1), -1


def release_timer(timer, timer_id):
    timer.deinit()
    if timer_id >= 0:
        _esp32_timers.append(timer_id)


def output_pin(pin_id, active_low=False):
    """A Signal whose on() means active, driven to inactive before it becomes an output."""
    return Signal(Pin(pin_id, Pin.OUT, value=1 if active_low else 0), invert=active_low)


class _Coil:
    """A relay's pin as its Blinker drives it: each switch-off is stamped on the relay's clock just before it
    is written, so that whenever the relay is seen off, its rest is counted from no earlier than its pin went
    off (an interrupt, or the host stub's timer thread, may switch it off between any two lines)."""

    def __init__(self, pin, relay):
        self.pin = pin
        self.relay = relay

    def on(self):
        self.pin.on()

    def off(self):
        self.relay._off_at = ticks_ms()
        self.pin.off()


class Relay:
    """A relay whose energised time is bounded, whatever switches it (Tasmota's PulseTime, with a rest).

    The bound is on the relay's energised period, not on one pulse: a gap shorter
    than `min_off_ms` is no rest, so the period runs on across it, and pulses
    back to back cannot keep the relay on past `max_on_ms`. A switch-on with
    nothing left of the period is refused (IOTError) until the relay has rested.
    The limit is kept by the relay's own Blinker task, so it holds even when the
    program that switched the relay on crashed or was cancelled, and backed by a
    machine.Timer armed for the same deadline, whose callback needs no asyncio:
    the relay goes off on time even while the loop is busy or blocked. Each
    switch-on is decided on one reading of the relay's clock: the pulse's end,
    never past the period's, is fixed then, and the Blinker and the Timer both
    aim at that instant, however late either is set going.
    """

    def __init__(self, pin_id, max_on_ms, active_low=False, min_off_ms=0, name="relay"):
        self.name = name
        self.max_on_ms = max_on_ms
        self.min_off_ms = min_off_ms
        self.interlock = ()  # type: tuple  # relays that must be off whenever this one is on
        self._since = ticks_ms()  # when the energised period began
        self._off_at = None  # ticks_ms of the last switch-off (while on: the one planned); None: rested since boot
        self._blinker = Blinker(_Coil(output_pin(pin_id, active_low), self), max_on_ms, self._went_off)
        self._backstop, self._backstop_id = backstop_timer()

    def on(self):
        """On for as long as the period allows."""
        self.pulse(self.left_ms(), whole=False)

    def left_ms(self, now=None):
        """How long the relay may be on from now: the rest of its period, or all of a new one."""
        if now is None:
            now = ticks_ms()
        if self._rested(now):
            return self.max_on_ms
        return self.max_on_ms - ticks_diff(now, self._since)

    def _rested(self, now):
        """Off for at least min_off_ms (or never on): the next switch-on starts a new period."""
        return not self._blinker.running() and (self._off_at is None or ticks_diff(now, self._off_at) >= self.min_off_ms)

    def check(self, ms):
        """Raise IOTError unless a pulse of `ms` fits in what is left of the period now."""
        left = self.left_ms()
        if left < ms:
            self.refuse(left)

    def refuse(self, left):
        if left > 0:
            raise IOTError("%s relay: only %d ms left of its %d ms limit; it must rest %d ms first" % (
                self.name, left, self.max_on_ms, self.min_off_ms))
        raise IOTError("%s relay: on for its %d ms limit; it must rest %d ms first" % (
            self.name, self.max_on_ms, self.min_off_ms))

    def pulse(self, ms, whole=True):
        """On for `ms`; refused if `whole` and the period has less than that left, or if nothing is left."""
        now = ticks_ms()
        left = self.left_ms(now)
        if left <= 0 or (whole and left < ms):
            self.refuse(left)
        if self._rested(now):
            self._since = now
        for other in self.interlock:
            other.off()  # returns once the other's off is on its pin (Blinker.stop)
        deadline = ticks_add(now, min(ms, left))  # never past since + max_on_ms
        self._off_at = deadline  # not rested while on, whatever a timer does meanwhile
        self._backstop.deinit()  # the last pulse's backstop must not cut into this trigger
        self._blinker.until(deadline)
        self._backstop.init(mode=Timer.ONE_SHOT, period=max(1, ticks_diff(deadline, ticks_ms())), callback=self._cut,
                            **_HARD)

    def _cut(self, timer):
        """The backstop's callback: off, if the asyncio side has not done it yet. On the rp2 it is a hard interrupt,
        run with the heap locked: off() and what it calls (Blinker.stop, _Coil.off, the timer's deinit) allocate
        nothing, and each leaves the relay whole wherever it interrupts (pulse() disarms the backstop before it
        changes anything)."""
        self.off()

    def off(self):
        if self._blinker.running():
            self._blinker.stop()  # its _Coil stamps the switch-off
            self._went_off()

    def _went_off(self):
        self._backstop.deinit()

    def value(self):
        return 1 if self._blinker.running() else 0

    def deinit(self):
        self.off()
        release_timer(self._backstop, self._backstop_id)
        self._backstop_id = -1  # a second deinit() gives nothing back twice
        self._blinker.deinit()


def interlock(*relays):
    """Relays that must never be on together (ESPHome's interlock): one on switches the others off first."""
    for relay in relays:
        relay.interlock = tuple([r for r in relays if r is not relay])


class Buzzer:
    """A passive buzzer on PWM; silence (duty 0) is its safe state."""

    def __init__(self, pin_id):
        self._pwm = PWM(Pin(pin_id, Pin.OUT, value=0), freq=440, duty_u16=0)
        self.hz = 0

    def tone(self, hz):
        self._pwm.init(freq=hz, duty_u16=LOUD)
        self.hz = hz

    def off(self):
        self._pwm.duty_u16(0)
        self.hz = 0

    def deinit(self):
        self.off()
        self._pwm.deinit()


def gamma(level):
    """0-255 light level to 0-65535 duty, squared so that 40 % looks like 40 % to the eye."""
    return level * level * 65535 // 65025


class PwmLed:
    """One LED (or one channel of an RGB LED) dimmed by PWM; dark is its safe state."""

    colours = False

    def __init__(self, pin_id, active_low=False):
        self._active_low = active_low
        dark = 65535 if active_low else 0
        self._pwm = PWM(Pin(pin_id, Pin.OUT, value=1 if active_low else 0), freq=LED_HZ, duty_u16=dark)

    def level(self, v):
        duty = gamma(v)
        self._pwm.duty_u16(65535 - duty if self._active_low else duty)

    def show(self, r, g, b):
        self.level(max(r, g, b))

    def deinit(self):
        self.level(0)
        self._pwm.deinit()


class Servo:
    """A hobby servo on 50 Hz PWM: 0-180 degrees is a 500-2500 us pulse.

    release() stops the pulses (duty 0), its safe state: the servo stops pushing.
    """

    def __init__(self, pin_id, min_us=500, max_us=2500):
        self._min_us = min_us
        self._span_us = max_us - min_us
        self._pwm = PWM(Pin(pin_id, Pin.OUT, value=0), freq=SERVO_HZ, duty_u16=0)

    def angle(self, degrees):
        us = self._min_us + self._span_us * degrees // 180
        self._pwm.duty_u16(us * 65535 // 20000)  # of the 20 ms period

    def release(self):
        self._pwm.duty_u16(0)

    def deinit(self):
        self.release()
        self._pwm.deinit()
