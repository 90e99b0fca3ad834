"""make bench: tools/bench/suite.py on CPython and on the MicroPython unix port, side by side.

    python tools/bench/run.py [--json build/bench/results.json] [--port PORT --board pico]

Each interpreter runs the suite in one process (firmware/ and the stub machine
on its path). MicroPython runs it twice more with only the memory figures:
importing firmware/ from .py and from build/mpy (make mpy). The flash footprint
is the size of build/mpy against the sources. With --port, the app is deployed
to that board (make deploy) and the suite runs there too (mpremote run), as a
third column: its relays switch, so disconnect their loads. Prints one table,
each target marked met or missed, and writes every figure as JSON.
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
MPY = hostrun.ROOT / "build" / "mpy"
FLASH_LIMIT = 24 * 1024


def run_suite(interp, *args, firmware=hostrun.FIRMWARE):
    """{key: figure} from one run of the suite."""
    proc = subprocess.run(hostrun.command(interp, SUITE, *args), env=hostrun.environ(firmware=firmware),
                          capture_output=True, text=True, cwd=hostrun.ROOT / "build")
    if proc.returncode:
        raise SystemExit("%s: the suite failed:\n%s%s" % (interp, proc.stdout, proc.stderr))
    return figures_of(proc.stdout)


def run_on_board(port, board):
    """({key: figure}, what the board is) from the suite run on the board, the app deployed first."""
    import board as tool

    if tool.main(["deploy", "--board", board, "--port", port]) != 0:
        raise SystemExit("board: make deploy failed")
    mpremote = [str(tool.BIN / "mpremote"), "connect", port]
    what = subprocess.run(mpremote + ["exec", "import sys; print(sys.implementation._machine, 'MicroPython', "
                                      "'.'.join(str(v) for v in sys.implementation.version[:3]))"],
                          capture_output=True, text=True).stdout.strip()
    proc = subprocess.run(mpremote + ["run", str(SUITE)], capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit("board: the suite failed:\n%s%s" % (proc.stdout, proc.stderr))
    return figures_of(proc.stdout), what


def figures_of(out):
    figures = {}
    for line in out.splitlines():
        if line.startswith("BENCH "):
            fig = json.loads(line[6:])
            figures[fig["key"]] = fig
    return figures


def footprint(network=False):
    """(bytes of .mpy, bytes of .py) of firmware/: the app without iot/net, or iot/net alone."""
    def ours(p, root):
        return (p.relative_to(root).parts[:2] == ("iot", "net")) == network

    mpy = sum(p.stat().st_size for p in MPY.rglob("*.mpy") if ours(p, MPY))
    py = sum(p.stat().st_size for p in hostrun.FIRMWARE.rglob("*.py") if ours(p, hostrun.FIRMWARE))
    return mpy, py


def flash_figures():
    """The flash rows: the app (the target's) and the network beside it, used only when configured."""
    mpy, py = footprint()
    net_mpy, net_py = footprint(network=True)
    return {"flash": {"key": "flash", "name": "flash footprint: the app as .mpy, without iot/net (sources %d)" % py,
                      "unit": "bytes", "min": mpy, "median": mpy, "max": mpy, "runs": 1,
                      "target": "<= %d" % FLASH_LIMIT, "met": mpy <= FLASH_LIMIT, "note": ""},
            "flash_net": {"key": "flash_net", "name": "flash footprint: iot/net as .mpy, when the network is "
                          "configured (sources %d; microdot not counted)" % net_py, "unit": "bytes", "min": net_mpy,
                          "median": net_mpy, "max": net_mpy, "runs": 1, "target": None, "met": None, "note": ""}}


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


COLUMNS = (("cpython", "CPython"), ("micropython", "MicroPython"), ("board", "board"))


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
    results["micropython"] = run_suite("micropython")
    results["micropython"].update(run_suite("micropython", "memory", firmware=MPY))
    results["micropython"].update(flash_figures())
    if args.port:
        results["board"], results["board_is"] = run_on_board(args.port, args.board)
        results["board"].update(flash_figures())
        print("board: %s on %s" % (results["board_is"], args.port), flush=True)
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
