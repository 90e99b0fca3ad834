"""The board's web API (microdot) on both interpreters: routes answer as the shell does, refusals change
nothing, live updates reach every page, Basic authentication, and HTTP fuzzing of every route. Real time."""
import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web_rig import page  # noqa: F401  (fixture)

pytestmark = pytest.mark.timeout(180)


def test_the_api_answers_as_the_shell_does_and_a_refusal_changes_nothing(page):
    p = page()
    status, info = p.request("GET", "/api/info")
    assert status == 200 and info["board"] == "pico"
    assert info["devices"]["toilet"]["accepts"] == ["FLUSH", "CLEAN", "OPEN", "CLOSE"]
    songs = [c for c in info["devices"]["speaker"]["card"] if c["id"] == "songs"]  # each card is its kind's
    assert songs[0]["options"] == ["Miles Davis - Kind of Blue"]
    assert [c["id"] for c in info["devices"]["toilet"]["card"]] == ["flush", "clean", "lid-open", "lid-close"]
    status, state = p.request("GET", "/api/status")
    assert status == 200 and state["light"]["on"] is False and state["network"]["web"]["port"] == p.port
    assert info["version"] == state["firmware"]["version"]  # the one installed (an image's, when frozen)
    before = len(p.fw.run().trace)
    refusals = [
        ("POST", "/api/devices/light", {"msg": "FLUSH"}, 400, "error: light: does not take FLUSH"),
        ("POST", "/api/devices/nobody", {"msg": "FLUSH"}, 404, "error: unknown device 'nobody'"),
        ("POST", "/api/devices/light", {"msg": "SWITCH_ON", "data": 5}, 400, "error: light: msg and data are text"),
        ("POST", "/api/devices/light", {"msg": "SWITCH_ON", "at": 1}, 400, "error: light: 'at' is neither msg nor data"),
        ("POST", "/api/devices/light", {"msg": "SWITCH_ON", "data": "0%"}, 400, "error: light: brightness is from"),
        ("POST", "/api/devices/light", b"{bad", 400, "error: light: the body is not valid JSON"),
        ("POST", "/api/devices/light", b"\xff\xfe", 400, "error: light: the body is not UTF-8 text"),
        ("PUT", "/api/programs/p1", {"seq": [{"send": ["light", "FLUSH"]}]}, 400, "error: step 1: light: does not take"),
        ("PUT", "/api/programs/wake_up", {"delay": 1}, 400, "error: wake_up is built in"),
        ("PUT", "/api/programs/p1?mode=sometimes", {"delay": 1}, 400, "error: define p1: 'sometimes' is no mode"),
        ("POST", "/api/programs/nothing/run", None, 404, "error: no program 'nothing'"),
        ("POST", "/api/console", {"line": "bogus"}, 400, "error: unknown command or device 'bogus'"),
        ("POST", "/api/console", {"command": "help"}, 400, 'error: the console takes {"line": "a command"}'),
        ("POST", "/api/devices/light", b"x" * 5000, 413, "error: the body is over 2048 bytes"),
        ("GET", "/api/nothing", None, 404, "error: no such page"),
        ("DELETE", "/api/stop", None, 405, "error: not with that method"),
    ]
    for method, path, body, code, start in refusals:
        status, reply = p.request(method, path, body)
        assert status == code and reply["reply"].startswith(start), (method, path, status, reply)
    time.sleep(0.2)
    assert len(p.fw.run().trace) == before  # nothing moved, not even the status LED
    assert p.request("POST", "/api/devices/light", {"msg": "SWITCH_ON", "data": "40%"}) == (
        200, {"reply": "ok light SWITCH_ON 40%"})
    assert p.request("PUT", "/api/programs/nap?mode=queued", {"seq": [{"delay": 100}]}) == (
        201, {"reply": "ok defined nap (planned 100 ms); save keeps it"})
    status, programs = p.request("GET", "/api/programs")
    assert {"name": "nap", "mode": "queued", "user": True, "running": 0, "planned_ms": 100} in programs
    assert p.request("POST", "/api/programs/wake_up/run")[1]["reply"] == "ok wake_up started (planned 2746 ms)"
    status, reply = p.request("POST", "/api/programs/wake_up/run")
    assert status == 400 and reply["reply"].startswith("error: wake_up is already running")
    stopped = p.request("POST", "/api/stop")[1]["reply"]  # the runs in the order the interpreter keeps them
    assert stopped in ("ok stopped light, wake_up; all outputs safe", "ok stopped wake_up, light; all outputs safe")
    assert p.request("POST", "/api/save") == (200, {"reply": "ok saved 1 programs to programs.json"})
    assert p.request("POST", "/api/console", {"line": "plan nap"})[1]["reply"].startswith("ok nap: 100 ms")
    status, html = p.request("GET", "/")
    assert status == 200 and "<title>iot controller</title>" in html
    assert p.stop() == 0
    light = p.fw.run().pin("light")
    assert [v for _, v in light][:2] == [0, 1]  # on at 40%, then off when stopped


