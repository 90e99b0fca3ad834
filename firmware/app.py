"""The controller: the seed's devices on the board's pins, its two programs, and the boot (demo.py runs once).

The boot reads config.json before the rest of the app is imported, and lets the config modules go before
it is (docs/architecture.md: what runs once is let go); the devices, service and shell are imported by the
functions that build them.
"""
import asyncio
import gc

from iot.compat import sleep_ms, unload
from iot.program import parallel, send, sequence


def wake_up(song="Miles Davis - Kind of Blue"):
    """Light on while the speaker powers up and then plays the song."""
    return parallel(
        send("light", "SWITCH_ON"),
        sequence(send("speaker", "SWITCH_ON"), send("speaker", "PLAY_SONG", song)),
    )


def sleep():
    """Light and speaker off while the toilet flushes, then cleans."""
    return parallel(
        send("light", "SWITCH_OFF"),
        send("speaker", "SWITCH_OFF"),
        sequence(send("toilet", "FLUSH"), send("toilet", "CLEAN")),
    )


# The built-in programs, a function each that makes its data, compiled at its first run (iot.commands.programs).
PROGRAMS = {"wake_up": wake_up, "sleep": sleep}


def build(settings=None, op_ms=None, log=print):
    """Create every output in its off state, and the service; returns (service, devices).

    `settings` come from config.load() (the detected board's defaults if None);
    `op_ms` overrides their time per operation.
    """
    if settings is None:
        import config

        settings = config.check({})
    from iot.service import IOTService

    if settings["pins"] is None:  # safe mode without a config.json to go by: no pin driven at all
        return IOTService(log=log), {}
    from iot.blinker import Blinker
    from iot.devices import kinds
    from iot.outputs import output_pin

    devices = kinds.build(settings, settings["op_ms"] if op_ms is None else op_ms, log)
    status = Blinker(output_pin(settings["pins"]["status_led"], "status_led" in settings["active_low"]))
    return IOTService(activity=status, log=log), devices


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


def make_commands(service, write=print, update_key=None, safe=False, seed=True, sensors=None):
    """The command layer over the built-in programs (`seed`: the seed's devices are declared, which they need),
    those saved on the flash and the `sensors` (iot.sensors.Sensors, or None); events go to `write`."""
    from iot.commands import Commands

    return Commands(service, PROGRAMS if seed else {}, "programs.json", write, update_key=update_key, safe=safe,
                    sensors=sensors)


async def run(service, devices, settings, sequential=False, shell=False):
    """The demo (unless config.json says "demo": false), then the shell on the console until its input ends.

    With "mqtt" or "web" in config.json (and "wifi" on a board) the network starts first and joins in
    the background, so the demo is seen there too; it takes commands once the shell does, as do the
    inputs, schedules and automations (iot.auto) when config.json has them.
    """
    import slots
    from iot.commands import Events
    from iot.devices.kinds import is_seed

    watchdog = start_watchdog(settings["wdt_ms"])
    console = None
    if shell:
        from iot.console import Console

        console = Console()
    events = Events(console.show if console is not None else service.log)  # never tearing a half-typed line
    service.log = events
    seed = is_seed(settings["devices"])
    sensors = None
    if settings["sensors"] and not slots.safe():
        from iot.sensors import build as build_sensors

        sensors = build_sensors(settings, events)
    commands = make_commands(service, events, settings["update_key"], slots.safe(), seed, sensors)
    network = confirming = None
    try:
        for problem in settings["problems"] + (settings["auto"]["problems"] if settings["auto"] is not None else []):
            events("error: " + problem)
        if not seed:
            events("event: the built-in programs wake_up and sleep%s left out: they need the seed's light, speaker "
                   "and toilet" % (" and the demo" if settings["demo"] else ""))
        network = start_network(settings, service, events, commands)
        await bring_up(service, devices, sequential, settings["demo"] and seed, events)
        if console is not None:
            confirming = serve(commands, network, settings)
            await shell_until_end(commands, console, settings)
            safe_all(service, devices)
            print("event: end of input; all outputs off")
    finally:
        if confirming is not None:
            confirming.cancel()
        commands.deinit()
        if network is not None:
            network.deinit()
        if watchdog is not None:
            watchdog.cancel()


def start_watchdog(wdt_ms):
    """The watchdog's feeding task (config.json's wdt_ms, or a trial's own: a trial's hang resets the board)."""
    import slots

    ms = wdt_ms or (slots.TRIAL_WDT_MS if slots.trial() else 0)
    return asyncio.create_task(feed_watchdog(ms)) if ms else None


def start_network(settings, service, events, commands):
    """Wi-Fi, MQTT and the web page as configured, joining in the background (iot.net.Network), or None; they
    take `commands` once those serve."""
    if settings["mqtt"] is None and settings["web"] is None and settings["syslog"] is None:
        return None
    import slots
    from iot.net import boot  # runs once

    try:
        return boot.start(settings, service, events, commands, service.activity, slots.safe())
    finally:
        unload("iot.net.boot")


