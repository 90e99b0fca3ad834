"""The firmware on a real MQTT broker under faults: malformed payloads, floods, retained commands, and the
broker killed mid-flush. On both interpreters, with amqtt and (when installed) Mosquitto; on real time."""
import json
import time

import pytest
from mqtt_rig import broker, firmware, home, online, results  # noqa: F401  (fixtures)

pytestmark = pytest.mark.timeout(180)


def settled(home, fw):
    """Connected, and the first states published: what the outputs are before anything is sent."""
    online(home, fw)
    for device in ("light", "speaker", "toilet"):
        home.wait_for("%s/%s/state" % (fw.base, device))


MALFORMED = [  # (topic under the node, payload, what the one reply starts with)
    ("light/set", "{bad", "error: light: the command is not valid JSON"),
    ("nobody/set", "ON", "error: unknown device 'nobody'"),
    ("light/set", '{"msg": 5}', "error: light: msg and data are text"),
    ("light/set", '{"msg": "SWITCH_ON", "at": 1}', "error: light: 'at' is neither msg nor data"),
    ("light/set", '{"msg": "FLUSH"}', "error: light: does not take FLUSH"),
    ("light/set", '{"msg": "EXPLODE"}', "error: unknown message type 'EXPLODE'"),
    ("light/set", '{"state": "ON", "brightness": "x"}', 'error: light: cannot take brightness "x"'),
    ("light/set", '{"state": "ON", "brightness": 0}', "error: light: cannot take brightness 0"),
    ("light/set", '{"state": "ON", "color": {"r": 300, "g": 0, "b": 0}}', "error: light: cannot take color"),
    ("light/set", '{"state": "ON", "color": {"r": 255, "g": 0, "b": 0}}', "error: light: '#ff0000' is neither a brightness"),
    ("light/set", '{"state": "MAYBE"}', "error: light: state is ON or OFF, not 'MAYBE'"),
    ("light/set", "[1, 2]", "error: unknown message type '[1,'"),
    ("light/set", '{"nested": ' * 50 + "1" + "}" * 50, "error: light: the command is nested deeper than 40"),
    ("light/set", b"\xff\xfe\x00", "error: iot/test/light/set: the command is not UTF-8 text; ignored"),
    ("light/set", "y" * 3000, "error: iot/test/light/set: a 3000-byte command, over 1024; ignored"),
    ("cmd", "x" * 100_000, "error: iot/test/cmd: a 100000-byte command, over 1024; ignored"),
    ("speaker/set", '{"state": "ON", "tone": "no such song"}', "error: speaker: no song 'no such song'"),
    ("toilet/set", '{"msg": "FLUSH", "data": "now"}', "error: toilet: FLUSH takes no data"),
    ("cmd", "light SWITCH_ON \x07", "error: control character 0x07"),
    ("cmd", "define p [", "error: bad JSON"),
    ("cmd", "run {\"seq\": [{\"send\": [\"toilet\", \"FLUSH\"]}, {\"send\": [\"nobody\", \"FLUSH\"]}]}",
     "error: step 2: unknown device 'nobody'"),
]


def test_malformed_payloads_get_one_error_each_in_order_and_change_nothing(firmware, home):
    fw = firmware()
    settled(home, fw)
    before = len(fw.run().trace)
    for topic, payload, _ in MALFORMED:
        home.publish("%s/%s" % (fw.base, topic), payload)
    got = results(home, fw, len(MALFORMED))
    for reply, (topic, payload, start) in zip(got, MALFORMED):
        assert reply.startswith(start), (topic, payload[:60], reply)
    time.sleep(0.5)
    assert len(home.on(fw.base + "/result")) == len(MALFORMED)  # one each, nothing more
    home.publish(fw.base + "/cmd", "devices")
    assert results(home, fw, len(MALFORMED) + 1)[-1].startswith('ok {"')  # it still answers
    assert len(fw.run().trace) == before  # no output moved, not even the status LED's blink
    assert fw.stop() == 0


