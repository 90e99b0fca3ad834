"""The safety invariants, checked on a pin trace as it grows (the stateful test and the MicroPython walk).

Levels are logical: a record's pin level is turned into on/off with that
output's own polarity, so a check cannot be fooled by an active-low pin.
"""

REPLY_STARTS = ("ok", "error: ")


class Invariants:
    """Feed it trace records in order; it raises AssertionError at the first broken invariant.

    - no relay is energised longer than max_on_ms at a stretch, a gap shorter
      than min_off_ms not ending the stretch (`late_ms`: the clock's tolerance);
    - interlocked relays are never on together.
    """

    def __init__(self, settings, late_ms=1.0):
        pins, low = settings["pins"], settings["active_low"]
        self.max_on = settings["max_on_ms"]
        self.min_off = settings["min_off_ms"]
        self.late = late_ms
        digital = [n for n in ("flush", "clean", "speaker_enable") if pins.get(n) is not None]
        self.names = {pins[n]: n for n in digital}
        self.low = {pins[n]: n in low for n in digital}
        self.levels = {}  # name -> its logical level now
        self.relays = {n: {"on": False, "start": None, "off_at": None} for n in ("flush", "clean")}
        self.seen = 0
        self.longest = 0.0

    def feed(self, trace):
        for rec in trace[self.seen:]:
            self._record(rec)
        self.seen = len(trace)

    def _record(self, rec):
        name = self.names.get(rec["pin"])
        if name is None or "value" not in rec:
            return
        t = rec["t_us"] / 1000
        on = bool(rec["value"]) != self.low[rec["pin"]]
        self.levels[name] = int(on)
        r = self.relays.get(name)
        if r is None:
            return
        if on and not r["on"]:
            if r["off_at"] is None or t - r["off_at"] >= self.min_off:
                r["start"] = t
            r["on"] = True
        elif not on and r["on"]:
            r["on"] = False
            r["off_at"] = t
            self._stretch(name, t)
        assert not (self.relays["flush"]["on"] and self.relays["clean"]["on"]), "flush and clean on together at %.3f ms" % t

    def _stretch(self, name, t):
        took = t - self.relays[name]["start"]
        self.longest = max(self.longest, took)
        assert took <= self.max_on + self.late, "%s relay energised %.3f ms at a stretch (to %.3f ms), limit %d ms" % (
            name, took, t, self.max_on)

    def at(self, t_ms):
        """Also a stretch still going on at t_ms."""
        for name, r in self.relays.items():
            if r["on"]:
                self._stretch(name, t_ms)

    def on(self, name):
        return int(self.relays[name]["on"])


def check_reply(line, reply):
    assert type(reply) is str and "\n" not in reply and reply.startswith(REPLY_STARTS), (line, reply)
    assert not reply.startswith("error: internal"), (line, reply)


def check_event(line):
    assert line.startswith("event: ") and "internal" not in line and "Traceback" not in line, line


def check_status(status, inv):
    """The toilet's reported relays are its pins' logical levels; the speaker's power is its enable pin's."""
    toilet = status.get("toilet")
    if toilet is not None:
        assert (toilet["flush"], toilet["clean"]) == (inv.on("flush"), inv.on("clean")), (toilet, inv.relays)
    speaker = status.get("speaker")
    if speaker is not None and "speaker_enable" in inv.levels:
        assert int(speaker["on"]) == inv.levels["speaker_enable"], (speaker, inv.levels)
