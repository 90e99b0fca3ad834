"""Every device kind, one row each: the one place a kind is named. A kind is a package (or module) that owns

    its driver             a Device subclass on iot.outputs: the messages it takes, its checks, its status()
    build(name, s, op_ms)  that device on this board's pins, from config.json's settings (config.check)
    its entity module      KIND.entity: its Home Assistant components (configs, state, commands) and its card on
                           the web page; loaded when the board first announces or serves a page

and its row gives the board pins it needs (boards.py maps them per board; config.json's `pins` may move them)
and those it can do without (null: not wired). Adding a kind is its package and one row here
(docs/architecture.md walks through one).
"""
import sys

KINDS = {
    # kind: (its package, the pins it needs, the pins it may do without)
    "light": ("iot.devices.light", ("light",), ()),
    "speaker": ("iot.devices.speaker", ("speaker",), ("speaker_enable",)),
    "toilet": ("iot.devices.toilet", ("flush", "clean"), ("lid",)),
}
DEVICES = {"light": "light", "speaker": "speaker", "toilet": "toilet"}  # a board's devices: name -> kind (the seed's)


def module(kind, part=""):
    """The kind's package (or, with `part`, that module of it: "entity"), imported on first use and kept."""
    name = KINDS[kind][0] + ("." + part if part else "")
    __import__(name)
    return sys.modules[name]


def entity(kind):
    """The kind's outside: its Home Assistant components and its web card (KIND.entity)."""
    return module(kind, "entity")


def pins():
    """(the pins every kind needs or may use, those that may be null), in the registry's order."""
    every = []  # type: list[str]
    optional = []  # type: list[str]
    for kind in KINDS:
        _, needed, spare = KINDS[kind]
        every.extend(needed + spare)
        optional.extend(spare)
    return tuple(every), tuple(optional)


def build(settings, op_ms):
    """{name: device} of every device the settings declare (`devices`: name -> kind), every output off."""
    return {name: module(kind).build(name, settings, op_ms) for name, kind in settings["devices"].items()}
