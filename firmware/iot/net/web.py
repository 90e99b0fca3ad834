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
    GET  /api/config                config.json without passwords, which passwords are set, the trial's state
    PUT  /api/config                a whole config.json: checked as the boot checks it (each error in the
                                    reply), then applied on trial (iot.commands.settings, docs/provisioning.md)
    GET  /api/backup                config.json, programs.json and the settings in secrets.json that are no
                                    secret, as one file to keep
    POST /api/restore               that file, applied on trial as a new config is
    GET  /api/events                Server-Sent Events: "state" (a device's status), "run" (a program's run
                                    begins: its name and planned ms), "event" (an event line) and "auto"
                                    (the automations' status, as `status` shows it, at each of their events)

In safe mode (slots.py: 3 boots in a row that never got ready) only GET /, which then says so in a line of
text, /api/status and POST /api/update are served: an update, or a look at why, is all the board takes.

While the board boots (the demo runs, the programs load) the API answers 503 with `Retry-After: 1`: the
page is served from the start, its data once the shell takes commands.

The network edge is hostile (docs/network.md says each limit, and what a refused client sees):
- At most MAX_CONNECTIONS are open at once (iot.net.site: MAX_PAGES of them events streams); the next is
  answered 503 at once and closed. Each request is read within bounds (iot.net.http: line and head sizes, one Content-Length,
  the whole request within 10 s, a reply taken within 10 s), so no client can hold the loop, the heap or a
  connection, and nothing it sends reaches the console.
- Every request names this board as its Host (an address, localhost, the board's name, web.hosts): a page of
  another site that a rebound DNS name points here is refused (421).
- A request that changes something comes from the board's own page or from no browser at all: Sec-Fetch-Site
  and Origin, when a browser sends them, must say so, and its body is JSON (a bundle: octet-stream), which no
  page of another site can send without asking first (403, 415).
- With a password (secrets.json's web.password, or one made at the first boot: iot.net.boot), every route asks
  for it (HTTP Basic, compared in constant time); `"auth": false` in config.json alone serves without one. With
  authentication on and no password the board could keep, what changes something is refused (403).

The server is two parts: this module listens; the routes, microdot, the request reader and the watchers that
feed the open pages (iot.net.site, iot.net.http) are loaded at the first connection and let go once no
connection has been open for IDLE_MS: the one part of the app loaded again and again (docs/architecture.md).
An open page keeps its events stream, and so the site, loaded.

Every command goes through the command layer, so a refusal has the shell's text: {"reply": "error: ..."}
with a 4xx status, and nothing changes.
"""
import asyncio

from iot.compat import const, sleep_ms, unload, ticks_add, ticks_diff, ticks_ms, wait_for_ms

IDLE_MS = 30000  # the routes and microdot stay loaded this long after the last connection closed
MAX_CONNECTIONS = const(4)  # open at once: a Pico W's network stack has 5 TCP connections, and MQTT takes one
BACKLOG = const(128)  # connections the network stack holds until they are accepted, to be served or refused at
# once: with asyncio's own 5 the kernel dropped the rest of a burst, whose clients tried again 1, 3, 7 s later (on a
# board, lwIP's 5 connections bound them anyway)
SITE = ("iot.net.site", "iot.net.http", "microdot.sse", "microdot.microdot", "microdot.helpers", "microdot")
# let go when idle: the page's modules are the only ones loaded again and again (docs/architecture.md)
BUSY = (b'HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n'
        b'Content-Length: 88\r\nConnection: close\r\n\r\n'
        b'{"reply": "error: busy: this board serves 4 connections at once; try again in a second"}')
NO_ROOM = (b'HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 5\r\n'
           b'Content-Length: 79\r\nConnection: close\r\n\r\n'
           b'{"reply": "error: no room in the heap for the page now; try again in a moment"}')
# (both made now: they need no heap when sent)


class Web:
    """The listener; `site` (iot.net.site.Site: the routes, and the watchers that feed the open pages' queues in
    `clients`) while a connection needs it. `busy`, `refused` and `failed` count the connections turned away at
    the cap, the requests refused for breaking a rule, and those the server failed (`status` shows them)."""

    def __init__(self, service, commands, board, port=80, user=None, password=None, safe=False, events=None,
                 auth=True, hosts=()):
        self.service = service
        self.commands = commands  # iot.commands.Commands: the API answers 503 until they serve
        self.board = board  # for /api/info; the rest of it is the site's to find when asked
        self.port = port
        self.safe = safe  # slots.py's safe mode: the page says so and takes an update only
        self.events = events  # iot.commands.Events: its lines go to the open pages too; the server says its own there
        self.clients = []  # the open pages' queues (iot.net.site)
        self.hosts = hosts  # names this board answers to beside its addresses, localhost and its own name
        self.user = user or "admin"
        self.password = password
        self.auth = None  # the Authorization header a request must carry, when authentication is on
        self.open = not auth  # config.json's "auth": false: everything is served to anyone
        if auth and password:
            import binascii

            self.auth = "Basic " + binascii.b2a_base64(("%s:%s" % (self.user, password)).encode()).decode().strip()
        self.busy = 0
        self.refused = 0
        self.failed = 0
        self.site = None
        self._open = 0  # connections open now
        self._server = None
        self._task = None  # starts the server
        self._serving = None  # waits for the commands to serve
        self._idle = None  # lets the site go after IDLE_MS without a connection

    def start(self):
        self._task = asyncio.create_task(self._listen())
        self._serving = asyncio.create_task(self._serve())
        return self

    def serving(self):
        """Listening on its port."""
        return self._server is not None

    async def _serve(self):
        """Once the commands serve, a site loaded meanwhile watches them too."""
        await self.commands.serving.wait()
        if self.site is not None:
            self.site.serve()

    async def _listen(self):
        try:
            self._server = await asyncio.start_server(self._connection, "0.0.0.0", self.port, backlog=BACKLOG)
        except OSError as e:
            (self.events or print)("event: web page: cannot serve on port %d: %s" % (self.port, e))

    async def _connection(self, reader, writer):
        """One request (microdot answers one a connection), served by the site, loaded if it is not; past
        MAX_CONNECTIONS, the busy reply at once. Nothing a connection does reaches the console."""
        if self._open >= MAX_CONNECTIONS:
            self.busy += 1
            await _turn_away(reader, writer, BUSY)
            return
        self._open += 1
        ending = False
        try:
            if self.site is None:
                try:
                    from iot.net.site import Site

                    self.site = Site(self)
                except MemoryError:  # no room for the routes now: this request is told so, nothing else
                    self.failed += 1
                    await _turn_away(reader, writer, NO_ROOM)
                    return
            await self.site.handle(reader, writer)
        except asyncio.CancelledError:  # the app is ending, and this connection with it: a plain end (CPython 3.11
            ending = True  # prints a traceback for a connection's task that ends cancelled)
        except Exception as e:  # a bug: this connection only, said once (`status` counts the rest)
            self.failed += 1
            if self.failed == 1:
                (self.events or print)("event: web page: a connection failed: %r" % (e,))
            await _close(writer)
        finally:
            self._open -= 1
            if not self._open and not ending:
                if self._idle is not None:
                    self._idle.cancel()
                self._idle = asyncio.create_task(self._let_go())

    async def _let_go(self):
        await sleep_ms(IDLE_MS)
        if not self._open and self.site is not None:
            self.site.deinit()
            self.site = None
            for name in SITE:
                unload(name)

    def status(self, secrets=False):
        """The web page's part of `status`; `secrets` (the serial console's own): its user and password too."""
        s = {"port": self.port, "pages": len(self.clients), "connections": self._open, "busy": self.busy,
             "refused": self.refused, "failed": self.failed,
             "auth": "off" if self.open else "password" if self.auth else "none yet"}
        if secrets and self.auth:
            s["user"] = self.user
            s["password"] = self.password
        return s

    def deinit(self):
        if self.site is not None:
            self.site.deinit()
            self.site = None
        if self._server is not None:
            self._server.close()
            self._server = None
        for task in (self._task, self._idle, self._serving):
            if task is not None:
                task.cancel()
        self._task = self._idle = self._serving = None


async def _turn_away(reader, writer, reply):
    """A reply made in advance (BUSY, NO_ROOM), then the connection closed: what the client sends meanwhile is read
    and let go for half a second first, so that closing does not reset the connection before the client has read the
    reply."""
    try:
        writer.write(reply)
        await wait_for_ms(writer.drain(), 1000)
        end = ticks_add(ticks_ms(), 500)
        while await wait_for_ms(reader.read(256), max(1, ticks_diff(end, ticks_ms()))):
            pass
    except Exception:  # timed out, or gone: closed either way
        pass
    await _close(writer)


async def _close(writer):
    """Closed, on both interpreters: MicroPython's close() does nothing, its wait_closed() closes the socket."""
    try:
        writer.close()
        await wait_for_ms(writer.wait_closed(), 1000)
    except Exception:  # gone already: closed is closed
        pass
