"""The firmware on a real MQTT broker, driven as Home Assistant drives it: discovery, commands, results,
availability. On both interpreters, with amqtt and (when installed) Mosquitto; on real time."""
import json
import time

import pytest
from mqtt_rig import Firmware, Home, broker, firmware, free_port, home, online, results  # noqa: F401  (fixtures)

pytestmark = pytest.mark.timeout(120)


EXPECTED = {  # the firmware's entities on the Pico's default board map (a lid servo, a single-colour light)
    "light/test/light", "siren/test/speaker", "button/test/toilet_flush", "button/test/toilet_clean",
    "valve/test/toilet_lid", "button/test/program_wake_up", "button/test/program_sleep", "update/test/firmware",
    "sensor/test/link", "sensor/test/heap_free", "binary_sensor/test/toilet_flush_running",
    "binary_sensor/test/toilet_clean_running"}


def discovery(home, since=0):
    out = {}
    with home.lock:
        for t, topic, payload, _ in home.messages:
            if topic.startswith("homeassistant/") and topic.endswith("/config") and t >= since:
                out[topic] = json.loads(payload)
    return out


def test_discovery_configs_are_one_per_entity_and_sent_again_when_home_assistant_comes_back(firmware, home, broker):
    """What each config holds is Home Assistant's to judge (test_ha_core.py, make test-ha); here, our own part: one
    config per entity, unique ids, one device, one availability topic, and each sent again."""
    fw = firmware()
    online(home, fw)
    end = time.monotonic() + 15
    while len(discovery(home)) < len(EXPECTED) and time.monotonic() < end:
        time.sleep(0.05)
    configs = discovery(home)
    assert {t[len("homeassistant/"):-len("/config")] for t in configs} == EXPECTED
    assert len({c["unique_id"] for c in configs.values()}) == len(configs)
    # Ids from the board's own (machine.unique_id), not its node name: a renamed node keeps its entities.
    board_ids = {c["device"]["identifiers"][0] for c in configs.values()}
    assert len(board_ids) == 1 and board_ids.pop().startswith("iot_") and "test" not in "".join(
        c["unique_id"] for c in configs.values())
    assert {json.dumps(c["o"], sort_keys=True) for c in configs.values()} == {json.dumps(
        {"name": "iot-firmware", "sw": configs["homeassistant/light/test/light/config"]["device"]["sw_version"]},
        sort_keys=True)}
    assert {c["availability_topic"] for c in configs.values()} == {fw.base + "/status"}
    assert len({json.dumps(c["device"], sort_keys=True) for c in configs.values()}) == 1
    siren = configs["homeassistant/siren/test/speaker/config"]
    assert siren["available_tones"] == ["Miles Davis - Kind of Blue"]
    light = configs["homeassistant/light/test/light/config"]
    assert light["schema"] == "template" and "red_template" not in light
    # Retained: a Home Assistant that starts later gets them all from the broker.
    late = Home(broker.port)
    try:
        end = time.monotonic() + 10
        while len(discovery(late)) < len(EXPECTED) and time.monotonic() < end:
            time.sleep(0.05)
        assert set(discovery(late)) == set(configs)
        assert all(m[3] for m in late.messages if m[1] in configs)
    finally:
        late.close()
    # Home Assistant restarted: it says so, and gets every config again.
    again = time.monotonic()
    home.publish("homeassistant/status", "online")
    end = time.monotonic() + 10
    while len(discovery(home, again)) < len(EXPECTED) and time.monotonic() < end:
        time.sleep(0.05)
    assert set(discovery(home, again)) == set(configs)


