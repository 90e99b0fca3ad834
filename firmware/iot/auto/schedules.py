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

from iot.auto import name_at
from iot.auto.clock import DAY, weekday
from iot.compat import const, sleep_ms

LATE_S = 60  # a slot fired this late (a held-up loop) still runs
HOUR_MS = 3600000  # the longest sleep: the clock is read, and its ticks taken up, at least this often
NONE = const(0)  # in the slot arrays: no slot (no schedule's slot is at the Unix epoch)
# A schedule's settings in `cfg`, four numbers each: its minute of the day (or _SUNRISE, _SUNSET), the
# offset from the sun in minutes, its days (a bit per weekday, Monday's the lowest; _CATCH_UP with
# catch_up) and its catch_up_min.
_AT = const(0)
_OFFSET_MIN = const(1)
_DAYS = const(2)
_CATCH_UP_MIN = const(3)
_SUNRISE = const(-1)
_SUNSET = const(-2)
_CATCH_UP = const(0x80)


class Scheduler:
    """Every schedule, on `clock`; fire(i, why) runs schedule i's automations, log(line) gets event lines.

    The schedules are columns, not an object each (the heap holds 20 schedules in a few hundred bytes):
    their `names` (one string: iot.auto.name_at) and `count`, their settings packed in `cfg`, and in `slots`
    two UTC seconds each (NONE for none): its next slot and the last it fired, which a clock stepped back must
    not fire again.
    As array items the seconds take no heap of their own (as Python ints past 2**30 they would, on a
    board). Its task runs only while the time is known, and starts again whenever the clock is set.
    """

    def __init__(self, clock, settings, place, fire, log):
        """`settings`: {name: (at, sun, offset_min, days, catch_up, catch_up_min)}, as iot.auto.check gives
        them; packed here, so the caller can let them go."""
        self.clock = clock
        self.place = place
        self.fire = fire
        self.log = log
        self.names = "\n".join(settings)
        self.count = len(settings)
        cfg = []  # type: list[int]
        for name in settings:
            at, sun, offset, days, catch_up, catch_up_min = settings[name]
            cfg += (at if sun is None else _SUNRISE if sun == "sunrise" else _SUNSET, offset,
                    days | (_CATCH_UP if catch_up else 0), catch_up_min)
        self.cfg = array("h", cfg)
        self.slots = array("L", [NONE] * (2 * self.count))  # "L": 32 bits or more, on every port
        self._task = None
        clock.watchers.append(self._clock_set)
        now = clock.now()
        if now is not None:
            self._plan(now)

    def _slot_on(self, i, day):
        """The UTC second of schedule i's slot on the local date `day` (days since 1970-01-01), or None."""
        at = self.cfg[4 * i + _AT]
        if not self.cfg[4 * i + _DAYS] >> weekday(day) & 1:
            return None
        if at >= 0:
            return self.clock.to_utc(day * DAY + at * 60)
        from iot.auto.sun import sun_times

        times = sun_times(day, self.place[0], self.place[1])
        if times is None:  # the sun neither rises nor sets that day
            return None
        return times[0 if at == _SUNRISE else 1] + self.cfg[4 * i + _OFFSET_MIN] * 60

    def _slot_near(self, i, t, after):
        """Schedule i's first slot after UTC second `t`, or (not `after`) its last at or before it; within 9
        days (every week has its day), else NONE."""
        today = (t + self.clock.utc_offset(t)) // DAY
        for day in range(today - 1, today + 9) if after else range(today + 1, today - 9, -1):
            slot = self._slot_on(i, day)
            if slot is not None and (slot > t if after else slot <= t):
                return slot
        return NONE

    def _plan(self, now):
        """Each schedule's next slot from UTC second `now`, and the task that sleeps until the soonest."""
        slots = self.slots
        for i in range(self.count):
            slots[2 * i] = self._slot_near(i, max(now, slots[2 * i + 1]), True)
        if self._task is not None:
            self._task.cancel()
        self._task = asyncio.create_task(self._run())

    def _catches_up(self, i, slot, now):
        return self.cfg[4 * i + _DAYS] & _CATCH_UP and now - slot <= self.cfg[4 * i + _CATCH_UP_MIN] * 60

    def _missed(self, i, slot, now, why):
        """A slot that did not run at its time: caught up, or skipped, said either way."""
        self.slots[2 * i + 1] = slot
        if self._catches_up(i, slot, now):
            self.fire(i, "caught up: its %s slot %s" % (self.clock.text(slot), why))
        else:
            self.log("event: schedule %s: its %s slot skipped (%s)" % (name_at(self.names, i), self.clock.text(slot),
                                                                       why))

    def _clock_set(self, old, new):
        slots = self.slots
        if old is None:  # the time is known now: each schedule's last slot was missed, if any
            for i in range(self.count):
                slot = self._slot_near(i, new, False)
                if slot != NONE and slot > slots[2 * i + 1] and self._catches_up(i, slot, new):
                    self._missed(i, slot, new, "passed while the time was unknown")
        elif new < old:
            if old - new > 1:  # NTP's corrections of a few ms are no news
                self.log("event: clock stepped back %d s; no slot fires twice" % (old - new))
        else:
            for i in range(self.count):
                if slots[2 * i] != NONE and slots[2 * i] <= new:
                    self._missed(i, self._slot_near(i, new, False), new, "the clock jumped %d s over it" % (new - old))
        self._plan(new)

    async def _run(self):
        """Fire each slot that is due, then sleep until the soonest next one (at most an hour)."""
        clock, slots = self.clock, self.slots
        while True:
            now_ms = clock.now_ms()
            now = now_ms // 1000
            wait = HOUR_MS
            for i in range(self.count):
                slot = slots[2 * i]
                if slot != NONE and slot <= now:
                    slots[2 * i + 1] = slot
                    slots[2 * i] = self._slot_near(i, now, True)
                    if now - slot <= LATE_S:
                        self.fire(i, None)
                    else:
                        self._missed(i, slot, now, "the loop was held up %d s" % (now - slot))
                if slots[2 * i] != NONE:
                    wait = min(wait, slots[2 * i] * 1000 - now_ms)
            await sleep_ms(max(1, wait))

    def status(self):
        """{name: its next slot as local time, or None}."""
        return {name: None if self.slots[2 * i] == NONE else self.clock.text(self.slots[2 * i]) for i, name in
                enumerate(self.names.split("\n"))}

    def deinit(self):
        if self._task is not None:
            self._task.cancel()
