"""The light (dimmable, RGB, NeoPixel, fades), colour parsing, and the toilet's lid servo."""
import asyncio

from conftest import AT_ONCE, LATE, near
from hypothesis import given, settings
from hypothesis import strategies as st
from iot import IOTError, color
from scenarios import lights

OP = 40
LIGHT = 15  # the pico's light pin
LID = 20


def duty(percent, active_low=False):
    """The duty a brightness should give: squared (gamma 2), as the eye sees light."""
    level = 255 * percent // 100
    d = level * level * 65535 // (255 * 255)
    return 65535 - d if active_low else d


def duties(run, pin):
    return [d for _, d in run.duty(pin)]


def test_a_dimmable_led_takes_a_brightness_and_refuses_bad_data(scenario):
    bad = [["light", "SWITCH_ON", "red"], ["light", "SWITCH_ON", "0%"], ["light", "SWITCH_ON", "150%"],
           ["light", "SWITCH_ON", "40% 50%"], ["light", "SWITCH_OFF", "40%"], ["light", "CHANGE_COLOR", "#ff0000"],
           ["light", "SWITCH_ON", "2x"], ["light", "SWITCH_ON", "1.2345s"], ["light", "SWITCH_ON", "90s"]]
    good = [["light", "SWITCH_ON", "40%"], ["light", "SWITCH_ON", ""], ["light", "SWITCH_OFF", ""],
            ["light", "SWITCH_ON", ""], ["light", "SWITCH_ON", "100%"]]
    run = scenario("lights.steps", cfg={}, op_ms=OP, messages=good[:1] + bad + good[1:])
    steps = run.result
    assert [s["error"] for s in steps[1:-4]] == [
        "light: 'red' is neither a brightness (40%) nor a transition (2s)",
        "light: brightness is from 1% to 100%; SWITCH_OFF switches off",
        "light: '150%': brightness is one value from 0% to 100%",
        "light: '50%': brightness is one value from 0% to 100%",
        "light: SWITCH_OFF takes only a transition time",
        "light: is a single-colour LED and cannot CHANGE_COLOR",
        "light: '2x' is neither a brightness (40%) nor a transition (2s)",
        "light: '1.2345s' is not a number",
        "light: '90s': transition is one time up to 60000 ms",
    ]
    assert all(s["light"] == steps[0]["light"] for s in steps[1:-4])  # refused: nothing changed
    assert steps[0]["light"] == {"on": True, "brightness": 40, "level": "#666666"}
    # Created dark, 40 %, (refusals and a repeat move nothing), off, on again at 40 %, full.
    assert duties(run, LIGHT) == [0, duty(40), 0, duty(40), 65535]
    assert steps[-1]["light"]["brightness"] == 100


def test_an_active_low_led_is_dark_at_full_duty(scenario):
    run = scenario("lights.steps", cfg={"active_low": ["light"]}, op_ms=OP,
                   messages=[["light", "SWITCH_ON", "40%"], ["light", "SWITCH_OFF", ""]])
    assert duties(run, LIGHT) == [65535, duty(40, True), 65535]
    assert run.pin("light")[0][1] == 1  # the pin itself was created high: dark


