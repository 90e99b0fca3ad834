"""RTTTL ring tones (the format of ESPHome's rtttl and Tasmota), parsed whole before a note sounds.

    name:d=4,o=6,b=63:8e6,8d#6,4p,c.7,2a5.
Defaults: d (duration 1, 2, 4, 8, 16 or 32), o (octave 4 to 7), b (beats per
minute, 25 to 900; a beat is a quarter note). A note is [duration] letter
(a-g, or p for a pause) [#] [.] [octave] [.]; a dot makes it half as long again.
"""
from iot import IOTError
from iot.compat import const
from iot.message import digits

MAX_NOTES = const(256)
SEMITONES = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}
DURATIONS = (1, 2, 4, 8, 16, 32)


def frequency(semitone, octave):
    """Equal temperament, A4 = 440 Hz; semitone 0 is C."""
    return int(440 * 2 ** ((semitone - 9) / 12 + octave - 4) + 0.5)


def parse(text):
    """[(hz, ms), ...] with hz 0 for a pause; IOTError saying what is wrong otherwise."""
    if type(text) is not str:
        raise IOTError("RTTTL must be text")
    parts = text.split(":")
    if len(parts) != 3:
        raise IOTError("RTTTL is name:defaults:notes")
    defaults = {"d": 4, "o": 6, "b": 63}
    for item in parts[1].split(","):
        item = item.strip().lower()
        if not item:
            continue
        kv = [part.strip() for part in item.split("=")]
        if len(kv) != 2 or kv[0] not in defaults or not digits(kv[1]):
            raise IOTError("RTTTL default %r is not d=, o= or b= with a number" % item)
        defaults[kv[0]] = int(kv[1])
    if defaults["d"] not in DURATIONS:
        raise IOTError("RTTTL duration d=%d is not 1, 2, 4, 8, 16 or 32" % defaults["d"])
    if not 4 <= defaults["o"] <= 7:
        raise IOTError("RTTTL octave o=%d is not 4 to 7" % defaults["o"])
    if not 25 <= defaults["b"] <= 900:
        raise IOTError("RTTTL tempo b=%d is not 25 to 900" % defaults["b"])
    whole_ms = 240000 // defaults["b"]
    notes = []  # type: list
    for i, token in enumerate(parts[2].split(",")):
        if len(notes) == MAX_NOTES:
            raise IOTError("RTTTL has more than %d notes" % MAX_NOTES)
        notes.append(_note(token.strip().lower(), i + 1, defaults, whole_ms))
    return notes


def _note(token, number, defaults, whole_ms):
    n = len(token)
    i = 0
    while i < n and digits(token[i]):
        i += 1
    duration = int(token[:i]) if i else defaults["d"]
    if duration not in DURATIONS:
        raise IOTError("RTTTL note %d %r: duration is not 1, 2, 4, 8, 16 or 32" % (number, token))
    if i == n or (token[i] != "p" and token[i] not in SEMITONES):
        raise IOTError("RTTTL note %d %r: no note letter a-g or p" % (number, token))
    letter = token[i]
    i += 1
    sharp = i < n and token[i] == "#"
    if sharp:
        i += 1
    dotted = i < n and token[i] == "."
    if dotted:
        i += 1
    octave = defaults["o"]
    if i < n and digits(token[i]):
        octave = int(token[i])
        i += 1
        if not 4 <= octave <= 7:
            raise IOTError("RTTTL note %d %r: octave is not 4 to 7" % (number, token))
    if i < n and token[i] == "." and not dotted:
        dotted = True
        i += 1
    if i != n:
        raise IOTError("RTTTL note %d %r: unexpected %r" % (number, token, token[i:]))
    ms = whole_ms * 3 // (2 * duration) if dotted else whole_ms // duration
    if letter == "p":
        return (0, ms)
    return (frequency(SEMITONES[letter] + sharp, octave), ms)
