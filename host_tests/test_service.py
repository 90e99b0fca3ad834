"""The service: registration and ids, refusals that move nothing, unregister to safe state."""
import re

from conftest import AT_ONCE, PINS, near

OP = 40  # ms per operation (the seed's 500 scaled down)


def test_register_concurrently_with_names_and_generated_ids(scenario):
    r = scenario("service.register", op_ms=OP).result
    light, generated, toilet = r["ids"]
    assert (light, toilet) == ("light", "toilet")
    assert re.fullmatch("[A-Z]{8}", generated)
    assert near(r["took_ms"], OP), "three connects of %d ms each took %.1f ms, not one" % (OP, r["took_ms"])
    assert r["errors"] == [
        "device name 'light' is taken",
        "device name must be non-empty text, not ''",
        "device name must be non-empty text, not 5",
    ]
    assert sorted(r["devices"]) == sorted([generated, "light", "toilet"])


def test_failing_connect_is_reported_and_the_others_register(scenario):
    r = scenario("service.failing_connect", op_ms=OP).result
    assert r["names"] == ["light", "speaker", "toilet"] == r["devices"]
    assert r["log"] == ["event: broken: failed to connect: no answer; left out, its outputs safe"]
    assert near(r["took_ms"], OP)


def test_refusals_are_one_clear_error_each_and_move_no_pin(scenario):
    run = scenario("service.refusals", op_ms=OP)
    assert run.result["errors"] == [
        "unknown device 'lamp'",
        "unknown message type 99",
        "unknown message type 'DANCE'",
        "light: is a single-colour LED and cannot CHANGE_COLOR",
        "light: 'bright' is neither a brightness (40%) nor a transition (2s)",
        "light: data must be text, not 42",
        "speaker: no song 'Nobody - Nothing' in the songbook, and it is not RTTTL",
        "speaker: bad song: RTTTL note 2 'h5': no note letter a-g or p",
        "speaker: is off; SWITCH_ON must finish before PLAY_SONG",
        "toilet: has no lid servo for OPEN (set pins.lid in config.json)",
        "toilet: does not take SWITCH_ON",
    ]
    # Only the outputs' creation in their off state: nothing moved, not even the activity LED,
    # except the refused PLAY_SONG, which passed the checks and blinked it.
    assert [r["pin"] for r in run.active()] == [PINS["status_led"]]


def test_unregister_puts_the_device_in_its_safe_state(scenario):
    run = scenario("service.unregister", op_ms=OP)
    r = run.result
    assert r["gone"] == "unknown device 'light'"
    assert r["devices"] == ["speaker", "toilet"]
    off = [t for t, v in run.pin("light") if v == 0 and t > r["on_ms"] - OP]
    assert off and near(off[0], r["off_ms"], early=AT_ONCE, late=0), run.pin("light")


def test_message_types_look_up_both_ways(scenario):
    r = scenario("service.message_types").result
    assert r["names"] == ["SWITCH_ON", "SWITCH_OFF", "CHANGE_COLOR", "PLAY_SONG", "OPEN", "CLOSE", "FLUSH", "CLEAN"]
    assert r["codes"] == [1, 2, 4, 8]
    assert r["repr"] == "Message('light', SWITCH_ON, '')"
    assert r["eq"] is True


def test_every_device_reports_its_state(scenario):
    r = scenario("service.status", op_ms=OP).result
    toilet = {"flush": 0, "clean": 0, "lid": None, "busy": False, "doing": None}
    assert r["rest"] == {
        "light": {"on": False, "brightness": 100, "level": "#000000"},
        "speaker": {"on": False, "ready": False, "song": None, "hz": 0},
        "toilet": toilet,
    }
    assert r["busy"] == {
        "light": {"on": True, "brightness": 40, "level": "#666666"},
        "speaker": {"on": True, "ready": True, "song": "Miles Davis - Kind of Blue", "hz": 587},
        "toilet": dict(toilet, flush=1, busy=True, doing="flush"),
    }
