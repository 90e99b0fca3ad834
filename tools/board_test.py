"""make test-board: an acceptance run on a real board (or the emulated Pico) through its serial console.

    python tools/board_test.py --port PORT [--board pico] [--gpio-log FILE] [--keep]

It deploys the app with a test config (the board's own config.json and programs.json are
copied off first and put back at the end, unless --keep), resets the board, and checks:
the boot lines; the demo's actual times against its plan; a scripted shell session with
exact replies (device commands, run and stop mid-program, define and save, a reset, the
program still there, every class of bad input); and that Ctrl-C with the flush relay on
leaves it off, read back with Pin(n).value() at the REPL. With --gpio-log (a JSON-lines log
of pin changes with microsecond times, as the emulated Pico writes) it also checks the pins:
every output off at boot, the melody's notes and lengths, the relay pulses, the interlock. On an rp2, a relay
is cut at its limit by its backstop's hard interrupt while the interpreter is inside a long call into C.
Then a button bound to the light: `press` from the shell, then a press on the pin by --press
(the emulated Pico's `pico-emu drive`) or by the maker at the board, asked on the terminal. Last,
updates put on the flash and applied (`update apply`): one whose app raises at import rolls back
after one reset, a good one runs on trial and confirms itself.
Prints one line per check and exits 1 if any failed.
"""
import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import serial

sys.path.insert(0, str(Path(__file__).resolve().parent))
import board as tool  # noqa: E402
import hostrun  # noqa: E402

sys.path.insert(0, str(hostrun.FIRMWARE))
from boards import BOARDS  # noqa: E402

sys.path.insert(0, str(hostrun.HOSTMACHINE))  # iot.devices needs a `machine` to import on this host
from iot import rtttl  # noqa: E402
from iot.devices.speaker import NOTE_GAP_MS, SONGBOOK  # noqa: E402

OP_MS = 200
SONG = rtttl.parse(SONGBOOK["Miles Davis - Kind of Blue"])  # [(hz or 0 for a rest, ms)], as the board plays it
SO_WHAT_HZ = [hz for hz, _ in SONG if hz]
BAD_INPUT = [  # every class of bad input, with its one reply
    ("x" * 1100, "error: line over 1024 characters; ignored"),
    ("import os", "error: unknown command or device 'import'; try help"),
    ('speaker play_song "So What', "error: bad quoting: a quote is not closed"),
    ("light dance", "error: unknown message type 'DANCE'"),
    ("light switch_on 400%", "error: light: '400%': brightness is one value from 0% to 100%"),
    ("toilet switch_on", "error: toilet: does not take SWITCH_ON"),
    ("toilet \ufb02ush", "error: unknown message type '\\ufb02ush'"),
    ("run nothing", "error: no program 'nothing'; programs: nap, sleep, wake_up"),
    ("stop wake_up", "error: wake_up is not running"),
    ('plan {"seq": [', "error: bad JSON: the program is not valid JSON"),
    ("plan " + "[" * 60, "error: bad JSON: the program is nested deeper than 40"),
    ('plan {"seq": [{"send": ["lamp", "SWITCH_ON"]}]}', "error: step 1: unknown device 'lamp'"),
    ('define Bad-Name {"delay": 1}', "error: 'Bad-Name' is no program name: 1 to 24 of a-z, 0-9 and _"),
    ('define x {"delay": -1}', "error: program: delay takes whole milliseconds from 0 to 86400000"),
    ('speaker play_song "Miles Davis - Kind of Blue"', "error: speaker: is off; SWITCH_ON must finish before PLAY_SONG"),
]
NAP = '{"seq": [{"send": ["light", "SWITCH_ON", "20%"]}, {"delay": 300}, {"send": ["light", "SWITCH_OFF"]}]}'


