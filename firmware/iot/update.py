"""An update of the app, from a signed bundle (tools/bundle.py), streamed into the spare slot (slots.py).

    IOTB1\n
    {"version": "0.6.0", "mpy": 6, "family": "rp2", "files": 48, "bytes": 61234, "table": "<sha256 hex>"}\n
    <HMAC-SHA256 of that line under secrets.json's update_key, hex>\n
    then for each file:  <path> <size> <sha256 hex>\n<its bytes>

The header is checked before anything is written: the signature (a board without an update_key refuses
every bundle), the .mpy version, the board family, the bytes against the flash free. Each file's line is
checked before its bytes are written (a path inside the slot, no "..", none of the user's files), its
bytes stream into slots.d/<spare>.new in CHUNK-byte pieces, hashed as they are written and compared with
the line; the lines themselves are hashed, and must come to the signed `table`. A bundle longer or
shorter than it says is refused. Only when all of it is whole and signed is the folder renamed to
slots.d/<spare>, and then slots.switch() points the next boot at it, on trial. A power cut at any moment
leaves the old app running; what a cut update left in slots.d/<spare>.new is cleared by the next one.

The heap it takes is one header line and one chunk, whatever the bundle's size or its number of files.
"""
import hashlib
import json
import os
import sys
from binascii import hexlify

from iot import IOTError
from iot.compat import sleep_ms

MAGIC = b"IOTB1\n"
MAX_HEADER = 512  # the signed line
MAX_FILES = 128
CHUNK = 512
ROOM = 16384  # flash left free after the update: programs.json and the filesystem's own need room
PATH_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_-./"
NOT_THE_APPS = ("main.py", "config.json", "secrets.json", "programs.json", "slots.d")


def hmac_sha256(key, message):
    """RFC 2104's HMAC over hashlib.sha256 (MicroPython has no hmac module: this is its 8 lines)."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key + bytes(64 - len(key))
    inner = hashlib.sha256(bytes([b ^ 0x36 for b in key]))
    inner.update(message)
    outer = hashlib.sha256(bytes([b ^ 0x5C for b in key]))
    outer.update(inner.digest())
    return outer.digest()


def _same(a, b):
    """Equal texts, compared in a time that does not tell where they differ."""
    if len(a) != len(b):
        return False
    diff = 0
    for x, y in zip(a, b):
        diff |= ord(x) ^ ord(y)
    return diff == 0


def mpy_version():
    return getattr(sys.implementation, "_mpy", 6) & 0xFF


class Reader:
    """A byte stream with a line and an exact read over any async read(n) (a socket's, a file's)."""

    def __init__(self, read):
        self._read = read
        self._buf = b""

    async def take(self, n):
        """Up to n bytes (fewer only at the end)."""
        if not self._buf:  # the common case: what one read gives, handed on as it is (no copy made)
            more = await self._read(n)
            if len(more) == n or not more:
                return more
            self._buf = more
        while len(self._buf) < n:
            more = await self._read(max(CHUNK, n - len(self._buf)))
            if not more:
                break
            self._buf += more
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    async def line(self, limit):
        """The next line, its newline included; IOTError past `limit` bytes or at the end."""
        while b"\n" not in self._buf:
            if len(self._buf) > limit:
                raise IOTError("bundle: a header line over %d bytes" % limit)
            more = await self._read(CHUNK)
            if not more:
                raise IOTError("bundle: it ends inside its header")
            self._buf += more
        end = self._buf.index(b"\n") + 1
        if end > limit + 1:
            raise IOTError("bundle: a header line over %d bytes" % limit)
        out, self._buf = self._buf[:end], self._buf[end:]
        return out


def _check_path(path):
    if type(path) is not str or not 0 < len(path) <= 64 or [c for c in path if c not in PATH_CHARS] \
            or path.startswith("/") or ".." in path or "//" in path or path.split("/")[0] in NOT_THE_APPS \
            or path.count("/") > 3:
        raise IOTError("bundle: %r is no path inside the app" % (path,))


def check_header(text, signature, key, family):
    """The header (a dict), once its signature and versions are right; IOTError otherwise."""
    if not key:
        raise IOTError("update: this board has no update_key in secrets.json; every bundle is refused")
    if not _same(signature, hexlify(hmac_sha256(key.encode(), text)).decode()):
        raise IOTError("bundle: the signature is wrong (another update_key, or the bundle was changed)")
    try:
        header = json.loads(text)
    except ValueError:
        raise IOTError("bundle: its header is not JSON")
    if type(header) is not dict or type(header.get("version")) is not str or type(header.get("files")) is not int \
            or not 0 < header["files"] <= MAX_FILES or type(header.get("bytes")) is not int \
            or type(header.get("table")) is not str:
        raise IOTError("bundle: its header is not {version, mpy, family, files, bytes, table}")
    if header.get("mpy") != mpy_version():
        raise IOTError("bundle: its .mpy files are version %r, this MicroPython takes %d" % (
            header.get("mpy"), mpy_version()))
    if header.get("family") != family:
        raise IOTError("bundle: it is for %r, this board is %s" % (header.get("family"), family))
    return header


def _entry(line):
    """(path, size, sha256 hex) of a file's line; IOTError if it is none."""
    try:
        path, size, digest = line.decode().rstrip("\n").split(" ")
        size = int(size)
    except (ValueError, UnicodeError):
        raise IOTError("bundle: a file's line is not <path> <size> <sha256>")
    if not 0 <= size <= 1 << 20 or len(digest) != 64:
        raise IOTError("bundle: a file's line is not <path> <size> <sha256>")
    _check_path(path)
    return path, size, digest


