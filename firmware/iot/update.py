"""An update of the app, from a signed bundle (tools/bundle.py), streamed into the spare slot (slots.py).

    IOTB2\n
    {"version": "0.6.0", "mpy": 6, "family": "rp2", "files": 48, "bytes": 61234, "table": "<sha256 hex>"}\n
    <HMAC-SHA256 of that line under secrets.json's update_key, hex>\n
    the table, a line for each file:  <path> <size> <sha256 hex>\n
    then every file's bytes, in the table's order

The header is checked before anything is written: the signature (a board without an update_key refuses
every bundle), the .mpy version, the board family, the version (none older than the one installed, but on
the serial console's `update apply FILE --downgrade`), the bytes against the flash free. Then the table,
before any file's bytes: each line's path (app_path: the one rule for an app's file names, which
tools/bundle.py uses too), size and hash, the lines' own hash against the signed `table`, and no name twice
or both a file and a folder. It is kept in slots.d/<spare>.new/manifest.txt. The bytes stream in
CHUNK-byte pieces, each file hashed as it is written and compared with its line; a bundle longer or
shorter than it says is refused. Before the pointer moves, what was staged is verified as a whole: every
file read back from the flash against the manifest, and nothing else in the folder. Only then is the
folder renamed to slots.d/<spare> and slots.switch() points the next boot at it, on trial. A power cut at
any moment leaves the old app running; what a cut update left in slots.d/<spare>.new is cleared by the next.

The heap it takes is one header line, one table line and one chunk, whatever the bundle's size or its number
of files. One update at a time: iot.commands refuses a second while one is staged.
"""
import hashlib
import json
import os
import sys
from binascii import hexlify

from iot import IOTError
from iot.compat import sleep_ms
from iot.message import digits
from iot.secret import same

MAGIC = b"IOTB2\n"
MAX_HEADER = 512  # the signed line
MAX_FILES = 128
CHUNK = 512
ROOM = 16384  # flash left free after the update: programs.json and the filesystem's own need room
NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_-."
NOT_THE_APPS = ("main.py", "config.json", "secrets.json", "programs.json", "slots.d", "manifest.txt")
MANIFEST = "manifest.txt"  # the table, in the slot: what it holds


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

    async def line(self, limit, what="header"):
        """The next line of the bundle's `what` (its header, its table), its newline included; IOTError past `limit`
        bytes or at the end."""
        while b"\n" not in self._buf:
            if len(self._buf) > limit:
                raise IOTError("bundle: a %s line over %d bytes" % (what, limit))
            more = await self._read(CHUNK)
            if not more:
                raise IOTError("bundle: it ends inside its %s" % what)
            self._buf += more
        end = self._buf.index(b"\n") + 1
        if end > limit + 1:
            raise IOTError("bundle: a %s line over %d bytes" % (what, limit))
        out, self._buf = self._buf[:end], self._buf[end:]
        return out


def app_path(path):
    """`path` if it names a file of the app the same way everywhere (a bundle's table, tools/bundle.py): parts of
    a-z, 0-9, _, - and . joined by "/", at most 4 of them and 64 characters, no part empty, "." or "..", and not the
    user's files or the slots'; IOTError otherwise."""
    parts = path.split("/") if type(path) is str and 0 < len(path) <= 64 else ()
    if not parts or len(parts) > 4 or parts[0] in NOT_THE_APPS or \
            [p for p in parts if p in ("", ".", "..") or [c for c in p if c not in NAME_CHARS]]:
        raise IOTError("bundle: %r is no path inside the app" % (path,))
    return path


