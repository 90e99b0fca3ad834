"""A board's backup (config.json, programs.json, the settings in secrets.json that are no secret) kept on this
machine, and restored onto a board through its config trial (docs/provisioning.md).

    python tools/backup.py save HOST [--port 80] [--out FILE] [--password P]     GET /api/backup
    python tools/backup.py restore HOST FILE [--port 80] [--password P]          POST /api/restore

The page's password: --password, else $IOT_WEB_PASSWORD, else the checkout's secrets.json (web.password), as
make deploy put it on the board. A board on USB is backed up with `config backup` on its shell, or mpremote
(docs/provisioning.md).
"""
import argparse
import base64
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def password(given):
    if given:
        return given
    if os.environ.get("IOT_WEB_PASSWORD"):
        return os.environ["IOT_WEB_PASSWORD"]
    try:
        web = json.loads((ROOT / "secrets.json").read_text()).get("web", {})
    except (OSError, ValueError):
        web = {}
    return web.get("password")


def call(host, port, path, secret, body=None):
    """(status, bytes) of one request to the board's API."""
    req = urllib.request.Request("http://%s:%d%s" % (host, port, path), data=body,
                                 method="POST" if body is not None else "GET")
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if secret:
        req.add_header("Authorization", "Basic " + base64.b64encode(("admin:" + secret).encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="what", required=True)
    for name in ("save", "restore"):
        p = sub.add_parser(name)
        p.add_argument("host")
        if name == "restore":
            p.add_argument("file")
        else:
            p.add_argument("--out", help="default: backup-HOST.json")
        p.add_argument("--port", type=int, default=80)
        p.add_argument("--password")
    args = ap.parse_args(argv)
    secret = password(args.password)
    if args.what == "save":
        status, data = call(args.host, args.port, "/api/backup", secret)
        if status != 200:
            print("backup: %d %s" % (status, data.decode(errors="replace")), file=sys.stderr)
            return 1
        out = Path(args.out or "backup-%s.json" % args.host)
        out.write_bytes(data)
        kept = json.loads(data)
        print("backup of %s (app %s) kept in %s: config.json, %d saved programs" % (
            args.host, kept.get("version"), out, len(kept.get("programs", {}).get("programs", {}))))
        return 0
    status, data = call(args.host, args.port, "/api/restore", secret, Path(args.file).read_bytes())
    print(json.loads(data or b"{}").get("reply", data.decode(errors="replace")))
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
