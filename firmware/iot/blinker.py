"""A retriggerable switch-off timer for an output, in the spirit of Peter Hinch's Delay_ms."""
import asyncio

from iot.compat import sleep_ms, ticks_add, ticks_diff, ticks_ms


class Blinker:
    """Switches `output` (anything with on()/off(); None: a plain timer) on, and off again after a time.

    trigger(ms) switches on and (re)sets the deadline (until(t): to ticks_ms t); stop() switches off now;
    deinit() ends the task. `callback()` runs on expiry, not on stop().

    One task serves every trigger of an on-period: a later deadline is picked up
    when the task wakes, an earlier one (or deinit) wakes it by cancelling its
    sleep, so retriggering while on never creates a task. The task ends when the
    output goes off, and the next switch-on starts one: an idle Blinker holds no
    task.
    """

    def __init__(self, output, duration_ms=1000, callback=None):
        self._out = output
        self.duration_ms = duration_ms
        self._callback = callback
        self._on = False
        self._deadline = None  # ticks_ms of the switch-off, None while off
        self._wake_at = None  # deadline the task sleeps towards, None while it does not sleep
        self._task = None
        self._waking = False  # the next CancelledError is ours: wake, don't die

    def trigger(self, ms=0):
        self.until(ticks_add(ticks_ms(), ms if ms > 0 else self.duration_ms))

    def until(self, deadline):
        """On until the ticks_ms `deadline`: the clock is read once, by whoever decided it."""
        self._deadline = deadline
        if not self._on:
            self._on = True
            if self._out is not None:
                self._out.on()
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        elif self._wake_at is not None and ticks_diff(deadline, self._wake_at) < 0 and not self._waking:
            self._waking = True
            self._task.cancel()  # sleeping too long: wake it to sleep less

    def stop(self):
        self._deadline = None
        if self._on:
            if self._out is not None:
                self._out.off()  # written before it is said: whoever sees running() False finds the output off
            self._on = False

    def running(self):
        return self._on

    def deinit(self):
        task = self._task
        self._task = None
        self.stop()
        if task is not None:
            self._waking = False  # this cancel is meant to end it
            task.cancel()

    async def _run(self):
        try:
            while True:
                try:
                    deadline = self._deadline  # read once: a timer callback may stop() between two reads
                    if deadline is None:
                        return  # off: the next switch-on starts a task
                    left = ticks_diff(deadline, ticks_ms())
                    if left > 0:
                        self._wake_at = deadline
                        await sleep_ms(left)
                        self._wake_at = None
                        continue
                    self.stop()
                    if self._callback is not None:
                        try:
                            self._callback()
                        except Exception as e:  # the timer must outlive a bad callback
                            print("error: blinker callback:", repr(e))
                except asyncio.CancelledError:
                    if not self._waking:
                        raise  # deinit(), or cancelled from outside
                    self._waking = False
                    self._wake_at = None
        finally:
            if self._task is asyncio.current_task():
                self._task = None  # off, or killed from outside: the next trigger starts a new task
            if self._task is None:
                self.stop()  # never leave the output on without its timer
