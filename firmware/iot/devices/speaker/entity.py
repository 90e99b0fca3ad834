"""The speaker outside the board: a Home Assistant siren whose tones are the songbook's songs, and its card."""
import json

from iot import IOTError
from iot import program as prog
from iot.devices.speaker import PLAY_SONG, SONGBOOK
from iot.message import MessageType

DEFAULT_TONE = sorted(SONGBOOK)[0]  # what siren.turn_on without a tone plays: the songbook's first song


def configs(device, state, command):
    yield "siren", "", "", {"command_topic": command, "state_topic": state,
                            "state_value_template": "{{ value_json.state }}", "available_tones": sorted(SONGBOOK),
                            "support_duration": False, "support_volume_set": False}


def state(device, status):
    s = dict(status)
    s["state"] = "ON" if status["on"] else "OFF"
    return s


def command(name, device, fields):
    """Home Assistant's JSON ({"state", "tone"}): a siren that is turned on sounds, the tone asked or DEFAULT_TONE;
    -> (message, data), or a program (switched on first, then the song) while the speaker is off."""
    song = fields.get("tone", DEFAULT_TONE)
    for key in fields:
        if key not in ("state", "tone") or key == "tone" and (type(song) is not str or fields["state"] != "ON"):
            raise IOTError("%s: cannot take %s %s" % (name, key, json.dumps(fields[key])))
    if fields["state"] == "OFF":
        return "SWITCH_OFF", ""
    device.check(PLAY_SONG, song)  # a song it does not know is this reply, not a step's
    if device.ready:
        return "PLAY_SONG", song
    return prog.sequence(prog.send(name, MessageType.SWITCH_ON), prog.send(name, PLAY_SONG, song))


def card(device):
    return [{"id": "on", "label": "On", "msg": "SWITCH_ON"}, {"id": "off", "label": "Off", "msg": "SWITCH_OFF"},
            {"id": "songs", "label": "Song", "input": "select", "options": sorted(SONGBOOK)},
            {"id": "play", "label": "Play", "msg": "PLAY_SONG", "with": "songs"},
            {"id": "rtttl", "label": "RTTTL", "input": "text", "value": "beep:d=4,o=5,b=120:c,e,g"},
            {"id": "play-rtttl", "label": "Play RTTTL", "msg": "PLAY_SONG", "with": "rtttl"}]


def card_state(status):
    if not status["on"]:
        return "off", False
    return ("playing %s" % ("%d Hz" % status["hz"] if status["hz"] else "") if status["song"] else "on"), True
