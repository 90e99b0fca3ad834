"""Which copy of the app this boot runs: the factory one (frozen in the image, or the files at the root) or an
update in one of two slots (slots.d/a, slots.d/b), on trial until it reaches "ready"; and safe mode.

main.py calls boot() before anything of the app is imported. Its state is one small file, slots.d/state.json,
always written whole under another name and then renamed over the old one, so a power cut leaves the old
state or the new, never half of one:

    {"active": "b", "version": "0.6.0", "trial": true, "tries": 1, "previous": "a", "previous_version": "0.5.0",
     "failed": 1, "safe": false, "last": null}

- An update (iot.update) is written into the slot not in use, then switch() points at it, on trial.
- A trial boot counts itself (`tries`) before the app is imported; the app calls ready() once its devices
  are registered and the shell and network are up. A boot that finds a trial already tried and never
  ready (it crashed, hung until the watchdog reset the board, or lost its power) goes back to the previous
  slot, said in `last` and in `status` ("rolled back from 0.6.0: ...").
- Every boot counts as failed until ready(): after MAX_FAILED failed boots in a row, whatever the slot, the
  board starts in safe mode (the factory app, every output off, only status, safe off and update answer).
- A new config.json (and secrets.json, when its passwords changed) is tried the same way (stage_config(): `config`
  "staged"): the next boot puts the new files in place and keeps the old ones as config.old.json and
  secrets.old.json (`config` "trial"); the app confirms it once it is ready with its network up
  (config_ready(), within CONFIG_TRIAL_MS, or it restarts); a boot that finds a config trial never confirmed puts
  the old files back, said in `last`. config.old.json stays after a confirmation: `config rollback` stages it.

This module is part of the factory app and never comes from a slot: a slot cannot break the way back.
"""
import json
import os
import sys

ROOT = "slots.d"  # not "slots": a folder of that name would be imported in place of this module
STATE = ROOT + "/state.json"
MAX_FAILED = 3
TRIAL_WDT_MS = 8000  # a trial boot runs under the watchdog (an RP2040's longest is 8.3 s): a hang resets it
CONFIG_TRIAL_MS = 90000  # a config on trial: ready, Wi-Fi joined, the broker connected within this, or rolled back
CONFIG_FILES = ("config.json", "secrets.json", "programs.json")  # what a config trial puts in place: NAME.new.json
# -> NAME.json
FRESH = {"active": None, "version": None, "trial": False, "tries": 0, "previous": None, "previous_version": None,
         "failed": 0, "safe": False, "last": None, "config": None}

_state = None  # this boot's, from boot()


def read():
    """The state on the flash (FRESH when there is none, or it cannot be read: the factory app then runs)."""
    state = dict(FRESH)
    try:
        with open(STATE) as f:
            saved = json.loads(f.read(1024))
        if type(saved) is dict:
            for key in FRESH:
                if key in saved:
                    state[key] = saved[key]
    except (OSError, ValueError):
        pass
    return state


def write(state):
    """The state, atomically: written whole as state.json.tmp, then renamed over state.json."""
    try:
        os.mkdir(ROOT)
    except OSError:
        pass  # there already
    _write_whole(STATE, json.dumps(state))


def _write_whole(path, text):
    """`text` as the file `path`, atomically: written whole as path.tmp, then renamed over it."""
    with open(path + ".tmp", "w") as f:
        f.write(text)
    _rename(path + ".tmp", path)


def boot():
    """This boot: the slot on sys.path (ahead of the factory app), the trial counted or rolled back, the boot
    counted as failed until ready(), safe mode after MAX_FAILED; -> the state."""
    global _state
    state = read()
    state["failed"] += 1
    if state["trial"]:
        if state["tries"] >= 1:
            state["last"] = "rolled back from %s: its trial boot did not reach ready (a crash, a hang or a " \
                            "reset)" % state["version"]
            print("event: update: " + state["last"])
            state.update(active=state["previous"], version=state["previous_version"], trial=False, tries=0,
                         previous=None, previous_version=None)
        else:
            state["tries"] = 1
    _config_boot(state)
    if state["failed"] > MAX_FAILED and not state["safe"]:
        state["safe"] = True
        state["last"] = "safe mode: %d boots in a row did not reach ready" % MAX_FAILED
        print("event: update: " + state["last"])
    write(state)
    if state["active"] is not None and not state["safe"]:
        sys.path.insert(0, ROOT + "/" + state["active"])
    _state = state
    return state


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def _rename(old, new):
    """`old` renamed over `new` (FAT cannot rename over a file; LittleFS, a Pico's and an ESP32's, can)."""
    try:
        os.rename(old, new)
    except OSError:
        os.remove(new)
        os.rename(old, new)


