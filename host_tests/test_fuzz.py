"""Bad input, generated: the shell's parser and the program validator never crash, never move a pin
for input they reject, and answer each line with exactly one line.

Hypothesis drives the firmware in this process (CPython, the stub machine recording in memory);
then the lines it rejects here are typed into main.py on both interpreters.
"""
import asyncio
import json
import random

import app
import config
import hostrun
import machine
import pytest
from conftest import launch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from iot import IOTError
from iot.commands import Commands

WORDS = ["light", "speaker", "toilet", "run", "stop", "plan", "define", "mode", "help", "status", "devices",
         "programs", "save", "switch_on", "SWITCH_OFF", "change_color", "play_song", "flush", "clean", "open",
         "wake_up", "sleep", "single", "queued", "40%", "#ff0000", "2s", "red", '"', "\\", "{", "}", "[", "]"]
STEP_KEYS = ["seq", "par", "send", "delay", "sequence", ""]
DEVICES = ["light", "speaker", "toilet", "lamp", 7, None]
MESSAGES = ["SWITCH_ON", "SWITCH_OFF", "PLAY_SONG", "FLUSH", "CLEAN", "OPEN", "DANCE", 3, 99, None]

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=False),
                      st.text(max_size=8), st.sampled_from(DEVICES + MESSAGES))
send_step = st.builds(lambda d, m, rest: {"send": [d, m] + rest}, st.sampled_from(DEVICES),
                      st.sampled_from(MESSAGES), st.lists(json_leaf, max_size=2))
programs = st.recursive(
    st.one_of(json_leaf, send_step, st.builds(lambda ms: {"delay": ms}, st.integers(-5, 10**9) | json_leaf)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(STEP_KEYS), st.lists(inner, max_size=4) | inner, max_size=2),
    ),
    max_leaves=20,
)
lines = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(WORDS) | st.text(max_size=6), min_size=1, max_size=5).map(" ".join),
    st.builds(lambda w, p: w + " " + json.dumps(p), st.sampled_from(["plan", "define fz", "define fz queued"]),
              programs),
)


class Firmware:
    """The app's service and shell on one event loop, with every pin change kept in machine.TRACE."""

    def __init__(self, flash):
        machine.TRACE = []
        self.loop = asyncio.new_event_loop()
        self.service, devices = app.build(config.check({"op_ms": 0}), log=self.said)
        for d in devices.values():
            d.connect_ms = 0
        self.written = []
        self.shell = Commands(self.service, app.PROGRAMS, str(flash / "programs.json"), write=self.said)
        self.loop.run_until_complete(self.service.register_devices(devices))
        self.devices = devices

    def close(self):
        """Every timer task ended, as on a board's reset, before the loop goes."""
        for device in self.devices.values():
            device.deinit()
        self.service.deinit()
        self.loop.run_until_complete(asyncio.sleep(0.05))
        self.loop.close()

    def said(self, line):
        self.written.append(line)

    def reply(self, line):
        """(the reply, whether any pin changed, lines written besides the reply)."""
        changes, self.written = len(machine.TRACE), []
        reply = self.loop.run_until_complete(self.shell.execute(line, console=True))
        moved, written = len(machine.TRACE) != changes, self.written
        if reply.startswith("ok"):  # accepted work: stopped, so the next input starts from rest
            self.loop.run_until_complete(self.shell.execute("stop"))
        return reply, moved, written


@pytest.fixture(scope="module")
def firmware(tmp_path_factory):
    firmware = Firmware(tmp_path_factory.mktemp("flash"))
    yield firmware
    firmware.close()


def rejected(firmware, line):
    """Check one line's answer; True if it was refused."""
    reply, moved, written = firmware.reply(line)
    assert "\n" not in reply and reply.startswith(("ok", "error: ")), (line, reply)
    assert not reply.startswith("error: internal"), (line, reply)  # an unhandled exception, caught last
    if reply.startswith("error: "):
        assert not moved and written == [], (line, reply, written)
        return True
    return False


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=lines)
def test_any_command_line_gets_one_reply_and_a_refusal_moves_no_pin(firmware, line):
    if line.strip().lower().startswith("wait"):
        return  # a valid wait sleeps as long as it is told
    rejected(firmware, line)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(program=programs)
def test_the_validator_refuses_a_bad_program_with_one_clear_error(firmware, program):
    before = len(machine.TRACE)
    try:
        critical, serial = firmware.service.plan(program)
        assert 0 <= critical <= serial
    except IOTError as e:
        assert str(e) and "\n" not in str(e)
    assert len(machine.TRACE) == before


def corpus(n, seed=5):
    """n lines of garbage and near-misses, the same every run."""
    rng = random.Random(seed)
    alphabet = 'abcdefghijklmnopqrstuvwxyz_ %#"\\{}[]:,0123456789\t\x01\x1b\x7e\u00e9\u20ac'
    out = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            line = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        elif kind == 1:
            line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))
        else:
            line = "%s %s" % (rng.choice(["plan", "define fz", "light switch_on"]),
                              json.dumps(rng.choice([{"seq": [1]}, {"par": [{"send": ["lamp", "X"]}]},
                                                     {"delay": -1}, [{"send": ["light"]}], "x" * 2000])))
        out.append(line)
    return out


def test_rejected_garbage_typed_into_main_py_gets_one_error_each_and_moves_nothing(firmware, interp, tmp_path):
    garbage = [line for line in corpus(1500) if line.strip() and not line.lower().startswith("wait")
               and rejected(firmware, line)]
    assert len(garbage) > 1000
    (tmp_path / "config.json").write_text(json.dumps({"demo": False, "op_ms": 0}))
    run = launch(interp, [hostrun.FIRMWARE / "main.py"], cwd=tmp_path, trace=tmp_path / "trace.jsonl",
                 input="".join(line + "\n" for line in garbage))
    assert run.rc == 0, run.stdout[-2000:] + run.stderr
    replies = [line for line in run.lines if line.startswith(("ok", "error:"))]
    assert len(replies) == len(garbage)
    assert [r for r in replies if not r.startswith("error: ") or r.startswith("error: internal")] == []
    assert run.active() == []  # no output was ever driven on