def _free_bytes():
    try:
        st = os.statvfs("/")
        return st[0] * st[3]
    except (AttributeError, OSError):
        return None


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def remove_tree(path):
    """Remove a file or a folder and all in it (none there: nothing to do)."""
    try:
        mode = os.stat(path)[0]
    except OSError:
        return
    if mode & 0x4000:
        for name in os.listdir(path):
            remove_tree(path + "/" + name)
        os.rmdir(path)
    else:
        os.remove(path)


def _mkdirs(path):
    at = ""
    for part in path.split("/")[:-1]:
        at = at + "/" + part if at else part
        try:
            os.mkdir(at)
        except OSError:
            pass  # there already


async def apply(read, key, family, progress=None):
    """Take a bundle from read(n) into the spare slot and point the next boot at it; -> the reply text.
    `progress(step, done, total, version)` is told each step ("verified", "file", "written", "switched")."""
    import slots

    stream = Reader(read)
    if await stream.take(len(MAGIC)) != MAGIC:
        raise IOTError("bundle: it does not start as a bundle (IOTB1)")
    text = (await stream.line(MAX_HEADER)).rstrip(b"\n")
    signature = (await stream.line(80)).rstrip(b"\n").decode()
    header = check_header(text, signature, key, family)
    del text
    total, version = header["bytes"], header["version"]
    free = _free_bytes()
    if free is not None and free < total + ROOM:
        raise IOTError("update: %d bytes to write and %d free; it needs %d more" % (total, free, total + ROOM - free))
    if progress:
        progress("verified", 0, total, version)
    slot = slots.spare()
    staging = "%s/%s.new" % (slots.ROOT, slot)
    remove_tree(staging)  # what a cut update left
    _mkdirs(staging + "/x")
    table = hashlib.sha256()
    done = 0
    for _ in range(header["files"]):
        line = await stream.line(160)
        table.update(line)
        path, size, digest = _entry(line)
        target = staging + "/" + path
        if _exists(target):  # the staging folder starts empty: no list of the paths seen is kept in the heap
            raise IOTError("bundle: %s twice" % path)
        _mkdirs(target)
        h = hashlib.sha256()
        with open(target, "wb") as f:
            left = size
            while left:
                chunk = await stream.take(min(CHUNK, left))
                if not chunk:
                    raise IOTError("bundle: it ends inside %s" % path)
                h.update(chunk)
                f.write(chunk)
                left -= len(chunk)
                done += len(chunk)
                if done > total:
                    raise IOTError("bundle: more bytes than its header says")
        if hexlify(h.digest()).decode() != digest:
            raise IOTError("bundle: %s does not match its hash" % path)
        if progress:
            progress("file", done, total, version)
        await sleep_ms(0)  # the devices' timers run between files
    if await stream.take(1):
        raise IOTError("bundle: it goes on past its last file")
    if hexlify(table.digest()).decode() != header["table"] or done != total:
        raise IOTError("bundle: its files are not the ones it was signed with")
    if progress:
        progress("written", done, total, version)
    remove_tree("%s/%s" % (slots.ROOT, slot))
    os.rename(staging, "%s/%s" % (slots.ROOT, slot))
    slots.switch(slot, version)
    if progress:
        progress("switched", done, total, version)
    return "update %s staged in slot %s (%d files, %d bytes); it runs on trial from the next reset" % (
        version, slot, header["files"], total)


def family():
    """This board's family, as bundles name it: its sys.platform (rp2, esp32; linux on a host)."""
    return sys.platform
