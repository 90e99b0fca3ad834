"""Home Assistant Core itself as the peer (`make test-ha`): every entity the board announces accepted, driven
and shown right, on the oldest version we support and the newest this kind of machine runs.

Each version is its own Home Assistant (tools/ha_core.py: a pinned venv cached outside the checkout, a fresh
configuration folder, onboarded through its REST API, MQTT added through its config flow), on Mosquitto
started here, with the firmware on the MicroPython unix port (examples/bathroom.json's inputs, schedules and
automations). What Home Assistant does is read from its state machine and its whole log; what the board
does, from the pin trace.
"""
import json
import re
import sys
import time
from pathlib import Path

import pytest

from mqtt_rig import Broker, Firmware, Home, broker_binary, free_port

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tools"))
import ha_core  # noqa: E402

pytestmark = pytest.mark.ha_core
NODE = "sim"
BATHROOM = json.loads((HERE.parent / "examples" / "bathroom.json").read_text())
PINS = {"light": 10, "speaker": 16, "flush": 18, "clean": 19, "lid": 20, "fan": 22}  # the light an RGB LED: red 10
RGB = [10, 11, 12]
# The example's humidity sensor on the stub's bus (tools/hostmachine/parts.py)
HUMID = [{"at_ms": 0, "part": "sht4x", "bus": 0, "temp": 21.5, "rh": 55.3}]
# Lines of Home Assistant's log that are not about MQTT or this board, on a bare configuration.
NOT_OURS = (
    r"Support for the running Python version .* is deprecated",  # 2024.3 on Python 3.11
    r"Skipping pip installation of required modules",  # --skip-pip: the venv holds them, pinned
    r"Error loading libturbojpeg",  # the camera's JPEG speed-up, a system library
)


class Rig:
    """Mosquitto, one Home Assistant and the board on it."""

    def __init__(self, version, folder):
        if broker_binary("mosquitto") is None:
            pytest.skip("Mosquitto is not installed: sudo apt-get install mosquitto (Debian, Ubuntu)")
        try:
            ha_core.build_env(version)
        except SystemExit as e:
            pytest.skip(str(e))
        self.folder = folder
        self.broker = self.ha = self.home = self.changes = self.fw = None
        try:  # whatever fails on the way, what was started is stopped (a broker or a Home Assistant left running
            self.broker = Broker("mosquitto", folder).start()  # once outlived its test)
            self.ha = ha_core.HomeAssistant(version, folder / "ha", free_port())
            self.ha.start().onboard().add_mqtt(self.broker.port)
            self.home = Home(self.broker.port)  # beside Home Assistant: what the board announces, as sent
            self.changes = self.ha.watch()
            config = {k: BATHROOM[k] for k in ("inputs", "schedules", "automations", "clock", "programs", "sensors")}
            config["devices"] = dict(BATHROOM["devices"], light={"kind": "light", "type": "rgb", "pin": RGB})
            (folder / "board").mkdir()
            (folder / "parts.json").write_text(json.dumps(HUMID))
            self.fw = Firmware("micropython", folder / "board", port=self.broker.port, node=NODE,
                               env={"IOT_PARTS": str(folder / "parts.json")}, **config)
        except BaseException:
            self.stop()
            raise

    def announced(self):
        """{(component, object id): config} of every discovery config the board sent."""
        out = {}
        with self.home.lock:
            for _, topic, payload, _ in self.home.messages:
                parts = topic.split("/")
                if len(parts) == 5 and parts[0] == "homeassistant" and parts[2] == NODE and parts[4] == "config":
                    out[(parts[1], parts[3])] = json.loads(payload) if payload else None
        return {k: v for k, v in out.items() if v is not None}

    def stop(self):
        for part in (self.fw, self.changes, self.ha, self.home):
            try:
                if part is not None:
                    part.stop() if part in (self.fw, self.ha) else part.close()
            except Exception:  # noqa: BLE001  (the rest is stopped whatever one did)
                pass
        if self.broker is not None:
            self.broker.kill()

    def entities(self):
        """{entity_id: (its state, its attributes, its device's name)} of every MQTT entity Home Assistant has."""
        text = self.ha.request("POST", "/api/template", {"template": (
            "{% set ns = namespace(out={}) %}{% for e in integration_entities('mqtt') %}"
            "{% set ns.out = dict(ns.out, **{e: [states(e), device_attr(e, 'name')]}) %}{% endfor %}"
            "{{ ns.out | to_json }}")}, raw=True)
        rows = json.loads(text)
        states = self.ha.states()
        return {e: (state, states.get(e, {}).get("attributes", {}), device) for e, (state, device) in rows.items()}

    def wait(self, what, predicate, timeout=10.0):
        """predicate(self.entities()) true within `timeout` s; -> its last value."""
        end = time.monotonic() + timeout
        while True:
            got = predicate(self.entities())
            if got or time.monotonic() > end:
                assert got, "%s: not within %.1f s: %s" % (what, timeout, self.entities())
                return got
            time.sleep(0.1)

    def trace(self):
        """The board's pin changes since it started, in order."""
        if not self.fw.trace_path.exists():
            return []
        return [json.loads(line) for line in self.fw.trace_path.read_text().splitlines() if line.strip()]

    def log_problems(self):
        """Every WARNING or ERROR line of Home Assistant's log (the whole file, from its start) but NOT_OURS."""
        lines = [line for line in self.ha.log().splitlines() if re.search(r" (WARNING|ERROR|CRITICAL) ", line)]
        return [line for line in lines if not any(re.search(p, line) for p in NOT_OURS)]


