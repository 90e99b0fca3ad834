"""config.json on the board: which board, pin overrides, timings. Checked whole at boot.

    {"board": "pico_w", "pins": {"light": 14}, "active_low": ["flush", "clean"],
     "light": {"kind": "pwm", "fade_ms": 0}, "op_ms": 500, "max_on_ms": 10000, "min_off_ms": 1000,
     "wdt_ms": 0, "demo": true}

A relay is never energised longer than `max_on_ms` at a stretch; a gap shorter
than `min_off_ms` does not end the stretch (see iot.outputs.Relay). Each output
in `active_low` is driven low for on, the others high: polarity is per output.

`demo` runs the seed's demo at boot, before the shell takes commands.

`inputs`, `schedules`, `automations` and `clock` let the board act on its own (buttons, times of day,
triggers bound to programs): iot.auto.check says their shape, docs/automations.md how to use them.

`mqtt` puts the controller on a broker (iot.net), `web` serves its page and
API, and `wifi` joins a network first (a board with Wi-Fi):

    "wifi": {"ssid": "home"},
    "mqtt": {"host": "192.168.1.10", "port": 1883, "user": "iot", "tls": false,
             "prefix": "iot", "node": "kitchen", "discovery": true, "keepalive": 60},
    "web": {"port": 80, "user": "admin", "auth": true, "hosts": ["bathroom.lan"]},
    "syslog": {"host": "192.168.1.5", "port": 514}

`syslog` sends the event and error lines to a syslog server over UDP (iot.net.logs). With `wifi` set and no `web`, the page is served on its defaults (a board given Wi-Fi over Improv is configured
there); `"web": null` keeps it off.

Passwords (`wifi.password`, `mqtt.password`, `web.password`: 8 to 64 characters) and the `update_key` that
updates are signed with (docs/updates.md) can live in `secrets.json`, of the same shape, which `make deploy`
copies and nothing prints; its sections are laid over config.json's. The web page always asks for a password
(iot.net.boot makes one at the first boot when none is set) unless `web.auth` is false; `web.hosts` are the
names it answers to beside its addresses and its own network name.

The light's kind is "pwm" (one dimmable LED), "rgb" (pins.light is [r, g, b];
a common-anode LED is active-low) or "neopixel" (a WS2812 strip of `pixels`).
Every key is optional. A bad file (too big, nested too deep, not UTF-8, not
JSON, a bad key) raises ConfigError saying what is wrong, and the caller drives
no pin from it. It is not set aside: without it the board's defaults would
drive pins that may be wired otherwise (a relay of the other polarity).
"""
import os

from boards import BOARDS, OPTIONAL, OUTPUTS, board_name, detect
from iot import IOTError, declare, jsontext
from iot.devices import kinds
from iot.compat import unload
from iot.message import MAX_LABEL, is_label

PATH = "config.json"
SECRETS = "secrets.json"
MAX_BYTES = 8192  # read whole at boot, before the app is imported
# The network sections: key -> (type, default, low, high); a number's range, or a text's length.
REQUIRED = object()  # a key the section cannot do without
WIFI = {"ssid": (str, REQUIRED, 1, 32), "password": (str, "", 0, 64)}
MQTT = {"host": (str, REQUIRED, 1, 64), "port": (int, None, 1, 65535), "user": (str, None, 1, 64),
        "password": (str, None, 0, 64), "tls": (bool, False, 0, 0), "prefix": (str, "iot", 1, 32),
        "node": (str, None, 1, 32), "discovery": (bool, True, 0, 0), "keepalive": (int, 60, 10, 3600)}
SYSLOG = {"host": (str, REQUIRED, 1, 64), "port": (int, 514, 1, 65535)}
WEB = {"port": (int, 80, 1, 65535), "user": (str, None, 1, 32), "password": (str, None, 8, 64),
       "auth": (bool, True, 0, 0), "hosts": (list, [], 0, 8)}  # type: dict
