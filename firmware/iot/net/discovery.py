"""Home Assistant MQTT discovery: one config per entity, and each device's state in the shape HA reads.

    homeassistant/<component>/<node>/<object>/config   (retained)

The light is a JSON-schema light (brightness on a 1-100 scale, RGB when it has
colours, transitions), the speaker a siren whose tones are the songbook's
songs, flush and clean are buttons, the lid a valve, each program a button
that sends `run <name>` to the command topic, and the link and free heap are
diagnostic sensors. Every entity shares one device block and the node's
availability topic (its last will says "offline").
"""
from iot import __version__
from iot.message import MessageType

PREFIX = "homeassistant"


def _id(text):
    """An id Home Assistant takes: a-z, 0-9 and _ only."""
    out = ""
    for c in text.lower():
        out += c if "a" <= c <= "z" or "0" <= c <= "9" else "_"
    return out


def configs(node, base, service, programs, board, songs):
    """(topic, config dict) of every entity, one at a time (the heap holds one)."""
    device = {"identifiers": [node], "name": node, "model": "iot-firmware on %s" % board,
              "manufacturer": "iot-firmware", "sw_version": __version__, "hw_version": board}
    common = {"availability_topic": base + "/status", "device": device}

    def entity(component, obj, name, extra):
        config = {"name": name, "unique_id": "%s_%s" % (node, obj)}
        config.update(common)
        config.update(extra)
        return "%s/%s/%s/%s/config" % (PREFIX, component, node, obj), config

    for name in sorted(service.devices):
        d = service.devices[name]
        obj = _id(name)
        state = "%s/%s/state" % (base, name)
        command = "%s/%s/set" % (base, name)
        if d.kind == "light":
            modes = ["rgb"] if MessageType.CHANGE_COLOR in d.ACCEPTS else ["brightness"]
            yield entity("light", obj, name, {"schema": "json", "command_topic": command, "state_topic": state,
                                              "brightness": True, "brightness_scale": 100,
                                              "supported_color_modes": modes})
        elif d.kind == "speaker":
            yield entity("siren", obj, name, {"command_topic": command, "state_topic": state,
                                              "state_value_template": "{{ value_json.state }}",
                                              "available_tones": sorted(songs), "support_duration": False,
                                              "support_volume_set": False})
        elif d.kind == "toilet":
            for msg in ("FLUSH", "CLEAN"):
                yield entity("button", "%s_%s" % (obj, msg.lower()), "%s %s" % (name, msg.lower()),
                             {"command_topic": command, "payload_press": msg})
            if MessageType.OPEN in d.ACCEPTS:
                yield entity("valve", obj + "_lid", name + " lid", {
                    "command_topic": command, "state_topic": state, "value_template": "{{ value_json.lid }}",
                    "payload_open": "OPEN", "payload_close": "CLOSE", "state_open": "open",
                    "state_closed": "closed", "reports_position": False})
    for name in sorted(programs):
        yield entity("button", "program_" + _id(name), "run " + name,
                     {"command_topic": base + "/cmd", "payload_press": "run " + name, "icon": "mdi:play"})
    diag = base + "/diag"
    yield entity("sensor", "link", "link", {"state_topic": diag, "value_template": "{{ value_json.link }}",
                                            "entity_category": "diagnostic", "icon": "mdi:wifi"})
    yield entity("sensor", "heap_free", "free heap", {
        "state_topic": diag, "value_template": "{{ value_json.heap_free }}", "unit_of_measurement": "B",
        "device_class": "data_size", "state_class": "measurement", "entity_category": "diagnostic"})


def state(device, status):
    """A device's status() with what Home Assistant reads from it added: "state" ON/OFF, and for an
    RGB light "color_mode" and the colour as {"r", "g", "b"} (the "#rrggbb" stays, as "hex")."""
    s = dict(status)
    if device.kind == "light":
        s["state"] = "ON" if status["on"] else "OFF"
        if "color" in status:
            rgb = int(status["color"][1:], 16)
            s["hex"] = status["color"]
            s["color"] = {"r": rgb >> 16, "g": rgb >> 8 & 255, "b": rgb & 255}
            s["color_mode"] = "rgb"
        else:
            s["color_mode"] = "brightness"
    elif device.kind == "speaker":
        s["state"] = "ON" if status["on"] else "OFF"
    return s
