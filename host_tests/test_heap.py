"""Issue 22: the heap never fails a user. MicroPython on a board-sized heap (the unix port, -X heapsize=256K):
programs are budgeted by what they cost to load, a flood of defines gets a reply per line, and a programs
file the heap cannot take is set aside at boot."""
import json

import hostrun
import pytest
from conftest import launch
from test_hostile import events
from test_shell import replies

HEAP = "256K"
LONG = {"seq": [{"delay": i + 1} for i in range(28)]}  # a 28-step program: about 350 bytes in the file
BUDGET = "this board could not load the programs back at boot"


def boot(interp, folder, lines, config=None):
    (folder / "config.json").write_text(json.dumps(config or {"demo": False, "op_ms": 1}))
    main = [hostrun.FIRMWARE / "main.py"]
    if interp == "micropython":
        main = ["-X", "heapsize=" + HEAP] + main
    run = launch(interp, [main], cwd=folder, trace=folder / "trace.jsonl", input="".join(x + "\n" for x in lines))
    assert run.rc == 0 and "Traceback" not in run.stdout + run.stderr, run.stdout[-1500:] + run.stderr[-2000:]
    assert run.lines[-1] == "event: end of input; all outputs off", run.lines[-3:]
    return run


def micropython_only(interp):
    if interp != "micropython":
        pytest.skip("CPython's heap is the host's: there is no board-sized heap to reach")


def test_a_flood_of_defines_gets_one_reply_each_and_the_shell_goes_on(interp, tmp_path):
    """The flood that once ended the app with a MemoryError out of Commands.reply (its refusal path now allocates
    nothing: test_hostile.py's heap-locked test), with the config.json it was seen with."""
    lines = ["define q%d %s" % (i, json.dumps({"seq": [{"delay": i + 1}, {"send": ["light", "SWITCH_ON"]}]}))
             for i in range(5000)]
    run = boot(interp, tmp_path, lines + ["status"], {"demo": False})
    r = replies(run)
    assert len(r) == 5001 and r[-1].startswith("ok {"), (len(r), r[-1:])
    defined = [x for x in r if x.startswith("ok defined ")]
    refused = [x for x in r[:-1] if x.startswith("error: ")]
    assert len(defined) + len(refused) == 5000 and defined and refused
    assert all(BUDGET in x or "the most there can be" in x or x == "error: out of memory; nothing done"
               for x in refused), set(x[:80] for x in refused)


def test_what_save_says_it_saved_loads_back_at_the_next_boot(interp, tmp_path):
    micropython_only(interp)
    run = boot(interp, tmp_path, ["define p%d %s" % (i, json.dumps(LONG)) for i in range(60)] + ["save"])
    r = replies(run)
    refused = [x for x in r[:60] if x.startswith("error: ")]
    assert refused and all(x.startswith("error: define p") and ": nothing defined: " + BUDGET in x and
                           "bytes of heap beside them, and " in x for x in refused), refused[:2]
    saved = int(r[60].split()[2])
    assert r[60] == "ok saved %d programs to programs.json" % saved and saved == 60 - len(refused)
    again = boot(interp, tmp_path, ["programs", "run p0", "status"])
    assert not [e for e in events(again) if "programs.json" in e], events(again)
    listing = replies(again)[0]
    assert listing.startswith("ok ") and listing.count(", user)") == saved, listing[:200]
    assert replies(again)[1].startswith("ok p0 started") and replies(again)[2].startswith("ok {")


@pytest.mark.parametrize("count", [30, 75], ids=["loads-but-leaves-too-little", "cannot-be-parsed"])
def test_a_programs_file_this_heap_cannot_load_is_set_aside_and_the_board_boots(interp, tmp_path, count):
    """Saved by a board with more heap: 30 programs load here but leave less than this board could have saved
    them with; 75 do not even parse."""
    micropython_only(interp)
    programs = {"p%d" % i: LONG for i in range(count)}
    text = json.dumps({"modes": {}, "programs": programs})
    assert len(text) < 32768  # within the file's own cap: only the heap refuses it
    (tmp_path / "programs.json").write_text(text)
    run = boot(interp, tmp_path, ["programs", "light switch_on", "status"])
    said = [e for e in events(run) if "programs.json" in e]
    assert said == ["event: programs.json: it does not fit in the heap beside the app; set aside as "
                    "programs.json.bad, starting without user programs"], events(run)
    r = replies(run)
    assert r[0].startswith("ok sleep (single, ") and "user" not in r[0], r[0]
    assert r[1] == "ok light SWITCH_ON" and r[2].startswith("ok {")
    assert (tmp_path / "programs.json.bad").read_text() == text and not (tmp_path / "programs.json").exists()
    assert [v for _, v in run.pin("flush") + run.pin("clean")] == [0, 0]  # the relays never switched


def test_a_small_heap_with_no_programs_file_boots_without_a_word(tmp_path, monkeypatch):
    """The load budget judges user programs: with none saved, however little heap is left, nothing is set aside
    (the bench's heap bisection found a boot that tried to rename a file that was not there)."""
    import app
    from iot.commands import programs

    monkeypatch.setattr(programs, "heap_free", lambda: 100)
    said = []
    service, devices = app.build(op_ms=0)
    from iot.commands import Commands

    Commands(service, app.PROGRAMS, str(tmp_path / "programs.json"), said.append).serve()
    assert said == []
    (tmp_path / "programs.json").write_text('{"modes": {}, "programs": {"p": {"delay": 1}}}')
    Commands(service, app.PROGRAMS, str(tmp_path / "programs.json"), said.append).serve()
    assert said == ["event: %s: it does not fit in the heap beside the app; set aside as %s.bad, starting without "
                    "user programs" % (tmp_path / "programs.json", tmp_path / "programs.json")]


def test_main_lets_go_of_the_rp2_module_the_ports_boot_leaves(interp, tmp_path):
    """The rp2 port's _boot.py imports rp2 (its PIO assembler: 1.3 KB of a Pico's heap) into the globals main.py
    then runs in, and leaves it; nothing of the app uses it. Here a stand-in rp2 is imported as _boot.py does,
    and main.py is run in the same globals: the shell still answers, and rp2 is gone from both."""
    (tmp_path / "rp2.py").write_text("PIO = 'the PIO assembler'\n")
    (tmp_path / "config.json").write_text(json.dumps({"demo": False, "op_ms": 1}))
    (tmp_path / "boot_then_main.py").write_text(
        "import sys\nsys.path.insert(0, %r)\nimport rp2\n" % str(tmp_path) +
        "exec(open(%r).read())\n" % str(hostrun.FIRMWARE / "main.py") +
        "print('rp2 kept: %s %s' % ('rp2' in globals(), 'rp2' in sys.modules))\n")
    run = launch(interp, [tmp_path / "boot_then_main.py"], cwd=tmp_path, trace=tmp_path / "trace.jsonl",
                 input="status\n")
    assert replies(run)[0].startswith("ok {") and run.lines[-1] == "rp2 kept: False False", run.stdout[-800:]