TOPIC_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
HOST_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-"
LIMITS = {"op_ms": (0, 60000), "max_on_ms": (100, 86400000), "min_off_ms": (0, 3600000), "wdt_ms": (0, 8000)}
DEFAULTS = {"op_ms": 500, "max_on_ms": 10000, "min_off_ms": 1000, "wdt_ms": 0}
LIGHT_KINDS = ("pwm", "rgb", "neopixel")
LIGHT_LIMITS = {"fade_ms": (0, 60000), "pixels": (1, 1024)}
LIGHT_DEFAULTS = {"kind": "pwm", "fade_ms": 0, "pixels": 1}
AUTOMATION = ("inputs", "schedules", "automations", "clock")  # checked by iot.auto.check (docs/automations.md)


class ConfigError(IOTError):
    pass


def load(path=PATH, machine_name=None, secrets=SECRETS):
    """The validated settings: board, pins, active_low, light, demo, op_ms, max_on_ms, min_off_ms, wdt_ms,
    wifi and mqtt (None when not set), with secrets.json's sections laid over config.json's."""
    return combine(_read(path) if path is not None else None, _read(secrets), path or "the board's defaults",
                   machine_name, secrets)


def combine(raw, hidden, where, machine_name=None, secrets=SECRETS):
    """The settings of config.json's `raw` with secrets.json's `hidden` laid over (either None: no such file)."""
    if hidden is not None:
        where = "%s with %s" % (where, secrets)
        if type(hidden) is not dict or [k for k in hidden if k not in ("wifi", "mqtt", "web", "update_key")]:
            raise ConfigError("%s: must be an object with only wifi, mqtt, web and update_key" % secrets)
        raw = {} if raw is None else raw
        update_key = hidden.pop("update_key", None)
        if update_key is not None and (type(update_key) is not str or not 16 <= len(update_key) <= 128):
            raise ConfigError("%s: update_key must be text of 16 to 128 characters" % secrets)
        for key in hidden:
            if type(hidden[key]) is not dict or type(raw.get(key, {})) is not dict:
                raise ConfigError("%s: %s must be an object" % (secrets, key))
            section = dict(raw.get(key, {}))
            section.update(hidden[key])
            raw[key] = section
    settings = check({} if raw is None else raw, where, machine_name)  # no file: the detected board's defaults
    if hidden is not None:
        settings["update_key"] = update_key
    return settings


def _read(path):
    """The JSON in a file, None if there is no file; ConfigError if it is bad."""
    try:
        size = os.stat(path)[6]
    except OSError:
        return None
    try:
        if size > MAX_BYTES:
            raise IOTError("it is %d bytes, over %d" % (size, MAX_BYTES))
        with open(path, "rb") as f:
            return jsontext.loads(jsontext.decode(f.read(), "it"), MAX_BYTES, "it")
    except OSError as e:
        raise ConfigError("%s: cannot be read: %s" % (path, e))
    except MemoryError:
        raise ConfigError("%s: it does not fit in the heap" % path)
    except IOTError as e:
        raise ConfigError("%s: %s" % (path, e))


