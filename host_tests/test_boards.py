"""Boards and config.json: pin maps, detection, validation naming the bad key, safe boot of main.py."""
import json

import hostrun
from conftest import launch

SHAPE = "config.json: active_low must be a list of outputs (status_led, light, speaker, speaker_enable, flush, clean, lid)"


def test_config_errors_name_the_bad_key(scenario):
    r = scenario("boot.settings").result
    assert r["errors"] == [
        "config.json: must be a JSON object",
        "config.json: unknown key 'pinz'",
        "config.json: board 'uno' is not one of esp32_devkitc, pico, pico2, pico2_w, pico_w (or MicroPython's name, as RPI_PICO_W)",
        "config.json: pins must be an object",
        "config.json: pins.lamp is not an output (status_led, light, speaker, speaker_enable, flush, clean, lid)",
        "config.json: pins.light must be a GPIO number or pin name, not -1",
        "config.json: pins.light must be a GPIO number or pin name, not 3.5",
        "config.json: pins: pin 18 is used twice",
        SHAPE,
        SHAPE,
        "config.json: op_ms must be a whole number from 0 to 60000",
        "config.json: max_on_ms must be a whole number from 100 to 86400000",
        "config.json: wdt_ms must be 0 (off) or from 1000 to 8000",
        "config.json: wdt_ms must be a whole number from 0 to 8000",
        "config.json: op_ms must not be over max_on_ms",
        "config.json: light must be an object",
        "config.json: light.kind must be one of pwm, rgb, neopixel",
        "config.json: light.colour is not a light setting (fade_ms, kind, pixels)",
        "config.json: light.fade_ms must be a whole number from 0 to 60000",
        "config.json: light.pixels must be a whole number from 1 to 1024",
        "config.json: pins.light must be a list of 3 pins [r, g, b] for an rgb light, and only then",
        "config.json: pins.light must be a list of 3 pins [r, g, b] for an rgb light, and only then",
        "config.json: pins.light must be a GPIO number or pin name, not [1, 2]",
        "config.json: pins: pin 16 is used twice",
        "config.json: demo must be true or false",
        'config.json: programs must be {"<program>": {"label": text of 1 to 40 characters}}',
        'config.json: programs must be {"<program>": {"label": text of 1 to 40 characters}}',
        'config.json: programs must be {"<program>": {"label": text of 1 to 40 characters}}',
        "config.json: wifi must be an object",
        "config.json: wifi.ssid is missing",
        "config.json: wifi.pass is not one of password, ssid",
        "config.json: wifi.ssid must be 1 to 32 characters",
        "config.json: mqtt.host is missing",
        "config.json: mqtt.port must be from 1 to 65535",
        "config.json: mqtt.tls must be true or false",
        "config.json: mqtt.prefix may hold only a-z, A-Z, 0-9, _ and -",
        "config.json: mqtt.node may hold only a-z, A-Z, 0-9, _ and -",
        "config.json: mqtt.keepalive must be from 10 to 3600",
        "config.json: mqtt.host must not be null",
        "config.json: wifi.password must not be null",
        "config.json: mqtt.prefix must not be null",
    ]
    assert r["good"] == {
        "board": "pico_w", "active_low": ["flush"], "op_ms": 500, "max_on_ms": 10000, "min_off_ms": 1000, "wdt_ms": 0,
        "pins": {"status_led": "LED", "light": [13, 14, 12], "speaker": 16, "speaker_enable": None, "flush": 18,
                 "clean": 19, "lid": None},
        "demo": True, "wifi": None, "mqtt": None, "web": None, "syslog": None, "problems": [],
        "auto": None, "update_key": None, "sensors": {}, "readings": {},
        "labels": {"devices": {}, "sensors": {}, "inputs": {}, "schedules": {}, "programs": {}},
        "devices": {  # the seed's, declared from the board's pins, active_low and light
            "light": {"kind": "light", "pin": [13, 14, 12], "type": "rgb", "fade_ms": 300, "pixels": 1,
                      "active_low": []},
            "speaker": {"kind": "speaker", "pin": 16, "enable": None, "active_low": []},
            "toilet": {"kind": "toilet", "flush": 18, "clean": 19, "lid": None, "max_on_ms": 10000,
                       "min_off_ms": 1000, "active_low": ["flush"]}},
    }
    assert r["network"] == {  # TLS: port 8883 unless set
        "wifi": {"ssid": "home", "password": ""},
        "mqtt": {"host": "broker.local", "port": 8883, "user": None, "password": None, "tls": True, "prefix": "iot",
                 "node": "hall", "discovery": True, "keepalive": 60}}
    assert r["detected"] == ["pico", "pico_w", "pico2", "pico2_w", "esp32_devkitc", "pico"]