def test_a_flood_of_a_thousand_commands_gets_a_thousand_replies_and_keeps_every_relay_in_bounds(firmware, home):
    fw = firmware(op_ms=20, max_on_ms=1000, min_off_ms=100)
    settled(home, fw)
    for _ in range(1000):
        home.publish(fw.base + "/toilet/set", "FLUSH", qos=0)
    got = results(home, fw, 1000, timeout=60)
    assert {r.partition(":")[0].partition(" ")[0] for r in got} <= {"ok", "error"}
    ok = [r for r in got if r == "ok toilet FLUSH"]
    # refused: the bridge's queue full (busy), or the toilet's (8 waiting: an MQTT command never waits for room)
    assert ok and [r for r in got if r.startswith("error: busy") or r.startswith("error: toilet: 8 commands wait")]
    time.sleep(0.5)
    assert len(home.on(fw.base + "/result")) == 1000
    home.publish(fw.base + "/cmd", "status")
    assert results(home, fw, 1001)[-1].startswith('ok {"')
    assert fw.stop() == 0
    run = fw.run()
    pulses = run.edges("flush", 1)
    # Each accepted flush ends in exactly one event on the console: done (one pulse) or, when its turn came
    # with no time left in the relay's energised period, refused then; refused and dropped ones moved nothing.
    ends = [line for line in fw.console().split("\n") if line.startswith("event: toilet FLUSH ")]
    assert len(ends) == len(ok)
    assert len(pulses) == len([e for e in ends if " done in " in e]) >= 1
    # Energised stretches (gaps under min_off_ms joined) never pass max_on_ms.
    stretch_start = last_off = None
    for t, v in run.pin("flush"):
        if v and (last_off is None or t - last_off >= 100):
            stretch_start = t
        elif not v and stretch_start is not None:
            last_off = t
            assert t - stretch_start <= 1000 + 50, (stretch_start, t)


def test_a_flood_of_siren_commands_runs_at_most_max_runs_programs_answers_each_once_and_stop_cuts_at_once(
        firmware, home):
    """Home Assistant's siren on, while the speaker is off, is a program (switch on, then the song): a flood of
    them starts at most MAX_RUNS (8) such programs, refuses the rest with one reply each, and holds nothing up:
    stop is answered at once and the speaker falls silent. The speaker warms up for 3 s (op_ms), so every one
    of the flood comes while it is off, however slowly the broker hands them over."""
    fw = firmware(op_ms=3000)
    settled(home, fw)
    for _ in range(20):
        home.publish(fw.base + "/speaker/set", '{"state": "ON"}')
    got = results(home, fw, 20)
    assert [r.split(" (")[0] for r in got[:8]] == ["ok program started"] * 8, got
    # the rest refused: by the cap, or (on a loaded machine, the worker behind the broker) as busy, still one each
    assert set(got[8:]) <= {"error: 8 programs without a name (given as JSON, or made for Home Assistant's siren) run "
                            "already, the most there can be",
                            "error: busy: commands come faster than this board answers them; this one was not run"}, got
    assert len(got) == 20, got
    time.sleep(3.3)  # past the speaker's warm-up: the songs play
    sent = time.monotonic()
    home.publish(fw.base + "/cmd", "stop")
    assert results(home, fw, 21)[-1] == "ok stopped the programs without a name; all outputs safe"
    assert time.monotonic() - sent < 2.0
    time.sleep(0.3)
    assert len(home.on(fw.base + "/result")) == 21  # one reply each, nothing more
    assert fw.stop() == 0
    run = fw.run()
    tones = run.pwm("speaker")
    assert [hz for _, hz in tones if hz] and tones[-1][1] == 0  # it played, and is silent
    assert len([line for line in fw.console().split("\n") if line.startswith("event: program cancelled")]) == 8


def test_retained_commands_are_never_run_at_connect(firmware, home):
    home.publish("iot/test/toilet/set", "FLUSH", retain=True)  # an old command the broker kept
    home.publish("iot/test/cmd", "run sleep", retain=True)
    fw = firmware()
    settled(home, fw)
    time.sleep(1.5)
    assert home.on(fw.base + "/result") == []
    home.publish(fw.base + "/cmd", "devices")
    assert results(home, fw, 1)[0].startswith('ok {"')
    assert fw.stop() == 0
    assert fw.run().edges("flush", 1) == [] and fw.run().edges("light", 1) == []


