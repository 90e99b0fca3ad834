"""The controller on MQTT: commands in, one result each, device states and events out.

Topics, under `<prefix>/<node>`:

    status            "online" / "offline" (retained; "offline" is the last will)
    <device>/state    the device's status as JSON, in Home Assistant's shape (retained)
    <device>/set      a device command: {"msg": "SWITCH_ON", "data": "40%"}, plain "ON"/"OFF" or a
                      message name, or Home Assistant's JSON ({"state": "ON", "brightness": 40})
    sensor/<reading>/state    {"value": 23.5, "state": "ok"|"unavailable", "reason": null|why} (retained)
    sensor/<name>/measure     a fresh reading of that sensor (or of the one giving that reading): its reply comes
                      on result when it is measured, after the replies of commands that came meanwhile
    cmd               a shell command line (run, stop, define, plan, ...)
    config/set        a whole config.json (up to CONFIG_BYTES), checked and applied on trial, as `config set`
                      (iot.commands.settings); its reply on result
    result            exactly one reply per command from cmd or <device>/set, in their order
    log               the event and error lines the console shows, at most Throttle's (iot.net.logs) 20 at once
                      and 5 a second; past that counted, then one "event: log: N lines dropped" line (not
                      retained)
    diag              link and heap, as JSON (retained)
    auto/<input>      an input's event, {"event_type": "press"} (Home Assistant's event entity)
    auto/state        {"enabled": "ON"|"OFF", "time": ..., "schedules": {name: next slot},
                      "inputs": {name: "pressed"|"released"|"open"|"closed"}} (retained)
    auto/next/<name>  a schedule's next slot, once it has one (retained)
    update            the app's version and an update's progress, in the shape of Home Assistant's update
                      entity: {"installed_version", "latest_version", "in_progress", "update_percentage",
                      "release_summary": what the last update did} (retained; sent at each step of an update,
                      whoever started it)

Commands go to the same command layer as the serial shell, one at a time and
in order, from a queue of at most 16 (_MAX_PENDING). None of them waits
(iot.commands: `wait` is the serial console's, a full device queue is a
refusal, an update runs beside), and none waits for the broker either: each
reply goes to an outbox, which its own task delivers in order as the broker
takes them. What is held for the broker is bounded: with _MAX_PENDING commands
waiting, or _MAX_RESULTS replies not yet taken by the broker, the next command
is not run but refused, with its one reply "error: busy" in its turn (a run of
them held as one count). So every command gets exactly one reply, a flood or a
slow broker fills nothing, and `stop` is carried out as soon as its turn comes.
A retained command is never run: the broker keeps it, so it would run again at
every connect (a flush the user asked for last week).
"""
import asyncio
import json

from iot import IOTError, jsontext
from iot.commands.parse import MAX_LINE
from iot.compat import const, sleep_ms, ticks_ms
from iot.net import ha
from iot.net.logs import Throttle

HA_PREFIX = "homeassistant"  # Home Assistant's discovery topics
HA_STATUS = "homeassistant/status"  # and its status (one text, not made again at every message)
_MAX_PENDING = const(16)  # commands waiting for their turn
_MAX_RESULTS = const(16)  # replies waiting for the broker to take them
_DIAG_MS = const(60000)  # how often the link and heap are reported
CONFIG_BYTES = const(8192)  # a config/set payload: config.json's own bound (config.py MAX_BYTES); one held at a time
_MAX_MEASURING = const(4)  # `measure` commands waiting for their sensors at once; the next is refused busy
AUTO_STATE = ""  # due: the automations' state (auto/state); no device has this name
UPDATE = "/"  # due: the update topic; nor this


