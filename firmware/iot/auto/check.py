"""config.json's automation sections checked (config.check calls this only when one is there):

    "inputs":      {"bath_button": {"pin": 14, "pull": "up", "active": "low", "debounce_ms": 30,
                                    "long_ms": 800, "double_ms": 350, "label": "Bath button"},
                    "door": {"pin": 13, "kind": "contact"}},
    "schedules":   {"night_clean": {"at": "03:00", "days": ["mon", "thu"], "catch_up": true, "catch_up_min": 60},
                    "porch": {"sun": "sunset", "offset_min": -15}},
    "automations": [{"on": "bath_button.press", "do": "toilet flush"},
                    {"on": "night_clean", "do": "sleep"}],
    "clock":       {"utc_offset": "+01:00", "dst": "eu", "ntp": "pool.ntp.org", "latitude": 52.37, "longitude": 4.9}

They come out as an input and a schedule a tuple each, in the order iot.auto.inputs and iot.auto.schedules
read them, a binding as (on, do), for the engine to pack as it is built (iot.auto). Unlike the outputs' settings,
a bad entry here drives no pin: it is left out, with one error line naming
its key (returned in "problems"), and the rest of the file still boots. Only a clock that cannot be read
is a ConfigError, since every schedule hangs on it.
"""
from iot import IOTError
from iot.auto import BUTTON_EVENTS, CONTACT_EVENTS
from iot.auto.clock import RULES, WEEKDAYS, parse_offset
from iot.message import MAX_LABEL, MessageType, digits, is_label

INPUT_MS = (("debounce_ms", 30, 1, 1000), ("long_ms", 800, 100, 10000), ("double_ms", 350, 50, 2000))
MAX_ENTRIES = 32  # of each section: a board's heap holds them all
MAX_DO = 256


def parse_hhmm(text):
    """'HH:MM' as minutes of the day; IOTError otherwise."""
    if type(text) is not str or len(text) != 5 or text[2] != ":" or not digits(text[:2] + text[3:]) \
            or int(text[:2]) > 23 or int(text[3:]) > 59:
        raise IOTError("a time of day is HH:MM (00:00 to 23:59), not %r" % (text,))
    return int(text[:2]) * 60 + int(text[3:])


def _name(name):
    return type(name) is str and 0 < len(name) <= 24 and not [c for c in name if c not in
                                                              "abcdefghijklmnopqrstuvwxyz0123456789_"]


def _int(entry, key, default, low, high, where):
    value = entry.get(key, default)
    if type(value) is not int or not low <= value <= high:
        raise IOTError("%s.%s must be a whole number from %d to %d" % (where, key, low, high))
    return value


def _keys(entry, allowed, where):
    if type(entry) is not dict:
        raise IOTError("%s must be an object" % where)
    for key in entry:
        if key not in allowed:
            raise IOTError("%s.%s is not one of %s" % (where, key, ", ".join(allowed)))


def _label(entry, where):
    """A name for people (Home Assistant shows it: config.labels gathers them for iot.net.discovery)."""
    if "label" in entry and not is_label(entry["label"]):
        raise IOTError("%s.label must be text of 1 to %d characters" % (where, MAX_LABEL))


def _input(name, entry, where, board_pins, taken):
    _keys(entry, ("pin", "kind", "pull", "active", "debounce_ms", "long_ms", "double_ms", "label"), where)
    _label(entry, where)
    pin = entry.get("pin")
    if type(pin) is not int:
        raise IOTError("%s.pin must be a GPIO number" % where)
    if pin not in board_pins:
        raise IOTError("%s.pin: this board has no GPIO %d for an input" % (where, pin))
    if pin in taken:
        raise IOTError("%s.pin: GPIO %d is taken by %s" % (where, pin, taken[pin]))
    kind = entry.get("kind", "button")
    active = entry.get("active", "low")
    if kind not in ("button", "contact") or active not in ("low", "high"):
        raise IOTError("%s: kind is button or contact, active is low or high" % where)
    pull = entry.get("pull", "up" if active == "low" else "down")
    if pull not in ("up", "down", None):
        raise IOTError("%s.pull must be up, down or null (an external resistor)" % where)
    debounce, long_ms, double = [_int(entry, key, default, low, high, where) for key, default, low, high in INPUT_MS]
    return pin, kind == "button", active == "low", pull, debounce, long_ms, double  # as iot.auto.inputs reads it


