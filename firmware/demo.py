"""The seed's demo, run once at boot unless config.json says "demo": false: the devices register
concurrently, then the wake_up and sleep programs run, each reported against its critical path.

app.run loads it for the demo and lets it go after, as everything that runs once (docs/architecture.md).
"""
import asyncio

from iot import IOTError
from iot import program as prog
from iot.compat import sleep_ms, ticks_diff, ticks_ms
from iot.service import device_named


async def run(service, devices, programs, sequential=False, log=print):
    """Register the devices, wake up, go to sleep (`programs`: {name: program}: app's, or a test's); their Runs.

    Composed, devices register at once and each program runs its steps in parallel
    where order allows; `sequential` does everything one after another, as the
    seed's synchronous version did, for comparison.
    """
    start = ticks_ms()
    connect = [d.connect_ms for d in devices.values()]
    if sequential:
        planned = sum(connect)
        for name in devices:
            await service.register_device(devices[name], name)
    else:
        planned = max(connect)
        registering = asyncio.create_task(service.register_devices(devices))
        # The programs are checked and planned while the devices connect, so that costs no time: one turn
        # of the loop for the registration to start the connects, one for them to begin their wait.
        await sleep_ms(0)
        await sleep_ms(0)
        compiled = {}
        for name in ("wake_up", "sleep"):
            try:
                compiled[name] = prog.compile_program(programs[name], lambda n: device_named(devices, n))
            except IOTError:
                pass  # checked again below, against the devices that connected, and reported
        await registering
    log("event: registered %s in %d ms" % (", ".join(sorted(service.devices)), ticks_diff(ticks_ms(), start)))
    reports = []
    for name in ("wake_up", "sleep"):
        program = in_series(programs[name]) if sequential else programs[name]
        if not sequential and name in compiled and all(d in service.devices for d in compiled[name].devices):
            program = compiled[name]
        try:
            report = await service.run_program(program, name)
        except IOTError as e:  # a device it needs did not connect: the board boots without it
            log("event: %s not run: %s" % (name, e))
            continue
        planned += report.planned_ms
        reports.append(report)
    log("event: demo done in %d ms (planned %d ms)" % (ticks_diff(ticks_ms(), start), planned))
    return reports


def in_series(step):
    """The same steps one after another in program order: the seed's synchronous version."""
    key = next(iter(step))
    if key != "seq" and key != "par":
        return prog.sequence(step)
    steps = []
    for s in step[key]:
        steps.extend(in_series(s)["seq"])
    return {"seq": steps}
