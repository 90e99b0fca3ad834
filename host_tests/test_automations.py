"""The board on its own (issue 23): inputs, schedules and their automations, on simulated time, both interpreters."""
import sys

import hostrun
from conftest import near

sys.path.insert(0, str(hostrun.FIRMWARE))  # the calendar and the sun: pure functions, checked on CPython here
from iot.auto.clock import Clock, civil_from_days, days_from_civil, summer  # noqa: E402
from iot.auto.sun import sun_times  # noqa: E402

BOUNCE = [[0, 0], [2, 1], [3, 0], [5, 1], [6, 0]]  # a press that bounces for 6 ms, then stays pressed


def unix(y, m, d, hh=0, mm=0, offset_h=0):
    return days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 - offset_h * 3600


# Inputs


def test_a_bouncing_press_and_release_give_one_press_and_one_release(scenario):
    pattern = BOUNCE + [[300, 1], [301, 0], [302, 1], [304, 0], [305, 1]]
    events = scenario("auto.input_events", pattern=pattern, wait_ms=600).result
    assert [e for _, e in events] == ["press", "release"], events
    assert near(events[0][0], 0, late=1) and near(events[1][0], 300, late=1), events  # the first edge, at once


def test_a_glitch_while_locked_out_is_no_press_and_a_level_changed_meanwhile_is_seen(scenario):
    # pressed for 10 ms only, inside the 30 ms lockout: the release is read at the lockout's end
    events = scenario("auto.input_events", pattern=[[0, 0], [10, 1]], wait_ms=200).result
    assert events == [[0, "press"], [30, "release"]], events


def test_a_held_button_gives_a_long_press_at_long_ms(scenario):
    events = scenario("auto.input_events", pattern=BOUNCE + [[1000, 1]], wait_ms=1200).result
    assert [e for _, e in events] == ["press", "long_press", "release"], events
    assert near(events[1][0], 800, late=1), events


def test_two_presses_within_double_ms_give_a_double_press_and_a_third_starts_anew(scenario):
    pattern = [[0, 0], [100, 1], [250, 0], [350, 1], [500, 0], [550, 1]]
    events = scenario("auto.input_events", pattern=pattern, wait_ms=800).result
    assert [e for _, e in events] == ["press", "release", "press", "double_press", "release", "press",
                                      "release"], events
    assert events[3][0] == events[2][0] == 250


def test_a_contact_gives_closed_and_open(scenario):
    events = scenario("auto.input_events", pattern=[[0, 0], [500, 1]], wait_ms=600, cfg={"kind": "contact"}).result
    assert events == [[0, "closed"], [500, "open"]]


# Automations through the command layer

AUTO = {"inputs": {"bath_button": {"pin": 14}},
        "automations": [{"on": "bath_button.press", "do": "light switch_on"},
                        {"on": "bath_button.long_press", "do": "wake_up"},
                        {"on": "toilet.flush_done", "do": "light switch_off"}]}


def test_a_press_switches_the_light_within_20_ms(scenario):
    run = scenario("auto.engine", extra=AUTO, lines=[], wait_ms=300, pattern=BOUNCE)
    r = run.result
    on = [t for t, v in run.pin("light") if v]
    assert on and near(on[0], r["marks"]["start"], late=20), (on, r["marks"])
    assert "event: automation bath_button.press -> light switch_on: ok light SWITCH_ON" in r["said"]
    assert r["status"]["inputs"]["bath_button"] == {"state": "pressed", "last": "press"}


def test_a_long_press_runs_a_program_by_name_and_a_device_event_fires_its_binding(scenario):
    r = scenario("auto.engine", extra=AUTO, lines=["press bath_button long", "sleep 4000", "toilet flush"],
                 wait_ms=1000).result
    assert r["replies"][0] == "ok pressed bath_button (long)"
    said = "\n".join(r["said"])
    assert "automation bath_button.long_press -> run wake_up: ok wake_up started" in said
    assert "automation toilet.flush_done -> light switch_off: ok light SWITCH_OFF" in said
    assert r["finished"] == [1, 0]  # watching the devices' operations for toilet.flush_done, until deinit()