@pytest.fixture(scope="module", params=[pytest.param(v, marks=pytest.mark.xdist_group("ha-" + v))
                                        for v in sorted(ha_core.VERSIONS)])  # each version in a worker of its own
def rig(request, tmp_path_factory):
    r = Rig(request.param, tmp_path_factory.mktemp("ha-" + request.param))
    try:
        r.fw.start()
        r.home.wait_for("iot/%s/status" % NODE, lambda p: p == "online", timeout=30)
        time.sleep(1)  # every config sent (the board announces them one after another, then its states)
        r.wait("every announced entity", lambda e: len(e) >= len(r.announced()), timeout=30)
        time.sleep(1)  # and their states taken
        yield r
    finally:
        r.stop()


def test_every_announced_entity_is_in_home_assistant_with_its_name_and_device(rig):
    entities = rig.entities()
    announced = rig.announced()
    assert {device for _, _, device in entities.values()} == {NODE}, entities
    for component in {c for c, _ in announced}:  # each as many in Home Assistant as were announced
        assert len([e for e in entities if e.split(".")[0] == component]) == len(
            [o for c, o in announced if c == component]), (component, sorted(entities))
    names = sorted(attributes.get("friendly_name") for _, attributes, _ in entities.values())
    # in words, under the device's name; a label from config.json where it gives one (examples/bathroom.json)
    for name in ("Light", "Toilet flushing", "Bath button", "Bathroom door", "Nightly clean next", "Good morning",
                 "Run sleep", "Extractor fan", "Bathroom temperature", "Bathroom humidity"):
        assert "%s %s" % (NODE, name) in names, (name, names)
    assert names == sorted(c["name"] if c["name"].startswith(NODE) else "%s %s" % (NODE, c["name"])
                           for c in announced.values()), names
    problems = rig.log_problems()
    assert problems == [], "\n".join(problems)


def pin_changes(rig, pin, mark):
    """A pin's changes since `mark` (a count of the trace's rows, from trace_mark)."""
    return [r for r in rig.trace()[mark:] if r["pin"] == pin]


def trace_mark(rig):
    """A mark in the trace: the changes so far."""
    return len(rig.trace())


def test_the_light_follows_home_assistants_brightness_transition_colour_and_off(rig):
    light = "light.%s_light" % NODE
    start = trace_mark(rig)
    rig.ha.call("light", "turn_on", entity_id=light, brightness_pct=50)
    state = rig.wait("the light on at half", lambda e: e[light] if e[light][0] == "on" else None)
    assert abs(state[1]["brightness"] - 128) <= 2, state
    duties = [r["duty_u16"] for r in pin_changes(rig, PINS["light"], start) if "duty_u16" in r]
    assert duties and duties[-1] > 0, duties
    start = trace_mark(rig)
    rig.ha.call("light", "turn_on", entity_id=light, brightness_pct=100, transition=1)
    rig.wait("the light at full", lambda e: e[light][1].get("brightness") == 255)
    time.sleep(1.2)
    fade = pin_changes(rig, PINS["light"], start)
    assert len({r["duty_u16"] for r in fade if "duty_u16" in r}) >= 5, fade  # a fade, not a jump
    assert (fade[-1]["t_us"] - fade[0]["t_us"]) / 1e6 > 0.7, fade
    start = trace_mark(rig)
    rig.ha.call("light", "turn_on", entity_id=light, rgb_color=[0, 0, 255], brightness_pct=100)
    rig.wait("the light blue", lambda e: e[light][1].get("rgb_color") == [0, 0, 255])
    time.sleep(0.3)
    last = {pin: [r["duty_u16"] for r in pin_changes(rig, pin, 0) if "duty_u16" in r][-1] for pin in RGB}
    assert last[RGB[0]] == last[RGB[1]] == 0 and last[RGB[2]] > 60000, last  # red, green off; blue full
    rig.ha.call("light", "turn_off", entity_id=light)
    rig.wait("the light off", lambda e: e[light][0] == "off")
    time.sleep(0.3)
    assert [[r["duty_u16"] for r in pin_changes(rig, pin, 0) if "duty_u16" in r][-1] for pin in RGB] == [0, 0, 0]


