"""The log on the network: the event and error lines (iot.commands.Events) to MQTT's log topic (iot.net.bridge)
and to a syslog server over UDP (RFC 5424), each through a Throttle, so that a flood of lines (a button gone
mad, an automation in a loop) never floods the broker, the server or the heap: at most BURST lines at once and
RATE a second after that; the rest are counted, and once there is room again one line says how many were
dropped. Nothing here waits: a line is sent now, or counted.
"""
from iot.compat import ticks_diff, ticks_ms


class Throttle:
    """A token bucket of BURST lines, refilled at RATE a second; take(line) -> the lines to send now ([], or a
    "N lines dropped" line first, then `line`)."""

    RATE = 5  # lines a second, once a burst is spent
    BURST = 20  # lines at once

    def __init__(self):
        self.tokens = self.BURST
        self.dropped = 0  # since the last "dropped" line
        self.dropped_total = 0
        self._at = ticks_ms()

    def take(self, line):
        now = ticks_ms()
        gained = ticks_diff(now, self._at) * self.RATE // 1000
        if gained:
            self.tokens = min(self.BURST, self.tokens + gained)
            self._at = now
        if self.tokens < (2 if self.dropped else 1):  # room for the "dropped" line too
            self.dropped += 1
            self.dropped_total += 1
            return ()
        out = []
        if self.dropped:
            out.append("event: log: %d lines dropped (over %d a second)" % (self.dropped, self.RATE))
            self.tokens -= 1
            self.dropped = 0
        out.append(line)
        self.tokens -= 1
        return out


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
        self.throttle = Throttle()
        self.sent = 0
        self.failed = 0
        self._address = None
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.setblocking(False)

    def __call__(self, line):
        for text in self.throttle.take(line):
            self._send(text)

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
        self._socket.close()
