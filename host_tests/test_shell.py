"""The serial shell, driven through main.py's stdin on both interpreters: replies, pins, modes, storage, bad input."""
import json

import hostrun
from conftest import AT_ONCE, LATE, launch, near

OP = 100
BLINK = '{"seq": [{"send": ["light", "SWITCH_ON"]}, {"delay": 200}, {"send": ["light", "SWITCH_OFF"]}]}'


def session(interp, flash, script, cfg=None):
    """main.py in `flash` (the board's files) with `script` typed on its console; -> Run."""
    (flash / "config.json").write_text(json.dumps(cfg or {"demo": False, "op_ms": OP}))
    return launch(interp, [hostrun.FIRMWARE / "main.py"], cwd=flash, trace=flash / "trace.jsonl", input=script)


def replies(run):
    return [line for line in run.lines if line.startswith(("ok", "error:"))]


def test_device_commands_reply_at_once_and_report_when_done(interp, tmp_path):
    run = session(interp, tmp_path, 'light switch_on 40%\ntoilet FLUSH\nspeaker switch_on\nwait\n'
                                    'speaker play_song "test:d=16,o=5,b=375:c,e"\nwait\nstatus\n')
    assert run.rc == 0, run.stdout + run.stderr
    r = replies(run)
    assert r[:5] == ["ok light SWITCH_ON 40%", "ok toilet FLUSH", "ok speaker SWITCH_ON", "ok all work done",
                     "ok speaker PLAY_SONG test:d=16,o=5,b=375:c,e"]
    status = json.loads(r[-1][3:])
    assert status["light"] == {"on": True, "brightness": 40, "level": "#666666"}
    assert status["speaker"]["ready"] is True and status["toilet"]["flush"] == 0
    events = [line for line in run.lines if line.startswith("event: ")]
    assert "event: toilet FLUSH done in" in " ".join(events) and events[-1] == "event: end of input; all outputs off"
    assert [hz for _, hz in run.pwm("speaker") if hz] == [523, 659]
    flush = run.pin("flush")
    assert [v for _, v in flush] == [0, 1, 0] and near(flush[2][0] - flush[1][0], OP, late=LATE)
    assert run.final()[15] == 0 and run.final()[17] == 0  # the end of input switched everything off


def test_stop_cancels_a_program_mid_way_and_leaves_everything_safe(interp, tmp_path):
    run = session(interp, tmp_path, "run wake_up\nwait 300\nstop wake_up\nprograms\nrun wake_up\nstop\n")
    r = replies(run)
    assert r[0] == "ok wake_up started (planned %d ms)" % (OP + 2246)
    assert r[1:3] == ["ok waited 300 ms", "ok stopped wake_up; light, speaker safe"]
    assert r[3] == "ok sleep (single, %d ms), wake_up (single, %d ms)" % (2 * OP, OP + 2246)
    assert r[4].startswith("ok wake_up started") and r[5] == "ok stopped wake_up; all outputs safe"
    assert any(line.startswith("event: wake_up cancelled after ") for line in run.lines)
    tones = [(t, hz) for t, hz in run.pwm("speaker") if hz]
    assert tones and tones[0][1] == 587  # the song had begun: D5
    enable_off = run.edges("speaker_enable", 0)[1]
    last = [(t, hz) for t, hz in run.pwm("speaker") if t <= enable_off + AT_ONCE][-1]
    assert last[1] == 0 and near(last[0], enable_off, early=AT_ONCE + 10, late=AT_ONCE)  # silent by the stop
    assert near(enable_off, run.edges("speaker_enable", 1)[0] + 300, early=10, late=LATE + 10)
    assert not [t for t, hz in tones if t > enable_off + AT_ONCE and t < run.edges("speaker_enable", 1)[-1]]


def test_run_modes_single_restart_queued_parallel(interp, tmp_path):
    script = ("define blink %s\nrun blink\nrun blink\nmode blink queued\nrun blink\nmode blink parallel\n"
              "run blink\nmode blink restart\nrun blink\nwait\nmode blink sideways\n") % BLINK
    run = session(interp, tmp_path, script)
    r = replies(run)
    assert r == [
        "ok defined blink (planned %d ms); save keeps it" % (2 * OP + 200),
        "ok blink started (planned 400 ms)",
        "error: blink is already running (mode single; see: mode blink restart|queued|parallel)",
        "ok blink mode queued",
        "ok blink queued (planned 400 ms)",
        "ok blink mode parallel",
        "ok blink started (planned 400 ms)",
        "ok blink mode restart",
        "ok blink restarted (planned 400 ms)",
        "ok all work done",
        "error: mode <program> single|restart|queued|parallel",
    ]
    events = [line for line in run.lines if line.startswith("event: blink")]
    assert sum(e.startswith("event: blink done") for e in events) == 1  # only the restarted run finished
    assert sum("cancelled" in e for e in events) == 3


