"""`update fetch URL`: a bundle pulled over plain HTTP/1.0 from a host (make bundle's file served by any web
server), streamed into iot.update as it arrives. Loaded only when an update is fetched: the bundle's checks and
its writing are iot.update's, which the web page's POST and `update apply` use without this. The command layer
runs it beside the shell and MQTT, never in front of them (iot.commands).

A server that is slow or hostile holds nothing for long: the connection must open within CONNECT_MS, the status
line and the headers (at most MAX_HEAD bytes together, read in pieces of CHUNK) arrive within ANSWER_MS of the
request, and each piece of the body within IDLE_MS of the one before; past any of them the fetch is over, said.
"""
import asyncio

from iot import IOTError
from iot.compat import const, ticks_add, ticks_diff, ticks_ms, wait_for_ms
from iot.message import digits
from iot.update import apply

CONNECT_MS = const(10000)
ANSWER_MS = const(10000)
IDLE_MS = const(10000)
MAX_HEAD = const(2048)
CHUNK = const(512)


async def _piece(reader, ms, what):
    """Up to CHUNK bytes within ms; IOTError past that."""
    try:
        return await wait_for_ms(reader.read(CHUNK), ms)
    except asyncio.TimeoutError:  # first: CPython's is an OSError
        raise IOTError("update fetch: %s" % what)
    except OSError as e:
        raise IOTError("update fetch: the connection failed: %s" % e)


def target(url):
    """(host, port, path) of an http://host[:port]/path URL; IOTError if it is none (said before a fetch begins)."""
    if not url.startswith("http://"):
        raise IOTError("update fetch takes an http:// URL")
    place, _, path = url[7:].partition("/")
    host, _, port = place.partition(":")
    if not host or (port and (not digits(port) or not 0 < int(port) < 65536)) or \
            [c for c in url if ord(c) <= 32 or ord(c) > 126]:
        raise IOTError("update fetch: %r is no http://host[:port]/path" % url)
    return host, int(port) if port else 80, path


async def fetch(url, key, family, progress=None):
    """A bundle pulled from `url` (plain HTTP: http://host[:port]/path), applied as iot.update.apply() does;
    -> its reply. MQTT's `update fetch <url>` on the command topic comes here, as the shell's does."""
    host, port, path = target(url)
    place = url[7:].partition("/")[0]
    try:
        reader, writer = await wait_for_ms(asyncio.open_connection(host, port), CONNECT_MS)
    except asyncio.TimeoutError:
        raise IOTError("update fetch: %s took over %d s to connect" % (place, CONNECT_MS // 1000))
    except OSError as e:
        raise IOTError("update fetch: cannot reach %s: %s" % (place, e))
    try:
        writer.write(("GET /%s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path, host)).encode())
        deadline = ticks_add(ticks_ms(), ANSWER_MS)
        late = "%s sent no whole answer within %d s" % (url, ANSWER_MS // 1000)
        await wait_for_ms(writer.drain(), ANSWER_MS)
        head = b""
        while True:  # the status line and the headers, whole: their end is the first empty line
            end = head.find(b"\r\n\r\n")
            end = end + 4 if end >= 0 else head.find(b"\n\n") + 2 if head.find(b"\n\n") >= 0 else -1
            if end >= 0:
                break
            if len(head) >= MAX_HEAD:
                raise IOTError("update fetch: %s sent a status line and headers of over %d bytes" % (url, MAX_HEAD))
            more = await _piece(reader, ticks_diff(deadline, ticks_ms()), late)
            if not more:
                raise IOTError("update fetch: %s closed before its headers ended" % url)
            head += more
        status = head.split(b"\n", 1)[0].strip()
        if status.split(b" ")[1:2] != [b"200"]:
            shown = "".join([chr(b) if 32 <= b < 127 else "?" for b in status[:80]])
            raise IOTError("update fetch: %s answered %s" % (url, shown or "nothing"))
        rest = [head[end:]]
        del head

        async def read(n):
            if rest[0]:
                out, rest[0] = rest[0][:n], rest[0][n:]
                return out
            return await _piece(reader, IDLE_MS, "%s sent nothing of the bundle for %d s" % (url, IDLE_MS // 1000))

        return await apply(read, key, family, progress)
    except asyncio.TimeoutError:
        raise IOTError("update fetch: " + late)
    finally:
        try:
            writer.close()
            await wait_for_ms(writer.wait_closed(), 1000)
        except Exception:  # closed is closed
            pass
