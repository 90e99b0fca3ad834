"""A small asyncio MQTT 3.1.1 client: QoS 0 and 1, keepalive, last will, reconnect with backoff.

Written here because no existing client fits both ends: umqtt blocks the loop,
and mqtt_as (asyncio, for boards) is on no package registry the host tests can
pin. It runs on MicroPython's asyncio streams and on CPython's.

The interface is Hinch's: callbacks for what arrives (`on_message(topic,
payload, retained)`, `on_connect()`), an Event `up` while connected, `run()`
as the one task that connects, serves and reconnects, and `deinit()`.
Subscriptions are QoS 1, made again at each connect. A failure of the
connection (a refusal, a packet it cannot take, a silent broker) is an
OSError, as a socket's own are: each ends the connection, and run() connects
again.

Nothing the broker does can fill the heap. publish() never blocks: it queues,
at most MAX_QUEUE messages and MAX_QUEUE_BYTES (one message alone may be
bigger), and says False when full; put() waits for room. A retained message
(a state) takes the place of one queued on its topic, as the broker keeps the
newest only; when the queue is full, the oldest message marked `drop` (an
event) is dropped to make room (`dropped` counts them). At
most MAX_INFLIGHT QoS 1 messages (MAX_INFLIGHT_BYTES) are sent and not yet
acknowledged; the next waits for a PUBACK, and a broker that leaves one
unacknowledged for a keepalive period is taken for dead: the connection ends,
and the next sends those again. A PUBLISH over MAX_PACKET bytes is read past in CHUNK pieces and
handed on as payload None with its size, so it never reaches the heap.
"""
import asyncio

from iot.compat import const, sleep_ms, ticks_diff, ticks_ms

_CONNECT = const(0x10)
_CONNACK = const(0x20)
_PUBLISH = const(0x30)
_PUBACK = const(0x40)
_SUBSCRIBE = const(0x82)
_SUBACK = const(0x90)
_PINGREQ = const(0xC0)
REFUSED = ("", "bad protocol version", "client id refused", "server unavailable", "bad user name or password",
           "not authorised")
_CHUNK = const(256)  # how much of an oversized packet is read at a time
MAX_PACKET = const(8448)  # the largest packet taken whole: a whole config.json (8192, config/set) and its topic
MAX_QUEUE = const(32)  # messages waiting to be sent
MAX_QUEUE_BYTES = const(8192)  # their topics and payloads
MAX_INFLIGHT = const(8)  # QoS 1 messages sent and not yet acknowledged
MAX_INFLIGHT_BYTES = const(8192)
_BACKOFF_MS = const(1000)  # the first wait before connecting again; it doubles up to _BACKOFF_MAX_MS
_BACKOFF_MAX_MS = const(60000)


def _str(text):
    b = text.encode() if type(text) is str else text
    return bytes((len(b) >> 8, len(b) & 255)) + b


def _head(kind, n):
    """A packet's fixed header: its kind, and the length of what follows as MQTT's variable-length number."""
    head = bytearray((kind,))
    while True:
        byte = n & 127
        n >>= 7
        head.append(byte | 128 if n else byte)
        if not n:
            return head


def _publish_packet(kind, topic, pid, payload):
    """A PUBLISH made in one buffer, with no copy of its parts in between (it is the packet sent most)."""
    t = topic.encode()
    n = 2 + len(t) + (0 if pid is None else 2) + len(payload)
    head = _head(kind, n)
    i = len(head)
    buf = bytearray(i + n)
    buf[:i] = head
    buf[i] = len(t) >> 8
    buf[i + 1] = len(t) & 255
    i += 2
    buf[i:i + len(t)] = t
    i += len(t)
    if pid is not None:
        buf[i] = pid >> 8
        buf[i + 1] = pid & 255
        i += 2
    buf[i:] = payload
    return buf


def _packet(kind, body):
    return bytes(_head(kind, len(body))) + body


