"""The app's heap as main.py's boot holds it, measured in a run of its own (make bench runs this beside the suite).

    mpremote run tools/bench/heap.py    on a board with the app on it (make deploy), as files or frozen

The mark is taken before anything of the app is imported, and nothing of this script's own is made after
it (each stage is built in a function, and what it keeps goes into HELD, made before the mark: a name
bound at the top level would grow this module's globals, and a value left on its stack would be kept by the
collector, which scans it), so the figures are the app's alone: the settings read and their modules let go as the boot does
(app.load_settings), the devices, service and shell built and the devices registered (with no bring-up
time), then the same with the MQTT client, bridge and web server built but not connected, and what the
automations add (issue 23: 8 buttons, 20 schedules, a binding each, from config.json's text, the time known). Prints one
`BENCH {json}` line per figure, as tools/bench/suite.py does; the figures are MicroPython's (gc.mem_alloc).
"""
import gc
import json
import sys

# What a user needs (issue 36), on a Pico with the app frozen in: the heap free with the network built and a page
# open, and the largest block that can be had then (a TLS handshake, a programs file read whole). The app's own
# figures are information: a change says what it costs in docs/benchmarks.md.
FREE_TARGET = 180 * 1024
BLOCK_TARGET = 64 * 1024
DECLARED_TARGET = 8 * 1024  # what 8 sensors and 4 declared relays may add (issue 37), frozen
AUTO_PINS = (2, 3, 4, 5, 6, 7, 8, 9)  # free for inputs on every board's map (and unwired on a test bench)


def figure(key, name, value, at_least=None, at_most=None):
    target = met = None
    if at_least is not None:
        target, met = ">= %d" % at_least, value >= at_least
    elif at_most is not None:
        target, met = "<= %d" % at_most, value <= at_most
    print("BENCH " + json.dumps({"key": key, "name": name, "unit": "bytes", "min": value, "median": value,
                                 "max": value, "runs": 1, "target": target, "met": met, "note": ""}))


def largest_block():
    """The largest bytearray the heap can give now (bisected to 64 bytes): what fragmentation leaves."""
    gc.collect()
    low, high = 0, gc.mem_free()
    while high - low > 64:
        mid = (low + high) // 2
        try:
            block = bytearray(mid)
            del block
            low = mid
        except MemoryError:
            high = mid
    return low


def quiet(line):
    pass


async def register(service, devices):
    for device in devices.values():
        device.connect_ms = 0
    await service.register_devices(devices)


if sys.implementation.name != "micropython":
    print("heap.py: the heap figures are MicroPython's; nothing measured on %s" % sys.implementation.name)
    sys.exit()
HELD = [None, None, None, None]  # each stage's objects: the app's, the network's, the automations', the declared
DECLARED_RELAYS = (10, 11, 12, 13)  # 4 relays on pins no other stage uses


def build_app():
    import asyncio

    import app

    service, devices = app.build(app.load_settings(given={"op_ms": 0}), log=quiet)
    asyncio.run(register(service, devices))
    commands = app.make_commands(service, quiet)
    commands.serve()
    HELD[0] = (service, commands)


def build_network():
    """The network's share as config.json's mqtt and web would start it, built but not connected (a Pico has
    no socket; a Pico W, Pico 2 W or ESP32 would then join): the MQTT client and bridge, the web server."""
    from iot.net.bridge import Bridge
    from iot.net.mqtt import MQTTClient
    from iot.net.web import Web

    service, commands = HELD[0]
    client = MQTTClient("broker", 1883, "bench", log=quiet)
    HELD[1] = (client, Bridge(client, "iot/bench", "bench", service, commands, "pico", discover=True),
               Web(service, commands, "pico", 80))


def open_page():
    """A page open: the web server's routes and microdot loaded (iot.net.site), as a connection loads them
    until IDLE_MS after the last one."""
    from iot.net.site import Site

    web = HELD[1][2]
    web.site = Site(web)


def close_network():
    from iot.compat import unload
    from iot.net.web import SITE

    HELD[1] = None
    for name in SITE:
        unload(name)


async def settle():
    import asyncio

    await asyncio.sleep_ms(20)  # each task started and waiting


def build_automations(text):
    """The automations as config.json gives them, read from its text (so their names are the heap's, as at a
    boot); the settings let go once the engine is built, as app.run does, and the loop run until every task
    waits, the time known."""
    import asyncio

    import app
    from iot.auto import Automations

    commands = HELD[0][1]
    automations = Automations(app.load_settings(given=json.loads(text))["auto"], HELD[0][0], quiet,
                              commands.automation)
    automations.clock.set_ms(1796300000000, "set")  # a Thursday: every schedule has its next slot planned
    HELD[2] = automations
    asyncio.run(settle())


