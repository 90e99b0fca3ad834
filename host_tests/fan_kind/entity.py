"""The fan outside the board: a Home Assistant fan, as the relay kind announces one, and its card on the page in
words of its own."""
from iot.devices.relay.entity import card, command, configs, state  # noqa: F401  (this kind's, as the relay's)


def card_state(status):
    return ("spinning" if status["on"] else "still"), status["on"]