def version_key(text):
    """A semantic version (MAJOR[.MINOR[.PATCH]][-pre][+build]) as a key that sorts as the versions do: a
    pre-release before its release, build metadata ignored; IOTError if it is none."""
    core, _, pre = text.split("+")[0].partition("-")
    numbers = core.split(".")
    if len(numbers) > 3 or [n for n in numbers if not digits(n)] or (pre and [p for p in pre.split(".") if not p]):
        raise IOTError("bundle: its version %r is no semantic version" % (text,))
    key = [int(n) for n in numbers] + [0] * (3 - len(numbers)) + [1 if not pre else 0]  # type: list
    for part in pre.split(".") if pre else ():  # numbers before words, each kind in its order
        key += [(0, int(part), "") if digits(part) else (1, 0, part)]
    return key


def check_header(text, signature, key, family, downgrade=False):
    """The header (a dict), once its signature and versions are right; IOTError otherwise. A version older than the
    one installed is refused, but with `downgrade` (the serial console's --downgrade)."""
    if not key:
        raise IOTError("update: this board has no update_key in secrets.json; every bundle is refused")
    if not same(signature, hexlify(hmac_sha256(key.encode(), text)).decode()):
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
    from iot import installed

    now = installed()[1]
    if version_key(header["version"]) < version_key(now) and not downgrade:
        raise IOTError("bundle: it is version %s, older than the %s installed: an older version is taken only on the "
                       "serial console, with update apply FILE --downgrade" % (header["version"], now))
    return header


def _entry(line):
    """(path, size, sha256 hex) of a table's line; IOTError if it is none."""
    try:
        path, size, digest = line.decode().rstrip("\n").split(" ")
    except (ValueError, UnicodeError):
        raise IOTError("bundle: a file's line is not <path> <size> <sha256>")
    if not digits(size) or int(size) > 1 << 20 or len(digest) != 64 or [c for c in digest if c not in
                                                                         "0123456789abcdef"]:
        raise IOTError("bundle: a file's line is not <path> <size> <sha256>")
    return app_path(path), int(size), digest


def _free_bytes():
    try:
        st = os.statvfs("/")
        return st[0] * st[3]
    except (AttributeError, OSError):
        return None


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


def _entries(staging):
    """The staged manifest's entries, one at a time: its file is open only to read each line (an open file on the
    board holds over a kilobyte of heap, and a file is written or hashed meanwhile)."""
    at = 0
    while True:
        line, at = _line_at(staging + "/" + MANIFEST, at)
        if not line:
            return
        yield _entry(line)


def _line_at(path, at):
    """The line of a file at offset `at`, and the offset after it. A function of its own so that the file object
    is gone when _entries yields: a closed file still holds its buffer while a name refers to it."""
    with open(path, "rb") as f:
        f.seek(at)
        return f.readline(), f.tell()


def _place(staging, path):
    """An empty file at `path` in the staging folder, its folders made; IOTError when a name is there already (the
    same file twice, or a file and a folder of one name): before any file's bytes are written."""
    at = staging
    parts = path.split("/")
    for i, part in enumerate(parts):
        at += "/" + part
        try:
            mode = os.stat(at)[0]
        except OSError:
            mode = None
        last = i == len(parts) - 1
        if mode is not None and (last or not mode & 0x4000):
            raise IOTError("bundle: %s twice" % path if last and not mode & 0x4000 else
                           "bundle: %s is both a file and a folder" % "/".join(parts[:i + 1]))
        if last:
            open(at, "wb").close()
        elif mode is None:
            os.mkdir(at)


