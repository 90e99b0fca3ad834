"""Runs at boot: the controller's demo, with every output switched off on any exit."""
import app

app.main()