def test_live_updates_reach_every_open_page(page):
    p = page()
    first, second = p.events(), p.events()
    try:
        for stream in (first, second):  # each page gets every device's state when it opens
            stream.until(lambda name, data: name == "state" and data["device"] == "toilet")
        assert p.request("POST", "/api/devices/light", {"msg": "SWITCH_ON"})[0] == 200
        for stream in (first, second):
            name, data = stream.until(lambda n, d: n == "state" and d["device"] == "light" and d["state"]["on"])
            assert data["state"]["brightness"] == 100
            name, data = stream.until(lambda n, d: n == "event")
            assert data["line"].startswith("event: light SWITCH_ON done in")
        assert p.request("POST", "/api/console", {"line": "run sleep"})[0] == 200  # a run from anywhere
        for stream in (first, second):
            assert stream.until(lambda n, d: n == "run") == ("run", {"name": "sleep", "planned_ms": 1000})
    finally:
        first.close()
        second.close()
    status, state = p.request("GET", "/api/status")
    assert state["light"]["on"] is False  # sleep switched it off at its start


def test_basic_authentication_guards_every_route(page):
    p = page(auth=("admin", "s3cret-pw"))
    for method, path in (("GET", "/"), ("GET", "/api/status"), ("POST", "/api/stop"), ("GET", "/api/events")):
        status, reply = p.request(method, path, auth=False)
        assert status == 401, (method, path)
    status, reply = p.request("POST", "/api/devices/light", {"msg": "SWITCH_ON"},
                              headers={"Authorization": "Basic YWRtaW46d3Jvbmc="}, auth=False)  # admin:wrong
    assert status == 401 and reply["reply"].startswith("error: this board asks for")
    assert p.request("GET", "/api/status")[0] == 200
    stream = p.events()
    stream.until(lambda n, d: n == "state")
    stream.close()
    assert p.stop() == 0
    assert p.fw.run().edges("light", 1) == []  # no refused request moved it


ROUTES = [("GET", "/"), ("GET", "/api/info"), ("GET", "/api/status"), ("POST", "/api/devices/{}"),
          ("GET", "/api/programs"), ("PUT", "/api/programs/{}"), ("POST", "/api/programs/{}/run"), ("POST", "/api/stop"),
          ("POST", "/api/save"), ("POST", "/api/console"), ("POST", "/api/sensors/{}/measure")]
NAMES = st.sampled_from(["light", "toilet", "speaker", "nobody", "wake_up", "sleep", "nap"]) | st.text(
    alphabet="abcxyz_%.0123456789/?=&", min_size=0, max_size=12)
WORDS = st.sampled_from(["SWITCH_ON", "SWITCH_OFF", "CHANGE_COLOR", "PLAY_SONG", "FLUSH", "CLEAN", "OPEN", "CLOSE",
                         "40%", "#ff0000", "2s", "run wake_up", "stop", "help", "define p {}", "plan sleep",
                         "Miles Davis - Kind of Blue"]) | st.text(max_size=20)
JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | WORDS,
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                           st.sampled_from(["msg", "data", "line", "seq", "par", "send", "delay", "x"]), inner,
                           max_size=4), max_leaves=12)
