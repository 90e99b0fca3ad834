"""make flash/deploy/run/repl/reset without a board: the exact commands of each dry run, and finding the UF2 drive."""
import subprocess
import sys

import board as tool
import hostrun

BIN = str(tool.BIN)


def dry(*args):
    out = subprocess.run([sys.executable, hostrun.TOOLS / "board.py", *args, "--dry-run"],
                         capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if not line.startswith("#")]


def test_esp32_flash_erases_and_writes_at_0x1000_then_deploys():
    cmds = dry("flash", "--board", "esp32_devkitc", "--port", "/dev/ttyUSB0", "--firmware", "fw.bin")
    assert cmds[:2] == [
        BIN + "/esptool --chip esp32 --port /dev/ttyUSB0 erase-flash",
        BIN + "/esptool --chip esp32 --port /dev/ttyUSB0 --baud 460800 write-flash 0x1000 fw.bin",
    ]
    assert cmds[-1] == BIN + "/mpremote connect /dev/ttyUSB0 reset"


def test_pico_flash_reboots_to_bootsel_and_copies_the_pinned_uf2(monkeypatch):
    cmds = dry("flash", "--board", "pico2_w")
    if cmds[0].startswith("picotool"):  # a machine with picotool loads through it
        assert cmds[0].endswith("--force")
        return
    assert cmds[0] == BIN + "/mpremote bootloader"  # no PORT: mpremote finds the board
    uf2 = str(hostrun.ROOT / ("build/firmware/RPI_PICO2_W-%s.uf2" % tool.RELEASE))
    assert cmds[1] == "cp %s '/media/$USER/RP2350/RPI_PICO2_W-%s.uf2'" % (uf2, tool.RELEASE)
    assert tool.firmware_url("pico2_w") == "https://micropython.org/resources/firmware/RPI_PICO2_W-%s.uf2" % tool.RELEASE


def test_deploy_compiles_everything_but_main_and_copies_changed_files_with_mpremote(tmp_path):
    cfg = tmp_path / "config.json"
    cfg.write_text('{"board": "pico_w"}')
    cmds = dry("deploy", "--board", "pico_w", "--port", "/dev/ttyACM0", "--config", str(cfg))
    out = hostrun.ROOT / "build/deploy/pico_w"
    assert cmds[0].startswith(BIN + "/mpremote connect /dev/ttyACM0 exec 'import sys; v = sys.implementation._mpy")
    assert cmds[1] == "(cd %s && %s/mpremote connect /dev/ttyACM0 fs cp -r app.mpy boards.mpy config.json config.mpy " \
                      "iot main.py repl.mpy :)" % (out, BIN)
    assert cmds[2] == BIN + "/mpremote connect /dev/ttyACM0 reset"
    assert (out / "main.py").read_text() == (hostrun.FIRMWARE / "main.py").read_text()
    assert (out / "iot" / "shell.mpy").read_bytes()[:2] == b"M\x06"  # .mpy version 6
    assert not list(out.rglob("*.py"))[1:]  # main.py is the only source


def test_run_repl_and_reset_are_mpremote_commands():
    assert dry("run", "--port", "COM3") == [BIN + "/mpremote connect COM3 mount %s exec 'import main'" % hostrun.FIRMWARE]
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


def test_flashing_an_unverified_download_is_refused():
    proc = subprocess.run([sys.executable, hostrun.TOOLS / "board.py", "flash", "--board", "pico"],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "no SHA-256 pinned for RPI_PICO-" in proc.stderr + proc.stdout


def test_package_json_lists_every_iot_module_for_mip():
    import json

    urls = json.loads((hostrun.ROOT / "package.json").read_text())["urls"]
    listed = sorted(dest for dest, _ in urls)
    assert listed == sorted("iot/" + p.name for p in (hostrun.FIRMWARE / "iot").glob("*.py"))
    assert all(src.endswith("/firmware/" + dest) and src.startswith("github:") for dest, src in urls)
