"""The seed's three devices as GPIO drivers: a light (LED), a speaker (buzzer), a toilet (relays).

Every device declares the messages it takes, checks data before anything moves,
says how long each operation takes (the planner adds these up), and has a safe
state it returns to on error, cancel, unregister and reset. An operation changes
its outputs at once and completes after its time (`op_ms`, the seed's 0.5 s).
"""
import asyncio

from iot import IOTError, rtttl
from iot.compat import sleep_ms, ticks_add, ticks_diff, ticks_ms
from iot.message import MessageType
from iot.outputs import Buzzer, Relay, interlock, output_pin

SWITCH_ON = MessageType.SWITCH_ON
SWITCH_OFF = MessageType.SWITCH_OFF
PLAY_SONG = MessageType.PLAY_SONG
FLUSH = MessageType.FLUSH
CLEAN = MessageType.CLEAN

# Built-in songs, as RTTTL. PLAY_SONG takes one of these names or a raw RTTTL string.
SONGBOOK = {
    # "So What": the bass call, then the horns' two-note "so what" answer.
    "Miles Davis - Kind of Blue": "SoWhat:d=8,o=5,b=160:d,a4,b4,c,d,e,c,p,4e,4d",
}
NOTE_GAP_MS = 10  # silence at the end of each note, so repeated notes are heard as two


class Device:
    """Base class: message checks, operation time, connect/disconnect, safe state."""

    kind = "device"
    ACCEPTS = ()
    ONE_AT_A_TIME = False  # True: operations queue up (the planner adds them up, even in parallel)

    def __init__(self, op_ms=500, connect_ms=None):
        self.name = self.kind  # the service sets the registered name
        self.op_ms = op_ms
        self.connect_ms = op_ms if connect_ms is None else connect_ms

    async def connect(self):
        """Bring-up time after power-on (outputs are already in their safe state)."""
        await sleep_ms(self.connect_ms)

    async def disconnect(self):
        self.safe()

    def check(self, msg_type, data):
        """Raise IOTError unless this device can take the message; changes nothing."""
        if msg_type not in self.ACCEPTS:
            raise IOTError("%s: %s" % (self.name, self.refusal(msg_type)))
        if type(data) is not str:
            raise IOTError("%s: data must be text, not %r" % (self.name, data))
        self.check_data(msg_type, data)

    def refusal(self, msg_type):
        return "does not take %s" % MessageType.name(msg_type)

    def check_data(self, msg_type, data):
        if data:
            raise IOTError("%s: %s takes no data (got %r)" % (self.name, MessageType.name(msg_type), data))

    def duration_ms(self, msg_type, data):
        return self.op_ms

    async def send_message(self, msg_type, data=""):
        self.check(msg_type, data)
        await self.handle(msg_type, data)

    async def handle(self, msg_type, data):
        raise NotImplementedError

    def safe(self):
        raise NotImplementedError

    def deinit(self):
        self.safe()

    def status(self):
        return {}


class Light(Device):
    """A single-colour LED. It switches at once; op_ms stands for the transition."""

    kind = "light"
    ACCEPTS = (SWITCH_ON, SWITCH_OFF)

    def __init__(self, pin, active_low=False, safe_on=False, op_ms=500, connect_ms=None):
        super().__init__(op_ms, connect_ms)
        self._led = output_pin(pin, active_low)
        self._safe_on = safe_on
        self.on = False
        if safe_on:
            self._set(True)

    def refusal(self, msg_type):
        if msg_type == MessageType.CHANGE_COLOR:
            return "is a single-colour LED and cannot CHANGE_COLOR"
        return Device.refusal(self, msg_type)

    def _set(self, on):
        self.on = on
        self._led.value(1 if on else 0)

    async def handle(self, msg_type, data):
        self._set(msg_type == SWITCH_ON)
        await sleep_ms(self.op_ms)

    def safe(self):
        self._set(self._safe_on)

    def status(self):
        return {"on": self.on}


