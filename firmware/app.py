"""The controller: the seed's devices on the board's pins, its two programs, and the demo."""
import asyncio
import gc
import sys

from iot import IOTError
from iot import program as prog
from iot.blinker import Blinker
from iot.compat import sleep_ms, ticks_diff, ticks_ms
from iot.console import Console
from iot.devices import HueLightDevice, SmartSpeakerDevice, SmartToiletDevice
from iot.outputs import output_pin
from iot.program import in_series, parallel, send, sequence
from iot.service import IOTService, device_named
from iot.shell import serve
from iot.commands import Commands, Events
from iot.store import ProgramStore


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


def build(settings=None, op_ms=None, log=print):
    """Create every output in its off state, and the service; returns (service, devices).

    `settings` come from config.load() (the detected board's defaults if None);
    `op_ms` overrides their time per operation.
    """
    if settings is None:
        import config

        settings = config.check({})
    op_ms = settings["op_ms"] if op_ms is None else op_ms
    devices = {"light": HueLightDevice(settings, op_ms), "speaker": SmartSpeakerDevice(settings, op_ms),
               "toilet": SmartToiletDevice(settings, op_ms)}
    status = Blinker(output_pin(settings["pins"]["status_led"], "status_led" in settings["active_low"]))
    return IOTService(activity=status, log=log), devices


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
        registering = asyncio.create_task(service.register_devices(devices))
        # The programs are checked and planned while the devices connect, so that costs no time: one turn
        # of the loop for the registration to start the connects, one for them to begin their wait.
        await sleep_ms(0)
        await sleep_ms(0)
        compiled = {}
        for name in ("wake_up", "sleep"):
            try:
                compiled[name] = prog.compile_program(programs[name], _Devices(devices))
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


class _Devices:
    """Devices by name before they are registered, for checking programs while they connect."""

    def __init__(self, devices):
        self._devices = devices

    def get_device(self, name):
        return device_named(self._devices, name)


def safe_all(service, devices):
    """Every output to its safe state, registered or not."""
    service.safe_all()
    for device in devices.values():
        device.safe()


async def feed_watchdog(timeout_ms):
    """Feed machine.WDT from the loop itself: if the loop stalls, the board resets."""
    from machine import WDT

    wdt = WDT(timeout=timeout_ms)
    while True:
        wdt.feed()
        await sleep_ms(timeout_ms // 4)


def make_commands(service, write=print):
    """The command layer over the built-in programs and those saved on the flash; events go to `write`."""
    commands = Commands(service, PROGRAMS, ProgramStore(), write)
    commands.load()
    return commands


async def run(service, devices, settings, sequential=False, shell=False):
    """The demo (unless config.json says "demo": false), then the shell on the console until its input ends.

    With "mqtt" or "web" in config.json (and "wifi" on a board) the network starts first and joins in
    the background, so the demo is seen there too; it takes commands once the shell does.
    """
    watchdog = asyncio.create_task(feed_watchdog(settings["wdt_ms"])) if settings["wdt_ms"] else None
    console = Console() if shell else None
    events = Events(console.show if console is not None else service.log)  # never tearing a half-typed line
    service.log = events
    network = None
    try:
        if settings["mqtt"] is not None or settings["web"] is not None:
            from iot import net  # only when configured: a board without it keeps the heap

            network = net.start(settings, service, events, service.activity)
        if settings["demo"]:
            await demo(service, devices, sequential, log=events)
        else:
            await service.register_devices(devices)
        if console is not None:
            commands = make_commands(service, events)
            if network is not None:
                network.serve(commands)
            console.show("event: ready for commands (help lists them)")
            await serve(commands, console)
            safe_all(service, devices)
            print("event: end of input; all outputs off")
    finally:
        if network is not None:
            network.deinit()
        if watchdog is not None:
            watchdog.cancel()


def main(sequential=False, path="config.json"):
    """Boot: check config.json, create every output off, run the demo and the shell; all outputs off on any exit."""
    import config

    try:
        settings = config.load(path)
        service, devices = build(settings)
    except config.ConfigError as e:
        print("error: %s; no outputs driven, fix the file and reset" % e)
        return
    except ValueError as e:  # a pin this board lacks
        print("error: %s: pins: %s; no outputs driven, fix the file and reset" % (path, e))
        return
    finally:
        del config
        for name in ("config", "boards"):  # needed at boot only: their heap goes back to the app
            sys.modules.pop(name, None)
    try:
        if hasattr(gc, "threshold"):  # collect before the heap fills: allocation stays fast
            gc.collect()
            gc.threshold(gc.mem_free() // 4 + gc.mem_alloc())
        print("event: board %s, outputs off" % settings["board"])
        asyncio.run(run(service, devices, settings, sequential, shell=True))
    finally:
        safe_all(service, devices)  # whatever happened, nothing stays switched on
