"""What a hostile user types: the command vocabulary of the stateful test and of the MicroPython walk."""
import json
import random

SONG = "t:d=16,o=5,b=600:c,e,g"
DEVICES = ("light", "speaker", "toilet", "lamp")
MESSAGES = ("SWITCH_ON", "switch_off", "CHANGE_COLOR", "play_song", "OPEN", "close", "FLUSH", "clean", "\ufb02ush",
            "dance")
DATA = ("", "40%", "red", "#00ff00 50% 100ms", "Miles Davis - Kind of Blue", '"%s"' % SONG, "x y")


def _send(device, msg, data=""):
    return {"send": [device, msg, data]} if data else {"send": [device, msg]}


FLUSH, CLEAN = _send("toilet", "FLUSH"), _send("toilet", "CLEAN")
PROGRAMS = {
    "flushes": {"seq": [FLUSH, FLUSH, FLUSH, FLUSH]},
    "both": {"par": [FLUSH, CLEAN, _send("light", "SWITCH_ON")]},
    "lamp": {"seq": [_send("light", "SWITCH_ON", "30%"), {"delay": 150}, _send("light", "SWITCH_OFF")]},
    "song": {"seq": [_send("speaker", "SWITCH_ON"), _send("speaker", "PLAY_SONG", SONG)]},
    "mixed": {"par": [{"seq": [FLUSH, {"delay": 20}, CLEAN]}, {"par": [_send("speaker", "SWITCH_ON"), FLUSH]}]},
    "broken": {"seq": [_send("speaker", "PLAY_SONG", SONG)]},  # refused at run time: the speaker is off
}
NAMES = ("wake_up", "sleep") + tuple(PROGRAMS) + ("nothing",)
MODES = ("single", "restart", "queued", "parallel", "sideways")
GARBAGE = ("", "   ", "\x0b", "\u00a0", "\u2028", "plan " + "[" * 200, "stop", "status", "programs", "bogus", "run",
           "define", "help", "wait", "\u017fwitch_on")


def device_line(device, msg, data):
    return ("%s %s %s" % (device, msg, data)).rstrip()


def program_lines():
    return ["define %s %s" % (name, json.dumps(p)) for name, p in PROGRAMS.items()]


def config(rnd):
    """A random config: times, limits and each output's polarity."""
    op_ms = rnd.choice((10, 40, 100))
    return {"demo": False, "op_ms": op_ms, "max_on_ms": rnd.choice((100, 150, 400)),
            "min_off_ms": rnd.choice((0, 30, 200)),
            "active_low": [n for n in ("flush", "clean", "speaker_enable", "light") if rnd.random() < 0.5]}


def random_walk(seed, steps):
    """(config, [line or wait ms]) for a seeded walk: the same on every interpreter."""
    rnd = random.Random(seed)
    out = program_lines()
    for _ in range(steps):
        r = rnd.random()
        if r < 0.35:
            out.append(device_line(rnd.choice(DEVICES), rnd.choice(MESSAGES), rnd.choice(DATA)))
        elif r < 0.55:
            out.append("run " + rnd.choice(NAMES))
        elif r < 0.65:
            out.append("stop " + rnd.choice(NAMES + ("",)))
        elif r < 0.7:
            out.append("mode %s %s" % (rnd.choice(NAMES), rnd.choice(MODES)))
        elif r < 0.8:
            out.append(rnd.choice(GARBAGE))
        else:
            out.append(rnd.choice((0, 5, 20, 60, 150, 400)))
    return config(rnd), out