def test_a_common_anode_rgb_led_shows_colours_and_keeps_one_set_while_off(scenario):
    cfg = {"pins": {"light": [13, 14, 12]}, "light": {"kind": "rgb"}, "active_low": ["light"]}
    messages = [["light", "CHANGE_COLOR", "#FF8800"], ["light", "SWITCH_ON", ""], ["light", "CHANGE_COLOR", ""],
                ["light", "CHANGE_COLOR", "#12345g"], ["light", "SWITCH_ON", "blue red"],
                ["light", "SWITCH_ON", "50% blue"], ["light", "SWITCH_OFF", ""]]
    run = scenario("lights.steps", cfg=cfg, op_ms=OP, messages=messages)
    steps = run.result
    assert [s["error"] for s in steps] == [
        None, None, "light: CHANGE_COLOR needs a colour (#rrggbb or a name)",
        "light: '#12345g' is no colour: use #rrggbb or one of blue, cyan, green, magenta, orange, pink, purple, "
        "red, warm_white, white, yellow",
        "light: 'red': only one colour at a time", None, None]
    assert steps[0]["light"] == {"on": False, "brightness": 100, "level": "#000000", "color": "#ff8800"}
    assert steps[1]["light"]["level"] == "#ff8800"
    assert steps[5]["light"] == {"on": True, "brightness": 50, "level": "#00007f", "color": "#0000ff"}
    level_88 = 0x88 * 0x88 * 65535 // 65025
    assert duties(run, 13) == [65535, 0, 65535]  # red: dark, full, dark
    assert duties(run, 14) == [65535, 65535 - level_88, 65535]  # green
    assert duties(run, 12) == [65535, duty(50, True), 65535]  # blue: only with "50% blue"
    # The colour set while off moved no pin: every channel changed first with the SWITCH_ON.
    assert min(run.duty(13)[1][0], run.duty(14)[1][0]) >= steps[1]["start_ms"]


def test_a_neopixel_strip_shows_the_colour_at_its_brightness(scenario):
    cfg = {"light": {"kind": "neopixel", "pixels": 8}}
    run = scenario("lights.steps", cfg=cfg, op_ms=OP,
                   messages=[["light", "SWITCH_ON", "orange 50%"], ["light", "SWITCH_OFF", ""]])
    assert run.pin("light")[0] == (run.trace[0]["t_us"] / 1000, 0)  # the data pin is created low
    shown = [r["rgb"] for r in run.trace if r["pin"] == LIGHT and "rgb" in r]

    def g(level):
        return level * level * 65535 // 65025 >> 8

    assert shown == [[0, 0, 0], [g(127), g(82), 0], [0, 0, 0]]  # orange is #ffa500


def test_a_fade_ramps_on_the_clock_and_the_operation_lasts_the_fade(scenario):
    run = scenario("lights.steps", cfg={"light": {"fade_ms": 200}}, op_ms=OP,
                   messages=[["light", "SWITCH_ON", ""], ["light", "SWITCH_OFF", "100ms"], ["light", "SWITCH_ON", "0.1s"]])
    s = run.result
    ramp = run.duty(LIGHT)
    # On simulated time a ramp's last step and the next change come at the same instant: split by order.
    top = [i for i, (t, d) in enumerate(ramp) if d == 65535][0]
    up = [(t, d) for t, d in ramp[:top + 1] if s[0]["start_ms"] <= t]
    down = [(t, d) for t, d in ramp[top + 1:] if t <= s[2]["start_ms"]]
    down = down[:[d for _, d in down].index(0) + 1]
    assert [d for _, d in up] == sorted(d for _, d in up) and up[-1][1] == 65535
    assert [d for _, d in down] == sorted((d for _, d in down), reverse=True) and down[-1][1] == 0
    assert 8 <= len(up) <= 12 and 4 <= len(down) <= 6  # a step every 20 ms
    assert near(up[-1][0], s[0]["start_ms"] + 200, late=LATE + 10)
    assert near(down[-1][0], s[1]["start_ms"] + 100, late=LATE + 10)
    assert near(s[1]["start_ms"], s[0]["start_ms"] + 200, late=LATE + 10)  # the operation took the fade


def test_a_newer_change_takes_over_a_fade_where_it_stands(scenario):
    run = scenario("lights.fade_taken_over", op_ms=OP, fade_ms=400)
    r = run.result
    before = [d for t, d in run.duty(LIGHT) if t < r["off_ms"]]
    after = [(t, d) for t, d in run.duty(LIGHT) if t >= r["off_ms"]]
    assert 0 < before[-1] < 65535  # halfway up
    assert [d for _, d in after] == sorted((d for _, d in after), reverse=True) and after[-1][1] == 0
    assert near(after[-1][0], r["off_ms"] + 400, late=LATE + 10)
    assert r["status"]["on"] is False


