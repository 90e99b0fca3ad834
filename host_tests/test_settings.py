"""config.json changed from the shell, on trial: checked whole first, staged, restarted on, confirmed once on its
network, or rolled back by itself; `config rollback` and backups (both interpreters, on a pseudo-terminal board
that comes back after each reset)."""
import json
import time
from pathlib import Path

import pytest

from board_rig import RESET_EXIT, PtyBoard
from mqtt_rig import broker, firmware, home, online, results  # noqa: F401  (fixtures)

HERE = Path(__file__).resolve().parent
START = {"demo": False}
FAN = {"demo": False, "devices": {"fan": {"kind": "relay", "pin": 21, "max_on_ms": 600000}},
       "inputs": {"button": {"pin": 14}}, "automations": [{"on": "button.press", "do": "fan switch_on"}]}


@pytest.fixture
def board(interp, tmp_path):
    flash = tmp_path / "flash"
    flash.mkdir()
    (flash / "config.json").write_text(json.dumps(START))
    b = PtyBoard(interp, flash, env={"HOST_WIFI_NETWORK": "home:secret123"}, main=HERE / "trial_main.py").start()
    b.until("event: ready for commands")
    yield b
    b.stop()


def ask(board, line, answer="\n"):
    """A command typed; -> its reply line."""
    start = len(board.seen)
    board.type(line)
    end = board.until(answer, since=start)
    return board.seen[start:end].decode().strip().splitlines()[-1]


def test_a_config_is_checked_whole_tried_and_confirmed_or_rolled_back(board):
    flash = board.flash
    assert json.loads(ask(board, "config get")[3:]) == START
    assert ask(board, "config rollback").startswith("error: config rollback: there is no config before this one")
    bad = dict(FAN, devices={"fan": {"kind": "relay", "pin": 99}, "lamp": {"kind": "light"}})
    reply = ask(board, "config set " + json.dumps(bad))
    assert reply.startswith("error: config: 2 errors, nothing written: "), reply
    assert "devices.fan.pin" in reply and "devices.lamp" in reply, reply
    assert json.loads((flash / "config.json").read_text()) == START and not (flash / "config.new.json").exists()

    start = len(board.seen)
    assert ask(board, "config set " + json.dumps(FAN)).startswith("ok config staged; the board restarts on it")
    board.until("event: config: the new config.json is on trial", since=start)
    board.until("event: config: the new config.json is confirmed", since=start)
    assert board.resets == 1
    assert json.loads((flash / "config.json").read_text()) == FAN
    assert json.loads((flash / "config.old.json").read_text()) == START
    assert ask(board, "press button").startswith("ok")
    board.until("fan SWITCH_ON", since=start)
    status = json.loads(ask(board, "config")[3:])
    assert status == {"config": None, "last": "config confirmed"}, status

    # Back to the config before the fan, by hand.
    start = len(board.seen)
    assert ask(board, "config rollback").startswith("ok config staged")
    board.until("event: config: the new config.json is confirmed", since=start)
    assert json.loads((flash / "config.json").read_text()) == START
    assert json.loads((flash / "config.old.json").read_text()) == FAN
    resets = board.resets

    # A config the board cannot get on its network with (a Wi-Fi it cannot join): tried, then the one before back.
    start = len(board.seen)
    away = dict(START, wifi={"ssid": "elsewhere", "password": "not-here-1"})
    assert ask(board, "config set " + json.dumps(away)).startswith("ok config staged")
    assert not (flash / "secrets.json").exists()  # its password staged, not yet in place
    board.until("event: config: the new config.json is on trial", since=start)
    board.until("event: restarting: the config on trial is not on its network after 4 s", since=start)
    board.until("event: config: config rolled back", since=start)
    board.until("event: ready for commands", since=board.seen.rfind(b"config rolled back"))
    assert board.resets == resets + 2
    assert json.loads((flash / "config.json").read_text()) == START
    assert not (flash / "secrets.json").exists()  # the trial brought it, the rollback took it away
    status = json.loads(ask(board, "config")[3:])
    assert status["config"] is None and status["last"].startswith("config rolled back"), status
    assert b"not-here-1" not in board.seen[start:]  # a password is never shown


