"""Issue 34: the network edge as safe as the console. A hostile LAN client, a hostile web page and a hostile broker
or server, against the firmware on both interpreters, on real time: no relay's cut is delayed (the pin trace),
nothing the network sends fills the heap or wedges a channel, and the console shows an event line at most."""
import json
import socket
import sys
import threading
import time

import hostrun
import pytest
from mqtt_rig import Firmware, free_port

sys.path.insert(0, str(hostrun.TOOLS))
from hostile_broker import HostileBroker  # noqa: E402

pytestmark = pytest.mark.timeout(180)

OP = 400  # a flush: one pulse of OP ms, within max_on_ms
RELAY = {"op_ms": OP, "max_on_ms": 1000}
# How late a pulse may end while a flood arrives: the flood takes the CPU from the firmware's own process. Beside
# four busy processes (make test LOAD=4) CPython's cut came 50-52 ms late; in a fresh clone's first run, with the
# MicroPython kit compiling on both cores beside the suite, the unix port's came 343 ms late once (1 run in 3). The
# defect these tests catch kept the relay on for seconds (2.5-3.2 s against its 1 s bound): a pulse must still end
# before that bound.
FLOOD_LATE = 550.0


def ready(fw, timeout=20):
    end = time.monotonic() + timeout
    while "event: ready for commands" not in fw.console():
        assert time.monotonic() < end and fw.proc.poll() is None, fw.console()
        time.sleep(0.02)


def typed(fw, line, reply_start, timeout=10):
    """Type a line on the serial console; -> the seconds its reply took."""
    before = fw.console().count("\n" + reply_start)
    start = time.monotonic()
    fw.type(line)
    while fw.console().count("\n" + reply_start) == before:
        assert time.monotonic() - start < timeout, "no %r to %r in %d s:\n%s" % (reply_start, line, timeout,
                                                                                 fw.console()[-2000:])
        time.sleep(0.01)
    return time.monotonic() - start


def said(fw, text, timeout=15):
    """Wait until the console has shown `text` (a line, or the start of one)."""
    end = time.monotonic() + timeout
    while "\n" + text not in fw.console():
        assert time.monotonic() < end, "no %r in %d s:\n%s" % (text, timeout, fw.console()[-2000:])
        time.sleep(0.02)


def flood(port, first, then, seconds=2.0):
    """A client that sends `first`, then `then` again and again as fast as the server takes it (megabytes a
    second), for `seconds` or until the server closes; -> (its thread, what the server answered)."""
    answer = []

    def read(s):
        try:
            while True:
                got = s.recv(4096)
                if not got:
                    return
                answer.append(got)
        except OSError:
            pass

    def run():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=seconds + 5) as s:
                reader = threading.Thread(target=read, args=(s,))
                reader.start()
                s.sendall(first)
                end = time.monotonic() + seconds
                while time.monotonic() < end and not answer:  # a client stops once it is answered
                    s.sendall(then)
                s.shutdown(socket.SHUT_WR)
                reader.join()
        except OSError:  # the server closed: what it said is in `answer`
            pass

    thread = threading.Thread(target=run)
    thread.start()
    return thread, answer


def pulses(fw, name="flush"):
    """How long each pulse of an output lasted (ms)."""
    edges = fw.run().pin(name)
    return [round(off - on, 1) for (on, v), (off, _) in zip(edges, edges[1:]) if v]


