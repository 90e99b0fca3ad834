"""Scenarios of issue 10's hostile use that need the firmware in-process (both interpreters)."""
import asyncio

from iot.compat import sleep_ms, ticks_diff, ticks_ms
from iot.program import parallel, send, sequence
from iot.commands import Commands
from scenarios.common import Faulty, now_ms, registered

import app


async def sibling_after_failure(op_ms):
    """A step fails in the same loop turn as a parallel sibling would switch the clean relay on."""
    service, devices = await registered(op_ms)
    await service.register_device(Faulty(0, op_ms), "faulty")
    lines = []
    service.log = lines.append
    program = parallel(send("faulty", "SWITCH_ON"), sequence({"delay": 0}, send("toilet", "CLEAN")))
    start = now_ms()
    report = await service.run_program(program, "race")
    await sleep_ms(2 * op_ms)
    return {"start_ms": start, "error": report.error, "log": lines}


class _Stalls:
    """The loop's longest stall: a task asking to wake every ms notes how late it wakes."""

    def __init__(self):
        self.longest = 0
        self.task = asyncio.create_task(self._watch())

    async def _watch(self):
        while True:
            t = ticks_ms()
            await sleep_ms(1)
            self.longest = max(self.longest, ticks_diff(ticks_ms(), t) - 1)


async def stalls(op_ms, programs, within_ms):
    """The loop stall each kind of command causes, with the most user programs there can be: the least of up to ten
    tries, a second apart, ending once every command is within within_ms. A command's own stall shows every time; a
    loaded machine's preemption seldom lands on the same command ten times over."""
    service, devices = await registered(op_ms)
    shell = Commands(service, app.PROGRAMS, "programs.json", print)
    step = '{"seq": [{"send": ["light", "SWITCH_ON"]}, {"delay": 1}, {"send": ["light", "SWITCH_OFF"]}]}'
    for i in range(programs):
        await shell.execute("define p%d %s" % (i, step))
    big = '{"par": [%s]}' % ", ".join(['{"send": ["light", "SWITCH_ON"]}'] * 29)
    lines = [("define", "define big " + big), ("programs", "programs"), ("save", "save"), ("plan", "plan p7"),
             ("status", "status"), ("run", "run p3"), ("stop", "stop"), ("help", "help")]
    watch = _Stalls()
    replies = {}
    out = {}
    for _ in range(10):
        for what, line in lines:
            await sleep_ms(5)
            watch.longest = 0
            replies[what] = await shell.execute(line, console=True)
            await sleep_ms(2)  # the watcher wakes after the command: its lateness is the command's stall
            out[what] = min(out.get(what, 1000), watch.longest)
        if max(out.values()) <= within_ms:
            break
        await sleep_ms(1000)
    watch.task.cancel()
    return {"stall_ms": out, "replies": replies}


def _starved():
    """A refusal whose text cannot be made, as "error: %s" % e is when the heap is full (CPython has no heap_lock)."""
    from iot import IOTError

    class Starved(IOTError):
        def __str__(self):
            raise MemoryError("no heap for the reply's text")

    return Starved()


async def no_heap_for_a_reply(op_ms):
    """The heap full while a command is answered: its reply, and a whole command, each get the prepared refusal (on
    MicroPython with the heap locked, so that any allocation at all fails)."""
    import sys

    from iot import IOTError

    service, devices = await registered(op_ms)
    commands = Commands(service, app.PROGRAMS)
    micro = sys.implementation.name == "micropython"
    refusal = IOTError("unknown device 'x'") if micro else _starved()

    async def refused():
        raise refusal

    if micro:
        import micropython

        lock, unlock = micropython.heap_lock, micropython.heap_unlock
    else:
        lock = unlock = lambda: None
    # The coroutines awaited here are made before the lock, as the shell's are (a shell that cannot make one answers
    # with the prepared refusal itself); each makes its own inside.
    out = [None, None, None]  # and appending to a list may need heap
    calls = (commands.reply(refused()), commands.execute("status"), commands.send("light", "SWITCH_ON"))
    lock()
    try:
        out[0] = await calls[0]
        if micro:
            out[1] = await calls[1]
            out[2] = await calls[2]
    finally:
        unlock()
    for call in calls[3 if micro else 1:]:
        call.close()  # not awaited (CPython): no warning
    out = [r for r in out if r is not None]
    out.append(await commands.execute("light switch_on"))  # and it serves on
    await commands.wait()
    return {"replies": out}
