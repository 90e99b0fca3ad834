"""A real broker, Home Assistant's side of MQTT (paho) and the firmware on the host, for the network tests
(the web page's tests run the firmware through Firmware too).

The broker is amqtt (from requirements.txt) or Eclipse Mosquitto
(MQTT_BROKER=mosquitto, or both by default when `mosquitto` is installed), on a
free loopback port, started and killed by the tests themselves. Everything here
runs on real time: the broker is another process with its own clock.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tools"))
import hostrun  # noqa: E402

BROKERS = ("amqtt", "mosquitto")
INSTALL = {"amqtt": "pip install -r requirements.txt (make test does it)",
           "mosquitto": "sudo apt-get install mosquitto (Debian, Ubuntu), or brew install mosquitto"}


def broker_binary(kind):
    if kind == "amqtt":
        return shutil.which("amqtt", path=str(Path(sys.executable).parent))
    return shutil.which("mosquitto", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"]))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """A broker on 127.0.0.1:port; start() again after kill() serves the same port, with nothing kept."""

    def __init__(self, kind, folder):
        self.kind = kind
        self.binary = broker_binary(kind)
        self.port = free_port()
        self.folder = Path(folder)
        self.proc = None
        if kind == "amqtt":
            self.config = self.folder / "amqtt.yaml"
            self.config.write_text("listeners:\n  default:\n    type: tcp\n    bind: 127.0.0.1:%d\nplugins:\n"
                                   "  amqtt.plugins.authentication.AnonymousAuthPlugin:\n    allow_anonymous: true\n"
                                   % self.port)
        else:
            self.config = self.folder / "mosquitto.conf"
            self.config.write_text("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n" % self.port)

    def start(self, timeout=20):
        log = open(self.folder / ("%s.log" % self.kind), "a")
        self.proc = subprocess.Popen([self.binary, "-c", str(self.config)], stdout=log, stderr=subprocess.STDOUT)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError("%s did not start on port %d: %s" % (self.kind, self.port,
                                                                 (self.folder / ("%s.log" % self.kind)).read_text()))

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Home:
    """Home Assistant's end: one paho client subscribed to everything, keeping (time, topic, payload, retained)."""

    made = 0

    def __init__(self, port):
        Home.made += 1
        self.messages = []
        self.lock = threading.Condition()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, "home-assistant-%d-%d" % (os.getpid(), Home.made))
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe("#", qos=1)
        self.client.on_message = self._got
        self.client.reconnect_delay_set(0.2, 1)
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()

    def _got(self, client, userdata, m):
        with self.lock:
            self.messages.append((time.monotonic(), m.topic, m.payload, bool(m.retain)))
            self.lock.notify_all()

    def publish(self, topic, payload, retain=False, qos=1):
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(5)

    def on(self, topic, since=0):
        with self.lock:
            return [m[2].decode(errors="replace") for m in self.messages if m[1] == topic and m[0] >= since]

    def wait_for(self, topic, predicate=lambda p: True, timeout=15, since=0, count=1):
        """The payloads on `topic` (since a time) once `count` of them meet `predicate`; AssertionError if not in time."""
        end = time.monotonic() + timeout
        with self.lock:
            while True:
                got = [m[2].decode(errors="replace") for m in self.messages
                       if m[1] == topic and m[0] >= since and predicate(m[2].decode(errors="replace"))]
                if len(got) >= count:
                    return got
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError("%d of %d messages on %s in %d s; all: %s" % (
                        len(got), count, topic, timeout, [m[1:] for m in self.messages][-30:]))
                self.lock.wait(left)

    def close(self):
        self.client.disconnect()  # first: the loop thread then ends at once, not at its next select timeout
        self.client.loop_stop()


class Firmware:
    """main.py on the host (CPython or the unix port) with the stub machine, a flash folder holding its
    config.json, a console we type into, and a pin trace."""

    def __init__(self, interp, folder, port=None, node="test", env=None, firmware=hostrun.FIRMWARE, heap=None,
                 main=None, **config):
        """On the broker at 127.0.0.1:port (if given) as `node`; `config`: more of config.json; `firmware`: the
        folder main.py and the app run from; `main`: another script to boot with instead of its main.py; `heap`: the
        unix port's heap ("256K": a board's), CPython's is the host's."""
        self.main = Path(main) if main else Path(firmware) / "main.py"
        self.interp = interp
        self.heap = heap
        self.firmware = Path(firmware)
        self.folder = Path(folder)
        self.flash = self.folder / "flash"
        self.flash.mkdir(exist_ok=True)
        self.node = node
        self.base = "iot/%s" % node
        settings = {"demo": False}
        if port is not None:
            settings["mqtt"] = {"host": "127.0.0.1", "port": port, "node": node, "keepalive": 10}
        settings.update(config)
        (self.flash / "config.json").write_text(json.dumps(settings))
        self.trace_path = self.folder / "trace.jsonl"
        self.env = env or {}
        self.proc = None

    def start(self):
        self.out = open(self.folder / "console.txt", "a")
        env = hostrun.environ(self.trace_path, [HERE], firmware=self.firmware)
        env.update(self.env)
        main = str(self.main)
        if self.heap and self.interp == "micropython":
            main = ["-X", "heapsize=" + self.heap, main]
        self.proc = subprocess.Popen(hostrun.command(self.interp, main),
                                     env=env, cwd=self.flash,
                                     stdin=subprocess.PIPE, stdout=self.out, stderr=subprocess.STDOUT, text=True)
        return self

    def type(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def console(self):
        return (self.folder / "console.txt").read_text()

    def made_password(self):
        """The web page's password the board made at its first boot, as it kept it in its secrets.json."""
        return json.loads((self.flash / "secrets.json").read_text())["web"]["password"]

    def basic(self):
        """The Authorization header for that password, as a browser sends it."""
        import base64

        return "Basic " + base64.b64encode(("admin:" + self.made_password()).encode()).decode()

    def kill(self):
        """As a power cut: no goodbye to the broker."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout=20):
        """End of console input: the firmware makes everything safe and exits."""
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def run(self):
        """The pin trace so far, read as the other tests read theirs (conftest.Run)."""
        from conftest import Run

        trace = hostrun.read_trace(self.trace_path) if self.trace_path.exists() else []
        return Run(types.SimpleNamespace(returncode=self.proc.returncode, stdout=self.console(), stderr=""), trace)


# The fixtures the network tests share: a broker of each kind, Home Assistant's end, and firmware on it.


@pytest.fixture(params=BROKERS)
def broker(request, tmp_path):
    kind = request.param
    wanted = os.environ.get("MQTT_BROKER")
    if wanted and wanted != kind:
        pytest.skip("MQTT_BROKER=%s" % wanted)
    if broker_binary(kind) is None:
        pytest.skip("%s is not installed: %s" % (kind, INSTALL[kind]))
    b = Broker(kind, tmp_path).start()
    yield b
    b.kill()


@pytest.fixture
def home(broker):
    h = Home(broker.port)
    yield h
    h.close()


@pytest.fixture
def firmware(interp, tmp_path, broker):
    made = []

    def make(**config):
        fw = Firmware(interp, tmp_path, broker.port, **config).start()
        made.append(fw)
        return fw

    yield make
    for fw in made:
        fw.kill()


def online(home, fw, since=0, timeout=20):
    home.wait_for(fw.base + "/status", lambda p: p == "online", since=since, timeout=timeout)


def results(home, fw, n, since=0, timeout=20):
    return home.wait_for(fw.base + "/result", since=since, count=n, timeout=timeout)[:n]