def test_a_declared_relay_is_a_fan_home_assistant_switches(rig):
    fan = "fan.%s_extractor_fan" % NODE
    start = trace_mark(rig)
    said = rig.ha.call("fan", "turn_on", entity_id=fan)
    try:
        rig.wait("the fan on", lambda e: e[fan][0] == "on")
    except AssertionError:
        raise AssertionError("%s\n%s\n%s" % (said, rig.fw.console()[-1500:], rig.home.on("iot/sim/fan/set")))
    rig.ha.call("fan", "turn_off", entity_id=fan)
    rig.wait("the fan off", lambda e: e[fan][0] == "off")
    assert [r["value"] for r in pin_changes(rig, PINS["fan"], start)] == [1, 0]


def test_a_sensors_readings_are_measurements_with_their_class_and_unit(rig):
    for entity, value, unit, device_class in (("sensor.%s_bathroom_humidity" % NODE, 55.3, "%", "humidity"),
                                              ("sensor.%s_bathroom_temperature" % NODE, 21.5, "\u00b0C",
                                               "temperature")):
        state, attributes, _ = rig.wait(entity, lambda e: e[entity] if e[entity][0] not in ("unknown",
                                                                                           "unavailable") else None)
        assert float(state) == value, (entity, state)
        assert (attributes["unit_of_measurement"], attributes["device_class"], attributes["state_class"]) == (
            unit, device_class, "measurement"), attributes


def test_a_shell_command_on_the_board_shows_in_home_assistant_within_a_second(rig):
    light = "light.%s_light" % NODE
    rig.fw.type("light switch_on 30%")
    state = rig.wait("the shell's change", lambda e: e[light] if e[light][0] == "on" and
                     abs(e[light][1].get("brightness", 0) - 77) <= 2 else None, timeout=1.0)
    assert state[0] == "on"
    rig.fw.type("light switch_off")
    rig.wait("the light off", lambda e: e[light][0] == "off", timeout=1.0)


def test_every_button_and_the_valve_move_their_pins(rig):
    """Each button's relay pulses and its running sensor goes on and off: the sensor follows the step, so a state
    the bridge sends a moment late still shows it (it once followed the relay, whose pulse ends a moment before
    the step: a state sent then said busy, not flushing, and Home Assistant never saw the flush)."""
    for button, pin, running in (("toilet_flush", PINS["flush"], "toilet_flushing"),
                                 ("toilet_clean", PINS["clean"], "toilet_cleaning")):
        start, since = trace_mark(rig), time.monotonic()
        rig.ha.call("button", "press", entity_id="button.%s_%s" % (NODE, button))
        end = time.monotonic() + 5
        while [r["value"] for r in pin_changes(rig, pin, start) if "value" in r][-2:] != [1, 0]:
            assert time.monotonic() < end, (button, pin_changes(rig, pin, start))
            time.sleep(0.1)
        # its relay's running sensor: on while the pulse ran, off after
        sensor = "binary_sensor.%s_%s" % (NODE, running)
        while [state for _, _, state, _ in rig.changes.of(sensor, since)][-2:] != ["on", "off"]:
            assert time.monotonic() < end + 5, (running, rig.changes.of(sensor, since), rig.changes.ended,
                                                len(rig.changes.changes), rig.entities()[sensor],
                                                rig.home.on("iot/%s/toilet/state" % NODE)[-4:])
            time.sleep(0.1)
    for program, label in (("wake_up", "good_morning"), ("sleep", "run_sleep")):  # wake_up has a label
        start = trace_mark(rig)
        rig.ha.call("button", "press", entity_id="button.%s_%s" % (NODE, label))
        end = time.monotonic() + 10
        done = "event: %s done" % program
        while not [r for r in rig.trace()[start:] if r["pin"] in RGB] or done not in rig.fw.console()[-300:]:
            assert time.monotonic() < end, (program, rig.fw.console()[-500:])
            time.sleep(0.1)
    valve = "valve.%s_toilet_lid" % NODE
    for service, state in (("open_valve", "open"), ("close_valve", "closed")):
        start = trace_mark(rig)
        rig.ha.call("valve", service, entity_id=valve)
        rig.wait("the lid " + state, lambda e: e[valve][0] == state)
        assert pin_changes(rig, PINS["lid"], start), service