def beside(name, what):
    """A config file's staged ("new") or kept ("old") copy: config.json -> config.new.json."""
    return "%s.%s.json" % (name[:-5], what)


def _config_boot(state):
    """A config trial's step at boot: a staged config put in place (the old one kept beside it), or one tried
    and never confirmed put back. Each file's step can be repeated after a power cut: a .new file is only taken
    while it is there, an .old one only put back while it is."""
    if state["config"] == "staged":
        for name in CONFIG_FILES:
            new, old = beside(name, "new"), beside(name, "old")
            if _exists(new):
                if _exists(name):  # not after a cut between the two renames: the old one is kept already
                    _rename(name, old)
                elif not _exists(old):  # there was none: an empty .old says so, and a rollback removes it again
                    open(old, "w").close()
                _rename(new, name)
        state["config"] = "trial"
        print("event: config: the new config.json is on trial")
    elif state["config"] == "trial":
        for name in CONFIG_FILES:
            old = beside(name, "old")
            if not _exists(old):
                continue
            if os.stat(old)[6]:
                _rename(old, name)
            else:  # the trial brought the file: it goes
                os.remove(old)
                if _exists(name):
                    os.remove(name)
        state["config"] = None
        state["last"] = "config rolled back: the new config.json did not reach ready with its network up"
        print("event: config: " + state["last"])


def stage_config(texts):
    """{file name in CONFIG_FILES: its new text}: written as NAME.new.json, and the next boot tries them. An
    older trial's NAME.old.json of a file not staged now goes: a rollback of this one leaves that file as it is."""
    for name in CONFIG_FILES:
        if name not in texts and _exists(beside(name, "old")):
            os.remove(beside(name, "old"))
    for name in texts:
        _write_whole(beside(name, "new"), texts[name])
    state = read()
    state["config"] = "staged"
    write(state)
    if _state is not None:  # what status() says from now on: the page waits for the restart, not this boot
        _state["config"] = "staged"


def config_trial():
    return _state is not None and _state["config"] == "trial"


def config_ready():
    """The config on trial is confirmed: its old files are kept for `config rollback`."""
    if config_trial():
        _state["config"] = None  # type: ignore[index]  # config_trial(): there is a state
        _state["last"] = "config confirmed"  # type: ignore[index]
        write(_state)


def trial():
    return _state is not None and _state["trial"]


def safe():
    return _state is not None and _state["safe"]


def ready():
    """The app reached ready: this boot did not fail, and a slot on trial is confirmed."""
    if _state is None or (_state["failed"] == 0 and not _state["trial"]):
        return
    if _state["trial"]:
        _state["last"] = "%s confirmed" % _state["version"]
    _state.update(failed=0, trial=False, tries=0)
    write(_state)


def safe_off():
    """Leave safe mode at the next boot."""
    state = read()
    state.update(safe=False, failed=0, last="safe mode left")
    write(state)


def switch(slot, version):
    """An update is whole in `slot`: the next boot runs it, on trial, and can fall back to what runs now."""
    state = read()
    now = _state if _state is not None else state
    state.update(active=slot, version=version, trial=True, tries=0, previous=now["active"],
                 previous_version=now["version"], safe=False, failed=0, last="%s staged in slot %s" % (version, slot))
    write(state)


def spare():
    """The slot an update goes to: not the one running, nor the one a trial would fall back to."""
    state = _state if _state is not None else read()
    return "b" if state["active"] == "a" else "a"


def status():
    """What `status` shows under "update"."""
    state = _state if _state is not None else read()
    return {"slot": state["active"] or "factory", "version": state["version"], "trial": state["trial"],
            "safe": state["safe"], "config": state["config"], "last": state["last"]}


def crashed(error):
    """The app failed before it was ready: said, and on a board a reset, so that the next boot counts it (a
    trial rolls back; a third failure starts safe mode). In safe mode the REPL stays: the factory app failed."""
    print("error: the app failed at boot: %r" % (error,))
    if sys.platform in ("linux", "darwin", "win32") or safe():
        raise error
    import machine

    machine.reset()
