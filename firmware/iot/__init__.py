"""Smart-home controller firmware: devices on GPIO, a message service and a program runner."""
__version__ = "0.5.0"


class IOTError(Exception):
    """Bad input (device, message, data, program): its text is the one error line a user sees."""