def test_the_lid_servo_moves_and_is_released_after_its_travel_time(scenario):
    run = scenario("lights.steps", cfg={}, op_ms=OP, messages=[["toilet", "OPEN", ""], ["toilet", "CLOSE", ""],
                                                                ["toilet", "OPEN", "wide"]])
    s = run.result
    assert [x["toilet"]["lid"] for x in s] == ["open", "closed", "closed"]
    assert s[2]["error"] == "toilet: OPEN takes no data (got 'wide')"
    assert {r["freq"] for r in run.trace if r["pin"] == LID and "freq" in r} == {50}
    # 100 degrees is a 1611 us pulse, 0 degrees 500 us, of the 20 ms period; released after each move.
    assert duties(run, LID) == [0, 1611 * 65535 // 20000, 0, 500 * 65535 // 20000, 0]
    moves = run.duty(LID)
    assert near(moves[2][0], moves[1][0] + OP) and near(moves[4][0], moves[3][0] + OP)


def test_a_cancelled_lid_move_releases_the_servo_at_once(scenario):
    run = scenario("lights.lid_cancelled", op_ms=200)
    r = run.result
    released = [t for t, d in run.duty(LID) if d == 0 and t > r["cancel_ms"] - 1]
    assert released and near(released[0], r["cancel_ms"], early=0, late=AT_ONCE)
    assert r["status"]["lid"] is None  # it stopped somewhere between


# Colour parsing: properties on CPython, and MicroPython reads the same texts the same way.
channel = st.integers(0, 255)


@given(channel, channel, channel, st.booleans())
def test_any_hex_colour_parses_to_its_value(r, g, b, upper):
    text = "#%02x%02x%02x" % (r, g, b)
    assert color.parse_color(text.upper() if upper else text) == (r << 16 | g << 8 | b)
    assert color.to_hex(color.parse_color(text)) == text


words = st.fixed_dictionaries({
    "color": st.none() | st.sampled_from(sorted(color.COLORS)) | st.integers(0, 0xFFFFFF).map(color.to_hex),
    "brightness": st.none() | st.integers(0, 100),
    "ms": st.none() | st.integers(0, 60000),
    "seconds": st.booleans(),
})


@given(words, st.randoms())
def test_words_in_any_order_parse_to_their_values(w, rnd):
    parts = []
    if w["color"] is not None:
        parts.append(w["color"])
    if w["brightness"] is not None:
        parts.append("%d%%" % w["brightness"])
    if w["ms"] is not None:
        parts.append("%gs" % (w["ms"] / 1000) if w["seconds"] else "%dms" % w["ms"])
    rnd.shuffle(parts)
    rgb = None if w["color"] is None else color.COLORS.get(w["color"]) or int(w["color"][1:], 16)
    assert color.parse("  ".join(parts)) == (rgb, w["brightness"], w["ms"])


@given(st.text(max_size=40))
@settings(max_examples=2000)
def test_any_text_is_a_setting_or_one_iot_error(text):
    try:
        rgb, brightness, ms = color.parse(text)
    except IOTError as e:
        assert "\n" not in str(e)
        return
    assert rgb is None or 0 <= rgb <= 0xFFFFFF
    assert brightness is None or 0 <= brightness <= 100
    assert ms is None or 0 <= ms <= 60000


TEXTS = ["#00ff7F", "Warm_White 10% 1.5s", "250ms", "2s 3s", "#ff00", "²%", "1e3ms", ".5s", "100.9%", "", "blue  5%"]


def test_micropython_parses_colours_exactly_as_cpython(scenario):
    def ascii(results):  # MicroPython's repr() escapes what is not ASCII: the same text, spelt safely
        return [r.encode("ascii", "backslashreplace").decode() if type(r) is str else r for r in results]

    ours = ascii(scenario("lights.parse", texts=TEXTS).result)
    assert ours == ascii(asyncio.run(lights.parse(TEXTS)))
    assert ours[1] == [0xFFB46B, 10, 1500] and ours[5] == "'\\xb2%' is not a number"
