"""The tutorial's program shape, unchanged, on the firmware; and devices written the seed's way (both interpreters)."""
import re
import subprocess
import sys

import hostrun
from conftest import HERE, PINS, launch

OP = 500  # the seed's time per operation


def test_a_program_written_the_tutorials_way_runs_on_the_firmware(interp, tmp_path):
    run = launch(interp, [HERE / "seed_main.py"], cwd=tmp_path, trace=tmp_path / "trace.jsonl")
    assert run.rc == 0, run.stdout + run.stderr
    light_id, speaker_id, toilet_id = [line for line in run.lines if line.startswith("IDS ")][0].split()[1:]
    assert all(re.fullmatch("[A-Z]{8}", i) for i in (light_id, speaker_id, toilet_id))
    # The three registered at once: the first program begins after one connect (0.5 s), not three.
    assert run.edges("light", 1) == [OP] and run.edges("speaker_enable", 1) == [OP]
    # Its PLAY_SONG went with the speaker's SWITCH_ON, before the warm-up: refused by the device, reported,
    # and the program's outputs made safe at once; no note was played.
    assert run.lines[0] == ("event: program: step 3 (%s PLAY_SONG) failed: %s: is off; SWITCH_ON must finish before "
                            "PLAY_SONG; %s, %s safe" % (speaker_id, speaker_id, light_id, speaker_id))
    assert run.edges("light", 0)[-1] == OP and run.edges("speaker_enable", 0)[-1] == OP
    assert [hz for _, hz in run.pwm("speaker") if hz] == []
    # The sleep part: light and speaker off together, then flush, then clean, one after the other.
    assert [(t, v) for t, v in run.pin("flush")][1:] == [(OP, 1), (2 * OP, 0)]
    assert [(t, v) for t, v in run.pin("clean")][1:] == [(2 * OP, 1), (3 * OP, 0)]


def test_make_sim_runs_a_main_file_of_your_own(tmp_path):
    proc = subprocess.run([sys.executable, hostrun.TOOLS / "sim.py", "--fast", "--main", HERE / "seed_main.py",
                           "--trace", tmp_path / "t.jsonl"], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
    assert "PLAY_SONG) failed: " in proc.stdout and "IDS " in proc.stdout


def test_a_device_written_the_seeds_way_takes_part(scenario):
    r = scenario("seed.duck", op_ms=40).result
    lamp = r["id"]
    assert r["got"] == ["connect", [3, "anything"], [1, ""], "disconnect"]  # every message type, data as given
    assert r["plan"] == [40, 40]  # its own time is unknown: the plan counts the light's
    assert r["error"] is None
    assert r["log"] == ["event: mixed done in 40 ms (planned at least 40 ms; %s takes an unknown time)" % lamp]
    assert r["refused"] == "thing: a device needs connect(), disconnect() and send_message()"
