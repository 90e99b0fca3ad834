"""HTTP/1.x requests read within bounds, for the web page (iot.net.site loads this with microdot).

Nothing a client sends can hold the loop or fill the heap. The request line and the headers are read in
pieces of at most CHUNK bytes, each piece a turn of the loop, and must fit in MAX_LINE and MAX_HEAD; a
body must say its length (Content-Length, once: no chunked bodies) and fit in its route's cap. The request
line, the headers and a body taken whole must arrive within REQUEST_MS of the connection; each piece of
a streamed body (a bundle) within IDLE_MS of the one before; and the client must take each piece of a
reply within WRITE_MS. A request that breaks a rule is refused with one 4xx, before any route sees it
(Refused: its status and its one line), and what the client still sends is read and let go for LINGER_MS
so that it can read that reply; a client that goes away, or resets the connection, gets nothing.
"""
import asyncio

from iot import IOTError
from iot.compat import const, ticks_add, ticks_diff, ticks_ms, wait_for_ms
from iot.message import digits

MAX_LINE = const(512)  # the request line
MAX_HEAD = const(2048)  # the request line and the headers together
MAX_HEADERS = const(32)
CHUNK = const(256)  # the most read at once
REQUEST_MS = const(10000)  # the request line, the headers and a body taken whole, from the connection on
IDLE_MS = const(10000)  # a streamed body (a bundle): the longest wait for its next piece
WRITE_MS = const(10000)  # a reply: the longest wait for the client to take a piece of it
LINGER_MS = const(500)  # after a refusal, what the client still sends is read and let go this long, then closed
TOKEN = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           408: "Request Timeout", 411: "Length Required", 413: "Content Too Large", 414: "URI Too Long",
           415: "Unsupported Media Type", 421: "Misdirected Request", 431: "Request Header Fields Too Large",
           503: "Service Unavailable"}


class Refused(Exception):
    """A request refused before any route saw it: its status and the one line that says why."""

    def __init__(self, status, text):
        super().__init__(text)
        self.status = status
        self.text = text


class Gone(Exception):
    """The client went away (closed, reset, or stopped taking a reply): nobody is left to answer."""


def reply(status, text, headers=""):
    """A whole reply of `status` with {"reply": "error: <text>"}, as bytes: what a refusal sends."""
    import json

    body = json.dumps({"reply": "error: " + text})
    return ("HTTP/1.0 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n%s\r\n%s"
            % (status, REASONS.get(status, "Error"), len(body), headers, body)).encode()


async def _piece(reader, n, ms, why):
    """Up to n bytes, within ms; Refused(408, why) past that; Gone at the end of the stream, or on a reset."""
    if ms <= 0:
        raise Refused(408, why)
    try:
        data = await wait_for_ms(reader.read(n), ms)
    except asyncio.TimeoutError:  # first: CPython's is an OSError
        raise Refused(408, why)
    except OSError:  # reset by the client
        raise Gone()
    if not data:
        raise Gone()
    return data


def _text(line, what):
    """A line of the head as text: printable ASCII (and tabs) only; Refused(400) otherwise."""
    for b in line:
        if (b < 32 and b != 9) or b > 126:
            raise Refused(400, "%s is not ASCII text" % what)
    return line.decode()


class Head:
    """What a request's head says: method, target, version, headers (names in lower case), the body's length, and
    the bytes read past the head (the body's first)."""

    def __init__(self):
        self.method = self.target = self.version = None
        self.headers = {}
        self.length = 0
        self.rest = b""