def check(raw, path=PATH, machine_name=None):
    if type(raw) is not dict:
        raise ConfigError("%s: must be a JSON object" % path)
    for key in raw:
        if key not in ("board", "pins", "active_low", "light", "devices", "sensors", "demo", "wifi", "mqtt", "web",
                       "syslog", "programs") + AUTOMATION and key not in LIMITS:
            raise ConfigError("%s: unknown key %r" % (path, key))
    board = board_name(raw.get("board", detect(machine_name)))
    if board is None:
        raise ConfigError("%s: board %r is not one of %s (or MicroPython's name, as RPI_PICO_W)" % (
            path, raw["board"], ", ".join(sorted(BOARDS))))
    declared = raw.get("devices")
    mapped = OUTPUTS if declared is None else ("status_led",)  # declared devices give their own pins
    pins = {name: BOARDS[board]["pins"][name] for name in mapped}  # type: dict
    overrides = raw.get("pins", {})
    if type(overrides) is not dict:
        raise ConfigError("%s: pins must be an object" % path)
    if declared is not None and "light" in raw:
        raise ConfigError("%s: light: with devices declared, a light's settings are in devices.NAME" % path)
    for name in overrides:
        pin = overrides[name]
        if declared is not None and name != "status_led":
            raise ConfigError("%s: pins.%s: with devices declared, pins holds only status_led (a device's pins are "
                              "in devices.NAME)" % (path, name))
        if name not in OUTPUTS:
            raise ConfigError("%s: pins.%s is not an output (%s)" % (path, name, ", ".join(OUTPUTS)))
        if name in OPTIONAL and pin is None:
            pins[name] = None
        elif _is_pin(pin) or (name == "light" and type(pin) is list and len(pin) == 3 and all(map(_is_pin, pin))):
            pins[name] = pin
        else:
            raise ConfigError("%s: pins.%s must be a GPIO number or pin name, not %r" % (path, name, pin))
    if declared is None:
        for pin in ("light", "speaker", "flush", "clean"):
            if pins.get(pin) is None:
                raise ConfigError("%s: pins.%s: the seed's devices need it, and this board maps none" % (path, pin))
    used = []
    for p in pins.values():
        used.extend(p if type(p) is list else [] if p is None else [p])
    for p in used:
        if used.count(p) > 1:
            raise ConfigError("%s: pins: pin %r is used twice" % (path, p))
    active_low = raw.get("active_low", list(BOARDS[board]["active_low"]))
    if type(active_low) is not list or [n for n in active_low if n not in mapped]:
        raise ConfigError("%s: active_low must be a list of outputs (%s)" % (path, ", ".join(mapped)))
    demo = raw.get("demo", True)
    if type(demo) is not bool:
        raise ConfigError("%s: demo must be true or false" % path)
    programs = raw.get("programs", {})  # labels only: the programs are programs.json's (`define`)
    if type(programs) is not dict or [n for n in programs if type(programs[n]) is not dict or
                                      list(programs[n]) != ["label"] or not is_label(programs[n]["label"])]:
        raise ConfigError('%s: programs must be {"<program>": {"label": text of 1 to %d characters}}' % (
            path, MAX_LABEL))
    settings = {"board": board, "pins": pins, "active_low": active_low, "demo": demo,
                "wifi": _section(raw, path, "wifi", WIFI), "mqtt": _section(raw, path, "mqtt", MQTT),
                "web": _section(raw, path, "web", WEB), "syslog": _section(raw, path, "syslog", SYSLOG),
                "problems": []}
    if settings["wifi"] is not None and "web" not in raw:  # on Wi-Fi (set over Improv, say) the page is served,
        settings["web"] = _section({"web": {}}, path, "web", WEB)  # to configure the board from; "web": null: not
    mqtt = settings["mqtt"]
    if mqtt is not None:
        if mqtt["port"] is None:
            mqtt["port"] = 8883 if mqtt["tls"] else 1883
        for key in ("prefix", "node"):
            if mqtt[key] is not None and [c for c in mqtt[key] if c not in TOPIC_CHARS]:
                raise ConfigError("%s: mqtt.%s may hold only a-z, A-Z, 0-9, _ and -" % (path, key))
    for key in LIMITS:
        value = raw.get(key, DEFAULTS[key])
        low, high = LIMITS[key]
        if type(value) is not int or not low <= value <= high:
            raise ConfigError("%s: %s must be a whole number from %d to %d" % (path, key, low, high))
        settings[key] = value
    if 0 < settings["wdt_ms"] < 1000:
        raise ConfigError("%s: wdt_ms must be 0 (off) or from 1000 to 8000" % path)
    if settings["op_ms"] > settings["max_on_ms"]:
        raise ConfigError("%s: op_ms must not be over max_on_ms" % path)
    taken = {}  # type: dict  # pin -> the key that has it (the seed's pins were checked above, as pins.*)
    if declared is None:
        declared = _seed(pins, active_low, _light(raw, path, pins["light"]))
    else:
        taken[pins["status_led"]] = "pins.status_led"
    settings["devices"] = _declared("devices", declared, path, board, settings, taken, _device)
    if "devices" in raw:
        for name, spec in settings["devices"].items():  # every output in pins, as the seed's are (tools/pintrace.py)
            for key in _pin_keys(kinds.module(spec["kind"]).SETTINGS):
                label = _pin_label(name, spec["kind"], key)
                pins[label] = spec[key]
                if key in spec["active_low"]:
                    active_low.append(label)
    outputs = {}  # type: dict
    for name in pins:
        for p in pins[name] if type(pins[name]) is list else [pins[name]]:
            outputs[p] = "the output " + name
    taken.update(outputs)  # as inputs and sensors are told: "the output light"
    settings["readings"] = {}  # reading -> its sensor
    settings["sensors"] = _declared("sensors", raw.get("sensors", {}), path, board, settings, taken, _sensor)
    for name in ("iot.sensors.filters", "iot.sensors.kinds"):  # what checked them: loaded again if needed (build)
        unload(name)
    settings["labels"] = labels(raw)
    settings["auto"] = None
    settings["update_key"] = None  # secrets.json's (load): the key bundles are signed with (iot.update)
    if [k for k in AUTOMATION if k in raw]:
        from iot.auto import check as auto  # only when the file has automations: then let go with this module

        try:
            settings["auto"] = auto.check(raw, path, taken, BOARDS[board]["inputs"], settings["devices"],
                                          settings["readings"])
        except IOTError as e:
            raise ConfigError(str(e))
        finally:
            del auto
            unload("iot.auto.check")
    return settings


