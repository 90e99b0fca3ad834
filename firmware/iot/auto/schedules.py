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
from array import array

from iot.auto.clock import DAY, weekday
from iot.compat import const, wait_for_ms

LATE_S = 60  # a slot fired this late (a held-up loop) still runs
HOUR_MS = 3600000  # the longest sleep: the clock is read, and its ticks taken up, at least this often
NONE = const(0)  # in the slot arrays: no slot (no schedule's slot is at the Unix epoch)
# A schedule's settings, as iot.auto.check gives them: a tuple (the board holds one per schedule).
_AT = const(0)  # minutes of the day, or None with _SUN
_SUN = const(1)  # "sunrise", "sunset" or None
_OFFSET_MIN = const(2)
_DAYS = const(3)  # a bit per weekday, Monday's the lowest
_CATCH_UP = const(4)
_CATCH_UP_MIN = const(5)


def slot_on(cfg, clock, day, place):
    """The UTC second of a schedule's slot on the local date `day` (days since 1970-01-01), or None."""
    if not cfg[_DAYS] >> weekday(day) & 1:
        return None
    if cfg[_SUN] is None:
        return clock.to_utc(day * DAY + cfg[_AT] * 60)
    from iot.auto.sun import sun_times

    times = sun_times(day, place[0], place[1])
    if times is None:  # the sun neither rises nor sets that day
        return None
    return times[0 if cfg[_SUN] == "sunrise" else 1] + cfg[_OFFSET_MIN] * 60


def slot_after(cfg, clock, t, place):
    """A schedule's first slot after UTC second `t` (within 9 days: every week has its day), or NONE."""
    today = (t + clock.utc_offset(t)) // DAY
    for day in range(today - 1, today + 9):
        slot = slot_on(cfg, clock, day, place)
        if slot is not None and slot > t:
            return slot
    return NONE


def slot_before(cfg, clock, t, place):
    """A schedule's last slot at or before UTC second `t` (within 9 days), or NONE."""
    today = (t + clock.utc_offset(t)) // DAY
    for day in range(today + 1, today - 9, -1):
        slot = slot_on(cfg, clock, day, place)
        if slot is not None and slot <= t:
            return slot
    return NONE


class Scheduler:
    """Every schedule, on `clock`; fire(name, why) runs a slot's automations, log(line) gets event lines.

    The schedules are columns, not an object each (the heap holds 20 schedules in a few hundred bytes):
    `names` and their settings `cfgs`, and in two arrays of UTC seconds (NONE for none) each one's `next`
    slot and the `last` it fired, which a clock stepped back must not fire again. As array items the
    seconds take no heap of their own (as Python ints past 2**30 they would, on a board).
    """

    def __init__(self, clock, settings, place, fire, log):
        self.clock = clock
        self.place = place
        self.fire = fire
        self.log = log
        self.names = list(settings)
        self.cfgs = [settings[name] for name in self.names]
        self.next = array("L", [NONE] * len(self.names))  # "L": 32 bits or more, on every port
        self.last = array("L", self.next)
        self._wake = asyncio.Event()
        clock.watchers.append(self._clock_set)
        now = clock.now()
        if now is not None:
            self._plan(now)
        self._task = asyncio.create_task(self._run())

    def _plan(self, now):
        for i, cfg in enumerate(self.cfgs):
            self.next[i] = slot_after(cfg, self.clock, max(now, self.last[i]), self.place)

    def _missed(self, i, slot, now, why):
        """A slot that did not run at its time: caught up, or skipped, said either way."""
        cfg = self.cfgs[i]
        self.last[i] = slot
        if cfg[_CATCH_UP] and now - slot <= cfg[_CATCH_UP_MIN] * 60:
            self.fire(self.names[i], "caught up: its %s slot %s" % (self.clock.text(slot), why))
        else:
            self.log("event: schedule %s: its %s slot skipped (%s)" % (self.names[i], self.clock.text(slot), why))

    def _clock_set(self, old, new):
        clock, place = self.clock, self.place
        if old is None:  # the time is known now: each schedule's last slot was missed, if any
            for i, cfg in enumerate(self.cfgs):
                slot = slot_before(cfg, clock, new, place)
                if slot != NONE and cfg[_CATCH_UP] and slot > self.last[i] and new - slot <= cfg[_CATCH_UP_MIN] * 60:
                    self._missed(i, slot, new, "passed while the time was unknown")
        elif new < old:
            if old - new > 1:  # NTP's corrections of a few ms are no news
                self.log("event: clock stepped back %d s; no slot fires twice" % (old - new))
        else:
            for i, cfg in enumerate(self.cfgs):
                if self.next[i] != NONE and self.next[i] <= new:
                    self._missed(i, slot_before(cfg, clock, new, place), new, "the clock jumped %d s over it"
                                 % (new - old))
        self._plan(new)
        self._wake.set()

    async def _run(self):
        clock, nexts = self.clock, self.next
        while True:
            self._wake.clear()
            now_ms = clock.now_ms()
            wait = HOUR_MS
            if now_ms is not None:
                now = now_ms // 1000
                for i, cfg in enumerate(self.cfgs):
                    slot = nexts[i]
                    if slot != NONE and slot <= now:
                        self.last[i] = slot
                        nexts[i] = slot_after(cfg, clock, now, self.place)
                        if now - slot <= LATE_S:
                            self.fire(self.names[i], None)
                        else:
                            self._missed(i, slot, now, "the loop was held up %d s" % (now - slot))
                    if nexts[i] != NONE:
                        wait = min(wait, nexts[i] * 1000 - now_ms)
            try:
                await wait_for_ms(self._wake.wait(), max(1, wait))
            except asyncio.TimeoutError:
                pass

    def status(self):
        """{name: its next slot as local time, or None}."""
        return {name: None if self.next[i] == NONE else self.clock.text(self.next[i]) for i, name in
                enumerate(self.names)}

    def deinit(self):
        self._task.cancel()
