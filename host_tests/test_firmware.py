"""make firmware: the manifest as MicroPython's own build reads it, the image built from the kit, and a clear
word for each thing that is missing."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import hostrun

sys.path.insert(0, str(hostrun.TOOLS))
import firmware as build  # noqa: E402


# build/deploy, build/firmware and build/bundle are shared folders: the tests that build them run in one
# worker (make test: --dist loadgroup)
pytestmark = pytest.mark.xdist_group("build")


def run_tool(*args, env=None):
    return subprocess.run([sys.executable, str(hostrun.TOOLS / "firmware.py"), *args], capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})), cwd=hostrun.ROOT)


# The first build on a new machine extracts the kit and builds picotool and mpy-cross before the image (95 s on a
# quiet 2-core machine): the tests that wait for it have the build's own limit, not pytest.ini's 120 s.
waits_for_the_build = pytest.mark.timeout(build.BUILD_TIMEOUT_S + 60)


@pytest.fixture(scope="module")
def pico_image():
    """make firmware BOARD=pico, once for this file: (its output, the MicroPython sources it built from)."""
    mpy_dir = os.environ.get("MICROPY_DIR")
    if not mpy_dir and not (build.KIT / "build.sh").exists():
        pytest.skip("no MicroPython sources: set MICROPY_DIR to a v1.28.0 checkout (docs/boards.md#a-firmware-image)")
    if build.missing_toolchain():
        pytest.skip("the ARM toolchain is missing: sudo apt-get install -y %s" % " ".join(build.missing_toolchain()))
    done = run_tool("--board", "pico")
    assert done.returncode == 0, done.stdout + done.stderr
    if mpy_dir:
        return done.stdout, Path(mpy_dir)
    cache = Path(os.environ.get("MPY_SRC_CACHE", Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                                / "micropython-src-1.28.0"))
    return done.stdout, cache / "src" / "micropython-1.28.0"


def manifest_files(mpy_dir, port, board):
    """The files MicroPython's tools/manifestfile.py freezes from our manifest for that port and board."""
    done = subprocess.run([sys.executable, str(mpy_dir / "tools" / "manifestfile.py"), "--freeze", "--top", str(mpy_dir),
                           "--port", str(port), "--board", str(board), str(build.MANIFEST)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return re.findall(r"target_path='([^']+)'", done.stdout)


@waits_for_the_build
def test_the_pico_image_builds_with_the_app_frozen_in_and_says_its_sizes(pico_image):
    out, _ = pico_image
    folder = hostrun.ROOT / "build" / "firmware" / "pico"
    assert {"firmware.uf2", "firmware.elf", "firmware.map"} <= {p.name for p in folder.iterdir()}
    size = re.search(r"firmware: build/firmware/pico/firmware.uf2, (\d+) B .* of the 640 KB the RPI_PICO leaves", out)
    assert size and 300_000 < int(size.group(1)) < 640 * 1024, out
    parts = dict(re.findall(r"^  (app|iot/net|microdot|page and version) +\d+ files +(\d+) B$", out, re.M))
    assert set(parts) == {"app", "iot/net", "microdot", "page and version"} and all(int(v) > 1000 for v in parts.values())
    elf = (folder / "firmware.elf").read_bytes()
    for module in (b"iot/service.py", b"iot/net/web.py", b"microdot/microdot.py", b"app.py", b"webpage.py"):
        assert module in elf, module  # frozen modules are named by their path in the image
    import gzip

    page = gzip.compress((hostrun.FIRMWARE / "www" / "index.html").read_bytes(), 9, mtime=0)
    assert page in elf  # the page, whole, as one constant in the flash


@waits_for_the_build
def test_a_second_build_with_nothing_changed_builds_nothing_and_says_the_same(pico_image):
    out, _ = pico_image
    done = run_tool("--board", "pico")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("firmware: build/firmware/pico is up to date: nothing that goes into the image "
                                  "changed since it was built\n"), done.stdout
    assert out.endswith(done.stdout.split("\n", 1)[1])  # the same report as the build's
    assert "build.sh" not in done.stdout + done.stderr


def test_what_goes_into_the_image_is_what_the_stamp_is_made_of(tmp_path, monkeypatch):
    """Any change to a firmware file, or to what is staged beside it, makes the next make firmware build."""
    import shutil

    firmware = tmp_path / "firmware"
    shutil.copytree(hostrun.FIRMWARE, firmware, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(build.hostrun, "FIRMWARE", firmware)
    monkeypatch.setattr(build.hostrun, "ROOT", tmp_path)
    monkeypatch.setattr(build, "STAGE", tmp_path / "frozen")
    (tmp_path / "frozen").mkdir()
    (tmp_path / "frozen" / "webpage.py").write_text("INDEX_HTML_GZ = b''\n")
    before = build.inputs_digest("pico")
    assert build.inputs_digest("pico") == before and build.inputs_digest("pico_w") != before
    (firmware / "www" / "index.html").write_text((firmware / "www" / "index.html").read_text() + " ")
    assert build.inputs_digest("pico") != before
    changed = build.inputs_digest("pico")
    (tmp_path / "frozen" / "webpage.py").write_text("INDEX_HTML_GZ = b'x'\n")
    assert build.inputs_digest("pico") != changed


@waits_for_the_build
def test_the_manifest_loads_under_micropythons_own_manifestfile_for_each_board(pico_image, tmp_path):
    """RPI_PICO has no manifest of its own (the port's is taken), RPI_PICO_W has (networking); ESP32's port is not
    in the kit, so a stand-in of its boards/ layout (no board manifest, the port's with asyncio) proves that path."""
    _, mpy_dir = pico_image
    rp2 = mpy_dir / "ports" / "rp2"
    ours = {"app.py", "boards.py", "config.py", "demo.py", "repl.py", "slots.py", "iot/__init__.py", "iot/commands/runs.py",
            "iot/devices/light/__init__.py", "iot/devices/light/entity.py", "iot/net/web.py", "microdot/microdot.py",
            "microdot/sse.py", "webpage.py", "frozen_build.py"}
    pico = manifest_files(mpy_dir, rp2, rp2 / "boards" / "RPI_PICO")
    assert ours <= set(pico) and "asyncio/core.py" in pico and "main.py" not in pico and "manifest.py" not in pico
    assert not [f for f in pico if f.startswith("network")]
    pico_w = manifest_files(mpy_dir, rp2, rp2 / "boards" / "RPI_PICO_W")
    assert ours <= set(pico_w) and "asyncio/core.py" in pico_w and "aioble/core.py" in pico_w  # the board's own kept
    esp32 = tmp_path / "esp32"
    (esp32 / "boards" / "ESP32_GENERIC").mkdir(parents=True)
    (esp32 / "boards" / "manifest.py").write_text('include("$(MPY_DIR)/extmod/asyncio")\nrequire("bundle-networking")\n')
    files = manifest_files(mpy_dir, esp32, esp32 / "boards" / "ESP32_GENERIC")
    assert ours <= set(files) and "asyncio/core.py" in files
    broken = tmp_path / "broken"
    (broken / "B").mkdir(parents=True)
    (broken / "B" / "manifest.py").write_text('include("missing.py")\n')  # an error inside the board's manifest
    done = subprocess.run([sys.executable, str(mpy_dir / "tools" / "manifestfile.py"), "--freeze", "--top", str(mpy_dir),
                           "--port", str(rp2), "--board", str(broken / "B"), str(build.MANIFEST)],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "missing.py" in done.stderr  # said, not hidden behind the port's defaults


def test_without_sources_or_with_the_wrong_ones_it_says_what_to_get(tmp_path):
    done = run_tool("--board", "pico2_w", env={"MICROPY_DIR": ""})  # the kit holds no RP2350 sources
    assert done.returncode == 2 and "no MicroPython sources for RPI_PICO2_W" in done.stderr
    assert "git clone --depth 1 --branch v1.28.0 https://github.com/micropython/micropython" in done.stderr
    assert "MICROPY_DIR=" in done.stderr
    old = tmp_path / "micropython"
    (old / "py").mkdir(parents=True)
    (old / "py" / "mpconfig.h").write_text("#define MICROPY_VERSION_MAJOR 1\n#define MICROPY_VERSION_MINOR 22\n"
                                           "#define MICROPY_VERSION_MICRO 2\n")
    done = run_tool("--board", "pico", "--micropy-dir", str(old))
    assert done.returncode == 2 and "is MicroPython 1.22.2; the app is built and tested on v1.28.0" in done.stderr
    (old / "py" / "mpconfig.h").write_text("#define MICROPY_VERSION_MAJOR 1\n#define MICROPY_VERSION_MINOR 28\n"
                                           "#define MICROPY_VERSION_MICRO 0\n")
    done = run_tool("--board", "pico", "--micropy-dir", str(old))
    assert done.returncode == 2 and "lacks its submodules: make -C %s/ports/rp2 BOARD=RPI_PICO submodules" % old \
        in done.stderr


def test_a_missing_toolchain_is_named_package_by_package(monkeypatch):
    monkeypatch.setattr(build.shutil, "which", lambda name: None)
    monkeypatch.setattr(build, "sources", lambda *args: ("kit", build.KIT / "build.sh"))
    assert build.missing_toolchain() == ["build-essential", "cmake", "gcc-arm-none-eabi", "libnewlib-arm-none-eabi",
                                         "libstdc++-arm-none-eabi-newlib"]
    with pytest.raises(build.Unbuildable, match="sudo apt-get install -y build-essential cmake gcc-arm-none-eabi"):
        build.build("pico", "", 1, dry_run=False)


def test_esp32_without_esp_idf_prints_the_exact_commands():
    done = run_tool("--board", "esp32", env={"IDF_PATH": ""})
    assert done.returncode == 0, done.stderr
    assert "source $IDF_PATH/export.sh" in done.stdout
    assert ("make -C micropython/ports/esp32 BOARD=ESP32_GENERIC BUILD=build-ESP32_GENERIC-iot FROZEN_MANIFEST=%s "
            "submodules all" % build.MANIFEST) in done.stdout
    assert (build.STAGE / "webpage.py").exists()  # what the manifest takes from outside firmware/ is staged first


def test_the_staged_page_and_version_are_what_the_image_needs():
    build.stage()
    ns = {}
    exec((build.STAGE / "webpage.py").read_text(), ns)
    import gzip

    assert gzip.decompress(ns["INDEX_HTML_GZ"]) == (hostrun.FIRMWARE / "www" / "index.html").read_bytes()
    exec((build.STAGE / "frozen_build.py").read_text(), ns)
    assert ns["VERSION"].startswith(re.search(r'__version__ = "([^"]+)"',
                                              (hostrun.FIRMWARE / "iot" / "__init__.py").read_text()).group(1))
    assert sorted(p.name for p in (build.STAGE / "microdot").iterdir()) == sorted(
        ["__init__.py", "microdot.py", "helpers.py", "sse.py"])
