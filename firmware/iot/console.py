"""Lines typed on the console (the board's USB serial, or the host terminal), read without blocking the loop.

On a board the terminal sends each key as it is typed, with no echo and
Enter as CR: Console echoes, handles backspace, ends a line on CR or LF, and
takes Ctrl-D as the end of input. A line over `max_len` is read to its end
and returned as TOO_LONG, so it cannot fill the heap. What the firmware says
meanwhile goes through show(), which never tears a half-typed line. The board's
stdout turns each "\n" into "\r\n" itself, so "\n" is all that is written.
"""
import asyncio
import sys

TOO_LONG = object()
MORE = object()  # key(): the line goes on
EOT = 4  # Ctrl-D
BACKSPACES = (8, 127)


class Console:
    def __init__(self, max_len=1024, stream=None, echo=None, out=None):
        self.max_len = max_len
        self._out = sys.stdout if out is None else out
        micro = sys.implementation.name == "micropython"
        if stream is None:
            # A board's sys.stdin.buffer cannot be polled, its sys.stdin can (as asyncio's docs use it);
            # on a host, the bytes: text reads would swallow what follows a byte that is not UTF-8.
            stream = sys.stdin if micro and sys.platform != "linux" else sys.stdin.buffer
        # Echo where no terminal driver does it: on a board, not on a host's terminal or pipe.
        self.echo = sys.platform not in ("linux", "darwin", "win32") if echo is None else echo
        self._buf = bytearray()
        self._long = False
        self._ended = False
        self._reader = asyncio.StreamReader(stream) if micro else None
        self._lines = None
        if not micro:  # CPython: a thread reads, the loop is told
            from iot.threadlines import ThreadedLines

            self._lines = ThreadedLines(stream)

    async def readline(self):
        """The next line as text (without its end), TOO_LONG, or None at the end of input."""
        if self._lines is not None:
            return self._take(await self._lines.get())
        while not self._ended:
            try:
                ch = await self._reader.read(1)  # type: ignore[union-attr]  # None only on CPython, done above
            except UnicodeError:  # a byte that is not UTF-8 text
                ch = b"\x00"
            line = self.key((ord(ch) if type(ch) is str else ch[0]) if ch else EOT)
            if line is not MORE:
                return line
        return None

    def key(self, c):
        """One key typed (a code): the line it ends, TOO_LONG, None at the end of input, or MORE."""
        if c == EOT:
            self._ended = True
            if self._buf or self._long:
                return self._finish()
            return None
        if c in (10, 13):
            self._say("\n")
            return self._finish()
        if c in BACKSPACES:
            if self._buf:
                self._buf = self._buf[:-1]
                self._say("\b \b")
            return MORE
        if len(self._buf) >= self.max_len:
            self._long = True
            return MORE
        if c > 255:  # a character beyond Latin-1: keep its UTF-8 bytes
            for b in chr(c).encode():
                self._buf.append(b)
        else:
            self._buf.append(c)
        self._say(chr(c))
        return MORE

    def show(self, line):
        """A line from the firmware (a reply, an event). While something is half typed, that is wiped
        first and drawn again after the line, so the two never tear each other."""
        out = self._out
        typed = self.echo and self._buf
        if typed:
            out.write("\r\x1b[K")  # to the start of the line, and clear it
        out.write(line)
        out.write("\n")
        if typed:
            out.write(_text(bytes(self._buf)))

    def _say(self, text):
        if self.echo:
            self._out.write(text)

    def _finish(self):
        data, long = bytes(self._buf), self._long
        self._buf = bytearray()
        self._long = False
        return TOO_LONG if long else _text(data)

    def _take(self, data):
        if data is None:
            return None
        data = data.rstrip(b"\r\n")
        if EOT in data:
            return None
        return TOO_LONG if len(data) > self.max_len else _text(data)


def _text(data):
    try:
        return data.decode()
    except UnicodeError:
        return "\x00"  # not UTF-8: the shell refuses it as a control character