REQUESTS = st.tuples(st.sampled_from(ROUTES), NAMES, st.sampled_from(["", "?mode=queued", "?mode=", "?x=1"])).map(
    lambda r: (r[0][0], r[0][1].format(r[1]) + r[2]))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=REQUESTS, method=st.none() | st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
       body=st.none() | st.binary(max_size=300) | JSONISH.map(lambda v: json.dumps(v).encode()),
       content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]))
def test_http_fuzz_never_a_500_and_a_refused_request_moves_nothing(fuzzed, request, method, body, content_type):
    """Every route, mostly with its own method and a JSON body of the words the firmware knows."""
    p = fuzzed
    method, path = (method or request[0]), request[1]
    if p.dirty:  # an accepted request may have started work: stop it, so the next refusal is judged alone
        p.request("POST", "/api/stop")
        time.sleep(0.05)
        p.dirty = False
    before = len(p.fw.run().trace)
    status, reply = p.request(method, path, body, headers={"Content-Type": content_type})
    assert status < 500, (method, path, body, status, reply)
    if status >= 400:
        time.sleep(0.02)
        assert len(p.fw.run().trace) == before, (method, path, body, status, reply)
    else:
        p.dirty = True


@pytest.fixture
def fuzzed(page):
    p = page(op_ms=20, wdt_ms=0)
    p.dirty = False
    return p


def test_make_sim_web_serves_the_page(interp, tmp_path):
    """`make sim WEB=port`: the simulator's firmware serves its page on this machine, with the password it made."""
    import base64
    import subprocess
    import sys
    import urllib.request

    import hostrun
    from mqtt_rig import free_port

    port = free_port()
    args = [sys.executable, str(hostrun.TOOLS / "sim.py"), "--no-demo", "--web", str(port),
            "--trace", str(tmp_path / "sim" / "trace.jsonl")] + (["--python"] if interp == "cpython" else [])
    sim = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=hostrun.ROOT)
    secrets = tmp_path / "sim" / "flash" / "secrets.json"
    try:
        end = time.monotonic() + 20
        while True:
            try:  # the page asks for the password the board made at its first boot
                password = json.loads(secrets.read_text())["web"]["password"]
                request = urllib.request.Request("http://127.0.0.1:%d/" % port, headers={
                    "Authorization": "Basic " + base64.b64encode(("admin:" + password).encode()).decode()})
                with urllib.request.urlopen(request, timeout=5) as r:
                    assert r.status == 200 and b"<title>iot controller</title>" in r.read()
                    break
            except (OSError, ValueError):
                assert time.monotonic() < end, "no page"
                time.sleep(0.1)
    finally:
        out, _ = sim.communicate("", timeout=30)
    assert "The web page: http://localhost:%d/ (user admin, and the password the board shows at its first boot, " \
           "kept in " % port in out and "event: end of input; all outputs off" in out
    assert "event: web page: user admin, password %s (made now" % password in out


def test_while_the_board_boots_the_api_answers_503_with_retry_after_then_200(interp, tmp_path):
    """The web server starts before the demo; until the shell takes commands the API says when to come back."""
    import urllib.error
    import urllib.request

    from mqtt_rig import Firmware, free_port

    port = free_port()
    fw = Firmware(interp, tmp_path, web={"port": port}, demo=True).start()
    seen = []
    try:
        end = time.monotonic() + 30
        while time.monotonic() < end and (not seen or seen[-1][0] != 200):
            try:
                request = urllib.request.Request("http://127.0.0.1:%d/api/status" % port,
                                                 headers={"Authorization": fw.basic()})
                with urllib.request.urlopen(request, timeout=5) as r:
                    seen.append((r.status, None))
            except urllib.error.HTTPError as e:
                seen.append((e.code, e.headers.get("Retry-After")))
            except (OSError, ValueError):
                pass  # not listening yet, or no password made yet
            time.sleep(0.05)
    finally:
        fw.kill()
    assert seen and seen[-1] == (200, None), seen
    assert (503, "1") in seen and set(seen[:-1]) <= {(503, "1"), (200, None)}, seen


