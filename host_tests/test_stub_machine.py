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