class MQTTClient:
    def __init__(self, host, port=1883, client_id="iot", user=None, password=None, ssl=None, keepalive=60,
                 will=None, on_message=None, on_connect=None, log=print, link=None):
        self.host = host
        self.port = port
        self.client_id = client_id
        self.user = user
        self.password = password
        self.ssl = ssl
        self.keepalive = keepalive  # s
        self.will = will  # (topic, payload, retain), sent QoS 1
        self.on_message = on_message
        self.on_connect = on_connect
        self.log = log
        self.link = link  # an Event set while the network is up (Wi-Fi), or None
        self.up = asyncio.Event()
        self.connects = 0  # connections made so far
        self._topics = []  # subscribed again at each connect
        self._queue = []  # [(topic, payload, retain, qos, drop)] waiting to be sent
        self._queued = 0  # their bytes
        self._ready = asyncio.Event()  # something queued
        self._room = None  # an Event set when something is sent: made when put() first waits for room
        self._unacked = {}  # pid -> (message, ticks_ms sent): QoS 1 not yet acknowledged (sent again, DUP, at reconnect)
        self._inflight = 0  # their payloads' bytes
        self._acked = None  # an Event set when a PUBACK comes: made when the writer first waits for one
        self.dropped = 0  # events dropped for room
        self._pid = 0
        self._stream = None
        self._dead = None  # an Event set when the connection is over (each connection's own)
        self._failure = None  # type: Exception | None  # why
        self._task = None
        self._last_rx = ticks_ms()

    # The interface

    def subscribe(self, topic):
        self._topics.append(topic)

    def publish(self, topic, payload, retain=False, qos=0, drop=False):
        """Queue a message; False (and nothing queued) when the queue is full of what may not be dropped. A retained
        one takes the place of one queued on its topic (the broker would keep the newest only); `drop` (an event)
        may be dropped for room, the oldest such first, itself last."""
        data = payload if type(payload) is bytes else payload.encode()
        queue = self._queue
        if retain:
            for i in range(len(queue)):
                if queue[i][2] and queue[i][0] == topic:  # superseded where it waits
                    self._queued += len(data) - len(queue[i][1])
                    queue[i] = (topic, data, retain, qos, drop)
                    return True
        size = len(topic) + len(data)
        while queue and (len(queue) >= MAX_QUEUE or self._queued + size > MAX_QUEUE_BYTES):
            for i in range(len(queue)):
                if queue[i][4]:
                    self._queued -= len(queue[i][0]) + len(queue[i][1])
                    del queue[i]
                    self.dropped += 1
                    break
            else:
                if drop:  # nothing older can make room: this one goes
                    self.dropped += 1
                    return True
                return False
        queue.append((topic, data, retain, qos, drop))
        self._queued += size
        self._ready.set()
        return True

    async def put(self, topic, payload, retain=False, qos=0):
        """Queue a message that may not be dropped, waiting for room (the queue drains while connected)."""
        while not self.publish(topic, payload, retain, qos):
            if self._room is None:
                self._room = asyncio.Event()
            self._room.clear()
            await self._room.wait()

    async def run(self):
        """Connect, serve, and on any loss reconnect after a backoff that doubles up to its limit."""
        self._task = asyncio.current_task()
        wait = _BACKOFF_MS
        while True:
            if self.link is not None:
                await self.link.wait()
            try:
                await self._connect()
                wait = _BACKOFF_MS
                await self._serve()
            except Exception as e:  # any loss (or a packet we cannot take) ends this connection, never the task
                self.log("event: mqtt %s:%d: %s; again in %d s" % (self.host, self.port, _why(e), wait // 1000))
            finally:
                self._close()
            await sleep_ms(wait)
            wait = min(wait * 2, _BACKOFF_MAX_MS)

    def drop(self):
        """End the connection now (the link under it is gone); run() connects again when it can."""
        dead = self._dead
        if self.up.is_set() and dead is not None:  # up: a connection is served, with its Event
            self._failure = OSError("the network link is down")
            dead.set()

    def deinit(self):
        """Stop, and drop the connection without DISCONNECT: the broker then sends the last will."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._close()

    # The protocol

    async def _connect(self):
        reader, self._stream = await asyncio.open_connection(self.host, self.port, ssl=self.ssl) \
            if self.ssl else await asyncio.open_connection(self.host, self.port)
        self._reader = reader
        flags = 0x02  # clean session: nothing the broker kept while we were away is replayed
        body = _str("MQTT") + b"\x04"
        tail = _str(self.client_id)
        if self.will:
            topic, payload, retain = self.will
            flags |= 0x04 | 0x08 | (0x20 if retain else 0)
            tail += _str(topic) + _str(payload)
        if self.user is not None:
            flags |= 0x80
            tail += _str(self.user)
            if self.password is not None:
                flags |= 0x40
                tail += _str(self.password)
        await self._send(_packet(_CONNECT, body + bytes((flags, self.keepalive >> 8, self.keepalive & 255)) + tail))
        kind, body = await self._read_packet()
        if kind != _CONNACK or len(body) != 2:
            raise OSError("no CONNACK")
        if body[1]:
            raise OSError("connection refused: %s" % (REFUSED[body[1]] if body[1] < len(REFUSED) else body[1]))
        if self._topics:
            pid = self._next_pid()
            body = bytearray((pid >> 8, pid & 255))
            for topic in self._topics:
                body += _str(topic) + b"\x01"
            await self._send(_packet(_SUBSCRIBE, bytes(body)))
        for pid in self._unacked:  # QoS 1 the broker may not have: again, as duplicates
            message = self._unacked[pid][0]
            self._unacked[pid] = (message, ticks_ms())
            await self._send_publish(message, pid, dup=True)
        self.connects += 1
        self.up.set()
        if self.on_connect is not None:
            self.on_connect()

    async def _serve(self):
        """Reader, writer and pinger side by side; the first to fail ends all three, and its error is raised."""
        self._last_rx = ticks_ms()
        self._failure = None
        dead = self._dead = asyncio.Event()
        tasks = [asyncio.create_task(self._guard(job)) for job in (self._reader_loop(), self._writer(), self._pinger())]
        try:
            await dead.wait()
        finally:
            for t in tasks:
                t.cancel()
        raise self._failure if self._failure is not None else OSError("connection ended")

    async def _guard(self, job):
        try:
            await job
        except asyncio.CancelledError:
            raise
        except Exception as e:
            if self._failure is None:
                self._failure = e
            self._dead.set()  # type: ignore[union-attr]  # made before the jobs are

    async def _reader_loop(self):
        while True:
            kind, body = await self._read_packet()
            self._last_rx = ticks_ms()
            if kind & 0xF0 == _PUBLISH:
                await self._received(kind, body)
            elif kind == _PUBACK and len(body) == 2:
                sent = self._unacked.pop(body[0] << 8 | body[1], None)
                if sent is not None:
                    self._inflight -= len(sent[0][1])
                    if self._acked is not None:
                        self._acked.set()
            elif kind == _SUBACK and 0x80 in body[2:]:
                raise OSError("subscription refused")

    async def _received(self, kind, body):
        if type(body) is tuple:  # too big: read past, (topic, packet id, size) kept
            topic, pid, size = body
            payload = None
        else:
            n = body[0] << 8 | body[1]
            topic = body[2:2 + n].decode()
            at = 2 + n
            pid = None
            if kind >> 1 & 3:  # QoS 1: a packet id to acknowledge
                pid = body[at] << 8 | body[at + 1]
                at += 2
            payload = body[at:]
            size = len(payload)
        if self.on_message is not None:
            self.on_message(topic, payload, bool(kind & 1), size)
        if pid is not None:
            await self._send(bytes((_PUBACK, 2, pid >> 8, pid & 255)))

    async def _read_packet(self):
        """(first byte, body); for a PUBLISH over MAX_PACKET, read past, body is (topic, packet id, size)."""
        r = self._reader
        head = await r.readexactly(2)  # the kind and the length's first byte: all of it, below 128 bytes
        kind = head[0]
        byte = head[1]
        n = byte & 127
        shift = 7
        while byte & 128:
            if shift > 21:
                raise OSError("bad packet length")
            byte = (await r.readexactly(1))[0]
            n |= (byte & 127) << shift
            shift += 7
        if n <= MAX_PACKET:
            return kind, (await r.readexactly(n)) if n else b""
        if kind & 0xF0 != _PUBLISH:
            raise OSError("a %d-byte packet, over %d" % (n, MAX_PACKET))
        head = await r.readexactly(2)
        tn = head[0] << 8 | head[1]
        if tn + 2 > min(n, 256):
            raise OSError("a %d-byte topic" % tn)
        topic = (await r.readexactly(tn)).decode()
        left = n - 2 - tn
        pid = None
        if kind >> 1 & 3:
            p = await r.readexactly(2)
            pid = p[0] << 8 | p[1]
            left -= 2
        size = left
        while left:
            left -= len(await r.readexactly(min(_CHUNK, left)))
        return kind, (topic, pid, size)

    async def _writer(self):
        while True:
            while self._queue:
                if self._queue[0][3]:  # QoS 1: room among those not yet acknowledged first
                    while len(self._unacked) >= MAX_INFLIGHT or \
                            (self._unacked and self._inflight + len(self._queue[0][1]) > MAX_INFLIGHT_BYTES):
                        if self._acked is None:
                            self._acked = asyncio.Event()
                        self._acked.clear()
                        await self._acked.wait()  # a broker that never acknowledges: the pinger ends it
                message = self._queue.pop(0)  # the first again: a newer state may have taken its place meanwhile
                self._queued -= len(message[0]) + len(message[1])
                if self._room is not None:
                    self._room.set()
                pid = None
                if message[3]:
                    pid = self._next_pid()
                    self._unacked[pid] = (message, ticks_ms())
                    self._inflight += len(message[1])
                await self._send_publish(message, pid)
            self._ready.clear()
            await self._ready.wait()

    async def _send_publish(self, message, pid, dup=False):
        topic, payload, retain, qos, _ = message
        kind = _PUBLISH | (0x08 if dup else 0) | (0x02 if qos else 0) | (0x01 if retain else 0)
        await self._send(_publish_packet(kind, topic, pid if qos else None, payload))

    async def _pinger(self):
        """A PINGREQ each half keepalive; a broker silent for 1.5 keepalives, or one that has not acknowledged a QoS 1
        message sent a keepalive ago, is taken for dead. Looks every second."""
        period = min(self.keepalive * 1000 // 2, 1000)
        pinged = ticks_ms()
        while True:
            await sleep_ms(period)
            now = ticks_ms()
            if ticks_diff(now, self._last_rx) > self.keepalive * 1500:
                raise OSError("no answer from the broker in %d s" % (self.keepalive * 3 // 2))
            for pid in self._unacked:
                if ticks_diff(now, self._unacked[pid][1]) > self.keepalive * 1000:
                    raise OSError("the broker acknowledged nothing for %d s" % self.keepalive)
            if ticks_diff(now, pinged) >= self.keepalive * 500:
                pinged = now
                await self._send(bytes((_PINGREQ, 0)))

    async def _send(self, data):
        s = self._stream
        if s is None:
            raise OSError("not connected")
        s.write(data)
        await s.drain()

    def _next_pid(self):
        self._pid = self._pid % 65535 + 1
        return self._pid

    def _close(self):
        self.up.clear()
        s = self._stream
        self._stream = None
        if s is not None:
            s.close()
            asyncio.create_task(_closed(s))  # MicroPython closes the socket only in wait_closed()


async def _closed(stream):
    try:
        await stream.wait_closed()
    except Exception:  # the connection had failed already: closed is closed
        pass


def _why(e):
    return str(e) or type(e).__name__