def _hash(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            chunk = f.read(CHUNK)
            if not chunk:
                return hexlify(h.digest()).decode()
            h.update(chunk)


def _count(folder):
    """The files in a folder and all under it."""
    n = 0
    for name in os.listdir(folder):
        at = folder + "/" + name
        n += _count(at) if os.stat(at)[0] & 0x4000 else 1
    return n


async def _verify(staging, files):
    """What was staged, as a whole, before the pointer moves: every file read back from the flash against the
    manifest, and no file but those and the manifest in the folder."""
    for path, size, digest in _entries(staging):
        if _hash(staging + "/" + path) != digest:
            raise IOTError("bundle: %s changed on the flash after it was written" % path)
        await sleep_ms(0)
    if _count(staging) != files + 1:
        raise IOTError("bundle: the staged slot holds files the bundle did not bring")


async def _stage_table(stream, staging, files):
    """The bundle's table, checked line by line as it comes and written to the staging folder's manifest; -> the
    table's SHA-256 (hex) and the sum of its sizes. (Each staged file is written in a function of its own: a closed
    file a name still refers to holds its buffer, over a kilobyte on a board.)"""
    table = hashlib.sha256()
    size_sum = 0
    with open(staging + "/" + MANIFEST, "wb") as manifest:
        for _ in range(files):
            line = await stream.line(160, "table")
            table.update(line)
            size_sum += _entry(line)[1]
            manifest.write(line)
    return hexlify(table.digest()).decode(), size_sum


async def _stage_file(stream, staging, path, size):
    """A file's `size` bytes from the stream to `path` in the staging folder, a chunk at a time; -> their SHA-256
    (hex)."""
    h = hashlib.sha256()
    with open(staging + "/" + path, "wb") as f:
        left = size
        while left:
            chunk = await stream.take(min(CHUNK, left))
            if not chunk:
                raise IOTError("bundle: it ends inside %s" % path)
            h.update(chunk)
            f.write(chunk)
            left -= len(chunk)
    return hexlify(h.digest()).decode()


async def apply(read, key, family, progress=None, downgrade=False):
    """Take a bundle from read(n) into the spare slot and point the next boot at it; -> the reply text.
    `progress(step, done, total, version)` is told each step ("verified", "file", "written", "switched")."""
    import slots

    stream = Reader(read)
    if await stream.take(len(MAGIC)) != MAGIC:
        raise IOTError("bundle: it does not start as a bundle (%s)" % MAGIC.decode().strip())
    text = (await stream.line(MAX_HEADER)).rstrip(b"\n")
    signature = (await stream.line(80)).rstrip(b"\n").decode()
    header = check_header(text, signature, key, family, downgrade)
    del text
    total, version, files = header["bytes"], header["version"], header["files"]
    slot = slots.spare()
    staging = "%s/%s.new" % (slots.ROOT, slot)
    remove_tree(staging)  # what a cut update left
    if slots.read()["active"] != slot:  # the spare's old app: neither what runs nor what a rollback returns to (an
        remove_tree("%s/%s" % (slots.ROOT, slot))  # update staged there and not yet booted is kept until replaced)
    free = _free_bytes()
    if free is not None and free < total + ROOM:
        raise IOTError("update: %d bytes to write and %d free; it needs %d more" % (total, free, total + ROOM - free))
    if progress:
        progress("verified", 0, total, version)
    _mkdirs(staging + "/x")
    if await _stage_table(stream, staging, files) != (header["table"], total):
        raise IOTError("bundle: its files are not the ones it was signed with")
    for path, size, digest in _entries(staging):
        _place(staging, path)
    done = 0
    for path, size, digest in _entries(staging):
        if await _stage_file(stream, staging, path, size) != digest:
            raise IOTError("bundle: %s does not match its hash" % path)
        done += size
        if progress:
            progress("file", done, total, version)
        await sleep_ms(0)  # the devices' timers run between files
    if await stream.take(1):
        raise IOTError("bundle: it goes on past its last file")
    await _verify(staging, files)
    if progress:
        progress("written", done, total, version)
    remove_tree("%s/%s" % (slots.ROOT, slot))
    os.rename(staging, "%s/%s" % (slots.ROOT, slot))
    slots.switch(slot, version)
    if progress:
        progress("switched", done, total, version)
    return "update %s staged in slot %s (%d files, %d bytes); it runs on trial from the next reset" % (
        version, slot, files, total)


def family():
    """This board's family, as bundles name it: its sys.platform (rp2, esp32; linux on a host)."""
    return sys.platform
