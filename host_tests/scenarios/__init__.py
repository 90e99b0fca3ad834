"""Scenarios: firmware code run identically on CPython and the MicroPython unix port."""
