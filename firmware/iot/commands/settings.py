"""`config`: the board's config.json read, replaced on trial and rolled back, and backups, from the shell, MQTT
and the web page alike (docs/provisioning.md). Loaded by the first of them and kept.

A new config is checked whole by the boot's own checks (config.py) with secrets.json laid over it, as the boot
will; any error refuses it and nothing is written. One that passes is staged (slots.stage_config: written as
config.new.json beside the old) and the board restarts on it, on trial: unless it reaches ready with its
network up within slots.CONFIG_TRIAL_MS, or if the board resets first, the old files come back by themselves.

Passwords are write-only: a section's `password` given with a config goes to secrets.json (staged with it);
none is ever shown (`config get`, a backup).
"""
import asyncio
import json

from iot import IOTError, jsontext
from iot.compat import sleep_ms, unload
from iot.store import MAX_BYTES as STORE_BYTES
from iot.store import file_size

SECTIONS = ("wifi", "mqtt", "web")  # the sections whose passwords live in secrets.json
RESTART_MS = 1000  # the reply's time to leave (MQTT, the page) before the board restarts on a staged config
MAX_BYTES = 8192  # config.py's MAX_BYTES: what the boot reads
PROGRAMS_BYTES = STORE_BYTES  # programs.json's bound (iot.store)
MAX_BACKUP = PROGRAMS_BYTES + 2 * MAX_BYTES  # a backup: config.json, programs.json and secrets


def _read(path, limit):
    """A JSON file's value, None if there is none; IOTError if it is bad."""
    try:
        with open(path, "rb") as f:
            raw = f.read(limit + 1)
    except OSError:
        return None
    if len(raw) > limit:
        raise IOTError("%s is over %d bytes" % (path, limit))
    return jsontext.loads(jsontext.decode(raw, path), limit, path)


def _hidden(raw):
    """A copy of config.json's `raw` without passwords (or an update_key): what is ever shown."""
    out = {}
    for key in raw:
        value = raw[key]
        if key in SECTIONS and type(value) is dict:
            value = {k: value[k] for k in value if k != "password"}
        if key != "update_key":
            out[key] = value
    return out


def _files():
    """(config.json, secrets.json) as they are on the flash, {} for one that is not there."""
    return _read("config.json", MAX_BYTES) or {}, _read("secrets.json", MAX_BYTES) or {}


def get(files=None):
    """The config the board runs on (`files`: _files()'s, read now if not given): config.json with secrets.json's
    settings that are no secret laid over it (a network's name set over Improv), its passwords left out ({} when
    there is neither)."""
    raw, secrets = files or _files()
    running = dict(raw)
    for section in SECTIONS:
        if type(secrets.get(section)) is dict and type(raw.get(section, {})) is dict:
            running[section] = dict(raw.get(section) or {}, **secrets[section])
    return _hidden(running)


def shown():
    """What the page's settings view is given: config.json without passwords, which passwords secrets.json (or
    config.json) holds, and the trial's state."""
    import slots

    files = _files()
    held = {}
    for section in SECTIONS:
        held[section] = any(type(f.get(section)) is dict and "password" in f[section] for f in files)
    s = slots.status()
    return {"config": get(files), "passwords": held, "trial": s["config"], "last": s["last"]}


def errors(raw, secrets):
    """Every error the boot would find in config.json's `raw` with `secrets` laid over it (each "key: what"), or
    []: the one that stops the check, and each declaration left out."""
    import config

    try:
        settings = config.combine(json.loads(json.dumps(raw)), json.loads(json.dumps(secrets)), "config.json")
        found = settings["problems"] + (settings["auto"]["problems"] if settings["auto"] is not None else [])
    except IOTError as e:
        found = [str(e)]
    finally:
        del config
        for name in ("config", "boards"):  # read at boot only: let go again
            unload(name)
    return [line.split(": ", 1)[1] if line.startswith("config.json") and ": " in line else line for line in found]