# The board map's name of each of the seed's devices' pins: (device, its pin key) -> the output's name in `pins`
SEED_PINS = {("light", "pin"): "light", ("speaker", "pin"): "speaker", ("speaker", "enable"): "speaker_enable",
             ("toilet", "flush"): "flush", ("toilet", "clean"): "clean", ("toilet", "lid"): "lid"}


def _seed(pins, active_low, light):
    """The seed's light, speaker and toilet as config.json's devices would declare them, on the board's pins."""
    devices = {"light": {"kind": "light", "type": light["kind"], "fade_ms": light["fade_ms"],
                         "pixels": light["pixels"], "active_low": []},
               "speaker": {"kind": "speaker", "active_low": []}, "toilet": {"kind": "toilet", "active_low": []}}
    for (name, key), output in SEED_PINS.items():
        devices[name][key] = pins[output]
        if output in active_low:
            devices[name]["active_low"].append(key)
    return devices


def _pin_label(name, kind, key):
    """A declared device's output as `pins` names it: the board map's name for the seed's devices (tools/pintrace.py
    reads a trace by them), else the device's name, and its pin key for a second pin (toilet2_flush)."""
    if kinds.SEED.get(name) == kind and (name, key) in SEED_PINS:
        return SEED_PINS[name, key]
    return name if key == "pin" else name + "_" + key


def _pin_keys(schema):
    return [key for key in schema if schema[key][0] in (declare.PIN, declare.PINS)]


def _declared(section, declared, path, board, settings, taken, check_one):
    """{name: its checked settings} of config.json's `devices` or `sensors`; one that is wrong (a bad key, a pin
    taken, missing on this board or input-only) is one line in settings["problems"], naming the key, and left out.
    `taken`: {pin: the key that has it}, which their pins join. In the order of their names, on every interpreter (a
    MicroPython dict keeps no order): of two that want one pin, the first name has it."""
    out = {}
    if type(declared) is not dict:
        raise ConfigError("%s: %s must be an object: {name: {\"kind\": ..., ...}}" % (path, section))
    for name in sorted(declared):
        mine = {}  # type: dict  # the pins it takes: {pin: its key}
        try:
            out[name] = check_one(name, declared[name], board, settings, taken, mine)
        except IOTError as e:
            settings["problems"].append("%s: %s; %s left out" % (path, e, name))
            continue
        taken.update(mine)
    return out


