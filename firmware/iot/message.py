"""Messages and message types, as in the seed but without enum or dataclass."""
from iot.compat import const
from iot import IOTError


MAX_LABEL = const(40)


def is_label(text):
    """Whether `text` is a name for people, as Home Assistant shows it (config.json's `label`s): 1 to MAX_LABEL
    characters, none a control character."""
    return type(text) is str and 0 < len(text) <= MAX_LABEL and not [c for c in text if ord(c) < 32]


def digits(text):
    """Whether `text` is one or more ASCII digits: str.isdigit() also takes "\u00b2" (which int() refuses) and, on
    CPython, full-width and other scripts' digits (which int() takes)."""
    if not text:
        return False
    for c in text:
        if not "0" <= c <= "9":
            return False
    return True


def ascii_lower(text):
    """`text` in lower case if it is all ASCII, else "": names are ASCII, and CPython's str.lower()
    and upper() fold other letters into ASCII ones (the ligature "\ufb02" into "fl")."""
    for c in text:
        if ord(c) > 127:
            return ""
    return text.lower()


class MessageType:
    """Plain integer constants with name lookup both ways (`name(1)`, `code("switch_on")`)."""

    SWITCH_ON = const(1)
    SWITCH_OFF = const(2)
    CHANGE_COLOR = const(3)
    PLAY_SONG = const(4)
    OPEN = const(5)
    CLOSE = const(6)
    FLUSH = const(7)
    CLEAN = const(8)

    NAMES = ("SWITCH_ON", "SWITCH_OFF", "CHANGE_COLOR", "PLAY_SONG", "OPEN", "CLOSE", "FLUSH", "CLEAN")

    @staticmethod
    def name(code):
        if type(code) is int and 1 <= code <= len(MessageType.NAMES):
            return MessageType.NAMES[code - 1]
        raise IOTError("unknown message type %r" % (code,))

    @staticmethod
    def code(name):
        """Accepts a code or a name in any case ("switch_on", "SWITCH_ON")."""
        if type(name) is int:
            if 1 <= name <= len(MessageType.NAMES):
                return name
            raise IOTError("unknown message type %r" % (name,))
        if type(name) is str:
            if name in MessageType.NAMES:  # as programs spell them: no walk over the letters
                return MessageType.NAMES.index(name) + 1
            upper = ascii_lower(name).upper()
            for i, n in enumerate(MessageType.NAMES):
                if n == upper:
                    return i + 1
            name = upper or name
        raise IOTError("unknown message type %r" % (name,))


class Message:
    """What the service routes to a device: Message(device_id, msg_type, data="")."""

    def __init__(self, device_id, msg_type, data=""):
        self.device_id = device_id
        self.msg_type = msg_type
        self.data = data

    def __eq__(self, other):
        return (
            isinstance(other, Message)
            and self.device_id == other.device_id
            and self.msg_type == other.msg_type
            and self.data == other.data
        )

    def __repr__(self):
        return "Message(%r, %s, %r)" % (self.device_id, MessageType.name(self.msg_type), self.data)
