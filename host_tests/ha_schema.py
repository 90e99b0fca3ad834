"""Home Assistant's MQTT discovery rules for the entities the firmware announces, field by field.

Taken from Home Assistant's MQTT integration (the platform schemas of light
with schema json, siren, button, valve, sensor, event, update and switch, the entity-common and
device schemas, and discovery's topic format), for what the firmware sends.
check() returns the problems with one config; [] means Home Assistant takes it.
"""
import re

DISCOVERY_TOPIC = re.compile(r"^homeassistant/(?P<component>[a-z_]+)/(?P<node>[a-zA-Z0-9_-]+)/"
                             r"(?P<object>[a-zA-Z0-9_-]+)/config$")
COLOR_MODES = ("onoff", "brightness", "color_temp", "hs", "xy", "rgb", "rgbw", "rgbww", "white")
DATA_SIZE_UNITS = ("bit", "kbit", "Mbit", "Gbit", "B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB",
                   "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")
TOPIC = "topic"  # a valid publish/subscribe topic without wildcards
TEMPLATE = "template"
ID = "id"


def _topic(value):
    return type(value) is str and 0 < len(value.encode()) <= 65535 and "+" not in value and "#" not in value \
        and "\0" not in value


def _template(value):
    return type(value) is str and value.count("{{") == value.count("}}") > 0


# Keys every entity may have (MQTT_ENTITY_COMMON_SCHEMA and availability), with their checks.
COMMON = {
    "name": str, "unique_id": ID, "availability_topic": TOPIC, "payload_available": str,
    "payload_not_available": str, "device": dict, "icon": re.compile(r"^mdi:[a-z0-9-]+$"),
    "entity_category": ("diagnostic", "config"), "qos": (0, 1, 2), "enabled_by_default": bool,
}
PLATFORMS = {
    "light": ({"schema": ("json",), "command_topic": TOPIC, "state_topic": TOPIC, "brightness": bool,
               "brightness_scale": int, "supported_color_modes": list, "retain": bool, "optimistic": bool},
              ("command_topic",)),
    "siren": ({"command_topic": TOPIC, "state_topic": TOPIC, "state_value_template": TEMPLATE,
               "available_tones": list, "support_duration": bool, "support_volume_set": bool, "payload_on": str,
               "payload_off": str, "state_on": str, "state_off": str, "retain": bool, "optimistic": bool},
              ()),
    "button": ({"command_topic": TOPIC, "payload_press": str, "device_class": ("identify", "restart", "update"),
                "retain": bool}, ("command_topic",)),
    "valve": ({"command_topic": TOPIC, "state_topic": TOPIC, "value_template": TEMPLATE, "payload_open": str,
               "payload_close": str, "payload_stop": str, "state_open": str, "state_closed": str,
               "state_opening": str, "state_closing": str, "reports_position": bool, "device_class": ("water", "gas"),
               "retain": bool, "optimistic": bool}, ()),
    "sensor": ({"state_topic": TOPIC, "value_template": TEMPLATE, "unit_of_measurement": str, "device_class": str,
                "state_class": ("measurement", "total", "total_increasing"), "expire_after": int},
               ("state_topic",)),
    "event": ({"state_topic": TOPIC, "event_types": list, "device_class": ("button", "doorbell", "motion"),
               "value_template": TEMPLATE}, ("state_topic", "event_types")),
    "update": ({"state_topic": TOPIC, "command_topic": TOPIC, "latest_version_topic": TOPIC,
                "value_template": TEMPLATE, "latest_version_template": TEMPLATE, "payload_install": str,
                "device_class": ("firmware",), "title": str, "release_summary": str, "release_url": str,
                "entity_picture": str, "display_precision": int, "retain": bool}, ()),
    "switch": ({"command_topic": TOPIC, "state_topic": TOPIC, "value_template": TEMPLATE, "payload_on": str,
                "payload_off": str, "state_on": str, "state_off": str, "device_class": ("outlet", "switch"),
                "retain": bool, "optimistic": bool}, ("command_topic",)),
}
SENSOR_CLASSES_USED = ("data_size", "timestamp")  # of Home Assistant's sensor device classes, the firmware's
DEVICE = {"identifiers": list, "connections": list, "name": str, "model": str, "manufacturer": str,
          "sw_version": str, "hw_version": str, "suggested_area": str, "configuration_url": str}


def _ok(rule, value):
    if rule is TOPIC:
        return _topic(value)
    if rule is TEMPLATE:
        return _template(value)
    if rule is ID:
        return type(value) is str and 0 < len(value) <= 255
    if isinstance(rule, tuple):
        return value in rule
    if isinstance(rule, re.Pattern):
        return type(value) is str and rule.match(value) is not None
    if rule is int:
        return type(value) is int and value >= 1
    return type(value) is rule


def check(topic, config):
    """Problems with one discovery message (topic and JSON config) for Home Assistant."""
    m = DISCOVERY_TOPIC.match(topic)
    if m is None:
        return ["topic %s is not homeassistant/<component>/<node_id>/<object_id>/config" % topic]
    component = m.group("component")
    if component not in PLATFORMS:
        return ["component %s is not one the firmware should announce" % component]
    keys, required = PLATFORMS[component]
    problems = []
    for key in required:
        if key not in config:
            problems.append("%s: %s is required" % (topic, key))
    for key, value in config.items():
        rule = keys.get(key, COMMON.get(key))
        if rule is None:
            problems.append("%s: %s is not a key of an MQTT %s" % (topic, key, component))
        elif not _ok(rule, value):
            problems.append("%s: %s = %r is not valid" % (topic, key, value))
    if component == "light":
        modes = config.get("supported_color_modes", [])
        if not modes or [c for c in modes if c not in COLOR_MODES] or len(set(modes)) != len(modes):
            problems.append("%s: supported_color_modes %r" % (topic, modes))
        if "onoff" in modes and len(modes) > 1 or "brightness" in modes and len(modes) > 1:
            problems.append("%s: onoff and brightness stand alone in supported_color_modes" % topic)
    if component == "siren" and [t for t in config.get("available_tones", []) if type(t) is not str]:
        problems.append("%s: available_tones are text" % topic)
    if component == "event" and (not config.get("event_types") or
                                 [t for t in config["event_types"] if type(t) is not str]):
        problems.append("%s: event_types is a list of text" % topic)
    if component == "sensor" and config.get("device_class", "data_size") not in SENSOR_CLASSES_USED:
        problems.append("%s: device_class %r" % (topic, config["device_class"]))
    if component == "sensor" and config.get("device_class") == "data_size" \
            and config.get("unit_of_measurement") not in DATA_SIZE_UNITS:
        problems.append("%s: a data_size sensor's unit is one of %s" % (topic, DATA_SIZE_UNITS))
    device = config.get("device")
    if device is not None:
        for key, value in device.items():
            if key not in DEVICE or type(value) is not DEVICE[key]:
                problems.append("%s: device.%s = %r" % (topic, key, value))
        if not device.get("identifiers") and not device.get("connections"):
            problems.append("%s: a device needs identifiers or connections" % topic)
    if "unique_id" in config and "device" not in config:
        problems.append("%s: no device block" % topic)
    return problems
