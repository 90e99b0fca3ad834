"""Home Assistant's words on MQTT, for iot.net.bridge: a device's state in its shape, a device command as it
sends one, the update entity's state and the diagnostics."""
import gc

from iot import IOTError, installed, jsontext
from iot.commands.parse import MAX_LINE, device_message
from iot.compat import ticks_diff, ticks_ms
from iot.devices.kinds import KINDS, entity
from iot.net import link_status


def state(device, status):
    """A device's status() in Home Assistant's shape: its kind's (iot.devices.kinds), as it is for another device."""
    if device.kind not in KINDS:
        return status
    return entity(device.kind).state(device, status)


def request(name, device, text):
    """A device command as MQTT gives it, as a work item for the command layer: ("send", device, message, data), or
    ("program", program data) when the kind makes one of Home Assistant's command; IOTError if it is none."""
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
    if "state" not in d or device.kind not in KINDS:
        raise IOTError('%s: a command is {"msg": ..., "data": ...} or {"state": ...}' % name)
    if d["state"] not in ("ON", "OFF"):
        raise IOTError("%s: state is ON or OFF, not %r" % (name, d["state"]))
    made = entity(device.kind).command(name, device, d)
    return ("send", name) + made if type(made) is tuple else ("program", made)


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