def hostile_http_server(first, then=b"", never=False):
    """A server that sends `first` to whoever connects, then `then` again and again (or, `never`, nothing at all and
    holds the connection); -> (port, stop)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    stopping = threading.Event()

    def serve():
        server.settimeout(0.2)
        while not stopping.is_set():
            try:
                conn, _ = server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(0.2)
                try:
                    if not never:
                        conn.sendall(first)
                    while not stopping.is_set():
                        if then:
                            conn.sendall(then)
                        else:
                            time.sleep(0.05)
                except OSError:
                    pass

    threading.Thread(target=serve, daemon=True).start()

    def stop():
        stopping.set()
        server.close()

    return server.getsockname()[1], stop


WEB_PATHS = {  # the first bytes, then what comes again and again
    "request line": (b"GET /", b"A" * 4096),
    "header": (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: ", b"A" * 4096),
    "headers": (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"X-One: more\r\n" * 256),
    "body": (b"POST /api/console HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             b"Content-Length: 100000000\r\n\r\n", b"A" * 4096),
    "tls": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b"\x00" * 4096),
    "config body": (b"PUT /api/config HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 100000000\r\n\r\n", b"A" * 4096),  # the 16 KB route's own bound
}


@pytest.mark.parametrize("path", sorted(WEB_PATHS))
def test_an_endless_request_never_delays_a_relays_cut(interp, tmp_path, path):
    """A request line, a header, headers or a body without end, sent within a few ms of a flush (before any
    password is asked for): the flush relay goes off at its time, the client gets one 4xx, the console nothing."""
    port = free_port()
    fw = Firmware(interp, tmp_path, web={"port": port}, **RELAY).start()
    try:
        ready(fw)
        typed(fw, "toilet flush", "ok toilet FLUSH")
        thread, answer = flood(port, *WEB_PATHS[path])
        thread.join()
        time.sleep(OP / 1000)
        assert typed(fw, "devices", "ok {") < 1.0  # the shell answers at once
    finally:
        fw.stop()
    assert pulses(fw) == [pytest.approx(OP, abs=FLOOD_LATE)], pulses(fw)
    status = b"".join(answer).split(b" ", 2)[1:2]
    assert status and status[0] in (b"400", b"413", b"414", b"431"), answer[:1]
    assert "Traceback" not in fw.console() and "error" not in fw.console(), fw.console()


def test_a_bundle_streamed_to_the_page_during_a_flush_never_delays_its_cut(interp, tmp_path):
    """A bundle of 900 KB posted while a flush runs: written to the flash in pieces, the relay off at its time."""
    sys.path.insert(0, str(hostrun.TOOLS))
    import bundle as bundler

    key = "edge-update-key-0123456789"
    port = free_port()
    fw = Firmware(interp, tmp_path, web={"port": port}, **RELAY)
    (fw.flash / "secrets.json").write_text(json.dumps({"update_key": key}))
    fw.start()
    data = bundler.bundle_bytes([("big.py", b"#" * 900_000)], "9.0.0", "linux", key.encode())
    try:
        ready(fw)
        head = ("POST /api/update HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
                "Authorization: %s\r\nContent-Length: %d\r\n\r\n" % (fw.basic(), len(data))).encode()
        typed(fw, "toilet flush", "ok toilet FLUSH")
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(head + data)
            reply = b""
            while True:
                more = s.recv(4096)
                if not more:
                    break
                reply += more
        time.sleep(OP / 1000)
    finally:
        fw.stop()
    assert reply.split(b" ", 2)[1] == b"200" and b"ok update 9.0.0 staged in slot a" in reply, reply
    assert pulses(fw) == [pytest.approx(OP, abs=FLOOD_LATE)], pulses(fw)


def test_an_endless_mqtt_packet_never_delays_a_relays_cut(interp, tmp_path):
    """A broker that sends a PUBLISH of 256 MB, without end, while a flush runs: read past in small pieces, the
    relay off at its time, the shell answering."""
    broker = HostileBroker().start()
    fw = Firmware(interp, tmp_path, port=broker.port, **RELAY).start()
    try:
        ready(fw)
        broker.wait_for(lambda b: b.connects == 1 and b.topics)
        typed(fw, "toilet flush", "ok toilet FLUSH")
        broker.endless_publish("iot/test/cmd")
        time.sleep(OP / 1000 + 0.3)
        assert typed(fw, "devices", "ok {") < 1.0
    finally:
        broker.stop()
        fw.stop()
    assert pulses(fw) == [pytest.approx(OP, abs=FLOOD_LATE)], pulses(fw)
    assert "Traceback" not in fw.console()


FETCHES = {  # what a server sends for `update fetch`, and how the fetch ends
    "status line": (b"HTTP/1.0 200 ", b"A" * 4096, "sent a status line and headers of over 2048 bytes"),
    "headers": (b"HTTP/1.0 200 OK\r\n", b"X-More: headers\r\n" * 64, "sent a status line and headers of over 2048 bytes"),
}


@pytest.mark.parametrize("what", sorted(FETCHES))
def test_an_endless_answer_to_update_fetch_never_delays_a_relays_cut(interp, tmp_path, what):
    first, then, why = FETCHES[what]
    server, stop = hostile_http_server(first, then)
    fw = Firmware(interp, tmp_path, **RELAY)
    (fw.flash / "secrets.json").write_text(json.dumps({"update_key": "edge-update-key-0123456789"}))
    fw.start()
    try:
        ready(fw)
        typed(fw, "toilet flush", "ok toilet FLUSH")
        url = "http://127.0.0.1:%d/iot.bundle" % server
        assert typed(fw, "update fetch " + url, "ok update fetch") < 1.0  # begun; it runs beside the shell
        assert typed(fw, "devices", "ok {") < 1.0
        said(fw, "event: update fetch " + url + ": error: update fetch: " + url + " " + why)
        time.sleep(OP / 1000)
    finally:
        stop()
        fw.stop()
    assert pulses(fw) == [pytest.approx(OP, abs=FLOOD_LATE)], pulses(fw)


def raw(port, data, timeout=15):
    """One connection: `data` sent, then the server's answer, read as an HTTP client reads it (to the end of its
    Content-Length, or until the server closes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while True:
            head, _, body = out.partition(b"\r\n\r\n")
            length = [int(h[15:]) for h in head.lower().split(b"\r\n") if h.startswith(b"content-length: ")]
            if _ and length and len(body) >= length[0]:
                return out
            try:
                more = s.recv(4096)
            except OSError:
                return out
            if not more:
                return out
            out += more


