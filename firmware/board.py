"""Which GPIO drives what (Raspberry Pi Pico pin numbers)."""
NAME = "pico"
PINS = {
    "status_led": 25,  # on-board LED: blinks on every handled message
    "light": 15,  # LED + 330 ohm resistor to GND
    "speaker": 16,  # passive buzzer via an NPN transistor
    "speaker_enable": 17,  # amplifier enable (SD) pin
    "flush": 18,  # relay module IN (flush valve)
    "clean": 19,  # relay module IN (cleaning pump)
}
