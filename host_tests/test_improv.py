"""Improv Serial on the console, against the real client (npm improv-wifi-serial-sdk, the library esp-web-tools
uses), driven from Node over the console's pseudo-terminal: both interpreters, the stub network joining only
"home" with its password. The emulated Pico's side (no Wi-Fi chip) is tools/board_test.py's."""
import json
import urllib.error
import urllib.request

import pytest

import improvclient
from board_rig import PtyBoard
from mqtt_rig import free_port

READY, PROVISIONING, PROVISIONED = 2, 3, 4


@pytest.fixture
def client():
    why = improvclient.missing()
    if why:
        pytest.skip(why)


@pytest.fixture
def board(interp, tmp_path, client):
    flash = tmp_path / "flash"
    flash.mkdir()
    port = free_port()
    (flash / "config.json").write_text(json.dumps({"demo": False, "web": {"port": port}}))
    b = PtyBoard(interp, flash, env={"HOST_WIFI_NETWORK": "home:secret123"})
    b.port = port
    b.start()
    b.until("event: ready for commands")
    yield b
    b.stop()


def test_the_improv_client_puts_the_board_on_wifi_and_is_given_its_page(board):
    """Device info and a scan; a wrong password refused (unable to connect) with nothing kept; the right one kept
    in secrets.json, answered with the page's URL; the board restarts on it, provisioned, its page up there."""
    flash = board.flash
    first, scan, wrong, state, right = board.improv("initialize", "scan", "provision", "home", "wrong-password",
                                                    "state", "provision", "home", "secret123")
    assert first["info"] == {"firmware": "iot", "version": first["info"]["version"], "name": "iot_000001",
                             "chipFamily": "pico", "osName": None, "osVersion": None}, first
    assert first["state"] == READY and first["nextUrl"] is None
    assert [s["name"] for s in scan["ssids"]] == ["home", "neighbours"] and scan["ssids"][0]["secured"] is True
    assert wrong["error"] == "UNABLE_TO_CONNECT", wrong
    assert state["state"] == READY  # it did not join, and kept nothing:
    url = "http://127.0.0.1:%d/" % board.port
    assert right == {"step": "provision", "nextUrl": url, "state": PROVISIONED}, right
    assert json.loads((flash / "secrets.json").read_text())["wifi"] == {"ssid": "home", "password": "secret123"}
    board.until("event: restarting: wifi set over improv")
    at = board.until("event: wifi home up")  # the next boot, on the Wi-Fi it was given
    board.until("event: ready for commands", since=at)
    assert board.resets == 1
    again, = board.improv("initialize")
    assert again["state"] == PROVISIONED and again["nextUrl"] == url, again
    with pytest.raises(urllib.error.HTTPError) as e:  # the page is there, and asks for its password
        urllib.request.urlopen(url + "api/status", timeout=10)
    assert e.value.code == 401
    assert b"unknown command" not in board.seen and b"error:" not in board.seen, board.seen[-2000:]


def test_a_wrong_password_keeps_nothing(board):
    """No such network: the client's failure leaves secrets.json as it was (the page's password the first boot made
    in it), and the board runs on without a restart."""
    before = (board.flash / "secrets.json").read_text()
    _, wrong = board.improv("initialize", "provision", "elsewhere", "secret123")
    assert wrong["error"] == "UNABLE_TO_CONNECT"
    assert (board.flash / "secrets.json").read_text() == before and "wifi" not in json.loads(before)
    assert board.resets == 0


def test_packets_and_commands_share_the_console(board):
    """A command typed around Improv packets, a packet cut off by a bad checksum, and a line that only starts like
    a header: every command answered once, no packet reaching the shell, every packet answered as Improv."""
    from iot import improv

    good = improv.packet(3, bytes([3, 0]))  # request device info
    bad = good[:-1] + bytes([(good[-1] + 1) & 0xFF])
    start = len(board.seen)
    state = improv.packet(3, bytes([2, 0]))  # request current state, three times back to back: a client's retries
    board.type(b"status\r" + good + b"\n" + bad + b"\nIMPROVISE\r" + state * 3 + b"light switch_on\r")
    board.until("ok light SWITCH_ON", since=start)
    said = board.seen[start:]
    assert said.count(b"ok {") == 1 and said.count(b"ok light SWITCH_ON") == 1, said
    assert b"IMPROV\x01\x04" in said  # the device info's result
    assert improv.packet(2, bytes([1])) in said  # the bad one: an invalid RPC packet
    assert said.count(improv.packet(1, bytes([2]))) == 3  # each state request answered: ready
    assert said.count(b"error: ") == 1 and b"error: unknown command or device 'improvise'" in said, said
