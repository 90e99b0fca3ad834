"""Home Assistant Core, the real one, as the peer of `make test-ha` (host_tests/test_ha_core.py).

    python tools/ha_core.py env VERSION      build (or find) the cached venv of a pinned version; prints its path
    python tools/ha_core.py freeze VERSION   write tools/ha/requirements-VERSION.txt from a fresh install

Each version runs from a venv of its own, outside the checkout (~/.cache/iot-ha, or IOT_HA_CACHE), built from
tools/ha/requirements-VERSION.txt: Home Assistant and the requirements of every integration a bare
configuration loads (the bootstrap's own, the frontend and what it depends on, MQTT), each pinned as
Home Assistant's own package_constraints.txt pins it. `freeze` makes that file; `env` only reads it, so a run
installs the same packages everywhere. The venv's name carries the file's hash: a changed file is a new venv.

HomeAssistant starts one on loopback with a fresh configuration folder, onboards it through its REST API
(the owner, the location, analytics, the integrations step), adds MQTT through its config flow, and reads its
state machine, calls its services and reads its whole log.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PINS = ROOT / "tools" / "ha"
CACHE = Path(os.environ.get("IOT_HA_CACHE") or Path.home() / ".cache" / "iot-ha")
# The oldest version we support, and the newest this kind of machine runs (Python 3.13.0 through pyenv).
VERSIONS = {"2024.3.3": "3.11", "2025.4.4": "3.13"}
HOW_TO_GET = {"3.11": "a Python 3.11 (python3.11 on the PATH, or `pyenv install 3.11`), or HA_PYTHON_3_11=/path",
              "3.13": "a Python 3.13 (python3.13 on the PATH, or `pyenv install 3.13.0`: on this machine kind "
                      "PYENV_VERSION=3.13.0 python3.13), or HA_PYTHON_3_13=/path"}
# What a bare configuration loads beside the bootstrap's own: the page, its config panels, MQTT.
LOADED = ("frontend", "config", "mqtt", "api", "http", "onboarding", "logger")
# Pins Home Assistant's own constraints miss, each with why: what pip resolves today breaks that version.
FIXES = {"2024.3.3": ["josepy<2"]}  # acme 2.8.0 (hass-nabucasa's) uses josepy.ComparableX509, gone in josepy 2.0
CLIENT_ID = "http://127.0.0.1/"  # the onboarding's client: any URL, the same one asks for the token


def python_for(version):
    """The interpreter for a version's Python (path), or None."""
    minor = VERSIONS[version]
    given = os.environ.get("HA_PYTHON_" + minor.replace(".", "_"))
    if given:
        return given
    exe = shutil.which("python" + minor)
    if exe is None:
        return None
    probe = subprocess.run([exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True,
                           text=True, env=_pyenv(minor))
    return exe if probe.returncode == 0 and probe.stdout.strip() == minor else None


def _pyenv(minor):
    """The environment that makes pyenv's shim run that Python (3.13 is 3.13.0 on this machine kind)."""
    env = dict(os.environ)
    if "PYENV_VERSION" not in env and shutil.which("pyenv"):
        versions = subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True).stdout.split()
        chosen = [v for v in versions if v.startswith(minor + ".")]
        if chosen:
            env["PYENV_VERSION"] = sorted(chosen)[-1]
    return env


def pins(version):
    return PINS / ("requirements-%s.txt" % version)


def env_path(version):
    digest = hashlib.sha256(pins(version).read_bytes()).hexdigest()[:12]
    return CACHE / ("ha-%s-%s" % (version, digest))


def build_env(version, log=print):
    """The venv of a version, built from its pinned file if it is not cached; -> its folder. SystemExit if the
    version's Python cannot be found (the tests skip with that reason)."""
    folder = env_path(version)
    if (folder / "ready").exists():
        return folder
    exe = python_for(version)
    if exe is None:
        raise SystemExit("Home Assistant %s needs %s" % (version, HOW_TO_GET[VERSIONS[version]]))
    shutil.rmtree(folder, ignore_errors=True)  # a build that was cut: a venv cannot be moved, so it is built in place
    CACHE.mkdir(parents=True, exist_ok=True)
    log("ha_core: building %s (Home Assistant %s, Python %s); the first build takes minutes" % (
        folder, version, VERSIONS[version]))
    env = _pyenv(VERSIONS[version])
    subprocess.run([exe, "-m", "venv", str(folder)], check=True, env=env)
    pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run(pip + ["--no-deps", "-r", str(pins(version))], check=True)
    (folder / "ready").write_text(version)  # last: only a whole build is used
    return folder


