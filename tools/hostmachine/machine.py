"""Stand-in for MicroPython's `machine` on the host, for CPython and the unix port.

On the unix port a `machine.py` found on the path overrides the built-in module,
which has no Pin. Every output change is recorded with a microsecond timestamp
(since this module was imported): in `TRACE` when a test sets it to a list, and
as JSON lines in the file named by the environment variable IOT_TRACE:
    {"t_us": int, "pin": id, "value": 0|1}                  digital writes
    {"t_us": int, "pin": id, "freq": int, "duty_u16": int}  PWM changes
Only changes are recorded (and the level a pin is created with), so the trace is
the waveform the pins would show.
"""
import _thread
import json
import os
import sys
import time

try:
    _now_ns = time.perf_counter_ns  # CPython
except AttributeError:
    _now_ns = time.time_ns  # MicroPython unix port

_T0 = _now_ns()
TRACE = None  # set to a list to keep records in memory

_path = os.getenv("IOT_TRACE")
_file = open(_path, "w") if _path else None


def now_us():
    return (_now_ns() - _T0) // 1000


_recording = False  # the main thread is inside _record: a timer's callback due meanwhile waits until it is done
# CPython's text files keep what is written until flush(); the unix port's write at once, and its flush() is an
# fsync (a tenth of a millisecond a pin change, for nothing another process needs)
_BUFFERED = sys.implementation.name != "micropython"


def _line(rec):
    """A record as its JSON line, made by hand (json.dumps took most of a trace's cost on a flood of changes)."""
    pin = rec["pin"]
    pin = '"%s"' % pin if type(pin) is str else "%d" % pin  # a pin's name is letters and digits
    if "value" in rec:
        return '{"pin": %s, "value": %d, "t_us": %d}\n' % (pin, rec["value"], rec["t_us"])
    if "freq" in rec:
        return '{"pin": %s, "freq": %d, "duty_u16": %d, "t_us": %d}\n' % (pin, rec["freq"], rec["duty_u16"], rec["t_us"])
    return json.dumps(rec) + "\n"  # a NeoPixel strip's colours (neopixel.py)


def _record(rec):
    """One change into the trace. A timer's callback interrupts code between two bytecodes, this function's too: it
    never waits here for what the interrupted code holds (that was a deadlock); it is run as this returns."""
    global _recording
    _recording = True
    try:
        rec["t_us"] = now_us()
        if TRACE is not None:
            TRACE.append(rec)
        if _file is not None:
            _file.write(_line(rec))  # one line, one write: whoever reads the trace meanwhile sees whole lines
            if _BUFFERED:
                _file.flush()
    finally:
        _recording = False
    if _due:
        _run_due()


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    ALT = 3
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_FALLING = 4
    IRQ_RISING = 8

    def __init__(self, id, mode=-1, pull=-1, *, value=None, **kwargs):
        self._id = id
        self._mode = Pin.IN
        self._value = 0
        self._recorded = False
        self._irq = None  # (handler, trigger) of an input
        self.init(mode, pull, value=value)

    def init(self, mode=-1, pull=-1, *, value=None, **kwargs):
        if mode != -1:
            self._mode = mode
        if self._mode == Pin.IN:
            _inputs[self._id] = self  # drive() finds it
            if pull in (Pin.PULL_UP, Pin.PULL_DOWN) and self._id not in _driven:
                self._value = 1 if pull == Pin.PULL_UP else 0  # nothing drives it: the pull resistor's level
            elif self._id in _driven:
                self._value = _driven[self._id]
        if value is not None:
            self._write(value)
        elif mode in (Pin.OUT, Pin.OPEN_DRAIN) and not self._recorded:
            self._write(self._value)

    def _write(self, v):
        v = 1 if v else 0
        if v != self._value or not self._recorded:
            self._value = v
            if self._mode in (Pin.OUT, Pin.OPEN_DRAIN):
                self._recorded = True
                _record({"pin": self._id, "value": v})

    def value(self, v=None):
        if v is None:
            return self._value
        self._write(v)

    def __call__(self, v=None):
        return self.value(v)

    def on(self):
        self._write(1)

    def off(self):
        self._write(0)

    def high(self):
        self._write(1)

    def low(self):
        self._write(0)

    def toggle(self):
        self._write(not self._value)

    def irq(self, handler=None, trigger=IRQ_FALLING | IRQ_RISING, **kwargs):
        self._irq = None if handler is None else (handler, trigger)
        return None

    def _level(self, v):
        """An input's level set from outside (drive()): its handler runs on an edge it asked for."""
        old, self._value = self._value, v
        if self._irq is not None and old != v:
            handler, trigger = self._irq
            if trigger & (Pin.IRQ_RISING if v else Pin.IRQ_FALLING):
                handler(self)

    def __repr__(self):
        return "Pin(%r)" % (self._id,)


