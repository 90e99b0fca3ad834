"""Sensors declared in config.json (`sensors`), measured in asyncio on the stub's parts (tools/hostmachine/parts.py),
on simulated time, on both interpreters. The drivers against parts nobody here wrote: make test-board, on the
emulated Pico's SHT4x, AHT20 and ADC models."""
import json
import time

import hostrun
from conftest import launch
from mqtt_rig import broker, firmware, home, online  # noqa: F401  (fixtures)
from web_rig import page  # noqa: F401  (fixture)

OP = 20
ROM = "28ff4c2b61150312"
ALL = {  # every kind
    "bath": {"kind": "sht4x", "interval_s": 10},
    "air": {"kind": "aht20", "bus": 1},
    "cpu": {"kind": "chip_temp"},
    "soil": {"kind": "adc", "pin": 26, "calibration": [[2.8, 0], [1.2, 100]], "unit": "%", "decimals": 0},
    "floor": {"kind": "ds18b20", "pin": 22},
    "room": {"kind": "dht22", "pin": 14},
}
PARTS = [
    {"at_ms": 0, "part": "sht4x", "bus": 0, "address": 0x44, "temp": 23.5, "rh": 55},
    {"at_ms": 0, "part": "aht20", "bus": 1, "temp": 21, "rh": 40},
    {"at_ms": 0, "part": "adc", "pin": 26, "volts": 2.0},
    {"at_ms": 0, "part": "adc", "pin": 4, "temp": 31},
    {"at_ms": 0, "part": "ds18b20", "pin": 22, "rom": ROM, "temp": 19.5},
    {"at_ms": 0, "part": "dht22", "pin": 14, "temp": 20.3, "rh": 48.2},
]


def boot(interp, flash, script, sensors, parts, more=None):
    (flash / "config.json").write_text(json.dumps(dict({"demo": False, "op_ms": OP, "sensors": sensors}, **(more or {}))))
    run = launch(interp, [hostrun.FIRMWARE / "main.py"], cwd=flash, trace=flash / "trace.jsonl", input=script,
                 parts=parts)
    assert run.rc == 0 and "Traceback" not in run.stdout + run.stderr, run.stdout + run.stderr
    return run


def replies(run):
    ready = [i for i, line in enumerate(run.lines) if line.startswith("event: ready for commands")][0]
    return [line for line in run.lines[ready:] if line.startswith(("ok", "error:"))]


def test_every_kind_measures_on_demand_and_on_its_schedule(interp, tmp_path):
    run = boot(interp, tmp_path, "measure bath\nmeasure air\nmeasure cpu\nmeasure soil\nmeasure floor\n"
                                 "measure room_humidity\nsensors\nstatus\nmeasure nope\n", ALL, PARTS)
    r = [json.loads(x[3:]) if x.startswith("ok") else x for x in replies(run)]
    assert r[:6] == [{"bath_temperature": 23.5, "bath_humidity": 55.0}, {"air_temperature": 21.0, "air_humidity": 40.0},
                     {"cpu": 30.8}, {"soil": 50}, {"floor": 19.5}, {"room_temperature": 20.3, "room_humidity": 48.2}]
    assert r[6]["soil"]["value"] == 50 and type(r[6]["soil"]["value"]) is int  # "decimals": 0
    assert r[6]["soil"]["unit"] == "%" and r[6]["soil"]["state"] == "ok" and r[6]["soil"]["age_s"] <= 2
    assert r[6]["bath_humidity"]["unit"] == "%" and r[6]["cpu"]["unit"] == "\u00b0C"
    assert r[7]["sensors"] == r[6]  # and in status
    assert r[8] == "error: no sensor 'nope'; sensors: air, bath, cpu, floor, room, soil"