def test_commands_sent_as_home_assistant_sends_them_move_the_right_pins(firmware, home):
    fw = firmware()
    online(home, fw)
    home.publish(fw.base + "/light/set", json.dumps({"state": "ON", "brightness": 40, "transition": 0}))
    home.publish(fw.base + "/toilet/set", "FLUSH")  # the flush button's payload_press
    home.publish(fw.base + "/speaker/set", json.dumps({"state": "ON", "tone": "Miles Davis - Kind of Blue"}))
    assert results(home, fw, 3) == ["ok light SWITCH_ON 40% 0ms", "ok toilet FLUSH", "ok program started (planned 2746 ms)"]
    state = home.wait_for(fw.base + "/light/state", lambda p: json.loads(p)["state"] == "ON")[-1]
    assert json.loads(state)["brightness"] == 40
    home.wait_for(fw.base + "/log", lambda p: p.startswith("event: program done"), timeout=20)
    home.publish(fw.base + "/cmd", "run sleep")  # a program's button
    home.wait_for(fw.base + "/log", lambda p: p.startswith("event: sleep done"), timeout=20)
    assert fw.stop() == 0
    run = fw.run()
    assert [round(d / 65535, 2) for _, d in run.duty("light") if d][:1] == [0.16]  # 40%, gamma-corrected, at once
    flushes = run.edges("flush", 1)
    assert len(flushes) == 2  # the button, then the sleep program's flush
    tones = [hz for _, hz in run.pwm("speaker") if hz]
    assert tones[:3] == [587, 440, 494]  # So What: d, a4, b4
    assert len(run.edges("clean", 1)) == 1  # the sleep program's clean, after its flush
    assert set(run.final().values()) == {0}  # the console's end: every output off


def test_the_result_topic_answers_each_shell_command_once_and_in_order(firmware, home):
    fw = firmware()
    online(home, fw)
    commands = ["help", "bogus", "plan wake_up", "devices", "light SWITCH_ON", "define p1 {\"delay\": 300}",
                "run p1", "run p1", "light FLUSH", "stop", "wait"]
    for c in commands:
        home.publish(fw.base + "/cmd", c)
    got = results(home, fw, len(commands))
    expected = ["ok commands:", "error: unknown command or device 'bogus'", "ok wake_up: 2746 ms",
                "ok {\"", "ok light SWITCH_ON", "ok defined p1", "ok p1 started", "error: p1 is already running",
                "error: light: does not take FLUSH", "ok stopped",
                "error: wait holds the channel it comes on: it is the serial console's alone"]  # no MQTT command waits
    assert len(got) == len(expected)
    for reply, start in zip(got, expected):
        assert reply.startswith(start), (reply, start)
    time.sleep(0.5)
    assert len(home.on(fw.base + "/result")) == len(commands)  # one each, nothing more


def test_availability_goes_offline_with_the_firmware_and_online_when_it_is_back(firmware, home, interp, tmp_path,
                                                                                broker):
    fw = firmware()
    online(home, fw)
    gone = time.monotonic()
    fw.kill()  # a power cut: the broker sends the last will
    home.wait_for(fw.base + "/status", lambda p: p == "offline", since=gone, timeout=30)
    back = time.monotonic()
    again = Firmware(interp, tmp_path, broker.port).start()
    try:
        online(home, again, since=back)
    finally:
        again.kill()


def test_make_sim_mqtt_joins_the_broker(interp, broker, home, tmp_path):
    """`make sim MQTT=host:port`: the simulator's firmware on the broker, its console still the shell."""
    import subprocess
    import sys

    import hostrun

    args = [sys.executable, str(hostrun.TOOLS / "sim.py"), "--no-demo", "--mqtt", "127.0.0.1:%d" % broker.port,
            "--trace", str(tmp_path / "sim" / "trace.jsonl")] + (["--python"] if interp == "cpython" else [])
    out = subprocess.run(args, input="wait 1500\nstatus\n", capture_output=True, text=True, timeout=60,
                         cwd=hostrun.ROOT).stdout
    status = json.loads("{" + out.split(" ok {", 1)[1].split("\n")[0])
    assert status["network"]["mqtt"] == "up" and status["network"]["link"] == "wired"
    assert home.on("iot/sim/status")[:1] == ["online"]
    assert "homeassistant/light/sim/light/config" in discovery(home)


