"""A broker that misbehaves on purpose, for the tests and the bench: MQTT 3.1.1 on loopback for one client at a time.

No packaged broker can be told to acknowledge late, never, or to send a packet without end, so this is the small
piece that does (amqtt and Mosquitto stay the tests' brokers for everything a broker should do). It runs its own
asyncio loop on a thread of the test's process:

    broker = HostileBroker(ack_ms=None).start()      # None: never a PUBACK; 0: at once; N: N ms late
    broker.command("iot/test/cmd", "status")         # a PUBLISH to the client, as another client's would arrive
    broker.endless_publish("iot/test/cmd")            # a PUBLISH whose remaining length is 256 MB, sent without end
    broker.connects, broker.received, broker.topics, broker.results  # what it has seen
    broker.stop()

It answers CONNECT, SUBSCRIBE and PINGREQ as a broker does, and takes every PUBLISH from the client (QoS 0 and 1),
counting them; subscriptions are not matched: whatever command() is given goes to the client.
"""
import asyncio
import socket
import struct
import threading
import time


def _length(n):
    out = bytearray()
    while True:
        byte, n = n & 127, n >> 7
        out.append(byte | 128 if n else byte)
        if not n:
            return bytes(out)


def _publish(topic, payload, qos=0, pid=1):
    t = topic.encode()
    body = struct.pack(">H", len(t)) + t + (struct.pack(">H", pid) if qos else b"") + payload
    return bytes((0x30 | (qos << 1),)) + _length(len(body)) + body


class HostileBroker:
    def __init__(self, ack_ms=0, port=None):
        self.ack_ms = ack_ms  # None: never acknowledge a QoS 1 PUBLISH
        if port is None:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        self.port = port
        self.connects = 0
        self.received = 0  # PUBLISH packets from the client
        self.topics = {}  # topic -> how many
        self.last = {}  # topic -> the last payload
        self.results = []  # every payload on a topic ending in /result, in order
        self.unacked = 0  # QoS 1 ones it has not acknowledged (yet)
        self._loop = asyncio.new_event_loop()
        self._writer = None
        self._ready = threading.Event()
        self._server = None
        self._endless = None

    def start(self):
        threading.Thread(target=self._run, daemon=True).start()
        self._ready.wait(10)
        return self

    def _run(self):
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", self.port))
        self._ready.set()
        self._loop.run_forever()

    def stop(self):
        def close():
            if self._endless is not None:
                self._endless.cancel()
            self._server.close()
            if self._writer is not None:
                self._writer.close()
            self._loop.stop()

        self._loop.call_soon_threadsafe(close)

    def _send(self, data):
        def write():
            if self._writer is not None and not self._writer.is_closing():
                self._writer.write(data)

        self._loop.call_soon_threadsafe(write)

    def command(self, topic, payload, qos=0):
        """A PUBLISH to the client, as one from Home Assistant would reach it."""
        self._send(_publish(topic, payload.encode() if isinstance(payload, str) else payload, qos))

    def commands(self, topic, payloads):
        """Many at once, in one write."""
        self._send(b"".join(_publish(topic, p.encode()) for p in payloads))

    def endless_publish(self, topic, total=(1 << 28) - 1):
        """A PUBLISH whose remaining length says `total` bytes (the most MQTT can say: 256 MB), then its payload as
        fast as the client takes it, without end (until stop, or the connection ends)."""

        async def flood():
            t = topic.encode()
            self._writer.write(bytes((0x30,)) + _length(total) + struct.pack(">H", len(t)) + t)
            chunk = b"A" * 65536
            try:
                while True:
                    self._writer.write(chunk)
                    await self._writer.drain()
            except (ConnectionError, OSError, asyncio.CancelledError):
                pass

        def go():
            self._endless = self._loop.create_task(flood())

        self._loop.call_soon_threadsafe(go)

    def wait_for(self, predicate, timeout=30):
        end = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > end:
                raise AssertionError("the hostile broker waited %d s: %d connects, %d received, topics %s" % (
                    timeout, self.connects, self.received, sorted(self.topics)))
            time.sleep(0.02)

    async def _client(self, reader, writer):
        if self._writer is not None:
            self._writer.close()  # one client at a time: the newest
        self._writer = writer
        try:
            while True:
                head = await reader.readexactly(1)
                n = shift = 0
                while True:
                    byte = (await reader.readexactly(1))[0]
                    n |= (byte & 127) << shift
                    shift += 7
                    if not byte & 128:
                        break
                body = await reader.readexactly(n)
                kind = head[0] & 0xF0
                if kind == 0x10:  # CONNECT
                    self.connects += 1
                    writer.write(b"\x20\x02\x00\x00")
                elif kind == 0x80:  # SUBSCRIBE: every topic granted QoS 1
                    count = 0
                    at = 2
                    while at < len(body):
                        at += 2 + struct.unpack(">H", body[at:at + 2])[0] + 1
                        count += 1
                    writer.write(bytes((0x90,)) + _length(2 + count) + body[:2] + b"\x01" * count)
                elif kind == 0xC0:  # PINGREQ
                    writer.write(b"\xd0\x00")
                elif kind == 0x30:  # PUBLISH
                    tn = struct.unpack(">H", body[:2])[0]
                    topic = body[2:2 + tn].decode()
                    self.received += 1
                    self.topics[topic] = self.topics.get(topic, 0) + 1
                    qos = (head[0] >> 1) & 3
                    self.last[topic] = body[2 + tn + (2 if qos else 0):]
                    if topic.endswith("/result") and not head[0] & 0x08:  # not a duplicate sent again
                        self.results.append(self.last[topic].decode(errors="replace"))
                    if qos:
                        pid = body[2 + tn:4 + tn]
                        if self.ack_ms is None:
                            self.unacked += 1
                        elif self.ack_ms == 0:
                            writer.write(b"\x40\x02" + pid)
                        else:
                            self.unacked += 1
                            self._loop.call_later(self.ack_ms / 1000, self._ack, writer, pid)
                elif kind == 0x40:  # PUBACK of what it sent
                    pass
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            if self._writer is writer:
                self._writer = None
            writer.close()

    def _ack(self, writer, pid):
        self.unacked -= 1
        if not writer.is_closing():
            writer.write(b"\x40\x02" + pid)
