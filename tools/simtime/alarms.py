"""The simulated clocks' alarms (the stub machine.Timer's callbacks), for MicroPython's and CPython's alike.

An alarm fires at its exact instant while the clock jumps over it, as an
interrupt would: in the middle of whatever runs.
"""


class Alarms:
    def __init__(self):
        self._due = []  # [[due, fn]], soonest first

    def add(self, due, fn):
        i = 0
        while i < len(self._due) and self._due[i][0] <= due:
            i += 1
        entry = [due, fn]
        self._due.insert(i, entry)
        return entry

    def cancel(self, entry):
        for i, e in enumerate(self._due):
            if e is entry:
                del self._due[i]
                return

    def first(self, now, end):
        """Where a wait from `now` to `end` ends: at the first alarm on the way, so that the loop sees what
        its interrupt did (a flag set, a level changed) at that instant, as a board's loop is woken; else at end."""
        if self._due and now < self._due[0][0] < end:
            return self._due[0][0]
        return end

    def jump(self, now, end, set_now):
        """The clock from `now` to `end`, stopping at each alarm on the way (set_now(t) moves it)."""
        while self._due and self._due[0][0] <= end:
            due, fn = self._due.pop(0)
            if due > now:
                now = due
                set_now(now)
            fn()
        set_now(end)
