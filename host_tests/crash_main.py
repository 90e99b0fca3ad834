"""main.py's last line of defence: an exception escapes the app while the flush relay is on.

Run with config.json in the working folder; prints MARK <ms> when the relay is on.
"""
import app
import machine
from iot.compat import sleep_ms


async def crashing_run(service, devices, settings, sequential=False, shell=False):
    await service.register_devices(devices)
    devices["toilet"].flush_relay.on()  # on for up to its max on-time
    print("MARK %f" % (machine.now_us() / 1000))
    await sleep_ms(20)
    raise RuntimeError("crash with the relay on")


app.run = crashing_run
app.main()
