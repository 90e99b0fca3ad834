"""The few things MicroPython and CPython spell differently, in one place."""
import asyncio
import sys
import time

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):  # type: ignore[misc]  # CPython only
        return x


try:
    ticks_ms = time.ticks_ms
    ticks_diff = time.ticks_diff
    ticks_add = time.ticks_add
except AttributeError:  # CPython: a monotonic clock that never wraps

    def ticks_ms():
        return time.monotonic_ns() // 1_000_000  # type: ignore[attr-defined]  # CPython only

    def ticks_diff(a, b):
        return a - b

    def ticks_add(a, b):
        return a + b


# asyncio's ThreadSafeFlag is looked up when called: naming it loads the module it lives in.
if sys.implementation.name == "micropython":
    sleep_ms = asyncio.sleep_ms

    async def wait_for_ms(awaitable, ms):
        """`awaitable`'s result, or asyncio.TimeoutError once `ms` have gone by (it is cancelled then)."""
        return await asyncio.wait_for_ms(awaitable, ms)

    def thread_safe_flag():
        """An Event whose set() is safe in an IRQ (asyncio.ThreadSafeFlag)."""
        return asyncio.ThreadSafeFlag()

else:  # CPython

    def sleep_ms(ms):
        return asyncio.sleep(ms / 1000)

    async def wait_for_ms(awaitable, ms):
        # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancel that comes as the wait ends, and a
        # task cancelled at the loop's end then never ends
        async with asyncio.timeout(ms / 1000):  # CPython 3.11 on
            return await awaitable

    class _Flag:
        """ThreadSafeFlag's set(), clear() and wait() over an Event: set() from an interrupt (the stub
        machine's: a signal handler, or a thread) is handed to the loop."""

        def __init__(self):
            self._loop = asyncio.get_event_loop()
            self._event = asyncio.Event()

        def set(self):
            self._loop.call_soon_threadsafe(self._event.set)

        def clear(self):
            self._event.clear()

        async def wait(self):
            await self._event.wait()
            self._event.clear()

    def thread_safe_flag():
        return _Flag()


def unload(name):
    """Let a module go: the one way this app ever does, and only for what runs once (the boot's construction, the
    demo, the network's start) or the web site after an idle spell (docs/architecture.md lists them); everything
    else, once loaded, is kept. A submodule is also its package's attribute, and that alone would keep it."""
    sys.modules.pop(name, None)
    package, _, attr = name.rpartition(".")
    if package in sys.modules and hasattr(sys.modules[package], attr):
        delattr(sys.modules[package], attr)


def heap_free():
    """Bytes free in the heap after a collection; None on CPython, whose heap is the host's."""
    import gc

    if not hasattr(gc, "mem_free"):
        return None
    gc.collect()
    return gc.mem_free()