def status_of(answer):
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.") else None


def reply_of(answer):
    return json.loads(answer.split(b"\r\n\r\n", 1)[1])["reply"]


def request(port, method, path, body=b"", host="127.0.0.1", **headers):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: " + host]
    lines += ["%s: %s" % (k.replace("_", "-"), v) for k, v in headers.items()]
    if body or method != "GET":
        lines.append("Content-Length: %d" % len(body))
    return raw(port, ("\r\n".join(lines) + "\r\n\r\n").encode() + body)


FLUSH = b'{"line": "toilet flush", "x": "="}'  # as a <form enctype="text/plain"> sends {"line":"toilet flush","x":"="}


@pytest.mark.parametrize("auth", [True, False], ids=["password", "auth-off"])
def test_no_page_of_another_site_can_drive_the_board_through_a_visitors_browser(interp, tmp_path, auth):
    """Every shape a page of another site can make a browser send (with the board's password cached, or with none
    needed) is refused and moves nothing; the board's own page's shape is taken."""
    port = free_port()
    fw = Firmware(interp, tmp_path, web={"port": port, "auth": auth}, **RELAY).start()
    try:
        ready(fw)
        basic = {"Authorization": fw.basic()} if auth else {}
        own = "http://127.0.0.1:%d" % port
        shapes = [  # (headers, body, host, the status it gets)
            (dict(Content_Type="text/plain", Origin="http://evil.example", Sec_Fetch_Site="cross-site"), FLUSH, None,
             403),
            (dict(Content_Type="application/json", Origin="http://evil.example"), FLUSH, None, 403),  # old browser
            (dict(Content_Type="application/json", Sec_Fetch_Site="cross-site"), FLUSH, None, 403),
            (dict(Content_Type="application/json", Sec_Fetch_Site="same-site", Origin="http://127.0.0.1"), FLUSH, None,
             403),  # another port of this address: another site's page
            (dict(Content_Type="application/json", Origin="null"), FLUSH, None, 403),  # a sandboxed frame
            (dict(Content_Type="text/plain"), FLUSH, None, 415),
            (dict(Content_Type="application/x-www-form-urlencoded"), b"line=toilet+flush", None, 415),
            (dict(Content_Type="multipart/form-data; boundary=x"), b"--x\r\n", None, 415),
            ({}, FLUSH, None, 415),  # no Content-Type at all
            # a DNS name rebound to the board: the browser takes it for the other site's own origin
            (dict(Content_Type="application/json", Origin="http://evil.example:%d" % port, Sec_Fetch_Site="same-origin"),
             FLUSH, "evil.example:%d" % port, 421),
        ]
        for headers, body, host, code in shapes:
            answer = request(port, "POST", "/api/console", body, host or "127.0.0.1:%d" % port, **dict(basic, **headers))
            assert status_of(answer) == code, (headers, host, answer[:300])
        assert status_of(request(port, "GET", "/api/status", host="evil.example", **basic)) == 421  # nor read
        time.sleep(0.3)
        assert pulses(fw) == []  # nothing moved
        ok = request(port, "POST", "/api/console", FLUSH, "127.0.0.1:%d" % port, Content_Type="application/json",
                     Origin=own, Sec_Fetch_Site="same-origin", **basic)  # the board's own page
        assert status_of(ok) == 200 and reply_of(ok) == "ok toilet FLUSH", ok
        assert status_of(request(port, "POST", "/api/stop", Content_Type="application/json", **basic)) == 200  # a tool
    finally:
        fw.stop()
    assert len(pulses(fw)) == 1
    assert "Traceback" not in fw.console()


