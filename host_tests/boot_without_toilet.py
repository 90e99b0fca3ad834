"""main.py with the toilet failing to connect at boot (run with config.json in the working folder)."""
import app
from iot.devices.toilet import Toilet


async def no_answer(self):
    raise OSError("no answer from the relay board")


Toilet.connect = no_answer
app.main()