def test_a_trigger_refused_by_a_relay_limit_is_logged_with_the_shells_refusal(scenario):
    extra = {"max_on_ms": 150, "inputs": {"bath_button": {"pin": 14}},
             "automations": [{"on": "bath_button.press", "do": "toilet flush"}]}
    run = scenario("auto.engine", extra=extra, lines=["press bath_button", "sleep 120", "press bath_button"],
                   wait_ms=500)
    said = run.result["said"]
    assert "event: automation bath_button.press -> toilet flush: ok toilet FLUSH" in said
    assert [s for s in said if s.startswith("event: automation bath_button.press -> toilet flush: error: "
                                            "toilet: flush relay: only")], said
    assert [v for _, v in run.pin(18)] == [0, 1, 0]  # one pulse: the refused one moved nothing


def test_automations_off_hear_events_but_fire_nothing(scenario):
    r = scenario("auto.engine", extra=AUTO, lines=["automations off", "press bath_button", "automations",
                                                   "automations on", "automations maybe"], wait_ms=100).result
    assert r["replies"] == ["ok automations off", "ok pressed bath_button", "ok automations off",
                            "ok automations on", "error: automations takes on or off"]
    assert not [s for s in r["said"] if "automation " in s]
    assert r["status"]["inputs"]["bath_button"]["last"] == "release"


def test_bad_entries_are_left_out_one_line_each_and_the_rest_boots(scenario):
    extra = {"inputs": {"bath_button": {"pin": 14}, "on_light": {"pin": 15}, "nowhere": {"pin": 40},
                        "light": {"pin": 13}, "odd": {"pin": 12, "debounce_ms": 0}, "mute": {"pin": 11, "label": ""}},
             "schedules": {"early": {"at": "25:00"}, "porch": {"sun": "sunset"}, "bath_button": {"at": "01:00"},
                           "noon": {"at": "12:00", "label": "x" * 41}, "dawn": {"at": "06:00", "label": "Dawn"}},
             "automations": [{"on": "bath_button.press", "do": "light switch_on"}, {"on": "nope.press", "do": "x"},
                             {"on": "bath_button.open", "do": "x"}, {"on": "toilet.flush", "do": "x"}, "garbage"]}
    r = scenario("auto.engine", extra=extra, lines=["press bath_button", "press on_light", "time"], wait_ms=100).result
    assert sorted(r["problems"]) == sorted([  # in the order MicroPython's dicts give
        "config.json: inputs.on_light.pin: GPIO 15 is taken by the output light; left out",
        "config.json: inputs.nowhere.pin: this board has no GPIO 40 for an input; left out",
        "config.json: inputs.light: an input's name is a-z, 0-9 and _, and no device's or reading's; left out",
        "config.json: inputs.odd.debounce_ms must be a whole number from 1 to 1000; left out",
        "config.json: inputs.mute.label must be text of 1 to 40 characters; left out",
        "config.json: schedules.noon.label must be text of 1 to 40 characters; left out",
        "config.json: schedules.early.at: a time of day is HH:MM (00:00 to 23:59), not '25:00'; left out",
        "config.json: schedules.porch: sun needs clock.latitude and clock.longitude; left out",
        "config.json: schedules.bath_button: a schedule's name is a-z, 0-9 and _, and no input's, device's or reading's; left out",
        "config.json: automations[1].on: no input, schedule, device or reading 'nope'; left out",
        "config.json: automations[2].on: bath_button is a button: its events are press, release, long_press, "
        "double_press; left out",
        "config.json: automations[3].on: a device's events are <message>_done, as toilet.flush_done; left out",
        "config.json: automations[4] must be an object; left out"])
    assert r["replies"][:2] == ["ok pressed bath_button", "error: no input 'on_light'; inputs: bath_button"]
    assert r["replies"][2] == "ok time unknown: no schedule fires until NTP or `time set` gives it"


