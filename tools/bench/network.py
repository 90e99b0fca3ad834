"""make bench's network figures, on the host only (the emulated Pico has no network): the firmware's main.py on each
interpreter, on the unix port with a board's 256 KB heap, against a broker that misbehaves (tools/hostile_broker.py)
and clients that arrive all at once.

- a 10,000-command flood from a broker that acknowledges each reply 20 ms late, and from one that never does: the
  most heap the firmware held for it (the unix port's `status` before, and its least during the flood, typed on the
  serial console every half second), the replies that reached the broker, the serial shell's slowest answer;
- 100 requests at once to the web page (half status, half a light command): how long until every one was answered,
  and how many were served (the rest: 503 past the cap of 4 connections); on the unix port's own heap, as microdot
  runs there from its .py (compiled, it needs more than a board's 256 KB of 64-bit objects).
"""
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import hostrun  # noqa: E402
from hostile_broker import HostileBroker  # noqa: E402

FLOOD = 10000


class Board:
    """main.py in a folder of its own, its console typed into and read."""

    def __init__(self, interp, config, heap="256K"):
        self.folder = Path(tempfile.mkdtemp(prefix="bench-net-"))
        (self.folder / "config.json").write_text(json.dumps(dict({"demo": False}, **config)))
        main = [str(hostrun.FIRMWARE / "main.py")]
        if interp == "micropython" and heap:
            main = ["-X", "heapsize=" + heap] + main
        self.out = open(self.folder / "console.txt", "w")
        self.proc = subprocess.Popen(hostrun.command(interp, main), env=hostrun.environ(), cwd=self.folder,
                                     stdin=subprocess.PIPE, stdout=self.out, stderr=subprocess.STDOUT, text=True)
        self.wait_for("event: ready for commands")

    def console(self):
        return (self.folder / "console.txt").read_text()

    def wait_for(self, text, timeout=30):
        end = time.monotonic() + timeout
        while text not in self.console():
            if time.monotonic() > end or self.proc.poll() is not None:
                raise SystemExit("bench network: no %r:\n%s" % (text, self.console()[-1500:]))
            time.sleep(0.02)

    def status(self):
        """(seconds the reply took, the heap free it says)."""
        before = self.console().count("\nok {")
        start = time.monotonic()
        self.proc.stdin.write("status\n")
        self.proc.stdin.flush()
        while self.console().count("\nok {") == before:
            time.sleep(0.005)
        took = time.monotonic() - start
        return took, json.loads("{" + self.console().split("\nok {")[-1].split("\n")[0])["firmware"]["heap_free"]

    def stop(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def figure(key, name, unit, value, target=None, met=None, note=""):
    return {key: {"key": key, "name": name, "unit": unit, "min": value, "median": value, "max": value, "runs": 1,
                  "target": target, "met": met, "note": note}}


def flood(interp, acks):
    broker = HostileBroker(ack_ms=None if acks == "never" else 20).start()
    board = Board(interp, {"mqtt": {"host": "127.0.0.1", "port": broker.port, "node": "bench", "keepalive": 10}})
    try:
        broker.wait_for(lambda b: b.connects == 1 and "iot/bench/status" in b.topics)
        time.sleep(0.5)
        _, before = board.status()
        broker.commands("iot/bench/cmd", ["status"] * FLOOD)
        samples = []
        end = time.monotonic() + (25 if acks == "never" else 60)
        while time.monotonic() < end and (acks == "never" or len(broker.results) < FLOOD):
            samples.append(board.status())
            time.sleep(0.5)
        replies = len(broker.results)
    finally:
        broker.stop()
        board.stop()
    worst = max(t for t, _ in samples)
    out = figure("mqtt_%s_shell" % acks, "serial shell's slowest reply, 10,000 MQTT commands from a broker that "
                 "acknowledges %s" % ("20 ms late" if acks == "late" else "nothing"), "ms", round(worst * 1000),
                 "< 1000", worst < 1.0)
    out.update(figure("mqtt_%s_replies" % acks, "replies the broker got in %s" % (
        "all: one per command" if acks == "late" else
        "25 s (none acknowledged: the 8 in flight are the board's first messages, its announcements)"), "replies",
        replies, "%d" % FLOOD if acks == "late" else None, replies == FLOOD if acks == "late" else None))
    if before is not None:
        held = before - min(h for _, h in samples)
        out.update(figure("mqtt_%s_heap" % acks, "heap held under 10,000 MQTT commands, the broker acknowledging %s "
                          "(256 KB heap)" % ("20 ms late" if acks == "late" else "nothing"), "bytes", held, "< 65536",
                          held < 65536))
    return out


def burst(interp, n=100):
    port = _free_port()
    board = Board(interp, {"op_ms": 0, "web": {"port": port, "auth": False}}, heap=None)  # microdot from its .py
    took = []
    try:
        def one(i):
            body = b'{"msg": "SWITCH_ON", "data": "40%"}'
            head = ("GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" if i % 2 else
                    "POST /api/devices/light HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    "Content-Length: %d\r\n\r\n" % len(body)).encode() + (b"" if i % 2 else body)
            start = time.monotonic()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                    s.sendall(head)
                    answer = s.recv(64)
            except OSError:
                answer = b""
            took.append((answer.split(b" ", 2)[1:2] == [b"200"], time.monotonic() - start))

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        total = time.monotonic() - start
    finally:
        board.stop()
    served = len([ok for ok, _ in took if ok])
    return figure("web_burst", "100 requests at once to the page: all answered (%d served, the rest 503 past the cap)"
                  % served, "ms", round(total * 1000), "< 1000", total < 1.0)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def figures(interp):
    out = {}
    for acks in ("late", "never"):
        out.update(flood(interp, acks))
    out.update(burst(interp))
    return out