def test_watchdog_is_fed_by_the_running_loop_only(scenario):
    r = scenario("boot.watchdog", op_ms=20).result
    assert r["timeout"] == 1000 and r["fed"] >= 1
    assert r["fed_after"] == r["fed"]


def boot(interp, tmp_path, cfg):
    """Run firmware/main.py itself, with `cfg` as the board's config.json."""
    (tmp_path / "config.json").write_text(cfg if isinstance(cfg, str) else json.dumps(cfg))
    return launch(interp, [hostrun.FIRMWARE / "main.py"], cwd=tmp_path, trace=tmp_path / "trace.jsonl")


def test_main_boots_every_output_off_first_on_an_active_low_pico_w(interp, tmp_path):
    cfg = {"board": "pico_w", "active_low": ["flush", "clean", "status_led"], "op_ms": 20, "wdt_ms": 1000}
    run = boot(interp, tmp_path, cfg)
    assert run.rc == 0, run.stdout + run.stderr
    assert run.lines[0] == "event: board pico_w, outputs off"
    off_level = {"LED": 1, 15: 0, 16: 0, 17: 0, 18: 1, 19: 1, 20: 0}  # active-low outputs are off when high
    first = {}
    for i, r in enumerate(run.trace):
        first.setdefault(r["pin"], (i, r.get("value", r.get("duty_u16"))))
    assert {pin: level for pin, (i, level) in first.items()} == off_level, run.trace[:10]
    created = max(i for i, level in first.values())
    driven = [r for r in run.trace[:created] if r.get("value", r.get("duty_u16")) != off_level[r["pin"]]]
    assert driven == []  # every output exists, off, before any is switched on
    # The relays were really pulsed (active low: 0 is on) and everything ends at its off level.
    assert [r["value"] for r in run.trace if r["pin"] == 18] == [1, 0, 1]
    assert run.final() == off_level


def test_a_bad_config_drives_no_pin_and_says_why_in_one_line(interp, tmp_path):
    for cfg, why in (('{"board": "pico", "pins": {"light": 99}}', "pins.light must be a GPIO number or pin name, not 99"),
                     ("{not json", "not valid JSON")):
        run = boot(interp, tmp_path, cfg)
        assert run.rc == 0
        assert len(run.lines) == 1 and run.lines[0].startswith("error: config.json: ") and why in run.lines[0], run.lines
        assert run.lines[0].endswith("; no outputs driven, fix the file and reset")
        assert run.trace == []


def test_without_mqtt_in_config_nothing_of_the_network_is_loaded(scenario):
    """An ESP32's heap is small: a board that is not on the network pays nothing for it."""
    assert scenario("boot.without_network", mqtt=False).result == []
    assert "iot.net.mqtt" in scenario("boot.without_network", mqtt=True).result


def test_secrets_json_holds_the_passwords_and_is_checked_as_config_json_is(scenario, tmp_path):
    r = scenario("boot.secrets", folder=str(tmp_path)).result
    assert r["good"] == ["home", "hunter2", "iot", "pass"]
    assert r["bad_key"].endswith("secrets.json: must be an object with only wifi, mqtt, web and update_key")
    assert r["bad_value"].endswith("config.json with " + str(tmp_path) + "/secrets.json: mqtt.password must be text")


def test_the_demo_runs_at_boot_and_its_module_is_let_go(scenario):
    r = scenario("boot.demo_let_go", op_ms=20).result
    assert [line.split(" in ")[0] for line in r["lines"]] == [
        "event: registered light, speaker, toilet", "event: wake_up done", "event: sleep done", "event: demo done"]
    assert r["kept"] is False
