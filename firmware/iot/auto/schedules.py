"""Schedules: a time of day (or sunrise or sunset with an offset) on some days of the week, in local time.

One task sleeps until the soonest slot and fires each one due; a clock that is set wakes it to think again.
The rules, in the order a user meets them:
- While the time is unknown (no NTP, no `time set`), no schedule fires.
- A slot missed while the board was off or the time was unknown is skipped, unless the schedule has
  `catch_up`: then its last slot runs once when the time becomes known, if that is within `catch_up_min`.
- A clock stepped back never fires a slot twice (each schedule keeps the last slot it fired); one stepped
  forward skips the slots it jumps over, said in one event line (with `catch_up`, the last of them runs).
- A slot whose firing came late (the loop was held up) runs if it is under a minute late, else it counts
  as jumped over.
"""
import asyncio

from iot.auto.clock import DAY, weekday
from iot.compat import const, wait_for_ms

LATE_S = 60  # a slot fired this late (a held-up loop) still runs
HOUR_MS = 3600000  # the longest sleep: the clock is read, and its ticks taken up, at least this often
# A schedule's settings, as iot.auto.check gives them: a tuple (the board holds one per schedule).
_AT = const(0)  # minutes of the day, or None with _SUN
_SUN = const(1)  # "sunrise", "sunset" or None
_OFFSET_MIN = const(2)
_DAYS = const(3)  # a bit per weekday, Monday's the lowest
_CATCH_UP = const(4)
_CATCH_UP_MIN = const(5)


class Schedule:
    """One schedule: its settings (the tuple iot.auto.check gives), its next slot and the last it fired (UTC s)."""

    def __init__(self, name, cfg):
        self.name = name
        self.cfg = cfg
        self.next = None
        self.last = None

    def slot_on(self, clock, day, place):
        """The UTC second of its slot on the local date `day` (days since 1970-01-01), or None."""
        cfg = self.cfg
        if not cfg[_DAYS] >> weekday(day) & 1:
            return None
        if cfg[_SUN] is None:
            return clock.to_utc(day * DAY + cfg[_AT] * 60)
        from iot.auto.sun import sun_times

        times = sun_times(day, place[0], place[1])
        if times is None:  # the sun neither rises nor sets that day
            return None
        return times[0 if cfg[_SUN] == "sunrise" else 1] + cfg[_OFFSET_MIN] * 60

    def after(self, clock, t, place):
        """Its first slot after UTC second `t` (within 9 days: every week has its day), or None."""
        today = (t + clock.utc_offset(t)) // DAY
        for day in range(today - 1, today + 9):
            slot = self.slot_on(clock, day, place)
            if slot is not None and slot > t:
                return slot
        return None

    def before(self, clock, t, place):
        """Its last slot at or before UTC second `t` (within 9 days), or None."""
        today = (t + clock.utc_offset(t)) // DAY
        for day in range(today + 1, today - 9, -1):
            slot = self.slot_on(clock, day, place)
            if slot is not None and slot <= t:
                return slot
        return None


class Scheduler:
    """Every schedule, on `clock`; fire(name, why) runs a slot's automations, log(line) gets event lines."""

    def __init__(self, clock, settings, place, fire, log):
        self.clock = clock
        self.place = place
        self.fire = fire
        self.log = log
        self.schedules = [Schedule(name, settings[name]) for name in settings]
        self._wake = asyncio.Event()
        clock.watchers.append(self._clock_set)
        now = clock.now()
        if now is not None:
            self._plan(now)
        self._task = asyncio.create_task(self._run())

    def _plan(self, now):
        for s in self.schedules:
            s.next = s.after(self.clock, now if s.last is None else max(now, s.last), self.place)

    def _missed(self, s, slot, now, why):
        """A slot that did not run at its time: caught up, or skipped, said either way."""
        cfg = s.cfg
        s.last = slot
        if cfg[_CATCH_UP] and now - slot <= cfg[_CATCH_UP_MIN] * 60:
            self.fire(s.name, "caught up: its %s slot %s" % (self.clock.text(slot), why))
        else:
            self.log("event: schedule %s: its %s slot skipped (%s)" % (s.name, self.clock.text(slot), why))

    def _clock_set(self, old, new):
        if old is None:  # the time is known now: each schedule's last slot was missed, if any
            for s in self.schedules:
                slot = s.before(self.clock, new, self.place)
                if slot is not None and s.cfg[_CATCH_UP] and (s.last is None or slot > s.last) \
                        and new - slot <= s.cfg[_CATCH_UP_MIN] * 60:
                    self._missed(s, slot, new, "passed while the time was unknown")
        elif new < old:
            if old - new > 1:  # NTP's corrections of a few ms are no news
                self.log("event: clock stepped back %d s; no slot fires twice" % (old - new))
        else:
            for s in self.schedules:
                if s.next is not None and s.next <= new:
                    self._missed(s, s.before(self.clock, new, self.place), new, "the clock jumped %d s over it"
                                 % (new - old))
        self._plan(new)
        self._wake.set()

    async def _run(self):
        clock = self.clock
        while True:
            self._wake.clear()
            now_ms = clock.now_ms()
            wait = HOUR_MS
            if now_ms is not None:
                now = now_ms // 1000
                for s in self.schedules:
                    if s.next is not None and s.next <= now:
                        slot, s.last = s.next, s.next
                        s.next = s.after(clock, now, self.place)
                        if now - slot <= LATE_S:
                            self.fire(s.name, None)
                        else:
                            self._missed(s, slot, now, "the loop was held up %d s" % (now - slot))
                    if s.next is not None:
                        wait = min(wait, s.next * 1000 - now_ms)
            try:
                await wait_for_ms(self._wake.wait(), max(1, wait))
            except asyncio.TimeoutError:
                pass

    def status(self):
        """{name: its next slot as local time, or None}."""
        return {s.name: None if s.next is None else self.clock.text(s.next) for s in self.schedules}

    def deinit(self):
        self._task.cancel()