def test_alice_waits_for_her_reading_and_bob_does_not(scenario):
    """A DS18B20 conversion is 750 ms: Alice's `measure` replies after it; Bob's `status` and light command, sent
    while it is in flight, reply at once, and the flush's relay is cut on time meanwhile."""
    run = scenario("sensors.alice_and_bob", op_ms=OP, sensors={"floor": {"kind": "ds18b20", "pin": 22}},
                   parts=[{"at_ms": 0, "part": "ds18b20", "pin": 22, "rom": ROM, "temp": 19.5},
                          {"at_ms": 1500, "part": "ds18b20", "pin": 22, "rom": ROM, "temp": 20.5}])
    r = run.result
    alice, bob = r["alice"], r["bob"]
    assert alice["reply"] == 'ok {"floor": 20.5}' and alice["to_ms"] - alice["from_ms"] >= 750, alice
    assert bob[0]["reply"].startswith("ok {") and bob[1]["reply"] == "ok light SWITCH_ON", bob
    for b in bob:
        assert b["to_ms"] - b["from_ms"] <= 1 and b["to_ms"] < alice["to_ms"] - 700, (b, alice)
    flush_on, flush_off = run.edges("flush", 1)[-1], run.edges("flush", 0)[-1]
    assert flush_off - flush_on == OP and flush_off < alice["to_ms"] - 700  # cut on time, mid-conversion


def test_a_bus_shared_by_two_parts_is_taken_in_turn(scenario):
    run = scenario("sensors.bus_in_turns", rounds=5, parts=[
        {"at_ms": 0, "part": "sht4x", "bus": 0, "temp": 22, "rh": 50},
        {"at_ms": 0, "part": "aht20", "bus": 0, "temp": 23, "rh": 45}])
    r = run.result
    assert json.loads(r["replies"][0][3:]) == {"bath_temperature": 22.0, "bath_humidity": 50.0}
    assert json.loads(r["replies"][1][3:]) == {"air_temperature": 23.0, "air_humidity": 45.0}
    log = r["log"]
    commands = [i for i, (t, bus, address, op) in enumerate(log) if op == "w"]
    assert len([i for i in commands if log[i][2] == 0x44]) >= 5 and len([i for i in commands if log[i][2] == 0x38]) >= 5
    for i in commands:  # from a part's command to its next transfer (its result, after the conversion): no other's
        j = [k for k in range(i + 1, len(log)) if log[k][2] == log[i][2]][0]
        assert {entry[2] for entry in log[i:j + 1]} == {log[i][2]}, log[i:j + 1]
        assert log[j][0] - log[i][0] >= (9 if log[i][2] == 0x44 else 80)  # the conversion, slept through


def test_a_failing_sensor_is_unavailable_with_its_reason_retried_and_back(scenario):
    run = scenario("sensors.published", until_ms=40000, sensors={
        "bath": {"kind": "sht4x", "interval_s": 10}, "soil": {"kind": "adc", "pin": 26, "interval_s": 5}},
        parts=[{"at_ms": 0, "part": "sht4x", "bus": 0, "temp": 22, "rh": 50},
               {"at_ms": 0, "part": "adc", "pin": 26, "volts": 1.0},
               {"at_ms": 5000, "part": "sht4x", "bus": 0, "fault": "crc"},
               {"at_ms": 15000, "part": "sht4x", "bus": 0, "fault": "nack"},
               {"at_ms": 21000, "part": "sht4x", "bus": 0, "fault": None, "temp": 24}])
    r = run.result
    bath = [h for h in r["heard"] if h[1] == "bath_temperature"]
    assert bath[0][2:] == [22.0, None]
    assert 10000 <= bath[1][0] <= 10030 and bath[1][3] == "CRC error in its answer"
    # retried 1 s later, then 2, 4, 8 s (backing off), and back at once after the fault
    nack = [h for h in bath if h[3] and h[3].startswith("no answer at 0x44 on I2C0 (GP4/GP5)")]
    assert nack and 15000 <= nack[0][0] <= 19000, bath
    back = [h for h in bath if h[3] is None and h[0] > 10000][0]
    assert back[2] == 24.0 and 21000 <= back[0] <= 29000, bath
    assert r["said"][:2] == ["error: sensors.bath: CRC error in its answer; unavailable, tried again in 1 s and on",
                             "event: sensors.bath: measured again"], r["said"]
    soil = [h for h in r["heard"] if h[1] == "soil"]
    assert [h[0] for h in soil] == list(range(0, 40000, 5000))  # on its own schedule, whatever the other did
    assert r["status"]["soil"]["state"] == "ok" and r["status"]["bath_temperature"]["state"] == "ok"


