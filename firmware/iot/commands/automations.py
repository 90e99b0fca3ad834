"""The automations' shell commands: `time`, `automations` and `press`, over the engine (iot.auto.Automations).
Loaded by the first of them."""
from iot import IOTError


def time(auto, rest):
    """`time [set YYYY-MM-DDTHH:MM[:SS][+HH:MM]]`: the wall time, and where it came from."""
    clock = auto.clock
    if rest.startswith("set "):
        clock.set_ms(clock.parse(rest[4:].strip(" \t")) * 1000, "set")
    elif rest:
        raise IOTError("time takes nothing, or set YYYY-MM-DDTHH:MM[:SS][+HH:MM]")
    now = clock.now()
    if now is None:
        return "time unknown: no schedule fires until NTP or `time set` gives it"
    return "time %s (%s)" % (clock.text(now), clock.source)


def switch(auto, rest):
    """`automations [on|off]`: whether bindings fire (the inputs and schedules go on either way)."""
    if rest not in ("", "on", "off"):
        raise IOTError("automations takes on or off")
    if rest:
        auto.switch(rest == "on")
    return "automations %s" % ("on" if auto.enabled else "off")


def press(auto, rest):
    """`press <button> [long|double]`: the button's events, as a press would give them."""
    name, _, how = rest.partition(" ")
    auto.press(name, how)
    return "pressed %s%s" % (name, " (%s)" % how if how else "")
