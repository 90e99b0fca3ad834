"""The toilet outside the board: flush and clean as Home Assistant buttons with a running sensor each, the lid a
valve; and its card on the web page."""
from iot import IOTError
from iot.devices.servo.entity import valve
from iot.message import MessageType


def configs(device, state, command):
    for msg in ("flush", "clean"):
        yield "button", "_" + msg, msg, {"command_topic": command, "payload_press": msg.upper()}
        # and whether it runs: a dashboard or an automation can see the flush. The step, not the relay's pulse,
        # which ends a moment before it: a state sent a little late still shows it.
        yield "binary_sensor", "_%s_running" % msg, msg + "ing", {
            "state_topic": state, "device_class": "running",
            "value_template": "{{ 'ON' if value_json.doing == '%s' else 'OFF' }}" % msg}
    if MessageType.OPEN in device.ACCEPTS:
        yield "valve", "_lid", "lid", valve(state, command, "lid")


def state(device, status):
    return status


def command(name, device, fields):
    raise IOTError("%s: takes FLUSH, CLEAN, OPEN or CLOSE, not {\"state\": ...}" % name)


def card(device):
    controls = [{"id": "flush", "label": "Flush", "msg": "FLUSH"}, {"id": "clean", "label": "Clean", "msg": "CLEAN"}]
    if MessageType.OPEN in device.ACCEPTS:
        controls += [{"id": "lid-open", "label": "Open lid", "msg": "OPEN"},
                     {"id": "lid-close", "label": "Close lid", "msg": "CLOSE"}]
    return controls


def card_state(status):
    if status["flush"]:
        return "flushing", True
    if status["clean"]:
        return "cleaning", True
    return "idle, lid %s" % (status["lid"] or "?"), bool(status["busy"])
