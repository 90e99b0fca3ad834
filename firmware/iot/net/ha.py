"""Home Assistant's words on MQTT, for iot.net.bridge: a device's state in its shape, a device command as it
sends one, the update entity's state and the diagnostics."""
import gc
import json

from iot import IOTError, installed, jsontext
from iot.commands.parse import MAX_LINE, device_message
from iot.compat import ticks_diff, ticks_ms
from iot.devices.speaker import SONGBOOK
from iot.message import MessageType
from iot.net import link_status

DEFAULT_TONE = sorted(SONGBOOK)[0]  # what siren.turn_on without a tone plays: the songbook's first song


def state(device, status):
    """A device's status() with what Home Assistant reads from it added: "state" ON/OFF, and for an
    RGB light the colour as {"r", "g", "b"} (the "#rrggbb" stays, as "hex")."""
    s = dict(status)
    if device.kind == "light":
        s["state"] = "ON" if status["on"] else "OFF"
        if "color" in status:
            rgb = int(status["color"][1:], 16)
            s["hex"] = status["color"]
            s["color"] = {"r": rgb >> 16, "g": rgb >> 8 & 255, "b": rgb & 255}
    elif device.kind == "speaker":
        s["state"] = "ON" if status["on"] else "OFF"
    return s


def request(name, device, text):
    """A device command as MQTT gives it, as a work item for the command layer; IOTError if it is none."""
    text = text.strip()
    if text[:1] != "{":
        if text.upper() in ("ON", "OFF"):
            return ("send", name, "SWITCH_" + text.upper(), "")
        msg, _, data = text.partition(" ")
        return ("send", name, msg, data.strip())
    d = jsontext.loads(text, MAX_LINE, "%s: the command" % name)
    if type(d) is not dict:
        raise IOTError("%s: a command is a JSON object" % name)
    if "msg" in d:
        return ("send", name) + device_message(name, d)
    if "state" in d:
        return _home_assistant(name, device, d)
    raise IOTError('%s: a command is {"msg": ..., "data": ...} or {"state": ...}' % name)


def _home_assistant(name, device, d):
    """Home Assistant's JSON (light: brightness, color, transition; siren: tone) as a command."""
    state = d["state"]
    if state not in ("ON", "OFF"):
        raise IOTError("%s: state is ON or OFF, not %r" % (name, state))
    words = []
    for key in d:
        value = d[key]
        if key == "state":
            continue
        if key == "brightness" and type(value) is int and 1 <= value <= 100:
            words.append("%d%%" % value)
        elif key == "transition" and type(value) in (int, float) and 0 <= value <= 60:
            words.append("%dms" % int(value * 1000))
        elif key == "color" and type(value) is dict and _rgb(value) is not None:
            words.append("#%06x" % _rgb(value))
        elif key == "tone" and device.kind == "speaker" and type(value) is str and state == "ON":
            return _play(name, device, value)
        else:
            raise IOTError("%s: cannot take %s %s" % (name, key, json.dumps(value)))
    if device.kind == "speaker" and state == "ON":  # a siren that is on sounds: with no tone, the default one
        return _play(name, device, DEFAULT_TONE)
    return ("send", name, "SWITCH_" + state, " ".join(words))


def _play(name, device, song):
    """A song on the speaker, switched on first if it is off."""
    device.check(MessageType.PLAY_SONG, song)  # a song it does not know is this reply, not a step's
    if device.ready:
        return ("send", name, "PLAY_SONG", song)
    program = {"seq": [{"send": [name, "SWITCH_ON", ""]}, {"send": [name, "PLAY_SONG", song]}]}
    return ("line", "run " + json.dumps(program))


def _rgb(color):
    out = 0
    for key in ("r", "g", "b"):
        v = color.get(key)
        if type(v) is not int or not 0 <= v <= 255:
            return None
        out = out << 8 | v
    return out if len(color) == 3 else None


def update(last):
    """The update topic's JSON (`last`: the last update's (step, done, total, version), or None): Home
    Assistant's update entity shows the version running and, while an update streams in, its version and
    percentage; once one is staged (it runs from the next reset), its version as the latest, until that reset.
    Only the keys Home Assistant's update entity takes: it refuses a state with any other (2025.4 does)."""
    import slots

    running = installed()[1]
    step, done, total, version = last or (None, 0, 0, None)
    busy = step in ("verified", "file", "written")
    state = slots.read()
    staged = state["version"] if state["trial"] and not state["tries"] else None
    out = {"installed_version": running, "latest_version": version if busy else staged or running,
           "in_progress": busy, "update_percentage": done * 100 // total if busy and total else None}
    if state["last"]:  # what the last update did (staged, confirmed, rolled back): Home Assistant shows it
        out["release_summary"] = state["last"]
    return out


def diagnostics(bridge):
    """The diag topic's JSON, and the network's part of `status`: the link, the broker's connects, uptime, heap."""
    d = link_status(bridge.wifi)
    d["mqtt_connects"] = bridge.client.connects
    d["uptime_s"] = ticks_diff(ticks_ms(), bridge.started) // 1000
    if hasattr(gc, "mem_free"):
        d["heap_free"] = gc.mem_free()
    return d
