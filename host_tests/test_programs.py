"""Programs: the seed demo's order and makespan, validation, the seed's list form, the helpers."""
from conftest import AT_ONCE, LATE, near

OP = 40
SONG_MS = 240
SONG_NOTES = [523, 659, 784, 1047]  # C5 E5 G5 (pause) C6


def test_demo_runs_in_order_within_its_critical_path(scenario):
    run = scenario("programs.seed_demo", op_ms=OP)
    r = run.result
    (wake, wake_plan, wake_ms, wake_err), (sleep, sleep_plan, sleep_ms, sleep_err) = r["reports"]
    assert (wake, wake_err, sleep, sleep_err) == ("wake_up", None, "sleep", None)
    # wake_up = parallel(light on, sequence(speaker on, play)); sleep: flush then clean, 2 ops.
    assert r["plans"] == [[OP + SONG_MS, 2 * OP + SONG_MS], [2 * OP, 4 * OP]]
    assert (wake_plan, sleep_plan) == (OP + SONG_MS, 2 * OP)
    assert near(wake_ms, OP + SONG_MS) and near(sleep_ms, 2 * OP), r["reports"]
    # The songbook's "So What" (8 eighths and 2 quarters at 160 bpm) is planned at its own length.
    assert r["songbook_plan"] == [OP + 8 * 187 + 2 * 375, 2 * OP + 8 * 187 + 2 * 375]
    assert r["log"][-1].startswith("event: demo done in ")

    # Registration takes one op; then wake_up starts the light and the speaker together.
    light_on = run.edges("light", 1)[0]
    enable_on = run.edges("speaker_enable", 1)[0]
    assert near(light_on, OP, late=LATE + 10) and abs(enable_on - light_on) < AT_ONCE
    # The song starts only after the speaker's warm-up, never before it, each note on time.
    tones = [(t, hz) for t, hz in run.pwm("speaker") if hz]
    assert [hz for _, hz in tones] == SONG_NOTES
    starts = [0, 40, 80, 160]
    for (t, _), offset in zip(tones, starts):
        assert near(t, enable_on + OP + offset), (tones, enable_on)
    # sleep: light and speaker off together; flush, then clean, never overlapping.
    light_off = run.edges("light", 0)[-1]
    assert near(light_off, enable_on + OP + SONG_MS, late=LATE)
    assert abs(run.edges("speaker_enable", 0)[-1] - light_off) < AT_ONCE
    flush_on, flush_off = run.edges("flush", 1)[0], run.edges("flush", 0)[-1]
    clean_on, clean_off = run.edges("clean", 1)[0], run.edges("clean", 0)[-1]
    assert abs(flush_on - light_off) < AT_ONCE
    assert near(flush_off, flush_on + OP) and near(clean_off, clean_on + OP)
    assert flush_off <= clean_on < flush_off + AT_ONCE
    # The status LED lights with the first message and goes off 40 ms after the last (CLEAN).
    assert abs(run.edges("status_led", 1)[0] - light_on) < AT_ONCE
    assert near(run.edges("status_led", 0)[-1], clean_on + 40)
    # Everything ends off.
    assert set(run.final().values()) == {0}


def test_invalid_programs_name_the_step_and_move_no_pin(scenario):
    run = scenario("programs.invalid", op_ms=OP)
    shape = 'a step is {"seq": [...]}, {"par": [...]}, {"send": [device, type, data]} or {"delay": ms}'
    assert run.result["errors"] == [
        "program: a list program holds Messages, not 'not a program'",
        "program: " + shape,
        "program: unknown step 'loop'; " + shape,
        "program: seq takes a list of steps",
        "step 2: unknown device 'lamp'",
        "step 2.2: unknown message type 'BLINK'",
        "step 1: speaker: no song 'Unknown Song' in the songbook, and it is not RTTTL",
        "program: send takes [device, type] or [device, type, data]",
        "program: send takes [device, type] or [device, type, data]",
        "program: device must be a name, not 7",
        "program: delay takes whole milliseconds from 0 to 86400000",
        "program: delay takes whole milliseconds from 0 to 86400000",
        "program: delay takes whole milliseconds from 0 to 86400000",
        "step 1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1: nested deeper than 16",
        "step 2000: program has more than 2000 steps",
        "step 2: light: is a single-colour LED and cannot CHANGE_COLOR",
    ]
    # The trace holds only the outputs' creation in their off state: no pin ever moved.
    assert run.trace and not run.active()


def test_seed_list_of_messages_runs_in_parallel(scenario):
    run = scenario("programs.seed_list", op_ms=OP)
    r = run.result
    assert r["planned"] == OP and near(r["actual"], OP)
    starts = [run.edges("light", 1)[0], run.edges("flush", 1)[0], run.edges("speaker_enable", 1)[0]]
    assert max(starts) - min(starts) < AT_ONCE and near(min(starts), r["start_ms"], early=0, late=AT_ONCE)


def test_awaitable_helpers_compose_like_the_seed(scenario):
    run = scenario("programs.helpers", op_ms=OP)
    r = run.result
    assert r["results"] == [1, 2, 3]
    assert near(r["end_ms"] - r["start_ms"], OP + SONG_MS)
    enable_on = run.edges("speaker_enable", 1)[0]
    first_tone = [t for t, hz in run.pwm("speaker") if hz][0]
    assert near(first_tone, enable_on + OP)


def test_delays_are_on_the_critical_path(scenario):
    run = scenario("programs.delays", op_ms=OP)
    r = run.result
    assert r["program"] == {"seq": [
        {"par": [{"delay": 3 * OP}, {"send": ["light", "SWITCH_ON"]}]},
        {"send": ["toilet", "FLUSH"]},
        {"delay": OP},
        {"send": ["light", "SWITCH_OFF"]},
    ]}
    assert r["planned"] == 6 * OP and near(r["actual"], 6 * OP)
    assert near(run.edges("flush", 1)[0], r["start_ms"] + 3 * OP)
    assert near(run.edges("light", 0)[-1], r["start_ms"] + 5 * OP)


def test_flush_and_clean_never_overlap_and_the_plan_counts_both(scenario):
    run = scenario("programs.toilet_in_parallel", op_ms=OP)
    r = run.result
    assert r["planned"] == 2 * OP and near(r["actual"], 2 * OP)
    flush_on, flush_off = run.edges("flush", 1)[0], run.edges("flush", 0)[1]
    clean_on, clean_off = run.edges("clean", 1)[0], run.edges("clean", 0)[1]
    assert near(flush_on, r["start_ms"], early=0, late=AT_ONCE) and near(flush_off, flush_on + OP)
    assert flush_off <= clean_on < flush_off + AT_ONCE and near(clean_off, clean_on + OP)
    # Interlock: flush on after clean on left only the flush relay on, at the pins too.
    assert r["interlocked"] == [1, 0]
    on = {"flush": run.edges("flush", 1)[-1], "clean": run.edges("clean", 1)[-1]}
    assert run.level("clean", on["flush"]) == 0
