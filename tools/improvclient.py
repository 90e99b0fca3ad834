"""The real Improv Serial client (npm improv-wifi-serial-sdk, pinned in tools/improv/package-lock.json) run from
Node over a board's console: tools/improv/client.mjs, its packages installed from the lock file at first use."""
import fcntl
import json
import shutil
import subprocess
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "improv"
NO_NODE = "Node.js and npm are not installed (apt install nodejs npm): the Improv client's checks need them"


def missing():
    """None once the client's packages are in place (npm ci, once, whichever process comes first); else why they
    cannot be (no Node.js or npm, or npm could not install them), for a skip to say."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return NO_NODE
    with open(FOLDER / "package.json") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (FOLDER / "node_modules" / "improv-wifi-serial-sdk").exists():
            try:
                subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=FOLDER, check=True,
                               capture_output=True, text=True, timeout=300)
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
                return "npm ci in tools/improv could not install the Improv client (the npm registry?): %s" % (
                    (getattr(e, "stderr", "") or str(e)).strip()[-300:])
    return None


def run(steps, fd=None, tty=None, timeout=90):
    """The client's steps (client.mjs) over an open descriptor `fd` or the serial device `tty`; -> each step's JSON."""
    where = ["--fd", str(fd)] if fd is not None else ["--tty", str(tty)]
    done = subprocess.run(["node", str(FOLDER / "client.mjs"), *where, *steps], pass_fds=() if fd is None else (fd,),
                          capture_output=True, text=True, timeout=timeout, cwd=FOLDER)
    if done.returncode:
        raise RuntimeError("the Improv client failed: " + done.stderr[-3000:])
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
