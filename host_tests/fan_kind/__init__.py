"""A device kind from outside the firmware tree (test only): a fan, as docs/architecture.md's walk-through adds it,
here on the relay kind's driver. Its row: iot.devices.kinds.KINDS["fan"] = "fan_kind"; config.json declares one:
"devices": {"fan": {"kind": "fan", "pin": 21}}."""
from iot.devices.relay import SETTINGS as RELAY
from iot.devices.relay import RelayDevice
from iot.outputs import Relay

SETTINGS = {key: RELAY[key] for key in ("pin", "max_on_ms", "min_off_ms")}  # what devices.NAME may say


class Fan(RelayDevice):
    """A fan on a relay: on until switched off or until the relay's limit (max_on_ms) cuts it."""

    kind = "fan"


def build(name, spec, op_ms):
    return Fan(Relay(spec["pin"], spec["max_on_ms"], "pin" in spec["active_low"], spec["min_off_ms"], name), op_ms,
               ha="fan")
