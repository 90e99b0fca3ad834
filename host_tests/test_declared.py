"""Devices declared in config.json (`devices`): any number, any names, of the kinds in iot.devices.kinds, checked
against the board and each other; the seed's three are the default declaration (every other test runs on it)."""
import json
import re
import time

import hostrun
from conftest import launch
from mqtt_rig import broker, firmware, home, online  # noqa: F401  (fixtures)
from web_rig import page  # noqa: F401  (fixture)
from test_shell import replies as every_reply

OP = 20
HOME = {  # a bathroom of its own: no seed devices, so no built-in programs and no demo
    "op_ms": OP,
    "devices": {
        "lamp": {"kind": "light", "pin": 2, "label": "Mirror lamp"},
        "fan": {"kind": "relay", "pin": 21, "max_on_ms": 600000, "ha": "fan"},
        "heater": {"kind": "relay", "pin": 22, "interlock": "hvac", "max_on_ms": 5000, "min_off_ms": 0},
        "cooler": {"kind": "relay", "pin": 26, "interlock": "hvac", "active_low": True},
        "vent": {"kind": "servo", "pin": 27, "open_deg": 120},
    },
}


def replies(run):
    """The replies to the commands typed (the boot's own error lines come before the shell is ready)."""
    ready = [i for i, line in enumerate(run.lines) if line.startswith("event: ready for commands")][0]
    return every_reply(type(run)(_Proc(run.lines[ready:]), run.trace))


class _Proc:
    def __init__(self, lines):
        self.returncode, self.stdout, self.stderr = 0, "\n".join(lines), ""


def boot(interp, flash, script, cfg=HOME, programs=None):
    (flash / "config.json").write_text(json.dumps(cfg))
    if programs is not None:
        (flash / "programs.json").write_text(json.dumps({"modes": {}, "programs": programs}))
    run = launch(interp, [hostrun.FIRMWARE / "main.py"], cwd=flash, trace=flash / "trace.jsonl", input=script)
    assert run.rc == 0 and "Traceback" not in run.stdout + run.stderr, run.stdout + run.stderr
    return run


def test_declared_devices_are_driven_by_their_names_and_the_built_in_programs_are_left_out(interp, tmp_path):
    run = boot(interp, tmp_path, "fan switch_on\nvent open\nwait\nlamp switch_on 50%\nwait\nrun wake_up\n"
                                 "define p {\"send\": [\"light\", \"SWITCH_ON\"]}\ndevices\n")
    said = [line for line in run.lines if line.startswith("event: the built-in")]
    assert said == ["event: the built-in programs wake_up and sleep and the demo left out: they need the seed's "
                    "light, speaker and toilet"], run.lines
    r = replies(run)
    assert r[:5] == ["ok fan SWITCH_ON", "ok vent OPEN", "ok all work done", "ok lamp SWITCH_ON 50%",
                     "ok all work done"], r
    assert r[5].startswith("error: no program 'wake_up'"), r
    assert r[6] == "error: program: unknown device 'light'", r
    assert json.loads(r[7][3:]) == {"lamp": {"on": True, "brightness": 50, "level": "#7f7f7f"}, "fan": {"on": True},
                                    "heater": {"on": False}, "cooler": {"on": False}, "vent": {"position": "open"}}
    assert [v for _, v in run.pin(21)] == [0, 1, 0]  # on until the end of input made every output safe
    assert [v for _, v in run.pin(27)] == [0, 1, 0]  # the servo pulsed to its position, then released
    assert [v for _, v in run.pin(2)] == [0, 1, 0]
    assert not [line for line in run.lines if "demo" in line and "left out" not in line]


def test_relays_in_one_interlock_group_are_never_on_together_and_each_keeps_its_own_bound(interp, tmp_path):
    run = boot(interp, tmp_path, "heater switch_on\nwait\ncooler switch_on\nwait\nheater switch_on\nwait\n"
                                 "wait 6000\nstatus\n")
    heater, cooler = run.pin(22), run.pin(26)  # the cooler is active-low: 0 is on
    assert [v for _, v in heater] == [0, 1, 0, 1, 0] and [v for _, v in cooler] == [1, 0, 1], (heater, cooler)
    # switching one on switches the other off first, at the same instant
    assert heater[2][0] == cooler[1][0] and cooler[2][0] == heater[3][0]
    assert 5000 <= heater[4][0] - heater[3][0] <= 5000 + 50  # the heater's own max_on_ms cut it
    assert json.loads(replies(run)[-1][3:])["heater"] == {"on": False}


