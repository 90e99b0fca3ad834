"""The language a kind's SETTINGS are written in: what config.json's `devices.NAME` (iot.devices.kinds) and
`sensors.NAME` (iot.sensors.kinds) may say for one of it, {key: (type, ...)}; config.py checks them at boot. A kind
writes the types as the words below ("pin", "required"), so that each tuple is a constant the image keeps in
flash; these names are config.py's.

    (PIN, default)                 an output GPIO of this board; default REQUIRED, or None (not wired)
    (PINS, default)                the same, or a list of three (an RGB LED's red, green and blue)
    (IO, default)                  a GPIO driven both ways (a 1-Wire or DHT data line); several sensors may share one
    (SDA, default) / (SCL, default)  the I2C bus's (the sensor's `bus`) data and clock GPIOs; None: the board's own
                                   for that bus. Sensors on one bus share them
    (ADC, default)                 a GPIO with an ADC channel
    (INT, low, high, default)      a whole number from low to high
    (NUMBER, low, high, default)   a number from low to high (a fraction too)
    (BOOL, default)
    (CHOICE, (words...), default)
    (NAME, default)                a name (a-z, 0-9 and _), as an interlock group's
    (TEXT, default)                a short text (a unit)
    (ANY, default)                 checked by the kind's own check(spec), as a calibration's points are
    (TOP,)                         a top-level setting of config.json (max_on_ms, min_off_ms): the device may give
                                   its own, checked as that one is, else it has that one's

Every device may also say `active_low`: true (all its outputs are on when low), or a list of its pin keys that
are; every device and sensor `label`, its name for people.
"""
MAX_NAME = 24  # a device's, sensor's or program's name: what the shell, MQTT topics and the page use
NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"
# The shell's own words (iot.commands): no device or sensor may be named as one
WORDS = ("help", "devices", "status", "run", "stop", "programs", "plan", "define", "mode", "save", "wait", "sensors",
         "measure", "time", "automations", "press", "config", "update", "safe")

PIN, PINS, IO, SDA, SCL, ADC = "pin", "pins", "io", "sda", "scl", "adc"
INT, NUMBER, BOOL, CHOICE, NAME, TEXT, ANY, TOP = "int", "number", "bool", "choice", "name", "text", "any", "top"
REQUIRED = "required"
