"""make run: firmware/ runs on the board from this machine (mpremote mount), with the console forwarded both ways.

    python tools/mountrun.py [--port PORT] [FOLDER]

`mpremote mount … exec 'import main'` follows the board's output but sends it no keys, and
`mpremote repl` first leaves the raw REPL by typing Ctrl-B into the running program. So this
puts mpremote's own pieces together: connect, mount, start main.py without following it, then
a console loop like mpremote's repl (reading through the mount, so the board's imports are
served). Leaving with Ctrl-] or Ctrl-X, with Ctrl-C (which reaches main.py first: every output
off), or when main.py ends, stops main.py, unmounts and soft-resets the board, so it is never
left in a dead mount.
"""
import argparse
import sys
import time
from pathlib import Path

from mpremote.commands import do_connect, do_disconnect, do_mount
from mpremote.console import Console
from mpremote.main import State

LEAVE = (b"\x1d", b"\x18")  # Ctrl-] and Ctrl-X, as in mpremote's repl
CTRL_C = b"\x03"
END = b"\x04>"  # the raw REPL's end of a run


def forward(transport, console):
    """Keys to the board, its output to the terminal, until a way out; True if main.py ended by itself."""
    seen = b""
    while True:
        console.waitchar(transport.serial)
        c = console.readchar()
        if c in LEAVE:
            return False
        if c:
            transport.serial.write(c)
            if c == CTRL_C:
                return False
        n = transport.serial.inWaiting()
        if n:
            data = transport.serial.read(n)
            seen = (seen + data)[-8:]
            console.write(data.replace(b"\x04", b""))
            if END in seen:
                return True


def drain(transport, console, until=END, timeout_s=3.0):
    """Show what the board says until `until` (or a quiet timeout)."""
    seen = b""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        n = transport.serial.inWaiting()
        if n:
            data = transport.serial.read(n)
            seen += data
            console.write(data.replace(b"\x04", b""))
            if until in seen:
                return
        else:
            time.sleep(0.01)


def run(port, folder, code="import main"):
    state = State()
    do_connect(state, argparse.Namespace(device=[port or "auto"]))
    console = Console()
    try:
        do_mount(state, argparse.Namespace(path=[str(folder)], unsafe_links=False))
        print("Running main.py from %s on the board; Ctrl-] or Ctrl-C leaves (the board is soft-reset)" % folder)
        state.transport.exec_raw_no_follow(code)
        console.enter()
        try:
            ended = forward(state.transport, console)
            if not ended:
                state.transport.serial.write(CTRL_C)  # main.py stops: its finally switches every output off
                drain(state.transport, console)
        finally:
            console.exit()
        state.transport.enter_raw_repl(soft_reset=False)  # a fresh raw REPL prompt for the next commands
        state.transport.umount_local()
        state.transport.enter_raw_repl(soft_reset=True)  # a clean board: no mount, nothing running
        print("\nThe board was soft-reset.")
    finally:
        do_disconnect(state)


def main(argv=None):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import hostrun

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", default="", help="serial port (default: the first board mpremote finds)")
    ap.add_argument("folder", nargs="?", default=str(hostrun.FIRMWARE))
    args = ap.parse_args(argv)
    run(args.port, args.folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