def test_time_set_and_its_refusals(scenario):
    extra = {"schedules": {"night": {"at": "03:00"}}, "clock": {"utc_offset": "+01:00", "dst": "eu"}}
    r = scenario("auto.engine", extra=extra, lines=[
        "time set 2026-07-01T12:00", "time", "time set 2026-12-03T10:00:30Z", "time set 2026-02-30T10:00",
        "time set tomorrow", "time bogus", "time set \uff12\uff10\uff12\uff16-12-03T14:05",
        "time set 2026-12-03T14:05+\u0661\u0662:00", "time set 2026-12-03T14:\u0665\u0665"]).result
    assert r["replies"] == [
        "ok time 2026-07-01T12:00:00+02:00 (set)", "ok time 2026-07-01T12:00:00+02:00 (set)",
        "ok time 2026-12-03T11:00:30+01:00 (set)", "error: no such time: '2026-02-30T10:00'",
        "error: the time is YYYY-MM-DDTHH:MM[:SS][+HH:MM], not 'tomorrow'",
        "error: time takes nothing, or set YYYY-MM-DDTHH:MM[:SS][+HH:MM]"] + r["replies"][6:]
    # Full-width and Arabic-Indic digits: CPython's int() reads them, MicroPython's does not; neither board takes them
    # (each interpreter writes the text back in its own repr)
    assert [x.partition(", not ")[0] for x in r["replies"][6:]] == [
        "error: the time is YYYY-MM-DDTHH:MM[:SS][+HH:MM]", "error: a UTC offset is +HH:MM or -HH:MM",
        "error: the time is YYYY-MM-DDTHH:MM[:SS][+HH:MM]"], r["replies"]
    assert r["status"]["schedules"] == {"night": "2026-12-04T03:00:00+01:00"}


def test_without_automations_in_the_config_their_commands_say_so(scenario):
    r = scenario("auto.engine", extra={}, lines=["time", "press x", "automations off"]).result
    assert r["replies"] == ["error: %s: config.json has no inputs, schedules or automations (docs/automations.md)"
                            % w for w in ("time", "press", "automations")]
    assert r["status"] is None


# Schedules

NIGHT = {"night": {"at": "03:00"}}


def test_no_schedule_fires_while_the_time_is_unknown(scenario):
    r = scenario("auto.schedules", cfg=NIGHT, steps=[["sleep", 2 * 86400000]]).result
    assert r["fired"] == [] and r["nexts"] == [{"night": None}]


def test_each_slot_fires_at_its_second_day_after_day(scenario):
    # (at most 6 days of simulated time on the unix port: its asyncio stamps tasks with the real ticks)
    r = scenario("auto.schedules", cfg={"night": {"at": "03:00", "days": ["tue", "thu", "sat"]}}, offset="+01:00",
                 steps=[["set", unix(2026, 11, 30, 0, 0, 1)], ["sleep", 5 * 86400000 + 4 * 3600000]]).result  # Mon
    assert r["fired"] == [[unix(2026, 12, 1, 3, 0, 1), "night", None], [unix(2026, 12, 3, 3, 0, 1), "night", None],
                          [unix(2026, 12, 5, 3, 0, 1), "night", None]]
    assert r["nexts"][-1] == {"night": "2026-12-08T03:00:00+01:00"}


def test_a_missed_slot_is_skipped_or_caught_up_within_catch_up_min(scenario):
    cfg = {"plain": {"at": "03:00"}, "eager": {"at": "03:00", "catch_up": True, "catch_up_min": 30},
           "late": {"at": "02:00", "catch_up": True, "catch_up_min": 30}}
    r = scenario("auto.schedules", cfg=cfg, steps=[["sleep", 5000], ["set", unix(2026, 12, 3, 3, 20)],
                                                   ["sleep", 1000]]).result
    assert r["fired"] == [[unix(2026, 12, 3, 3, 20), "eager", "caught up: its 2026-12-03T03:00:00+00:00 slot passed "
                                                               "while the time was unknown"]]
    assert r["nexts"][-1] == {"plain": "2026-12-04T03:00:00+00:00", "eager": "2026-12-04T03:00:00+00:00",
                              "late": "2026-12-04T02:00:00+00:00"}


