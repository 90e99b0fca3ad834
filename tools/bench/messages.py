"""A message's time: from a command's arrival to its reply, through the app as the boot builds it.

    mpremote run tools/bench/messages.py    on a board with the app on it (make deploy), as files or frozen

Shell lines go through Commands.execute, as the serial shell hands them over: `light switch_on` (a device
command), `plan sleep` and `programs` (the programs' library), `status`. An MQTT device command goes through
the bridge as the broker would hand it one (a stand-in client that takes what the bridge sends at once): from
the payload's arrival on `<base>/light/set` to its reply on `result` and the light's new state on its state
topic. The devices take no time (op_ms 0) and each sample starts with no run going. Prints one
`BENCH {json}` line per figure, as tools/bench/suite.py does.
"""
import asyncio
import json
import sys
import time

try:
    ticks_us, ticks_diff = time.ticks_us, time.ticks_diff
except AttributeError:  # CPython
    def ticks_us():
        return time.perf_counter_ns() // 1000

    def ticks_diff(a, b):
        return a - b

RUNS = 30
BASE = "iot/bench"


def report(key, name, samples):
    s = sorted(samples)
    print("BENCH " + json.dumps({"key": key, "name": name, "unit": "ms", "min": s[0], "median": s[len(s) // 2],
                                 "max": s[-1], "runs": len(s), "target": None, "met": None, "note": ""}))


def quiet(line):
    pass


class Client:
    """What the bridge needs of iot.net.mqtt.MQTTClient, connected, taking each message at once; `seen` is set
    when a message on `want` goes out."""

    def __init__(self):
        self.up = asyncio.Event()
        self.up.set()
        self.connects = 1
        self.dropped = 0
        self.on_message = self.on_connect = None
        self.want = ()
        self.seen = asyncio.Event()

    def subscribe(self, topic):
        pass

    def publish(self, topic, payload, retain=False, qos=0, drop=False):
        if topic in self.want:
            self.want = tuple(t for t in self.want if t != topic)
            if not self.want:
                self.seen.set()

    async def put(self, topic, payload, retain=False, qos=0):
        self.publish(topic, payload)

    async def run(self):
        await asyncio.Event().wait()

    def deinit(self):
        pass


async def timed_lines(commands, line, runs):
    samples = []
    for _ in range(runs):
        await commands.wait()
        start = ticks_us()
        reply = await commands.execute(line)
        samples.append(ticks_diff(ticks_us(), start) / 1000)
        if not reply.startswith("ok"):
            raise RuntimeError("%s: %s" % (line, reply))
    return samples


async def timed_mqtt(commands, service, runs):
    from iot.net.bridge import Bridge

    client = Client()
    bridge = Bridge(client, BASE, "bench", service, commands, "pico", discover=False).start()
    await commands.execute("light switch_off")  # each ON below is a change of state, and so each OFF
    await commands.wait()
    await asyncio.sleep(0.05)  # announced, every state sent
    samples = []
    for i in range(runs):
        await commands.wait()
        payload = b"ON" if i % 2 == 0 else b"OFF"
        client.want = (BASE + "/result", BASE + "/light/state")
        client.seen.clear()
        start = ticks_us()
        client.on_message(BASE + "/light/set", payload, False, len(payload))
        await client.seen.wait()
        samples.append(ticks_diff(ticks_us(), start) / 1000)
    bridge.deinit()
    return samples


async def main():
    import app

    service, devices = app.build(app.load_settings(given={"op_ms": 0, "demo": False}), log=quiet)
    for device in devices.values():
        device.connect_ms = 0
    await service.register_devices(devices)
    commands = app.make_commands(service, quiet)
    commands.serve()
    for line, key in (("light switch_on", "msg_device"), ("plan sleep", "msg_plan"), ("programs", "msg_programs"),
                      ("status", "msg_status")):
        report(key, "a shell line's reply: %s" % line, await timed_lines(commands, line, RUNS))
    try:
        import socket  # noqa: F401
        has_net = True
    except ImportError:
        has_net = False
    report("msg_mqtt", "an MQTT device command (light/set ON|OFF): arrival to its reply and the light's state sent"
           + ("" if has_net else " (the bridge alone: this board has no network)"),
           await timed_mqtt(commands, service, RUNS))
    app.safe_all(service, devices)


if sys.implementation.name == "micropython" or __name__ == "__main__":
    asyncio.run(main())
