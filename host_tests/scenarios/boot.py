"""Boards, config.json and the boot sequence."""
import asyncio

import app
import boards
import config
import machine
from iot import IOTError

BAD = [
    [],
    {"pinz": {}},
    {"board": "uno"},
    {"pins": []},
    {"pins": {"lamp": 3}},
    {"pins": {"light": -1}},
    {"pins": {"light": 3.5}},
    {"pins": {"light": 18}},
    {"active_low": ["relay"]},
    {"active_low": "flush"},
    {"op_ms": "fast"},
    {"max_on_ms": 10},
    {"wdt_ms": 500},
    {"wdt_ms": 9000},
    {"op_ms": 5000, "max_on_ms": 1000},
    {"light": "rgb"},
    {"light": {"kind": "cmyk"}},
    {"light": {"colour": "red"}},
    {"light": {"fade_ms": -1}},
    {"light": {"kind": "neopixel", "pixels": 0}},
    {"light": {"kind": "rgb"}},
    {"pins": {"light": [13, 14, 15]}},
    {"pins": {"light": [1, 2]}, "light": {"kind": "rgb"}},
    {"pins": {"light": [13, 14, 16]}, "light": {"kind": "rgb"}},
    {"demo": 1},
    {"programs": {"wake_up": {"label": ""}}},
    {"programs": {"wake_up": {"label": "Wake up", "colour": "red"}}},
    {"programs": ["wake_up"]},
    {"wifi": "home"},
    {"wifi": {"password": "x"}},
    {"wifi": {"ssid": "home", "pass": "x"}},
    {"wifi": {"ssid": "x" * 33}},
    {"mqtt": {}},
    {"mqtt": {"host": "h", "port": 0}},
    {"mqtt": {"host": "h", "tls": "yes"}},
    {"mqtt": {"host": "h", "prefix": "a/b"}},
    {"mqtt": {"host": "h", "node": "kitchen+"}},
    {"mqtt": {"host": "h", "keepalive": 5}},
    {"mqtt": {"host": None}},
    {"wifi": {"ssid": "home", "password": None}},
    {"mqtt": {"host": "h", "prefix": None}},
]


async def settings():
    errors = []
    for raw in BAD:
        try:
            config.check(raw)
            errors.append(None)
        except IOTError as e:
            errors.append(str(e))
    good = config.check({"board": "pico_w", "pins": {"light": [13, 14, 12], "speaker_enable": None, "lid": None},
                         "active_low": ["flush"], "light": {"kind": "rgb", "fade_ms": 300}})
    network = config.check({"wifi": {"ssid": "home"}, "mqtt": {"host": "broker.local", "tls": True, "node": "hall"}})
    names = ["Raspberry Pi Pico with RP2040", "Raspberry Pi Pico W with RP2040", "Raspberry Pi Pico2 with RP2350",
             "Raspberry Pi Pico 2 W with RP2350", "Generic ESP32 module with ESP32", "linux [GCC 14.2.1] version"]
    return {"errors": errors, "good": good, "detected": [boards.detect(n) for n in names],
            "network": {"wifi": network["wifi"], "mqtt": network["mqtt"]}}


async def watchdog(op_ms):
    settings = config.check({"wdt_ms": 1000, "op_ms": op_ms})
    service, devices = app.build(settings)
    await app.run(service, devices, settings)
    fed = machine.WDT.feeds
    await asyncio.sleep(0.3)  # the feeding task was cancelled with the run
    return {"timeout": machine.WDT.timeout, "fed": fed, "fed_after": machine.WDT.feeds}


async def without_network(mqtt):
    """The app run as main() runs it, with or without "mqtt" in config.json: which network modules got loaded."""
    import sys

    settings = config.check({"demo": False, "op_ms": 0} if not mqtt else
                            {"demo": False, "op_ms": 0, "mqtt": {"host": "127.0.0.1", "port": 1}})
    service, devices = app.build(settings)
    await app.run(service, devices, settings, shell=True)  # the console's input is empty: it ends at once
    # CPython's asyncio loads socket and ssl itself; MicroPython's does not, so there they count too.
    net = ("network",) + (("socket", "ssl", "tls") if sys.implementation.name == "micropython" else ())
    return sorted(m for m in sys.modules if m.startswith("iot.net") or m in net)


async def secrets(folder):
    """config.json with the network's names, secrets.json with its passwords: load() lays one over the other."""
    cfg, hidden = folder + "/config.json", folder + "/secrets.json"
    with open(cfg, "w") as f:
        f.write('{"wifi": {"ssid": "home"}, "mqtt": {"host": "broker.local", "user": "iot"}}')
    out = {}
    for name, text in (("good", '{"wifi": {"password": "hunter2"}, "mqtt": {"password": "pass"}}'),
                       ("bad_key", '{"lamp": {}}'), ("bad_value", '{"mqtt": {"password": 5}}')):
        with open(hidden, "w") as f:
            f.write(text)
        try:
            s = config.load(cfg, secrets=hidden)
            out[name] = [s["wifi"]["ssid"], s["wifi"]["password"], s["mqtt"]["user"], s["mqtt"]["password"]]
        except IOTError as e:
            out[name] = str(e)
    return out


async def demo_let_go(op_ms):
    """The app run as main() runs it, with the demo: what the demo printed, and whether its module stayed."""
    import sys

    lines = []
    settings = config.check({"op_ms": op_ms})
    service, devices = app.build(settings, log=lines.append)
    await app.run(service, devices, settings)
    return {"lines": lines, "kept": "demo" in sys.modules or hasattr(app, "demo")}
