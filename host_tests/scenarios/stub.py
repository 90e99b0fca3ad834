"""The stubbed machine module itself: what it records."""
import machine


async def outputs():
    p = machine.Pin(5, machine.Pin.OUT, value=1)
    p.value(1)  # no change: not recorded
    p.off()
    p.on()
    p(0)
    q = machine.Pin("LED", machine.Pin.OUT)
    q.toggle()
    machine.Pin(6, machine.Pin.IN)  # an input records nothing
    s = machine.Signal(machine.Pin(7, machine.Pin.OUT, value=1), invert=True)
    s.on()
    s.off()
    pwm = machine.PWM(machine.Pin(8), freq=440, duty_u16=0)
    pwm.duty_u16(32768)
    pwm.freq(880)
    pwm.init(freq=880, duty_u16=1000)
    pwm.deinit()
    try:
        pwm.duty_u16(70000)
        bad = None
    except ValueError as e:
        bad = str(e)
    return {"p": p.value(), "signal": s.value(), "freq": pwm.freq(), "bad": bad}


async def timer_beside_writes(writes=20000, fired_at_least=30):
    """A periodic Timer writing one pin (as a relay's backstop does) while the main thread writes another as fast as
    it can, at least `writes` times and until the timer has fired `fired_at_least` times (a loaded machine runs the
    timer's thread late): the timer's callback comes between two bytecodes of the writes, recording included."""
    fired = [0]
    beat = machine.Pin(9, machine.Pin.OUT)

    def tick(timer):
        fired[0] += 1
        beat.toggle()

    timer = machine.Timer(-1)
    timer.init(mode=machine.Timer.PERIODIC, period=1, callback=tick)
    p = machine.Pin(5, machine.Pin.OUT)
    done = 0
    while done < writes or fired[0] < fired_at_least:
        p.value(done & 1)
        done += 1
    timer.deinit()
    return {"writes": done, "fired": fired[0]}
