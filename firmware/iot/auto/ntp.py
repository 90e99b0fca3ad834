"""The time from an NTP server (RFC 5905's client mode), without blocking the loop.

MicroPython's ntptime blocks until the answer comes (or a second passes), and its asyncio has no datagram
API, so the answer is waited for here on a non-blocking socket, looked at every POLL_MS while an answer
is due (at most TIMEOUT_MS a try); between tries the task sleeps. The name is looked up once per try:
lwIP's lookup blocks, so give an address (`clock.ntp`) where that matters.
"""
import socket
import struct

from iot.compat import sleep_ms, ticks_diff, ticks_ms

NTP_EPOCH = 2208988800  # seconds from 1900-01-01 (NTP's epoch) to 1970-01-01
POLL_MS = 20
TIMEOUT_MS = 2000
RETRY_MS = (10000, 3600000)  # the first retry, and the longest backoff
RESYNC_MS = 6 * 3600000


async def query(host, port=123):
    """Unix ms now, as the server says it (half the round trip added); OSError if it does not answer."""
    address = socket.getaddrinfo(host, port, 0, socket.SOCK_DGRAM)[0][-1]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        request = bytearray(48)
        request[0] = 0x1B  # version 3, client
        start = ticks_ms()
        sock.sendto(request, address)
        while True:
            try:
                data = sock.recv(48)
                break
            except OSError:  # nothing yet (EAGAIN)
                if ticks_diff(ticks_ms(), start) >= TIMEOUT_MS:
                    raise OSError("no answer from %s in %d ms" % (host, TIMEOUT_MS))
                await sleep_ms(POLL_MS)
    finally:
        sock.close()
    if len(data) < 48 or data[0] & 0x07 != 4:
        raise OSError("%s: not an NTP server's answer" % host)
    seconds, fraction = struct.unpack("!II", data[40:48])
    if seconds == 0:
        raise OSError("%s: not synchronised (kiss of death)" % host)
    return (seconds - NTP_EPOCH) * 1000 + (fraction * 1000 >> 32) + ticks_diff(ticks_ms(), start) // 2


async def keep(clock, host, log, port=123):
    """Set `clock` from `host` now and every RESYNC_MS; a failure is retried with a doubling backoff."""
    backoff = RETRY_MS[0]
    failing = False
    while True:
        try:
            unix_ms = await query(host, port)
        except OSError as e:  # no network yet, no answer, a bad answer
            if not failing:  # said once, not at every retry
                log("event: ntp: %s; trying again with a backoff" % (e,))
                failing = True
            await sleep_ms(backoff)
            backoff = min(backoff * 2, RETRY_MS[1])
            continue
        first = not clock.known()
        clock.set_ms(unix_ms, "ntp")
        if first or failing:
            log("event: time from %s: %s" % (host, clock.text(unix_ms // 1000)))
        failing = False
        backoff = RETRY_MS[0]
        await sleep_ms(RESYNC_MS)
