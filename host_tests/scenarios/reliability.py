"""Faults at every step, and a long soak: what the reliability tests check, on both interpreters."""
import asyncio
import gc

import app
from iot.compat import sleep_ms
from iot.message import MessageType
from scenarios.common import TEST_SONG, now_ms, registered

PROGRAMS = {"wake_up": app.wake_up(TEST_SONG), "sleep": app.sleep()}
# The demo's steps in program order: (program, device, message).
STEPS = (
    ("wake_up", "light", "SWITCH_ON"),
    ("wake_up", "speaker", "SWITCH_ON"),
    ("wake_up", "speaker", "PLAY_SONG"),
    ("sleep", "light", "SWITCH_OFF"),
    ("sleep", "speaker", "SWITCH_OFF"),
    ("sleep", "toilet", "FLUSH"),
    ("sleep", "toilet", "CLEAN"),
)


def _arm(device, msg_type, how, op_ms):
    """Make the device's next `msg_type` fail: "raise" half an operation in, or "hang" after doing its work."""
    real = device.handle
    code = MessageType.code(msg_type)

    async def handle(t, data):
        if t != code:
            return await real(t, data)
        device.handle = real  # one fault only
        if how == "raise":
            await sleep_ms(op_ms // 2)
            raise RuntimeError("injected fault")
        await real(t, data)
        await asyncio.Event().wait()  # never answers

    device.handle = handle


async def faults(op_ms, how):
    """For each demo step in turn: its program with that step failing, then the same program again."""
    service, devices = await registered(op_ms)
    service.step_slack_ms = op_ms
    lines = []
    service.log = lines.append
    out = []
    for program, device, msg_type in STEPS:
        _arm(devices[device], msg_type, how, op_ms)
        del lines[:]
        start = now_ms()
        report = await service.run_program(PROGRAMS[program], program)
        failed = now_ms()
        await sleep_ms(2 * op_ms)  # anything left running would show here
        again_at = now_ms()
        again = await service.run_program(PROGRAMS[program], program)
        service.safe_all()
        await sleep_ms(op_ms)
        out.append({"step": "%s %s %s" % (program, device, msg_type), "start_ms": start, "failed_ms": failed,
                    "again_ms": again_at, "error": report.error, "again_error": again.error, "log": lines[:]})
    return out


async def soak(messages, runs):
    """Many messages and program runs with retriggered Blinkers: tasks left and heap, before and after."""
    tasks = [[]]  # the live tasks (a new list each prune: a list keeps its capacity when emptied)
    create_task = asyncio.create_task

    def counted(coro):
        task = create_task(coro)
        tasks[0].append(task)
        return task

    def prune():
        tasks[0] = [t for t in tasks[0] if not t.done()]

    asyncio.create_task = counted  # every task the firmware starts passes here
    service, devices = await registered(0)
    service.activity_ms = 1  # the status LED: retriggered by every message
    service.log = lambda line: None  # a run's error is raised below
    service.step_slack_ms = 20  # the step watch's cancelled timers are gone soon after
    relay = devices["toilet"].flush_relay
    blink = {"seq": [{"send": ["light", "SWITCH_ON"]}, {"send": ["light", "SWITCH_OFF"]}]}
    program = {"par": [blink, {"send": ["toilet", "FLUSH"]}, {"send": ["speaker", "SWITCH_OFF"]}]}

    async def load(n_messages, n_runs):
        for i in range(n_messages):
            await service.send("light", 1 + (i & 1))  # SWITCH_ON, SWITCH_OFF
            relay.pulse(50)  # a retrigger: the relay's Blinker deadline moves on
            if i % 256 == 255:
                prune()
        for i in range(n_runs):
            report = await service.run_program(program, "soak")
            if report.error:
                raise RuntimeError(report.error)
            if i % 64 == 63:
                prune()
        relay.off()
        await sleep_ms(60)  # the Blinkers see their last deadlines go, the loop drops cancelled timers
        prune()

    def heap():
        gc.collect()
        return gc.mem_alloc() if hasattr(gc, "mem_alloc") else _traced()

    heap()
    await load(1000, 100)  # warm up: first-use allocations, and asyncio's own tables at full size, are not a leak
    base_tasks, base_heap = len(tasks[0]), heap()
    start = now_ms()
    await load(messages, runs)
    took = now_ms() - start
    after = heap()
    await load(messages, runs)  # a second and a third soak: a leak grows the heap each time, asyncio's tables once
    again = heap()
    await load(messages, runs)
    return {"base_tasks": base_tasks, "tasks": len(tasks[0]), "base_heap": base_heap, "heap": after,
            "heap_again": again, "heap_third": heap(), "took_ms": took}


def _traced():
    import tracemalloc

    if not tracemalloc.is_tracing():
        tracemalloc.start()
    return tracemalloc.get_traced_memory()[0]
