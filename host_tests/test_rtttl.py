"""RTTTL: property tests against an independent reference, and the same results on both interpreters."""
import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st
from iot import IOTError, rtttl
from scenarios import songs

LETTERS = "cdefgab"
SEMITONE = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}


def reference_hz(letter, sharp, octave):
    midi = 12 * (octave + 1) + SEMITONE[letter] + sharp  # A4 = MIDI 69 = 440 Hz
    return round(440 * 2 ** ((midi - 69) / 12))


note = st.fixed_dictionaries({
    "duration": st.none() | st.sampled_from([1, 2, 4, 8, 16, 32]),
    "letter": st.sampled_from(LETTERS + "p"),
    "sharp": st.booleans(),
    "octave": st.none() | st.integers(4, 7),
    "dot": st.sampled_from(["", "before", "after"]),
})
defaults = st.fixed_dictionaries({"d": st.sampled_from([1, 2, 4, 8, 16, 32]), "o": st.integers(4, 7),
                                  "b": st.integers(25, 900)})


def render(n):
    text = (str(n["duration"]) if n["duration"] else "") + n["letter"]
    if n["sharp"] and n["letter"] != "p":
        text += "#"
    if n["dot"] == "before":
        text += "."
    if n["octave"] is not None:
        text += str(n["octave"])
    if n["dot"] == "after":
        text += "."
    return text


def expected(n, d):
    whole = 240000 // d["b"]
    duration = n["duration"] or d["d"]
    ms = whole * 3 // (2 * duration) if n["dot"] else whole // duration
    if n["letter"] == "p":
        return (0, ms)
    sharp = 1 if n["sharp"] else 0
    return (reference_hz(n["letter"], sharp, n["octave"] or d["o"]), ms)


@given(defaults, st.lists(note, min_size=1, max_size=40), st.text("abc", max_size=10))
def test_valid_songs_parse_to_the_reference_notes(d, notes, name):
    text = "%s:d=%d,o=%d,b=%d:%s" % (name, d["d"], d["o"], d["b"], ",".join(map(render, notes)))
    assert rtttl.parse(text) == [expected(n, d) for n in notes]


@given(st.text(max_size=80))
@settings(max_examples=2000)
def test_any_text_is_a_song_or_one_iot_error(text):
    try:
        notes = rtttl.parse(text)
    except IOTError as e:
        assert str(e).startswith("RTTTL") and "\n" not in str(e)
        return
    assert notes and all(type(hz) is int and type(ms) is int and ms > 0 for hz, ms in notes)


@given(defaults, st.lists(note, min_size=1, max_size=10), st.integers(0, 200), st.characters())
def test_a_corrupted_song_is_refused_or_still_well_formed(d, notes, at, junk):
    text = "x:d=%d,o=%d,b=%d:%s" % (d["d"], d["o"], d["b"], ",".join(map(render, notes)))
    at %= len(text) + 1
    text = text[:at] + junk + text[at:]
    try:
        assert all(type(hz) is int for hz, _ in rtttl.parse(text))
    except IOTError:
        pass


def test_defaults_and_limits():
    assert rtttl.parse("x::c") == [(1047, 952)]  # d=4, o=6, b=63 when left out
    assert rtttl.parse("x:d=4,o=4,b=120:a,a#,8p,c.7") == [(440, 500), (466, 500), (0, 250), (2093, 750)]
    errors = {
        "no colons": "RTTTL is name:defaults:notes",
        "x:d=3:c": "RTTTL duration d=3 is not 1, 2, 4, 8, 16 or 32",
        "x:o=8:c": "RTTTL octave o=8 is not 4 to 7",
        "x:b=1000:c": "RTTTL tempo b=1000 is not 25 to 900",
        "x:q=1:c": "RTTTL default 'q=1' is not d=, o= or b= with a number",
        "x::c3": "RTTTL note 1 'c3': octave is not 4 to 7",
        "x::c,,d": "RTTTL note 2 '': no note letter a-g or p",
        "x::64c": "RTTTL note 1 '64c': duration is not 1, 2, 4, 8, 16 or 32",
        "x::c5x": "RTTTL note 1 'c5x': unexpected 'x'",
        "x::c\u00b2": "RTTTL note 1 'c\u00b2': unexpected '\u00b2'",  # isdigit() but not int()-able
        "x:b=\u00b2:c": "RTTTL default 'b=\u00b2' is not d=, o= or b= with a number",
        "x::" + ",".join(["c"] * 257): "RTTTL has more than 256 notes",
    }
    for text, message in errors.items():
        try:
            rtttl.parse(text)
        except IOTError as e:
            assert str(e) == message
        else:
            raise AssertionError("accepted %r" % text)


SONGS = [
    "SoWhat:d=8,o=5,b=160:d,a4,b4,c,d,e,c,p,4e,4d",
    "x:d=4,o=6,b=63:8e6,8d#6,4p,c.7,2a5.,b,e#,b#7",
    "x:d=32,o=7,b=900:c,c#,d,d#,e,f,f#,g,g#,a,a#,b",
    "x:d=1,o=4,b=25:c,p",
    "bad:d=4:c,h5",
    "bad:b=20:c",
]


def test_micropython_parses_exactly_as_cpython(scenario):
    ours = scenario("songs.parse", texts=SONGS).result
    assert ours == asyncio.run(songs.parse(SONGS))  # the same scenario, in this CPython process
    assert ours[0][0] == [587, 187] and ours[-1] == "RTTTL tempo b=20 is not 25 to 900"
