"""The light outside the board: a Home Assistant template light, and its card on the web page."""
import json

from iot import IOTError
from iot.message import MessageType

# A template light: the one schema every Home Assistant we test takes alike with colour and transitions (the JSON
# schema wants "color_mode": true beside its colour modes in 2024.3 and logs an error for it from 2025.3). Its
# command is the JSON command() takes: brightness 1-100, transition in seconds.
ON = ('{"state": "ON"{%% if brightness is defined %%}, "brightness": {{ [1, (brightness / 2.55) | round | int]'
      ' | max }}{%% endif %%}%s{%% if transition is defined %%}, "transition": {{ transition }}{%% endif %%}}')
COLOR = '{% if red is defined %}, "color": {"r": {{ red }}, "g": {{ green }}, "b": {{ blue }}}{% endif %}'
OFF = '{"state": "OFF"{% if transition is defined %}, "transition": {{ transition }}{% endif %}}'


def _rgb(device):
    return MessageType.CHANGE_COLOR in device.ACCEPTS


def configs(device, state, command):
    """(component, object suffix, name suffix, config) of each Home Assistant entity: one light."""
    extra = {"schema": "template", "command_topic": command, "state_topic": state,
             "command_on_template": ON % (COLOR if _rgb(device) else ""), "command_off_template": OFF,
             "state_template": "{{ value_json.state | lower }}",
             "brightness_template": "{{ (value_json.brightness * 2.55) | round | int }}"}
    if _rgb(device):
        for c in ("red", "green", "blue"):
            extra[c + "_template"] = "{{ value_json.color.%s }}" % c[0]
    yield "light", "", "", extra


def state(device, status):
    """Its status() with what Home Assistant reads added: "state" ON/OFF, and for an RGB light the colour as
    {"r", "g", "b"} (the "#rrggbb" stays, as "hex")."""
    s = dict(status)
    s["state"] = "ON" if status["on"] else "OFF"
    if "color" in status:
        rgb = int(status["color"][1:], 16)
        s["hex"] = status["color"]
        s["color"] = {"r": rgb >> 16, "g": rgb >> 8 & 255, "b": rgb & 255}
    return s


def command(name, device, fields):
    """Home Assistant's JSON ({"state", "brightness", "color", "transition"}) as (message, data)."""
    words = []
    for key in fields:
        value = fields[key]
        if key == "state":
            continue
        if key == "brightness" and type(value) is int and 1 <= value <= 100:
            words.append("%d%%" % value)
        elif key == "transition" and type(value) in (int, float) and 0 <= value <= 60:
            words.append("%dms" % int(value * 1000))
        elif key == "color" and type(value) is dict and _color(value) is not None:
            words.append("#%06x" % _color(value))
        else:
            raise IOTError("%s: cannot take %s %s" % (name, key, json.dumps(value)))
    return "SWITCH_" + fields["state"], " ".join(words)


def _color(color):
    out = 0
    for key in ("r", "g", "b"):
        v = color.get(key)
        if type(v) is not int or not 0 <= v <= 255:
            return None
        out = out << 8 | v
    return out if len(color) == 3 else None


def card(device):
    """Its controls on the web page (the page's renderer reads them: docs/architecture.md)."""
    controls = [{"id": "on", "label": "On", "msg": "SWITCH_ON", "with": "brightness"},
                {"id": "off", "label": "Off", "msg": "SWITCH_OFF"},
                {"id": "brightness", "label": "Brightness", "input": "range", "min": 1, "max": 100, "value": 100,
                 "suffix": "%", "msg": "SWITCH_ON"}]
    if _rgb(device):
        controls.append({"id": "color", "label": "Colour", "input": "color", "value": "#ffffff", "msg": "SWITCH_ON",
                         "from": "color"})
    return controls


def card_state(status):
    """(its state in a few words, whether it is on)."""
    if not status["on"]:
        return "off", False
    return "on, %d%%%s" % (status["brightness"], " " + status["color"] if "color" in status else ""), True