def test_filters_make_the_value_and_decide_what_is_published(scenario):
    """median 3, then offset and multiply, then delta 0.5: a spike is dropped by the median, a change under the
    delta is measured (status) but not published."""
    volts = [1.0, 1.0, 3.0, 1.0, 1.2, 1.3, 1.9, 1.9]  # one every 10 s
    run = scenario("sensors.published", until_ms=75000, sensors={"probe": {
        "kind": "adc", "pin": 27, "interval_s": 10, "unit": "V", "decimals": 2,
        "filters": [{"median": 3}, {"offset": -0.1}, {"multiply": 2}, {"delta": 0.5}]}},
        parts=[{"at_ms": i * 10000, "part": "adc", "pin": 27, "volts": v} for i, v in enumerate(volts)])
    heard = [(h[0], h[2]) for h in run.result["heard"]]
    # medians: 1.0 1.0 1.0 1.0 1.2 1.2 1.3 1.9 (the 3.0 spike never comes through) -> (m - 0.1) * 2: 1.8 1.8 1.8
    # 1.8 2.2 2.2 2.4 3.6; published where it moved 0.5 from the last published: 1.8, 2.4, 3.6
    assert heard == [(0, 1.8), (60000, 2.4), (70000, 3.6)], heard
    assert run.result["status"]["probe"]["value"] == 3.6


def test_readings_are_home_assistant_sensors_measured_over_mqtt_and_unavailable_when_their_part_fails(
        firmware, home, tmp_path):
    parts = tmp_path / "parts.json"
    parts.write_text(json.dumps([{"at_ms": 0, "part": "sht4x", "bus": 0, "temp": 23.5, "rh": 61},
                                 {"at_ms": 0, "part": "adc", "pin": 26, "volts": 1.65},
                                 {"at_ms": 0, "part": "ds18b20", "pin": 22, "rom": ROM, "temp": 19.5},
                                 {"at_ms": 6000, "part": "sht4x", "bus": 0, "fault": "nack"}]))
    fw = firmware(sensors={"bath": {"kind": "sht4x", "interval_s": 2, "label": "Bathroom"},
                           "level": {"kind": "adc", "pin": 26, "calibration": [[0, 0], [3.3, 100]], "unit": "%"},
                           "floor": {"kind": "ds18b20", "pin": 22}},
                  env={"IOT_PARTS": str(parts)})
    online(home, fw)
    t = json.loads(home.wait_for("homeassistant/sensor/test/sensor_bath_temperature/config")[0])
    h = json.loads(home.wait_for("homeassistant/sensor/test/sensor_bath_humidity/config")[0])
    level = json.loads(home.wait_for("homeassistant/sensor/test/sensor_level/config")[0])
    assert (t["name"], t["device_class"], t["unit_of_measurement"], t["state_class"]) == (
        "Bathroom temperature", "temperature", "\u00b0C", "measurement")
    assert (h["device_class"], h["unit_of_measurement"], h["state_topic"]) == (
        "humidity", "%", fw.base + "/sensor/bath_humidity/state")
    assert (level["name"], level["unit_of_measurement"], "device_class" in level) == ("Level", "%", False)
    assert t["availability_mode"] == "all" and "availability_topic" not in t
    home.wait_for(fw.base + "/sensor/bath_temperature/state",
                  lambda p: json.loads(p) == {"value": 23.5, "state": "ok", "reason": None})
    since = time.monotonic()
    home.publish(fw.base + "/sensor/floor/measure", "")  # a 750 ms conversion
    home.publish(fw.base + "/cmd", "help")  # answered while it goes on
    home.publish(fw.base + "/sensor/level/measure", "")
    got = home.wait_for(fw.base + "/result", since=since, count=3)
    assert got[0].startswith("ok commands: help"), got
    assert got[1:] == ['ok {"level": 50.01}', 'ok {"floor": 19.5}'], got
    gone = json.loads(home.wait_for(fw.base + "/sensor/bath_humidity/state",
                                    lambda p: json.loads(p)["state"] == "unavailable" and json.loads(p)["value"])[0])
    assert gone["reason"].startswith("no answer at 0x44 on I2C0 (GP4/GP5)") and gone["value"] == 61.0
    assert "error: sensors.bath: no answer at 0x44" in fw.console()


