"""The simulator: main.py on every board, the live device view, and the trace as VCD, SVG and PNG."""
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import hostrun
import pintrace
from boards import BOARDS
from vcd.reader import TokenKind, tokenize

SO_WHAT = ["D5", "A4", "B4", "C5", "D5", "E5", "C5", "E5", "D5"]


def test_make_sim_runs_the_demo_on_every_board_and_shows_it(tmp_path):
    runs = {}
    for board in sorted(BOARDS):  # all boards at once: the melody sets the time, about 3 s
        cfg = tmp_path / ("%s.json" % board)
        cfg.write_text(json.dumps({"board": board, "op_ms": 20}))
        trace = tmp_path / board / "trace.jsonl"
        runs[board] = (trace, subprocess.Popen(
            [sys.executable, hostrun.TOOLS / "sim.py", "--config", cfg, "--trace", trace],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for board, (trace, proc) in runs.items():
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, out + err
        lines = out.splitlines()
        assert lines[0].startswith("Simulating firmware/main.py on micropython") and lines[0].endswith("board " + board)
        # The live view: each note of the song as it sounds, the relays as they switch.
        live = [line.split("~ ", 1)[1] for line in lines if "~ " in line]
        notes = [part.split()[1] for line in live for part in line.split(" | ") if part.startswith("speaker ")
                 and "Hz" in part]
        assert notes == SO_WHAT, live
        assert any("toilet flush ON, clean off" in line for line in live)
        assert any("toilet flush off, clean ON" in line for line in live)
        assert live[-1].startswith("light off ") and "speaker off" in live[-1]
        assert any(line.startswith("  demo ") and "planned" in line for line in lines)
        # VCD: the speaker's frequency lane carries the melody.
        hz = []
        with open(trace.with_suffix(".vcd"), "rb") as f:
            ids = {}
            for tok in tokenize(f):
                if tok.kind is TokenKind.VAR:
                    ids[tok.data.id_code] = tok.data.reference
                elif tok.kind is TokenKind.CHANGE_SCALAR or tok.kind is TokenKind.CHANGE_VECTOR:
                    if ids.get(tok.data.id_code) == "speaker_hz":
                        hz.append(tok.data.value)
        assert [pintrace.note(h) for h in hz if type(h) is int][1:] == SO_WHAT  # after the 440 Hz it is created at
        # The diagram: a lane per output, notes written in.
        svg = ET.parse(trace.with_suffix(".svg")).getroot()
        texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
        for lane in ("status_led", "light", "speaker", "speaker_enable", "flush", "clean", "lid"):
            assert lane in texts
        assert "E5 659 Hz" in texts or "E5" in texts
        assert trace.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_states_read_back_what_the_firmware_meant():
    assert pintrace.state("light", {"duty_u16": 10485}) == ("40%", pintrace.state("light", {"duty_u16": 10485})[1])
    assert pintrace.state("light", {"duty_u16": 65535 - 10485}, active_low=True)[0] == "40%"
    assert pintrace.state("light", {"duty_u16": 65535}, active_low=True)[0] == "off"
    assert pintrace.state("speaker", {"freq": 587, "duty_u16": 32768})[0] == "D5 587 Hz"
    assert pintrace.state("speaker", {"freq": 587, "duty_u16": 0})[0] == "silent"
    assert pintrace.state("lid", {"freq": 50, "duty_u16": 1611 * 65535 // 20000})[0] == "100 deg"
    assert pintrace.state("flush", {"value": 0}, active_low=True) == ("on", 1.0)
    assert pintrace.state("light", {"rgb": [255, 136, 0]}) == ("#ff8800", 1.0)
    names = pintrace.outputs({"pins": {"light": [13, 14, 12], "lid": None}, "active_low": ["light"]})
    assert names == {13: ("light_r", True), 14: ("light_g", True), 12: ("light_b", True)}


def test_a_scripted_session_through_the_simulators_stdin(tmp_path):
    proc = subprocess.run([sys.executable, hostrun.TOOLS / "sim.py", "--no-demo", "--trace", tmp_path / "t.jsonl"],
                          input="light switch_on\nrun wake_up\nbogus\n", capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    said = [line.split(" ms  ", 1)[1] for line in proc.stdout.splitlines()
            if line[:8].strip().isdigit() and " ms  " in line and "~ " not in line]  # the firmware's lines
    replies = [line for line in said if line.startswith(("ok", "error:"))]
    assert replies == ["ok light SWITCH_ON", "ok wake_up started (planned 2746 ms)",
                       "error: unknown command or device 'bogus'; try help"]
    assert "event: registered light, speaker, toilet in" not in " ".join(said)  # no demo
    assert any(line.startswith("event: wake_up done in ") for line in said)
    assert said[-1] == "event: end of input; all outputs off"


def test_make_sim_fast_runs_a_day_long_program_at_once_on_simulated_time(tmp_path):
    day = '{"seq": [{"send": ["toilet", "FLUSH"]}, {"delay": 86400000}, {"send": ["light", "SWITCH_ON"]}]}'
    proc = subprocess.run([sys.executable, hostrun.TOOLS / "sim.py", "--no-demo", "--fast", "--trace",
                           tmp_path / "t.jsonl"], input="define day %s\nrun day\nwait 3600000\nwait\n" % day,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
    assert "event: day done in 86401000 ms (planned 86401000 ms)" in proc.stdout
    trace = hostrun.read_trace(tmp_path / "t.jsonl")
    light_on = [r["t_us"] for r in trace if r["pin"] == 15 and r.get("duty_u16")]
    flush_on = [r["t_us"] for r in trace if r["pin"] == 18 and r.get("value")]
    assert light_on[0] - flush_on[0] == (500 + 86400000) * 1000  # the flush and a day, in simulated µs, exactly


def test_make_sim_says_where_the_configs_own_page_is_served_or_why_not(tmp_path):
    """`make sim CONFIG=file` with "web" in that file serves the page and says where; with FAST=1 (simulated
    time, which no browser shares) it says in one line that it left the network off, and what to type."""
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"op_ms": 0, "demo": False, "web": {"port": 1}, "mqtt": {"host": "127.0.0.1", "port": 1}}))
    out = {}
    for fast in (False, True):
        proc = subprocess.run([sys.executable, hostrun.TOOLS / "sim.py", "--config", cfg, "--trace",
                               tmp_path / str(fast) / "trace.jsonl"] + (["--fast"] if fast else []),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        out[fast] = proc.stdout.splitlines()
    assert out[False][0] == ("The web page: http://localhost:1/ (user admin, and the password the board shows at its "
                             "first boot, kept in %s)" % (tmp_path / "False" / "flash" / "secrets.json"))
    assert out[False][1].startswith("On MQTT: 127.0.0.1:1, as node ")
    assert out[True][0] == ("sim: mqtt and web in config.json left off: the network runs on real time and FAST=1 "
                            "is simulated time; leave out FAST=1 to serve it")
    assert out[True][1].startswith("Simulating firmware/main.py")
