"""The web page's routes (microdot) and the watchers that feed its open pages, loaded by iot.net.web while a
connection is open and let go when the page has been idle a while: microdot and these are most of the web
server's heap, which a board whose page nobody opens keeps free. The routes, and the rules every request
meets (iot.net.http reads it within bounds; _check judges who sent it), are listed in iot/net/web.py.
"""
import asyncio
import os

from microdot import Microdot, Request, Response
from microdot.microdot import NoCaseDict
from microdot.sse import sse_response

from iot import IOTError, installed, jsontext
from iot.commands.parse import device_message
from iot.compat import sleep_ms, wait_for_ms
from iot.devices.kinds import KINDS, entity
from iot.message import MessageType
from iot.net import http

MAX_BODY = 2048  # a define's JSON is at most a console line (1024), with room for its escapes
MAX_BUNDLE = 1 << 20  # POST /api/update only: streamed to the flash, never held in the heap
MAX_CONFIG = 16384  # PUT /api/config (config.json is at most 8192) and POST /api/restore: taken whole; a bigger
# backup (many saved programs) is restored from the flash over USB (`config restore FILE`)
CONFIG_ROUTES = ("/api/config", "/api/restore")
CLIENT_QUEUE = 32  # what one page may fall behind by before its oldest updates are dropped
PING_MS = 15000  # an open page with nothing new is sent a comment this often: a page gone is found out
MAX_PAGES = 2  # open events streams, each holding one of iot.net.web's MAX_CONNECTIONS
NOT_FOUND = ("unknown device", "no program", "is not running")
READS = ("GET", "HEAD", "OPTIONS")  # the methods that change nothing


def _page():
    """www/index.html beside the iot package: the board's root, or firmware/ on a host."""
    here = __file__
    at = here.rfind("iot/net/site.")
    return here[:at] + "www/index.html" if at >= 0 else "www/index.html"


class FlashFile:
    """Bytes frozen in the image, read as a file: each read is a slice of the flash, never a copy in the heap."""

    def __init__(self, data):
        self.view = memoryview(data)
        self.at = 0

    def read(self, n):
        chunk = self.view[self.at:self.at + n]
        self.at += len(chunk)
        return chunk


def _reply(text, ok_status=200):
    """A command's reply as JSON, with the status it deserves: 200, 404 or 400."""
    if text.startswith("ok"):
        return {"reply": text}, ok_status
    for words in NOT_FOUND:
        if words in text:
            return {"reply": text}, 404
    return {"reply": text}, 400


def _refusal(status, text, header=None, value=None):
    """A refusal as a route (or the check before the routes) returns it: {"reply": "error: ..."}, its status."""
    return {"reply": "error: " + text}, status, {header: value} if header else {}


def _body(request):
    """The request's JSON body; IOTError if it is none."""
    return jsontext.loads(jsontext.decode(request.body or b"", "the body"), MAX_BODY, "the body")


class _Client:
    """One open page: what it has not been sent yet (the site's watchers put each update here)."""

    def __init__(self):
        self.queue = []  # ("state", device), ("run", (program, planned ms)), ("event", line), ("auto", None),
        # or ("update", (step, done, total, version))
        self.ready = asyncio.Event()

    def put(self, item):
        if item in self.queue:
            return  # a state already waiting is sent as it is then
        if len(self.queue) >= CLIENT_QUEUE:
            self.queue.pop(0)
        self.queue.append(item)
        self.ready.set()


def _drop(watchers, watcher):
    if watcher in watchers:
        watchers.remove(watcher)


def _address(name):
    """Whether a Host's name is an IP address (v4, or v6 in brackets): no name a DNS server could rebind."""
    if name.startswith("["):
        return name.endswith("]")
    parts = name.split(".")
    return len(parts) == 4 and not [p for p in parts if not p or len(p) > 3 or [c for c in p if not "0" <= c <= "9"]]


def _names(web):
    """The names this board answers to beside its addresses: localhost, its network name (mDNS: name.local), and
    config.json's web.hosts."""
    names = ["localhost"] + [h.lower() for h in web.hosts]
    try:
        import network

        name = network.hostname().lower()
        names += [name, name + ".local"]
    except (ImportError, AttributeError, OSError):
        pass
    return names