@pytest.mark.parametrize("tone", [{"tone": "Miles Davis - Kind of Blue"}, {}], ids=["a tone", "no tone"])
def test_the_siren_plays_a_tone_with_or_without_one_given_and_stops(rig, tone):
    """Without a tone the siren plays the default one (the songbook's first song): on is never silent."""
    siren = "siren.%s_speaker" % NODE
    start = trace_mark(rig)
    rig.ha.call("siren", "turn_on", entity_id=siren, **tone)
    rig.wait("the siren on", lambda e: e[siren][0] == "on")
    time.sleep(1.5)
    notes = {r["freq"] for r in pin_changes(rig, PINS["speaker"], start) if r.get("duty_u16")}
    assert len(notes) >= 2, notes  # a song: more than one note
    start = trace_mark(rig)
    rig.ha.call("siren", "turn_off", entity_id=siren)
    rig.wait("the siren off", lambda e: e[siren][0] == "off")
    time.sleep(0.3)
    assert pin_changes(rig, PINS["speaker"], start)[-1].get("duty_u16") == 0


def test_the_automations_switch_turns_them_off_and_on(rig):
    switch = "switch.%s_automations" % NODE
    rig.ha.call("switch", "turn_off", entity_id=switch)
    rig.wait("automations off", lambda e: e[switch][0] == "off")
    rig.ha.call("switch", "turn_on", entity_id=switch)
    rig.wait("automations on", lambda e: e[switch][0] == "on")


def test_a_press_a_double_and_a_long_press_arrive_as_events_with_their_type(rig):
    event = "event.%s_bath_button" % NODE
    for typed, kind in (("press bath_button", "press"), ("press bath_button double", "double_press"),
                        ("press bath_button long", "long_press")):
        since = time.monotonic()
        rig.fw.type(typed)
        end = time.monotonic() + 10
        while kind not in [a.get("event_type") for _, _, _, a in rig.changes.of(event, since)]:
            assert time.monotonic() < end, (kind, rig.changes.of(event, since))
            time.sleep(0.05)
        time.sleep(2.5)  # its automation's program (a flush, wake_up, sleep) over before the next
    rig.fw.type("stop")


def test_a_door_contact_is_also_a_door_sensor_with_its_state(rig):
    """Its unwired pin, pulled up, reads open: the sensor is on (the transitions are the event entity's test)."""
    state, attributes, _ = rig.entities()["binary_sensor.%s_bathroom_door" % NODE]
    assert (state, attributes["device_class"]) == ("on", "door")


def test_a_schedules_next_time_appears_once_the_time_is_set(rig):
    sensor = "sensor.%s_nightly_clean_next" % NODE
    assert rig.entities()[sensor][0] == "unavailable"  # no clock yet: no next time
    rig.fw.type("time set 2026-12-07T12:00")
    state = rig.wait("the next night clean", lambda e: e[sensor] if e[sensor][0] not in ("unavailable", "unknown")
                     else None)
    assert state[0].startswith("2026-12-0"), state


def test_a_power_cut_makes_every_entity_unavailable_and_a_restart_brings_them_back(rig):
    rig.fw.kill()
    rig.wait("every entity unavailable", lambda e: {s for s, _, _ in e.values()} == {"unavailable"})
    rig.fw.start()
    rig.wait("every entity back", lambda e: "unavailable" not in {s for e_id, (s, _, _) in e.items()
                                                                  if "_next" not in e_id}, timeout=30)