def test_the_page_is_guarded_by_a_password_from_the_first_boot_shown_on_the_serial_console_only(interp, tmp_path):
    port = free_port()
    fw = Firmware(interp, tmp_path, web={"port": port}, **RELAY).start()
    try:
        ready(fw)
        password = fw.made_password()
        assert len(password) == 16 and fw.console().count(password) == 1
        assert ("event: web page: user admin, password %s (made now and kept in secrets.json; shown here once, and "
                "in status typed on this console)" % password) in fw.console()
        assert status_of(request(port, "GET", "/api/status")) == 401
        assert status_of(request(port, "POST", "/api/stop", Content_Type="application/json")) == 401
        answer = request(port, "GET", "/api/status", Authorization=fw.basic())
        assert status_of(answer) == 200 and password.encode() not in answer  # the network never sees it
        assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["network"]["web"]["auth"] == "password"
        typed(fw, "status", "ok {")
        web = json.loads(fw.console().split("\nok ")[-1].split("\n")[0])["network"]["web"]
        assert web["password"] == password and web["user"] == "admin"  # on the serial console, in status
    finally:
        fw.stop()
    again = Firmware(interp, tmp_path, web={"port": port}, **RELAY)  # the next boot: the same password, not shown
    (tmp_path / "console.txt").write_text("")
    again.start()
    try:
        ready(again)
        assert password not in again.console() and again.made_password() == password
        assert status_of(request(port, "GET", "/api/status", Authorization=again.basic())) == 200
    finally:
        again.stop()


def test_a_password_that_is_none_or_auth_switched_off_is_said_never_silent(interp, tmp_path):
    """An empty password is refused at boot (it once turned authentication off, saying nothing); `"auth": false`
    is the only way to serve without one, and every boot says so; a board that cannot keep the password it made
    serves its page read-only."""
    port = free_port()
    for secrets, config, said in [
        ({"web": {"password": ""}}, {}, "error: config.json with secrets.json: web.password must be 8 to 64 "
                                       "characters; no outputs driven"),
        ({}, {"auth": False}, "event: web page: authentication is off (config.json: web.auth false): anyone on this "
                              "network can drive every output from it")]:
        (tmp_path / str(len(said))).mkdir()
        fw = Firmware(interp, tmp_path / str(len(said)), web=dict(config, port=port), **RELAY)
        (fw.flash / "secrets.json").write_text(json.dumps(secrets))
        fw.start()
        try:
            end = time.monotonic() + 20
            while said not in fw.console():
                assert time.monotonic() < end, fw.console()
                time.sleep(0.05)
        finally:
            fw.stop()
    (tmp_path / "locked").mkdir()
    fw = Firmware(interp, tmp_path / "locked", web={"port": port}, **RELAY)
    (fw.flash / "secrets.json.tmp").mkdir()  # where it writes the file first, taken: no password can be kept
    fw.start()
    try:
        ready(fw)
        assert "event: web page: no password could be kept in secrets.json (" in fw.console(), fw.console()
        assert status_of(request(port, "GET", "/api/status")) == 200
        answer = request(port, "POST", "/api/console", FLUSH, Content_Type="application/json")
        assert status_of(answer) == 403 and "no web password yet" in reply_of(answer)
    finally:
        fw.stop()
    assert pulses(fw) == []


