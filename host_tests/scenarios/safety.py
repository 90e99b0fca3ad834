"""Failure, cancellation and crashes leave every output in its safe state."""
import asyncio

from iot import IOTError
from iot.compat import ticks_diff, ticks_ms
from iot.message import Message, MessageType
from iot.program import parallel, send, sequence
from iot.runner import run_parallel
from scenarios.common import Faulty, hog, now_ms, registered

SONG = "Miles Davis - Kind of Blue"


def _busy_program():
    """Light on, flush then clean, speaker on then a song, and "faulty" (failing half an op in)."""
    return parallel(
        send("light", "SWITCH_ON"),
        sequence(send("toilet", "FLUSH"), send("toilet", "CLEAN")),
        sequence(send("speaker", "SWITCH_ON"), send("speaker", "PLAY_SONG", SONG)),
        sequence(send("faulty", "SWITCH_ON")),
    )


async def failing_step(op_ms):
    """A failing step cancels its siblings, makes every device safe, is reported; the service goes on."""
    service, devices = await registered(op_ms)
    await service.register_device(Faulty(op_ms // 2, op_ms), "faulty")
    lines = []
    service.log = lines.append
    start = now_ms()
    report = await service.run_program(_busy_program(), "busy")
    failed = now_ms()
    await asyncio.sleep(3 * op_ms / 1000)  # long enough for any step left running to show
    after_start = now_ms()
    after = await service.run_program(sequence(send("light", "SWITCH_ON"), send("light", "SWITCH_OFF")), "after")
    await asyncio.sleep(2 * service.activity_ms / 1000)  # the status LED's last blink ends
    return {"start_ms": start, "failed_ms": failed, "after_ms": after_start, "error": report.error, "log": lines,
            "after_error": after.error}


async def cancel(op_ms):
    """Cancelling a running program: every output safe, reported, CancelledError re-raised."""
    service, devices = await registered(op_ms)
    lines = []
    service.log = lines.append
    program = _busy_program()
    program["par"].pop()  # no faulty device here
    start = now_ms()
    task = asyncio.create_task(service.run_program(program, "busy"))
    await asyncio.sleep(op_ms / 2000)
    task.cancel()
    cancelled_at = now_ms()
    try:
        await task
        outcome = "finished"
    except asyncio.CancelledError:
        outcome = "cancelled"
    await asyncio.sleep(3 * op_ms / 1000)  # long enough for any step left running to show
    return {"start_ms": start, "cancel_ms": cancelled_at, "outcome": outcome, "log": lines}


async def escape(op_ms):
    """A failure escapes asyncio.run() from bare helpers while the flush relay is on.

    On MicroPython nothing cancels the siblings of a failed gather; run_parallel
    must, so the relay is off before the process dies.
    """
    service, devices = await registered(op_ms)
    print("MARK %f" % now_ms())
    await run_parallel(
        service.send_msg(Message("toilet", MessageType.FLUSH)),
        service.send_msg(Message("light", MessageType.SWITCH_ON)),
        _fail_after(op_ms // 2),
    )


async def _fail_after(ms):
    await asyncio.sleep(ms / 1000)
    raise RuntimeError("crash while the relay is on")


async def abandoned_relay(max_on_ms):
    """A relay switched on by code that then dies stays on only until its max on-time."""
    service, devices = await registered(0)
    relay = devices["toilet"].flush_relay
    relay.max_on_ms = max_on_ms
    start = now_ms()

    async def crashes():
        relay.on()
        raise RuntimeError("program crashed with the relay on")

    try:
        await crashes()
    except RuntimeError:
        pass
    await asyncio.sleep(2 * max_on_ms / 1000)
    return {"start_ms": start, "relay_on": relay.value()}


async def blocked_loop(max_on_ms, block_ms):
    """The flush relay switched on, then the asyncio loop blocked (busy, no await) well past its limit."""
    service, devices = await registered(0)
    relay = devices["toilet"].flush_relay
    relay.max_on_ms = max_on_ms
    start = now_ms()
    relay.pulse(max_on_ms)
    t0 = ticks_ms()
    while ticks_diff(ticks_ms(), t0) < block_ms:
        pass  # no task runs: only the relay's machine.Timer can switch it off now
    unblocked = now_ms()
    await asyncio.sleep(0.01)
    return {"start_ms": start, "unblocked_ms": unblocked, "relay_on": relay.value()}


async def starved_relays(op_ms, max_on_ms, min_off_ms, commands, hogs_ms):
    """A burst of toilet commands while other tasks hog the loop for hundreds of ms between their steps:
    the relays' switch-offs run late (the Blinker waits for the loop), only their machine.Timer is on time."""
    import app
    import config

    settings = config.check({"op_ms": op_ms, "max_on_ms": max_on_ms, "min_off_ms": min_off_ms, "demo": False})
    service, devices = app.build(settings)
    await service.register_devices(devices)
    shell = app.make_commands(service, write=lambda line: None)

    async def hogging(pattern, relay):
        """Hogs the loop, and between two hogs switches a relay itself, past the toilet's one-at-a-time lock:
        only the interlock keeps the other one off then."""
        for ms in pattern:
            hog(ms)
            try:
                relay.pulse(ms // 3)
            except IOTError:
                pass  # at its bound: refused, as it must be
            await asyncio.sleep(0.001)

    toilet = devices["toilet"]
    hogs = [asyncio.create_task(hogging(hogs_ms[i::2], relay))
            for i, relay in enumerate((toilet.clean_relay, toilet.flush_relay))]
    replies = []
    for i, line in enumerate(commands):
        replies.append(await shell.execute(line, console=True))
        if i % 3 == 2:
            await asyncio.sleep(0)
    await shell.wait()
    for t in hogs:
        await t
    await asyncio.sleep(2 * min_off_ms / 1000)
    return {"replies": replies}
