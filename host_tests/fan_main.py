"""main.py with a device kind added from outside the firmware tree: the fan (fan_kind), one row in the registry;
config.json declares one of it (`"devices": {"fan": {"kind": "fan", "pin": 21}}`)."""
import app
from iot.devices import kinds

kinds.KINDS["fan"] = "fan_kind"
app.main()
