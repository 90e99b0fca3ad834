"""make bench: tools/bench/suite.py on CPython and on the MicroPython unix port, side by side.

    python tools/bench/run.py [--json build/bench/results.json] [--port PORT --board pico]

Each interpreter runs the suite in one process (firmware/ and the stub machine
on its path). The app's own heap is tools/bench/heap.py's, in a process of its
own: on MicroPython, importing firmware/ from .py and from build/mpy (make mpy); an update's time and
heap are tools/bench/update.py's. The flash footprint
is the size of build/mpy against the sources. With --port, the app is deployed
to that board (make deploy) and the suite runs there too (mpremote run), as a
third column: its relays switch, so disconnect their loads. On a board whose
image has the app frozen in (make firmware), a fourth column: the same suite
with the app files removed, so the frozen app runs. Each board column opens
with the heap free after a real boot, from `status`. The unix port's smallest
heap that runs the demo is bisected. The network's figures (tools/bench/network.py:
an MQTT flood with a broker that acknowledges late or never, a burst of web
requests) are the host's only. Prints one table, each target marked met or
missed, and writes every figure as JSON.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import hostrun  # noqa: E402

SUITE = hostrun.TOOLS / "bench" / "suite.py"
HEAP = hostrun.TOOLS / "bench" / "heap.py"
SCHEDULES = hostrun.TOOLS / "bench" / "schedules.py"
UPDATE = hostrun.TOOLS / "bench" / "update.py"
MPY = hostrun.ROOT / "build" / "mpy"


def run_suite(interp, script=SUITE, firmware=hostrun.FIRMWARE, simulated=False):
    """{key: figure} from one run of the suite (or of heap.py or update.py; schedules.py on simulated time)."""
    proc = subprocess.run(hostrun.command(interp, script), env=hostrun.environ(firmware=firmware, simulated=simulated),
                          capture_output=True, text=True, cwd=hostrun.ROOT / "build")
    if proc.returncode:
        raise SystemExit("%s: %s failed:\n%s%s" % (interp, script.name, proc.stdout, proc.stderr))
    return figures_of(proc.stdout)


def boot_figures(port, kind):
    """The heap free after a real boot (main.py: the demo, then the shell), as the board's `status` says it, and the
    time from the reset to `ready for commands` (the board's own ticks: they start at its reset), demo off."""
    import board as tool

    where = "frozen in the image" if kind == "frozen" else "as .mpy files"
    free = firmware_status(port)["heap_free"]
    figures = {"boot_free_" + kind: info("boot_free_" + kind, "heap free after boot (demo done, shell ready: status), "
                                         "app %s" % where, "bytes", free)}
    mpremote = [str(tool.BIN / "mpremote"), "connect", port]
    config = hostrun.ROOT / "build" / "bench" / "config.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps({"demo": False}))
    subprocess.run(mpremote + ["fs", "cp", str(config), ":config.json"], check=True, capture_output=True)
    try:
        ready = firmware_status(port)["ready_ms"]
    finally:
        subprocess.run(mpremote + ["exec", "import os; os.remove('config.json')"], check=True, capture_output=True)
    figures["ready_" + kind] = info("ready_" + kind, "reset to `ready for commands`, demo off, app %s" % where, "ms",
                                    ready)
    return figures


def firmware_status(port):
    """`status`'s "firmware" part, asked right after a reset and `ready for commands`."""
    import board_test

    con = board_test.Console(port)
    try:
        if con.reset() is None:
            raise SystemExit("board: no 'ready for commands' after a reset")
        reply = con.command("status") or ""
    finally:
        con.ser.write(b"\x03")  # main.py ends: every output off, the REPL for mpremote
        con.ser.close()
    if not reply.startswith("ok {"):
        raise SystemExit("board: status said %r" % reply[:200])
    return json.loads(reply[3:])["firmware"]


def info(key, name, unit, value):
    """A figure measured once, with no target."""
    return {"key": key, "name": name, "unit": unit, "min": value, "median": value, "max": value, "runs": 1,
            "target": None, "met": None, "note": ""}


def run_on_board(port, board, app="files"):
    """({key: figure}, what the board is) from the suite run on the board, the app deployed first: as .mpy
    files, or (app="frozen", on an image make firmware built) only main.py beside the frozen app."""
    import board as tool

    if tool.main(["deploy", "--board", board, "--port", port, "--app", app]) != 0:
        raise SystemExit("board: make deploy failed")
    figures = boot_figures(port, "frozen" if app == "frozen" else "mpy")
    mpremote = [str(tool.BIN / "mpremote"), "connect", port]
    what = subprocess.run(mpremote + ["exec", "import sys; print(sys.implementation._machine, 'MicroPython', "
                                      "'.'.join(str(v) for v in sys.implementation.version[:3]))"],
                          capture_output=True, text=True).stdout.strip()
    for script in (HEAP, UPDATE, SUITE):  # each from a soft reset: the heap figures see nothing of the others'
        proc = subprocess.run(mpremote + ["run", str(script)], capture_output=True, text=True)
        if proc.returncode:
            raise SystemExit("board: %s failed:\n%s%s" % (script.name, proc.stdout, proc.stderr))
        figures.update(figures_of(proc.stdout))
    return figures, what


def board_has_frozen_app(port):
    import board as tool

    return tool.app_mode(port, tool.Plan(False)) == "frozen"


def figures_of(out):
    figures = {}
    for line in out.splitlines():
        if line.startswith("BENCH "):
            fig = json.loads(line[6:])
            figures[fig["key"]] = fig
    return figures


def footprint(network=False):
    """(bytes of .mpy, bytes of .py) of firmware/: the app without iot/net, or iot/net alone."""
    def ours(p, root):  # the freeze manifest goes on no board
        rel = p.relative_to(root)
        return (rel.parts[:2] == ("iot", "net")) == network and rel.with_suffix(".py") != \
            hostrun.FREEZE_MANIFEST.relative_to(hostrun.FIRMWARE)

    mpy = sum(p.stat().st_size for p in MPY.rglob("*.mpy") if ours(p, MPY))
    py = sum(p.stat().st_size for p in hostrun.FIRMWARE.rglob("*.py") if ours(p, hostrun.FIRMWARE))
    return mpy, py


def flash_figures():
    """The flash rows: the app (the target's) and the network beside it, used only when configured."""
    mpy, py = footprint()
    net_mpy, net_py = footprint(network=True)
    return {"flash": {"key": "flash", "name": "flash footprint: the app as .mpy, without iot/net (sources %d)" % py,
                      "unit": "bytes", "min": mpy, "median": mpy, "max": mpy, "runs": 1, "target": None, "met": None,
                      "note": ""},
            "flash_net": {"key": "flash_net", "name": "flash footprint: iot/net as .mpy, when the network is "
                          "configured (sources %d; microdot not counted)" % net_py, "unit": "bytes", "min": net_mpy,
                          "median": net_mpy, "max": net_mpy, "runs": 1, "target": None, "met": None, "note": ""}}


def boots_with_heap(kb, folder):
    """Does main.py (from build/mpy) run the demo and then the shell's `status` on a heap of `kb` KB? Each boot
    from no update state: the bisect's failed boots would otherwise count, and the third start safe mode
    (slots.py), which runs no demo."""
    import shutil

    shutil.rmtree(folder / "slots.d", ignore_errors=True)
    exe = hostrun.micropython()
    proc = subprocess.run([exe, "-X", "heapsize=%dK" % kb, "-m", "main"], input="status\n",
                          env=hostrun.environ(firmware=MPY), capture_output=True, text=True, cwd=folder, timeout=120)
    return proc.returncode == 0 and "event: demo done" in proc.stdout and "\nok {" in proc.stdout \
        and "MemoryError" not in proc.stdout + proc.stderr


def smallest_heap():
    """The smallest unix-port heap (-X heapsize, bisected to 4 KB) that runs the demo with the shell, from .mpy."""
    folder = hostrun.ROOT / "build" / "bench" / "heap"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"op_ms": 10}))
    low, high = 32, 512  # KB: low fails, high runs
    if not boots_with_heap(high, folder):
        raise SystemExit("the demo does not run on a %d KB unix-port heap" % high)
    while high - low > 4:
        mid = (low + high) // 2
        if boots_with_heap(mid, folder):
            high = mid
        else:
            low = mid
    kb = high * 1024
    return {"smallest_heap": {"key": "smallest_heap", "name": "smallest unix-port heap (-X heapsize) that runs the "
                              "demo with the shell, from .mpy", "unit": "bytes", "min": kb, "median": kb, "max": kb,
                              "runs": 1, "target": None, "met": None, "note": ""}}


