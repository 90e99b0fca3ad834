"""Read a pin trace (JSON lines from the stub machine) as device states, a VCD file or an SVG timing diagram.

    python tools/pintrace.py TRACE [--board NAME | --config FILE] [--vcd OUT.vcd] [--svg OUT.svg]

Without --vcd/--svg it prints each output's changes. The VCD (written with
pyvcd) opens in PulseView or GTKWave: a wire per digital pin at its raw level,
and for a PWM pin its frequency, duty (%) and a readable state. The SVG has one
lane per output, PWM shown as its note, brightness or servo angle.
"""
import argparse
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hostrun  # noqa: E402

# the firmware's config.json reader, and the stub machine its device kinds' packages import
sys.path[:0] = [str(hostrun.FIRMWARE), str(hostrun.HOSTMACHINE)]
import config  # noqa: E402

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def outputs(settings):
    """{pin: (output name, active_low)} from config settings; an RGB light's pins are light_r/g/b."""
    out = {}
    for name, pin in settings["pins"].items():
        low = name in settings["active_low"]
        if type(pin) is list:
            for colour, p in zip("rgb", pin):
                out[p] = ("%s_%s" % (name, colour), low)
        elif pin is not None:
            out[pin] = (name, low)
    return out


def note(hz):
    midi = round(69 + 12 * math.log2(hz / 440))
    return "%s%d" % (NOTE_NAMES[midi % 12], midi // 12 - 1)


def state(name, rec, active_low=False):
    """(text, level from 0 to 1) of output `name` after trace record `rec`."""
    if "value" in rec:
        on = rec["value"] ^ active_low
        return ("on" if on else "off"), float(on)
    if "rgb" in rec or "pixels" in rec:
        rgb = rec["rgb"] if "rgb" in rec else max(rec["pixels"], key=sum)
        level = max(rgb) / 255
        return ("#%02x%02x%02x" % tuple(rgb) if level else "off"), level
    duty = rec["duty_u16"]
    if name == "speaker":
        return ("%s %d Hz" % (note(rec["freq"]), rec["freq"]) if duty else "silent"), float(duty > 0)
    if name == "lid":
        if not duty:
            return "released", 0.0
        us = duty * 20000 / 65535
        return "%d deg" % round((us - 500) * 180 / 2000), 1.0
    lit = (65535 - duty if active_low else duty) / 65535
    level = math.sqrt(lit)  # the firmware squares the brightness (gamma 2)
    return ("%d%%" % round(level * 100) if lit else "off"), level


def changes(trace, names):
    """{output name: [(t_ms, text, level)]}, each output in the order of the board's outputs."""
    lanes = {name: [] for name, _ in sorted(names.values(), key=lambda n: _order(n[0]))}
    for rec in trace:
        if rec["pin"] not in names:
            continue
        name, low = names[rec["pin"]]
        text, level = state(name, rec, low)
        lane = lanes[name]
        if not lane or lane[-1][1] != text:
            lane.append((rec["t_us"] / 1000, text, level))
    return lanes


def _order(name):
    if name.startswith("light_"):  # light_r, light_g, light_b
        return (config.OUTPUTS.index("light"), "rgb".index(name[-1]))
    return (config.OUTPUTS.index(name) if name in config.OUTPUTS else 99, 0)


class Devices:
    """What each device is doing, from the pin changes so far: the simulator's live view."""

    def __init__(self, names):
        self.names = names
        self.now = {name: "off" for name, _ in names.values()}
        self.now["lid"] = "-"  # unknown until it moves

    def update(self, rec):
        """Apply one trace record."""
        if rec["pin"] not in self.names:
            return
        name, low = self.names[rec["pin"]]
        if name == "lid" and "value" in rec:
            return  # the servo pin's creation, before its PWM starts
        text = state(name, rec, low)[0]
        self.now[name] = self._lid(text) if name == "lid" else text

    def _lid(self, text):
        """A released servo stays where it went."""
        if text != "released":
            return "moving to " + text
        if self.now["lid"].startswith("moving to "):
            return "at " + self.now["lid"][len("moving to "):]
        return self.now["lid"]

    def line(self):
        """The seed's light, speaker and toilet in words, where the board has them, then every other output (a
        device config.json declares: "fan on")."""
        n = self.now
        parts = []
        if "light" in n:
            parts.append("light %-10s" % n["light"])
        elif "light_r" in n:
            parts.append("light %-10s" % ("rgb(%s)" % ", ".join(n.get("light_" + c, "off") for c in "rgb")))
        if "speaker" in n:
            speaker = n["speaker"] if n.get("speaker_enable", "on") == "on" or n["speaker"] != "silent" else "off"
            parts.append("speaker %-14s" % ("on, silent" if speaker == "silent" else speaker))
        if "flush" in n:
            toilet = "flush %s, clean %s" % (n["flush"].upper() if n["flush"] == "on" else "off",
                                             n["clean"].upper() if n["clean"] == "on" else "off")
            if any(name == "lid" for name, _ in self.names.values()):
                toilet += ", lid %s" % n["lid"]
            parts.append("toilet " + toilet)
        seed = ("status_led", "light", "light_r", "light_g", "light_b", "speaker", "speaker_enable", "flush", "clean",
                "lid")
        parts += ["%s %s" % (name, n[name]) for name in sorted(n) if name not in seed]
        return " | ".join(parts)


def write_vcd(trace, names, path):
    from vcd import VCDWriter

    kinds = {}
    for rec in trace:
        if rec["pin"] in names:
            kinds.setdefault(rec["pin"], set()).update(k for k in ("value", "duty_u16", "rgb") if k in rec)
    with open(path, "w") as f, VCDWriter(f, timescale="1 us", comment="iot pin trace") as vcd:
        var = {}
        for pin, ks in kinds.items():
            name = names[pin][0]
            if "value" in ks:
                var[pin, "value"] = vcd.register_var("board", name, "wire", size=1)
            if "duty_u16" in ks:
                var[pin, "freq"] = vcd.register_var("board", name + "_hz", "integer", size=32)
                var[pin, "duty"] = vcd.register_var("board", name + "_duty", "real")
            if "rgb" in ks:
                var[pin, "rgb"] = vcd.register_var("board", name + "_rgb", "wire", size=24)
            var[pin, "state"] = vcd.register_var("board", name + "_state", "string")
        for rec in trace:
            pin = rec["pin"]
            if pin not in names:
                continue
            t = rec["t_us"]
            if "value" in rec:
                vcd.change(var[pin, "value"], t, rec["value"])
            if "duty_u16" in rec:
                vcd.change(var[pin, "freq"], t, rec["freq"])
                vcd.change(var[pin, "duty"], t, round(rec["duty_u16"] * 100 / 65535, 2))
            if "rgb" in rec:
                r, g, b = rec["rgb"]
                vcd.change(var[pin, "rgb"], t, r << 16 | g << 8 | b)
            name, low = names[pin]
            vcd.change(var[pin, "state"], t, state(name, rec, low)[0].replace(" ", "_"))


def svg(lanes, title=""):
    """A timing diagram: one lane per output, each state a box as tall as its level, labelled when it fits."""
    end = max([lane[-1][0] for lane in lanes.values() if lane] + [1]) * 1.02
    left, width, lane_h, top = 110, 1100, 34, 40
    x = lambda t: left + width * t / end  # noqa: E731
    height = top + lane_h * len(lanes) + 30
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="monospace" font-size="11">'
           % (left + width + 20, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="20" font-size="14">%s</text>' % (left, _esc(title))]
    # A grid line every 50 ms up to every 6 hours (simulated time runs days); at most about 12 of them.
    steps = (50, 100, 250, 500, 1000, 2000, 5000, 10000, 60000, 600000, 3600000, 21600000)
    step = next((s for s in steps if end / s <= 12), end / 12)
    t = 0
    while t <= end:
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' % (x(t), top - 5, x(t), height - 25))
        out.append('<text x="%.1f" y="%d" text-anchor="middle" fill="#666">%d ms</text>' % (x(t), height - 10, t))
        t += step
    for i, (name, lane) in enumerate(lanes.items()):
        y0 = top + i * lane_h
        base = y0 + lane_h - 8
        out.append('<text x="8" y="%d">%s</text>' % (base - 6, _esc(name)))
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#999"/>' % (left, base, left + width, base))
        for j, (t0, text, level) in enumerate(lane):
            t1 = lane[j + 1][0] if j + 1 < len(lane) else end
            if level <= 0:
                continue
            h = max(3, (lane_h - 12) * level)
            fill = text if text.startswith("#") else "#4a90d9"
            out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" stroke="#234"/>'
                       % (x(t0), base - h, max(0.5, x(t1) - x(t0)), h, fill))
            label = next((t for t in (text, text.split()[0]) if x(t1) - x(t0) > 7 * len(t) + 4), None)
            if label:
                out.append('<text x="%.1f" y="%d">%s</text>' % (x(t0) + 3, base - 3 if h < 14 else base - h + 11,
                                                                 _esc(label)))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_png(svg_text, path):
    """Render an SVG diagram to PNG with cairosvg (which needs libcairo2, as on most desktops)."""
    try:
        import cairosvg
    except OSError as e:  # the Python package is there, the C library is not
        raise RuntimeError("PNG needs the cairo library (Debian/Ubuntu: apt install libcairo2): %s" % e)
    cairosvg.svg2png(bytestring=svg_text.encode(), write_to=str(path))


def _esc(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trace", help="a JSON-lines pin trace (make sim writes build/sim/trace.jsonl)")
    ap.add_argument("--board", default="pico", help="board whose pin map names the pins")
    ap.add_argument("--config", help="the config.json the trace ran with (wins over --board)")
    ap.add_argument("--vcd", help="write a VCD file here")
    ap.add_argument("--svg", help="write an SVG timing diagram here")
    ap.add_argument("--png", help="write the timing diagram as PNG here (cairosvg; needs the cairo library)")
    args = ap.parse_args(argv)
    settings = config.load(args.config) if args.config else config.check({"board": args.board})
    names = outputs(settings)
    trace = hostrun.read_trace(Path(args.trace))
    lanes = changes(trace, names)
    if args.vcd:
        write_vcd(trace, names, args.vcd)
        print("VCD: %s (PulseView: Open, format VCD; or gtkwave %s)" % (args.vcd, args.vcd))
    if args.svg:
        Path(args.svg).write_text(svg(lanes, "%s: %s" % (settings["board"], args.trace)))
        print("Timing diagram: %s (open it in a browser)" % args.svg)
    if args.png:
        try:
            write_png(svg(lanes, "%s: %s" % (settings["board"], args.trace)), args.png)
        except RuntimeError as e:
            print("error: %s" % e)
            return 1
        print("Timing diagram: %s" % args.png)
    if not (args.vcd or args.svg or args.png):
        for name, lane in lanes.items():
            print("%-14s %s" % (name, "  ".join("%.0f:%s" % (t, text) for t, text, _ in lane)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
