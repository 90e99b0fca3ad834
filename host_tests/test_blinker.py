"""The Blinker: one task per output, deadlines moved both ways, stop, expiry, deinit."""
from conftest import AT_ONCE, REAL_EARLY, REAL_LATE, near

MS = 60


def test_trigger_retrigger_shorten_stop_expire(scenario):
    run = scenario("blinker.timeline", ms=MS)
    r, m = run.result, run.result["marks"]
    levels = run.pin(2)
    assert [v for _, v in levels] == [0, 1, 0, 1, 0, 1, 0]
    (_, on1), (off1, _), (on2, _), (off2, _), (on3, _) = [
        (levels[i][0], levels[i + 1][0]) for i in range(1, 6)
    ]
    assert near(levels[1][0], m["t0"], early=0, late=AT_ONCE)
    # Retrigger at half time extends; a longer one then a shorter one ends at the shorter.
    assert near(levels[2][0], m["short"] + MS / 2), (levels, m)
    assert near(levels[3][0], m["trigger2"], early=0, late=AT_ONCE)
    assert near(levels[4][0], m["stop"], early=0, late=AT_ONCE)  # stop(): off at once
    assert near(levels[5][0], m["trigger3"], early=0, late=AT_ONCE)
    assert near(levels[6][0], m["trigger3"] + MS)
    # The callback ran on the two expiries, not on stop().
    assert len(r["expiries"]) == 2
    assert near(r["expiries"][0], m["short"] + MS / 2) and near(r["expiries"][1], m["trigger3"] + MS)
    # One task served every trigger of an on-period and ended with it: an idle Blinker holds no task.
    assert r["same_task"] and r["ended_when_off"] and r["idle_after_expiry"] and not r["running_after_deinit"]


def test_edges_keep_time_on_the_real_clock(scenario):
    """Real time (a loaded machine may run a timer late, hence REAL_LATE): the edges the timeline above
    checks exactly on simulated time, as the interpreter really makes them."""
    run = scenario("blinker.timeline", ms=MS, real_time=True)
    m = run.result["marks"]
    levels = run.pin(2)
    for edge, due in ((levels[2][0], m["short"] + MS / 2), (levels[6][0], m["trigger3"] + MS)):
        assert near(edge, due, early=REAL_EARLY, late=REAL_LATE), (edge, due)


def test_retrigger_storm_keeps_one_task_and_switches_off_once(scenario):
    run = scenario("blinker.retrigger_storm", ms=MS, n=200)
    r = run.result
    assert r["same_task"] and r["ended"]
    assert [v for _, v in run.pin(2)] == [0, 1, 0]
    assert near(run.pin(2)[-1][0], r["last_ms"] + MS)


def test_deinit_switches_off_and_ends_the_task_despite_a_bad_callback(scenario):
    run = scenario("blinker.deinit_while_on", ms=MS)
    r = run.result
    assert "error: blinker callback: ValueError('callback bug'" in "\n".join(run.lines)
    assert r["task_done"] and r["task_cleared"]
    levels = run.pin(2)
    assert [v for _, v in levels] == [0, 1, 0, 1, 0]
    assert near(levels[-1][0], r["deinit_ms"], early=0, late=AT_ONCE)


def test_retrigger_allocates_nothing_on_micropython(scenario, interp):
    if interp != "micropython":
        import pytest

        pytest.skip("heap_lock() is MicroPython's")
    assert scenario("blinker.retrigger_under_heap_lock", ms=MS).result == {"error": None}
