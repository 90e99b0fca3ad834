"""Safety invariants under random use, checked after every command.

CPython: hypothesis drives the firmware in-process on simulated time (tools/simtime/cpython/virtualtime.py), so every
check is exact and thousands of steps take seconds. MicroPython: a seeded walk of the same commands,
replayed on simulated time too (tools/simtime/micropython), checked as exactly.
INVARIANT_STEPS (default 6000) sets the CPython steps; INVARIANT_WALK (default 200) the MicroPython ones.
"""
import asyncio
import os

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import app
import config
import machine
import walk
from invariants import Invariants, check_event, check_reply, check_status
from iot.commands import Commands
from virtualtime import VirtualTimeLoop

STEPS = int(os.environ.get("INVARIANT_STEPS", "6000"))
WALK = int(os.environ.get("INVARIANT_WALK", "200"))
PER_EXAMPLE = 60

CONFIGS = st.fixed_dictionaries({
    "demo": st.just(False), "op_ms": st.sampled_from((10, 40, 100)), "max_on_ms": st.sampled_from((100, 150, 400)),
    "min_off_ms": st.sampled_from((0, 30, 200)),
    "active_low": st.lists(st.sampled_from(("flush", "clean", "speaker_enable", "light")), unique=True)})


class Firmware(RuleBasedStateMachine):
    """The firmware's shell, typed at by a hostile user; the invariants hold after every step."""

    @initialize(raw=CONFIGS)
    def boot(self, raw):
        self.loop = VirtualTimeLoop()
        self.installed = self.loop.installed()
        self.installed.__enter__()
        machine.TRACE = []
        self.settings = config.check(raw)
        self.service, self.devices = app.build(self.settings)
        self.events = []
        self.service.log = self.events.append
        self.loop.run_until_complete(self.service.register_devices(self.devices))
        self.shell = Commands(self.service, app.PROGRAMS, None, self.events.append)
        self.inv = Invariants(self.settings)
        self.checked_events = 0
        for line in walk.program_lines():
            self.type(line)

    def type(self, line):
        reply = self.loop.run_until_complete(self.shell.execute(line, console=True))
        check_reply(line, reply)

    @rule(device=st.sampled_from(walk.DEVICES), msg=st.sampled_from(walk.MESSAGES), data=st.sampled_from(walk.DATA))
    def device_command(self, device, msg, data):
        self.type(walk.device_line(device, msg, data))

    @rule(name=st.sampled_from(walk.NAMES))
    def run(self, name):
        self.type("run " + name)

    @rule(name=st.sampled_from(walk.NAMES + ("",)))
    def stop(self, name):
        self.type("stop " + name)

    @rule(name=st.sampled_from(walk.NAMES), mode=st.sampled_from(walk.MODES))
    def mode(self, name, mode):
        self.type("mode %s %s" % (name, mode))

    @rule(name=st.sampled_from(walk.NAMES), mode=st.sampled_from(walk.MODES), n=st.integers(2, 4),
          then=st.sampled_from(("", "stop", "toilet flush")))
    def burst(self, name, mode, n, then):
        """Lines typed faster than the loop turns: a run may be stopped or restarted before it has started."""
        lines = ["mode %s %s" % (name, mode)] + ["run " + name] * n + ([then] if then else [])

        async def typed():
            return [await self.shell.execute(line, console=True) for line in lines]

        for line, reply in zip(lines, self.loop.run_until_complete(typed())):
            check_reply(line, reply)

    @rule(line=st.sampled_from(walk.GARBAGE))
    def garbage(self, line):
        self.type(line)

    @rule(ms=st.sampled_from((0, 1, 5, 20, 60, 150, 400, 1500)))
    def wait(self, ms):
        self.loop.advance(ms)

    @invariant()
    def safe(self):
        if not hasattr(self, "inv"):
            return
        self.inv.feed(machine.TRACE)
        self.inv.at(self.loop.now_ns / 1e6)
        check_status(self.service.status(), self.inv)
        for line in self.events[self.checked_events:]:
            check_event(line)
        self.checked_events = len(self.events)

    def teardown(self):
        if not hasattr(self, "loop"):
            return
        try:
            self.loop.run_until_complete(self.shell.execute("stop"))
            self.service.deinit()
            for device in self.devices.values():
                device.deinit()
            self.loop.advance(10)
            for task in asyncio.all_tasks(self.loop):
                task.cancel()
            self.loop.advance(1)
        finally:
            self.installed.__exit__(None, None, None)
            self.loop.close()
            machine.TRACE = None


Firmware.TestCase.settings = settings(max_examples=max(1, STEPS // PER_EXAMPLE), stateful_step_count=PER_EXAMPLE,
                                      deadline=None, suppress_health_check=list(HealthCheck))
test_safety_invariants_hold_under_random_commands_cpython_simulated_time = Firmware.TestCase


@pytest.mark.parametrize("seed", [1, 2])
def test_a_seeded_walk_keeps_the_invariants_on_micropython(scenario, interp, seed):
    """The same vocabulary on simulated time, as exact as the CPython state machine."""
    if interp != "micropython":
        pytest.skip("CPython runs these invariants on simulated time, in the stateful test above")
    raw, lines = walk.random_walk(seed, WALK)
    run = scenario("walk.replay", raw=raw, lines=lines)
    r = run.result
    inv = Invariants(r["settings"])
    for seen, line, reply, status in r["steps"]:
        if reply is not None:
            check_reply(line, reply)
        inv.feed(run.trace[:seen])
        if seen:
            inv.at(run.trace[seen - 1]["t_us"] / 1000)
        check_status(status, inv)
    inv.feed(run.trace)
    for line in r["events"]:
        check_event(line)
    assert len([s for s in r["steps"] if s[2] is not None]) == len([x for x in lines if type(x) is str])
