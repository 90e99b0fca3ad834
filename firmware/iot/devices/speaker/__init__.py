"""The speaker: a passive buzzer on PWM that plays RTTTL songs, with an optional amplifier enable pin."""
from iot import IOTError
from iot.compat import sleep_ms, ticks_add, ticks_diff, ticks_ms
from iot.devices.base import Device
from iot.message import MessageType
from iot.outputs import Buzzer, output_pin

SWITCH_ON = MessageType.SWITCH_ON
SWITCH_OFF = MessageType.SWITCH_OFF
PLAY_SONG = MessageType.PLAY_SONG
# config.json's devices.NAME (iot.devices.kinds): the buzzer's pin, and an amplifier's enable pin if it has one
SETTINGS = {"pin": ("pin", "required"), "enable": ("pin", None)}

# Built-in songs, as RTTTL. PLAY_SONG takes one of these names or a raw RTTTL string.
SONGBOOK = {
    # "So What": the bass call, then the horns' two-note "so what" answer.
    "Miles Davis - Kind of Blue": "SoWhat:d=8,o=5,b=160:d,a4,b4,c,d,e,c,p,4e,4d",
}
NOTE_GAP_MS = 10  # silence at the end of each note, so repeated notes are heard as two


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
            from iot import rtttl  # loaded by the first song

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


def parts(spec):
    """The speaker's pin, enable_pin and enable_active_low, from its settings (config.json's devices.NAME)."""
    return spec["pin"], spec["enable"], "enable" in spec["active_low"]


def build(name, spec, op_ms):
    pin, enable_pin, enable_active_low = parts(spec)
    return Speaker(pin, enable_pin, enable_active_low, op_ms)
