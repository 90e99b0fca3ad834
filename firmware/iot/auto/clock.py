"""Wall time for the schedules: unknown until NTP or `time set` gives it, then counted on ticks_ms.

Times are Unix seconds (UTC); local time is UTC plus a fixed offset and, with a daylight-saving rule,
one hour more in summer ("eu": last Sunday of March to last Sunday of October, 01:00 UTC; "us": second
Sunday of March to first Sunday of November, 02:00 local). The calendar is computed here (days from a
civil date and back), so a board's time.localtime, its epoch and its RTC play no part.

ticks_ms wraps (on a board after 12.4 days; ticks_diff sees half of that), so the count is taken up
again at every reading: a reading at least once a day (the scheduler's) keeps it whole.
"""
from iot import IOTError
from iot.compat import ticks_diff, ticks_ms
from iot.message import digits

DAY = 86400
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RULES = ("eu", "us")


def days_from_civil(y, m, d):
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z):
    """(year, month, day) of a day count since 1970-01-01."""
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (m <= 2), m, d


def weekday(days):
    """0 for Monday ... 6 for Sunday, of a day count since 1970-01-01 (a Thursday)."""
    return (days + 3) % 7


def _nth_sunday(y, m, n):
    """The day count of the n-th Sunday of a month (n = -1: the last)."""
    if n < 0:
        last = days_from_civil(y + (m == 12), m % 12 + 1, 1) - 1
        return last - (weekday(last) + 1) % 7
    first = days_from_civil(y, m, 1)
    return first + (6 - weekday(first)) % 7 + 7 * (n - 1)


def summer(t, rule, offset_s):
    """Whether daylight saving is on at UTC second `t` under `rule` (None: never)."""
    if rule is None:
        return False
    y = civil_from_days(t // DAY)[0]
    if rule == "eu":
        return _nth_sunday(y, 3, -1) * DAY + 3600 <= t < _nth_sunday(y, 10, -1) * DAY + 3600
    # us: 02:00 local standard time on, 02:00 local summer time (01:00 standard) off
    return _nth_sunday(y, 3, 2) * DAY + 7200 - offset_s <= t < _nth_sunday(y, 11, 1) * DAY + 3600 - offset_s


def parse_offset(text):
    """'+01:00' or '-05:30' as seconds; IOTError otherwise."""
    if type(text) is not str or len(text) != 6 or text[0] not in "+-" or text[3] != ":" \
            or not digits(text[1:3] + text[4:]) or int(text[1:3]) > 14 or int(text[4:]) > 59:
        raise IOTError("a UTC offset is +HH:MM or -HH:MM, not %r" % (text,))
    s = int(text[1:3]) * 3600 + int(text[4:]) * 60
    return -s if text[0] == "-" else s


class Clock:
    """The wall clock: `known()`, `now()` in whole UTC seconds, `set_ms()` by a source, local time as text.

    Whole numbers throughout: a board's floats (32 bits) cannot hold a Unix time to the second. `watchers`
    are called with (old, new) in UTC seconds when the time is set: old is None when it was unknown.
    """

    def __init__(self, offset_s=0, rule=None):
        self.offset_s = offset_s
        self.rule = rule
        self.source = None  # "ntp" or "set" once known
        self.watchers = []
        self._base_ms = None  # Unix ms at _base_ticks
        self._base_ticks = ticks_ms()

    def known(self):
        return self._base_ms is not None

    def now_ms(self):
        """Unix ms now, None while unknown."""
        if self._base_ms is None:
            return None
        t = ticks_ms()
        self._base_ms += ticks_diff(t, self._base_ticks)  # taken up at each reading: ticks wrap
        self._base_ticks = t
        return self._base_ms

    def now(self):
        """UTC seconds now, None while unknown."""
        ms = self.now_ms()
        return None if ms is None else ms // 1000

    def set_ms(self, unix_ms, source):
        """The time is `unix_ms` (UTC) now, from `source` ("ntp", "set")."""
        old = self.now()
        self._base_ms = unix_ms
        self._base_ticks = ticks_ms()
        self.source = source
        for w in self.watchers:
            w(old, unix_ms // 1000)

    def utc_offset(self, t):
        """Seconds local time is ahead of UTC at UTC second `t`."""
        return self.offset_s + (3600 if summer(t, self.rule, self.offset_s) else 0)

    def to_utc(self, local_s):
        """The UTC second of a local wall-clock second: in the hour daylight saving repeats, its first pass
        (so a slot in it fires once); in the hour it skips, as if standard time went on (an hour later)."""
        t = local_s - self.offset_s - 3600
        if self.rule is not None and self.utc_offset(t) == self.offset_s + 3600:
            return t
        return local_s - self.offset_s

    def text(self, t):
        """'2026-12-03T14:05:09+01:00': UTC second `t` as local time, with its offset."""
        off = self.utc_offset(t)
        local = t + off
        y, m, d = civil_from_days(local // DAY)
        s = local % DAY
        a = abs(off) // 60
        return "%04d-%02d-%02dT%02d:%02d:%02d%s%02d:%02d" % (y, m, d, s // 3600, s // 60 % 60, s % 60,
                                                            "-" if off < 0 else "+", a // 60, a % 60)

    def parse(self, text):
        """UTC seconds of 'YYYY-MM-DDTHH:MM[:SS][+HH:MM]' (no offset: this clock's local time); IOTError."""
        if type(text) is not str or len(text) < 16 or text[4] != "-" or text[7] != "-" or text[10] not in "T " \
                or text[13] != ":":
            raise IOTError("the time is YYYY-MM-DDTHH:MM[:SS][+HH:MM], not %r" % (text,))
        rest = text[16:]
        sec = "00"
        if rest[:1] == ":":
            sec, rest = rest[1:3], rest[3:]
        ymdhms = text[:4] + text[5:7] + text[8:10] + text[11:13] + text[14:16] + sec
        if not digits(ymdhms) or len(ymdhms) != 14:
            raise IOTError("the time is YYYY-MM-DDTHH:MM[:SS][+HH:MM], not %r" % (text,))
        y, mo, d, h, mi, s = int(text[:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]), int(text[14:16]), int(sec)
        if not (2020 <= y <= 2099 and 1 <= mo <= 12 and 1 <= d <= 31 and h <= 23 and mi <= 59 and s <= 59) \
                or civil_from_days(days_from_civil(y, mo, d)) != (y, mo, d):
            raise IOTError("no such time: %r" % (text,))
        local = days_from_civil(y, mo, d) * DAY + h * 3600 + mi * 60 + s
        if not rest:
            return self.to_utc(local)
        if rest == "Z":
            return local
        return local - parse_offset(rest)
