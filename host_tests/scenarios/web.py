"""The web server's two parts: the routes and microdot (iot.net.site) loaded by a connection, let go when idle."""
import asyncio
import sys

import app
from iot.net import web as web_module


async def _get(port, path):
    """The status line of one plain HTTP request."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(("GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" % path).encode())
    await writer.drain()
    line = await reader.readline()
    while await reader.read(256):
        pass
    writer.close()
    return line.decode().strip()


def _loaded(web):
    return {"site": web.site is not None, "modules": sorted(m for m in web_module.SITE if m in sys.modules),
            "watchers": len(web.service.watchers) + len(web.events.sinks)}


async def site_comes_and_goes(port, idle_ms):
    """The idle site's modules are let go, and loaded again by the next connection."""
    web_module.IDLE_MS = idle_ms
    service, devices = app.build(app.load_settings(given={"op_ms": 0}), log=lambda line: None)
    from iot.commands import Events

    web = web_module.Web(service, app.make_commands(service), "pico", port, events=Events()).start()
    seen = {"before": _loaded(web)}
    for _ in range(100):  # the server is listening
        try:
            seen["first"] = await _get(port, "/api/status")
            break
        except OSError:
            await asyncio.sleep(0.02)
    seen["after a request"] = _loaded(web)
    for _ in range(500):
        if web.site is None:
            break
        await asyncio.sleep(0.01)
    seen["idle"] = _loaded(web)
    seen["again"] = await _get(port, "/nothing")
    seen["after another"] = _loaded(web)
    web.deinit()
    return seen


async def port_taken(port):
    """A second server on a port the first serves: said once, on the boot's event lines."""
    from iot.commands import Events

    said = []
    service, devices = app.build(app.load_settings(given={"op_ms": 0}), log=said.append)
    commands = app.make_commands(service)
    first = web_module.Web(service, commands, "pico", port, events=Events(said.append)).start()
    await asyncio.sleep(0.1)
    second = web_module.Web(service, commands, "pico", port, events=Events(said.append)).start()
    await asyncio.sleep(0.1)
    first.deinit()
    second.deinit()
    return said