def test_an_updates_progress_shows_on_the_update_entity_then_its_version_runs(rig, tmp_path):
    """`update apply` on the board: in progress with a rising percentage (Home Assistant 2024.11 and later; 2024.3's
    MQTT update entity has no progress), the staged version as the latest, and after a reset the installed one."""
    import bundle as bundler

    update = "update.%s_firmware" % NODE
    key = "ha-test-update-key-0123456789"
    rig.fw.stop()
    (rig.fw.flash / "secrets.json").write_text(json.dumps({"update_key": key}))
    files = bundler.versioned(bundler.app_files("pico"), "9.9.9", tmp_path)
    (rig.fw.flash / "next.bundle").write_bytes(bundler.bundle_bytes(files, "9.9.9", "linux", key.encode()))
    rig.fw.start()
    running = rig.wait("the update entity", lambda e: e[update][1].get("installed_version")
                       if e[update][0] != "unavailable" else None, timeout=30)
    since = time.monotonic()
    rig.fw.type("update apply next.bundle")
    def staged(attributes):
        return (attributes.get("release_summary") or "").startswith("9.9.9 staged in slot")

    rig.wait("9.9.9 staged", lambda e: staged(e[update][1]), timeout=60)
    end = time.monotonic() + 10  # the watch of state changes (a websocket) may trail the states asked for
    while not staged((rig.changes.of(update, since) or [(0, 0, 0, {})])[-1][3]):
        assert time.monotonic() < end, rig.changes.of(update, since)[-3:]
        time.sleep(0.1)
    seen = [a for _, _, _, a in rig.changes.of(update, since)]
    percents = [a["update_percentage"] for a in seen if a.get("in_progress")]
    if tuple(int(p) for p in rig.ha.version.split(".")[:2]) >= (2024, 11):
        assert percents and percents == sorted(percents) and len(set(percents)) > 2, seen
    assert (seen[-1]["installed_version"], seen[-1]["latest_version"], seen[-1]["in_progress"]) == (
        running, "9.9.9", False), seen[-1]
    rig.fw.stop()  # a reset: the next boot runs 9.9.9, on trial
    rig.fw.start()
    rig.wait("9.9.9 installed", lambda e: e[update][1].get("installed_version") == "9.9.9", timeout=60)
    end = time.monotonic() + 10  # and the device shows it: its discovery configs were sent again with it
    while rig.ha.request("POST", "/api/template", {"template": "{{ device_attr('%s', 'sw_version') }}" % update},
                         raw=True) != "9.9.9":
        assert time.monotonic() < end, rig.ha.request("POST", "/api/template", {
            "template": "{{ device_attr('%s', 'sw_version') }}" % update}, raw=True)
        time.sleep(0.2)


def test_the_device_page_shows_the_boards_entities(rig):
    """Home Assistant's own page for the board, in headless Chromium, signed in as the owner: every entity named
    there. The picture is docs/network.md's (build/ha/device-VERSION.png; copied to docs/ha-device.png by hand)."""
    from web_rig import CHROMIUM, DRIVER, NO_CHROMIUM, headless_chromium

    if not (CHROMIUM and DRIVER):
        pytest.skip(NO_CHROMIUM)
    from selenium.webdriver.support.ui import WebDriverWait

    device = rig.ha.request("POST", "/api/template", {"template": "{{ device_id('light.%s_light') }}" % NODE},
                            raw=True)
    browser = headless_chromium(window="1400,1300")
    try:
        browser.get(rig.ha.url + "/auth/authorize")  # any page of its origin, to hold the tokens the frontend reads
        tokens = dict(rig.ha.tokens, hassUrl=rig.ha.url, clientId=ha_core.CLIENT_ID,
                      expires=int(time.time() * 1000) + rig.ha.tokens["expires_in"] * 1000)
        browser.execute_script("localStorage.setItem('hassTokens', arguments[0])", json.dumps(tokens))
        browser.get("%s/config/devices/device/%s" % (rig.ha.url, device))
        text = ("return (function walk(n) { if (n.nodeType === 3) return n.textContent; let t = n.shadowRoot ?"
                " walk(n.shadowRoot) : ''; for (const c of n.childNodes) t += walk(c); return t + ' '; })"
                "(document.body)")  # the page's text, into every shadow root of its web components
        picture = HERE.parent / "build" / "ha" / ("device-%s.png" % rig.ha.version)
        picture.parent.mkdir(parents=True, exist_ok=True)
        try:
            WebDriverWait(browser, 60).until(lambda b: "Toilet flushing" in b.execute_script(text))
            time.sleep(2)  # the page's own fonts and icons
        finally:
            browser.save_screenshot(str(picture))  # what it showed, whatever it showed
        shown = browser.execute_script(text)
    finally:
        browser.quit()
    for name in ("Light", "Speaker", "Toilet flush", "Bathroom door", "Automations"):
        assert name in shown, name


def test_home_assistants_log_has_no_mqtt_warning_or_error_from_its_boot_to_the_end(rig):
    problems = rig.log_problems()
    assert problems == [], "\n".join(problems)