def versions():
    exe = hostrun.micropython()
    code = "import sys; print('.'.join([str(v) for v in sys.implementation.version if v != '']), sys.platform)"
    mp = subprocess.run([exe, "-c", code], capture_output=True, text=True).stdout.strip()
    return {"cpython": platform.python_version(), "micropython": mp}


def cpu():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return "%s, %d CPUs" % (line.split(":", 1)[1].strip(), os.cpu_count())
    except OSError:
        pass
    return platform.processor() or platform.machine()


def number(v):
    return "%d" % round(v) if abs(v) >= 100 else "%.3g" % v


def fmt(fig):
    if fig is None:
        return "n/a"
    if fig["runs"] == 1:
        return number(fig["median"])
    if fig["key"].startswith("edge"):  # every edge counts, not only the typical one
        return "%s (%s to %s)" % (number(fig["median"]), number(fig["min"]), number(fig["max"]))
    return "%s (min %s)" % (number(fig["median"]), number(fig["min"]))


COLUMNS = (("cpython", "CPython"), ("micropython", "MicroPython"), ("board", "board, .mpy"),
           ("board_frozen", "board, frozen"))


def table(results):
    columns = [(key, label) for key, label in COLUMNS if key in results]
    keys = []
    for interp, _ in columns:
        for key in results[interp]:
            if key not in keys:
                keys.append(key)
    rows = []
    for key in keys:
        figs = [results[interp].get(key) for interp, _ in columns]
        any_fig = [f for f in figs if f][0]
        met = [label for f, (_, label) in zip(figs, columns) if f is not None and f["met"]]
        judged = [label for f, (_, label) in zip(figs, columns) if f is not None and f["met"] is not None]
        verdict = "" if not judged else ("met" if met == judged else "MISSED" if not met else
                                         "met on %s only" % " and ".join(met))
        rows.append((any_fig["name"], any_fig["unit"], *[fmt(f) for f in figs], any_fig["target"] or "", verdict))
    return [("figure", "unit", *[label for _, label in columns], "target", "")] + rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default=str(hostrun.ROOT / "build" / "bench" / "results.json"))
    parser.add_argument("--port", default="", help="a board's serial port: run the suite there too")
    parser.add_argument("--board", default="pico", type=hostrun.board_arg)
    args = parser.parse_args(argv)
    (hostrun.ROOT / "build").mkdir(exist_ok=True)
    results = {"machine": cpu(), "versions": versions()}
    print("machine: %s; CPython %s; MicroPython %s unix port" % (results["machine"], results["versions"]["cpython"],
                                                       results["versions"]["micropython"]), flush=True)
    results["cpython"] = run_suite("cpython")
    results["cpython"].update(run_suite("cpython", SCHEDULES, simulated=True))
    results["cpython"].update(run_suite("cpython", UPDATE))
    results["micropython"] = run_suite("micropython")
    results["micropython"].update(run_suite("micropython", SCHEDULES, simulated=True))
    results["micropython"].update(run_suite("micropython", UPDATE))
    results["micropython"].update(run_suite("micropython", HEAP))
    results["micropython"].update(run_suite("micropython", HEAP, firmware=MPY))
    results["micropython"].update(flash_figures())
    results["micropython"].update(smallest_heap())
    import network as net  # tools/bench/network.py

    for interp in ("cpython", "micropython"):
        results[interp].update(net.figures(interp))
    if args.port:
        frozen = board_has_frozen_app(args.port)
        results["board"], results["board_is"] = run_on_board(args.port, args.board)
        results["board"].update(flash_figures())
        if frozen:  # the same image runs the app frozen once the files that shadow it are gone
            results["board_frozen"], _ = run_on_board(args.port, args.board, app="frozen")
        print("board: %s on %s%s" % (results["board_is"], args.port, ", its image with the app frozen in (make "
                                     "firmware)" if frozen else ""), flush=True)
    rows = table(results)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=1))
    print("figures as JSON: %s" % args.json)


if __name__ == "__main__":
    main()
