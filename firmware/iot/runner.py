"""The seed's awaitable helpers, made safe for MicroPython: for Python code written the seed's way.

A script (or a REPL session) that composes awaitables itself, as the seed's tutorial does
(`run_parallel(service.send_msg(...), run_sequence(...))`), gets them here; see docs/programs.md, "Using it
from Python". The firmware never imports this: its programs are data, checked and planned by iot.program
and run by iot.service, which also halts and reports them. These two only await, and clean up on failure.
"""
import asyncio


async def run_sequence(*functions):
    """Await each in turn; on failure the ones not yet started are closed, not leaked."""
    i = 0
    try:
        for i, f in enumerate(functions):
            await f
    finally:
        for f in functions[i + 1 :]:
            close = getattr(f, "close", None)
            if close is not None:
                close()


class _Group:
    """Shared state of one run_parallel: results, first error, and when to stop waiting."""

    def __init__(self, n):
        self.pending = n
        self.results = [None] * n
        self.error = None
        self.done = asyncio.Event()

    async def branch(self, i, aw):
        try:
            self.results[i] = await aw
        except asyncio.CancelledError:
            pass  # the group cancelled it; run_parallel re-raises what matters
        except Exception as e:
            if self.error is None:
                self.error = e
                self.done.set()
        finally:
            self.pending -= 1
            if self.pending == 0:
                self.done.set()


async def run_parallel(*functions):
    """Await all concurrently and return their results in order.

    Unlike asyncio.gather, the first failure cancels the others and is raised only
    once they have all run their cleanup; so is a cancel of the caller. On
    MicroPython nothing else would stop them: asyncio.run() leaves tasks running.
    """
    group = _Group(len(functions))
    if not functions:
        return group.results
    tasks = [asyncio.create_task(group.branch(i, f)) for i, f in enumerate(functions)]
    try:
        await group.done.wait()
    finally:
        if group.pending:
            for t in tasks:
                t.cancel()
            for t in tasks:
                try:
                    await t  # let it finish its cleanup
                except asyncio.CancelledError:
                    pass  # cancelled before it started
    if group.error is not None:
        raise group.error
    return group.results
