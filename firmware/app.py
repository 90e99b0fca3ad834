"""The controller: the seed's devices on the board's pins, its two programs, and the demo."""
import asyncio

import board
from iot.blinker import Blinker
from iot.devices import Light, Speaker, Toilet
from iot.outputs import output_pin
from iot.compat import ticks_diff, ticks_ms
from iot.program import in_series, parallel, send, sequence
from iot.service import IOTService

def wake_up(song="Miles Davis - Kind of Blue"):
    """Light on while the speaker powers up and then plays the song."""
    return parallel(
        send("light", "SWITCH_ON"),
        sequence(send("speaker", "SWITCH_ON"), send("speaker", "PLAY_SONG", song)),
    )


PROGRAMS = {
    "wake_up": wake_up(),
    "sleep": parallel(
        send("light", "SWITCH_OFF"),
        send("speaker", "SWITCH_OFF"),
        sequence(send("toilet", "FLUSH"), send("toilet", "CLEAN")),
    ),
}


def build(pins=None, op_ms=500, log=print):
    """Create every output in its off state and the service; returns (service, devices)."""
    pins = pins or board.PINS
    devices = {
        "light": Light(pins["light"], op_ms=op_ms),
        "speaker": Speaker(pins["speaker"], enable_pin=pins.get("speaker_enable"), op_ms=op_ms),
        "toilet": Toilet(pins["flush"], pins["clean"], op_ms=op_ms),
    }
    service = IOTService(activity=Blinker(output_pin(pins["status_led"])), log=log)
    return service, devices


async def demo(service, devices, sequential=False, log=print, programs=PROGRAMS):
    """The seed's demo: register the devices, wake up, go to sleep.

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
        await service.register_devices(devices)
    log("event: registered %s in %d ms" % (", ".join(sorted(service.devices)), ticks_diff(ticks_ms(), start)))
    reports = []
    for name in ("wake_up", "sleep"):
        program = in_series(programs[name]) if sequential else programs[name]
        report = await service.run_program(program, name)
        planned += report.planned_ms
        reports.append(report)
    log("event: demo done in %d ms (planned %d ms)" % (ticks_diff(ticks_ms(), start), planned))
    return reports


def safe_all(service, devices):
    """Every output to its safe state, registered or not."""
    service.safe_all()
    for device in devices.values():
        device.safe()


def main(sequential=False):
    service, devices = build()
    try:
        asyncio.run(demo(service, devices, sequential))
    finally:
        safe_all(service, devices)  # whatever happened, nothing stays switched on