def test_a_value_automation_fires_once_held_for_its_time_and_again_only_past_its_hysteresis(interp, tmp_path):
    """The example's fan: on when the humidity stays over 70 % for 30 s, off below 65 %; a reading hovering under 70
    after it fired does not fire it again, and a spike shorter than 30 s not at all."""
    humidity = [(0, 55), (20000, 80), (60000, 68), (80000, 75), (120000, 60), (150000, 90), (160000, 55)]
    run = boot(interp, tmp_path, "wait 200000\nautomations\n",
               {"bath": {"kind": "sht4x", "interval_s": 10}},
               [{"at_ms": t, "part": "sht4x", "bus": 0, "temp": 22, "rh": rh} for t, rh in humidity],
               more={"devices": {"fan": {"kind": "relay", "pin": 22, "max_on_ms": 600000}},
                     "automations": [
                         {"on": "bath_humidity.above", "value": 70, "hysteresis": 5, "for_s": 30, "do": "fan switch_on"},
                         {"on": "bath_humidity.below", "value": 65, "do": "fan switch_off"}]})
    fan = run.pin(22)
    assert [v for _, v in fan] == [0, 1, 0], fan
    # the readings at 50 and 120 s (after the boot and a conversion), on the clock: no drift between them
    assert 50000 <= fan[1][0] <= 50000 + 50 and fan[2][0] - fan[1][0] == 70000, fan
    fired = [line.split(" -> ")[0][18:] for line in run.lines if line.startswith("event: automation bath_humidity")]
    # below 65 at the first reading too (as ESPHome's on_value_range, a value already in range fires), above once
    # (68, then 75, do not re-arm it: 65 is), below at 120 s, and again after the spike to 90 re-armed it
    assert fired == ["bath_humidity.below", "bath_humidity.above", "bath_humidity.below", "bath_humidity.below"], \
        run.lines


def test_the_page_lists_the_readings_measures_on_request_and_streams_them(page, tmp_path):
    parts = tmp_path / "parts.json"
    parts.write_text(json.dumps([{"at_ms": 0, "part": "sht4x", "bus": 0, "temp": 23.5, "rh": 61},
                                 {"at_ms": 0, "part": "ds18b20", "pin": 22, "rom": ROM, "temp": 19.5}]))
    p = page(sensors={"bath": {"kind": "sht4x"}, "floor": {"kind": "ds18b20", "pin": 22}},
             env={"IOT_PARTS": str(parts)})
    status, info = p.request("GET", "/api/info")
    assert status == 200 and info["readings"] == {
        "bath_temperature": {"unit": "\u00b0C", "decimals": 1, "sensor": "bath"},
        "bath_humidity": {"unit": "%", "decimals": 1, "sensor": "bath"},
        "floor": {"unit": "\u00b0C", "decimals": 1, "sensor": "floor"}}
    events = p.events()
    try:
        _, first = events.until(lambda name, d: name == "reading" and d["reading"] == "floor" and d["value"])
        assert first == {"reading": "floor", "value": 19.5, "state": "ok", "reason": None}
        assert p.request("POST", "/api/sensors/floor/measure")[1]["reply"] == 'ok {"floor": 19.5}'
        assert p.request("POST", "/api/sensors/nope/measure")[1]["reply"].startswith("error: no sensor 'nope'")
        # as every route that does something: a password, and never from another site
        assert p.request("POST", "/api/sensors/floor/measure", auth=False)[0] == 401
        assert p.request("POST", "/api/sensors/floor/measure", headers={
            "Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"})[0] == 403
    finally:
        events.close()


