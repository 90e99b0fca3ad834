"""The log on the network: the event and error lines (iot.commands.Events) to MQTT's log topic (iot.net.bridge)
and to a syslog server over UDP (RFC 5424), each through a Throttle, so that a flood of lines (a button gone
mad, an automation in a loop) never floods the broker, the server or the heap: at most BURST lines at once and
RATE a second after that; the rest are counted, and once there is room again one line says how many were
dropped. Nothing here waits: a line is sent now, or counted.
"""
import asyncio

from iot.compat import sleep_ms, ticks_add, ticks_diff, ticks_ms


class Throttle:
    """Lines to `send(text)` through a token bucket of BURST lines, refilled at RATE a second: past it a line is
    counted, not sent, and once there is room again (a task of its own, ended when it has said so) one line says
    how many were dropped."""

    RATE = 5  # lines a second, once a burst is spent
    BURST = 20  # lines at once

    def __init__(self, send):
        self.send = send
        self.tokens = self.BURST
        self.dropped = 0  # since the last "dropped" line
        self.dropped_total = 0
        self._at = ticks_ms()
        self._task = None

    def __call__(self, line):
        if self._refill() < 1 or self.dropped:  # the dropped line goes first, when its task finds room
            self.dropped += 1
            self.dropped_total += 1
            if self._task is None:
                self._task = asyncio.create_task(self._say_dropped())
            return
        self.tokens -= 1
        self.send(line)

    def _refill(self):
        now = ticks_ms()
        gained = ticks_diff(now, self._at) * self.RATE // 1000
        if gained:
            self.tokens += gained
            if self.tokens >= self.BURST:
                self.tokens = self.BURST
                self._at = now
            else:  # what is left of the period counts towards the next token
                self._at = ticks_add(self._at, gained * 1000 // self.RATE)
        return self.tokens

    async def _say_dropped(self):
        try:
            while self._refill() < 1:
                await sleep_ms(1000 // self.RATE)
            self.tokens -= 1
            n, self.dropped = self.dropped, 0
            self.send("event: log: %d lines dropped (over %d a second)" % (n, self.RATE))
        finally:
            self._task = None

    def deinit(self):
        if self._task is not None:
            self._task.cancel()
            self._task = None


class Syslog:
    """Event and error lines to a syslog server over UDP, as RFC 5424 messages: facility user, severity error for
    an error line and notice for the rest, the board's node name as HOSTNAME, APP-NAME iot, MSGID event or error.
    No timestamp (NILVALUE: the server stamps what it receives). The server's address is looked up once, at the
    first line (a name costs a DNS lookup then; an address, none). A datagram the network will not take is
    dropped and counted: a server gone or slow holds up nothing."""

    def __init__(self, host, port, hostname, log=print):
        import socket

        self.host = host
        self.port = port
        self.hostname = hostname
        self.log = log  # where this sink's own trouble is said (not to itself)
        self.throttle = Throttle(self._send)
        self.sent = 0
        self.failed = 0
        self._address = None
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.setblocking(False)

    def __call__(self, line):
        self.throttle(line)

    def _send(self, text):
        error = text.startswith("error")
        message = "<%d>1 - %s iot - %s - %s" % (8 + (3 if error else 5), self.hostname, "error" if error else "event",
                                               text)
        try:
            if self._address is None:
                import socket

                self._address = socket.getaddrinfo(self.host, self.port, 0, socket.SOCK_DGRAM)[0][-1]
            self._socket.sendto(message.encode(), self._address)
            self.sent += 1
        except OSError:  # no route, no buffer, no such name: this line is lost, the next is tried
            self.failed += 1

    def status(self):
        return {"host": self.host, "port": self.port, "sent": self.sent, "failed": self.failed,
                "dropped": self.throttle.dropped_total}

    def deinit(self):
        self.throttle.deinit()
        self._socket.close()