def test_a_bad_declaration_is_one_error_naming_the_key_and_the_rest_boots(interp, tmp_path):
    cfg = {"board": "esp32", "op_ms": OP, "devices": {
        "lamp": {"kind": "light", "pin": 25},
        "fan": {"kind": "relay", "pin": 25},  # taken by the lamp
        "pump": {"kind": "relay", "pin": 34},  # input-only on an ESP32
        "heater": {"kind": "relay", "pin": 40},  # none on the board
        "status": {"kind": "relay", "pin": 26},  # a shell command's name
        "kettle": {"kind": "boiler", "pin": 27},
        "vent": {"kind": "servo", "pin": 13, "speed": 3},
        "door": {"kind": "relay", "pin": 32},
    }}
    run = boot(interp, tmp_path, "door switch_on\nlamp switch_on\n", cfg)
    errors = [line for line in run.lines if line.startswith("error: config.json")]
    assert errors == [  # in the order of the names: of two that want one pin, the first name has it
        "error: config.json: devices.heater.pin: the esp32_devkitc has no output GPIO 40; heater left out",
        'error: config.json: devices.kettle: must be {"kind": one of light, relay, servo, speaker, toilet, ...}; '
        "kettle left out",
        "error: config.json: devices.lamp.pin: GPIO 25 is taken by devices.fan.pin; lamp left out",
        "error: config.json: devices.pump.pin: GPIO 34 is input-only on the esp32_devkitc; pump left out",
        "error: config.json: devices.status: status is a shell command; give it another name; status left "
        "out",
        "error: config.json: devices.vent.speed is not a servo setting (close_deg, open_deg, pin); vent left out",
    ], run.lines
    assert replies(run) == ["ok door SWITCH_ON", "error: unknown command or device 'lamp'; try help"]
    assert [v for _, v in run.pin(32)] == [0, 1, 0]


def test_saved_programs_and_automations_name_the_declared_devices(interp, tmp_path):
    cfg = dict(HOME, automations=[{"on": "fan.switch_on_done", "do": "lamp switch_on"},
                                  {"on": "toilet.flush_done", "do": "fan switch_off"}])
    run = boot(interp, tmp_path, "run airing\nwait\n", cfg,
               programs={"airing": {"seq": [{"send": ["fan", "SWITCH_ON"]}, {"send": ["vent", "CLOSE"]}]},
                         "old": {"send": ["toilet", "FLUSH"]}})
    assert [line for line in run.lines if "automations[1]" in line] == [
        "error: config.json: automations[1].on: no input, schedule, device or reading 'toilet'; left out"], run.lines
    assert [line for line in run.lines if "'old'" in line or " old" in line][:1], run.lines  # left out, said so
    assert replies(run)[:2] == ["ok airing started (planned 40 ms)", "ok all work done"], run.lines
    fan_on, lamp_on = run.edges(21, 1)[0], run.edges(2, 1)[0]
    assert fan_on + OP <= lamp_on <= fan_on + OP + 50  # the fan's switch_on done, then the automation


def test_declared_devices_are_announced_by_their_kind_and_driven_over_mqtt(firmware, home):
    fw = firmware(devices=HOME["devices"])
    online(home, fw)
    fan = json.loads(home.wait_for("homeassistant/fan/test/fan/config")[0])
    heater = json.loads(home.wait_for("homeassistant/switch/test/heater/config")[0])
    vent = json.loads(home.wait_for("homeassistant/valve/test/vent/config")[0])
    lamp = json.loads(home.wait_for("homeassistant/light/test/lamp/config")[0])
    assert (fan["command_topic"], fan["state_value_template"]) == (fw.base + "/fan/set", "{{ value_json.state }}")
    assert (heater["payload_on"], heater["value_template"], heater["name"]) == ("ON", "{{ value_json.state }}",
                                                                               "Heater")
    assert vent["payload_open"] == "OPEN" and lamp["name"] == "Mirror lamp"  # its label in config.json
    since = time.monotonic()
    home.publish(fw.base + "/heater/set", "ON")  # as Home Assistant's switch sends it
    assert home.wait_for(fw.base + "/result", since=since)[0] == "ok heater SWITCH_ON"
    home.wait_for(fw.base + "/heater/state", lambda p: json.loads(p) == {"on": True, "state": "ON"})
    home.publish(fw.base + "/cooler/set", "ON")
    home.wait_for(fw.base + "/heater/state", lambda p: json.loads(p)["state"] == "OFF")  # its interlock
    home.wait_for(fw.base + "/cooler/state", lambda p: json.loads(p)["state"] == "ON")
    # announced long since: no seed device, so no toilet and no built-in program
    assert home.on("homeassistant/button/test/toilet_flush/config") == [] == home.on(
        "homeassistant/button/test/program_wake_up/config")
    assert home.on("homeassistant/button/test/program_sleep/config") == []


def test_declared_devices_have_their_cards_on_the_page(page):
    p = page(devices=HOME["devices"])
    status, info = p.request("GET", "/api/info")
    assert status == 200 and sorted(info["devices"]) == ["cooler", "fan", "heater", "lamp", "vent"]
    assert [c["msg"] for c in info["devices"]["fan"]["card"]] == ["SWITCH_ON", "SWITCH_OFF"]
    assert [c["msg"] for c in info["devices"]["vent"]["card"]] == ["OPEN", "CLOSE"]
    assert p.request("POST", "/api/devices/vent", {"msg": "OPEN"})[1]["reply"] == "ok vent OPEN"


def test_no_device_or_sensor_may_take_a_shell_commands_name():
    """Every word the shell's help names is one config.json refuses as a name (iot.declare.WORDS)."""
    import sys

    sys.path[:0] = [str(hostrun.FIRMWARE), str(hostrun.HOSTMACHINE)]
    try:
        from iot import declare
        from iot.commands import HELP
    finally:
        del sys.path[:2]
    top = re.sub(r"\[[^\[\]]*\]", "", re.sub(r"\[[^\[\]]*\]", "", HELP))  # brackets, nested once, gone
    words = {m.group(1) for m in re.finditer(r"(?:: |\| )([a-z]+)", top)}
    assert words and words <= set(declare.WORDS), words - set(declare.WORDS)
