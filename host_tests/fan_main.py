"""main.py with a device kind added from outside the firmware tree: the fan (fan_kind), one row in the registry
and one device of it; config.json gives its pin (`"pins": {"fan": 21}`)."""
import app
from iot.devices import kinds

kinds.KINDS["fan"] = ("fan_kind", ("fan",), ())
kinds.DEVICES["fan"] = "fan"
app.main()
