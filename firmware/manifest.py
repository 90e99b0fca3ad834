# MicroPython's freeze manifest for the app: `make firmware` builds the board's image with it as
# FROZEN_MANIFEST, so the app runs from flash (bytecode, strings and the page in the image, not in the
# heap). Not a module of the app: the board never gets this file (see docs/boards.md#a-firmware-image).
#
# A FROZEN_MANIFEST replaces the board's own, so it starts from the one the port would take: the
# board's manifest.py (RPI_PICO_W's adds network, aioble), else the port's boards/manifest.py (asyncio).
try:
    include("$(BOARD_DIR)/manifest.py")
except Exception as e:
    if not isinstance(e.__context__, FileNotFoundError):  # an error inside the board's manifest is one
        raise
    include("$(PORT_DIR)/boards/manifest.py")

# The app: every module beside this file but main.py, which stays on the filesystem as the user's own.
package("iot")
for name in ("app.py", "boards.py", "config.py", "demo.py", "repl.py", "slots.py"):
    module(name)

# What tools/firmware.py puts beside the build first: microdot as requirements.txt pins it, the page
# gzipped into a bytes constant (webpage.py: served from flash in slices), and the build's version.
package("microdot", base_path="../build/firmware/frozen")
module("webpage.py", base_path="../build/firmware/frozen")
module("frozen_build.py", base_path="../build/firmware/frozen")
