"""JSON from outside (a typed line, a file on the flash), parsed only once its text is known to be small
and shallow enough: json.loads recurses per level of nesting on CPython (RecursionError) and takes heap
per level on MicroPython, so a hostile text could end the firmware before any check of the result ran.
"""
import json

from iot import IOTError
from iot.compat import const

MAX_DEPTH = const(40)  # a program nested MAX_DEPTH steps deep is about 2.5 levels of JSON per step


def depth(text, limit):
    """The deepest nesting of [ and { outside strings, counted up to limit + 1."""
    if text.count("[") + text.count("{") <= limit:
        return 0  # cannot be deeper: no need to walk it
    level = deepest = 0
    quoted = escaped = False
    for c in text:
        if quoted:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                quoted = False
        elif c == '"':
            quoted = True
        elif c == "[" or c == "{":
            level += 1
            if level > deepest:
                deepest = level
                if deepest > limit:
                    break
        elif c == "]" or c == "}":
            level -= 1
    return deepest


def loads(text, max_len, what="JSON"):
    """The value of `text`; IOTError saying what is wrong (too long, too deep, not JSON)."""
    if len(text) > max_len:
        raise IOTError("%s is over %d characters" % (what, max_len))
    if depth(text, MAX_DEPTH) > MAX_DEPTH:
        raise IOTError("%s is nested deeper than %d" % (what, MAX_DEPTH))
    try:
        return json.loads(text)
    except ValueError:
        raise IOTError("%s is not valid JSON" % what)


def decode(data, what):
    """Bytes read from a file as text; IOTError if they are not UTF-8."""
    try:
        return data.decode()
    except UnicodeError:
        raise IOTError("%s is not UTF-8 text" % what)
