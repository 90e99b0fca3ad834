"""A servo outside the board: a Home Assistant valve that opens and closes, and its card on the page."""
from iot import IOTError


def valve(state, command, key):
    """A Home Assistant valve that opens and closes (no position between), its state the status' `key` ("open",
    "closed", or null before it has moved): a servo's, and the toilet's lid."""
    return {"command_topic": command, "state_topic": state, "value_template": "{{ value_json.%s or '' }}" % key,
            "payload_open": "OPEN", "payload_close": "CLOSE", "state_open": "open", "state_closed": "closed",
            "reports_position": False}


def configs(device, state, command):
    yield "valve", "", "", valve(state, command, "position")


def state(device, status):
    return status


def command(name, device, fields):
    raise IOTError("%s: takes OPEN or CLOSE, not {\"state\": ...}" % name)


def card(device):
    return [{"id": "open", "label": "Open", "msg": "OPEN"}, {"id": "close", "label": "Close", "msg": "CLOSE"}]


def card_state(status):
    return status["position"] or "not moved yet", status["position"] == "open"