class Site:
    """The microdot app over `web` (iot.net.web.Web: the service, the commands once served, the open pages), and
    while it is loaded the watchers that put every change and event line in each open page's queue."""

    def __init__(self, web):
        self.web = web
        self.serving = False  # its watchers on the commands added (serve())
        self.names = _names(web)
        web.service.watchers.append(self._device_changed)
        if web.events is not None:
            web.events.sinks.append(self._event_line)
        if web.commands.serving.is_set():
            self.serve()
        Request.max_content_length = MAX_BUNDLE  # iot.net.http holds every other body to MAX_BODY
        self.app = app = Microdot()
        app.before_request(self._check)
        if web.safe:
            app.get("/")(self._safe_index)
        else:
            app.get("/")(self._index)
            app.get("/api/info")(self._info)
            app.post("/api/devices/<name>")(self._device)
            app.get("/api/programs")(self._programs)
            app.put("/api/programs/<name>")(self._define)
            app.post("/api/programs/<name>/run")(self._run)
            app.post("/api/stop")(self._stop)
            app.post("/api/save")(self._save)
            app.post("/api/console")(self._console)
            app.post("/api/sensors/<name>/measure")(self._measure)
            app.get("/api/events")(self._events)
            app.get("/api/config")(self._config)
            app.put("/api/config")(self._configure)
            app.get("/api/backup")(self._backup)
            app.post("/api/restore")(self._restore)
        app.get("/api/status")(self._status)
        app.post("/api/update")(self._update)
        app.errorhandler(404)(lambda request: ({"reply": "error: no such page"}, 404))
        app.errorhandler(405)(lambda request: ({"reply": "error: not with that method"}, 405))
        app.errorhandler(413)(lambda request: ({"reply": "error: the body is over %d bytes" % MAX_BODY}, 413))

    def serve(self):
        """The commands' watchers too, now that they serve."""
        commands = self.web.commands
        self.serving = True
        commands.runs.watchers.append(self._run_begun)
        commands.update_watchers.append(self._progress)
        if commands.auto is not None:
            commands.auto.watchers.append(self._auto_event)
            self._auto_event("", "changed")  # to the pages opened while the board booted
        if commands.sensors is not None:
            commands.sensors.watchers.append(self._reading_changed)

    def deinit(self):
        """Every watcher removed (the site is let go): a bound method equals another of the same method and object
        (MicroPython 1.22 on), so each is found."""
        web = self.web
        _drop(web.service.watchers, self._device_changed)
        if web.events is not None:
            _drop(web.events.sinks, self._event_line)
        commands = web.commands
        if self.serving:
            _drop(commands.runs.watchers, self._run_begun)
            _drop(commands.update_watchers, self._progress)
            if commands.auto is not None:
                _drop(commands.auto.watchers, self._auto_event)
            if commands.sensors is not None:
                _drop(commands.sensors.watchers, self._reading_changed)

    def _put(self, item):
        """An update for every open page."""
        for c in self.web.clients:
            c.put(item)

    def _event_line(self, line):
        self._put(("event", line))

    def _device_changed(self, name):
        self._put(("state", name))

    def _reading_changed(self, reading):
        self._put(("reading", reading.name))

    def _run_begun(self, name, planned_ms):
        self._put(("run", (name, planned_ms)))

    def _auto_event(self, source, event):
        self._put(("auto", None))

    def _progress(self, step, done, total, version):
        self._put(("update", (step, done, total, version)))

    async def handle(self, reader, writer):
        """One connection's request, read within iot.net.http's bounds and answered: a request that breaks one gets
        its one 4xx; a client that goes away, nothing. Nothing of it reaches the console."""
        writer = http.Writer(writer)
        try:
            try:
                request = await self._read(reader, writer)
                response = await self.app.dispatch_request(request)
            except http.Refused as e:
                self.web.refused += 1
                await writer.awrite(http.reply(e.status, e.text, "Retry-After: 1\r\n" if e.status == 503 else ""))
                await http.linger(reader)
                return
            if response is not Response.already_handled:
                await response.write(writer)
        except (http.Gone, OSError):  # the client went, or stopped taking its reply: nobody to answer
            pass
        finally:
            await writer.aclose()

    async def _read(self, reader, writer):
        """The request, as microdot takes it: its head and body within bounds (iot.net.http), a bundle's body as a
        stream. Refused (a 4xx) when it breaks one."""
        deadline = http.deadline()
        head = await http.read_head(reader, deadline)
        body, stream = b"", None
        if head.method == "POST" and head.target == "/api/update":
            if head.length > MAX_BUNDLE:
                raise http.Refused(413, "a bundle is at most %d bytes" % MAX_BUNDLE)
            stream = http.Body(reader, head)
        else:
            body = await http.read_body(reader, head, MAX_CONFIG if head.target in CONFIG_ROUTES else MAX_BODY,
                                        deadline)
        try:
            # no client address: no route needs it; the body's stream is http.Body, read as microdot reads its own
            return Request(self.app, None, head.method, head.target, head.version,  # type: ignore[arg-type]
                           NoCaseDict(head.headers), body=body, stream=stream,  # type: ignore[arg-type]
                           sock=(reader, writer))
        except Exception:  # a query string microdot cannot read (a bad %-escape, not UTF-8)
            raise http.Refused(400, "the request's query is not readable")

    async def _check(self, request):
        """Who may ask: this board named as the Host; what changes something, only from the board's own page or no
        browser, as JSON; the password, when there is one. Then: the API once the shell takes commands. A refusal
        for who sent it (not a missing password, not a board still starting) is counted in `refused`."""
        refusal = self._judge(request)
        if refusal is not None and refusal[1] not in (401, 503):
            self.web.refused += 1
        return refusal

    def _judge(self, request):
        web = self.web
        headers = request.headers
        host = headers.get("Host")
        name = None if host is None else (host if host.endswith("]") else host.rsplit(":", 1)[0]).lower()
        if name is not None and not _address(name) and name.rstrip(".") not in self.names:
            return _refusal(421, "this board does not answer to the name %r (an address, its own name, or "
                                 "config.json's web.hosts)" % name)
        changes = request.method not in READS
        if changes:
            site = headers.get("Sec-Fetch-Site")
            origin = headers.get("Origin")
            if (site is not None and site not in ("same-origin", "none")) or \
                    (origin is not None and (host is None or origin not in ("http://" + host, "https://" + host))):
                return _refusal(403, "a request from another site changes nothing here")
            kind = (request.content_type or "").split(";")[0].strip().lower()
            wanted = "application/octet-stream" if request.path == "/api/update" else "application/json"
            if kind != wanted:
                return _refusal(415, "send it as %s (Content-Type)" % wanted)
        if web.auth is not None:
            from iot.secret import same

            if not same(headers.get("Authorization") or "", web.auth):
                return _refusal(401, "this board asks for its user name and password", "WWW-Authenticate",
                                'Basic realm="iot"')
        elif changes and not web.open:
            return _refusal(403, "this board has no web password yet, so its page changes nothing: put one in "
                                 "secrets.json (web.password), or set web.auth false in config.json")
        if not web.commands.serving.is_set() and request.path.startswith("/api/"):
            return _refusal(503, "starting; try again in a moment", "Retry-After", "1")

    async def _index(self, request):
        """The page, gzipped as make deploy leaves it on a board (a third of the bytes), else as it is; else the
        one frozen into the image by make firmware, sent from the flash."""
        page = _page()
        for path, gzipped in ((page + ".gz", True), (page, False)):
            try:
                os.stat(path)
            except OSError:
                continue
            return Response.send_file(path, content_type="text/html; charset=UTF-8", max_age=0, compressed=gzipped)
        try:
            from webpage import INDEX_HTML_GZ  # type: ignore[import-not-found]  # written by tools/firmware.py
        except ImportError:
            return {"reply": "error: the page is not on this board (make deploy puts it there)"}, 404
        # microdot streams a body with read() as it streams send_file's file (its stub says bytes only)
        return Response(FlashFile(INDEX_HTML_GZ), headers={  # type: ignore[arg-type]
            "Content-Type": "text/html; charset=UTF-8", "Content-Encoding": "gzip", "Cache-Control": "max-age=0",
            "Content-Length": str(len(INDEX_HTML_GZ))})

    async def _safe_index(self, request):
        return "safe mode: every output off; this board takes an update (make ota, POST /api/update) and shows " \
               "its status (/api/status); see docs/updates.md\n", 200, {"Content-Type": "text/plain; charset=UTF-8"}

    async def _info(self, request):
        devices = {}
        for name, d in self.web.service.devices.items():
            devices[name] = {"kind": d.kind, "accepts": [MessageType.name(t) for t in d.ACCEPTS],
                             "card": entity(d.kind).card(d) if d.kind in KINDS else []}
        sensors = self.web.commands.sensors
        readings = {}
        if sensors is not None:
            for name, r in sensors.readings.items():
                readings[name] = {"unit": r.unit, "decimals": r.decimals, "sensor": r.sensor}
        return {"board": self.web.board, "version": installed()[1], "devices": devices, "readings": readings}

    async def _status(self, request):
        return self.web.commands.status()

    async def _device(self, request, name):
        try:
            body = _body(request)
        except IOTError as e:
            return _reply("error: %s: %s" % (name, e))
        try:
            msg, data = device_message(name, body)
        except IOTError as e:
            return _reply("error: %s" % e)
        return _reply(await self.web.commands.send(name, msg, data))

    async def _programs(self, request):
        return await self.web.commands.describe()

    async def _define(self, request, name):
        mode = request.args.get("mode")
        try:
            text = jsontext.decode(request.body or b"", "the body")
        except IOTError as e:
            return _reply("error: %s" % e)
        if mode is not None and (" " in mode or not mode):
            return _reply("error: %r is no mode" % mode)
        return _reply(await self.web.commands.execute("define %s %s%s" % (name, mode + " " if mode else "", text)), 201)

    async def _run(self, request, name):
        return _reply(await self.web.commands.execute("run " + name))

    async def _stop(self, request):
        return _reply(await self.web.commands.execute("stop"))

    async def _save(self, request):
        return _reply(await self.web.commands.execute("save"))

    async def _console(self, request):
        try:
            body = _body(request)
            if type(body) is not dict or type(body.get("line")) is not str:
                raise IOTError('the console takes {"line": "a command"}')
        except IOTError as e:
            return _reply("error: %s" % e)
        return _reply(await self.web.commands.execute(body["line"]))

    async def _measure(self, request, name):
        """A fresh reading, answered when it is measured: the request waits on its own connection, the others go on."""
        return _reply(await self.web.commands.execute("measure " + name))

    async def _config(self, request):
        """config.json without its passwords; which passwords secrets.json holds (never their text); the trial."""
        from iot.commands import settings

        return settings.shown()

    async def _configure(self, request):
        """A whole config.json, checked as the boot checks it, staged and restarted on, on trial."""
        try:
            text = jsontext.decode(request.body or b"", "the body")
        except IOTError as e:
            return _reply("error: %s" % e)
        return _reply(await self.web.commands.configure(text))

    async def _backup(self, request):
        from iot.commands import settings

        return settings.backup(), 200, {"Content-Disposition": 'attachment; filename="%s-backup.json"' % (
            self.web.board)}

    async def _restore(self, request):
        """A backup (GET /api/backup's), restored through the same trial as a new config."""
        commands = self.web.commands
        return _reply(await commands.reply(commands.restore(request.body or b"")))

    async def _update(self, request):
        """The bundle in the body, read no further than its Content-Length (the connection may stay open)."""
        left = [request.content_length]
        stream = request.stream

        async def read(n):
            n = min(n, left[0])
            if n <= 0:
                return b""
            data = await stream.read(n)
            left[0] -= len(data)
            return data

        commands = self.web.commands
        return _reply(await commands.reply(commands.update("", read)))

    async def _events(self, request):
        """The events stream of one page; at most MAX_PAGES at once (each holds a connection)."""
        if len(self.web.clients) >= MAX_PAGES:
            return _refusal(503, "%d pages are open, the most there can be; close one" % MAX_PAGES, "Retry-After", "10")
        return sse_response(request, self._stream)

    async def _stream(self, request, sse):
        """This page's updates: every device's state at once, then each change and event as it comes, and a comment
        when nothing came for PING_MS (a page gone is found out: its reply is not taken)."""
        web = self.web
        client = _Client()
        web.clients.append(client)
        try:
            for name in web.service.devices:
                client.put(("state", name))
            if web.commands.auto is not None:
                client.put(("auto", None))
            if web.commands.sensors is not None:
                for name in web.commands.sensors.readings:
                    client.put(("reading", name))
            while True:
                while not client.queue:
                    client.ready.clear()
                    try:
                        await wait_for_ms(client.ready.wait(), PING_MS)
                    except asyncio.TimeoutError:
                        await sse.send("ping", comment=True)
                kind, what = client.queue.pop(0)
                if kind == "state":
                    device = web.service.devices.get(what)
                    if device is not None:
                        await sse.send(_card_state(what, device), event="state")
                elif kind == "run":
                    await sse.send({"name": what[0], "planned_ms": what[1]}, event="run")
                elif kind == "update":
                    await sse.send({"step": what[0], "done": what[1], "total": what[2], "version": what[3]},
                                   event="update")
                elif kind == "reading":
                    r = web.commands.sensors.readings[what]
                    await sse.send(dict(r.report(), reading=what), event="reading")
                elif kind == "auto":
                    auto = self.web.commands.auto
                    if auto is not None:
                        await sse.send(auto.status(), event="auto")
                else:
                    await sse.send({"line": what}, event="event")
                while len(sse.queue) > 4:  # a slow page: its updates wait here, in its own bounded queue
                    await sleep_ms(20)
        finally:
            web.clients.remove(client)


def _card_state(name, device):
    """A device's state for the page: its status, and its kind's few words for it and whether it is on."""
    status = device.status()
    text, on = entity(device.kind).card_state(status) if device.kind in KINDS else ("", False)
    return {"device": name, "state": status, "text": text, "on": on}