_inputs = {}  # pin id -> the input Pin made on it last
_driven = {}  # pin id -> the level drive() holds it at
_drives = []  # the Timers of a drive() pattern still to come


def drive(pin_id, level, after_ms=0):
    """Hold an input pin at `level` (0 or 1), as a button or a sensor would, `after_ms` from now: a pattern
    of presses and bounces is a few of these. The change comes as an interrupt does (see Timer), at its
    instant on simulated time, and runs the pin's irq handler on an edge it asked for."""
    def change(timer=None):
        if timer is not None:
            _drives.remove(timer)
        _driven[pin_id] = 1 if level else 0
        pin = _inputs.get(pin_id)
        if pin is not None:
            pin._level(_driven[pin_id])

    if after_ms <= 0:
        change()
        return
    timer = Timer()
    _drives.append(timer)  # kept alive until it fires
    timer.init(mode=Timer.ONE_SHOT, period=after_ms, callback=change)


class Signal:
    """A pin with optional inversion, as on the boards: on() means active."""

    def __init__(self, pin, *args, invert=False, **kwargs):
        if not isinstance(pin, Pin):
            pin = Pin(pin, *args, **kwargs)
        self._pin = pin
        self._invert = bool(invert)

    def value(self, v=None):
        if v is None:
            return self._pin.value() ^ self._invert
        self._pin.value((1 if v else 0) ^ self._invert)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)


class PWM:
    def __init__(self, dest, *, freq=None, duty_u16=None, **kwargs):
        self._id = dest._id if isinstance(dest, Pin) else dest
        self._freq = 1000
        self._duty = 0
        self._live = True
        self.init(freq=freq, duty_u16=duty_u16)

    def init(self, *, freq=None, duty_u16=None, **kwargs):
        self._live = True
        if freq is not None:
            self._freq = int(freq)
        if duty_u16 is not None:
            self._duty = int(duty_u16)
        self._emit()

    def _emit(self):
        _record({"pin": self._id, "freq": self._freq, "duty_u16": self._duty if self._live else 0})

    def freq(self, f=None):
        if f is None:
            return self._freq
        f = int(f)
        if f != self._freq:
            self._freq = f
            self._emit()

    def duty_u16(self, d=None):
        if d is None:
            return self._duty
        d = int(d)
        if not 0 <= d <= 65535:
            raise ValueError("duty_u16 must be 0-65535")
        if d != self._duty:
            self._duty = d
            self._emit()

    def deinit(self):
        if self._live:
            self._live = False
            if self._duty:
                self._emit()


_due = []  # callbacks the timer threads handed to the main thread, oldest first
_running = False  # _run_due is running them


def _run_due(*args):
    """The due callbacks, in the main thread (SIGUSR2's handler, micropython.schedule, or _record as it returns), one
    after the other: never while a trace record is half made, and never inside another callback (a board runs no
    interrupt handler inside another of the same priority)."""
    global _running
    while _due and not _recording and not _running:
        _running = True
        try:
            while _due:
                _due.pop(0)()
        finally:
            _running = False


def _main_thread_waker():
    """CPython, imported in the main thread: a function that has it run the due callbacks (SIGUSR2's
    handler), else None. MicroPython needs none: micropython.schedule does it."""
    if sys.implementation.name == "micropython":
        return None
    try:
        import signal
        import threading

        signal.signal(signal.SIGUSR2, _run_due)
        main = threading.main_thread().ident
        return lambda: signal.pthread_kill(main, signal.SIGUSR2)
    except (ValueError, AttributeError):  # imported off the main thread, or no pthread_kill here
        return None


_wake_main = _main_thread_waker()


def _interrupt(fn):
    """Run fn in the main thread between two of its bytecodes, as a board runs a timer's callback: never beside the
    code it interrupts (a thread would race it: a relay seen off before its pin was written). MicroPython:
    micropython.schedule; CPython: a signal, whose handler Python runs in the main thread. What cannot run at once
    (a trace record half made, another callback running, the scheduler's queue full) runs as that ends."""
    if sys.implementation.name != "micropython" and _wake_main is None:
        fn()  # no handler could be installed: on the timer's thread
        return
    _due.append(fn)
    if sys.implementation.name == "micropython":
        import micropython

        try:
            micropython.schedule(_run_due, None)
        except RuntimeError:  # its queue is full: the next record, or the next callback, runs fn
            pass
    else:
        _wake_main()


