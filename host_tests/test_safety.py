"""A failing step, a cancel or a crash leaves every output in its safe state, on both interpreters."""
from conftest import AT_ONCE, LATE, PINS, REAL_EARLY, REAL_LATE, assert_all_off_at, near

OP = 40


def test_failing_step_cancels_siblings_and_makes_everything_safe(scenario):
    run = scenario("safety.failing_step", op_ms=OP)
    r = run.result
    fail_at = r["start_ms"] + OP / 2
    assert near(r["failed_ms"], fail_at)
    assert r["error"] == "step 4.1 (faulty SWITCH_ON) failed: jammed"
    assert r["log"][0] == "event: busy: step 4.1 (faulty SWITCH_ON) failed: jammed; light, toilet, speaker, faulty safe"
    # Half-way through the first steps: the flush is cut short and everything goes off...
    assert near(run.edges("flush", 0)[-1], fail_at, early=1, late=AT_ONCE)
    assert_all_off_at(run, r["failed_ms"])
    # ...and no later step starts: no CLEAN after the flush, no song after the warm-up.
    assert run.edges("clean", 1) == []
    assert [hz for _, hz in run.pwm("speaker") if hz] == []
    # The service takes the next program: the light goes on and off again.
    assert r["after_error"] is None
    assert r["log"][1].startswith("event: after done in")
    assert [t for t in run.edges("light", 1) if t > r["failed_ms"]] != []
    assert [r2 for r2 in run.active() if r["failed_ms"] + AT_ONCE < r2["t_us"] / 1000 < r["after_ms"]] == []
    assert set(run.final().values()) == {0}


def test_cancel_makes_everything_safe_and_is_reported(scenario):
    run = scenario("safety.cancel", op_ms=OP)
    r = run.result
    assert r["outcome"] == "cancelled"
    assert len(r["log"]) == 1 and r["log"][0].startswith("event: busy cancelled after ")
    assert r["log"][0].endswith(" ms: cancelled; light, toilet, speaker safe")
    assert near(r["cancel_ms"], r["start_ms"] + OP / 2)
    assert near(run.edges("flush", 0)[-1], r["cancel_ms"], early=1, late=AT_ONCE)
    assert_all_off_at(run, r["cancel_ms"])
    # Nothing the program would have done next happens after the cancel.
    assert [x for x in run.active() if x["t_us"] / 1000 > r["cancel_ms"] + AT_ONCE] == []
    assert set(run.final().values()) == {0}


def test_failure_escaping_asyncio_run_leaves_no_relay_on(scenario):
    run = scenario("safety.escape", expect_rc=1, op_ms=OP)
    assert "RuntimeError: crash while the relay is on" in run.stdout + run.stderr
    mark = float([line for line in run.lines if line.startswith("MARK ")][0][5:])
    # The flush relay (a 40 ms pulse) went on, and off at the crash (20 ms), not at its end.
    assert near(run.edges("flush", 1)[0], mark, early=0, late=AT_ONCE)
    assert near(run.edges("flush", 0)[-1], mark + OP / 2, late=AT_ONCE)
    assert run.pin("flush")[-1][1] == 0


def test_relay_left_on_by_a_crashed_program_goes_off_at_its_max_on_time(scenario):
    run = scenario("safety.abandoned_relay", max_on_ms=60)
    r = run.result
    assert r["relay_on"] == 0
    on, off = run.edges("flush", 1), run.edges("flush", 0)
    assert len(on) == 1 and near(on[0], r["start_ms"], early=0, late=AT_ONCE)
    assert near(off[-1], on[0] + 60)
    assert PINS["flush"] in run.final()


def test_a_relay_goes_off_at_its_limit_while_the_loop_is_blocked(scenario):
    """Real time: a loop blocked by busy code is the interpreter's own doing, which simulated time cannot
    show. The relay's machine.Timer (the stub's fires from a thread) cuts it at its limit, not after."""
    run = scenario("safety.blocked_loop", max_on_ms=100, block_ms=1000, real_time=True)
    r = run.result
    on, off = run.edges("flush", 1), run.edges("flush", 0)
    assert r["unblocked_ms"] - r["start_ms"] >= 999  # the loop really was blocked past the limit (ms ticks)
    # Cut at its limit, while the loop was still blocked: never early, and late by at most what a loaded runner's
    # thread scheduling adds (a CI run saw 70 ms on CPython, whose timer thread waits for the GIL the busy loop
    # holds); the loop's own end, 900 ms later, is what a cut without the backstop would wait for.
    assert near(off[-1], on[0] + 100, early=REAL_EARLY, late=4 * REAL_LATE), (on, off)
    assert off[-1] < on[0] + 1000 - 500
    assert r["relay_on"] == 0


def test_an_esp32_relay_gives_its_hardware_timer_back(monkeypatch):
    """An ESP32 has four hardware timers for relay backstops: a fifth relay is refused until one is deinit()ed."""
    import types

    from iot import outputs

    monkeypatch.setattr(outputs, "sys", types.SimpleNamespace(platform="esp32"))
    monkeypatch.setattr(outputs, "_esp32_timers", [0, 1, 2, 3])
    relays = [outputs.Relay(30 + i, 1000) for i in range(4)]
    try:
        outputs.Relay(40, 1000)
        raise AssertionError("a fifth relay got a hardware timer")
    except ValueError as e:
        assert "no hardware timer left" in str(e)
    relays[1].deinit()
    relays.append(outputs.Relay(41, 1000))  # the freed timer serves the next relay
    assert relays[-1]._backstop_id == 1
    for relay in relays:
        relay.deinit()
    assert sorted(outputs._esp32_timers) == [0, 1, 2, 3]


def test_a_starved_loop_keeps_neither_relay_on_past_its_bound_nor_both_on_together(scenario):
    """Simulated time: two tasks hog the loop for 150 to 450 ms between their steps while a burst of flushes and
    cleans arrives. Each switch-on is decided on the relay's own clock (a pulse that would outlast the bound is
    refused, in the reply or its event), and one relay goes on only once the other's off is on its pin."""
    import json

    from invariants import Invariants

    hogs = [150 + (i * 97) % 300 for i in range(120)]
    lines = ["toilet flush" if i % 5 else "toilet clean" for i in range(150)]
    run = scenario("safety.starved_relays", op_ms=200, max_on_ms=1000, min_off_ms=500, commands=lines, hogs_ms=hogs)
    r = run.result["replies"]
    settings = {"pins": PINS, "active_low": ["light"], "max_on_ms": 1000, "min_off_ms": 500}
    check = Invariants(settings, late_ms=LATE)
    check.feed(run.trace)
    assert check.longest > 600, check.longest  # the stretches did reach towards the bound
    refused = [x for x in r if "relay: " in x]
    assert refused and all(x.startswith("error: toilet: ") for x in refused), json.dumps(r[:20])
    assert len(run.edges("flush", 1)) >= 5 and len(run.edges("clean", 1)) >= 2