def _name(section, name):
    where = "%s.%s" % (section, name)
    if not 0 < len(name) <= declare.MAX_NAME or [c for c in name if c not in declare.NAME_CHARS]:
        raise IOTError("%s: a name is 1 to %d of a-z, 0-9 and _" % (where, declare.MAX_NAME))
    if name in declare.WORDS:
        raise IOTError("%s: %s is a shell command; give it another name" % (where, name))
    return where


def _kind(where, given, registry):
    if type(given) is not dict or given.get("kind") not in registry.KINDS:
        raise IOTError('%s: must be {"kind": one of %s, ...}' % (where, ", ".join(sorted(registry.KINDS))))
    return registry.module(given["kind"])


def _kind_says(kind, spec, where):
    """IOTError if the kind's own check (what no one key says: an RGB light's three pins) finds the settings wrong."""
    wrong = kind.check(spec) if hasattr(kind, "check") else None
    if wrong:
        raise IOTError("%s.%s" % (where, wrong))


def _device(name, given, board, settings, taken, mine):
    where = _name("devices", name)
    kind = _kind(where, given, kinds)
    schema = kind.SETTINGS
    spec = _settings(where, given, schema, ("kind", "active_low", "label"), board, settings, taken, mine)
    keys = _pin_keys(schema)
    spec["active_low"] = _active_low(given.get("active_low", False), keys, where)
    _kind_says(kind, spec, where)
    return spec


def _sensor(name, given, board, settings, taken, mine):
    from iot.sensors import filters
    from iot.sensors import kinds as sensor_kinds

    where = _name("sensors", name)
    kind = _kind(where, given, sensor_kinds)
    schema = dict(sensor_kinds.COMMON, **kind.SETTINGS)
    spec = _settings(where, given, schema, ("kind", "label"), board, settings, taken, mine)
    if spec["interval_s"] < kind.MIN_INTERVAL_S:
        raise IOTError("%s.interval_s: a %s is read at most every %d s" % (where, given["kind"], kind.MIN_INTERVAL_S))
    if len(kind.QUANTITIES) > 1 and (spec["unit"] or spec["device_class"]):
        raise IOTError("%s: a %s gives %d readings, each with its own unit and device_class" % (
            where, given["kind"], len(kind.QUANTITIES)))
    filters.check(spec["filters"], where + ".filters")
    _kind_says(kind, spec, where)
    for reading in sensor_kinds.readings(name, given["kind"]):
        if reading in settings["devices"] or reading in settings["readings"]:
            raise IOTError("%s: its reading %s has the name of another device or reading" % (where, reading))
    for reading in sensor_kinds.readings(name, given["kind"]):
        settings["readings"][reading] = name
    return spec


