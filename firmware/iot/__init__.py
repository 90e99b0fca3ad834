"""Smart-home controller firmware: devices on GPIO, a message service and a program runner."""
__version__ = "0.5.0"


class IOTError(Exception):
    """Bad input (device, message, data, program): its text is the one error line a user sees."""


def installed():
    """("frozen", the image's version) when make firmware froze the app into MicroPython, else ("files",
    __version__): its modules are files (make deploy, make run, a host). A frozen module's __file__ is no file."""
    import os

    from iot.compat import unload

    try:
        os.stat(__file__)
    except OSError:
        try:
            from frozen_build import VERSION  # type: ignore[import-not-found]  # written by tools/firmware.py
        except ImportError:  # frozen by a manifest of the user's own
            return "frozen", __version__
        unload("frozen_build")  # read once
        return "frozen", VERSION
    return "files", __version__
