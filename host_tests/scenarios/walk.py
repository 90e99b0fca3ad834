"""A walk of shell commands (made on the host, seeded) replayed on this interpreter, for the invariant test."""
import app
import config
import machine
from iot.compat import sleep_ms
from iot.commands import Commands


async def replay(raw, lines):
    machine.TRACE = []  # its length at each step says which pin changes came before the status was read
    settings = config.check(raw)
    service, devices = app.build(settings)
    events = []
    service.log = events.append
    await service.register_devices(devices)
    shell = Commands(service, app.PROGRAMS, None, events.append)
    steps = []
    for line in lines:
        if type(line) is int:
            await sleep_ms(line)
            reply = None
        else:
            reply = await shell.execute(line, console=True)
        steps.append([len(machine.TRACE), line, reply, service.status()])
    await shell.execute("stop")
    service.deinit()
    for device in devices.values():
        device.deinit()
    return {"settings": settings, "steps": steps, "events": events}
