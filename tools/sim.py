"""Run the firmware on the host with simulated pins and show what the devices do.

    python tools/sim.py [--board NAME | --config FILE] [--no-demo] [--fast] [--python] [--sequential] [--trace FILE]
                        [--mqtt HOST:PORT] [--web PORT]

Runs firmware/main.py under the MicroPython unix port (or CPython with --python)
in a folder that stands for the board's flash, holding its config.json; prints
the firmware's lines as they come with the time since launch, and between them
(marked "~") each device's state whenever a pin changes it. At the end: the pin
timeline, the planned vs actual time of each program, and the trace as JSON
lines, a VCD file (PulseView, GTKWave) and an SVG timing diagram beside it.

After the demo the firmware's shell reads this program's standard input, as it
reads the serial console on a board, until the input ends:
    printf 'light switch_on 40%%\nrun wake_up\n' | python tools/sim.py --no-demo
Without --config the board has examples/bathroom.json's devices (the seed's and a
fan), humidity sensor, button, schedules and automations (docs/automations.md):
`press bath_button [long|double]` tries them, and a shower at 20 s takes the
simulated sensor to 85 % (SHOWER): the fan comes on 30 s later, off at 3 minutes.
The flash folder (build/sim/flash) is kept between runs, as a board keeps its
files: programs saved with `save` are there at the next start.

--mqtt HOST:PORT joins that broker as a board with Wi-Fi would (the `network`
stub in tools/hostmachine stands in for WLAN): the devices appear in Home
Assistant, and topics under iot/sim/ drive them (see the README's topic table).

--web PORT serves the board's web page and API on that port of this machine.

--fast runs on simulated time (tools/simtime): sleeps take no time, so a
program of hour-long delays ends at once, and the timeline and trace are in
simulated ms. Piped input is read whole first, so every line is there when the
shell asks; lines are then shown without the time since launch, which means
nothing there.
"""
import argparse
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hostrun  # noqa: E402
import pintrace  # noqa: E402

# the firmware's own boards and config.json reader, and the stub machine its device kinds' packages import
sys.path[:0] = [str(hostrun.FIRMWARE), str(hostrun.HOSTMACHINE)]
import config  # noqa: E402
from boards import BOARDS  # noqa: E402

DONE = re.compile(r"event: (\w+) done in (\d+) ms \(planned (\d+) ms\)")


EXAMPLE = hostrun.ROOT / "examples" / "bathroom.json"  # docs/automations.md's config.json


# The example's humidity sensor on the host's stub bus (tools/hostmachine/parts.py): a shower at 20 s takes the
# bathroom to 85 %, which falls back to 55 % at 3 minutes; the fan follows (the example's value automations)
SHOWER = [{"at_ms": 0, "part": "sht4x", "bus": 0, "temp": 21.5, "rh": 55},
          {"at_ms": 20000, "part": "sht4x", "bus": 0, "temp": 23.0, "rh": 85},
          {"at_ms": 180000, "part": "sht4x", "bus": 0, "temp": 22.0, "rh": 55}]


def example_config(board):
    """The example's devices, sensors, inputs, schedules, automations and clock, without its NTP server: the sim's
    time is set by `time set` (on --fast it is simulated time, which no server keeps). Its devices are on a Pico's
    pins: on another board, that board's own seed devices, and the automations on the example's fan and sensor
    left out."""
    example = json.loads(EXAMPLE.read_text())
    out = {k: example[k] for k in config.AUTOMATION}
    out["clock"] = {k: v for k, v in out["clock"].items() if k != "ntp"}
    if board.startswith("pico"):
        out.update(devices=example["devices"], sensors=example["sensors"])
    else:
        out["automations"] = [a for a in out["automations"] if not a["on"].startswith(("fan.", "bath_humidity."))
                              and not a["do"].startswith("fan ")]
    return dict(out, board=board)


def timeline(trace, names):
    lines = ["", "Pin timeline (%d changes, ms since the firmware started):" % len(trace),
             "   time ms  pin  output          change"]
    for rec in trace:
        name, low = names.get(rec["pin"], ("?", False))
        lines.append("%10.1f  %3s  %-14s  %s" % (rec["t_us"] / 1000, rec["pin"], name, pintrace.state(name, rec, low)[0]))
    return lines