def _manifest(package, domain):
    path = package / "components" / domain / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else None


def requirements(package):
    """The requirements of every integration a bare configuration loads: the bootstrap's sets, LOADED, and all
    they depend on."""
    sys.path.insert(0, str(package.parent))
    import ast

    tree = ast.parse((package / "bootstrap.py").read_text())
    seeds = set(LOADED)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "").endswith("_INTEGRATIONS") for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                continue
            seeds.update(value)
    # MQTT sets up each entity platform it has (camera, light, valve...) when its config entry loads.
    seeds.update(p.stem for p in (package / "components" / "mqtt").glob("*.py")
                 if (package / "components" / p.stem / "manifest.json").exists())
    seen, wanted, todo = set(), set(), list(seeds)
    while todo:
        domain = todo.pop()
        if domain in seen:
            continue
        seen.add(domain)
        manifest = _manifest(package, domain)
        if manifest is None:
            continue
        wanted.update(manifest.get("requirements", []))
        todo.extend(manifest.get("dependencies", []))
    return sorted(wanted)


def freeze(version):
    """Install a version and what its loaded integrations need into a scratch venv; write the pinned file."""
    exe = python_for(version)
    if exe is None:
        raise SystemExit("Home Assistant %s needs %s" % (version, HOW_TO_GET[VERSIONS[version]]))
    scratch = CACHE / ("freeze-%s" % version)
    shutil.rmtree(scratch, ignore_errors=True)
    subprocess.run([exe, "-m", "venv", str(scratch)], check=True, env=_pyenv(VERSIONS[version]))
    py = str(scratch / "bin" / "python")
    pip = [py, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run(pip + ["homeassistant==" + version] + FIXES.get(version, []), check=True)
    where = "import homeassistant, os; print(os.path.dirname(homeassistant.__file__))"
    package = Path(subprocess.run([py, "-c", where], capture_output=True, text=True, check=True).stdout.strip())
    wanted = [r for r in requirements(package) if "debugpy" not in r]
    subprocess.run(pip + ["-c", str(package / "package_constraints.txt")] + wanted + FIXES.get(version, []), check=True)
    frozen = subprocess.run([py, "-m", "pip", "freeze", "--all"], capture_output=True, text=True, check=True).stdout
    lines = [line for line in frozen.splitlines() if not line.startswith(("pip==", "setuptools==", "wheel=="))]
    PINS.mkdir(exist_ok=True)
    pins(version).write_text("# Home Assistant %s on Python %s: `python tools/ha_core.py freeze %s` wrote this.\n"
                             "# The integrations a bare configuration loads, pinned by its package_constraints.txt.\n"
                             % (version, VERSIONS[version], version) + "\n".join(lines) + "\n")
    shutil.rmtree(scratch, ignore_errors=True)
    print("ha_core: %s (%d packages)" % (pins(version), len(lines)))


class HomeAssistant:
    """Home Assistant Core on 127.0.0.1:port with a fresh configuration folder; start(), onboard(), add_mqtt()."""

    def __init__(self, version, folder, port):
        self.version = version
        self.folder = Path(folder)
        self.port = port
        self.url = "http://127.0.0.1:%d" % port
        self.token = None
        self.proc = None
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "configuration.yaml").write_text(
            "homeassistant:\n  name: Home\n  latitude: 52.37\n  longitude: 4.89\n  elevation: 0\n"
            "  unit_system: metric\n  time_zone: UTC\n  country: NL\n  currency: EUR\n"
            "http:\n  server_host: 127.0.0.1\n  server_port: %d\n"
            "frontend:\nconfig:\nlogger:\n  default: info\n" % port)
        # The onboarding's location step also sets up the weather, radio and speech integrations it offers a new
        # user, each of which wants the internet: marked done here, the other steps are taken through the API.
        storage = self.folder / ".storage"
        storage.mkdir(exist_ok=True)
        (storage / "onboarding").write_text(json.dumps({"version": 4, "minor_version": 1, "key": "onboarding",
                                                        "data": {"done": ["core_config"]}}))

    @property
    def log_path(self):
        return self.folder / "home-assistant.log"

    def log(self):
        """Its whole log so far (home-assistant.log: every line from the start)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self, timeout=180):
        env_folder = build_env(self.version)
        out = open(self.folder / "stdout.txt", "a")
        self.proc = subprocess.Popen([str(env_folder / "bin" / "python"), "-m", "homeassistant", "-c", str(self.folder),
                                      "--skip-pip"],
                                     stdout=out, stderr=subprocess.STDOUT, cwd=self.folder)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("Home Assistant %s exited: %s" % (self.version, self.log()[-3000:]))
            try:
                with urllib.request.urlopen(self.url + "/api/onboarding", timeout=2) as r:
                    if r.status == 200:
                        return self
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError("Home Assistant %s did not answer in %d s: %s" % (self.version, timeout, self.log()[-3000:]))

    def request(self, method, path, body=None, form=False, auth=True, raw=False):
        """Its REST API: the JSON answer (the text with `raw`); AssertionError with the answer on an HTTP error."""
        data = None
        headers = {}
        if body is not None:
            if form:
                data = urllib.parse.urlencode(body).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
        if auth and self.token:
            headers["Authorization"] = "Bearer " + self.token
        req = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                text = r.read().decode()
        except urllib.error.HTTPError as e:
            raise AssertionError("%s %s: %d %s" % (method, path, e.code, e.read().decode()[:500]))
        return text if raw else json.loads(text) if text else None

    def onboard(self):
        """The first owner, through the onboarding steps a browser takes (but the location's); keeps an access token."""
        made = self.request("POST", "/api/onboarding/users", {
            "client_id": CLIENT_ID, "name": "Maker", "username": "maker", "password": "maker-password-1",
            "language": "en"}, auth=False)
        token = self.request("POST", "/auth/token", {"grant_type": "authorization_code", "code": made["auth_code"],
                                                     "client_id": CLIENT_ID}, form=True, auth=False)
        self.token = token["access_token"]
        self.tokens = token  # the frontend's own (screenshots sign in with them)
        self.request("POST", "/api/onboarding/analytics", {})
        self.request("POST", "/api/onboarding/integration", {"client_id": CLIENT_ID, "redirect_uri": CLIENT_ID})
        return self

    def add_mqtt(self, broker_port):
        """The MQTT integration, through its config flow as the UI adds it, on the broker at 127.0.0.1."""
        flow = self.request("POST", "/api/config/config_entries/flow", {"handler": "mqtt",
                                                                         "show_advanced_options": False})
        while flow.get("type") == "form":
            answer = {"broker": "127.0.0.1", "port": broker_port} if flow["step_id"] == "broker" else {}
            flow = self.request("POST", "/api/config/config_entries/flow/" + flow["flow_id"], answer)
        if flow.get("type") != "create_entry":
            raise AssertionError("the MQTT config flow ended %s" % flow)
        return self

    def states(self):
        return {s["entity_id"]: s for s in self.request("GET", "/api/states")}

    def call(self, domain, service, **data):
        return self.request("POST", "/api/services/%s/%s" % (domain, service), data)

    def watch(self):
        """Every state change from now on, as Home Assistant's websocket API tells it: a StateChanges."""
        return StateChanges(self.url.replace("http", "ws", 1) + "/api/websocket", self.token)

    def stop(self, timeout=30):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class StateChanges:
    """A thread subscribed to Home Assistant's state_changed events: changes, (monotonic time, entity_id, state,
    attributes) each, in the order they came; none is missed between two polls, as reading /api/states can."""

    def __init__(self, url, token):
        import threading

        from websockets.sync.client import connect

        self.changes = []
        self.lock = threading.Lock()
        self.socket = connect(url, open_timeout=10)
        assert json.loads(self.socket.recv(10))["type"] == "auth_required"
        self.socket.send(json.dumps({"type": "auth", "access_token": token}))
        assert json.loads(self.socket.recv(10))["type"] == "auth_ok"
        self.socket.send(json.dumps({"id": 1, "type": "subscribe_events", "event_type": "state_changed"}))
        self.ended = None  # why the subscription ended, if it did
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for text in self.socket:
                message = json.loads(text)
                new = message.get("event", {}).get("data", {}).get("new_state")
                if message.get("type") == "event" and new is not None:
                    with self.lock:
                        self.changes.append((time.monotonic(), new["entity_id"], new["state"], new["attributes"]))
        except Exception as e:  # noqa: BLE001  (closed: the rig is done, or Home Assistant closed it)
            self.ended = repr(e)

    def of(self, entity_id, since=0):
        with self.lock:
            return [c for c in self.changes if c[1] == entity_id and c[0] >= since]

    def close(self):
        self.socket.close()


def main(argv):
    if len(argv) != 2 or argv[0] not in ("env", "freeze") or argv[1] not in VERSIONS:
        raise SystemExit(__doc__)
    if argv[0] == "freeze":
        freeze(argv[1])
    else:
        print(build_env(argv[1]))


if __name__ == "__main__":
    main(sys.argv[1:])
