"""A relay outside the board: a Home Assistant switch (or fan, `"ha": "fan"`), and its card on the page."""
from iot import IOTError


def configs(device, state, command):
    yield device.ha, "", "", {"command_topic": command, "state_topic": state, "payload_on": "ON",
                              "payload_off": "OFF", ("state_value_template" if device.ha == "fan" else
                                                     "value_template"): "{{ value_json.state }}"}


def state(device, status):
    return dict(status, state="ON" if status["on"] else "OFF")


def command(name, device, fields):
    if len(fields) > 1:
        raise IOTError("%s: takes only a state" % name)
    return "SWITCH_" + fields["state"], ""


def card(device):
    return [{"id": "on", "label": "On", "msg": "SWITCH_ON"}, {"id": "off", "label": "Off", "msg": "SWITCH_OFF"}]


def card_state(status):
    return ("on" if status["on"] else "off"), status["on"]