class Bridge:
    def __init__(self, client, base, node, service, commands, board, wifi=None, discover=True, labels=None):
        self.client = client
        self.base = base
        self.throttle = Throttle(self._log)  # the log topic's
        self.node = node
        self.service = service
        self.commands = commands  # iot.commands.Commands: run once they serve (their `serving` is set)
        self.board = board
        self.wifi = wifi
        self.discover = discover
        self.labels = labels  # config.json's names for people (config.labels), for discovery
        self._pending = []  # ("line", text) | ("set", device, text) | ("reply", text) | ("busy", n), oldest first
        self._work = asyncio.Event()
        self._outbox = []  # replies to deliver, oldest first: a text, or ("busy", n) for a run of refused commands
        self._out = asyncio.Event()  # something in the outbox
        self._dirty = []  # what may have changed, each once, oldest first: devices' names, AUTO_STATE, UPDATE
        self._changed = asyncio.Event()
        self._update = None  # the last update's (step, done, total, version), until the board resets
        self._sent = {}  # device (or AUTO_STATE) -> the state text last published
        self._announce_due = False  # discovery (and every state) to be sent again
        self.started = ticks_ms()  # for the diagnostics' uptime
        self._tasks = ()  # type: tuple[asyncio.Task, ...]  # from start() on
        self._measuring = []  # the tasks of `measure` commands waiting for their sensors, beside the others
        client.on_message = self._message
        client.on_connect = self._connected
        client.subscribe(base + "/cmd")
        client.subscribe(base + "/+/set")  # every device's, those that register later too, and config/set (a whole
        # config.json, on trial: iot.commands.settings; no device may be called config). A subscription of its own
        # would overlap this one, and a broker may then deliver it twice (amqtt does)
        if commands.sensors is not None:
            client.subscribe(base + "/sensor/+/measure")
        if discover:
            client.subscribe(HA_STATUS)

    def start(self):
        self.service.watchers.append(self._due)
        if self.commands.sensors is not None:
            self.commands.sensors.watchers.append(self._reading)
        self.commands.update_watchers.append(self._update_event)
        self._tasks = tuple(asyncio.create_task(job) for job in (
            self.client.run(), self._worker(), self._deliver(), self._states(), self._diag()))
        return self

    def deinit(self):
        # A bound method equals another of the same method and object (MicroPython 1.22 on): found to remove.
        for watchers, watcher in ((self.service.watchers, self._due), (self.commands.update_watchers,
                                                                       self._update_event)):
            if watcher in watchers:
                watchers.remove(watcher)
        auto = self.commands.auto
        if auto is not None and self._auto_event in auto.watchers:
            auto.watchers.remove(self._auto_event)
        sensors = self.commands.sensors
        if sensors is not None and self._reading in sensors.watchers:
            sensors.watchers.remove(self._reading)
        for t in self._tasks + tuple(self._measuring):
            t.cancel()
        self._tasks = ()
        self.throttle.deinit()
        self.client.deinit()

    def event(self, line):
        """An event or error line (from iot.commands.Events): to the log topic while connected, through the
        throttle (iot.net.logs: a flood is counted, then said in one line); the first dropped when the queue has no
        room (MQTTClient.dropped counts them)."""
        if self.client.up.is_set():
            self.throttle(line)

    def _log(self, line):
        self.client.publish(self.base + "/log", line, drop=True)

    # What arrives

    def _connected(self):
        self.client.publish(self.base + "/status", "online", retain=True, qos=1)
        self._sent = {}  # the broker may have lost what it kept: every state again
        self._announce()

    def _message(self, topic, payload, retained, size):
        if topic == HA_STATUS:
            if payload == b"online" and not retained:
                self._announce()  # Home Assistant restarted: it forgot the configs
            return
        if retained:
            return  # kept by the broker, not sent now: never run
        config = topic == self.base + "/config/set"
        limit = CONFIG_BYTES if config else MAX_LINE
        if payload is None or size > limit:
            self._queue(("reply", "error: %s: a %d-byte command, over %d; ignored" % (topic, size, limit)))
            return
        try:
            text = jsontext.decode(payload, "%s: the command" % topic)
        except IOTError as e:
            self._queue(("reply", "error: %s; ignored" % e))
            return
        if topic == self.base + "/cmd":
            self._queue(("line", text))
            return
        if config:
            if [item for item in self._pending if item[0] == "config"]:  # one 8 KB config held, never a queue of them
                self._queue(("reply", "error: config/set: a config is waiting already; this one was not taken"))
            else:
                self._queue(("config", text))
            return
        if topic.endswith("/measure"):  # <base>/sensor/<name>/measure
            self._queue(("line", "measure " + topic[len(self.base) + 8:-8]))
            return
        self._queue(("set", topic[len(self.base) + 1:-4], text))  # <base>/<device>/set: read in its turn

    def _queue(self, item):
        pending = self._pending
        if len(pending) >= _MAX_PENDING:
            # Dropped, but still one reply, in its turn: a run of dropped commands is one counted entry.
            if pending[-1][0] == "busy":
                pending[-1] = ("busy", pending[-1][1] + 1)
                return
            item = ("busy", 1)
        pending.append(item)
        self._work.set()

    async def _worker(self):
        """Once the commands serve: the automations' events watched and what there is announced, then the commands,
        one at a time and in order (those that came meanwhile first), each reply to the outbox: no command waits
        (iot.commands), and none waits for the broker."""
        commands = self.commands
        await commands.serving.wait()
        if commands.auto is not None:
            commands.auto.watchers.append(self._auto_event)
        self._announce()
        while True:
            while not self._pending:
                self._work.clear()
                await self._work.wait()
            item = self._pending.pop(0)
            kind = item[0]
            if kind == "busy" or len(self._outbox) >= _MAX_RESULTS:  # refused, not run: nothing more is held
                self._reply(("busy", item[1] if kind == "busy" else 1))
                continue
            if kind == "set":  # a device's command: the device is looked up now, when it is its turn
                try:
                    item = ha.request(item[1], self.service.get_device(item[1]), item[2])
                except IOTError as e:
                    item = ("reply", "error: %s" % e)
                kind = item[0]
            if kind == "line" and item[1].split(" ", 1)[0] == "measure":  # waits for its sensor: beside the others
                if len(self._measuring) >= _MAX_MEASURING:
                    self._reply(("busy", 1))
                else:
                    self._measuring.append(asyncio.create_task(self._measure(item[1])))
                continue
            if kind == "line":
                reply = await commands.execute(item[1])
            elif kind == "send":
                reply = await commands.send(item[1], item[2], item[3])
            elif kind == "config":
                reply = await commands.configure(item[1])
            elif kind == "program":  # a kind's answer to Home Assistant (a siren's tone: on, then the song)
                reply = await commands.run(item[1])
            else:
                reply = item[1]
            self._reply(reply)

    async def _measure(self, line):
        try:
            self._reply(await self.commands.execute(line))
        finally:
            self._measuring.remove(asyncio.current_task())

    def _reply(self, reply):
        """A reply, or a run of refused commands (("busy", n): one count for a run), to the outbox."""
        outbox = self._outbox
        if type(reply) is tuple and outbox and type(outbox[-1]) is tuple:
            outbox[-1] = ("busy", outbox[-1][1] + reply[1])
        else:
            outbox.append(reply)
        self._out.set()

    async def _deliver(self):
        """The outbox to the result topic, in order, as the broker takes it."""
        result = self.base + "/result"
        while True:
            while not self._outbox:
                self._out.clear()
                await self._out.wait()
            item = self._outbox[0]
            if type(item) is str:
                await self.client.put(result, item, qos=1)
            else:
                while self._outbox[0][1]:  # one reply each; the count may grow meanwhile
                    await self.client.put(result, "error: busy: commands come faster than this board answers them; "
                                                  "this one was not run", qos=1)
                    self._outbox[0] = ("busy", self._outbox[0][1] - 1)
            self._outbox.pop(0)

    # What goes out

    def _auto_event(self, source, event):
        """An input's event goes out at once (an event entity has no state to catch up on); the rest as state."""
        inputs = self.commands.auto.inputs
        if inputs is not None and self.client.up.is_set():
            if source in inputs.inputs:
                self.client.publish("%s/auto/%s" % (self.base, source), '{"event_type": "%s"}' % event, drop=True)
        self._due(AUTO_STATE)

    def _update_event(self, step, done, total, version):
        self._update = (step, done, total, version)
        self._due(UPDATE)

    def _reading(self, reading):
        """A sensor's reading changed (iot.sensors' watcher): its state to be sent."""
        self._due("sensor/" + reading.name)

    def _due(self, what):
        """`what` (a device's name, "sensor/<reading>", AUTO_STATE or UPDATE) to be sent: the service's watcher of
        the devices."""
        if what not in self._dirty:
            self._dirty.append(what)
        self._changed.set()

    def _announce(self):
        self._announce_due = True
        self._changed.set()

    async def _states(self):
        """What changed, each once, in turn: the discovery configs first when due (at every connect, and when Home
        Assistant comes back), so that every state follows the config it belongs to."""
        while True:
            await self._changed.wait()
            self._changed.clear()
            if self._announce_due and self.commands.serving.is_set():  # the devices registered, the programs
                self._announce_due = False                                # loaded
                await self._discovery()
            while self._dirty:
                what = self._dirty.pop(0)
                if what == UPDATE:  # each step of an update is news: sent whether or not it changed
                    await self.client.put(self.base + "/update", json.dumps(ha.update(self._update)), retain=True,
                                          qos=1)
                    continue
                if what == AUTO_STATE:
                    auto = self.commands.auto
                    if auto is None:
                        continue
                    a = auto.status()
                    topic = self.base + "/auto/state"
                    text = json.dumps({"enabled": "ON" if a["enabled"] else "OFF", "time": a["time"]["now"],
                                       "schedules": a["schedules"],
                                       "inputs": {k: v["state"] for k, v in a["inputs"].items()}})
                    for name, at in a["schedules"].items():  # each known next time on its own (discovery.py)
                        if at is not None and self._sent.get(name + "/next") != at:
                            self._sent[name + "/next"] = at
                            await self.client.put("%s/auto/next/%s" % (self.base, name), at, retain=True, qos=1)
                elif what.startswith("sensor/"):
                    topic = "%s/%s/state" % (self.base, what)
                    text = json.dumps(self.commands.sensors.readings[what[7:]].report())
                else:
                    device = self.service.devices.get(what)
                    if device is None:
                        continue
                    topic = "%s/%s/state" % (self.base, what)
                    text = json.dumps(ha.state(device, device.status()))
                if self._sent.get(what) != text:
                    self._sent[what] = text
                    await self.client.put(topic, text, retain=True, qos=1)

    async def _discovery(self):
        """The discovery configs (when discovering), then every state marked to be sent again."""
        commands = self.commands
        if self.discover:
            from iot.net import discovery  # loaded by the first announcement

            for topic, config in discovery.configs(HA_PREFIX, self.node, self.base, self.service,
                                                   commands.programs.names(), self.board, commands.auto,
                                                   self.labels, commands.sensors):
                await self.client.put(topic, json.dumps(config), retain=True, qos=1)
        self._sent = {}
        for what in list(self.service.devices) + [AUTO_STATE, UPDATE]:
            self._due(what)
        if commands.sensors is not None:
            for name in commands.sensors.readings:
                self._due("sensor/" + name)
        self._diag_now()

    async def _diag(self):
        while True:
            await sleep_ms(_DIAG_MS)
            self._diag_now()

    def _diag_now(self):
        self.client.publish(self.base + "/diag", json.dumps(ha.diagnostics(self)), retain=True)

