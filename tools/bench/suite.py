"""The benchmark figures, measured on whatever runs this: CPython, the MicroPython unix port, or a board.

    make bench                          both host interpreters side by side (tools/bench/run.py)
    mpremote run tools/bench/suite.py   a board with the app on it (make deploy), right after a reset

On a board the demo figures run the real devices: the relays switch, so run it
with their loads disconnected. The bench's own devices only blink the status LED.

Prints one line per figure, `BENCH {json}`: its samples' min and median, the
target, and whether the median meets it (every sample, for the Blinker edges).
The memory figures are MicroPython's (gc.mem_alloc); the app's own heap is
tools/bench/heap.py's, measured in a run of its own.
"""
import asyncio
import gc
import json
import sys
import time

import app
import config
from iot.blinker import Blinker
from iot.compat import sleep_ms
from iot.devices.base import Device
from iot.message import Message, MessageType
from iot.outputs import Relay
from iot.program import parallel, send, sequence
from iot.service import IOTService
import machine
from machine import Pin

MICRO = sys.implementation.name == "micropython"
BOARD = sys.platform not in ("linux", "darwin", "win32")
LED = config.check({})["pins"]["status_led"]  # the bench's own devices only ever blink the status LED
SCALE_STEPS = 200 if BOARD else 1000  # a 1000-step fan-out needs about 600 KB of heap on a 64-bit host
ON, OFF, PLAY, FLUSH, CLEAN = (MessageType.SWITCH_ON, MessageType.SWITCH_OFF, MessageType.PLAY_SONG,
                               MessageType.FLUSH, MessageType.CLEAN)
try:
    ticks_us, ticks_diff = time.ticks_us, time.ticks_diff
except AttributeError:  # CPython
    def ticks_us():
        return time.perf_counter_ns() // 1000

    def ticks_diff(a, b):
        return a - b


def report(key, name, samples, unit, target=None, meets=None, note="", every=False):
    """One figure: min and median of its samples; `meets(median)` says whether the target is met
    (with `every`, each sample must meet it)."""
    s = sorted(samples)
    median = s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2
    fig = {"key": key, "name": name, "unit": unit, "min": s[0], "median": median, "max": s[-1], "runs": len(s),
           "target": target, "met": None if meets is None else bool(all([meets(x) for x in s]) if every else meets(median)),
           "note": note}
    print("BENCH " + json.dumps(fig))
    return fig


def quiet(line):
    pass


class Instant(Device):
    """A device whose operations take no time: it sets its pin and is done (orchestration alone)."""

    kind = "instant"
    ACCEPTS = (ON, OFF, PLAY, FLUSH, CLEAN)

    def __init__(self, pin):
        super().__init__(0, 0)
        self.pin = Pin(pin, Pin.OUT, value=0)

    def check_data(self, msg_type, data):
        pass

    async def handle(self, msg_type, data):
        self.pin.value(1 if msg_type != OFF else 0)

    def safe(self):
        self.pin.value(0)


class SeedDevice:
    """The seed's device shape: every operation is a sleep of op_ms (here also a pin, as a driver would)."""

    def __init__(self, pin, op_ms):
        self.pin = Pin(pin, Pin.OUT, value=0)
        self.op_ms = op_ms

    async def op(self, value=1):
        self.pin.value(value)
        await sleep_ms(self.op_ms)


async def seed_sequential(op_ms):
    light, speaker, toilet = SeedDevice(LED, op_ms), SeedDevice(LED, op_ms), SeedDevice(LED, op_ms)
    for d in (light, speaker, toilet):
        await d.op(0)  # connect
    await light.op()
    await speaker.op()
    await speaker.op()  # play the song
    await light.op(0)
    await speaker.op(0)
    await toilet.op()  # flush
    await toilet.op(0)  # clean


async def _then(first, second):
    await first
    await second


async def seed_gather(op_ms):
    light, speaker, toilet = SeedDevice(LED, op_ms), SeedDevice(LED, op_ms), SeedDevice(LED, op_ms)
    await asyncio.gather(light.op(0), speaker.op(0), toilet.op(0))
    await asyncio.gather(light.op(), _then(speaker.op(), speaker.op()))
    await asyncio.gather(light.op(0), speaker.op(0), _then(toilet.op(), toilet.op(0)))


