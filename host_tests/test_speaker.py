"""The speaker: SWITCH_OFF during a song silences at once and the song stops within one note."""
from conftest import AT_ONCE, near

OP = 40


def test_switch_off_mid_song_silences_the_pin_and_ends_the_song(scenario):
    run = scenario("speaker.off_mid_song", op_ms=OP)
    r = run.result
    tones = [(t, hz) for t, hz in run.pwm("speaker") if hz]
    assert [hz for _, hz in tones] == [523, 587]  # C5 and D5 sounded, nothing after the off
    assert near(run.edges("speaker_enable", 0)[-1], r["off_ms"], early=0, late=AT_ONCE)
    silent = [t for t, hz in run.pwm("speaker") if hz == 0 and t >= r["off_ms"] - 1]
    assert silent and near(silent[0], r["off_ms"], early=0, late=AT_ONCE)
    # PLAY_SONG returned by the end of the note it was in (D5 ends 1000 ms after the first note).
    assert r["song_done_ms"] <= tones[0][0] + 1000 + 15
    assert r["status"] == {"on": False, "ready": False, "song": None, "hz": 0}


def test_the_song_parser_is_loaded_by_the_first_song_and_kept(scenario):
    run = scenario("speaker.songs_kept", op_ms=OP)
    assert run.result["kept"] == [True, True]
    assert [hz for _, hz in run.pwm("speaker") if hz] == [523, 659, 784]