async def read_head(reader, deadline):
    """The request line and the headers, read in CHUNK pieces by `deadline` (ticks_ms); -> Head. Refused for any
    line or head over its bound, anything that is no HTTP/1.0 or 1.1, a chunked body, a bad Content-Length."""
    head = Head()
    why = "the request did not arrive within %d s" % (REQUEST_MS // 1000)
    buf = b""
    used = 0  # bytes of the head taken so far
    while True:
        end = buf.find(b"\n")
        if end < 0:
            if head.method is None and len(buf) >= MAX_LINE:
                raise Refused(414, "the request line is over %d bytes" % MAX_LINE)
            if used + len(buf) >= MAX_HEAD:
                raise Refused(431, "the request's head is over %d bytes" % MAX_HEAD)
            buf += await _piece(reader, CHUNK, ticks_diff(deadline, ticks_ms()), why)
            if head.method is None:  # no HTTP (TLS on the plain port, binary): refused at its first byte
                _text(buf.split(b"\n", 1)[0].rstrip(b"\r"), "the request line")
            continue
        line = buf[:end - 1] if end and buf[end - 1] == 13 else buf[:end]  # without its CR LF (or LF)
        used += end + 1
        buf = buf[end + 1:]
        if head.method is None:
            if end + 1 > MAX_LINE:
                raise Refused(414, "the request line is over %d bytes" % MAX_LINE)
            _request_line(head, _text(line, "the request line"))
        elif not line:
            head.rest = buf
            return head
        else:
            if used > MAX_HEAD:
                raise Refused(431, "the request's head is over %d bytes" % MAX_HEAD)
            _header(head, _text(line, "a header"))


def _request_line(head, text):
    parts = text.split(" ")
    if len(parts) != 3 or parts[2] not in ("HTTP/1.0", "HTTP/1.1") or not parts[1].startswith("/") \
            or not 0 < len(parts[0]) <= 7 or [c for c in parts[0] if not "A" <= c <= "Z"]:
        raise Refused(400, "this board takes HTTP/1.0 and 1.1 requests: METHOD /path HTTP/1.1")
    head.method, head.target, head.version = parts[0], parts[1], parts[2][5:]


def _header(head, text):
    name, colon, value = text.partition(":")
    if not colon or not name or [c for c in name if c not in TOKEN]:
        raise Refused(400, "a header is not name: value")
    name = name.lower()
    value = value.strip(" \t")
    headers = head.headers
    if len(headers) >= MAX_HEADERS:
        raise Refused(431, "a request has at most %d headers" % MAX_HEADERS)
    if name == "transfer-encoding":
        raise Refused(411, "a body is sent whole, with its Content-Length (no chunked bodies)")
    if name in headers and name in ("content-length", "host", "authorization", "origin", "content-type"):
        raise Refused(400, "the %s header is given twice" % name)
    if name == "content-length":
        if not digits(value) or len(value) > 9:
            raise Refused(400, "Content-Length is not a number of bytes")
        head.length = int(value)
    headers[name] = value


async def read_body(reader, head, cap, deadline):
    """A body of at most `cap` bytes, whole, by `deadline`; Refused(413) over the cap."""
    n = head.length
    if n > cap:
        raise Refused(413, "the body is over %d bytes" % cap)
    body = head.rest[:n]
    head.rest = b""
    why = "the request did not arrive within %d s" % (REQUEST_MS // 1000)
    while len(body) < n:
        body += await _piece(reader, min(CHUNK, n - len(body)), ticks_diff(deadline, ticks_ms()), why)
    return body


class Body:
    """A body streamed as it comes (a bundle into iot.update): read(n) gives at most n bytes, no further than its
    Content-Length (b"" after it), each within IDLE_MS (IOTError past that: the update says so)."""

    def __init__(self, reader, head):
        self.reader = reader
        self.left = head.length
        self.rest = head.rest[:head.length]
        head.rest = b""

    async def read(self, n):
        if self.rest:
            out, self.rest = self.rest[:n], self.rest[n:]
            self.left -= len(out)
            return out
        n = min(n, self.left)
        if n <= 0:
            return b""
        try:
            data = await _piece(self.reader, n, IDLE_MS, "")
        except Refused:
            raise IOTError("update: the bundle stopped coming: nothing for %d s" % (IDLE_MS // 1000))
        except Gone:
            return b""  # cut short: the bundle's own checks say where it ended
        self.left -= len(data)
        return data


class Writer:
    """A connection's writer with MicroPython's awrite() and aclose(), which microdot calls, on both interpreters;
    each piece must be taken within WRITE_MS, else the connection counts as lost (microdot then closes the reply
    and its events stream)."""

    def __init__(self, writer):
        self.writer = writer

    async def awrite(self, data):
        self.writer.write(data)
        try:
            await wait_for_ms(self.writer.drain(), WRITE_MS)
        except asyncio.TimeoutError:  # a client that stopped reading (first: CPython's is an OSError)
            raise OSError("Connection lost")  # as microdot names a client gone: it ends the reply and its stream

    async def aclose(self):
        try:
            self.writer.close()
            await wait_for_ms(self.writer.wait_closed(), WRITE_MS)
        except Exception:  # gone already: closed is closed
            pass


async def linger(reader):
    """What the client still sends after its refusal, read and let go (a CHUNK a turn) until it stops or LINGER_MS
    have gone by: closing on bytes not read resets the connection, and the client could lose the reply unread."""
    end = ticks_add(ticks_ms(), LINGER_MS)
    try:
        while True:
            left = ticks_diff(end, ticks_ms())
            if left <= 0 or not await wait_for_ms(reader.read(CHUNK), left):
                return
    except Exception:  # timed out, or gone: closed either way
        return


def deadline(ms=REQUEST_MS):
    """ticks_ms `ms` from now."""
    return ticks_add(ticks_ms(), ms)