async def bring_up(service, devices, sequential, demo, events):
    """The devices registered: by the demo, which runs once at boot, or on their own."""
    if not demo:
        await service.register_devices(devices)
        return
    import demo as once

    try:
        await once.run(service, devices, {"wake_up": wake_up(), "sleep": sleep()}, sequential, log=events)
    finally:
        del once
        unload("demo")


def serve(commands, network, settings):
    """The commands served, on the network too, with the automations; the board is ready: an update on trial is
    good."""
    import slots

    commands.serve(network, settings["auto"])
    settings["auto"] = None  # built into the engine: the boot's checked copy goes
    slots.ready()  # devices registered, the network started, the shell up
    return asyncio.create_task(confirm_config(commands, network)) if slots.config_trial() else None


async def confirm_config(commands, network):
    """A config.json on trial (slots.py) confirmed once the board is on its network as configured, or the board
    restarted, to go back to the one before, if it is not within slots.CONFIG_TRIAL_MS: a config that locks the
    maker out (a Wi-Fi it cannot join, a broker it cannot reach) does not stay."""
    import slots

    from iot.compat import ticks_diff, ticks_ms

    start = ticks_ms()
    while network is not None and not network.up():
        if ticks_diff(ticks_ms(), start) > slots.CONFIG_TRIAL_MS:
            commands.restart("the config on trial is not on its network after %d s; back to the one before" % (
                slots.CONFIG_TRIAL_MS // 1000))
        await sleep_ms(250)
    slots.config_ready()
    commands.write("event: config: the new config.json is confirmed")


async def shell_until_end(commands, console, settings):
    """The serial shell, until the console's input ends; Improv Serial beside it (iot.improv)."""
    from iot.shell import serve as shell

    console.show("event: ready for commands (help lists them)" if not commands.safe else
                 "event: safe mode: every output off; status, update and safe off answer (docs/updates.md)")
    await shell(commands, console, lambda: improv_about(settings))


def improv_about(settings):
    """What Improv's device info says (firmware, version, chip family: the port's own word for it, as "Raspberry
    Pi Pico W with RP2040" ends, else the board's name; device name), and the web page's port."""
    import sys

    from iot import installed
    from iot.net import node_name

    machine = getattr(sys.implementation, "_machine", "")
    chip = machine.rsplit(" with ", 1)[1] if " with " in machine else settings["board"]
    web = settings["web"]
    return ("iot", installed()[1], chip, node_name(settings)), web["port"] if web is not None else 80


def load_settings(path="config.json", given=None):
    """config.json checked (`given`: these settings instead of the file's; path None: the board's defaults and
    secrets.json, as if there were no config.json), as build() takes them; the config
    modules are let go before anything else is imported, their heap back before the app's comes (config.ConfigError
    if the file is bad)."""
    import config

    try:
        return config.load(path) if given is None else config.check(given)
    finally:
        del config
        for name in ("config", "boards"):  # needed at boot only
            unload(name)


def main(sequential=False, path="config.json", safe=False):
    """Boot: check config.json, create every output off, run the demo and the shell; all outputs off on any exit.
    `safe` (slots.py's safe mode): no demo, no automations, no MQTT; only the shell, Wi-Fi and the web page's
    update and status. A config.json that cannot be read stops the boot there (no outputs driven), but not in
    safe mode, whose shell then runs on secrets.json alone, with no outputs at all, to take an update or `safe off`."""
    from iot import IOTError

    try:
        settings = load_settings(path)
    except IOTError as e:  # config.ConfigError, its module let go already
        import slots

        if slots.config_trial():  # the next boot puts the one before back
            print("error: %s; the config on trial cannot boot: restarting on the one before" % e)
            import machine

            machine.reset()
        if not safe:
            print("error: %s; no outputs driven, fix the file and reset" % e)
            return
        print("error: %s; safe mode: no outputs driven, the shell runs with secrets.json's settings only" % e)
        try:
            settings = load_settings(None)
        except IOTError as e:
            print("error: %s; no outputs driven, fix the files and reset" % e)
            return
        settings["pins"] = None  # no outputs: their pins are what the bad file was to say
    if safe:
        settings.update(demo=False, auto=None)
    try:
        service, devices = build(settings)
    except ValueError as e:  # a pin this board lacks
        print("error: %s: pins: %s; no outputs driven, fix the file and reset" % (path, e))
        return
    try:
        if hasattr(gc, "threshold"):  # collect before the heap fills: allocation stays fast
            gc.collect()
            gc.threshold(gc.mem_free() // 4 + gc.mem_alloc())
        print("event: board %s, outputs off" % settings["board"])
        asyncio.run(run(service, devices, settings, sequential, shell=True))
    finally:
        safe_all(service, devices)  # whatever happened, nothing stays switched on