def asyncio_run_first():
    """A program run first, as the boot's demo (or a board's first command) runs one: what the app loads for its
    first run (asyncio's event module, for a run's Event) is the app's, not the automations'."""
    import asyncio

    asyncio.run(HELD[0][1].execute("run sleep"))
    asyncio.run(HELD[0][1].wait())


def automations_text():
    """8 buttons, 20 schedules over the day, a binding each."""
    raw = {"op_ms": 0, "demo": False, "inputs": {}, "schedules": {}, "automations": [],
           "clock": {"utc_offset": "+01:00", "dst": "eu"}}
    for i, pin in enumerate(AUTO_PINS):
        raw["inputs"]["button%d" % i] = {"pin": pin}
        raw["automations"].append({"on": "button%d.press" % i, "do": "light switch_on"})
    for i in range(20):
        raw["schedules"]["slot%d" % i] = {"at": "%02d:%02d" % (i, 7 * i % 60), "days": ["mon", "wed", "fri"]}
        raw["automations"].append({"on": "slot%d" % i, "do": "wake_up"})
    return json.dumps(raw)


def declared_text():
    """4 relays and 8 sensors of every kind the emulated Pico can carry (two SHT4x and an AHT20 on its buses, the
    chip's temperature, three ADC inputs) and a DS18B20 (made, though no part answers there)."""
    raw = {"op_ms": 0, "demo": False, "devices": {}, "sensors": {
        "bath": {"kind": "sht4x", "bus": 0}, "attic": {"kind": "sht4x", "bus": 0, "address": 0x45},
        "air": {"kind": "aht20", "bus": 1}, "cpu": {"kind": "chip_temp"},
        "light_level": {"kind": "adc", "pin": 26}, "soil": {"kind": "adc", "pin": 27,
                                                            "calibration": [[2.8, 0], [1.2, 100]], "unit": "%"},
        "water": {"kind": "adc", "pin": 28, "filters": [{"median": 5}, {"delta": 0.05}]},
        "floor": {"kind": "ds18b20", "pin": 22}}}
    for i, pin in enumerate(DECLARED_RELAYS):
        raw["devices"]["relay%d" % i] = {"kind": "relay", "pin": pin, "max_on_ms": 600000}
    return json.dumps(raw)


def build_declared(text):
    """The 4 relays and 8 sensors as config.json declares them, made as the boot makes them (their modules loaded,
    their settings let go), the sensors' schedules not started."""
    import app
    from iot.devices import kinds
    from iot.sensors import build

    settings = app.load_settings(given=json.loads(text))
    HELD[3] = (kinds.build(settings, 0, quiet), build(settings, quiet))


def added(build, text):
    """What build(text) adds to the live heap: the text made first, the heap collected before and after."""
    gc.collect()
    before = gc.mem_alloc()
    build(text)
    gc.collect()
    return gc.mem_alloc() - before


def kind():
    import app
    from iot import installed

    return "frozen" if installed()[0] == "frozen" else "mpy" if app.__file__.endswith(".mpy") else "py"


gc.collect()
START = gc.mem_alloc()
gc.disable()  # nothing freed until the app is built: what it allocates is the most the boot needs
build_app()
BOOT_ALLOC = gc.mem_alloc() - START
gc.enable()
gc.collect()
LIVE = gc.mem_alloc() - START
KIND = kind()
WHERE = "frozen in the image" if KIND == "frozen" else "imported from .%s" % KIND
figure("app_heap_" + KIND, "app live heap (settings read, devices, service, shell built), %s" % WHERE, LIVE)
figure("import_alloc_" + KIND, "allocated while building it, %s (GC off: the most it needs)" % WHERE, BOOT_ALLOC)
build_network()
gc.collect()
figure("net_heap_" + KIND, "the same with the MQTT client, bridge and web server built, %s" % WHERE,
       gc.mem_alloc() - START)
open_page()
gc.collect()
figure("page_heap_" + KIND, "the same with a web page open (the routes and microdot loaded), %s" % WHERE,
       gc.mem_alloc() - START)
FROZEN = KIND == "frozen"
figure("page_free_" + KIND, "heap free then: the app, the network and a page open, %s" % WHERE, gc.mem_free(),
       FREE_TARGET if FROZEN else None)
figure("page_block_" + KIND, "largest free block then, %s" % WHERE, largest_block(), BLOCK_TARGET if FROZEN else None)
close_network()
asyncio_run_first()
figure("auto_heap_" + KIND, "what the automations add: 8 inputs, 20 schedules, 28 bindings (their modules and "
       "names included), %s" % WHERE, added(build_automations, automations_text()))
HELD[2].deinit()
HELD[2] = None
figure("declared_heap_" + KIND, "what 4 declared relays and 8 sensors add (their kinds' modules, the filters and "
       "buses included), %s" % WHERE, added(build_declared, declared_text()),
       at_most=DECLARED_TARGET if FROZEN else None)
for device in HELD[3][0].values():
    device.deinit()
