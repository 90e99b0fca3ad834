"""Lines typed on the console (the board's USB serial, or the host terminal), read without blocking the loop.

On a board the terminal sends each key as it is typed, with no echo and
Enter as CR: Console echoes, handles backspace, ends a line on CR or LF, and
takes Ctrl-D as the end of input. A line over `max_len` is read to its end
and returned as TOO_LONG, so it cannot fill the heap. What the firmware says
meanwhile goes through show(), which never tears a half-typed line. The board's
stdout turns each "\n" into "\r\n" itself, so "\n" is all that is written.

The same port carries Improv Serial (iot.improv): a line that starts with "IMPROV" is a packet, read whole by
its length (its bytes may be anything, a CR or a Ctrl-C among them) and returned as bytes, never echoed and
never a command; packet() writes one between lines. So that a packet's bytes are data, the board's own Ctrl-C
(micropython.kbd_intr) is off while the console reads, and a Ctrl-C typed between packets is taken here: it
stops the app as it always did (mpremote's way in).
"""
import asyncio
import sys

TOO_LONG = object()
MORE = object()  # key(): the line goes on
EOT = 4  # Ctrl-D
CTRL_C = 3
BACKSPACES = (8, 127)
IMPROV = b"IMPROV"  # iot.improv.HEADER, here so that the console loads no Improv until a packet comes


class Console:
    def __init__(self, max_len=1024, stream=None, echo=None, out=None):
        self.max_len = max_len
        self._out = sys.stdout if out is None else out
        micro = sys.implementation.name == "micropython"
        board = sys.platform not in ("linux", "darwin", "win32")
        self._intr = board and stream is None  # the board's own console: its Ctrl-C is taken here
        if stream is None:
            stream = sys.stdin.buffer  # bytes: an Improv packet's are not text
            if self._intr:
                import micropython

                micropython.kbd_intr(-1)  # a packet's Ctrl-C byte is data; key() takes a typed one
        self._raw = getattr(self._out, "buffer", None)  # packets go out as bytes
        # Echo where no terminal driver does it: on a board, not on a host's terminal or pipe.
        self.echo = board if echo is None else echo
        self._buf = bytearray()
        self._long = False
        self._ended = False
        self._packet = None  # an Improv packet being read: its bytes so far
        self._reader = asyncio.StreamReader(stream) if micro else None
        self._lines = None
        self._chunk = b""  # CPython: what the thread read and key() has not taken yet
        if not micro:  # CPython: a thread reads, the loop is told
            from iot.threadlines import ThreadedLines

            self._lines = ThreadedLines(stream)

    async def readline(self):
        """The next line as text (without its end), TOO_LONG, an Improv packet (bytes), or None at the end of
        input."""
        while not self._ended:
            line = self.key(await self._byte())
            if line is not MORE:
                return line
        return None

    async def _byte(self):
        """The next byte read, EOT at the end of input."""
        if self._lines is None:
            ch = await self._reader.read(1)  # type: ignore[union-attr]  # None only on CPython
            return ch[0] if ch else EOT
        if not self._chunk:
            self._chunk = await self._lines.get() or bytes([EOT])
        c = self._chunk[0]
        self._chunk = self._chunk[1:]
        return c

    def key(self, c):
        """One key typed (a code): the line it ends, TOO_LONG, an Improv packet (bytes), None at the end of input,
        or MORE."""
        if self._packet is not None:
            return self._improv(c)
        n = len(self._buf)
        if n < len(IMPROV) and not self._long and self._buf == IMPROV[:n]:  # it may be a packet's header: unechoed
            if c == IMPROV[n]:
                self._buf.append(c)
                if n + 1 == len(IMPROV):
                    self._packet = bytearray(IMPROV)
                    self._buf = bytearray()
                return MORE
            if n:
                self._say(_text(bytes(self._buf)))  # typed after all: shown now
        if c == CTRL_C and self._intr:
            raise KeyboardInterrupt  # the board's Ctrl-C, whose own handling is off (kbd_intr)
        if c == EOT:
            self._ended = True
            if self._buf or self._long:
                return self._finish()
            return None
        if c in (10, 13):
            self._say("\n")
            return self._finish()
        if c in BACKSPACES:
            buf = self._buf
            if buf:
                while len(buf) > 1 and buf[-1] & 0xC0 == 0x80:  # a character's UTF-8 bytes go with it
                    buf = buf[:-1]
                self._buf = buf[:-1]
                self._say("\b \b")
            return MORE
        if len(self._buf) >= self.max_len:
            self._long = True
            return MORE
        self._buf.append(c)
        if self.echo:
            if c < 128:
                self._out.write(chr(c))
            elif self._raw is not None:  # a byte of a UTF-8 character: the terminal puts them together
                self._raw.write(bytes([c]))
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

    def packet(self, data):
        """An Improv packet out, on a line of its own (a half-typed line is drawn again after it)."""
        out = self._out
        typed = self.echo and self._buf
        if typed:
            out.write("\n")
        if self._raw is not None:
            if hasattr(out, "flush"):
                out.flush()  # CPython: the text before it first
            self._raw.write(data)
        else:  # a test's stream of text
            out.write(data.decode("latin-1"))
        out.write("\n")
        if typed:
            out.write(_text(bytes(self._buf)))
        if hasattr(out, "flush"):
            out.flush()

    def _improv(self, c):
        """A byte of a packet: the whole packet (bytes) once its length says it is complete."""
        p = self._packet or bytearray()  # key() sends bytes here only while a packet is read
        if len(p) == len(IMPROV) and c != 1:  # not version 1: a line that starts so
            self._packet = None
            self._buf = bytearray(IMPROV)
            self._say("IMPROV")
            return self.key(c)
        p.append(c)
        if len(p) < 9 or len(p) < 10 + p[8]:  # header, version, type, length; then the data and a checksum
            return MORE
        self._packet = None
        return bytes(p)

    def _say(self, text):
        if self.echo:
            self._out.write(text)

    def _finish(self):
        data, long = bytes(self._buf), self._long
        self._buf = bytearray()
        self._long = False
        return TOO_LONG if long else _text(data)


def _text(data):
    try:
        return data.decode()
    except UnicodeError:
        return "\x00"  # not UTF-8: the shell refuses it as a control character