def test_a_backup_restores_onto_a_fresh_board(board, interp, tmp_path):
    """`config set`, a program defined and saved; the backup (as GET /api/backup makes it) restored on another
    board through the same trial: its config and programs, never a password."""
    start = len(board.seen)
    ask(board, "config set " + json.dumps(FAN))
    board.until("event: config: the new config.json is confirmed", since=start)
    assert ask(board, 'define airing {"send": ["fan", "SWITCH_ON"]}').startswith("ok")
    assert ask(board, "save").startswith("ok")
    backup_text = ask(board, "config backup")
    assert backup_text.startswith("ok "), backup_text
    backup = json.loads(backup_text[3:])
    assert backup["config"] == FAN and "airing" in backup["programs"]["programs"]

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "config.json").write_text(json.dumps(START))
    other = PtyBoard(interp, fresh, main=HERE / "trial_main.py").start()
    try:
        other.until("event: ready for commands")
        (fresh / "backup.json").write_text(json.dumps(backup))
        start = len(other.seen)
        assert ask(other, "config restore backup.json").startswith("ok config staged")
        other.until("event: config: the new config.json is confirmed", since=start)
        assert json.loads((fresh / "config.json").read_text()) == FAN
        assert ask(other, "run airing").startswith("ok")
        other.until("event: airing done", since=start)
    finally:
        other.stop()


def test_a_config_over_mqtt_is_checked_staged_and_confirmed_once_on_the_broker(firmware, home):
    """<base>/config/set: a bad config's every error on result and nothing written; a good one (pretty-printed,
    over a command line's length) staged, a second meanwhile refused; the board restarts, and the new config is
    confirmed once the broker is reached again."""
    fw = firmware()
    online(home, fw)
    mqtt = json.loads((fw.flash / "config.json").read_text())["mqtt"]
    home.publish(fw.base + "/config/set", json.dumps({"demo": False, "mqtt": mqtt, "devices": {
        "fan": {"kind": "relay", "pin": 99}}}))
    bad, = results(home, fw, 1)
    assert bad.startswith("error: config: 1 error, nothing written: devices.fan.pin"), bad
    good = dict(FAN, mqtt=mqtt, programs={"p%d" % i: {"label": "Program number %d" % i} for i in range(30)})
    text = json.dumps(good, indent=2)
    assert len(text) > 1024 and "\n" in text
    since = time.monotonic()
    home.publish(fw.base + "/config/set", text)
    home.publish(fw.base + "/config/set", text)
    staged, refused = sorted(results(home, fw, 2, since=since), key=lambda r: r.startswith("error"))
    assert staged.startswith("ok config staged"), staged
    assert refused in ("error: config/set: a config is waiting already; this one was not taken",  # still queued
                       "error: config: one is staged already; the board restarts on it now"), refused
    fw.proc.wait(10)
    assert fw.proc.returncode == RESET_EXIT and (fw.flash / "config.new.json").exists()
    fw.start()  # the board comes back
    online(home, fw, since=time.monotonic())
    end = time.monotonic() + 20
    while "the new config.json is confirmed" not in fw.console():
        assert time.monotonic() < end, fw.console()[-2000:]
        time.sleep(0.1)
    assert json.loads((fw.flash / "config.json").read_text()) == good