class Speaker(Device):
    """A passive buzzer, with an optional amplifier enable pin.

    SWITCH_ON powers up and takes op_ms to warm up; PLAY_SONG is refused until then
    (the seed's ordering bug, caught by the device) and plays a songbook entry or
    a raw RTTTL string at its own tempo; SWITCH_OFF silences at once, also mid-song.
    """

    kind = "speaker"
    ACCEPTS = (SWITCH_ON, SWITCH_OFF, PLAY_SONG)

    def __init__(self, pin, enable_pin=None, enable_active_low=False, op_ms=500, connect_ms=None):
        super().__init__(op_ms, connect_ms)
        self._buzzer = Buzzer(pin)
        self._enable = None if enable_pin is None else output_pin(enable_pin, enable_active_low)
        self.powered = False
        self.ready = False
        self.song = None
        self._parsed = (None, None)  # (data, notes) of the last song checked

    def notes(self, data):
        """The song's [(hz, ms)], parsed once per song; IOTError if it is no song."""
        if self._parsed[0] != data:
            text = SONGBOOK.get(data, data)
            if ":" not in text:
                raise IOTError("%s: no song %r in the songbook, and it is not RTTTL" % (self.name, data))
            try:
                self._parsed = (data, rtttl.parse(text))
            except IOTError as e:
                raise IOTError("%s: bad song: %s" % (self.name, e))
        return self._parsed[1]

    def check_data(self, msg_type, data):
        if msg_type == PLAY_SONG:
            self.notes(data)
        else:
            Device.check_data(self, msg_type, data)

    def duration_ms(self, msg_type, data):
        if msg_type != PLAY_SONG:
            return self.op_ms
        total = 0
        for note in self.notes(data):
            total += note[1]
        return total

    def _power(self, on):
        self.powered = on
        if self._enable is not None:
            self._enable.value(1 if on else 0)

    async def handle(self, msg_type, data):
        if msg_type == SWITCH_ON:
            if not self.powered:
                self._power(True)
                await sleep_ms(self.op_ms)
                self.ready = self.powered
            else:
                await sleep_ms(self.op_ms)
        elif msg_type == SWITCH_OFF:
            self.safe()
            await sleep_ms(self.op_ms)
        else:
            if not self.ready:
                raise IOTError("%s: is off; SWITCH_ON must finish before PLAY_SONG" % self.name)
            await self._play(data, self.notes(data))

    async def _play(self, name, notes):
        """Each note ends on its own deadline from the start, so small delays never add up."""
        end = ticks_ms()
        self.song = name
        try:
            for hz, ms in notes:
                if not self.ready:
                    break  # switched off mid-song
                end = ticks_add(end, ms)
                if hz:
                    self._buzzer.tone(hz)
                    await sleep_ms(max(0, ticks_diff(end, ticks_ms()) - NOTE_GAP_MS))
                    self._buzzer.off()
                await sleep_ms(max(0, ticks_diff(end, ticks_ms())))
        finally:
            self._buzzer.off()
            self.song = None

    def safe(self):
        self.ready = False
        self._buzzer.off()
        self._power(False)

    def deinit(self):
        self.safe()
        self._buzzer.deinit()

    def status(self):
        return {"on": self.powered, "ready": self.ready, "song": self.song, "hz": self._buzzer.hz}


class Toilet(Device):
    """Two relays: FLUSH opens the flush valve, CLEAN runs the cleaning pump, each for op_ms.

    The two never overlap: the relays form an interlock group, and a CLEAN sent
    during a FLUSH (or the other way round) waits for it to finish. Each relay is
    a pulse through its own Blinker and can never stay on longer than max_on_ms,
    whatever happens to the program that started it.
    """

    kind = "toilet"
    ACCEPTS = (FLUSH, CLEAN)
    ONE_AT_A_TIME = True

    def __init__(self, flush_pin, clean_pin, active_low=False, max_on_ms=10000, op_ms=500, connect_ms=None):
        super().__init__(op_ms, connect_ms)
        if op_ms > max_on_ms:
            raise ValueError("toilet: op_ms %d is over max_on_ms %d" % (op_ms, max_on_ms))
        self.flush_relay = Relay(flush_pin, max_on_ms, active_low)
        self.clean_relay = Relay(clean_pin, max_on_ms, active_low)
        interlock(self.flush_relay, self.clean_relay)
        self._busy = asyncio.Lock()

    def refusal(self, msg_type):
        if msg_type in (MessageType.OPEN, MessageType.CLOSE):
            return "has no lid actuator for %s" % MessageType.name(msg_type)
        return Device.refusal(self, msg_type)

    async def handle(self, msg_type, data):
        relay = self.flush_relay if msg_type == FLUSH else self.clean_relay
        async with self._busy:
            relay.pulse(self.op_ms)
            try:
                await sleep_ms(self.op_ms)
            finally:
                relay.off()

    def safe(self):
        self.flush_relay.off()
        self.clean_relay.off()

    def deinit(self):
        self.flush_relay.deinit()
        self.clean_relay.deinit()

    def status(self):
        return {"flush": self.flush_relay.value(), "clean": self.clean_relay.value()}
