"""Automations on simulated time: inputs driven as a button would drive them, schedules over days of clock."""
import asyncio

import app
import config
import machine
from iot.auto.clock import Clock
from iot.auto.inputs import Inputs
from iot.auto.schedules import Scheduler
from iot.compat import sleep_ms

from scenarios.common import now_ms

BUTTON = 14


def _drive(pattern):
    """[(ms from now, level)] onto the button's pin."""
    for at, level in pattern:
        machine.drive(BUTTON, level, at)


async def input_events(pattern, wait_ms, cfg=None):
    """The events of one input (active low, pulled up) while `pattern` drives its pin: [(ms, event)]."""
    entry = {"pin": BUTTON}
    entry.update(cfg or {})
    settings = _settings({"inputs": {"b": entry}})["auto"]["inputs"]  # as config.json gives it
    events = []
    start = now_ms()
    inputs = Inputs(settings, lambda name, event: events.append([round(now_ms() - start, 1), event]))
    await sleep_ms(0)
    _drive(pattern)
    await sleep_ms(wait_ms)
    inputs.deinit()
    machine.drive(BUTTON, 1)
    return events


def _settings(extra):
    raw = {"op_ms": 100, "demo": False}
    raw.update(extra)
    return config.check(raw)


async def engine(extra, lines, wait_ms=0, pattern=()):
    """The app's devices, shell commands and automations from `extra` config; each of `lines` typed in turn
    (a line "sleep N" waits N ms), `pattern` driven on the button. -> the replies, the event lines, marks."""
    settings = _settings(extra)
    said = []
    service, devices = app.build(settings, log=said.append)
    await service.register_devices(devices)
    commands = app.make_commands(service, said.append)
    commands.serve(automations=settings["auto"])
    auto = commands.auto
    marks = {"start": now_ms()}
    _drive(pattern)
    replies = []
    for line in lines:
        if line.startswith("sleep "):
            await sleep_ms(int(line[6:]))
            continue
        marks[line] = now_ms()
        replies.append(await commands.execute(line, console=True))
    await sleep_ms(wait_ms)
    status = commands.status().get("automations")
    held = len(service.finished)  # the automations' watcher of finished operations, when a binding needs it
    if auto is not None:
        auto.deinit()
    app.safe_all(service, devices)
    service.deinit()
    machine.drive(BUTTON, 1)
    return {"replies": replies, "said": said, "marks": marks, "status": status, "finished": [held, len(service.finished)],
            "problems": settings["auto"] and settings["auto"]["problems"]}


async def schedules(cfg, steps, offset="+00:00", dst=None, place=None):
    """A Scheduler of `cfg` ({name: check's settings, as config.json gives them}) on a Clock; `steps`:
    ["set", unix s] sets the clock, ["sleep", ms] lets it run. -> firings [[unix s, name, why]], events."""
    raw = {"schedules": cfg, "clock": {"utc_offset": offset, "dst": dst}}
    if place is not None:
        raw["clock"]["latitude"], raw["clock"]["longitude"] = place
    settings = _settings(raw)["auto"]
    assert not settings["problems"], settings["problems"]
    clock = Clock(settings["clock"]["offset_s"], settings["clock"]["dst"])
    fired, said = [], []

    def fire(name, why):
        fired.append([clock.now_ms() / 1000, name, why])

    scheduler = Scheduler(clock, settings["schedules"], settings["clock"]["place"], fire, said.append)
    nexts = []
    for what, value in steps:
        if what == "set":
            clock.set_ms(value * 1000, "set")
        else:
            while value > 0:  # a day at a time: MicroPython's sleeps reach at most 6 days ahead
                await sleep_ms(min(value, 86400000))
                value -= 86400000
        nexts.append(scheduler.status())
    scheduler.deinit()
    return {"fired": fired, "said": said, "nexts": nexts}


async def ntp_query(port):
    """iot.auto.ntp's answer from a server on this host's `port`: {"unix_ms"} or {"error"}, and how often
    another task ran meanwhile ({"ticks"})."""
    from iot.auto import ntp

    ticking = asyncio.create_task(_ticker())  # the loop goes on while the answer is awaited
    try:
        unix_ms = await ntp.query("127.0.0.1", port)
    except OSError as e:
        ticking.cancel()
        return {"error": str(e), "ticks": _ticks[0]}
    ticking.cancel()
    return {"unix_ms": unix_ms, "ticks": _ticks[0]}


_ticks = [0]


async def _ticker():
    while True:
        await sleep_ms(5)
        _ticks[0] += 1