class Timer:
    """A one-shot or periodic timer whose callback runs as an interrupt's would, whole, between two bytecodes
    of whatever runs: on real time a thread waits, then hands it to the main thread (_interrupt); on
    simulated time (tools/simtime), at its exact instant as the clock jumps. A re-armed or deinit()ed
    timer's old callback never runs."""

    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id=-1, **kwargs):
        self._armed = None
        self._pending = None  # (clock, alarm) on simulated time
        if kwargs:
            self.init(**kwargs)

    def init(self, *, mode=ONE_SHOT, period=-1, freq=-1, callback=None, **kwargs):
        self.deinit()
        period_ms = period if period > 0 else 1000 // freq if freq > 0 else 1000
        token = self._armed = [mode, period_ms, callback]
        self._after(period_ms, token)

    def _after(self, ms, token):
        clock = _simulated_clock()
        if clock is not None:
            self._pending = (clock, clock.call_after_ms(ms, lambda: self._fire(token)))
        else:

            def wait():
                time.sleep(ms / 1000)
                _interrupt(lambda: self._fire(token))

            _thread.start_new_thread(wait, ())

    def _fire(self, token):
        if self._armed is not token:
            return  # deinit() or re-armed since
        mode, period_ms, callback = token
        self._pending = None
        if mode == Timer.PERIODIC:
            self._after(period_ms, token)
        else:
            self._armed = None
        if callback is not None:
            callback(self)

    def deinit(self):
        self._armed = None
        if self._pending is not None:
            clock, alarm = self._pending
            self._pending = None
            clock.cancel(alarm)


def _simulated_clock():
    """The simulated clock this run is on (a module with call_after_ms and cancel), or None on real time."""
    if hasattr(time, "call_after_ms"):  # MicroPython: tools/simtime/micropython/time.py
        return time
    clock = sys.modules.get("virtualtime")  # CPython: tools/simtime/cpython, when its loop is in use
    return clock if clock is not None and clock.in_use() else None


class WDT:
    """Counts feeds (in WDT.feeds); a real one resets the board when they stop."""

    feeds = 0
    timeout = None

    def __init__(self, id=0, timeout=5000):
        WDT.timeout = timeout

    def feed(self):
        WDT.feeds += 1


RESET_EXIT = 75  # a reset ends the host's process with this status: a rig playing a board starts it again


def reset():
    """As a board's: nothing after it runs. CPython leaves at once (its console's reading thread would hold up a
    SystemExit at shutdown)."""
    print("machine.reset()")
    if sys.implementation.name == "cpython":
        sys.stdout.flush()
        os._exit(RESET_EXIT)
    raise SystemExit(RESET_EXIT)


def soft_reset():
    raise SystemExit("machine.soft_reset()")


def unique_id():
    return b"\x00\x00\x00\x00\x00\x00\x00\x01"


def freq(hz=None):
    return 125_000_000 if hz is None else None


def idle():
    pass


class I2C:
    """An I2C bus with the parts tools/hostmachine/parts.py puts on it: an address with none NACKs (OSError EIO),
    as machine.I2C does on a Pico."""

    def __init__(self, id=0, scl=None, sda=None, freq=400_000, timeout=50000):
        self.bus = id

    def _part(self, address, op):
        import parts

        part = parts.i2c_part(self.bus, address)
        if part is None:
            raise OSError(5)
        parts.LOG.append((parts.now_ms(), self.bus, address, op))
        return part

    def writeto(self, address, buf, stop=True):
        self._part(address, "w").write(bytes(buf))
        return len(buf)

    def readfrom_into(self, address, buf, stop=True):
        data = self._part(address, "r").read(len(buf))
        buf[:len(data)] = data

    def readfrom(self, address, n, stop=True):
        return self._part(address, "r").read(n)

    def scan(self):
        import parts

        return [a for a in range(0x08, 0x78) if parts.i2c_part(self.bus, a) is not None]


class ADC:
    """An ADC input (a Pin, or channel 4: the RP2040's temperature sensor) at the voltage parts.py sets, read as a
    Pico reads it: 12 bits, 3.3 V full scale, scaled to 16."""

    def __init__(self, source):
        self.pin = source if type(source) is int else source._id

    def read_u16(self):
        import parts

        raw = min(4095, max(0, round(parts.adc_volts(self.pin) / 3.3 * 4096)))
        return raw << 4 | raw >> 8
