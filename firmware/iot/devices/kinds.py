"""Every device kind, one row each: the one place a kind is named. A kind is a package (or module) that owns

    its driver             a Device subclass on iot.outputs: the messages it takes, its checks, its status()
    SETTINGS               what config.json's `devices.NAME` may say for one of it (in iot.declare's words)
    build(name, spec, op_ms)  that device from its checked settings (`spec`), every output off
    its entity module      KIND.entity: its Home Assistant components (configs, state, commands) and its card on
                           the web page; loaded when the board first announces or serves a page

Adding a kind is its package and one row here (docs/architecture.md walks through one).
"""
import sys

KINDS = {
    # kind: its package
    "light": "iot.devices.light",
    "speaker": "iot.devices.speaker",
    "toilet": "iot.devices.toilet",
    "relay": "iot.devices.relay",
    "servo": "iot.devices.servo",
}
# The seed's devices, a board's declaration when config.json has no `devices`: name -> kind (their pins are the
# board map's, boards.py)
SEED = {"light": "light", "speaker": "speaker", "toilet": "toilet"}


def module(kind, part=""):
    """The kind's package (or, with `part`, that module of it: "entity"), imported on first use and kept."""
    name = KINDS[kind] + ("." + part if part else "")
    __import__(name)
    return sys.modules[name]


def entity(kind):
    """The kind's outside: its Home Assistant components and its web card (KIND.entity)."""
    return module(kind, "entity")


def build(settings, op_ms, log=print):
    """{name: device} of every device the settings declare (`devices`: name -> its checked settings), every output
    off. One that cannot be made (a pin the port refuses, no hardware timer left for a relay) is one error line and
    left out; the rest are made. Relays that name one `interlock` group are never on together."""
    from iot.outputs import interlock

    devices = {}
    groups = {}  # type: dict
    for name, spec in settings["devices"].items():
        try:
            devices[name] = module(spec["kind"]).build(name, spec, op_ms)
        except (ValueError, OSError) as e:
            log("error: devices.%s: %s; left out" % (name, e))
            continue
        if spec.get("interlock"):
            groups.setdefault(spec["interlock"], []).append(devices[name].relay)
    for relays in groups.values():
        interlock(*relays)
    return devices


def is_seed(devices):
    """Whether {name: spec} declares the seed's light, speaker and toilet (the built-in programs and the demo need
    them)."""
    return all(name in devices and devices[name]["kind"] == SEED[name] for name in SEED)