def _schedule(entry, where, has_place):
    _keys(entry, ("at", "sun", "offset_min", "days", "catch_up", "catch_up_min", "label"), where)
    _label(entry, where)
    if ("at" in entry) == ("sun" in entry):
        raise IOTError("%s needs at (HH:MM) or sun (sunrise or sunset), one of them" % where)
    sun = entry.get("sun")
    if sun is not None:
        if sun not in ("sunrise", "sunset"):
            raise IOTError("%s.sun must be sunrise or sunset" % where)
        if not has_place:
            raise IOTError("%s: sun needs clock.latitude and clock.longitude" % where)
    try:
        at = None if sun is not None else parse_hhmm(entry["at"])
    except IOTError as e:
        raise IOTError("%s.at: %s" % (where, e))
    if sun is None and "offset_min" in entry:
        raise IOTError("%s.offset_min goes with sun only" % where)
    days = entry.get("days", list(WEEKDAYS))
    if type(days) is not list or not days or [d for d in days if d not in WEEKDAYS]:
        raise IOTError("%s.days must be a list of %s" % (where, ", ".join(WEEKDAYS)))
    catch_up = entry.get("catch_up", False)
    if type(catch_up) is not bool:
        raise IOTError("%s.catch_up must be true or false" % where)
    mask = 0
    for d in days:
        mask |= 1 << WEEKDAYS.index(d)
    return (at, sun, _int(entry, "offset_min", 0, -720, 720, where), mask, catch_up,  # as iot.auto.schedules reads it
            _int(entry, "catch_up_min", 60, 1, 1440, where))


def _automation(entry, where, inputs, schedules, devices, readings):
    """(on, do, None), or for a value automation (on, do, (value, hysteresis, for_ms))."""
    _keys(entry, ("on", "do", "value", "hysteresis", "for_s"), where)
    on, do = entry.get("on"), entry.get("do")
    if type(do) is not str or not 0 < len(do.strip()) <= MAX_DO or [c for c in do if ord(c) < 32]:
        raise IOTError("%s.do must be a program's name or one command line (at most %d characters)" % (where, MAX_DO))
    if type(on) is not str:
        raise IOTError("%s.on must be text" % where)
    source, _, event = on.partition(".")
    values = None
    if source in readings:
        if event not in ("above", "below"):
            raise IOTError("%s.on: a reading's events are above and below, as %s.above" % (where, source))
        value = entry.get("value")
        hysteresis = entry.get("hysteresis", 0)
        if type(value) not in (int, float) or type(hysteresis) not in (int, float) or hysteresis < 0:
            raise IOTError("%s: a value automation takes a number, \"value\", and a \"hysteresis\" of 0 or more" %
                           where)
        values = (value, hysteresis, _int(entry, "for_s", 0, 0, 86400, where) * 1000)
    elif [k for k in ("value", "hysteresis", "for_s") if k in entry]:
        raise IOTError("%s: value, hysteresis and for_s are for a sensor's reading (%s.above)" % (
            where, "bath_humidity" if not readings else sorted(readings)[0]))
    elif not event:
        if on not in schedules:
            raise IOTError("%s.on: no schedule %r" % (where, on))
    elif source in inputs:
        button = inputs[source][1]
        events = BUTTON_EVENTS if button else CONTACT_EVENTS
        if event not in events:
            raise IOTError("%s.on: %s is a %s: its events are %s" % (where, source, "button" if button else "contact",
                                                                     ", ".join(events)))
    elif source in devices:
        if not event.endswith("_done") or event[:-5].upper() not in MessageType.NAMES:
            raise IOTError("%s.on: a device's events are <message>_done, as toilet.flush_done" % where)
        words = do.split()
        if len(words) > 1 and words[0] == source and words[1].upper() == event[:-5].upper():
            raise IOTError("%s: %s would trigger itself: its %s starts %s again" % (where, on, do.strip(), on))
    else:
        raise IOTError("%s.on: no input, schedule, device or reading %r" % (where, source))
    return on, do.strip(), values


