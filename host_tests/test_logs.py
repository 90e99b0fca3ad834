"""The log on the network: event and error lines to a syslog server over UDP (RFC 5424, a receiver on loopback) and
to MQTT's log topic (Mosquitto and amqtt), each capped at 20 at once and 5 a second, a flood counted and said in one
line; a server that is gone holds nothing up (both interpreters)."""
import json
import re
import socket
import time

import pytest

from mqtt_rig import Firmware, broker, firmware, home, online  # noqa: F401  (fixtures)

BUTTONS = {"b%d" % i: 10 + i for i in range(4)}  # four buttons bound to `stop`: the engine fires each at most 30
# times a minute, so 4 x 30 presses make about 120 event lines, far past 20 at once and 5 a second, on a slow runner too
BUTTON = {"inputs": {name: {"pin": pin} for name, pin in BUTTONS.items()},
          "automations": [{"on": name + ".press", "do": "stop"} for name in BUTTONS]}
# RFC 5424: <PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA SP MSG
SYSLOG = re.compile(r"^<(\d+)>1 - (\S+) iot - (event|error) - (.*)$")


def flood(type_line):
    """30 presses of each button bound to `stop`: an event line each, faster than 5 a second."""
    for _ in range(30):
        for name in BUTTONS:
            type_line("press " + name)


@pytest.fixture
def receiver():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(0.2)
    yield s
    s.close()


def received(s, until, timeout=15):
    """The datagrams received until one holds `until`."""
    got = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            got.append(s.recv(4096).decode())
        except socket.timeout:
            continue
        if until in got[-1]:
            return got
    raise AssertionError("%r not received within %s s: %s" % (until, timeout, got[-5:]))


def test_event_lines_reach_a_syslog_server_capped_with_the_dropped_counted(interp, tmp_path, receiver):
    port = receiver.getsockname()[1]
    fw = Firmware(interp, tmp_path, syslog={"host": "127.0.0.1", "port": port}, op_ms=0, **BUTTON).start()
    try:
        fw.type("light switch_on")
        first = received(receiver, "light SWITCH_ON done")
        pri, host, msgid, text = SYSLOG.match(first[-1]).groups()
        assert (pri, host, msgid) == ("13", "iot_000001", "event") and text.startswith("event: light SWITCH_ON done")
        start = time.monotonic()
        flood(fw.type)
        got = received(receiver, "lines dropped")
        took = time.monotonic() - start
        done = [g for g in got if "event: automation b" in g]
        assert len(done) <= 20 + 5 * took + 1, (len(done), took)  # the burst, then the rate
        time.sleep(20 / 5)  # the bucket full again
        fw.type("light switch_off")
        got += received(receiver, "light SWITCH_OFF done")
        fw.type("status")
    finally:
        fw.stop()
    assert all(SYSLOG.match(g) for g in got), got
    done = [g for g in got if "event: automation b" in g]
    dropped = sum(int(n) for n in re.findall(r"event: log: (\d+) lines dropped \(over 5 a second\)", "\n".join(got)))
    shown = fw.console().count("event: automation b")  # the engine's own cap (30 a minute) included
    assert dropped and len(done) + dropped == shown  # each line the console showed: sent, or counted and said
    status = [json.loads(line[3:]) for line in fw.console().splitlines() if line.startswith('ok {"')][-1]
    assert status["network"]["syslog"] == {"host": "127.0.0.1", "port": port, "sent": len(first) + len(got),
                                           "failed": 0, "dropped": dropped}, status["network"]


def test_a_syslog_server_that_is_gone_holds_nothing_up(interp, tmp_path):
    """Nobody listens on the port (the host answers each datagram 'unreachable'): the shell answers at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    fw = Firmware(interp, tmp_path, syslog={"host": "127.0.0.1", "port": port}, op_ms=0, **BUTTON).start()
    try:
        flood(fw.type)
        fw.type("light switch_on")
        end = time.monotonic() + 15
        while "ok light SWITCH_ON" not in fw.console():
            assert time.monotonic() < end, fw.console()[-2000:]
            time.sleep(0.05)
    finally:
        assert fw.stop() == 0


def test_the_log_topic_is_capped_and_says_what_it_dropped(firmware, home):
    fw = firmware(op_ms=0, **BUTTON)
    online(home, fw)
    since = time.monotonic()
    flood(fw.type)
    got = home.wait_for(fw.base + "/log", lambda p: "lines dropped" in p, since=since, timeout=20)
    took = time.monotonic() - since
    lines = home.on(fw.base + "/log", since=since)
    done = [p for p in lines if p.startswith("event: automation b")]
    assert len(done) <= 20 + 5 * took + 1, (len(done), took)
    assert re.match(r"event: log: \d+ lines dropped \(over 5 a second\)$", got[0]), got
    assert not [m for m in home.messages if m[1] == fw.base + "/log" and m[3]]  # never retained