def test_defined_programs_survive_a_reboot_and_a_corrupt_file_is_set_aside(interp, tmp_path):
    first = session(interp, tmp_path, "define nap queued %s\nsave\n" % BLINK)
    assert replies(first)[1] == "ok saved 1 programs to programs.json"
    assert not (tmp_path / "programs.json.tmp").exists()
    second = session(interp, tmp_path, "programs\nrun nap\n")  # the board restarted
    assert replies(second)[0] == "ok nap (queued, 400 ms, user), sleep (single, 200 ms), wake_up (single, 2346 ms)"
    assert any(line.startswith("event: nap done in ") for line in second.lines)
    (tmp_path / "programs.json").write_text('{"programs": {"nap": ')  # a cut mid-write, without the rename
    third = session(interp, tmp_path, "programs\n")
    assert "event: programs.json: it is not valid JSON; set aside as programs.json.bad, starting without user programs" \
        in third.lines
    assert replies(third) == ["ok sleep (single, 200 ms), wake_up (single, 2346 ms)"]
    assert (tmp_path / "programs.json.bad").exists() and not (tmp_path / "programs.json").exists()
    (tmp_path / "programs.json.tmp").write_text(json.dumps({"programs": {"nap": json.loads(BLINK)}, "modes": {}}))
    fourth = session(interp, tmp_path, "programs\n")  # the cut came between writing and renaming
    assert replies(fourth)[0].startswith("ok nap (single, 400 ms, user)")


BAD = [
    ("x" * 1100, "error: line over 1024 characters; ignored"),
    ("light switch_on\x07", "error: control character 0x07 in the line; ignored"),
    ("import os", "error: unknown command or device 'import'; try help"),
    ("__import__('os').system('ls')", "error: unknown command or device \"__import__('os').system('ls')\"; try help"),
    ('speaker play_song "So What', "error: bad quoting: a quote is not closed"),
    ('light sw"itch_on', "error: bad quoting: a quote inside a word"),
    ("light dance", "error: unknown message type 'DANCE'"),
    ("light", "error: light: which message? it takes SWITCH_ON, SWITCH_OFF"),
    ("light switch_on 400%", "error: light: '400%': brightness is one value from 0% to 100%"),
    ("toilet switch_on", "error: toilet: does not take SWITCH_ON"),
    ("run nothing", "error: no program 'nothing'; programs: sleep, wake_up"),
    ("stop wake_up", "error: wake_up is not running"),
    ("plan {\"seq\": [", "error: bad JSON: the program is not valid JSON"),
    ("plan {\"seq\": [{\"send\": [\"lamp\", \"SWITCH_ON\"]}]}", "error: step 1: unknown device 'lamp'"),
    ("define Bad-Name {\"delay\": 1}", "error: 'Bad-Name' is no program name: 1 to 24 of a-z, 0-9 and _"),
    ("define wake_up {\"delay\": 1}", "error: wake_up is built in; pick another name"),
    ("define x {\"delay\": -1}", "error: program: delay takes whole milliseconds from 0 to 86400000"),
    ("define x", "error: define <name> [mode] <program as JSON>"),
    ("wait soon", "error: wait takes a time in ms up to 3600000"),
]


def test_bad_input_gets_one_error_line_each_and_moves_no_pin(interp, tmp_path):
    run = session(interp, tmp_path, "".join(line + "\n" for line, _ in BAD) + "\n   \n")
    assert run.rc == 0, run.stdout + run.stderr
    assert replies(run) == [reply for _, reply in BAD]
    assert run.active() == []  # nothing but the outputs' creation at their off level


def test_the_repl_helper_runs_each_command_to_completion(interp, tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"op_ms": OP}))
    script = 'from repl import cmd; cmd("light switch_on 40%"); cmd("toilet flush"); cmd("bogus"); cmd("status")'
    run = launch(interp, ["-c", script], cwd=tmp_path, trace=tmp_path / "trace.jsonl")
    assert run.rc == 0, run.stdout + run.stderr
    said = [line.rsplit(" in ", 1)[0] if line.startswith("event:") else line for line in run.lines[:5]]
    assert said == ["ok light SWITCH_ON 40%", "event: light SWITCH_ON done", "ok toilet FLUSH",
                    "event: toilet FLUSH done", "error: unknown command or device 'bogus'; try help"]
    assert json.loads(run.lines[5][3:])["light"]["brightness"] == 40
    assert [v for _, v in run.pin("flush")] == [0, 1, 0]


def test_an_event_never_tears_a_half_typed_line_and_lines_end_once(scenario):
    run = scenario("console.typing_with_an_event")
    assert run.result["lines"] == ["toilet flush"]
    # Echo, then the event on a cleared line with the typed part drawn again; one "\n" per line end (the
    # board's stdout makes it "\r\n"), Backspace wiping one character.
    assert run.result["out"] == ("toi" "\r\x1b[Kevent: sleep done in 1004 ms (planned 1000 ms)\ntoi"
                                 "let flusj\b \bh\n" "ok toilet FLUSH\n")