def test_a_clock_stepped_back_never_fires_a_slot_twice(scenario):
    start = unix(2026, 12, 3, 2, 59)
    r = scenario("auto.schedules", cfg=NIGHT, steps=[["set", start], ["sleep", 120000], ["set", start],
                                                     ["sleep", 120000]]).result
    assert r["fired"] == [[unix(2026, 12, 3, 3, 0), "night", None]]
    assert r["said"] == ["event: clock stepped back 120 s; no slot fires twice"]
    assert r["nexts"][-1] == {"night": "2026-12-04T03:00:00+00:00"}


def test_a_clock_stepped_forward_skips_what_it_jumps_over_said_so(scenario):
    cfg = {"night": {"at": "03:00"}, "eager": {"at": "03:00", "catch_up": True}}
    r = scenario("auto.schedules", cfg=cfg, steps=[["set", unix(2026, 12, 3, 2, 0)], ["sleep", 1000],
                                                   ["set", unix(2026, 12, 3, 3, 30)], ["sleep", 1000]]).result
    assert r["said"] == ["event: schedule night: its 2026-12-03T03:00:00+00:00 slot skipped (the clock jumped 5399 s "
                         "over it)"]
    assert r["fired"] == [[unix(2026, 12, 3, 3, 30), "eager", "caught up: its 2026-12-03T03:00:00+00:00 slot the "
                                                                "clock jumped 5399 s over it"]]


def test_daylight_saving_moves_the_slot_in_utc_not_in_local_time(scenario):
    # EU: summer time began 2027-03-28 at 01:00 UTC; 03:00 local is 02:00 UTC before and 01:00 UTC after
    r = scenario("auto.schedules", cfg={"n": {"at": "03:00"}, "gap": {"at": "02:30"}}, offset="+01:00", dst="eu",
                 steps=[["set", unix(2027, 3, 27, 0, 0)], ["sleep", 2 * 86400000]]).result
    n = [f[0] for f in r["fired"] if f[1] == "n"]
    gap = [f[0] for f in r["fired"] if f[1] == "gap"]
    assert n == [unix(2027, 3, 27, 2, 0), unix(2027, 3, 28, 1, 0)]
    assert gap == [unix(2027, 3, 27, 1, 30), unix(2027, 3, 28, 1, 30)]  # 02:30 did not exist: 03:30 summer time


def test_the_hour_repeated_in_autumn_fires_its_slot_once(scenario):
    r = scenario("auto.schedules", cfg={"x": {"at": "02:30"}}, offset="+01:00", dst="eu",
                 steps=[["set", unix(2027, 10, 30, 12, 0)], ["sleep", 86400000]]).result
    assert [f[0] for f in r["fired"]] == [unix(2027, 10, 31, 0, 30)]  # 02:30 summer time, its first pass


def test_sunset_with_an_offset_follows_the_sun(scenario):
    place = [52.37, 4.9]
    r = scenario("auto.schedules", cfg={"porch": {"sun": "sunset", "offset_min": -15}}, place=place,
                 steps=[["set", unix(2026, 6, 21, 12, 0)], ["sleep", 86400000]]).result
    expected = sun_times(days_from_civil(2026, 6, 21), *place)[1] - 900
    assert [f[0] for f in r["fired"]] == [expected]
    assert abs(expected - unix(2026, 6, 21, 19, 51)) < 180  # Amsterdam's sunset, 22:06 CEST, less 15 minutes


# The calendar and the sun (pure functions, on CPython)


def test_the_calendar_round_trips_and_knows_its_weekdays():
    for days in range(-1000, 40000, 37):
        assert days_from_civil(*civil_from_days(days)) == days
    assert days_from_civil(1970, 1, 1) == 0 and days_from_civil(2000, 3, 1) == 11017
    assert civil_from_days(days_from_civil(2024, 2, 29)) == (2024, 2, 29)


def test_the_daylight_saving_rules_switch_at_their_instants():
    assert not summer(unix(2027, 3, 28, 0, 59), "eu", 3600) and summer(unix(2027, 3, 28, 1, 0), "eu", 3600)
    assert summer(unix(2027, 10, 31, 0, 59), "eu", 3600) and not summer(unix(2027, 10, 31, 1, 0), "eu", 3600)
    # US Eastern: 2027-03-14 02:00 EST (07:00 UTC) on, 2027-11-07 02:00 EDT (06:00 UTC) off
    assert not summer(unix(2027, 3, 14, 6, 59), "us", -18000) and summer(unix(2027, 3, 14, 7, 0), "us", -18000)
    assert summer(unix(2027, 11, 7, 5, 59), "us", -18000) and not summer(unix(2027, 11, 7, 6, 0), "us", -18000)
    clock = Clock(-18000, "us")
    assert clock.text(unix(2027, 7, 4, 16, 0)) == "2027-07-04T12:00:00-04:00"


