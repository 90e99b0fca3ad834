"""A board on the host: main.py on a pseudo-terminal, as a board's USB console is, started again after each
machine.reset() (the stub ends the process with RESET_EXIT) as a board comes back; and the real Improv client
(npm improv-wifi-serial-sdk, tools/improv) driven over that terminal.
"""
import os
import pty
import subprocess
import threading
import time
import tty
from pathlib import Path

import hostrun
import improvclient

RESET_EXIT = 75  # tools/hostmachine/machine.py


class PtyBoard:
    """main.py from `firmware` in the `flash` folder, its console a pseudo-terminal in raw mode (a board's USB
    serial has no line discipline). `resets` counts the restarts: after machine.reset(), or a power_cut()."""

    def __init__(self, interp, flash, env=None, firmware=hostrun.FIRMWARE, main=None):
        self.interp = interp
        self.main = str(main or Path(firmware) / "main.py")
        self.flash = Path(flash)
        self.env = hostrun.environ(None, [Path(__file__).resolve().parent], firmware=firmware)
        self.env.update(env or {})
        self.firmware = Path(firmware)
        self.master, self.slave = pty.openpty()
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        self.seen = b""  # what the console said so far, read by read()
        self.resets = 0
        self.proc = None
        self._stopped = False
        self._cut = False
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        with open(self.flash.parent / "stderr.txt", "a") as err:
            while not self._stopped:
                self.proc = subprocess.Popen(hostrun.command(self.interp, self.main),
                                             env=self.env, cwd=self.flash, stdin=self.slave, stdout=self.slave,
                                             stderr=err)
                if self.proc.wait() != RESET_EXIT and not self._cut:
                    return
                self._cut = False
                self.resets += 1

    def power_cut(self):
        """The power gone and back: the process killed where it is (nothing of it runs after), then booted again."""
        self._cut = True
        self.proc.kill()

    def read(self):
        """Everything said since the last read, added to `seen`."""
        got = b""
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            got += chunk
        self.seen += got
        return got

    def until(self, text, timeout=20, since=0):
        """Wait for `text` (bytes or str) in what the console said after position `since`; -> where it ends."""
        want = text.encode() if isinstance(text, str) else text
        end = time.monotonic() + timeout
        while True:
            self.read()
            at = self.seen.find(want, since)
            if at >= 0:
                return at + len(want)
            assert time.monotonic() < end, "%r not said within %s s; the console said: %r" % (
                want, timeout, self.seen[since:][-3000:])
            time.sleep(0.05)

    def type(self, line):
        os.write(self.master, (line + "\r").encode() if isinstance(line, str) else line)

    def improv(self, *steps, timeout=90):
        """The Improv client's steps (tools/improv/client.mjs) over the console; -> the JSON line of each. What
        the console says meanwhile is the client's to read."""
        self.read()
        return improvclient.run(steps, fd=self.master, timeout=timeout)

    def stop(self, timeout=20):
        """End of input (Ctrl-D), as a terminal closing: the firmware makes everything safe and exits."""
        self._stopped = True
        if self.proc is not None and self.proc.poll() is None:
            self.type(b"\x04")
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._thread is not None:
            self._thread.join(timeout)
        self.read()
        os.close(self.master)
        os.close(self.slave)
