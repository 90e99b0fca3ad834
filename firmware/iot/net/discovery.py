"""Home Assistant MQTT discovery: one config per entity the board has, in the shape Home Assistant takes.

    <ha_prefix>/<component>/<node>/<object>/config   (retained; the prefix is "homeassistant")

Each device is its kind's entities (iot.devices.kinds: the light a template light, the speaker a
siren, the toilet's flush and clean buttons and its lid a valve), each program a button
that sends `run <name>` to the command topic, the app's version and an update's progress an update
entity (read only: updates come from make ota or `update fetch`), and the link and free heap are
diagnostic sensors. With automations (iot.auto), each input is an event entity,
each schedule's next slot a timestamp sensor, and a switch turns them all off and on. Every entity shares one device block and the node's
availability topic (its last will says "offline"). Loaded by the first announcement.
"""
from iot import installed
from iot.devices.kinds import KINDS
from iot.devices.kinds import entity as entity_of


def _id(text):
    """An id Home Assistant takes: a-z, 0-9 and _ only."""
    out = ""
    for c in text.lower():
        out += c if "a" <= c <= "z" or "0" <= c <= "9" else "_"
    return out


def _label(name):
    """An entity's name as Home Assistant's own integrations write theirs: words, the first capitalised
    ("bath_button next" -> "Bath button next"); Home Assistant puts the device's name before it."""
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


def configs(ha_prefix, node, base, service, programs, board, auto=None, labels=None, sensors=None):
    """(topic, config dict) of every entity, one at a time, under Home Assistant's
    discovery prefix (the bridge's, which also listens there for Home Assistant's status); `labels`: config.json's
    names for people, {section: {name: label}} (config.labels); `sensors` (iot.sensors.Sensors) their readings."""
    from iot.net import board_id

    ids = board_id()
    version = installed()[1]
    device = {"identifiers": [ids], "name": node, "model": "iot-firmware on %s" % board,
              "manufacturer": "iot-firmware", "sw_version": version, "hw_version": board}
    common = {"availability_topic": base + "/status", "device": device, "o": {"name": "iot-firmware", "sw": version}}

    def entity(component, obj, name, extra, label=None):
        config = {"name": label or _label(name), "unique_id": "%s_%s" % (ids, obj)}
        config.update(common)
        config.update(extra)
        return "%s/%s/%s/%s/config" % (ha_prefix, component, node, obj), config

    labels = labels or {"devices": {}, "sensors": {}, "inputs": {}, "schedules": {}, "programs": {}}
    for name in sorted(service.devices):
        d = service.devices[name]  # not `device`: that is Home Assistant's device block, above
        if d.kind not in KINDS:  # registered the seed's way (iot.devices.adapter): no entity of its own
            continue
        obj = _id(name)
        label = labels["devices"].get(name)
        for component, suffix, words, extra in entity_of(d.kind).configs(
                d, "%s/%s/state" % (base, name), "%s/%s/set" % (base, name)):
            yield entity(component, obj + suffix, name + " " + words if words else name, extra,
                         label and (label + " " + words if words else label))
    if sensors is not None:
        yield from _readings(entity, base, sensors, labels["sensors"])
    for name in sorted(programs):
        yield entity("button", "program_" + _id(name), "run " + name,
                     {"command_topic": base + "/cmd", "payload_press": "run " + name, "icon": "mdi:play"},
                     labels["programs"].get(name))
    if auto is not None:
        yield from _automations(entity, base, auto, labels)
    yield entity("update", "firmware", "firmware", {"state_topic": base + "/update", "device_class": "firmware",
                                                    "title": "iot-firmware"})
    diag = base + "/diag"
    yield entity("sensor", "link", "link", {"state_topic": diag, "value_template": "{{ value_json.link }}",
                                            "entity_category": "diagnostic", "icon": "mdi:wifi"})
    yield entity("sensor", "heap_free", "free heap", {
        "state_topic": diag, "value_template": "{{ value_json.heap_free }}", "unit_of_measurement": "B",
        "device_class": "data_size", "state_class": "measurement", "entity_category": "diagnostic"})



def _readings(entity, base, sensors, labels):
    """A sensor entity per reading, unavailable while its sensor is (its state says why): Home Assistant keeps its
    history as a measurement."""
    for sensor in sorted(sensors.sensors):
        for r in sensors.sensors[sensor].readings:
            topic = "%s/sensor/%s/state" % (base, r.name)
            extra = {"state_topic": topic, "value_template": "{{ value_json.value }}", "state_class": "measurement",
                     "suggested_display_precision": r.decimals, "availability_mode": "all", "availability": [
                         {"topic": base + "/status"},
                         {"topic": topic, "value_template": "{{ 'online' if value_json.state == 'ok' else 'offline' }}"}]}
            if r.unit:
                extra["unit_of_measurement"] = r.unit
            if r.device_class:
                extra["device_class"] = r.device_class
            label = labels.get(sensor)
            if label and r.name != sensor:
                label += " " + r.name[len(sensor) + 1:]
            topic, config = entity("sensor", "sensor_" + _id(r.name), r.name, extra, label)
            del config["availability_topic"]
            yield topic, config


def _automations(entity, base, auto, labels):
    state = base + "/auto/state"
    from iot.auto.inputs import Button

    inputs = auto.inputs.inputs if auto.inputs is not None else {}
    for name in sorted(inputs):
        button = isinstance(inputs[name], Button)
        extra = {"state_topic": "%s/auto/%s" % (base, name), "event_types": list(inputs[name].EVENTS)}
        if button:
            extra["device_class"] = "button"
        label = labels["inputs"].get(name)
        yield entity("event", "input_" + _id(name), name, extra, label)
        if not button:  # a contact is also what every contact sensor in Home Assistant is: a door, open or closed
            yield entity("binary_sensor", "contact_" + _id(name), name, {
                "state_topic": state, "device_class": "door",
                "value_template": "{{ 'ON' if value_json.inputs.%s == 'open' else 'OFF' }}" % name}, label)
    for name in [s.name for s in auto.scheduler.schedules] if auto.scheduler is not None else ():
        # Its own topic carries only a time: Home Assistant 2024.3 warns of any other text a timestamp gets. While
        # it has none (the clock not set), the entity is unavailable, as auto/state's null says.
        topic, config = entity("sensor", "schedule_" + _id(name), name + " next", {
            "state_topic": "%s/auto/next/%s" % (base, name), "device_class": "timestamp",
            "icon": "mdi:calendar-clock", "availability_mode": "all", "availability": [
                {"topic": base + "/status"},
                {"topic": state, "value_template": "{{ 'online' if value_json.schedules.%s else 'offline' }}" % name}]},
            labels["schedules"][name] + " next" if name in labels["schedules"] else None)
        del config["availability_topic"]
        yield topic, config
    yield entity("switch", "automations", "automations", {
        "command_topic": base + "/cmd", "payload_on": "automations on", "payload_off": "automations off",
        "state_topic": state, "value_template": "{{ value_json.enabled }}", "state_on": "ON", "state_off": "OFF",
        "icon": "mdi:robot"})
