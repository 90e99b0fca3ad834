"""Light settings as a maker types them: a colour, a brightness, a transition time.

    "#ff8800"   "orange"   "40%"   "1.5s" / "1500ms"   and any mix: "red 40% 2s"
parse() checks the whole text before anything moves and raises IOTError naming
the word it could not read.
"""
from iot import IOTError

# A few named colours (CSS values; warm white as a 2700 K LED bulb looks).
COLORS = {
    "white": 0xFFFFFF,
    "warm_white": 0xFFB46B,
    "red": 0xFF0000,
    "green": 0x00FF00,
    "blue": 0x0000FF,
    "yellow": 0xFFFF00,
    "orange": 0xFFA500,
    "purple": 0x800080,
    "pink": 0xFFC0CB,
    "cyan": 0x00FFFF,
    "magenta": 0xFF00FF,
}
HEX = "0123456789abcdef"
MAX_TRANSITION_MS = 60000


def parse_color(word):
    """0xRRGGBB from "#rrggbb" (any case) or a name in COLORS; IOTError otherwise."""
    w = word.lower()
    if w in COLORS:
        return COLORS[w]
    if len(w) == 7 and w[0] == "#":
        rgb = 0
        for ch in w[1:]:
            i = HEX.find(ch)
            if i < 0:
                break
            rgb = rgb * 16 + i
        else:
            return rgb
    raise IOTError("%r is no colour: use #rrggbb or one of %s" % (word, ", ".join(sorted(COLORS))))


def _number(text, word):
    """A non-negative decimal with at most 3 places, in thousandths (ASCII digits only)."""
    whole, _, frac = text.partition(".")
    if not whole + frac or len(frac) > 3 or len(whole) > 6:
        raise IOTError("%r is not a number" % word)
    for ch in whole + frac:
        if not "0" <= ch <= "9":
            raise IOTError("%r is not a number" % word)
    return int(whole or "0") * 1000 + int((frac + "000")[:3])


def parse(data, colours=True):
    """(color or None, brightness % or None, transition ms or None) from the message data.

    With `colours` False (a single-colour LED) a colour is not one of the choices.
    """
    color = brightness = transition = None
    for word in data.split():
        w = word.lower()
        if w.endswith("%"):
            value = _number(w[:-1], word) // 1000
            if brightness is not None or value > 100:
                raise IOTError("%r: brightness is one value from 0%% to 100%%" % word)
            brightness = value
        elif w.endswith("ms") or (w.endswith("s") and w[:1] in "0123456789."):
            ms = _number(w[:-2], word) // 1000 if w.endswith("ms") else _number(w[:-1], word)
            if transition is not None or ms > MAX_TRANSITION_MS:
                raise IOTError("%r: transition is one time up to %d ms" % (word, MAX_TRANSITION_MS))
            transition = ms
        elif not colours:
            raise IOTError("%r is neither a brightness (40%%) nor a transition (2s)" % word)
        else:
            if color is not None:
                raise IOTError("%r: only one colour at a time" % word)
            color = parse_color(word)
    return color, brightness, transition


def to_hex(rgb):
    return "#%06x" % rgb