def console_reply(fw, line, timeout=10):
    """The reply on the serial console to a line typed there."""
    before = fw.console().count("\nok ")
    fw.type(line)
    end = time.monotonic() + timeout
    while fw.console().count("\nok ") == before and time.monotonic() < end:
        time.sleep(0.05)
    return fw.console().split("\nok ")[-1].split("\n")[0]


def test_a_broker_killed_mid_flush_leaves_the_relay_off_on_time_keeps_the_shell_and_replays_nothing(
        firmware, home, broker):
    fw = firmware(op_ms=1000, max_on_ms=1500)
    settled(home, fw)
    home.publish(fw.base + "/toilet/set", "FLUSH")
    assert results(home, fw, 1) == ["ok toilet FLUSH"]
    home.wait_for(fw.base + "/toilet/state", lambda p: json.loads(p)["flush"] == 1)
    broker.kill()
    assert '"flush": 1' in console_reply(fw, "devices")  # the serial shell goes on without the broker
    time.sleep(1.2)  # the flush ends while the broker is gone
    assert '"flush": 0' in console_reply(fw, "devices")
    restart = time.monotonic()
    broker.start()
    home.wait_for(fw.base + "/diag", lambda p: json.loads(p)["mqtt_connects"] == 2, since=restart, timeout=40)
    online(home, fw, since=restart)
    home.publish(fw.base + "/cmd", "devices")
    assert results(home, fw, 1, since=restart)[0].startswith('ok {"')
    time.sleep(0.5)
    assert len(home.on(fw.base + "/result", since=restart)) == 1  # the flush was not replayed
    assert fw.stop() == 0
    flush = fw.run().pin("flush")
    assert [v for _, v in flush] == [0, 1, 0]  # one pulse
    assert 1000 - 1 <= flush[2][0] - flush[1][0] <= 1000 + 50  # off at its end, within max_on_ms


def test_a_lost_wifi_link_drops_mqtt_keeps_the_shell_and_the_relay_on_time_and_rejoins(firmware, home, tmp_path):
    link = tmp_path / "wifi"  # the stub WLAN's link: "down" as a router going away
    link.write_text("up")
    fw = firmware(env={"HOST_WIFI": str(link)}, wifi={"ssid": "home"}, op_ms=2000, max_on_ms=3000)
    settled(home, fw)
    home.publish(fw.base + "/toilet/set", "FLUSH")
    assert results(home, fw, 1) == ["ok toilet FLUSH"]
    home.wait_for(fw.base + "/toilet/state", lambda p: json.loads(p)["flush"] == 1)
    lost = time.monotonic()
    link.write_text("down")
    home.wait_for(fw.base + "/status", lambda p: p == "offline", since=lost, timeout=15)  # the last will
    assert "event: wifi home lost; joining again" in fw.console()
    status = json.loads("{" + console_reply(fw, "status")[1:])  # the serial shell goes on
    assert status["network"]["link"] == "connecting" and status["network"]["mqtt"] == "down"
    time.sleep(max(0, lost + 2.5 - time.monotonic()))  # the flush is over, on its own time
    back = time.monotonic()
    link.write_text("up")
    home.wait_for(fw.base + "/diag", lambda p: json.loads(p)["mqtt_connects"] == 2, since=back, timeout=40)
    online(home, fw, since=back)
    home.publish(fw.base + "/cmd", "devices")
    assert results(home, fw, 1, since=back)[0].startswith('ok {"')
    time.sleep(0.5)
    assert len(home.on(fw.base + "/result", since=back)) == 1  # nothing replayed
    assert fw.stop() == 0
    flush = fw.run().pin("flush")
    assert [v for _, v in flush] == [0, 1, 0]
    assert 2000 - 1 <= flush[2][0] - flush[1][0] <= 2000 + 50
