"""Type-check firmware against each supported port's MicroPython stubs (mypy), as `make test` does.

Each port's pinned stubs go into their own folder (.venv/stubs/PORT), because a
port's `machine` and its stdlib copy replace the ones mypy would otherwise use.

    python tools/typecheck.py                 # firmware/ against rp2 and esp32
    python tools/typecheck.py --port rp2 FILE
"""
import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "tools" / "typecheck"
PORTS = ("rp2", "esp32")


def stubs(port):
    """The port's stub folder, (re)installed with pip when its pinned list changed."""
    pins = HERE / (port + ".txt")
    folder = Path(sys.prefix) / "stubs" / port
    stamp = folder / ".installed"
    if not stamp.exists() or stamp.read_text() != pins.read_text():
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--no-deps", "--upgrade", "--target", str(folder), "-r", str(pins)], check=True)
        stamp.write_text(pins.read_text())
    return folder


def check(port, paths):
    """mypy's exit status (0: clean) and its report, for `paths` against the port's stubs."""
    folder = stubs(port)
    argv = [sys.executable, "-m", "mypy", "--config-file", str(HERE / "mypy.ini"),
            "--custom-typeshed-dir", str(folder), "--cache-dir", str(ROOT / "build" / "mypy" / port),
            *map(str, paths)]
    env = dict(os.environ, MYPYPATH=str(folder))
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", choices=PORTS, action="append", help="default: every supported port")
    parser.add_argument("paths", nargs="*", default=[ROOT / "firmware"])
    args = parser.parse_args(argv)
    failed = 0
    for port in args.port or PORTS:
        status, report = check(port, args.paths)
        print("typecheck %s: %s" % (port, report.strip().splitlines()[-1] if status == 0 else "\n" + report.rstrip()))
        failed |= status
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
