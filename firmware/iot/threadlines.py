"""CPython only: the console's bytes read by a thread (iot.console takes them from here on a host), as they come:
a terminal in raw mode ends a line with CR alone.

A board's stdin can be polled by the asyncio loop; a host's pipe or terminal cannot be on every system,
so a daemon thread reads the lines and hands each to the loop. Its own module, so that no board carries it.
"""
import asyncio
import threading  # type: ignore[import-not-found]  # CPython only


class ThreadedLines:
    """CPython only: a daemon thread reads, so a blocked read never holds up the loop or its shutdown.

    It reads at most `ahead` chunks before the shell has taken them, so a flood waits in the pipe, as
    it waits in the USB buffer on a board, instead of in the heap.
    """

    def __init__(self, stream, ahead=4):
        self._loop = asyncio.get_event_loop()
        self._ready = []
        self._event = asyncio.Event()
        self._room = threading.Semaphore(ahead)
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        while True:
            self._room.acquire()
            line = stream.read1(256) if hasattr(stream, "read1") else stream.readline()  # what came, ended or not
            self._loop.call_soon_threadsafe(self._put, line or None)
            if not line:
                return

    def _put(self, line):
        self._ready.append(line)
        self._event.set()

    async def get(self):
        await asyncio.sleep(0)  # as on a board, work started by the last line gets to begin first
        while not self._ready:
            self._event.clear()
            await self._event.wait()
        self._room.release()
        return self._ready.pop(0)
