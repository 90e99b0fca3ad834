"""The seed's three devices as GPIO drivers: a light (LED), a speaker (buzzer), a toilet (relays).

Every device declares the messages it takes, checks data before anything moves,
says how long each operation takes (the planner adds these up), and has a safe
state it returns to on error, cancel, unregister and reset. An operation changes
its outputs at once and completes after its time (`op_ms`, the seed's 0.5 s).
"""
import asyncio

from iot import IOTError
from iot.compat import sleep_ms, ticks_add, ticks_diff, ticks_ms
from iot.message import MessageType
from iot.outputs import Buzzer, Relay, Servo, interlock, light_output, output_pin

SWITCH_ON = MessageType.SWITCH_ON
SWITCH_OFF = MessageType.SWITCH_OFF
CHANGE_COLOR = MessageType.CHANGE_COLOR
PLAY_SONG = MessageType.PLAY_SONG
OPEN = MessageType.OPEN
CLOSE = MessageType.CLOSE
FLUSH = MessageType.FLUSH
CLEAN = MessageType.CLEAN

# Built-in songs, as RTTTL. PLAY_SONG takes one of these names or a raw RTTTL string.
SONGBOOK = {
    # "So What": the bass call, then the horns' two-note "so what" answer.
    "Miles Davis - Kind of Blue": "SoWhat:d=8,o=5,b=160:d,a4,b4,c,d,e,c,p,4e,4d",
}
NOTE_GAP_MS = 10  # silence at the end of each note, so repeated notes are heard as two
FADE_STEP_MS = 20  # a light fade's step: 50 per second look smooth