def bench_song(op_ms):
    """One note as long as an operation (500 ms: a quarter at 120 bpm; 50 ms: a 32nd at 150)."""
    return "bench:d=4,o=5,b=120:c" if op_ms == 500 else "bench:d=32,o=5,b=%d:c" % (7500 // op_ms)


async def firmware_demo(op_ms):
    """demo.run: registration and both programs; returns (actual ms, critical path ms)."""
    import demo  # not in the app's import figure: the board loads it only for the demo, and lets it go

    service, devices = app.build(config.check({"op_ms": op_ms}), log=quiet)
    programs = {"wake_up": app.wake_up(bench_song(op_ms)), "sleep": app.sleep()}
    start = ticks_us()
    reports = await demo.run(service, devices, programs, log=quiet)
    took = ticks_diff(ticks_us(), start) / 1000
    app.safe_all(service, devices)
    for d in devices.values():
        d.deinit()
    service.deinit()
    for r in reports:
        if r.error:
            raise RuntimeError(r.error)
    return took, op_ms + sum([r.planned_ms for r in reports])


async def timed(make, *args):
    start = ticks_us()
    await make(*args)
    return ticks_diff(ticks_us(), start) / 1000


async def makespan(op_ms, runs):
    seq, bare, fw, over = [], [], [], []
    critical = 5 * op_ms  # connect, speaker on, song, flush, clean
    for _ in range(runs):
        seq.append(await timed(seed_sequential, op_ms))
        bare.append(await timed(seed_gather, op_ms))
        took, planned = await firmware_demo(op_ms)
        if planned != critical:
            raise RuntimeError("the demo's critical path is %d ms, not %d" % (planned, critical))
        fw.append(took)
        over.append((took - critical) / 5)
    tag = "%d ms steps" % op_ms
    report("seq_%d" % op_ms, "demo, seed sequential (%s)" % tag, seq, "ms", "%d" % (10 * op_ms))
    report("gather_%d" % op_ms, "demo, seed with bare gather (%s)" % tag, bare, "ms", "critical path %d" % critical)
    report("firmware_%d" % op_ms, "demo, firmware programs (%s)" % tag, fw, "ms", "critical path %d" % critical)
    bare_over = [(b - critical) / 5 for b in bare]
    report("bare_over_%d" % op_ms, "bare gather over critical path per step (%s): the interpreter's floor" % tag,
           bare_over, "ms")
    report("over_%d" % op_ms, "firmware over critical path per step (%s)" % tag, over, "ms")
    report("over_ratio_%d" % op_ms, "firmware over critical path per step / bare gather's, same run (%s)" % tag,
           [f / b for f, b in zip(over, bare_over)], "x", "<= 1.5 on a board",
           (lambda m: m <= 1.5) if BOARD else None)
    report("speedup_%d" % op_ms, "firmware speed-up over sequential (%s)" % tag,
           [s / f for s, f in zip(seq, fw)], "x", ">= 1.9", lambda m: m >= 1.9)


def instant_service():
    service = IOTService(log=quiet)
    devices = {"light": Instant(LED), "speaker": Instant(LED), "toilet": Instant(LED)}
    for name in devices:
        devices[name].name = name
        service.devices[name] = devices[name]
    return service, devices


WAKE = parallel(send("light", "SWITCH_ON"), sequence(send("speaker", "SWITCH_ON"), send("speaker", "PLAY_SONG")))
SLEEP = parallel(send("light", "SWITCH_OFF"), send("speaker", "SWITCH_OFF"),
                 sequence(send("toilet", "FLUSH"), send("toilet", "CLEAN")))


async def orchestration(runs, n):
    service, d = instant_service()
    light, speaker, toilet = d["light"], d["speaker"], d["toilet"]

    async def bare():
        await asyncio.gather(light.handle(ON, ""), _then(speaker.handle(ON, ""), speaker.handle(PLAY, "")))
        await asyncio.gather(light.handle(OFF, ""), speaker.handle(OFF, ""),
                             _then(toilet.handle(FLUSH, ""), toilet.handle(CLEAN, "")))

    wake, sleep = service.compile(WAKE), service.compile(SLEEP)  # checked once, as the shell keeps them

    async def firmware():
        await service.run_program(wake, "wake_up")
        await service.run_program(sleep, "sleep")

    async def per_demo(shape):
        start = ticks_us()
        for _ in range(n):
            await shape()
        return ticks_diff(ticks_us(), start) / 1000 / n

    b, f = [], []
    for _ in range(runs):
        b.append(await per_demo(bare))
        f.append(await per_demo(firmware))
    report("orch_bare", "orchestration, bare gather/await shape (0 ms steps)", b, "ms/demo")
    report("orch_firmware", "orchestration, firmware runner (checked programs: run, watch, report)", f, "ms/demo")
    report("orch_ratio", "orchestration, firmware / bare", [x / y for x, y in zip(f, b)], "x", "<= 2 on a board",
           (lambda m: m <= 2) if BOARD else None)


async def dispatch(runs, n):
    service, d = instant_service()
    light = d["light"]
    on, off = Message("light", ON), Message("light", OFF)
    msgs = (on, off)
    via, direct = [], []
    for _ in range(runs):
        start = ticks_us()
        for i in range(n):
            await service.send_msg(msgs[i & 1])
        via.append(n * 1000000 / ticks_diff(ticks_us(), start))
        start = ticks_us()
        for i in range(n):
            await light.handle(ON if i & 1 else OFF, "")
        direct.append(n * 1000000 / ticks_diff(ticks_us(), start))
    report("dispatch_send_msg", "dispatch through send_msg", via, "msg/s")
    report("dispatch_direct", "direct await of the driver", direct, "msg/s")
    report("dispatch_ratio", "dispatch, send_msg / direct", [v / x for v, x in zip(via, direct)], "x", ">= 0.5",
           lambda m: m >= 0.5)


def allocated(fn, n):
    """Bytes the heap grows by per call of fn(i), with the collector off."""
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    for i in range(n):
        fn(i)
    grown = gc.mem_alloc() - before
    gc.enable()
    return grown / n


async def memory_per_message(runs):
    service, d = instant_service()
    msgs = (Message("light", ON), Message("light", OFF))
    loop_n = 1000
    per_msg, per_trigger = [], []

    async def sends(n):
        for i in range(n):
            await service.send_msg(msgs[i & 1])

    for _ in range(runs):
        gc.collect()
        gc.disable()
        before = gc.mem_alloc()
        await sends(loop_n)
        per_msg.append((gc.mem_alloc() - before) / loop_n)
        gc.enable()
        blinker = Blinker(Pin(LED, Pin.OUT, value=0))
        blinker.trigger(1000)
        await sleep_ms(0)
        per_trigger.append(allocated(lambda i: blinker.trigger(1000 + (i & 7)), loop_n))
        blinker.deinit()
    report("bytes_per_message", "heap per message (send_msg)", per_msg, "bytes", "<= 256", lambda m: m <= 256)
    report("bytes_per_retrigger", "heap per Blinker retrigger", per_trigger, "bytes", "0", lambda m: m == 0)
    await sends(100)  # the same path first: garbage an older stack slot still points to is no growth
    gc.collect()
    base = gc.mem_alloc()
    await sends(10000)
    gc.collect()
    report("growth_10k", "heap growth after 10,000 messages", [gc.mem_alloc() - base], "bytes", "0",
           lambda m: m <= 0)


async def blinker_edges(trials):
    stamps = []

    class Edge:
        def on(self):
            pass

        def off(self):
            stamps.append(ticks_us())

    stop = [False]

    async def busy():
        while not stop[0]:
            x = 0
            for i in range(200):  # some work, then yield, as a driver or a parser would
                x += i
            await sleep_ms(0)

    for others in (0, 10):
        stop[0] = False
        workers = [asyncio.create_task(busy()) for _ in range(others)]
        blinker = Blinker(Edge())
        errors = []
        for _ in range(trials):
            del stamps[:]
            start = ticks_us()
            blinker.trigger(20)
            await sleep_ms(30)
            errors.append(ticks_diff(stamps[0], start) / 1000 - 20)
        blinker.deinit()
        stop[0] = True
        for w in workers:
            await w
        report("edge_%d" % others, "Blinker switch-off edge error, %d busy tasks" % others, errors, "ms",
               "-1 to +2", lambda e: -1 <= e <= 2, every=True)


async def relay_edges(trials, blocked_trials):
    """A relay's switch-off against its deadline beside 10 busy tasks, with the loop blocked for a second (only its
    machine.Timer can cut it then), and with the interpreter inside one call into C for about a second (only a hard
    interrupt can: the rp2's; the ESP32's and the host stub's callbacks wait for the next bytecode). It drives the
    status LED, not a relay."""
    stamps = []
    led = Pin(LED, Pin.OUT, value=0)

    class Edge:
        def on(self):
            led.value(1)

        def off(self):
            stamps.append(ticks_us())
            led.value(0)

    relay = Relay(LED, 60000)
    relay._blinker._out = Edge()
    stop = [False]

    async def busy():
        while not stop[0]:
            x = 0
            for i in range(200):
                x += i
            await sleep_ms(0)

    workers = [asyncio.create_task(busy()) for _ in range(10)]
    t = ticks_us()
    sum(range(20000))
    count = 20000 * 1000000 // max(1, ticks_diff(ticks_us(), t))  # about a second of sum() on this interpreter
    for case, n in (("busy", trials), ("blocked", blocked_trials), ("c_call", blocked_trials)):
        errors = []
        for _ in range(n):
            del stamps[:]
            start = ticks_us()
            relay.pulse(20)
            if case == "busy":
                await sleep_ms(30)
            elif case == "c_call":
                sum(range(count))  # no bytecode runs inside it
                while not stamps:  # a soft backstop cuts once it is over (the host stub's thread wants the GIL too)
                    await sleep_ms(1)
            else:
                t0 = time.ticks_ms() if MICRO else 0
                while (time.ticks_diff(time.ticks_ms(), t0) if MICRO else ticks_us() - start) < (
                        1000 if MICRO else 1000000):
                    pass  # the loop blocked: no task runs
            errors.append(ticks_diff(stamps[0], start) / 1000 - 20)
            relay.off()
            await sleep_ms(5)
        if case == "busy":
            stop[0] = True
            for w in workers:
                await w
        report("relay_edge_" + case, "relay switch-off edge error, %s" % (
            {"busy": "10 busy tasks", "blocked": "loop blocked 1 s", "c_call": "inside a 1 s call into C"}[case]),
            errors, "ms", "-1 to +2", lambda e: -1 <= e <= 2, every=True,
            note="a hard interrupt on the rp2 only: elsewhere it waits for the call's end" if case == "c_call" else "")
    relay.deinit()


async def scale(steps):
    service, devices = instant_service()
    light = devices["light"]
    peak = [0]
    handle = light.handle

    async def probed(msg_type, data):
        """Every 100th operation (and the first, when a fan-out's tasks all exist): the live heap."""
        light.calls += 1
        if MICRO and light.calls % 100 == 1:
            gc.collect()
            peak[0] = max(peak[0], gc.mem_alloc())
        await handle(msg_type, data)

    light.handle = probed
    shapes = (("fan-out", parallel(*[send("light", "SWITCH_ON") for _ in range(steps)])),
              ("sequence", sequence(*[send("light", "SWITCH_ON") for _ in range(steps)])))
    for name, program in shapes:
        start = ticks_us()
        compiled = service.compile(program)  # what define and load do: checked and planned once
        checked = ticks_diff(ticks_us(), start) / 1000
        light.calls = 0
        gc.collect()
        base = gc.mem_alloc() if MICRO else 0
        peak[0] = base
        start = ticks_us()
        try:
            r = await service.run_program(compiled, name)
        except MemoryError:
            gc.collect()
            print("BENCH " + json.dumps({"key": "scale_oom_" + name, "name": "%d-step %s: out of memory" % (
                steps, name), "unit": "", "min": 0, "median": 0, "max": 0, "runs": 1, "target": None, "met": None,
                "note": ""}))
            continue
        took = ticks_diff(ticks_us(), start)
        if r.error:
            raise RuntimeError(r.error)
        report("scale_validate_%s" % name, "%s (1000 steps; 200 on a board): compile (check and plan, once)" % name, [checked], "ms")
        report("scale_step_%s" % name, "%s (1000 steps; 200 on a board): run time per step (probes included)" % name,
               [took / steps], "us")
        if MICRO:
            report("scale_heap_%s" % name, "%s (1000 steps; 200 on a board): live heap at its widest, over the idle app" % name,
                   [peak[0] - base], "bytes")


PRESS_PIN = 2  # free for an input on every board's map, and unwired on a bench


async def press_latency(n):
    """A button's edge to the light's output change, through its automation and the command layer (the app
    as config.json would build it). A board presses by turning the unwired pin's pull around (pull-down:
    an edge as a button to GND gives); the host's stub machine drives the pin."""
    settings = app.load_settings(given={
        "op_ms": 0, "demo": False, "inputs": {"button": {"pin": PRESS_PIN, "debounce_ms": 30}},
        "automations": [{"on": "button.press", "do": "light switch_on"},
                        {"on": "button.release", "do": "light switch_off"}]})
    service, devices = app.build(settings, log=quiet)
    for d in devices.values():
        d.connect_ms = 0
    await service.register_devices(devices)
    commands = app.make_commands(service, quiet)
    commands.serve(automations=settings["auto"])
    auto = commands.auto
    out = devices["light"]._out
    show = out.show
    changed = [None]

    def probed(r, g, b):
        changed[0] = ticks_us()
        show(r, g, b)

    out.show = probed
    pin = auto.inputs.inputs["button"].pin
    samples = []
    for i in range(2 * n):
        pressed = i % 2 == 0
        changed[0] = None
        start = ticks_us()
        if BOARD:
            pin.init(Pin.IN, Pin.PULL_DOWN if pressed else Pin.PULL_UP)
        else:
            machine.drive(PRESS_PIN, 0 if pressed else 1)
        while changed[0] is None and ticks_diff(ticks_us(), start) < 500000:
            await sleep_ms(1)
        if changed[0] is not None:
            samples.append(ticks_diff(changed[0], start) / 1000)
        await sleep_ms(60)  # past the debounce, and the light's operation done
    auto.deinit()
    service.deinit()
    for d in devices.values():
        d.deinit()
    report("press_to_light", "a button's press (and release) to the light's output, through its automation",
           samples or [float("inf")], "ms", "<= 20", lambda m: m <= 20)


BASE = "iot/bench"


class BenchClient:
    """What the bridge needs of iot.net.mqtt.MQTTClient, connected, taking each message at once; `seen` is set
    when a message on `want` goes out."""

    def __init__(self):
        self.up = asyncio.Event()
        self.up.set()
        self.connects = 1
        self.dropped = 0
        self.on_message = self.on_connect = None
        self.want = ()
        self.seen = asyncio.Event()

    def subscribe(self, topic):
        pass

    def publish(self, topic, payload, retain=False, qos=0, drop=False):
        if topic in self.want:
            self.want = tuple(t for t in self.want if t != topic)
            if not self.want:
                self.seen.set()

    async def put(self, topic, payload, retain=False, qos=0):
        self.publish(topic, payload)

    async def run(self):
        await asyncio.Event().wait()

    def deinit(self):
        pass


async def timed_lines(commands, line, runs):
    samples = []
    for _ in range(runs):
        await commands.wait()
        start = ticks_us()
        reply = await commands.execute(line)
        samples.append(ticks_diff(ticks_us(), start) / 1000)
        if not reply.startswith("ok"):
            raise RuntimeError("%s: %s" % (line, reply))
    return samples


async def timed_mqtt(commands, service, runs):
    from iot.net.bridge import Bridge

    client = BenchClient()
    bridge = Bridge(client, BASE, "bench", service, commands, "pico", discover=False).start()
    await commands.execute("light switch_off")  # each ON below is a change of state, and so each OFF
    await commands.wait()
    await asyncio.sleep(0.05)  # announced, every state sent
    samples = []
    for i in range(runs):
        await commands.wait()
        payload = b"ON" if i % 2 == 0 else b"OFF"
        client.want = (BASE + "/result", BASE + "/light/state")
        client.seen.clear()
        start = ticks_us()
        client.on_message(BASE + "/light/set", payload, False, len(payload))
        await client.seen.wait()
        samples.append(ticks_diff(ticks_us(), start) / 1000)
    bridge.deinit()
    return samples


async def message_times(runs):
    """A message's time: from a command's arrival to its reply, through the app as the boot builds it. Shell lines
    go through Commands.execute, as the serial shell hands them over; an MQTT device command through the bridge, as
    the broker would hand it one (a stand-in client that takes what the bridge sends at once), from the payload's
    arrival on `<base>/light/set` to its reply on `result` and the light's new state on its state topic. The devices
    take no time (op_ms 0); each sample starts with no run going."""
    service, devices = app.build(app.load_settings(given={"op_ms": 0, "demo": False}), log=quiet)
    for device in devices.values():
        device.connect_ms = 0
    await service.register_devices(devices)
    commands = app.make_commands(service, quiet)
    commands.serve()
    for line, key in (("light switch_on", "msg_device"), ("plan sleep", "msg_plan"), ("programs", "msg_programs"),
                      ("status", "msg_status")):
        report(key, "a shell line's reply: %s" % line, await timed_lines(commands, line, runs), "ms")
    try:
        import socket  # noqa: F401
        has_net = True
    except ImportError:
        has_net = False
    report("msg_mqtt", "an MQTT device command (light/set ON|OFF): arrival to its reply and the light's state sent"
           + ("" if has_net else " (the bridge alone: this board has no network)"),
           await timed_mqtt(commands, service, runs), "ms")
    app.safe_all(service, devices)


class Conversion:
    """A DS18B20's read as iot.sensors.ds18b20 makes it, its 750 ms conversion slept through; a stand-in for the
    part, which the emulated Pico has none of (its buses carry an SHT4x and an AHT20)."""

    async def read(self):
        await sleep_ms(750)
        return (21.5,)


async def alice_and_bob(runs):
    """Bob's `status` and light command, alone and while Alice's `measure floor` waits for a DS18B20 conversion
    (issue 37: at most 5 ms more). The app as the boot builds it (op_ms 0), its sensors one DS18B20."""
    from iot.sensors import Reading, Sensor, Sensors

    service, devices = app.build(app.load_settings(given={"op_ms": 0, "demo": False}), log=quiet)
    for device in devices.values():
        device.connect_ms = 0
    await service.register_devices(devices)
    sensors = Sensors(quiet)
    floor = Sensor("floor", Conversion(), [Reading("floor", "floor", "C", "temperature", 1, -55, 125, [])], 3600000, None,
                   sensors._changed, quiet)
    sensors.sensors["floor"] = floor
    sensors.readings["floor"] = floor.readings[0]
    commands = app.make_commands(service, quiet, sensors=sensors)
    commands.serve()
    figures = {}
    for line in ("status", "light switch_on"):
        alone, beside = [], []
        for _ in range(runs):
            alone += await timed_lines(commands, line, 1)
            alice = asyncio.create_task(commands.execute("measure floor"))
            await sleep_ms(5)  # her conversion under way
            beside += await timed_lines(commands, line, 1)
            if not (await alice).startswith("ok"):
                raise RuntimeError("measure floor failed")
        figures[line] = (alone, beside)
    commands.deinit()
    app.safe_all(service, devices)
    for line, key in (("status", "status"), ("light switch_on", "light")):
        alone, beside = figures[line]
        report("bob_%s_alone" % key, "Bob's %s, no measurement going on" % line, alone, "ms")
        report("bob_%s_alice" % key, "Bob's %s while Alice's DS18B20 conversion (750 ms) is in flight" % line,
               beside, "ms")
        report("bob_%s_more" % key, "what Alice's measurement adds to Bob's %s" % line,
               [b - a for a, b in zip(alone, beside)], "ms", "<= 5", lambda m: m <= 5)


async def one_measurement(runs):
    """One measurement of the chip's temperature (8 ADC samples a loop turn apart, the reading made and its watchers
    told), as its schedule takes it: its time, and on MicroPython the heap it allocates."""
    from iot.sensors import build

    settings = config.check({"demo": False, "devices": {}, "sensors": {"cpu": {"kind": "chip_temp"}}})
    sensors = build(settings, quiet)
    cpu = sensors.sensors["cpu"]
    error = await cpu.measure()  # its module and first objects made
    if error is not None:  # the emulated Pico's sensor reads 0 V until `pico-emu adc temp 25`: 437 C, out of range
        print("bench: one measurement not timed: cpu: %s" % error)
        return
    times, allocs = [], []
    for _ in range(runs):
        gc.collect()
        before = gc.mem_alloc() if MICRO else 0
        start = ticks_us()
        await cpu.measure()
        times.append(ticks_diff(ticks_us(), start) / 1000)
        if MICRO:
            allocs.append(gc.mem_alloc() - before)
    report("measure_ms", "one measurement: the chip's temperature, as its schedule takes it", times, "ms")
    if MICRO:
        report("measure_alloc", "heap one measurement allocates (collected after)", allocs, "bytes")


async def main():
    await makespan(50, 5)
    await makespan(500, 3)
    await orchestration(5, 200)
    await dispatch(5, 2000)
    if MICRO:
        await memory_per_message(5)
    await blinker_edges(20)
    await relay_edges(20, 3)
    await scale(SCALE_STEPS)
    await press_latency(10)
    await message_times(30)
    await alice_and_bob(5)
    await one_measurement(10)


asyncio.run(main())
