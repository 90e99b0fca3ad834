"""Sensors declared in config.json's `sensors`, measured in asyncio: a conversion that takes seconds is a sleep, so
while one sensor waits for its part, every command, request and relay cut goes on (the tutorial's lesson: Alice's
measurement never holds up Bob's request).

Each Sensor owns its schedule (one task: measure, sleep interval_s; after a failure, sooner, backing off) and its
readings; `measure()` takes a fresh one, one at a time (a second caller waits for the one going on). Sensors on one
bus take it in turn, through an asyncio.Lock per bus. A measurement that fails is tried again once, at once (a
glitch on a long wire); a sensor that still does not answer, fails its CRC or reads out of its range is unavailable
with the reason, and retried; the others go on. Each kind is a module of its own
(iot.sensors.kinds), loaded only when declared.
"""
import asyncio

from iot import IOTError
from iot.compat import sleep_ms, ticks_add, ticks_diff, ticks_ms, unload

RETRY_MS = (1000, 300000)  # a failed sensor is tried again after the first, doubling up to the second


class Reading:
    """One value a sensor gives (its temperature, or its humidity): what it is called and shown as, its filters,
    and what it is now: `value` (the last measured, through its filters and rounded to `decimals`; None before the
    first), `at_ms` (the ticks_ms of that measurement) and `reason` (why it is unavailable, None while it is not).
    Its watchers hear of it when its filters publish a value (delta, throttle_s) and when its availability
    changes."""

    def __init__(self, name, sensor, unit, device_class, decimals, low, high, filters):
        self.name = name
        self.sensor = sensor  # the name of the sensor that gives it
        self.unit = unit
        self.device_class = device_class
        self.decimals = decimals
        self.low = low
        self.high = high
        self.chain = None  # no filters: every value as measured, each published
        if filters:
            from iot.sensors.filters import Chain  # loaded by the first reading that has filters

            self.chain = Chain(filters)
        self.value = None
        self.at_ms = None
        self.reason = "not measured yet"

    def report(self):
        """What MQTT's state topic and the page show of it: its value, and whether it is available (if not, why)."""
        return {"value": self.value, "state": "unavailable" if self.reason else "ok", "reason": self.reason}

    def status(self, now):
        return {"value": self.value, "unit": self.unit,
                "age_s": None if self.at_ms is None else ticks_diff(now, self.at_ms) // 1000,
                "state": "unavailable: " + self.reason if self.reason else "ok"}


