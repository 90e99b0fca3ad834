"""What every command is made of: a line's words (quoting), names, and a device command given as JSON.

Input is only ever parsed, never evaluated as Python; each refusal is one IOTError whose text is the reply.
"""
from iot import IOTError
from iot.declare import MAX_NAME, NAME_CHARS  # a program's name is as a device's

MAX_LINE = 1024  # the console's longest line, so the longest JSON a command takes


def check_line(line):
    """IOTError if the line holds a control character (a tab is none): a line of garbage changes nothing."""
    for ch in line:
        if ord(ch) < 32 and ch != "\t" or ord(ch) == 127:
            raise IOTError("control character 0x%02x in the line; ignored" % ord(ch))


def split(text):
    """Words; a "double-quoted" word keeps its spaces (\\" and \\\\ inside). IOTError on bad quoting."""
    words = []
    word = None
    quoted = False
    escaped = False
    for ch in text:
        if escaped:
            if ch not in '"\\':
                raise IOTError("bad quoting: \\%s (inside quotes only \\\" and \\\\)" % ch)
            word += ch
            escaped = False
        elif quoted:
            if ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
            else:
                word += ch
        elif ch == '"':
            if word is not None:
                raise IOTError("bad quoting: a quote inside a word")
            word = ""
            quoted = True
        elif ch in " \t":
            if word is not None:
                words.append(word)
                word = None
        else:
            word = ch if word is None else word + ch
    if quoted or escaped:
        raise IOTError("bad quoting: a quote is not closed")
    if word is not None:
        words.append(word)
    return words


def check_name(name):
    if not 0 < len(name) <= MAX_NAME or [c for c in name if c not in NAME_CHARS]:
        raise IOTError("%r is no program name: 1 to %d of a-z, 0-9 and _" % (name, MAX_NAME))
    return name


def device_message(device, body):
    """(msg, data) of a device command given as JSON, {"msg": ..., "data": ...}, as MQTT and the web API
    give it; IOTError if it is none."""
    if type(body) is not dict:
        raise IOTError('%s: a device command is {"msg": ..., "data": ...}' % device)
    for key in body:
        if key not in ("msg", "data"):
            raise IOTError("%s: %r is neither msg nor data" % (device, key))
    msg, data = body.get("msg", ""), body.get("data", "")
    if type(msg) is not str or type(data) is not str:
        raise IOTError("%s: msg and data are text" % device)
    return msg, data