def _clock(raw, path):
    clock = raw.get("clock", {})
    try:
        _keys(clock, ("utc_offset", "dst", "ntp", "latitude", "longitude"), "clock")
        offset = parse_offset(clock.get("utc_offset", "+00:00"))
        rule = clock.get("dst")
        if rule is not None and rule not in RULES:
            raise IOTError("clock.dst must be eu, us or null")
        ntp = clock.get("ntp")
        if ntp is not None and (type(ntp) is not str or not 0 < len(ntp) <= 64):
            raise IOTError("clock.ntp must be a host name or address")
        place = [clock.get(k) for k in ("latitude", "longitude")]
        if place != [None, None]:
            for value, limit, key in ((place[0], 90, "latitude"), (place[1], 180, "longitude")):
                if type(value) not in (int, float) or not -limit <= value <= limit:
                    raise IOTError("clock.%s must be a number from -%d to %d" % (key, limit, limit))
    except IOTError as e:
        raise IOTError("%s: %s" % (path, e))
    return {"offset_s": offset, "dst": rule, "ntp": ntp, "place": None if place == [None, None] else place}


def _section(raw, key, kind):
    section = raw.get(key, kind())
    if type(section) is not kind:
        raise IOTError("%s must be %s" % (key, "an object" if kind is dict else "a list"))
    if len(section) > MAX_ENTRIES:
        raise IOTError("%s: more than %d entries" % (key, MAX_ENTRIES))
    return section


def check(raw, path, taken, board_inputs, devices, readings=()):
    """{"clock", "inputs", "schedules", "automations", "devices", "problems"}; `taken` says who has each output's pin
    ({pin: "the output light"}), `board_inputs` the GPIOs this board has for inputs, `devices` the devices' names
    (their finished steps are events), `readings` the sensors' (their values are). IOTError (the caller's
    ConfigError) for the clock."""
    clock = _clock(raw, path)
    problems = []
    taken = dict(taken)  # and the inputs'
    sections = {}
    for key, kind in (("inputs", dict), ("schedules", dict), ("automations", list)):
        try:
            sections[key] = _section(raw, key, kind)
        except IOTError as e:
            problems.append("%s: %s; left out" % (path, e))
            sections[key] = kind()
    inputs, schedules, automations = {}, {}, []
    for name in sections["inputs"]:
        where = "inputs." + name
        try:
            if not _name(name) or name in devices or name in readings:
                raise IOTError("%s: an input's name is a-z, 0-9 and _, and no device's or reading's" % where)
            inputs[name] = _input(name, sections["inputs"][name], where, board_inputs, taken)
            taken[inputs[name][0]] = "the input " + name
        except IOTError as e:
            problems.append("%s: %s; left out" % (path, e))
    for name in sections["schedules"]:
        where = "schedules." + name
        try:
            if not _name(name) or name in devices or name in inputs or name in readings:
                raise IOTError("%s: a schedule's name is a-z, 0-9 and _, and no input's, device's or reading's" % where)
            schedules[name] = _schedule(sections["schedules"][name], where, clock["place"] is not None)
        except IOTError as e:
            problems.append("%s: %s; left out" % (path, e))
    for i, entry in enumerate(sections["automations"]):
        try:
            automations.append(_automation(entry, "automations[%d]" % i, inputs, schedules, devices, readings))
        except IOTError as e:
            problems.append("%s: %s; left out" % (path, e))
    return {"clock": clock, "inputs": inputs, "schedules": schedules, "automations": automations,
            "devices": tuple(devices), "problems": problems}