class Sensor:
    """One declared sensor: its driver, its readings and its schedule. `changed` is called with (a Reading, whether
    it is published) after each measurement of it, and when it becomes unavailable (published: its availability
    changed); `log` gets one line when it fails (a sensor missing at boot: one error line) and one when it answers
    again."""

    def __init__(self, name, driver, readings, interval_ms, lock, changed, log):
        self.name = name
        self.driver = driver
        self.readings = readings
        self.interval_ms = interval_ms
        self.lock = lock  # its bus's, or None on a pin of its own
        self.changed = changed
        self.log = log
        self.error = None  # why the last measurement failed, or None
        self._retry_ms = RETRY_MS[0]
        self._going = None  # an Event while a measurement goes on
        self.task = None

    def start(self):
        self.task = asyncio.create_task(self._schedule())

    async def _schedule(self):
        """Measure every interval_s on the clock (each from the last one's start: the conversions' times never
        add up to a drift); after a failure, sooner, backing off."""
        due = ticks_ms()
        while True:
            await self.measure()
            due = ticks_add(due, self.interval_ms if self.error is None else min(self._retry_ms, self.interval_ms))
            await sleep_ms(max(0, ticks_diff(due, ticks_ms())))

    async def measure(self):
        """Measure now, or wait for the measurement going on; -> the error, or None if it was measured."""
        if self._going is not None:
            await self._going.wait()
            return self.error
        self._going = asyncio.Event()
        try:
            for tries_left in (1, 0):  # a glitch on the wire (a NACK, a bad CRC) is tried again once, at once
                try:
                    self._took(await self._read())
                    break
                except IOTError as e:
                    if not tries_left:
                        self._failed(str(e))
        finally:
            self._going.set()
            self._going = None
        return self.error

    async def _read(self):
        if self.lock is None:
            return await self.driver.read()
        async with self.lock:
            return await self.driver.read()

    def _took(self, values):
        now = ticks_ms()
        for reading, raw in zip(self.readings, values):
            if reading.low is not None and not reading.low <= raw <= reading.high:
                raise IOTError("%s reads %s, out of its range %s..%s" % (reading.name, raw, reading.low, reading.high))
        for reading, raw in zip(self.readings, values):
            chain = reading.chain
            value = raw if chain is None else chain.value(raw)
            reading.value = round(value, reading.decimals) if reading.decimals else round(value)
            reading.at_ms = now
            back = reading.reason is not None
            reading.reason = None
            self.changed(reading, chain is None or chain.publishes(reading.value, now, back))
        if self.error is not None:
            self.log("event: sensors.%s: measured again" % self.name)
        self.error = None
        self._retry_ms = RETRY_MS[0]

    def _failed(self, why):
        if self.error is None:
            self.log("error: sensors.%s: %s; unavailable, tried again in %d s and on" % (
                self.name, why, min(self._retry_ms, self.interval_ms) // 1000))
        self.error = why
        self._retry_ms = min(self._retry_ms * 2, RETRY_MS[1])
        for reading in self.readings:
            published = reading.reason != why
            reading.reason = why
            self.changed(reading, published)

    def deinit(self):
        if self.task is not None:
            self.task.cancel()
            self.task = None


class Sensors:
    """Every declared sensor, by name, and their readings by name. `watchers` are called with each Reading whose
    value is published or whose availability changes (MQTT and the page add theirs); `measured` with each Reading
    measured, or failing, published or not (the value automations: a value that stays past a threshold is seen
    again, whatever delta and throttle_s publish)."""

    def __init__(self, log=print):
        self.log = log
        self.sensors = {}
        self.readings = {}
        self.watchers = []
        self.measured = []
        self._buses = {}  # bus key -> (bus, its Lock)

    def add(self, name, spec):
        """Make the sensor `name` from its checked settings (config.json's sensors.NAME); a part the port cannot
        reach (a bus it refuses) is one error line, and the sensor is left out."""
        from iot.sensors import kinds  # the boot's construction: let go once every sensor is made (build)

        kind = kinds.module(spec["kind"])
        try:
            bus, lock = self._bus(kind, spec)
            driver = kind.Driver(spec, bus)
        except (ValueError, OSError, IOTError) as e:
            self.log("error: sensors.%s: %s; left out" % (name, e))
            return
        quantities = kind.QUANTITIES
        names = kinds.readings(name, spec["kind"])
        readings = []
        for reading, (_, unit, device_class, decimals, low, high) in zip(names, quantities):
            if len(quantities) == 1 and spec["unit"] is not None:  # its own: the kind's device class is not its
                unit, device_class = spec["unit"], spec["device_class"]
            elif len(quantities) == 1:
                device_class = spec["device_class"] or device_class
            decimals = decimals if spec["decimals"] is None else spec["decimals"]
            readings.append(Reading(reading, name, unit, device_class, decimals, low, high, spec["filters"]))
        sensor = Sensor(name, driver, readings, spec["interval_s"] * 1000, lock, self._changed, self.log)
        self.sensors[name] = sensor
        for r in readings:
            self.readings[r.name] = r

    def _bus(self, kind, spec):
        if not hasattr(kind, "open_bus"):
            return None, None
        key = kind.bus_key(spec)
        if key not in self._buses:
            self._buses[key] = (kind.open_bus(spec), asyncio.Lock())
        return self._buses[key]

    def _changed(self, reading, published):
        for m in self.measured:
            m(reading)
        if published:
            for w in self.watchers:
                w(reading)

    def start(self):
        for sensor in self.sensors.values():
            sensor.start()

    def named(self, name):
        """The sensor called `name`, or the one giving the reading `name`; IOTError if none."""
        sensor = self.sensors.get(name)
        if sensor is None and name in self.readings:
            sensor = self.sensors[self.readings[name].sensor]
        if sensor is None:
            raise IOTError("no sensor %r; sensors: %s" % (name, ", ".join(sorted(self.sensors)) or "none"))
        return sensor

    async def measure(self, name):
        """A fresh measurement of the sensor `name` (or of the one giving that reading): {reading: value}; IOTError
        if it cannot be measured."""
        sensor = self.named(name)
        error = await sensor.measure()
        if error is not None:
            raise IOTError("%s: %s" % (sensor.name, error))
        return {r.name: r.value for r in sensor.readings}

    def status(self):
        """{reading: {"value", "unit", "age_s", "state"}}."""
        now = ticks_ms()
        return {name: r.status(now) for name, r in self.readings.items()}

    def deinit(self):
        for sensor in self.sensors.values():
            sensor.deinit()


def build(settings, log=print):
    """The Sensors of config.json's checked `sensors` (None when it declares none), their schedules not yet
    started."""
    if not settings["sensors"]:
        return None
    sensors = Sensors(log)
    for name in sorted(settings["sensors"]):
        sensors.add(name, settings["sensors"][name])
    unload("iot.sensors.kinds")  # the registry, read once: each sensor's kind module stays, held by its driver
    return sensors