def test_an_image_with_the_page_frozen_in_sends_it_from_flash(interp, tmp_path):
    """No page among the files (make firmware's frozen mode): the page make firmware froze, gzipped, in slices."""
    import gzip
    import shutil
    import sys
    import urllib.request

    import hostrun
    from mqtt_rig import Firmware, free_port

    sys.path.insert(0, str(hostrun.TOOLS))
    import firmware as build

    build.stage()
    app = tmp_path / "app"
    shutil.copytree(hostrun.FIRMWARE, app, ignore=shutil.ignore_patterns("www", "__pycache__"))
    shutil.copy(build.STAGE / "webpage.py", app / "webpage.py")
    port = free_port()
    fw = Firmware(interp, tmp_path, web={"port": port, "auth": False}, firmware=app).start()
    try:
        end = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=5) as r:
                    status, headers, raw = r.status, r.headers, r.read()
                    break
            except OSError:
                assert time.monotonic() < end and fw.proc.poll() is None, fw.console()
                time.sleep(0.1)
    finally:
        fw.kill()
    page = (hostrun.FIRMWARE / "www" / "index.html").read_bytes()
    assert status == 200 and headers["Content-Encoding"] == "gzip" and int(headers["Content-Length"]) == len(raw)
    assert gzip.decompress(raw) == page and len(raw) > 1024  # more than one slice of the flash


def test_the_page_gets_the_automations_live(page):
    p = page(inputs={"bath_button": {"pin": 14}}, schedules={"night_clean": {"at": "03:00"}},
             automations=[{"on": "bath_button.press", "do": "light switch_on"}])
    stream = p.events()
    try:
        name, auto = stream.until(lambda n, d: n == "auto")
        assert auto["enabled"] is True and auto["time"]["known"] is False
        assert auto["inputs"] == {"bath_button": {"state": "released", "last": None}}
        assert auto["schedules"] == {"night_clean": None}
        assert p.request("POST", "/api/console", {"line": "press bath_button"})[1] == {"reply": "ok pressed bath_button"}
        _, auto = stream.until(lambda n, d: n == "auto" and d["fired"])
        assert auto["fired"]["bath_button.press"]["reply"] == "ok light SWITCH_ON"
        assert p.request("POST", "/api/console", {"line": "automations off"})[0] == 200
        assert stream.until(lambda n, d: n == "auto" and not d["enabled"])
    finally:
        stream.close()
    status = p.request("GET", "/api/status")[1]
    assert status["automations"]["inputs"]["bath_button"]["last"] == "release"
    assert p.stop() == 0


def test_the_routes_and_microdot_are_loaded_by_a_request_and_let_go_when_idle(scenario):
    """A board whose page nobody opens keeps the routes' heap free: they come with a connection (and the watchers
    that feed the open pages with them), and go after idle_ms."""
    from mqtt_rig import free_port

    seen = scenario("web.site_comes_and_goes", real_time=True, port=free_port(), idle_ms=300).result
    site = ["iot.net.http", "iot.net.site", "microdot", "microdot.helpers", "microdot.microdot", "microdot.sse"]
    assert seen["before"] == {"site": False, "modules": [], "watchers": 0}
    assert seen["first"].split()[1] == "503"  # the API waits for serve()
    # kept meanwhile (a page makes several requests), with its watchers of the devices and the event lines
    assert seen["after a request"] == {"site": True, "modules": site, "watchers": 2}
    assert seen["idle"] == {"site": False, "modules": [], "watchers": 0}
    assert seen["again"].split()[1] == "404" and seen["after another"] == {"site": True, "modules": site, "watchers": 2}


def test_a_port_another_server_holds_is_said_on_the_event_lines(scenario):
    from mqtt_rig import free_port

    port = free_port()
    said = scenario("web.port_taken", real_time=True, port=port).result
    assert len(said) == 1 and said[0].startswith("event: web page: cannot serve on port %d: " % port), said


def test_a_third_page_open_at_once_is_told_to_close_one(page):
    """Each open page holds one of the board's 4 connections: at most 2 events streams, the next refused at once."""
    p = page()
    first, second = p.events(), p.events()
    try:
        for stream in (first, second):
            stream.until(lambda name, data: name == "state")
        status, reply = p.request("GET", "/api/events")
        assert status == 503 and reply == {"reply": "error: 2 pages are open, the most there can be; close one"}
        assert p.request("GET", "/api/status")[0] == 200  # the API still answers beside them
    finally:
        first.close()
        second.close()
