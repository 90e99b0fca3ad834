"""The firmware serving its web page on a free loopback port, and a small HTTP client for the tests."""
import json
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.request

import pytest
from mqtt_rig import Firmware, free_port


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
DRIVER = shutil.which("chromedriver") or (os.path.exists("/usr/bin/chromedriver") and "/usr/bin/chromedriver")
NO_CHROMIUM = "headless Chromium is not installed: sudo apt-get install chromium chromium-driver (Debian, Ubuntu)"


def headless_chromium(window="1000,1250"):
    """A new headless Chromium under Selenium, started so that it asks nothing of the internet (Selenium Manager
    looks for no browser to download; no background, sync or update traffic) with a profile of its own."""
    from selenium import webdriver

    os.environ["SE_OFFLINE"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-quic", "--window-size=" + window, "--user-data-dir=" + tempfile.mkdtemp()):
        options.add_argument(arg)
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=DRIVER))


class Page:
    """The firmware with "web" in its config.json, and requests to it."""

    def __init__(self, interp, folder, auth=None, web=None, **config):
        """`auth`: (user, password) in config.json; else the password the board makes at its first boot, read back
        from its secrets.json (or none at all with web={"auth": False}); `web`: more of config.json's web."""
        self.port = free_port()
        web = dict(web or {}, port=self.port)
        if auth:
            web.update(user=auth[0], password=auth[1])
        self.fw = Firmware(interp, folder, web=web, **config).start()
        self.url = "http://127.0.0.1:%d" % self.port
        self.auth = auth
        end = time.monotonic() + 20
        while True:  # up, and the shell taking commands (the API answers 503 before)
            try:
                status = self.request("GET", "/api/status")[0]
                if status == 401 and self.auth is None:
                    self.auth = ("admin", self.fw.made_password())
                elif status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > end or self.fw.proc.poll() is not None:
                raise RuntimeError("the web page did not come up:\n" + self.fw.console())
            time.sleep(0.05)

    def request(self, method, path, body=None, headers=None, auth=True, timeout=10):
        """(status, parsed JSON or text) of one request; body: bytes, or anything else as JSON."""
        data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        if method not in ("GET", "HEAD") and not (headers and "Content-Type" in headers):
            req.add_header("Content-Type", "application/json")  # as the page sends it
        if auth and self.auth:
            req.add_header("Authorization", self._basic())
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                status, raw, kind = r.status, r.read(), r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            status, raw, kind = e.code, e.read(), e.headers.get("Content-Type", "")
        return status, json.loads(raw) if kind.startswith("application/json") else raw.decode(errors="replace")

    def events(self, timeout=10):
        """An open /api/events stream: next_event() reads one (name, data)."""
        req = urllib.request.Request(self.url + "/api/events")
        if self.auth:
            req.add_header("Authorization", self._basic())
        return EventStream(urllib.request.urlopen(req, timeout=timeout))

    def _basic(self):
        """The Authorization header for this page's user and password."""
        import base64

        return "Basic " + base64.b64encode(("%s:%s" % self.auth).encode()).decode()

    def stop(self):
        return self.fw.stop()


class EventStream:
    def __init__(self, response):
        self.response = response

    def next_event(self):
        name = data = None
        while True:
            line = self.response.readline().decode().rstrip("\n")
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
            elif line == "" and name is not None:
                return name, data

    def until(self, predicate, limit=200):
        for _ in range(limit):
            name, data = self.next_event()
            if predicate(name, data):
                return name, data
        raise AssertionError("no such event in %d" % limit)

    def close(self):
        self.response.close()


@pytest.fixture
def page(interp, tmp_path):
    made = []

    def make(**config):
        p = Page(interp, tmp_path, **config)
        made.append(p)
        return p

    yield make
    for p in made:
        p.fw.kill()