MALFORMED = {  # what a client sends, and the status it gets (None: it reset the connection, and gets nothing)
    "Content-Length shorter": (b"POST /api/console HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                               b"Content-Length: 5\r\n\r\n{\"line\": \"status\"}", 400),
    "Content-Length longer": (b"POST /api/console HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                              b"Content-Length: 100\r\n\r\n{\"line\": \"status\"}", 408),
    "Content-Length negative": (b"POST /api/console HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n", 400),
    "Content-Length huge": (b"POST /api/console HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999\r\n\r\n", 413),
    "Content-Length past any": (b"POST /api/console HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999999999\r\n\r\n",
                                400),
    "Content-Length twice": (b"POST /api/console HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n"
                             b"{}", 400),
    "chunked": (b"POST /api/console HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 411),
    "64 KB of headers": (b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Pad: " + b"a" * 1000 + b"\r\n" * 1 +
                         (b"X-More: " + b"b" * 1000 + b"\r\n") * 64 + b"\r\n", 431),
    "a header not UTF-8": (b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Name: \xff\xfe\r\n\r\n", 400),
    "a path not UTF-8": (b"GET /api/\xff HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    "a bad %-escape": (b"PUT /api/programs/p?mode=%zz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n", 400),
    "HTTP/0.9": (b"GET /\r\n", 400),
    "HTTP/2": (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400),
    "TLS": (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + bytes(160), 400),
    "no line at all": (b"\r\n\r\n", 400),
}


def test_each_malformed_request_gets_one_4xx_and_nothing_on_the_console(interp, tmp_path):
    """Each at once, on its own connection (one waits out the 10 s a request has); then a reset in the middle of a
    request: nothing answered, nothing said. The console shows no traceback, no line at all."""
    port = free_port()
    fw = Firmware(interp, tmp_path, web={"port": port, "auth": False}, **RELAY).start()
    got = {}
    try:
        ready(fw)
        before = fw.console()
        waits = "Content-Length longer"  # it waits out the 10 s a request has: beside the others, one at a time
        waiting = threading.Thread(target=lambda: got.__setitem__(waits, raw(port, MALFORMED[waits][0])))
        waiting.start()
        for k in MALFORMED:
            for _ in range(50):  # the connection before may not be closed yet: busy (503), so again in a moment
                if k != waits and status_of(got.setdefault(k, raw(port, MALFORMED[k][0]))) == 503:
                    del got[k]
                    time.sleep(0.02)
        with socket.create_connection(("127.0.0.1", port)) as s:  # a reset in the middle of a request
            s.sendall(b"POST /api/console HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Len")
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        waiting.join(30)
        assert {k: status_of(got.get(k, b"")) for k in MALFORMED} == {k: MALFORMED[k][1] for k in MALFORMED}
        assert all(reply_of(got[k]).startswith("error: ") for k in MALFORMED)
        assert typed(fw, "devices", "ok {") < 1.0
        said = fw.console()[len(before):].strip().split("\n")
        assert len(said) == 1 and said[0].startswith("ok {"), said  # the reply to devices, and nothing before it
    finally:
        fw.stop()
    assert "Traceback" not in fw.console() and "error" not in fw.console(), fw.console()
    assert fw.run().active() == []  # nothing moved


def test_slow_clients_are_timed_out_and_the_rest_refused_at_once(interp, tmp_path):
    """150 connections that send their headers a byte at a time: 4 are served (the cap), each closed 10 s after it
    opened; the rest get 503 at once. Meanwhile the shell answers and a flush ends on time."""
    port = free_port()
    fw = Firmware(interp, tmp_path, web={"port": port, "auth": False}, **RELAY).start()
    socks, answers = [], {}
    try:
        ready(fw)
        start = time.monotonic()
        for i in range(150):
            s = socket.create_connection(("127.0.0.1", port), timeout=15)
            s.sendall(b"G")
            socks.append(s)
        typed(fw, "toilet flush", "ok toilet FLUSH")

        def slow(i, s):
            data, first = b"", None
            for b in b"ET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n" * 5:
                try:
                    s.sendall(bytes((b,)))
                except OSError:
                    break
                s.settimeout(0.5)
                try:
                    more = s.recv(4096)
                    if more and first is None:
                        first = time.monotonic() - start  # when the answer came
                    data += more
                    if not more:
                        break
                except socket.timeout:
                    pass
                except OSError:
                    break
            answers[i] = (data, first)

        threads = [threading.Thread(target=slow, args=(i, s)) for i, s in enumerate(socks)]
        for t in threads:
            t.start()
        time.sleep(2)
        assert typed(fw, "devices", "ok {") < 1.0
        for t in threads:
            t.join(40)
    finally:
        for s in socks:
            s.close()
        fw.stop()
    busy = [a for a in answers.values() if status_of(a[0]) == 503]
    timed_out = [a for a in answers.values() if status_of(a[0]) == 408]
    assert len(busy) >= 146 and all(t < 3 for _, t in busy), (len(busy), sorted(t for _, t in busy)[-3:])
    assert 1 <= len(timed_out) <= 4 and all(9.5 <= t <= 13 for _, t in timed_out), [t for _, t in timed_out]
    assert len(busy) + len(timed_out) == 150
    assert pulses(fw) == [pytest.approx(OP, abs=FLOOD_LATE)]
    assert "Traceback" not in fw.console()


def test_a_hundred_requests_at_once_are_all_answered_at_once(interp, tmp_path):
    """100 status and light requests at once: every one answered (served, or 503 past the cap) within a second.
    MicroPython's asyncio listened with a backlog of 5: the kernel dropped the rest of the burst, whose clients
    tried again 1, 3 and 7 s later (11.8 s for the hundred on the unix port, 0.3 s on CPython)."""
    port = free_port()
    fw = Firmware(interp, tmp_path, web={"port": port, "auth": False}, op_ms=0).start()
    took = []
    try:
        ready(fw)

        def one(i):
            start = time.monotonic()
            answer = request(port, "GET", "/api/status") if i % 2 else request(
                port, "POST", "/api/devices/light", b'{"msg": "SWITCH_ON", "data": "40%"}', Content_Type="application/json")
            took.append((status_of(answer), time.monotonic() - start))

        threads = [threading.Thread(target=one, args=(i,)) for i in range(100)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        fw.stop()
    assert len(took) == 100 and {s for s, _ in took} <= {200, 503}, took
    assert len([s for s, _ in took if s == 200]) >= 4
    assert max(t for _, t in took) < 1.0, sorted(t for _, t in took)[-5:]


def heap_free(fw):
    """The heap the app leaves, as `status` typed on the serial console says (None on CPython)."""
    typed(fw, "status", "ok {")
    return json.loads(fw.console().split("\nok {")[-1].split("\n")[0].join(["{", ""]))["firmware"]["heap_free"]


@pytest.mark.parametrize("acks", ["never", "late"])
def test_a_broker_that_acknowledges_late_or_never_fills_nothing_and_wedges_nothing(interp, tmp_path, acks):
    """3,000 `status` commands from a broker that acknowledges none of the replies (or each 20 ms late), on a
    board-sized heap: every command is answered or refused busy, nothing held grows, the serial shell answers
    throughout, and a broker that acknowledges nothing is left for a new connection. It once ended in
    MemoryError at boot level, and the shell answered only `error: out of memory`."""
    broker = HostileBroker(ack_ms=None if acks == "never" else 20).start()
    fw = Firmware(interp, tmp_path, port=broker.port, heap="256K", **RELAY).start()
    try:
        ready(fw)
        broker.wait_for(lambda b: b.connects == 1 and "iot/test/status" in b.topics)
        before = heap_free(fw)
        broker.commands("iot/test/cmd", ["status"] * 3000)
        lows = []
        for _ in range(6):
            time.sleep(0.5)
            assert typed(fw, "devices", "ok {") < 1.0
            lows.append(heap_free(fw))
        if acks == "never":  # a keepalive (10 s) with nothing acknowledged: a new connection, and the same replies
            broker.ack_ms = 0  # from now on (what was sent before stays unacknowledged): before the new connection,
            broker.wait_for(lambda b: b.connects >= 2, timeout=25)  # so that what it sends again is acknowledged
        broker.wait_for(lambda b: b.topics.get("iot/test/result", 0) >= (3000 if acks == "late" else 1), timeout=90)
        assert typed(fw, "devices", "ok {") < 1.0
    finally:
        broker.stop()
        fw.stop()
    assert "Traceback" not in fw.console() and "out of memory" not in fw.console(), fw.console()[-2000:]
    assert [r for r in broker.results if not r.startswith(("ok {", "error: busy: "))] == []
    if acks == "late":
        assert len(broker.results) == 3000  # one each
    if interp == "micropython":  # what is held for the broker: the bounded queues, not 3,000 replies
        assert before - min(lows) < 64 * 1024, (before, lows)


def test_a_long_command_from_mqtt_holds_up_no_other(interp, tmp_path):
    """`wait 3600000` on the command topic once held every later MQTT command, `stop` and `light/set OFF`
    included, for up to an hour: now it is the serial console's alone, and what follows is answered at once."""
    broker = HostileBroker().start()
    fw = Firmware(interp, tmp_path, port=broker.port, **RELAY).start()
    try:
        ready(fw)
        broker.wait_for(lambda b: b.connects == 1 and "iot/test/status" in b.topics)
        broker.command("iot/test/cmd", "wait 3600000")
        broker.command("iot/test/light/set", "ON")
        broker.command("iot/test/cmd", "stop")
        broker.wait_for(lambda b: b.topics.get("iot/test/result", 0) >= 3, timeout=5)
    finally:
        broker.stop()
        fw.stop()
    assert broker.results[0].startswith("error: wait holds the channel it comes on") and broker.results[1:] == [
        "ok light SWITCH_ON", broker.results[2]] and broker.results[2].startswith("ok stopped"), broker.results


def test_update_fetch_from_a_server_that_never_answers_holds_up_nothing(interp, tmp_path):
    """A server that accepts and never answers once blocked the serial shell for good, and every MQTT command
    behind it: the fetch runs beside them, and gives up after 10 s without an answer."""
    server, stop = hostile_http_server(b"", never=True)
    fw = Firmware(interp, tmp_path, **RELAY)
    (fw.flash / "secrets.json").write_text(json.dumps({"update_key": "edge-update-key-0123456789"}))
    fw.start()
    url = "http://127.0.0.1:%d/iot.bundle" % server
    try:
        ready(fw)
        start = time.monotonic()
        assert typed(fw, "update fetch " + url, "ok update fetch") < 1.0
        assert typed(fw, "status", "ok {") < 1.0 and typed(fw, "toilet flush", "ok toilet FLUSH") < 1.0
        assert "another update is being staged" in fw.console() or typed(fw, "update fetch " + url, "error: update:") < 1
        said(fw, "event: update fetch %s: error: update fetch: %s sent no whole answer within 10 s" % (url, url))
        assert 9.5 < time.monotonic() - start < 13
    finally:
        stop()
        fw.stop()
    assert pulses(fw) == [pytest.approx(OP, abs=FLOOD_LATE)]