def test_an_rgb_light_is_announced_with_colour_and_takes_home_assistants_colour(firmware, home):
    fw = firmware(pins={"light": [13, 14, 12]}, light={"kind": "rgb"})
    online(home, fw)
    config = json.loads(home.wait_for("homeassistant/light/test/light/config")[-1])
    assert config["schema"] == "template" and config["red_template"] == "{{ value_json.color.r }}"
    home.publish(fw.base + "/light/set", json.dumps({"state": "ON", "color": {"r": 255, "g": 128, "b": 0},
                                                     "brightness": 50}))
    assert results(home, fw, 1) == ["ok light SWITCH_ON #ff8000 50%"]
    state = json.loads(home.wait_for(fw.base + "/light/state", lambda p: json.loads(p)["state"] == "ON")[-1])
    assert state["color"] == {"r": 255, "g": 128, "b": 0}
    assert state["hex"] == "#ff8000" and state["brightness"] == 50
    assert fw.stop() == 0
    red = [d for _, d in fw.run().duty(13) if d]
    assert red and red[0] == (255 * 50 // 100) ** 2 * 65535 // 65025  # half of full red, gamma-corrected


def test_the_demo_is_seen_on_the_broker_and_a_command_sent_meanwhile_is_answered_after_it(firmware, home):
    fw = firmware(demo=True, op_ms=200)
    online(home, fw)  # the network joins first, while the devices connect
    home.publish(fw.base + "/light/set", "OFF")
    done = home.wait_for(fw.base + "/log", lambda p: p.startswith("event: demo done"), timeout=20)
    assert results(home, fw, 1) == ["ok light SWITCH_OFF"]
    events = [e.split(" in ")[0] for e in home.on(fw.base + "/log")]
    assert events[-3:] == ["event: wake_up done", "event: sleep done", "event: demo done"]  # (registered: if joined)
    with home.lock:
        order = [m[2].decode() for m in home.messages if m[1] in (fw.base + "/log", fw.base + "/result")]
    assert order.index("ok light SWITCH_OFF") > order.index(done[0])  # answered once the demo is over
    speaker = [json.loads(p) for p in home.on(fw.base + "/speaker/state")]
    assert any(s["song"] == "Miles Davis - Kind of Blue" for s in speaker)  # states went out during the demo


AUTOMATIONS = {"inputs": {"bath_button": {"pin": 14}, "door": {"pin": 13, "kind": "contact"}},
               "schedules": {"night_clean": {"at": "03:00"}},
               "automations": [{"on": "bath_button.press", "do": "toilet flush"}],
               "clock": {"utc_offset": "+01:00", "dst": "eu"}}


def test_inputs_are_event_entities_schedules_timestamps_and_automations_a_switch(firmware, home):
    fw = firmware(**AUTOMATIONS)
    online(home, fw)
    expected = EXPECTED | {"event/test/input_bath_button", "event/test/input_door", "sensor/test/schedule_night_clean",
                           "switch/test/automations", "binary_sensor/test/contact_door"}
    end = time.monotonic() + 15
    while len(discovery(home)) < len(expected) and time.monotonic() < end:
        time.sleep(0.05)
    configs = discovery(home)
    assert {t[len("homeassistant/"):-len("/config")] for t in configs} == expected
    button = configs["homeassistant/event/test/input_bath_button/config"]
    assert button["event_types"] == ["press", "release", "long_press", "double_press"]
    assert configs["homeassistant/event/test/input_door/config"]["event_types"] == ["closed", "open"]
    assert configs["homeassistant/sensor/test/schedule_night_clean/config"]["device_class"] == "timestamp"
    switch = configs["homeassistant/switch/test/automations/config"]
    state = home.wait_for(fw.base + "/auto/state", lambda p: True)[-1]
    assert json.loads(state) == {"enabled": "ON", "time": None, "schedules": {"night_clean": None},
                                 "inputs": {"bath_button": "released", "door": "open"}}
    # A press: its event entity fires, and its automation flushes.
    home.publish(fw.base + "/cmd", "press bath_button")
    events = [json.loads(p)["event_type"] for p in home.wait_for(button["state_topic"], count=2)]
    assert events == ["press", "release"]
    home.wait_for(fw.base + "/log", lambda p: p.startswith("event: automation bath_button.press -> toilet flush: ok"))
    # The time set: the schedule's next slot in auto/state, as Home Assistant's timestamp takes it.
    home.publish(fw.base + "/cmd", "time set 2026-12-03T12:00")
    state = home.wait_for(fw.base + "/auto/state", lambda p: json.loads(p)["time"] is not None)[-1]
    assert json.loads(state)["schedules"] == {"night_clean": "2026-12-04T03:00:00+01:00"}
    # The switch as Home Assistant sends it.
    home.publish(switch["command_topic"], switch["payload_off"])
    home.wait_for(fw.base + "/auto/state", lambda p: json.loads(p)["enabled"] == "OFF")
    assert fw.stop() == 0
    assert len(fw.run().edges("flush", 1)) == 1


def test_an_updates_progress_is_home_assistants_update_entity_whoever_starts_it(firmware, home):
    import sys

    import hostrun

    sys.path.insert(0, str(hostrun.TOOLS))
    import bundle as bundler

    key = "test-update-key-0123456789"
    fw = firmware()
    (fw.flash / "secrets.json").write_text(json.dumps({"update_key": key}))
    files = [("part%d.py" % i, b"#" * 3000) for i in range(8)]  # a slot nothing boots: its progress is the point
    (fw.flash / "good.bundle").write_bytes(bundler.bundle_bytes(files, "9.9.9", "linux", key.encode()))
    (fw.flash / "bad.bundle").write_bytes(bundler.bundle_bytes(files, "6.6.6", "linux", b"another-key-0123456789"))
    fw.kill()
    fw.start()  # again, with its secrets.json
    online(home, fw)
    home.wait_for("homeassistant/update/test/firmware/config")
    idle = json.loads(home.wait_for(fw.base + "/update")[-1])
    running = idle["installed_version"]
    assert idle["latest_version"] == running and idle["in_progress"] is False and idle["update_percentage"] is None
    since = time.monotonic()
    home.publish(fw.base + "/cmd", "update apply good.bundle")  # as the shell takes it: the same progress
    done = home.wait_for(fw.base + "/update", lambda p: "release_summary" in json.loads(p), since=since)
    states = [json.loads(p) for p in home.on(fw.base + "/update", since)]
    # on MQTT it runs beside the commands (none waits): begun at once, its end an event line
    assert results(home, fw, 1, since)[0] == "ok update apply good.bundle: begun; its end is an event line"
    assert home.wait_for(fw.base + "/log", lambda p: p.startswith("event: update apply good.bundle: "), since=since) \
        [-1].startswith("event: update apply good.bundle: ok update 9.9.9 staged in slot a")
    busy = [s for s in states if s["in_progress"]]
    assert busy and all(s["latest_version"] == "9.9.9" and s["installed_version"] == running for s in busy)
    percents = [s["update_percentage"] for s in busy]
    assert percents == sorted(percents) and 0 <= percents[0] < 100 and len(set(percents)) > 2, percents
    assert json.loads(done[-1]) == {"installed_version": running, "latest_version": "9.9.9", "in_progress": False,
                                    "update_percentage": None, "release_summary": "9.9.9 staged in slot a"}
    # A refused one: no longer in progress; the one staged is still what the next reset runs.
    since = time.monotonic()
    home.publish(fw.base + "/cmd", "update apply bad.bundle")
    assert results(home, fw, 1, since)[0] == "ok update apply bad.bundle: begun; its end is an event line"
    assert home.wait_for(fw.base + "/log", lambda p: p.startswith("event: update apply bad.bundle: "), since=since) \
        [-1] == "event: update apply bad.bundle: error: bundle: the signature is wrong (another update_key, or the " \
                "bundle was changed)"
    failed = json.loads(home.wait_for(fw.base + "/update", since=since)[-1])
    assert failed["in_progress"] is False and failed["latest_version"] == "9.9.9"


def test_the_bridge_lets_go_of_every_watcher_it_added(scenario):
    """Of the devices, the updates and the automations: a bridge that is gone is told nothing."""
    seen = scenario("bridge.watchers_come_and_go").result
    before = seen["before"]
    assert seen["served"] == [n + 1 for n in before] and seen["after deinit"] == before, seen


def test_a_full_queue_refuses_publish_and_put_waits_for_room(scenario):
    """publish() never blocks: it says False when the queue is full; put() waits until the writer makes room."""
    seen = scenario("bridge.queue_waits_for_room", real_time=True, port=free_port()).result
    assert seen == {"one more": False, "waiting": True, "put": True, "published": 33}, seen
