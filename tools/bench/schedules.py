"""A day of 20 schedules on simulated time (make bench runs it on both host interpreters, as FAST=1 does).

The clock is set to a Thursday's midnight, local time, and 24 hours run: each schedule's slot (one every
70 minutes or so, every day) must fire at its second. Prints `BENCH {json}` lines: the day's wall time,
and each firing's distance from its slot on the simulated clock. Needs tools/simtime on the path
(hostrun.environ(simulated=True)); on real time it would take a day.
"""
import asyncio
import json
import time

import app
from iot.auto.clock import Clock
from iot.auto.schedules import Scheduler

MIDNIGHT = 1796338800  # 2026-12-03T00:00:00+01:00, a Thursday
DAY_MS = 86400000


def figure(key, name, samples, unit, target, meets):
    s = sorted(samples)
    print("BENCH " + json.dumps({"key": key, "name": name, "unit": unit, "min": s[0], "median": s[len(s) // 2],
                                 "max": s[-1], "runs": len(s), "target": target,
                                 "met": bool(all([meets(x) for x in s])), "note": ""}))


async def main():
    raw = {"op_ms": 0, "demo": False, "schedules": {}, "clock": {"utc_offset": "+01:00", "dst": "eu"}}
    for i in range(20):
        raw["schedules"]["slot%d" % i] = {"at": "%02d:%02d" % (i * 70 // 60 + 1, i * 70 % 60)}
    settings = app.load_settings(given=raw)["auto"]
    clock = Clock(3600, "eu")
    errors = []

    def fire(name, why):
        i = int(name[4:])
        slot = MIDNIGHT + (i * 70 // 60 + 1) * 3600 + i * 70 % 60 * 60
        errors.append(clock.now_ms() - slot * 1000)

    wall = time.time()
    clock.set_ms(MIDNIGHT * 1000, "set")
    scheduler = Scheduler(clock, settings["schedules"], None, fire, print)
    await asyncio.sleep_ms(DAY_MS) if hasattr(asyncio, "sleep_ms") else await asyncio.sleep(DAY_MS / 1000)
    wall = time.time() - wall
    scheduler.deinit()
    if len(errors) != 20:
        raise SystemExit("schedules.py: %d of 20 slots fired" % len(errors))
    figure("schedule_day", "a day of 20 schedules on simulated time: its wall time", [wall], "s",
           "<= 10", lambda s: s <= 10)
    figure("schedule_slot", "each slot's firing, from its second on the simulated clock", errors, "ms", "0 to 1",
           lambda e: 0 <= e <= 1)


asyncio.run(main())
