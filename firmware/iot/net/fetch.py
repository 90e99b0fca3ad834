"""`update fetch URL`: a bundle pulled over plain HTTP/1.0 from a host (make bundle's file served by any web
server), streamed into iot.update as it arrives. Loaded only when an update is fetched: the bundle's checks and
its writing are iot.update's, which the web page's POST and `update apply` use without this."""
import asyncio

from iot import IOTError
from iot.message import digits
from iot.update import apply


async def fetch(url, key, family, progress=None):
    """A bundle pulled from `url` (plain HTTP: http://host[:port]/path), applied as iot.update.apply() does;
    -> its reply. MQTT's `update fetch <url>` on the command topic comes here, as the shell's does."""
    if not url.startswith("http://"):
        raise IOTError("update fetch takes an http:// URL")
    place, _, path = url[7:].partition("/")
    host, _, port = place.partition(":")
    if not host or (port and not digits(port)):
        raise IOTError("update fetch: %r is no http://host[:port]/path" % url)
    try:
        reader, writer = await asyncio.open_connection(host, int(port) if port else 80)
    except OSError as e:
        raise IOTError("update fetch: cannot reach %s: %s" % (place, e))
    try:
        writer.write(("GET /%s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path, host)).encode())
        await writer.drain()
        status = await reader.readline()
        if status.split(b" ")[1:2] != [b"200"]:
            raise IOTError("update fetch: %s answered %s" % (url, status.decode().strip() or "nothing"))
        for _ in range(64):  # the headers: nothing in them is needed
            if (await reader.readline()).strip() == b"":
                break
        return await apply(reader.read, key, family, progress)
    finally:
        writer.close()
        await writer.wait_closed()
