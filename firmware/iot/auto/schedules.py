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
from iot.compat import const, sleep_ms

LATE_S = 60  # a slot fired this late (a held-up loop) still runs
HOUR_MS = 3600000  # the longest sleep: the clock is read, and its ticks taken up, at least this often
NONE = const(0)  # no slot (no schedule's slot is at the Unix epoch)


class Schedule:
    """One schedule: `at` (a minute of the day) or `sun` ("sunrise" or "sunset", `offset_min` from it) on `days`
    (a bit per weekday, Monday's the lowest); its last missed slot runs if within `catch_up_min` (None: never)."""

    def __init__(self, name, at, sun, offset_min, days, catch_up, catch_up_min):
        self.name = name
        self.at = at
        self.sun = sun
        self.offset_min = offset_min
        self.days = days
        self.catch_up_min = catch_up_min if catch_up else None

    def slot_on(self, clock, place, day):
        """The UTC second of its slot on the local date `day` (days since 1970-01-01), or None."""
        if not self.days >> weekday(day) & 1:
            return None
        if self.sun is None:
            return clock.to_utc(day * DAY + self.at * 60)
        from iot.auto.sun import sun_times

        times = sun_times(day, place[0], place[1])
        if times is None:  # the sun neither rises nor sets that day
            return None
        return times[0 if self.sun == "sunrise" else 1] + self.offset_min * 60

    def slot_near(self, clock, place, t, after):
        """Its first slot after UTC second `t`, or (not `after`) its last at or before it; within 9 days (every
        week has its day), else NONE."""
        today = (t + clock.utc_offset(t)) // DAY
        for day in range(today - 1, today + 9) if after else range(today + 1, today - 9, -1):
            slot = self.slot_on(clock, place, day)
            if slot is not None and (slot > t if after else slot <= t):
                return slot
        return NONE

    def catches_up(self, slot, now):
        return self.catch_up_min is not None and now - slot <= self.catch_up_min * 60


class Scheduler:
    """Every schedule, on `clock`; fire(name, why) runs a schedule's automations, log(line) gets event lines.
    Its one task runs only while the time is known, and starts again whenever the clock is set. For the i-th
    schedule, `next[i]` is its next slot and `last[i]` the last it fired, which a clock stepped back must not
    fire again, in UTC seconds (NONE for none; arrays: as Python ints past 2**30 they would each be an object
    on a board)."""

    def __init__(self, clock, settings, place, fire, log):
        """`settings`: {name: (at, sun, offset_min, days, catch_up, catch_up_min)}, as iot.auto.check gives them."""
        self.clock = clock
        self.place = place
        self.fire = fire
        self.log = log
        self.schedules = [Schedule(name, *settings[name]) for name in settings]
        self.next = array("L", [NONE] * len(self.schedules))  # "L": 32 bits or more, on every port
        self.last = array("L", [NONE] * len(self.schedules))
        self._task = None
        clock.watchers.append(self._clock_set)
        now = clock.now()
        if now is not None:
            self._plan(now)

    def _near(self, schedule, t, after):
        return schedule.slot_near(self.clock, self.place, t, after)

    def _plan(self, now):
        """Each schedule's next slot from UTC second `now`, and the task that sleeps until the soonest."""
        for i, s in enumerate(self.schedules):
            self.next[i] = self._near(s, max(now, self.last[i]), True)
        if self._task is not None:
            self._task.cancel()
        self._task = asyncio.create_task(self._run())

    def _missed(self, i, slot, now, why):
        """A slot of schedule i that did not run at its time: caught up, or skipped, said either way."""
        schedule = self.schedules[i]
        self.last[i] = slot
        if schedule.catches_up(slot, now):
            self.fire(schedule.name, "caught up: its %s slot %s" % (self.clock.text(slot), why))
        else:
            self.log("event: schedule %s: its %s slot skipped (%s)" % (schedule.name, self.clock.text(slot), why))

    def _clock_set(self, old, new):
        if old is None:  # the time is known now: each schedule's last slot was missed, if any
            for i, s in enumerate(self.schedules):
                slot = self._near(s, new, False)
                if slot != NONE and slot > self.last[i] and s.catches_up(slot, new):
                    self._missed(i, slot, new, "passed while the time was unknown")
        elif new < old:
            if old - new > 1:  # NTP's corrections of a few ms are no news
                self.log("event: clock stepped back %d s; no slot fires twice" % (old - new))
        else:
            for i, s in enumerate(self.schedules):
                if self.next[i] != NONE and self.next[i] <= new:
                    self._missed(i, self._near(s, new, False), new, "the clock jumped %d s over it" % (new - old))
        self._plan(new)

    async def _run(self):
        """Fire each slot that is due, then sleep until the soonest next one (at most an hour)."""
        clock, nexts = self.clock, self.next
        while True:
            now_ms = clock.now_ms()
            now = now_ms // 1000
            wait = HOUR_MS
            for i, s in enumerate(self.schedules):
                slot = nexts[i]
                if slot != NONE and slot <= now:
                    self.last[i] = slot
                    nexts[i] = self._near(s, now, True)
                    if now - slot <= LATE_S:
                        self.fire(s.name, None)
                    else:
                        self._missed(i, slot, now, "the loop was held up %d s" % (now - slot))
                if nexts[i] != NONE:
                    wait = min(wait, nexts[i] * 1000 - now_ms)
            await sleep_ms(max(1, wait))

    def status(self):
        """{name: its next slot as local time, or None}."""
        return {s.name: None if self.next[i] == NONE else self.clock.text(self.next[i])
                for i, s in enumerate(self.schedules)}

    def deinit(self):
        if self._task is not None:
            self._task.cancel()
