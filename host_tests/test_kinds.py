"""A device kind added from outside the firmware tree: its package (fan_kind, test only) and one row in
iot.devices.kinds are all it takes to be announced to Home Assistant, driven from the shell and MQTT, and shown
by the web page, on both interpreters (docs/architecture.md walks through adding it)."""
import json
import time
from pathlib import Path

from mqtt_rig import broker, firmware, home, online  # noqa: F401  (fixtures)
from web_rig import page  # noqa: F401  (fixture)

HERE = Path(__file__).parent
FAN_MAIN = HERE / "fan_main.py"
FAN_PIN = 21
FAN = {"fan": {"kind": "fan", "pin": FAN_PIN}}  # the only device declared


def wait(predicate, timeout=15):
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("not in %d s" % timeout)
        time.sleep(0.05)


def test_a_kind_from_outside_is_announced_and_driven_from_the_shell_and_mqtt(firmware, home):
    fw = firmware(main=FAN_MAIN, devices=FAN)
    online(home, fw)
    config = json.loads(home.wait_for("homeassistant/fan/test/fan/config")[0])
    assert config["command_topic"] == fw.base + "/fan/set" and config["state_topic"] == fw.base + "/fan/state"
    assert config["name"] == "Fan" and config["unique_id"].endswith("_fan")
    home.wait_for(fw.base + "/fan/state", lambda p: json.loads(p) == {"on": False, "state": "OFF"})
    fw.type("fan switch_on")
    home.wait_for(fw.base + "/fan/state", lambda p: json.loads(p)["state"] == "ON")
    wait(lambda: [v for _, v in fw.run().pin(FAN_PIN)][-1:] == [1])
    since = time.monotonic()
    home.publish(fw.base + "/fan/set", '{"state": "OFF"}')
    assert home.wait_for(fw.base + "/result", since=since)[0] == "ok fan SWITCH_OFF"
    wait(lambda: [v for _, v in fw.run().pin(FAN_PIN)][-1:] == [0])
    assert [v for _, v in fw.run().pin(FAN_PIN)] == [0, 1, 0]
    assert "ok fan SWITCH_ON" in fw.console()


def test_a_kind_from_outside_has_its_card_on_the_page(page):
    p = page(main=FAN_MAIN, devices=FAN)
    status, info = p.request("GET", "/api/info")
    assert status == 200 and info["devices"]["fan"]["kind"] == "fan"
    assert [(c["id"], c["msg"]) for c in info["devices"]["fan"]["card"]] == [("on", "SWITCH_ON"), ("off", "SWITCH_OFF")]
    events = p.events()
    try:
        _, first = events.until(lambda name, d: name == "state" and d["device"] == "fan")
        assert (first["text"], first["on"]) == ("still", False)
        assert p.request("POST", "/api/devices/fan", {"msg": "SWITCH_ON"})[1]["reply"] == "ok fan SWITCH_ON"
        _, on = events.until(lambda name, d: name == "state" and d["device"] == "fan" and d["on"])
        assert on["text"] == "spinning"
    finally:
        events.close()
    wait(lambda: [v for _, v in p.fw.run().pin(FAN_PIN)][-1:] == [1])