def test_the_config_routes_ask_for_the_password_refuse_other_sites_and_bound_the_body(interp, tmp_path):
    """GET /api/config shows no password (only which are set); PUT /api/config and POST /api/restore change nothing
    without the password, from another site, as a form, or over their bound; a bad config's every error in the
    reply, nothing written; a good one staged (the board restarts: the stub's reset status)."""
    from web_rig import Page

    page = Page(interp, tmp_path, mqtt={"host": "127.0.0.1", "port": 1, "password": "broker-pass-1"})
    try:
        status, shown = page.request("GET", "/api/config")
        assert status == 200 and shown["passwords"] == {"wifi": False, "mqtt": True, "web": True}, shown
        assert "broker-pass-1" not in json.dumps(shown) and shown["config"]["mqtt"]["host"] == "127.0.0.1"
        assert page.request("GET", "/api/config", auth=False)[0] == 401
        good = dict(shown["config"], devices={"fan": {"kind": "relay", "pin": 21}})
        for route in ("/api/config", "/api/restore"):
            method = "PUT" if route == "/api/config" else "POST"
            assert page.request(method, route, good, auth=False)[0] == 401
            assert page.request(method, route, good, headers={"Content-Type": "application/json",
                                                              "Origin": "http://evil.example"})[0] == 403
            assert page.request(method, route, json.dumps(good).encode(),
                                headers={"Content-Type": "text/plain"})[0] == 415
            assert page.request(method, route, b"{" + b" " * 17000 + b"}")[0] == 413
        status, reply = page.request("PUT", "/api/config", dict(good, devices={"fan": {"kind": "relay", "pin": 99}},
                                                                 op_ms="fast"))
        assert status == 400 and reply["reply"].startswith("error: config: 1 error, nothing written: op_ms"), reply
        status, reply = page.request("POST", "/api/restore", {"config": good})
        assert status == 400 and "not a backup" in reply["reply"]
        assert not (page.fw.flash / "config.new.json").exists()
        status, reply = page.request("PUT", "/api/config", good)
        assert status == 200 and reply["reply"].startswith("ok config staged"), reply
        page.fw.proc.wait(10)
        assert page.fw.proc.returncode == RESET_EXIT
        staged = json.loads((page.fw.flash / "config.new.json").read_text())
        assert staged["devices"] == good["devices"] and "password" not in staged["mqtt"]
        secrets = json.loads((page.fw.flash / "secrets.new.json").read_text())  # kept: moved to secrets.json
        assert secrets["mqtt"] == {"password": "broker-pass-1"} and secrets["web"]["password"]
    finally:
        page.fw.kill()


def test_a_power_cut_during_a_config_trial_brings_the_config_before_back(board):
    """The board loses its power while a new config is on trial, before it is confirmed: the next boot puts the one
    before back by itself (config.json, and secrets.json that the trial brought, taken away)."""
    flash = board.flash
    start = len(board.seen)
    away = dict(START, wifi={"ssid": "elsewhere", "password": "not-here-1"})
    assert ask(board, "config set " + json.dumps(away)).startswith("ok config staged")
    board.until("event: config: the new config.json is on trial", since=start)
    assert json.loads((flash / "config.json").read_text()) == away | {"wifi": {"ssid": "elsewhere"}}
    board.power_cut()
    board.until("event: config: config rolled back", since=start)
    board.until("event: ready for commands", since=board.seen.rfind(b"config rolled back"))
    assert json.loads((flash / "config.json").read_text()) == START
    assert not (flash / "secrets.json").exists() and not (flash / "config.old.json").exists()


def test_a_flood_of_configs_over_mqtt_is_bounded_and_a_flush_is_cut_on_time(firmware, home):
    """While a flush runs: a retained config (never run), one over 8 KB (refused unread), ten bad ones at once (one
    held at a time, each refused with its errors or as waiting) and `stop` behind them: the relay goes off at its
    time, every message one reply, `stop` answered, nothing written."""
    from test_network_edge import FLOOD_LATE, OP, RELAY, pulses, typed

    home.publish("iot/test/config/set", json.dumps(START), retain=True)  # kept by the broker from some other day
    fw = firmware(**RELAY)
    online(home, fw)
    typed(fw, "toilet flush", "ok toilet FLUSH")
    since = time.monotonic()
    home.publish(fw.base + "/config/set", "{" + " " * 9000 + "}")
    bad = json.dumps(dict(START, devices={"fan": {"kind": "relay", "pin": 99}}, programs={
        "p%d" % i: {"label": "Program number %d" % i} for i in range(40)}))
    for _ in range(10):
        home.publish(fw.base + "/config/set", bad)
    home.publish(fw.base + "/cmd", "stop")
    got = results(home, fw, 12, since=since)
    time.sleep(OP / 1000 + 0.3)
    assert got[0] == "error: iot/test/config/set: a 9002-byte command, over 8192; ignored", got[0]
    assert got[-1].startswith("ok stopped"), got
    assert all(g.startswith(("error: config: 1 error, nothing written: devices.fan.pin",
                             "error: config/set: a config is waiting already")) for g in got[1:-1]), got
    assert not (fw.flash / "config.new.json").exists()
    assert len(home.on(fw.base + "/result")) == 12  # one reply each; the retained one never ran
    fw.stop()
    assert pulses(fw) == [pytest.approx(OP, abs=FLOOD_LATE)], pulses(fw)
