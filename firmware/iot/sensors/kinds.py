"""Every sensor kind, one row each: the one place a kind is named. A kind is a module, loaded only when config.json
declares one of it, that owns

    SETTINGS        what config.json's `sensors.NAME` may say for one of it (iot.declare's words), beside COMMON
    QUANTITIES      what it measures, ((name, unit, device_class, decimals, low, high), ...): a kind of one gives one
                    reading, named as the sensor; of two, one each, NAME_name (bath_temperature, bath_humidity). A
                    value outside low..high is no reading: the sensor is unavailable, saying so
    MIN_INTERVAL_S  the shortest time between two of its reads (a DHT22's 2 s)
    open_bus(spec)  the bus it is on, made once for all the sensors on it, and bus_key(spec) naming it
    Driver(spec, bus)  whose `async read()` gives one value per quantity, or raises IOTError saying why not; a
                    conversion's wait is a sleep, never a busy wait
"""
import sys


KINDS = {
    # kind: its module
    "sht4x": "iot.sensors.sht4x",
    "aht20": "iot.sensors.aht20",
    "ds18b20": "iot.sensors.ds18b20",
    "dht22": "iot.sensors.dht",
    "dht11": "iot.sensors.dht",
    "adc": "iot.sensors.adc",
    "chip_temp": "iot.sensors.chip_temp",
}
# What every sensor may say: how often it is measured, how its value is shown (a sensor of one reading may give
# its own unit and Home Assistant device class: a light level in %), and its filters (iot.sensors.filters)
COMMON = {"interval_s": ("int", 1, 86400, 60), "unit": ("text", None), "device_class": ("name", None),
          "decimals": ("int", 0, 6, None), "filters": ("any", [])}  # type: dict


def module(kind):
    """The kind's module, imported on first use and kept."""
    name = KINDS[kind]
    __import__(name)
    return sys.modules[name]


def readings(name, kind):
    """The names of the readings a sensor called `name` of `kind` gives."""
    quantities = module(kind).QUANTITIES
    if len(quantities) == 1:
        return [name]
    return [name + "_" + q[0] for q in quantities]
