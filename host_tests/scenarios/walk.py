"""A walk of shell commands (made on the host, seeded) replayed on this interpreter, for the invariant test."""
import config
import app
from iot.compat import sleep_ms
from iot.shell import Shell
from scenarios.common import now_ms


async def replay(raw, lines):
    settings = config.check(raw)
    service, devices = app.build(settings)
    events = []
    service.log = events.append
    await service.register_devices(devices)
    shell = Shell(service, app.PROGRAMS, None, events.append)
    steps = []
    for line in lines:
        if type(line) is int:
            await sleep_ms(line)
            reply = None
        else:
            reply = await shell.execute(line)
        steps.append([now_ms(), line, reply, service.status()])
    await shell.execute("stop")
    service.deinit()
    for device in devices.values():
        device.deinit()
    return {"settings": settings, "steps": steps, "events": events}
