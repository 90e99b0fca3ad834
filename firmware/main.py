"""Runs at boot: the app from its slot (slots.py: an update on trial, or the factory app), with every output
switched off on any exit; an app that fails before it is ready resets the board, which then counts it."""
import slots

state = slots.boot()
try:
    import app

    app.main(safe=state["safe"])
except Exception as e:  # an update that cannot even start: the next boot rolls it back
    slots.crashed(e)
