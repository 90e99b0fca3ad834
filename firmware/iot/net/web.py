"""The board's web page and its API (microdot): see and drive the devices and programs from a phone.

    GET  /                          the page (www/index.html, gzipped on a board, streamed from the flash)
    GET  /api/info                  board, firmware version, devices and what they take, the songbook
    GET  /api/status                what the shell's `status` shows
    POST /api/devices/<name>        {"msg": "SWITCH_ON", "data": "40%"}
    GET  /api/programs              each program: mode, planned ms, user's or built in, runs
    PUT  /api/programs/<name>       the program as JSON (?mode=queued): checked as `define` checks it
    POST /api/programs/<name>/run   `run <name>`
    POST /api/stop                  `stop`: every output safe
    POST /api/save                  `save`
    POST /api/console               {"line": "a shell command"}: its one reply
    POST /api/update                a bundle (make ota): streamed into the spare slot, on trial at the next
                                    reset (iot.update); every update's progress, whoever started it (the
                                    shell, MQTT, this route), goes to every page as "update" events
    GET  /api/events                Server-Sent Events: "state" (a device's status), "run" (a program's run
                                    begins: its name and planned ms), "event" (an event line) and "auto"
                                    (the automations' status, as `status` shows it, at each of their events)

In safe mode (slots.py: 3 boots in a row that never got ready) only GET /, which then says so in a line of
text, /api/status and POST /api/update are served: an update, or a look at why, is all the board takes.

While the board boots (the demo runs, the programs load) the API answers 503 with `Retry-After: 1`: the
page is served from the start, its data once the shell takes commands.

The server is two parts, for a board's heap: this module listens, and costs a few hundred bytes; the
routes, microdot and the watchers that feed the open pages (iot.net.site, most of the server's heap) are
loaded at the first connection and let go once no connection has been open for IDLE_MS, so a board whose
page nobody opens keeps that heap free (docs/benchmarks.md measures both). An open page keeps its events
stream, and so the site, loaded.

Every command goes through the command layer, so a refusal has the shell's
text: {"reply": "error: ..."} with a 4xx status, and nothing changes. With a
password set, every route asks for HTTP Basic authentication.
"""
import asyncio

from iot.compat import release, sleep_ms

IDLE_MS = 30000  # the routes and microdot stay loaded this long after the last connection closed
SITE = ("iot.net.site", "microdot.sse", "microdot.microdot", "microdot.helpers", "microdot")  # let go when idle
# (iot.compat.release: kept when compiled from their .py, as make run does)


class Web:
    """The listener; `site` (iot.net.site.Site: the routes, and the watchers that feed the open pages' queues in
    `clients`) while a connection needs it."""

    def __init__(self, service, board, port=80, user=None, password=None, safe=False, events=None):
        self.service = service
        self.board = board  # for /api/info; the rest of it is the site's to find when asked
        self.port = port
        self.safe = safe  # slots.py's safe mode: the page says so and takes an update only
        self.events = events  # iot.commands.Events: its lines go to the open pages too; the server says its own there
        self.commands = None  # iot.commands.Commands, from serve() on
        self.clients = []  # the open pages' queues (iot.net.site)
        self.auth = None
        if password:
            import binascii

            self.auth = "Basic " + binascii.b2a_base64(("%s:%s" % (user or "", password)).encode()).decode().strip()
        self.site = None
        self._open = 0  # connections open now
        self._server = None
        self._task = None  # starts the server
        self._idle = None  # lets the site go after IDLE_MS without a connection

    def start(self):
        self._task = asyncio.create_task(self._listen())
        return self

    async def _listen(self):
        try:
            self._server = await asyncio.start_server(self._connection, "0.0.0.0", self.port)
        except OSError as e:
            (self.events or print)("event: web page: cannot serve on port %d: %s" % (self.port, e))

    async def _connection(self, reader, writer):
        """One request (microdot answers one a connection), served by the site, loaded if it is not."""
        self._open += 1
        try:
            if self.site is None:
                try:
                    from iot.net.site import Site

                    self.site = Site(self)
                except MemoryError:  # no room for the routes now: this request goes unanswered, nothing else
                    writer.close()
                    return
            await self.site.handle(reader, writer)
        finally:
            self._open -= 1
            if not self._open:
                if self._idle is not None:
                    self._idle.cancel()
                self._idle = asyncio.create_task(self._let_go())

    async def _let_go(self):
        await sleep_ms(IDLE_MS)
        if not self._open and self.site is not None:
            self.site.deinit()
            self.site = None
            release(*SITE)

    def serve(self, commands):
        """Take commands from the page from now on (the API answers 503 before)."""
        self.commands = commands
        if self.site is not None:
            self.site.serve(commands)

    def deinit(self):
        if self.site is not None:
            self.site.deinit()
            self.site = None
        if self._server is not None:
            self._server.close()
            self._server = None
        for task in (self._task, self._idle):
            if task is not None:
                task.cancel()
        self._task = self._idle = None
