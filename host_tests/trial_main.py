"""main.py with a config's trial cut to a few seconds (slots.CONFIG_TRIAL_MS), so that a test sees a rollback soon."""
import slots

slots.CONFIG_TRIAL_MS = 4000
import main  # noqa: E402,F401  (main.py boots as it is imported)
