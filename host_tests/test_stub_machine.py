"""The stubbed machine records every output change in the trace format the tools read."""


def test_trace_records_changes_in_the_documented_format(scenario):
    run = scenario("stub.outputs")
    assert run.result == {"p": 0, "signal": 0, "freq": 880, "bad": "duty_u16 must be 0-65535"}
    rows = [{k: v for k, v in r.items() if k != "t_us"} for r in run.trace]
    assert rows == [
        {"pin": 5, "value": 1},
        {"pin": 5, "value": 0},
        {"pin": 5, "value": 1},
        {"pin": 5, "value": 0},
        {"pin": "LED", "value": 0},
        {"pin": "LED", "value": 1},
        {"pin": 7, "value": 1},
        {"pin": 7, "value": 0},
        {"pin": 7, "value": 1},
        {"pin": 8, "freq": 440, "duty_u16": 0},
        {"pin": 8, "freq": 440, "duty_u16": 32768},
        {"pin": 8, "freq": 880, "duty_u16": 32768},
        {"pin": 8, "freq": 880, "duty_u16": 1000},
        {"pin": 8, "freq": 880, "duty_u16": 0},
    ]
    times = [r["t_us"] for r in run.trace]
    assert all(type(t) is int for t in times) and times == sorted(times)


def test_a_timer_callback_beside_pin_writes_never_deadlocks_the_trace(interp, tmp_path):
    """A Timer's callback runs between two bytecodes of whatever runs, as an interrupt does: also between two of the
    trace's own recording of a pin write. It must never wait for something the code it interrupted holds (it once
    waited for the trace's lock: a burst of commands hung for good with a relay's backstop armed)."""
    import json
    import subprocess

    import hostrun
    from conftest import HERE

    (tmp_path / "args.json").write_text(json.dumps({"writes": 20000, "fired_at_least": 30}))
    trace = tmp_path / "trace.jsonl"
    try:
        proc = subprocess.run(hostrun.command(interp, HERE / "scenario.py", "stub", "timer_beside_writes",
                                              tmp_path / "args.json"),
                              env=hostrun.environ(trace, [HERE]), cwd=tmp_path, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise AssertionError("20,000 pin writes beside a 1 ms timer did not end in 60 s: deadlocked")
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.rsplit("RESULT ", 1)[1])
    rows = hostrun.read_trace(trace)
    assert result["fired"] >= 30, result  # the timer did fire while the writes ran
    assert len([r for r in rows if r["pin"] == 5]) == result["writes"]  # the level it was made with, every change
    assert len([r for r in rows if r["pin"] == 9]) - 1 in (result["fired"], result["fired"] + 1)  # one may come
    # after the writes' end, before deinit()
    times = [r["t_us"] for r in rows]
    assert times == sorted(times)  # a callback's record never comes before the one it interrupted