def test_polar_day_has_no_sunset():
    assert sun_times(days_from_civil(2026, 6, 21), 78.2, 15.6) is None
    rise, set_ = sun_times(days_from_civil(2026, 3, 20), 0.0, 0.0)
    assert abs((set_ - rise) - 12 * 3600 - 7 * 60) < 240  # the equinox at the equator: a little over 12 h


# NTP, on real time against a server in this process


def ntp_server(answer):
    """A UDP server on a free port whose every answer is answer(request); -> (port, stop)."""
    import socket
    import threading

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                data, addr = sock.recvfrom(512)
            except OSError:
                continue
            reply = answer(data)
            if reply is not None:
                sock.sendto(reply, addr)
        sock.close()

    threading.Thread(target=serve, daemon=True).start()
    return sock.getsockname()[1], stop.set


def ntp_answer(unix_s, mode=4):
    import struct

    seconds = unix_s + 2208988800
    return bytes([0x20 | mode]) + bytes(39) + struct.pack("!II", seconds, 1 << 31)


def test_ntp_gives_the_servers_time_and_the_loop_runs_while_it_waits(scenario):
    t = unix(2026, 12, 3, 14, 0)
    port, stop = ntp_server(lambda request: ntp_answer(t) if request[0] == 0x1B and len(request) == 48 else None)
    try:
        r = scenario("auto.ntp_query", real_time=True, port=port).result
    finally:
        stop()
    assert t * 1000 + 500 <= r["unix_ms"] <= t * 1000 + 1500, r  # .5 s in the answer, half the round trip added


def test_ntp_refuses_a_server_that_does_not_answer_or_answers_wrong(scenario):
    for answer, error in ((lambda r: None, "no answer from 127.0.0.1 in 2000 ms"),
                          (lambda r: ntp_answer(0, mode=3), "127.0.0.1: not an NTP server's answer"),
                          (lambda r: ntp_answer(-2208988800), "127.0.0.1: not synchronised (kiss of death)")):
        port, stop = ntp_server(answer)
        try:
            r = scenario("auto.ntp_query", real_time=True, port=port).result
        finally:
            stop()
        assert r["error"] == error, r
        if "no answer" in error:
            assert r["ticks"] >= 100, r  # the other task ran all along: nothing blocked the loop


def test_an_automation_that_triggers_itself_is_refused_or_held_to_its_rate(scenario):
    """Directly (light.switch_on_done -> light switch_on) it is left out at boot; through a program it fires at
    most 30 times a minute, the rest of each minute's skipped and said once (with no operation time it once
    fired 2,000 times a second until `automations off`)."""
    lamp = 'run {"send": ["light", "SWITCH_ON"]}'
    extra = {"op_ms": 0, "automations": [{"on": "light.switch_on_done", "do": "light switch_on 40%"},
                                         {"on": "light.switch_on_done", "do": lamp}]}
    r = scenario("auto.engine", extra=extra, lines=["light switch_on", "sleep 70000", "light switch_on", "sleep 1000",
                                                    "automations off"]).result
    assert r["problems"] == ["config.json: automations[0]: light.switch_on_done would trigger itself: its light "
                             "switch_on 40% starts light.switch_on_done again; left out"]
    mine = "event: automation light.switch_on_done -> %s: " % lamp
    fired = [s for s in r["said"] if s.startswith(mine + "ok program started")]
    held = [s for s in r["said"] if s.startswith(mine) and not s.startswith(mine + "ok ")]
    assert len(fired) == 2 * 30, len(fired)  # the loop broken in the first minute, and again in the next one
    assert held == [mine + "30 firings this minute, the most there can be; skipped until the minute is over (does "
                    "it trigger itself?)"] * 2, held