def _settings(where, given, schema, more, board, settings, taken, mine):
    """The settings `given` checked against the kind's `schema` (iot.declare's language), its defaults filled in;
    `more`: the other keys it may have, checked by the caller. Pins join `mine`."""
    for key in given:
        if key not in schema and key not in more:
            raise IOTError("%s.%s is not a %s setting (%s)" % (where, key, given["kind"], ", ".join(sorted(schema))))
    spec = {"kind": given["kind"]}
    for key in schema:
        rule = schema[key]
        at = "%s.%s" % (where, key)
        if rule[0] == declare.TOP:
            low, high = LIMITS[key]
            value = given.get(key, settings[key])
            if type(value) is not int or not low <= value <= high:
                raise IOTError("%s must be a whole number from %d to %d" % (at, low, high))
            spec[key] = value
            continue
        value = given.get(key, rule[-1])
        if value == declare.REQUIRED:
            raise IOTError("%s is missing" % at)
        kind = rule[0]
        if value is None and rule[-1] is None and kind not in (declare.SDA, declare.SCL):
            spec[key] = None  # optional, and not given (a pin: not wired)
            continue
        if kind in (declare.SDA, declare.SCL):
            value = _bus_pin(kind, value, given.get("bus", 0), at, board, taken, mine)
        elif kind in (declare.PIN, declare.PINS, declare.IO, declare.ADC):
            many = kind == declare.PINS and type(value) is list and len(value) == 3
            for pin in value if many else [value]:
                _pin(kind, pin, at, board, taken, mine)
        elif kind in (declare.INT, declare.NUMBER):
            if type(value) not in ((int,) if kind == declare.INT else (int, float)) or not rule[1] <= value <= rule[2]:
                raise IOTError("%s must be a %s from %s to %s" % (
                    at, "whole number" if kind == declare.INT else "number", rule[1], rule[2]))
        elif kind == declare.BOOL:
            if type(value) is not bool:
                raise IOTError("%s must be true or false" % at)
        elif kind == declare.CHOICE:
            if value not in rule[1]:
                raise IOTError("%s must be one of %s" % (at, ", ".join(rule[1])))
        elif kind == declare.TEXT:
            if type(value) is not str or not 0 < len(value) <= 16:
                raise IOTError("%s must be text of 1 to 16 characters" % at)
        elif kind == declare.NAME:
            if type(value) is not str or not 0 < len(value) <= 24 \
                    or [c for c in value if c not in "abcdefghijklmnopqrstuvwxyz0123456789_"]:
                raise IOTError("%s must be a name: 1 to 24 of a-z, 0-9 and _" % at)
        spec[key] = value
    if "label" in given and not is_label(given["label"]):
        raise IOTError("%s.label must be text of 1 to %d characters" % (where, MAX_LABEL))
    return spec


def _active_low(given, keys, where):
    """The device's pin keys that are on when low, from its `active_low`: true (all), false (none) or a list."""
    if given is True:
        return keys
    if given is False:
        return []
    if type(given) is not list or [k for k in given if k not in keys]:
        raise IOTError("%s.active_low must be true, false or a list of its pins (%s)" % (where, ", ".join(keys)))
    return given


def _pin(kind, pin, at, board, taken, mine):
    """IOTError unless `pin` is a GPIO of this board for `kind` (iot.declare: an output, a line driven both ways,
    an ADC input) that nothing else has: a 1-Wire line is shared by the sensors on it."""
    b = BOARDS[board]
    if kind == declare.ADC:
        if pin not in b["adc"]:
            raise IOTError("%s: GPIO %r has no ADC on the %s (%s)" % (at, pin, board, ", ".join(map(str, b["adc"]))))
    elif pin in b["inputs_only"]:
        raise IOTError("%s: GPIO %r is input-only on the %s" % (at, pin, board))
    elif not _is_pin(pin) or pin not in b["outputs"]:
        raise IOTError("%s: the %s has no output GPIO %r" % (at, board, pin))
    owner = "1-Wire GP%s" % pin if kind == declare.IO else None
    _take(pin, owner or at, at, taken, mine, shared=owner is not None)


def _bus_pin(kind, pin, bus, at, board, taken, mine):
    """An I2C bus's SDA or SCL: the board's default for that bus if None; shared by the sensors on that bus."""
    sda, scl, default_sda, default_scl = BOARDS[board]["i2c"][bus if bus in (0, 1) else 0]
    allowed = sda if kind == declare.SDA else scl
    if pin is None:
        pin = default_sda if kind == declare.SDA else default_scl
    if allowed is not None and pin not in allowed:
        raise IOTError("%s: I2C%d's %s is one of GPIO %s on the %s" % (at, bus, kind.upper(),
                                                                      ", ".join(map(str, allowed)), board))
    if allowed is None:
        _pin(declare.PIN, pin, at, board, {}, [])
    _take(pin, "I2C%d" % bus, at, taken, mine, shared=True)
    return pin