class Device:
    """Base class: message checks, operation time, connect/disconnect, safe state."""

    kind = "device"
    ACCEPTS = ()  # type: tuple
    ONE_AT_A_TIME = False  # True: operations queue up (the planner adds them up, even in parallel)

    def __init__(self, op_ms=500, connect_ms=None):
        self.name = self.kind  # the service sets the registered name
        self.op_ms = op_ms
        self.connect_ms = op_ms if connect_ms is None else connect_ms
        self.busy = asyncio.Lock() if self.ONE_AT_A_TIME else None  # the service holds it for each operation

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

    def check_now(self, msg_type, data):
        """Raise IOTError if the device cannot take the message in the state it is in now
        (check() is for any time, as when a program is defined); changes nothing."""

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
    """A light: a dimmable LED, an RGB LED or a NeoPixel strip (`output`, see iot.outputs).

    Its data is ESPHome's light.turn_on in words (iot.color): SWITCH_ON takes an
    optional brightness ("40%"), colour and transition ("2s"); CHANGE_COLOR a
    colour (kept for the next SWITCH_ON while the light is off); SWITCH_OFF a
    transition. Changes fade over the transition (default `fade_ms`, 0: at once);
    an operation takes op_ms or its transition, whichever is longer.
    """

    kind = "light"

    def __init__(self, output, fade_ms=0, op_ms=500, connect_ms=None):
        super().__init__(op_ms, connect_ms)
        self._out = output
        self.ACCEPTS = (SWITCH_ON, SWITCH_OFF, CHANGE_COLOR) if output.colours else (SWITCH_ON, SWITCH_OFF)
        self.fade_ms = fade_ms
        self.on = False
        self.brightness = 100
        self.color = 0xFFFFFF
        self._shown = 0  # what the LEDs show now, 0xRRGGBB after brightness
        self._change = 0  # counts changes, so a fade knows when a newer one took over

    def refusal(self, msg_type):
        if msg_type == CHANGE_COLOR:
            return "is a single-colour LED and cannot CHANGE_COLOR"
        return Device.refusal(self, msg_type)

    def check_data(self, msg_type, data):
        try:
            rgb, brightness, transition = light_data(data, self._out.colours)
        except IOTError as e:
            raise IOTError("%s: %s" % (self.name, e))
        if msg_type == CHANGE_COLOR and rgb is None:
            raise IOTError("%s: CHANGE_COLOR needs a colour (#rrggbb or a name)" % self.name)
        if msg_type == SWITCH_OFF and (rgb is not None or brightness is not None):
            raise IOTError("%s: %s takes only a transition time" % (self.name, MessageType.name(msg_type)))
        if brightness == 0:
            raise IOTError("%s: brightness is from 1%% to 100%%; SWITCH_OFF switches off" % self.name)
        return transition

    def duration_ms(self, msg_type, data):
        """Of data check() has passed: op_ms, or the transition if longer."""
        transition = light_data(data, self._out.colours)[2]
        return max(self.op_ms, self.fade_ms if transition is None else transition)

    def _target(self):
        if not self.on:
            return 0
        b = self.brightness
        c = self.color
        return ((c >> 16) * b // 100) << 16 | ((c >> 8 & 255) * b // 100) << 8 | (c & 255) * b // 100

    def _show(self, rgb):
        if rgb != self._shown:
            self._shown = rgb
            self._out.show(rgb >> 16, rgb >> 8 & 255, rgb & 255)

    async def handle(self, msg_type, data):
        start = ticks_ms()
        rgb, brightness, transition = light_data(data)
        if msg_type != CHANGE_COLOR:
            self.on = msg_type == SWITCH_ON
        if rgb is not None:
            self.color = rgb
        if brightness is not None:
            self.brightness = brightness
        await self._fade(self._target(), self.fade_ms if transition is None else transition)
        await sleep_ms(max(0, ticks_diff(ticks_add(start, self.op_ms), ticks_ms())))

    async def _fade(self, target, ms):
        """From what shows now to `target` in steps of FADE_STEP_MS, each on the clock."""
        self._change += 1
        change = self._change
        start = ticks_ms()
        src = self._shown
        while True:
            t = ticks_diff(ticks_ms(), start)
            if self._change != change:
                return  # a newer change (or safe()) took over
            if t >= ms:
                self._show(target)
                return
            self._show(_mix(src, target, t, ms))
            await sleep_ms(min(FADE_STEP_MS, ms - t))

    def safe(self):
        self._change += 1
        self.on = False
        self._show(0)

    def deinit(self):
        self.safe()
        self._out.deinit()

    def status(self):
        s = {"on": self.on, "brightness": self.brightness, "level": "#%06x" % self._shown}
        if self._out.colours:
            s["color"] = "#%06x" % self.color
        return s


def light_data(data, colours=True):
    """(colour, brightness, transition) of a light's data; the colour parser is loaded only for data."""
    if not data:
        return None, None, None
    from iot import color  # most messages carry none: a board that never sends any keeps its heap

    return color.parse(data, colours)


def _mix(a, b, t, span):
    """The colour t/span of the way from a to b, per channel."""
    out = 0
    for shift in (16, 8, 0):
        ca = a >> shift & 255
        out |= (ca + ((b >> shift & 255) - ca) * t // span) << shift
    return out


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
        self._power_ons = 0  # counts power-ons, so a warm-up knows if it is still the current one
        self.song = None
        self._parsed = (None, None)  # (data, notes) of the last song checked

    def notes(self, data):
        """The song's [(hz, ms)], parsed once per song; IOTError if it is no song."""
        if self._parsed[0] != data:
            text = SONGBOOK.get(data, data)
            if ":" not in text:
                raise IOTError("%s: no song %r in the songbook, and it is not RTTTL" % (self.name, data))
            try:
                from iot import rtttl  # loaded at the first song: a board that plays none keeps its heap

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

    def check_now(self, msg_type, data):
        if msg_type == PLAY_SONG and not self.ready:
            self.refuse_song()

    def refuse_song(self):
        raise IOTError("%s: is off; SWITCH_ON must finish before PLAY_SONG" % self.name)

    def _power(self, on):
        self.powered = on
        if self._enable is not None:
            self._enable.value(1 if on else 0)

    async def handle(self, msg_type, data):
        if msg_type == SWITCH_ON:
            if not self.powered:
                self._power(True)
                self._power_ons += 1
                power_on = self._power_ons
                await sleep_ms(self.op_ms)
                # Ready only if this power-on was not switched off (and on again) meanwhile.
                self.ready = self.powered and self._power_ons == power_on
            else:
                await sleep_ms(self.op_ms)
        elif msg_type == SWITCH_OFF:
            self.safe()
            await sleep_ms(self.op_ms)
        else:
            if not self.ready:
                self.refuse_song()
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
    """Two relays and an optional lid servo: FLUSH opens the flush valve, CLEAN runs
    the cleaning pump, OPEN/CLOSE move the lid; each takes op_ms.

    It does one thing at a time: the relays form an interlock group, and a CLEAN
    sent during a FLUSH (or a lid move) waits for it to finish. Each relay (an
    iot.outputs.Relay, with its own polarity) bounds its own energised time,
    whatever happens to the program that started it: an operation the relay has
    no time left for is refused. The servo is released (no pulses) once the lid
    has moved, and on any stop.
    """

    kind = "toilet"
    ONE_AT_A_TIME = True
    LID_ANGLES = {OPEN: 100, CLOSE: 0}  # degrees; a lid stands at about 100 degrees

    def __init__(self, flush, clean, lid=None, op_ms=500, connect_ms=None):
        super().__init__(op_ms, connect_ms)
        for relay in (flush, clean):
            if op_ms > relay.max_on_ms:
                raise ValueError("toilet: op_ms %d is over max_on_ms %d" % (op_ms, relay.max_on_ms))
        self.flush_relay = flush
        self.clean_relay = clean
        interlock(flush, clean)
        self._servo = lid
        self.ACCEPTS = (FLUSH, CLEAN) if lid is None else (FLUSH, CLEAN, OPEN, CLOSE)
        self.lid = None  # "open" or "closed" once moved; unknown at boot

    def refusal(self, msg_type):
        if msg_type in (OPEN, CLOSE):
            return "has no lid servo for %s (set pins.lid in config.json)" % MessageType.name(msg_type)
        return Device.refusal(self, msg_type)

    def _relay(self, msg_type):
        return self.flush_relay if msg_type == FLUSH else self.clean_relay

    def check_now(self, msg_type, data):
        if msg_type in (FLUSH, CLEAN):
            self._relay_says(self._relay(msg_type).check, self.op_ms)

    def _relay_says(self, action, ms):
        try:
            action(ms)
        except IOTError as e:
            raise IOTError("%s: %s" % (self.name, e))

    async def handle(self, msg_type, data):
        if msg_type in (OPEN, CLOSE):
            await self._move_lid(msg_type)
            return
        relay = self._relay(msg_type)
        self._relay_says(relay.pulse, self.op_ms)
        try:
            await sleep_ms(self.op_ms)
        finally:
            relay.off()

    async def _move_lid(self, msg_type):
        servo = self._servo
        assert servo is not None  # OPEN and CLOSE are accepted only with a lid
        self.lid = None
        servo.angle(self.LID_ANGLES[msg_type])
        try:
            await sleep_ms(self.op_ms)
            self.lid = "open" if msg_type == OPEN else "closed"
        finally:
            servo.release()

    def safe(self):
        self.flush_relay.off()
        self.clean_relay.off()
        if self._servo is not None:
            self._servo.release()

    def deinit(self):
        self.flush_relay.deinit()
        self.clean_relay.deinit()
        if self._servo is not None:
            self._servo.deinit()

    def status(self):
        return {"flush": self.flush_relay.value(), "clean": self.clean_relay.value(), "lid": self.lid,
                "busy": self.busy.locked() if self.busy is not None else False}


class SeedDevice(Device):
    """A device written the seed's way: any object with async connect(), disconnect() and
    send_message(message_type, data=""). It takes every message type, its operations take a time
    nobody knows (the planner says so instead of guessing), and it has no outputs of its own to make safe.
    """

    ACCEPTS = (SWITCH_ON, SWITCH_OFF, CHANGE_COLOR, PLAY_SONG, OPEN, CLOSE, FLUSH, CLEAN)

    def __init__(self, duck):
        super().__init__(0, 0)
        self.duck = duck

    async def connect(self):
        await self.duck.connect()

    async def disconnect(self):
        await self.duck.disconnect()

    def check_data(self, msg_type, data):
        pass  # any text: the device itself judges it

    def duration_ms(self, msg_type, data):
        return None

    async def handle(self, msg_type, data):
        await self.duck.send_message(msg_type, data)

    def safe(self):
        pass


# The seed's device classes, made with no arguments as the tutorial makes them: the light, speaker and
# toilet on this board's pins (config.json and the board map), at the seed's 0.5 s per operation.
SEED_OP_MS = 500


def _settings(settings):
    if settings is None:
        import config  # the board's own settings, read when a device is made the seed's way

        settings = config.load()
    return settings


class HueLightDevice(Light):
    def __init__(self, settings=None, op_ms=SEED_OP_MS):
        s = _settings(settings)
        light = s["light"]
        super().__init__(light_output(light["kind"], s["pins"]["light"], "light" in s["active_low"], light["pixels"]),
                         fade_ms=light["fade_ms"], op_ms=op_ms)


class SmartSpeakerDevice(Speaker):
    def __init__(self, settings=None, op_ms=SEED_OP_MS):
        s = _settings(settings)
        super().__init__(s["pins"]["speaker"], enable_pin=s["pins"]["speaker_enable"],
                         enable_active_low="speaker_enable" in s["active_low"], op_ms=op_ms)


class SmartToiletDevice(Toilet):
    def __init__(self, settings=None, op_ms=SEED_OP_MS):
        s = _settings(settings)
        pins, low = s["pins"], s["active_low"]

        def relay(name):
            return Relay(pins[name], s["max_on_ms"], name in low, s["min_off_ms"], name)

        lid = pins["lid"]
        super().__init__(relay("flush"), relay("clean"), None if lid is None else Servo(lid), op_ms=op_ms)