class Report:
    def __init__(self):
        self.failed = 0
        self.passed = 0

    def check(self, ok, what, detail=""):
        print("%s  %s%s" % ("PASS" if ok else "FAIL", what, (": " + detail) if detail and not ok else ""), flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        return ok


class Console:
    """The board's serial console: type lines, read what it says (echo and redraws taken out)."""

    def __init__(self, port):
        self.port = port
        self.ser = None
        self.text = ""
        self.raw = b""  # every byte the board sent, as sent
        self.open()

    def open(self, wait_s=15):
        deadline = time.monotonic() + wait_s
        while True:
            try:
                self.ser = serial.Serial(self.port, 115200, timeout=0.05)
                return
            except serial.SerialException:  # a real board's USB port comes back after a reset
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def read(self, until, timeout_s):
        """Read until `until` (a regex) appears in what came since the last call; -> (matched?, text)."""
        deadline = time.monotonic() + timeout_s
        pattern = re.compile(until)
        while time.monotonic() < deadline:
            try:
                data = self.ser.read(4096)
            except serial.SerialException:
                self.ser.close()
                self.open()
                continue
            if data:
                self.raw += data
                self.text += data.decode(errors="replace").replace("\r\x1b[K", "\n")
            m = pattern.search(self.text)
            if m:
                got, self.text = self.text[:m.end()], self.text[m.end():]
                return True, got
        got, self.text = self.text, ""
        return False, got

    def type(self, line):
        self.ser.write(line.encode() + b"\r")

    def command(self, line, timeout_s=10):
        """Type a shell command; -> its reply line (ok/error), or None."""
        return self.commands([line], timeout_s)[0]

    def commands(self, lines, timeout_s=10):
        """Type lines all at once (the board reads them in order, however fast its clock runs); -> their replies."""
        self.ser.write(b"".join(line.encode() + b"\r" for line in lines))
        replies = []
        while len(replies) < len(lines):
            ok, got = self.read(r"(?m)^(ok|error: )[^\r\n]*\r?\n", timeout_s)
            if not ok:
                return replies + [None] * (len(lines) - len(replies))
            replies += [x for x in got.replace("\r", "").split("\n") if x.startswith(("ok", "error: "))]
        return replies

    def reset(self, until=r"event: ready for commands[^\n]*\n"):
        """Stop main.py, reset the board and read its boot until the shell is ready (or `until`, a regex); -> the
        boot text, None if that never came."""
        self.ser.write(b"\x03\x03\r\x02")  # Ctrl-C twice, then the friendly REPL
        self.read(r">>> ", 5)
        self.ser.write(b"import machine; machine.reset()\r")
        ok, got = self.read(until, 60)
        return got if ok else None


def mpremote(port, *args, check=True):
    """mpremote on the board. With check, once more a second later if it fails (it cannot take the raw REPL while
    the board prints: seen on the emulated Pico just after a reply), then its own words if it fails again."""
    command = [str(tool.BIN / "mpremote"), "connect", port, *args]
    proc = subprocess.run(command, capture_output=True, text=True)
    if check and proc.returncode:
        time.sleep(1)
        proc = subprocess.run(command, capture_output=True, text=True)
    if check and proc.returncode:
        raise SystemExit("board test: %s failed:\n%s%s" % (" ".join(command[1:]), proc.stdout, proc.stderr))
    return proc


USER_FILES = ("config.json", "programs.json", "secrets.json")


def backup(port, folder):
    """The board's own config.json, programs.json and secrets.json, copied off; -> the names that were there."""
    folder.mkdir(parents=True, exist_ok=True)
    kept = []
    for name in USER_FILES:
        if mpremote(port, "fs", "cp", ":" + name, str(folder / name), check=False).returncode == 0:
            kept.append(name)
    return kept


def restore(port, folder, kept):
    mpremote(port, "fs", "rm", ":slots.d/state.json", check=False)  # the test's updates go: the deployed app runs
    for name in ("config.old.json", "secrets.old.json", "programs.old.json"):  # its config trials' files too
        mpremote(port, "fs", "rm", ":" + name, check=False)
    for name in USER_FILES:
        if name in kept:
            mpremote(port, "fs", "cp", str(folder / name), ":" + name)
        else:
            mpremote(port, "fs", "rm", ":" + name, check=False)
    mpremote(port, "reset")


def check_boot(report, boot):
    report.check(boot is not None, "the board boots to the shell")
    boot = boot or ""
    report.check("event: board " in boot and "outputs off" in boot, "boot line: outputs off")
    report.check("event: registered light, speaker, toilet in " in boot, "boot line: devices registered")
    for name in ("wake_up", "sleep", "demo"):
        m = re.search(r"event: %s done in (\d+) ms \(planned (\d+) ms\)" % name, boot)
        if report.check(m is not None, "demo: %s done" % name, boot[-300:]):
            actual, planned = int(m.group(1)), int(m.group(2))
            report.check(planned <= actual <= planned * 1.02 + 20, "demo: %s in %d ms, planned %d ms" % (
                name, actual, planned), "more than 2 %% + 20 ms over its critical path")


def check_session(report, con, planned_wake_up):
    script = [
        ("light switch_on 40%", "ok light SWITCH_ON 40%"),
        ("toilet flush", "ok toilet FLUSH"),
        ("wait", "ok all work done"),
        ("run wake_up", "ok wake_up started (planned %d ms)" % planned_wake_up),
        ("wait 300", "ok waited 300 ms"),
        ("stop wake_up", "ok stopped wake_up; light, speaker safe"),
        ("define nap queued " + NAP, "ok defined nap (planned %d ms); save keeps it" % (2 * OP_MS + 300)),
        ("save", "ok saved 1 programs to programs.json"),
        ("run nap", "ok nap started (planned %d ms)" % (2 * OP_MS + 300)),
        ("wait", "ok all work done"),
    ] + BAD_INPUT
    together = {"run wake_up", "wait 300"}  # typed with the next line: the stop lands 300 ms into the run
    batch = []
    for line, expected in script:
        batch.append((line, expected))
        if line in together:
            continue
        for (line, expected), got in zip(batch, con.commands([x for x, _ in batch])):
            report.check(got == expected, "shell: %s" % (line if len(line) < 50 else line[:47] + "..."),
                         "replied %r, expected %r" % (got, expected))
        batch = []


def check_ctrl_c(report, con, flush_pin, flush_low):
    con.type("toilet flush")
    con.read(r"ok toilet FLUSH", 5)
    con.ser.write(b"\x03")  # Ctrl-C while the relay is on
    ok, _ = con.read(r">>> ", 10)
    report.check(ok, "Ctrl-C with the flush relay on: back at the REPL")
    con.ser.write(b"from machine import Pin; print('FLUSH', Pin(%d).value())\r" % flush_pin)
    ok, got = con.read(r"FLUSH (\d)", 5)
    level = re.search(r"FLUSH (\d)", got)
    off = 1 if flush_low else 0
    report.check(level is not None and int(level.group(1)) == off, "Ctrl-C with the flush relay on: relay off",
                 "Pin(%d).value() read %s" % (flush_pin, level and level.group(1)))


HARD_CUT = """
import time
from iot.outputs import Relay
relay = Relay(%d, 100, active_low=%r)
start = time.ticks_ms()
relay.pulse(100)
sum(range(100000))  # one long call into C: no bytecode runs meanwhile, so no scheduled callback either
took = time.ticks_diff(time.ticks_ms(), start)
print("CUT %%d %%d %%d" %% (time.ticks_diff(relay._off_at, start), took, relay.value()))
relay.deinit()
"""


def check_improv(report, con, port, board):
    """Improv Serial on the console, with the real client (npm improv-wifi-serial-sdk, tools/improvclient.py): its
    device info; on a board with no Wi-Fi chip (the Pico) the state stopped and a scan and a join refused at once,
    cleanly; the shell answering after, as before."""
    import improvclient

    why = improvclient.missing()
    if why:
        print("SKIP  improv: " + why, flush=True)
        return
    con.ser.close()
    try:
        steps = improvclient.run(["initialize", "scan", "provision", "home", "secret123"], tty=port, timeout=60)
    except RuntimeError as e:
        steps = [{"error": str(e)}] * 3
    finally:
        con.open()
    first, scan, provision = steps
    info = first.get("info") or {}
    chip = {"pico": "RP2040", "pico_w": "RP2040", "pico2": "RP2350", "pico2_w": "RP2350"}.get(board, "ESP32")
    report.check(info.get("firmware") == "iot" and info.get("chipFamily") == chip,
                 "improv: the real client reads the device info", json.dumps(first))
    if board in ("pico", "pico2"):
        report.check(first.get("state") == 0, "improv: a board with no Wi-Fi chip answers stopped", json.dumps(first))
        report.check(scan.get("error") == "UNKNOWN_RPC_COMMAND", "improv: it cannot scan, and says so",
                     json.dumps(scan))
        report.check(provision.get("error") == "UNABLE_TO_CONNECT", "improv: it cannot join, and says so",
                     json.dumps(provision))
    report.check((con.command("devices") or "").startswith("ok {"), "improv: the shell answers after")


def check_hard_cut(report, con, port, flush_pin, flush_low):
    """A relay's backstop cuts it at its limit while the interpreter is inside one long call into C, where no asyncio
    task and no scheduled callback can run: on the rp2 it is a hard interrupt (iot.outputs). The relay's own stamp of
    its switch-off says when; with the GPIO log, the pin says it too (check_pins' last pulse)."""
    con.ser.close()
    got = mpremote(port, "exec", HARD_CUT % (flush_pin, flush_low), check=False).stdout
    con.open()
    m = re.search(r"CUT (-?\d+) (\d+) (\d)", got)
    report.check(m is not None and int(m.group(2)) > 300 and int(m.group(1)) <= 100 + 5 and m.group(3) == "0",
                 "a relay's backstop cuts it at its 100 ms limit inside a long call into C (a hard interrupt)",
                 "cut at %s ms, the call took %s ms" % (m.group(1), m.group(2)) if m else got[-300:])


def check_pins(report, records, pins, low):
    """The pins after the reset, from the GPIO log (times in µs)."""
    by_pin = {}
    for r in records:
        by_pin.setdefault(r["pin"], []).append(r)
    digital = {name: pins[name] for name in ("light", "speaker_enable", "flush", "clean", "status_led")
               if type(pins.get(name)) is int}
    first_on = min([r["t_us"] for r in records if r.get("value") == (0 if r["pin"] in [pins[n] for n in low] else 1)
                    or r.get("state") == "pwm"] or [0])
    for name, pin in digital.items():
        early = [r for r in by_pin.get(pin, []) if r["t_us"] <= first_on and r.get("value") is not None]
        off = 1 if name in low else 0
        report.check(bool(early) and early[0]["value"] == off, "pins: %s (GP%d) driven off at boot" % (name, pin),
                     "first level %s" % (early[0]["value"] if early else None))

    speaker = by_pin.get(pins["speaker"], [])
    notes = []  # [hz, start, end]: a note starts at the first PWM line after silence and ends at a level line
    for r in speaker:
        sounding = notes and notes[-1][2] is None
        if r.get("state") == "pwm":
            if sounding:
                notes[-1][0] = int(round(r["freq_hz"]))  # the emulator may log a passing frequency first
            else:
                notes.append([int(round(r["freq_hz"])), r["t_us"], None])
        elif sounding and r.get("value") is not None:
            notes[-1][2] = r["t_us"]
    song = [n for n in notes if n[2] is not None][:len(SO_WHAT_HZ)]
    report.check([n[0] for n in song] == SO_WHAT_HZ, "pins: the demo plays So What on GP%d" % pins["speaker"],
                 "notes %s" % [n[0] for n in song])
    if len(song) == len(SO_WHAT_HZ):
        # Each note starts where the RTTTL puts it (counted from the first) and stops 10 ms before the next
        # is due: deadlines are kept from the song's start, so latency never adds up, and nothing is early.
        # The song's own start is not in the log: what counts is that every start and stop keeps the same
        # offset from the timeline, within the 1 ms of ticks_ms and a little latency.
        due = 0.0
        offsets = []
        notes_left = iter(song)
        for hz, ms in SONG:
            if hz:
                _, start, end = next(notes_left)
                offsets += [start / 1000 - due, end / 1000 - (due + ms - NOTE_GAP_MS)]
            due += ms
        spread = max(offsets) - min(offsets)
        report.check(spread <= 3.0, "pins: notes start and stop on the RTTTL timeline (within %.2f ms)" % spread)

    on = {}
    for relay in ("flush", "clean"):
        pin = pins[relay]
        active = 0 if relay in low else 1
        edges = [(r["t_us"], r["value"] == active) for r in by_pin.get(pin, []) if r.get("value") is not None]
        pulses = [(b[0] - a[0]) / 1000 for a, b in zip(edges, edges[1:]) if a[1] and not b[1]]
        on[relay] = [(a[0], b[0]) for a, b in zip(edges, edges[1:]) if a[1] and not b[1]]
        report.check(bool(pulses) and all(abs(p - OP_MS) <= 2 for p in pulses[:2]),
                     "pins: %s relay pulses of %d ms" % (relay, OP_MS), "pulses %s ms" % [round(p, 1) for p in pulses])
    overlap = [(a, b) for a in on["flush"] for b in on["clean"] if a[0] < b[1] and b[0] < a[1]]
    report.check(not overlap, "pins: flush and clean never on together", str(overlap[:3]))


def check_network(report, con, port, board, work):
    """With mqtt and web in config.json, the board boots to the shell: on a board without a network (a
    Pico) it says so in one event and leaves them off; on one with a network the broker (a documentation
    address, never there) is tried in the background while the shell answers."""
    cfg = work / "config-network.json"
    cfg.write_text(json.dumps({"board": board, "op_ms": OP_MS, "demo": False, "mqtt": {"host": "192.0.2.1"},
                               "web": {"port": 80}}))
    con.ser.close()
    probe = "try:\n import socket\n print('has socket')\nexcept ImportError:\n pass"
    networked = "has socket" in mpremote(port, "exec", probe, check=False).stdout
    mpremote(port, "fs", "cp", str(cfg), ":config.json")
    con.open()
    con.text = ""
    boot = con.reset()
    report.check(boot is not None, "network in config.json: the board boots to the shell")
    if not networked:
        report.check("event: this board has no network" in (boot or ""),
                     "network in config.json, none on the board: said at boot", (boot or "")[-300:])
    reply = con.command("status")
    report.check(reply is not None and reply.startswith('ok {"'), "network in config.json: status answers",
                 str(reply)[:120])


def check_config(report, con, port, board, work):
    """config.json changed from the shell, on the board's own flash: a bad one refused whole, nothing written; a
    good one (a fan on a relay) staged, the board restarting on it by itself, on trial, confirmed (a board with no
    network is on its network at once), the fan driven; `config rollback` back to the one before, the same way."""
    base = {"board": board, "op_ms": OP_MS, "demo": False}
    cfg = work / "config-trial.json"
    cfg.write_text(json.dumps(base))
    con.ser.close()
    mpremote(port, "fs", "cp", str(cfg), ":config.json")
    mpremote(port, "fs", "rm", ":config.old.json", check=False)
    con.open()
    con.text = ""
    report.check(con.reset() is not None, "config: the board boots to the shell")
    pin = button_pin(board)
    bad = con.command("config set " + json.dumps(dict(base, devices={"fan": {"kind": "relay", "pin": 99}})))
    report.check(bad is not None and bad.startswith("error: config: 1 error, nothing written: devices.fan.pin"),
                 "config: a bad config refused whole, each error named", str(bad))
    fan = dict(base, devices={"fan": {"kind": "relay", "pin": pin, "max_on_ms": 60000}})
    staged = con.command("config set " + json.dumps(fan))
    report.check(staged is not None and staged.startswith("ok config staged"), "config: a good one staged",
                 str(staged))
    ok, boot = con.read(r"event: config: the new config\.json is confirmed[^\n]*\n", 60)
    report.check(ok and "event: config: the new config.json is on trial" in boot,
                 "config: the board restarts on it by itself, on trial, and confirms it", boot[-300:])
    con.read(r"event: ready for commands[^\n]*\n", 10)
    report.check(con.commands(["fan switch_on", "fan switch_off"]) == ["ok fan SWITCH_ON", "ok fan SWITCH_OFF"],
                 "config: the new config's fan is driven")
    back = con.command("config rollback")
    report.check(back is not None and back.startswith("ok config staged"), "config: rollback staged", str(back))
    ok, boot = con.read(r"event: config: the new config\.json is confirmed[^\n]*\n", 60)
    con.read(r"event: ready for commands[^\n]*\n", 10)
    gone = con.command("fan switch_on")
    report.check(ok and gone is not None and gone.startswith("error: unknown command or device 'fan'"),
                 "config: rollback: the config before, without the fan", str(gone))


def button_pin(board):
    """A GPIO for the test's button: GP14 where the board has it for an input and no output uses it."""
    taken = set(p for p in BOARDS[board]["pins"].values() if type(p) is int)
    free = [p for p in BOARDS[board]["inputs"] if p not in taken]
    return 14 if 14 in free else free[0]


def check_button(report, con, port, board, work, press, log):
    """A button bound to the light: `press` from the shell, then (with a presser: `press` is the command that
    presses the pin, as `pico-emu drive PIN 0 --for-ms 150 --wait`; else a maker at the board, asked) a
    real press on the pin, whose automation switches the light; with the GPIO log, within 20 ms."""
    pin = button_pin(board)
    cfg = work / "config-button.json"
    cfg.write_text(json.dumps({"board": board, "op_ms": OP_MS, "demo": False, "inputs": {"button": {"pin": pin}},
                               "automations": [{"on": "button.press", "do": "light switch_on"},
                                               {"on": "button.long_press", "do": "light switch_off"}]}))
    con.ser.close()
    mpremote(port, "fs", "cp", str(cfg), ":config.json")
    con.open()
    con.text = ""
    report.check(con.reset() is not None, "button in config.json: the board boots to the shell")
    automation = r"event: automation button\.press -> light switch_on: ok light SWITCH_ON"
    report.check(con.command("press button") == "ok pressed button", "button: `press button` from the shell")
    report.check(con.read(automation, 10)[0], "button: its automation switches the light")
    report.check(con.command("light switch_off") == "ok light SWITCH_OFF", "button: the light off again")
    if not press and not sys.stdin.isatty():
        print("SKIP  button: a real press on GP%d (give PRESS='command' or run make test-board at a terminal)" % pin)
        return
    mark = len(log.read_text().splitlines()) if log else 0
    if press:
        done = subprocess.run(press.format(pin=pin), shell=True, capture_output=True, text=True)
        said = done.stdout
    else:
        print("      press the button on GP%d (to GND) once, within 20 s" % pin, flush=True)
        said = ""
    ok, _ = con.read(automation, 20)
    report.check(ok, "button: a press on GP%d switches the light" % pin)
    edges = re.findall(r'"level":\s*0,\s*"t_us":\s*([0-9.]+)', said)
    if log and edges and ok:
        time.sleep(0.5)  # the emulator writes its log within 0.2 s
        light = BOARDS[board]["pins"]["light"]
        records = [json.loads(x) for x in log.read_text().splitlines()[mark:] if x.strip()]
        on = [r["t_us"] for r in records if r.get("pin") == light and (r.get("value") == 1 or  # full duty is steady
                                                                       r.get("state") == "pwm" and r.get("duty", 0) > 0)]
        edge = float(edges[0])
        late = [(t - edge) / 1000 for t in on if t >= edge]
        report.check(bool(late) and late[0] <= 20, "button: press to light within 20 ms (GPIO log)",
                     "%.2f ms" % late[0] if late else "no light change after the edge")


def seen(con, since, pattern, timeout_s):
    """Whether the board has said `pattern` (a regex) since byte `since` of its console, within `timeout_s`: a line
    that came while commands were answered is found too."""
    deadline = time.monotonic() + timeout_s
    while True:
        if re.search(pattern, con.raw[since:].decode(errors="replace")):
            m = re.search(pattern, con.text)  # read already, with a reply, and not yet taken: taken now, so that a
            if m:  # later read() does not find this line again as if it were new
                con.text = con.text[m.end():]
            return True
        if time.monotonic() > deadline:
            return False
        con.read(pattern, 0.5)


def check_sensors(report, con, port, board, work, emulator, log):
    """Sensors and a value automation against parts nobody here wrote: the emulated Pico's SHT4x and ADC models
    (`emulator`: its pico-emu; a real board is skipped). A humidity sensor and a fan relay: the humidity set from
    outside, 55 %, then 80 % (the fan on after for_s), 68 % (on still: above the hysteresis), 60 % (off); the
    chip's temperature and an ADC input read; the sensor put in a fault, unavailable, and back; every other command
    answered meanwhile."""
    if not emulator:
        print("SKIP  sensors: no emulator to set the parts (give SENSORS=path/to/pico-emu)")
        return
    fan, lamp = 22, 13

    def emu(*args):
        done = subprocess.run([emulator] + list(args), capture_output=True, text=True)
        m = re.search(r'"t_us":\s*([0-9.]+)', done.stdout)
        return float(m.group(1)) if m else None

    emu("sensor", "detach", "--all")
    emu("sensor", "attach", "sht4x", "--bus", "0")
    emu("sensor", "attach", "aht20", "--bus", "1")
    emu("sensor", "set", "sht4x", "--temp", "22", "--rh", "55")
    emu("sensor", "set", "aht20", "--temp", "19", "--rh", "40")
    emu("adc", "26", "1.65")
    emu("adc", "temp", "31")
    cfg = work / "config-sensors.json"
    cfg.write_text(json.dumps({
        "board": board, "op_ms": OP_MS, "demo": False,
        "devices": {"fan": {"kind": "relay", "pin": fan, "max_on_ms": 600000}, "lamp": {"kind": "light", "pin": lamp},
                    "light": {"kind": "light", "pin": BOARDS[board]["pins"]["light"]}},  # a second light
        "sensors": {"bath": {"kind": "sht4x", "bus": 0, "interval_s": 2}, "cpu": {"kind": "chip_temp"},
                    "air": {"kind": "aht20", "bus": 1},
                    "level": {"kind": "adc", "pin": 26, "calibration": [[0, 0], [3.3, 100]], "unit": "%"}},
        "automations": [{"on": "bath_humidity.above", "value": 70, "hysteresis": 5, "for_s": 4, "do": "fan switch_on"},
                        {"on": "bath_humidity.below", "value": 65, "do": "fan switch_off"}]}))
    con.ser.close()
    mpremote(port, "fs", "cp", str(cfg), ":config.json")
    con.open()
    con.text = ""
    try:
        report.check(con.reset() is not None, "sensors in config.json: the board boots to the shell")
        r = con.commands(["measure bath", "measure cpu", "measure level", "measure air"])
        values = [json.loads(x[3:]) if x and x.startswith("ok {") else {} for x in r]
        report.check(values[0] == {"bath_temperature": 22.0, "bath_humidity": 55.0}, "sensors: the SHT4x read", r[0])
        report.check(values[3] == {"air_temperature": 19.0, "air_humidity": 40.0}, "sensors: the AHT20 read", r[3])
        report.check(abs(values[1].get("cpu", 0) - 31) <= 1, "sensors: the chip's temperature read", r[1])
        report.check(abs(values[2].get("level", 0) - 50) <= 1, "sensors: an ADC input through its calibration", r[2])
        mark = len(log.read_text().splitlines()) if log else 0
        said = len(con.raw)
        at = emu("sensor", "set", "sht4x", "--rh", "80")
        replies = con.commands(["status", "lamp switch_on", "lamp switch_off"])
        report.check(replies[0] is not None and replies[0].startswith("ok {") and replies[1:] == [
            "ok lamp SWITCH_ON", "ok lamp SWITCH_OFF"], "sensors: other commands answered meanwhile",
            str(replies)[-120:])
        on = seen(con, said, r"event: automation bath_humidity\.above -> fan switch_on: ok fan SWITCH_ON", 30)
        report.check(on, "sensors: humidity 80 %: the fan on, after for_s")
        if log and at is not None and on:
            time.sleep(0.5)
            edges = [json.loads(x)["t_us"] for x in log.read_text().splitlines()[mark:]
                     if '"pin":%d,' % fan in x.replace(" ", "") and json.loads(x).get("value") == 1]
            late = (edges[0] - at) / 1000 if edges else None
            report.check(late is not None and 4000 <= late <= 4000 + 2 * 2000 + 500,
                         "sensors: the fan on 4 s after the humidity rose, at a reading (GPIO log)",
                         "%s ms" % late)
        emu("sensor", "set", "sht4x", "--rh", "68")
        still, _ = con.read(r"bath_humidity\.(above|below)", 6)
        report.check(not still, "sensors: 68 %: within the hysteresis, nothing fires")
        emu("sensor", "set", "sht4x", "--rh", "60")
        off, _ = con.read(r"event: automation bath_humidity\.below -> fan switch_off: ok fan SWITCH_OFF", 30)
        report.check(off, "sensors: 60 %: the fan off")
        emu("sensor", "fault", "sht4x", "nack")
        gone, _ = con.read(r"error: sensors\.bath: no answer at 0x44[^\n]*\n", 30)
        report.check(gone, "sensors: a part that stops answering: one error line")
        r = con.commands(["sensors", "lamp switch_on"])
        report.check(r[0] is not None and '"unavailable: no answer at 0x44' in r[0] and r[1] == "ok lamp SWITCH_ON",
                     "sensors: unavailable with the reason, the rest answered", str(r)[-160:])
        emu("sensor", "fault", "sht4x", "off")
        back, _ = con.read(r"event: sensors\.bath: measured again", 60)
        report.check(back, "sensors: back once the part answers")
    finally:
        emu("sensor", "detach", "--all")


UPDATE_KEY = "board-test-update-key-0123"


def check_update(report, con, port, board, work):
    """Updates through the staging API (a bundle put on the flash, `update apply`): a good one runs on trial
    and is confirmed; one whose app raises at import resets the board and rolls back after that one reset;
    then safe mode (check_safe_mode)."""
    import bundle as bundler

    files = bundler.app_files(board)
    bundles = {}
    for version, extra in (("9.9.9", ""), ("6.6.6", "\nraise RuntimeError('a bug in the update')\n")):
        bundles[version] = work / ("%s.bundle" % version)
        bundles[version].write_bytes(bundler.bundle_bytes(bundler.versioned(files, version, work, extra), version,
                                                          bundler.FAMILIES[board], UPDATE_KEY.encode()))
    (work / "secrets.json").write_text(json.dumps({"update_key": UPDATE_KEY}))
    (work / "config-update.json").write_text(json.dumps({"board": board, "op_ms": OP_MS, "demo": False}))
    con.ser.close()
    mpremote(port, "fs", "cp", str(work / "secrets.json"), ":secrets.json")
    mpremote(port, "fs", "cp", str(work / "config-update.json"), ":config.json")
    mpremote(port, "fs", "cp", str(bundles["6.6.6"]), ":update.bundle")
    con.open()
    con.text = ""
    report.check(con.reset() is not None, "update: the board boots with an update_key")
    reply = con.command("update apply update.bundle", timeout_s=120) or ""
    report.check(reply.startswith("ok update 6.6.6 staged in slot"), "update: a bundle applied from the flash", reply)
    boot = con.reset() or ""  # the trial boot fails and resets the board itself; the next one is ready
    report.check( "error: the app failed at boot: RuntimeError('a bug in the update'" in boot,
                 "update: an app that raises at import resets the board", boot[-300:])
    report.check("event: update: rolled back from 6.6.6" in boot, "update: ... and rolls back after that one reset",
                 boot[-300:])
    status = con.command("status") or ""
    report.check('"slot": "factory"' in status and "rolled back from 6.6.6" in status,
                 "update: status says it rolled back", status[-200:])
    con.ser.close()
    mpremote(port, "fs", "cp", str(bundles["9.9.9"]), ":update.bundle")  # mpremote stopped main.py: reset
    con.open()
    con.text = ""
    report.check(con.reset() is not None, "update: the board boots again after the rollback")
    reply = con.command("update apply update.bundle", timeout_s=120) or ""
    report.check(reply.startswith("ok update 9.9.9 staged in slot"), "update: a good bundle applied", reply)
    con.text = ""
    con.reset()
    status = con.command("status") or ""
    report.check('"version": "9.9.9"' in status and '"last": "9.9.9 confirmed"' in status,
                 "update: it runs on trial and confirms itself", status[-240:])
    check_safe_mode(report, con, port, work)
    con.ser.close()
    mpremote(port, "fs", "rm", ":update.bundle", check=False)


def check_safe_mode(report, con, port, work):
    """3 boots in a row that never get ready (a config.json the board cannot read) start safe mode, whose shell
    answers status and safe off and refuses the rest; with the file fixed, safe off leaves it."""
    (work / "config-bad.json").write_text('{"op_ms": "fast"}')
    con.ser.close()
    mpremote(port, "fs", "cp", str(work / "config-bad.json"), ":config.json")
    con.open()
    con.text = ""
    failed = [con.reset(until=r"no outputs driven, fix the file and reset") for _ in range(3)]
    report.check(None not in failed, "safe mode: 3 boots with a bad config.json, each stopped with its error",
                 repr([None if b is None else b[-120:] for b in failed]))
    boot = con.reset(until=r"event: safe mode: every output off[^\n]*\n") or ""
    report.check("event: update: safe mode: 3 boots in a row did not reach ready" in boot and
                 "the shell runs with secrets.json's settings only" in boot,
                 "safe mode: the 4th boot starts it, its shell running though config.json is bad", boot[-300:])
    status, refused = con.commands(["status", "light switch_on"])
    report.check(status is not None and '"safe": true' in status and '"light"' not in status,
                 "safe mode: status says so, and no output is built", (status or "")[-200:])
    report.check(refused == "error: safe mode: only status, update and safe off answer (docs/updates.md)",
                 "safe mode: any other command is refused", refused)
    con.ser.close()
    mpremote(port, "fs", "cp", str(work / "config-update.json"), ":config.json")  # the file fixed
    con.open()
    con.text = ""
    report.check(con.reset(until=r"event: safe mode: every output off[^\n]*\n") is not None,
                 "safe mode: it stays on with the file fixed, until safe off")
    reply = con.command("safe off")
    report.check(reply == "ok safe mode off from the next reset", "safe mode: safe off", reply)
    report.check(con.reset() is not None and con.commands(["light switch_on", "light switch_off"]) == [
        "ok light SWITCH_ON", "ok light SWITCH_OFF"], "safe mode: left at the next reset: every command taken again")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", required=True, help="the board's serial port")
    ap.add_argument("--board", default="pico", type=hostrun.board_arg)
    ap.add_argument("--gpio-log", default="", help="JSON lines of pin changes (the emulated Pico's: pico-emu log)")
    ap.add_argument("--keep", action="store_true", help="leave the test config and programs on the board")
    ap.add_argument("--press", default="", help="a command that presses the test button's pin ({pin}), as "
                    "'pico-emu drive {pin} 0 --for-ms 150 --wait'; without it a maker at a terminal is asked")
    ap.add_argument("--sensors", default="", help="the emulated Pico's pico-emu, which sets its I2C parts and ADC "
                    "inputs; without it the sensor checks are skipped")
    args = ap.parse_args(argv)
    pins = BOARDS[args.board]["pins"]
    low = list(BOARDS[args.board]["active_low"])
    work = hostrun.ROOT / "build" / "board-test"
    work.mkdir(parents=True, exist_ok=True)
    cfg = work / "config.json"
    cfg.write_text(json.dumps({"board": args.board, "op_ms": OP_MS}))
    report = Report()
    print("Board test on %s (%s)" % (args.port, args.board), flush=True)
    kept = backup(args.port, work / "backup")
    mpremote(args.port, "fs", "rm", ":programs.json", check=False)
    mpremote(args.port, "fs", "rm", ":update.bundle", check=False)  # the update check's, if a run of it was cut
    stale = work / "app.py"  # a leftover source that would shadow the deployed app.mpy
    stale.write_text("raise ImportError('a stale app.py ran instead of app.mpy')\n")
    mpremote(args.port, "fs", "cp", str(stale), ":app.py")
    mpremote(args.port, "fs", "cp", str(cfg), ":notes.json")  # stands for a file of the maker's own
    frozen = tool.app_mode(args.port, tool.Plan(False)) == "frozen"
    if tool.main(["deploy", "--board", args.board, "--port", args.port, "--config", str(cfg),
                  "--app", "frozen" if frozen else "files"]) != 0:
        print("FAIL  make deploy")
        return 1
    files = mpremote(args.port, "fs", "ls", check=False).stdout.split()
    report.check("app.py" not in files and (frozen or "app.mpy" in files), "deploy: a stale app.py is removed",
                 " ".join(files))
    if frozen:  # the image holds the app: on the filesystem, the user's files and nothing of the app
        names = sorted(n for n in files[3::2] if n != "slots.d/")  # "ls :", then a size and a name per file
        report.check(names == [".deployed", "config.json", "main.py", "notes.json"],
                     "deploy onto an image with the app frozen in: main.py and config.json only", " ".join(names))
    report.check("notes.json" in files, "deploy: a file of the maker's own stays", " ".join(files))
    mpremote(args.port, "fs", "rm", ":notes.json", check=False)
    version = mpremote(args.port, "exec", "import sys; print(sys.version, sys.implementation._machine)").stdout.strip()
    print("Board: %s" % version, flush=True)
    log = Path(args.gpio_log) if args.gpio_log else None
    mark = len(log.read_text().splitlines()) if log else 0
    try:
        con = Console(args.port)
        boot = con.reset()
        check_boot(report, boot)
        m = re.search(r"event: wake_up done in \d+ ms \(planned (\d+) ms\)", boot or "")
        check_session(report, con, int(m.group(1)) if m else 0)
        con.text = ""
        boot = con.reset()
        report.check(boot is not None, "reset: the board boots again")
        report.check(con.command("programs") == "ok nap (queued, %d ms, user), sleep (single, %d ms), wake_up "
                     "(single, %d ms)" % (2 * OP_MS + 300, 2 * OP_MS, int(m.group(1)) if m else 0),
                     "reset: the saved program is still there")
        status = con.command("status") or ""
        report.check('"app": "%s"' % ("frozen" if frozen else "files") in status,
                     "status: the app runs %s" % ("frozen in the image" if frozen else "from files"), status[-160:])
        if log:
            time.sleep(0.5)  # the emulator writes its log within 0.2 s
            records = [json.loads(x) for x in log.read_text().splitlines()[mark:] if x.strip()]
            check_pins(report, [r for r in records if "pin" in r], pins, low)
        report.check(b"\r\r\n" not in con.raw and b"nap\r\n" in con.raw, "console: each line ends with one CR LF")
        check_improv(report, con, args.port, args.board)
        check_ctrl_c(report, con, pins["flush"], "flush" in low)
        if args.board.startswith("pico"):  # the rp2 boards: an ESP32's backstop is a scheduled callback
            check_hard_cut(report, con, args.port, pins["flush"], "flush" in low)
        check_network(report, con, args.port, args.board, work)
        check_config(report, con, args.port, args.board, work)
        check_button(report, con, args.port, args.board, work, args.press, log)
        check_sensors(report, con, args.port, args.board, work, args.sensors, log)
        check_update(report, con, args.port, args.board, work)
        con.ser.close()
    finally:
        if not args.keep:
            restore(args.port, work / "backup", kept)
    print("%d passed, %d failed%s" % (report.passed, report.failed, "" if log else " (no --gpio-log: pins not checked)"))
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