def staged_texts(raw, programs=None, kept=None):
    """The files a new config stages ({name: text}): config.json without its passwords, secrets.json with them
    (and `kept`'s non-secret settings) laid over the one there, programs.json when given; IOTError listing every
    error when the boot would refuse it."""
    if type(raw) is not dict:
        raise IOTError("config: a config is a JSON object")
    secrets = _read("secrets.json", MAX_BYTES) or {}
    if type(secrets) is not dict:
        raise IOTError("config: secrets.json on the board is not an object; fix it over USB first")
    changed = False
    current = _read("config.json", MAX_BYTES) or {}
    for section in kept or {}:
        if section in SECTIONS and type(kept[section]) is dict:
            secrets.setdefault(section, {}).update(_hidden({section: kept[section]})[section])
            changed = True
    for section in SECTIONS:
        given = raw.get(section)
        if type(given) is not dict:
            continue
        held = secrets.get(section, {})
        if type(held) is not dict:
            raise IOTError("config: secrets.json's %s is not an object" % section)
        for key in given:  # a setting the config now gives is the config's: secrets.json's would hide it
            if key in held:
                del held[key]
                changed = True
        was = current.get(section)
        if "password" in given:
            held["password"] = given["password"]
            changed = True
        elif type(was) is dict and "password" in was and "password" not in held:  # kept, in its new place
            held["password"] = was["password"]
            changed = True
        if held:
            secrets[section] = held
        elif section in secrets:
            del secrets[section]
    config = _hidden(raw)
    found = errors(config, secrets)
    if found:
        raise IOTError("config: %d error%s, nothing written: %s" % (len(found), "" if len(found) == 1 else "s",
                                                                    " | ".join(found)))
    texts = {"config.json": json.dumps(config)}
    if changed:
        texts["secrets.json"] = json.dumps(secrets)
    if programs is not None:
        texts["programs.json"] = json.dumps(programs)
    return texts


def replace(commands, text):
    """`config set`: a whole config.json's JSON text (from any transport: a line, MQTT's config/set, the page)."""
    return stage(commands, staged_texts(jsontext.loads(text, MAX_BYTES, "config set")))


def stage(commands, texts):
    """`texts` staged, and the board restarted on them, on trial, once the reply has had time to leave; one at a
    time."""
    import slots

    if slots.read()["config"] == "staged":
        raise IOTError("config: one is staged already; the board restarts on it now")
    slots.stage_config(texts)
    asyncio.create_task(_restart(commands))
    return "config staged; the board restarts on it now, on trial: rolled back unless it is ready with its " \
           "network up within %d s" % (slots.CONFIG_TRIAL_MS // 1000)


async def _restart(commands):
    await sleep_ms(RESTART_MS)
    commands.restart("a new config.json, on trial")


def backup():
    """One file to keep: config.json and programs.json as they are, and secrets.json's settings that are no
    secret (a network's name, a user), with the app's version."""
    from iot import installed

    secrets = _read("secrets.json", MAX_BYTES) or {}
    return {"backup": 1, "version": installed()[1], "config": get(),
            "programs": _read("programs.json", PROGRAMS_BYTES) or {},
            "secrets": {k: v for k, v in _hidden(secrets).items() if k in SECTIONS and type(v) is dict}}


def restore(commands, data):
    """A backup's JSON (bytes or text: the page's body, a file on the flash) staged as a new config is."""
    if type(data) is bytes:
        data = jsontext.decode(data, "the backup")
    return stage(commands, restoring(jsontext.loads(data, MAX_BACKUP, "the backup")))


def restoring(data):
    """The files a backup stages (staged_texts), IOTError if it is not a backup."""
    if type(data) is not dict or data.get("backup") != 1 or type(data.get("config")) is not dict \
            or type(data.get("programs", {})) is not dict or type(data.get("secrets", {})) is not dict:
        raise IOTError('config restore: not a backup (GET /api/backup makes one: {"backup": 1, "config": ...})')
    return staged_texts(data["config"], data.get("programs", {}), data.get("secrets", {}))


def command(commands, rest):
    """`config` [get | set JSON | rollback | backup | restore FILE]: the reply's text."""
    import slots

    word, _, arg = rest.partition(" ")
    arg = arg.strip(" \t")
    if not word:
        s = slots.status()
        return json.dumps({"config": s["config"], "last": s["last"]})
    if word == "get" and not arg:
        return json.dumps(get())
    if word == "set" and arg:
        return replace(commands, arg)
    if word == "rollback" and not arg:
        texts = {}
        for name in slots.CONFIG_FILES:  # each replaced with it (an empty .old: there was none)
            old = slots.beside(name, "old")
            if file_size(old):
                texts[name] = json.dumps(_read(old, PROGRAMS_BYTES if name == "programs.json" else MAX_BYTES))
        if "config.json" not in texts:
            raise IOTError("config rollback: there is no config before this one: no config was replaced on this "
                           "board")
        return stage(commands, texts)
    if word == "backup" and not arg:
        return json.dumps(backup())
    if word == "restore" and arg:
        return stage(commands, restoring(_read(arg, MAX_BACKUP)))
    raise IOTError("config takes nothing, get, set JSON, rollback, backup or restore FILE (a backup on the flash)")
