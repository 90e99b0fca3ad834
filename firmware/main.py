"""Runs at boot: the app from its slot (slots.py: an update on trial, or the factory app), with every output
switched off on any exit; an app that fails before it is ready resets the board, which then counts it."""
import sys

# The rp2 port's _boot.py runs in these globals before this file, and imports rp2 (to mount the flash) and
# leaves it: the PIO assembler, which nothing here uses. Let go, as what runs once is; `import rp2` loads it again.
globals().pop("rp2", None)
sys.modules.pop("rp2", None)

import slots

state = slots.boot()
try:
    import app

    app.main(safe=state["safe"])
except Exception as e:  # an update that cannot even start: the next boot rolls it back
    slots.crashed(e)