def watch(trace_path, devices, show, done):
    """Follow the trace as the firmware writes it and show the devices' state when it changes.

    Records that arrive together (an RGB light's three channels) make one line.
    """
    while not trace_path.exists() and not done.is_set():
        time.sleep(0.01)
    if not trace_path.exists():
        return
    shown = None
    with open(trace_path) as f:
        partial = ""
        while True:
            chunk = f.readline()
            if chunk:
                partial += chunk
                if partial.endswith("\n"):
                    devices.update(json.loads(partial))
                    partial = ""
                continue
            line = devices.line()
            if line != shown:
                shown = line
                show("~ " + line)
            if done.is_set():
                return
            time.sleep(0.005)


def run(interpreter, flash, trace_path, sequential, devices, fast=False, main=None):
    script = ["-c", "import app; app.main(sequential=True)"] if sequential else main or hostrun.FIRMWARE / "main.py"
    argv = hostrun.command(interpreter, script)
    start = time.monotonic()
    lock = threading.Lock()
    stdin = None
    if fast and not sys.stdin.isatty():
        piped = trace_path.parent / "stdin.txt"
        piped.write_bytes(sys.stdin.buffer.read())
        stdin = open(piped, "rb")

    def show(line):
        with lock:
            if fast:
                print("%11s  %s" % ("", line), flush=True)
            else:
                print("%8.0f ms  %s" % ((time.monotonic() - start) * 1000, line), flush=True)  # since launch

    done = threading.Event()
    watcher = threading.Thread(target=watch, args=(trace_path, devices, show, done), daemon=True)
    if devices is not None:
        watcher.start()
    out = []
    env = hostrun.environ(trace_path, simulated=fast)
    parts = trace_path.parent / "parts.json"
    parts.write_text(json.dumps(SHOWER))
    env["IOT_PARTS"] = str(parts)
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True, cwd=flash, stdin=stdin)
    for line in proc.stdout:
        line = line.rstrip("\n")
        out.append(line)
        show(line)
    rc = proc.wait()
    done.set()
    if devices is not None:
        watcher.join()
    return rc, out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--board", default="pico", type=hostrun.board_arg, help="board whose pin map to use (%s, or "
                    "MicroPython's name, as RPI_PICO_W)" % ", ".join(sorted(BOARDS)))
    ap.add_argument("--config", help="a config.json to try (its own board key wins over --board)")
    ap.add_argument("--python", action="store_true", help="run under CPython instead of MicroPython")
    ap.add_argument("--sequential", action="store_true", help="the seed's one-after-another demo, for comparison")
    ap.add_argument("--no-demo", action="store_true", help="skip the demo: straight to the shell")
    ap.add_argument("--fast", action="store_true", help="on simulated time: sleeps take no time")
    ap.add_argument("--main", help="a main.py of your own to run in place of the firmware's (make sim MAIN=path)")
    ap.add_argument("--trace", default="build/sim/trace.jsonl", help="where to write the pin trace (JSON lines)")
    ap.add_argument("--mqtt", metavar="HOST:PORT", help="join this MQTT broker (make sim MQTT=localhost:1883), as node "
                    "'sim' under the prefix 'iot', with Home Assistant discovery; on real time")
    ap.add_argument("--web", metavar="PORT", type=int, help="serve the board's web page on this port "
                    "(make sim WEB=8080, then open http://localhost:8080/); on real time")
    args = ap.parse_args()
    if (args.mqtt or args.web) and args.fast:
        ap.error("the network runs on real time (a broker or a browser has its own clock): leave out --fast")
    interpreter = "cpython" if args.python else "micropython"
    trace_path = Path(args.trace).resolve()
    trace_path.parent.mkdir(parents=True, exist_ok=True)
    trace_path.unlink(missing_ok=True)
    flash = trace_path.parent / "flash"  # stands for the board's filesystem, kept between runs
    flash.mkdir(exist_ok=True)
    if args.config:
        shutil.copy(args.config, flash / "config.json")
    else:  # the board's defaults, and the example's button, schedules and automations to try (`press bath_button`)
        (flash / "config.json").write_text(json.dumps(example_config(args.board)))
    if args.no_demo or args.mqtt or args.web or args.fast:
        try:
            cfg = json.loads((flash / "config.json").read_text())
            network = [k for k in ("mqtt", "web") if cfg.get(k) is not None]
            if args.fast and network:  # the config's own network: said once, and left off, not silently dead
                print("sim: %s in config.json left off: the network runs on real time and FAST=1 is simulated "
                      "time; leave out FAST=1 to serve it" % " and ".join(network))
                for k in network:
                    del cfg[k]
            if args.no_demo:
                cfg["demo"] = False
            if args.mqtt:
                mqtt = cfg["mqtt"] = dict(cfg.get("mqtt") or {})
                host, _, port = args.mqtt.rpartition(":")
                mqtt["host"] = host or port  # HOST:PORT, or HOST alone
                if host:
                    mqtt["port"] = int(port) if port.isdigit() else port  # not a number: the firmware says so
                mqtt.setdefault("node", "sim")
            if args.web:
                cfg["web"] = dict(cfg.get("web") or {}, port=args.web)
            (flash / "config.json").write_text(json.dumps(cfg))
        except (ValueError, TypeError):
            pass  # a broken config.json stays as it is: the firmware reports it
    try:
        board = config.load(str(flash / "config.json"))  # a bad file fails here as on the board
    except Exception as e:  # the firmware will say the same and drive nothing
        board = None
        print("config.json: %s" % e)
    if board is not None and board["web"] is not None:  # from WEB= or from the config's own "web"
        w = board["web"]
        print("The web page: http://localhost:%d/ (%s)" % (w["port"], "no password: web.auth is false" if not w["auth"]
              else "user %s, and the password the board shows at its first boot, kept in %s" % (
                  w["user"] or "admin", hostrun.shown(flash / "secrets.json"))))
    if board is not None and board["mqtt"] is not None:
        m = board["mqtt"]
        port = m["port"] or (8883 if m["tls"] else 1883)
        print("On MQTT: %s:%s, as node %s; try: mosquitto_sub -h %s -p %s -t '%s/#' -v" % (
            m["host"], port, m["node"], m["host"], port, m["prefix"]))
    print("Simulating firmware/main.py on %s (%s), board %s" % (
        interpreter, hostrun.shown(hostrun.command(interpreter, "main.py")[0]), board and board["board"]))
    names = board and pintrace.outputs(board)
    rc, out = run(interpreter, flash, trace_path, args.sequential, board and pintrace.Devices(names), args.fast,
                  args.main and Path(args.main).resolve())
    if board is None:
        return rc
    trace = hostrun.read_trace(trace_path)
    for line in timeline(trace, names):
        print(line)
    print("\nMakespan (critical path from the devices' operation times):")
    for m in filter(None, map(DONE.search, out)):
        name, actual, planned = m.group(1), int(m.group(2)), int(m.group(3))
        print("  %-8s %6d ms actual  %6d ms planned  %+5.1f%%" % (name, actual, planned, 100 * (actual - planned) / planned))
    vcd, diagram, png = (trace_path.with_suffix(s) for s in (".vcd", ".svg", ".png"))
    pintrace.write_vcd(trace, names, vcd)
    picture = pintrace.svg(pintrace.changes(trace, names), "%s on %s" % (board["board"], interpreter))
    diagram.write_text(picture)
    print("Trace: %s\nVCD (PulseView, GTKWave): %s\nTiming diagram: %s" % (
        hostrun.shown(trace_path), hostrun.shown(vcd), hostrun.shown(diagram)))
    try:
        pintrace.write_png(picture, png)
        print("Timing diagram: %s" % hostrun.shown(png))
    except RuntimeError as e:
        print("No PNG: %s" % e)
    return rc


if __name__ == "__main__":
    sys.exit(main())