def test_a_home_with_a_fan_two_lights_and_four_sensors_boots_and_answers(interp, tmp_path):
    run = boot(interp, tmp_path, "status\nfan switch_on\nlamp switch_on 30%\nmeasure air\n",
               {"bath": {"kind": "sht4x"}, "air": {"kind": "aht20", "bus": 1}, "cpu": {"kind": "chip_temp"},
                "floor": {"kind": "ds18b20", "pin": 22}}, PARTS,
               more={"devices": {"fan": {"kind": "relay", "pin": 21, "max_on_ms": 600000},
                                 "light": {"kind": "light", "pin": 15}, "lamp": {"kind": "light", "pin": 13}}})
    assert not [line for line in run.lines if line.startswith("error")], run.lines
    r = replies(run)
    status = json.loads(r[0][3:])
    assert {"fan", "light", "lamp"} <= set(status) and sorted(status["sensors"]) == [
        "air_humidity", "air_temperature", "bath_humidity", "bath_temperature", "cpu", "floor"]
    assert r[1:3] == ["ok fan SWITCH_ON", "ok lamp SWITCH_ON 30%"], r
    assert json.loads(r[3][3:]) == {"air_temperature": 21.0, "air_humidity": 40.0}, r


def test_a_flood_of_measure_requests_on_mqtt_holds_nothing_up_and_gets_one_reply_each(firmware, home, tmp_path):
    """12 measures of a DS18B20 (750 ms each) and garbage names at once, then `stop` and a light command: at most 4
    wait for their sensor (the rest refused busy), each gets one reply, a retained one is never run, and `stop` and
    the light command are answered while the measurements still wait. The flood stays under the bridge's 16 waiting
    commands, so that the two are taken in their turn, not refused busy, however slow the broker."""
    parts = tmp_path / "parts.json"
    parts.write_text(json.dumps([{"at_ms": 0, "part": "ds18b20", "pin": 22, "rom": ROM, "temp": 19.5}]))
    home.publish("iot/test/sensor/floor/measure", "", retain=True)  # an old request the broker kept
    fw = firmware(sensors={"floor": {"kind": "ds18b20", "pin": 22, "interval_s": 3600}},
                  env={"IOT_PARTS": str(parts)})
    online(home, fw)
    home.wait_for(fw.base + "/sensor/floor/state", lambda p: json.loads(p)["state"] == "ok")
    since = time.monotonic()
    for _ in range(12):
        home.publish(fw.base + "/sensor/floor/measure", "")
    for name in ("nope", "../../x", "a" * 300, "floor/extra"):
        home.publish(fw.base + "/sensor/%s/measure" % name, "")
    home.publish(fw.base + "/cmd", "stop")
    home.publish(fw.base + "/light/set", "ON")
    got = home.wait_for(fw.base + "/result", since=since, count=16, timeout=20)
    quick = [i for i, g in enumerate(got) if g.startswith(("ok stopped", "ok light"))]
    assert len(quick) == 2 and home.wait_for(fw.base + "/light/state", lambda p: json.loads(p)["on"],
                                             since=since)[0]
    assert quick[-1] < got.index('ok {"floor": 19.5}'), got  # answered before the first measurement ends
    measured = [g for g in got if g == 'ok {"floor": 19.5}']
    busy = [g for g in got if g.startswith("error: busy")]
    unknown = [g for g in got if g.startswith("error: no sensor")]
    assert 1 <= len(measured) <= 4 and len(measured) + len(busy) + len(unknown) == 14, got  # 4 wait at once
    # "../../x" and "floor/extra" have more levels than sensor/+/measure: no command at all; the other two are
    # refused by name
    time.sleep(1)
    assert len(home.on(fw.base + "/result")) == 16  # one reply each, nothing more; the retained one never ran
