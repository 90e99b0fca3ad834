"""Programs: validation, ordering, makespan, the seed's list form and the awaitable helpers."""
import asyncio

import app
import demo
from iot import IOTError
from iot.message import Message, MessageType
from iot.program import delay, parallel, send, sequence
from iot.runner import run_parallel, run_sequence
from scenarios.common import TEST_SONG, now_ms, registered


async def seed_demo(op_ms):
    """The seed demo, composed, with the test melody; returns each program's report."""
    service, devices = app.build(op_ms=op_ms)
    lines = []
    service.log = lines.append
    programs = {"wake_up": app.wake_up(TEST_SONG), "sleep": app.sleep()}
    reports = await demo.run(service, devices, programs, log=lines.append)
    await asyncio.sleep(2 * service.activity_ms / 1000)  # the status LED's last blink ends
    return {
        "reports": [[r.name, r.planned_ms, r.actual_ms, r.error] for r in reports],
        "log": lines,
        "plans": [service.plan(programs[n]) for n in ("wake_up", "sleep")],
        "songbook_plan": service.plan(app.wake_up()),
    }


BAD = [
    ["not a program"],
    {"seq": [], "par": []},
    {"loop": []},
    {"seq": "light"},
    {"seq": [{"send": ["light", "SWITCH_ON"]}, {"send": ["lamp", "SWITCH_ON"]}]},
    {"par": [{"send": ["light", "SWITCH_ON"]}, {"seq": [{"delay": 5}, {"send": ["light", "BLINK"]}]}]},
    {"par": [{"send": ["speaker", "PLAY_SONG", "Unknown Song"]}]},
    {"send": ["light"]},
    {"send": ["light", "SWITCH_ON", "", "extra"]},
    {"send": [7, "SWITCH_ON"]},
    {"delay": -5},
    {"delay": "100"},
    {"delay": 1.5},
    {"seq": [{"seq": [{"seq": [{"seq": [{"seq": [{"seq": [{"seq": [{"seq": [{"seq": [{"seq": [{"seq": [
        {"seq": [{"seq": [{"seq": [{"seq": [{"seq": [{"seq": [{"delay": 1}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]},
    {"par": [{"delay": 0}] * 2001},
    {"seq": [{"send": ["toilet", "FLUSH"]}, {"send": ["light", "CHANGE_COLOR", "#00ff00"]}]},
]


async def invalid(op_ms):
    """Each bad program is refused with one error naming the step; no pin moves."""
    service, devices = await registered(op_ms)
    errors = []
    for program in BAD:
        try:
            await service.run_program(program, "bad")
            errors.append(None)
        except IOTError as e:
            errors.append(str(e))
    return {"errors": errors}


async def seed_list(op_ms):
    """The seed's run_program(list of Messages) runs them all at once."""
    service, devices = await registered(op_ms)
    start = now_ms()
    report = await service.run_program([
        Message("light", MessageType.SWITCH_ON),
        Message("toilet", MessageType.FLUSH),
        Message("speaker", MessageType.SWITCH_ON),
    ])
    return {"start_ms": start, "planned": report.planned_ms, "actual": report.actual_ms}


async def helpers(op_ms):
    """run_sequence/run_parallel compose awaitables as in the seed."""
    service, devices = await registered(op_ms)
    start = now_ms()
    await run_parallel(
        service.send_msg(Message("light", MessageType.SWITCH_ON)),
        run_sequence(
            service.send_msg(Message("speaker", MessageType.SWITCH_ON)),
            service.send_msg(Message("speaker", MessageType.PLAY_SONG, TEST_SONG)),
        ),
    )
    results = await run_parallel(_value(1), _value(2), _value(3))
    return {"start_ms": start, "end_ms": now_ms(), "results": results}


async def _value(v):
    return v


async def delays(op_ms):
    """delay steps count on the critical path, in sequence and in parallel."""
    service, devices = await registered(op_ms)
    program = sequence(
        parallel(delay(3 * op_ms), send("light", "SWITCH_ON")),
        send("toilet", "FLUSH"),
        delay(op_ms),
        send("light", MessageType.SWITCH_OFF),
    )
    start = now_ms()
    report = await service.run_program(program, "delays")
    return {"start_ms": start, "planned": report.planned_ms, "actual": report.actual_ms, "program": program}


async def toilet_in_parallel(op_ms):
    """FLUSH and CLEAN sent at once: the second waits for the first; the plan knows it."""
    service, devices = await registered(op_ms)
    program = parallel(send("toilet", "FLUSH"), send("toilet", "CLEAN"), send("light", "SWITCH_ON"))
    start = now_ms()
    report = await service.run_program(program, "both")
    relay = devices["toilet"].clean_relay
    relay.on()  # interlock: switching one relay on switches the other off first
    devices["toilet"].flush_relay.on()
    interlocked = [devices["toilet"].flush_relay.value(), relay.value()]
    devices["toilet"].safe()
    return {"start_ms": start, "planned": report.planned_ms, "actual": report.actual_ms, "interlocked": interlocked}
