"""GPIO outputs: each is created in its off state and has a safe off()."""
from machine import PWM, Pin, Signal

from iot.blinker import Blinker
from iot.compat import const

LOUD = const(32768)  # 50 % duty: the loudest square wave a passive buzzer makes


def output_pin(pin_id, active_low=False):
    """A Signal whose on() means active, driven to inactive before it becomes an output."""
    return Signal(Pin(pin_id, Pin.OUT, value=1 if active_low else 0), invert=active_low)


class Relay:
    """A relay that never stays on longer than `max_on_ms` (like Tasmota's PulseTime).

    The limit is kept by the relay's own Blinker task, so it holds even when the
    program that switched the relay on crashed or was cancelled.
    """

    def __init__(self, pin_id, max_on_ms, active_low=False):
        self.max_on_ms = max_on_ms
        self.interlock = ()  # relays that must be off whenever this one is on
        self._blinker = Blinker(output_pin(pin_id, active_low), max_on_ms)

    def on(self):
        self.pulse(self.max_on_ms)

    def pulse(self, ms):
        for other in self.interlock:
            other.off()
        self._blinker.trigger(min(ms, self.max_on_ms))

    def off(self):
        self._blinker.stop()

    def value(self):
        return 1 if self._blinker.running() else 0

    def deinit(self):
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