def _take(pin, owner, at, taken, mine, shared):
    """`pin` joins `mine` (for `owner`), unless another has it: a bus's pins are shared by all that name it."""
    have = taken.get(pin, mine.get(pin))
    if have is not None and not (shared and have == owner):
        raise IOTError("%s: GPIO %r is taken by %s" % (at, pin, have))
    mine[pin] = owner


def labels(raw):
    """{section: {name: label}}: the names for people config.json gives the inputs, schedules and programs (Home
    Assistant shows them); a bad one is the section's checks' to refuse."""
    out = {}
    for section in ("devices", "sensors", "inputs", "schedules", "programs"):
        given = raw.get(section)
        out[section] = {name: given[name]["label"] for name in given if type(given[name]) is dict and
                        is_label(given[name].get("label"))} if type(given) is dict else {}
    return out


def _section(raw, path, key, fields):
    """A network section checked against `fields`, with its defaults; None when it is not set."""
    given = raw.get(key)
    if given is None:
        return None
    if type(given) is not dict:
        raise ConfigError("%s: %s must be an object" % (path, key))
    out = {}
    for name in given:
        if name not in fields:
            raise ConfigError("%s: %s.%s is not one of %s" % (path, key, name, ", ".join(sorted(fields))))
    for name in fields:
        kind, default, low, high = fields[name]
        if name not in given:
            if default is REQUIRED:
                raise ConfigError("%s: %s.%s is missing" % (path, key, name))
            out[name] = default
            continue
        value = given[name]
        if value is None:
            raise ConfigError("%s: %s.%s must not be null" % (path, key, name))
        if type(value) is not kind:
            raise ConfigError("%s: %s.%s must be %s" % (path, key, name, {str: "text", int: "a whole number",
                                                                          bool: "true or false",
                                                                          list: "a list of names"}[kind]))
        if kind is int and not low <= value <= high:
            raise ConfigError("%s: %s.%s must be from %d to %d" % (path, key, name, low, high))
        if kind is str and not low <= len(value) <= high:
            raise ConfigError("%s: %s.%s must be %d to %d characters" % (path, key, name, low, high))
        if kind is list and (len(value) > high or [n for n in value if type(n) is not str or not 0 < len(n) <= 64
                                                   or [c for c in n if c not in HOST_CHARS]]):
            raise ConfigError("%s: %s.%s must be a list of at most %d host names" % (path, key, name, high))
        out[name] = value
    return out


def _is_pin(pin):
    return (type(pin) is int and 0 <= pin <= 48) or (type(pin) is str and 0 < len(pin) <= 8)


def _light(raw, path, pin):
    light = raw.get("light", {})
    if type(light) is not dict:
        raise ConfigError("%s: light must be an object" % path)
    out = dict(LIGHT_DEFAULTS)  # type: dict
    for key in light:
        if key not in out:
            raise ConfigError("%s: light.%s is not a light setting (%s)" % (path, key, ", ".join(sorted(out))))
        out[key] = light[key]
    if out["kind"] not in LIGHT_KINDS:
        raise ConfigError("%s: light.kind must be one of %s" % (path, ", ".join(LIGHT_KINDS)))
    for key in LIGHT_LIMITS:
        low, high = LIGHT_LIMITS[key]
        if type(out[key]) is not int or not low <= out[key] <= high:
            raise ConfigError("%s: light.%s must be a whole number from %d to %d" % (path, key, low, high))
    if (out["kind"] == "rgb") != (type(pin) is list):
        raise ConfigError("%s: pins.light must be a list of 3 pins [r, g, b] for an rgb light, and only then" % path)
    return out
