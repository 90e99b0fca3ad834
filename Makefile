# Host-side entry points. `make sim` and `make test` each build .venv from the
# pinned requirements.txt on first use; nothing is installed by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < requirements.txt | cut -d' ' -f1)
BOARD ?= pico
# Board targets: PORT (default: the first board mpremote finds), FIRMWARE=image, CONFIG=config.json, DRY_RUN=1,
# APP=frozen|files (deploy: default, ask the board whether its image has the app frozen in).
BOARD_TOOL = $(BIN)/python tools/board.py --board $(BOARD) $(if $(PORT),--port $(PORT)) \
	$(if $(FIRMWARE),--firmware $(FIRMWARE)) $(if $(FIRMWARE_SHA256),--sha256 $(FIRMWARE_SHA256)) \
	$(if $(CONFIG),--config $(CONFIG)) $(if $(SECRETS),--secrets $(SECRETS)) $(if $(APP),--app $(APP)) \
	$(if $(filter 1,$(DRY_RUN)),--dry-run)
# Wi-Fi and MQTT passwords: secrets.json in the checkout (git ignores it) goes onto the board with make deploy.
SECRETS ?= $(wildcard secrets.json)

.PHONY: help venv sim test mpy typecheck bench clean firmware flash deploy run repl reset test-board test-ha mip bundle ota \
	backup restore

help:
	@echo "make sim     the seed demo, then the command shell, on the host MicroPython with simulated pins (MQTT=host:port, WEB=port)"
	@echo "             (BOARD=pico|pico_w|pico2|pico2_w|esp32_devkitc, CONFIG=file, DEMO=0, FAST=1: simulated time)"
	@echo "make test    compile firmware with mpy-cross, run the suite on CPython and MicroPython (LOAD=4: beside 4 busy processes)"
	@echo "make mpy     compile every firmware file to build/mpy with mpy-cross"
	@echo "make typecheck  mypy on firmware/ against the rp2 and esp32 MicroPython stubs"
	@echo "make bench   benchmark figures on CPython and MicroPython side by side, targets met or missed"
	@echo "             (PORT=...: on that board too, as a third column; its relays switch)"
	@echo "make firmware  MicroPython with the app frozen in: build/firmware/BOARD/firmware.uf2 (BOARD, MICROPY_DIR=checkout)"
	@echo "make flash   MicroPython (make firmware's image, else the release), then the app (BOARD, PORT, FIRMWARE=image, DRY_RUN=1)"
	@echo "make deploy  the app as .mpy onto the board with mpremote, changed files only (BOARD, PORT, CONFIG, SECRETS)"
	@echo "make run     run firmware/ on the board from this machine (mpremote mount), nothing copied"
	@echo "make mip     the app's sources onto the board with mpremote mip: MIP_REPO=owner/name (your fork), else this checkout"
	@echo "make repl    the board's REPL; make reset: reset it"
	@echo "make bundle  the app as a signed update bundle: build/bundle/iot-VERSION.bundle (secrets.json's update_key)"
	@echo "make ota HOST=ip  that bundle to the board's web page, on trial from its next reset (WEB_PORT, BUNDLE)"
	@echo "make backup HOST=ip  the board's config, programs and settings to backup-HOST.json (WEB_PORT, PASSWORD, OUT)"
	@echo "make restore HOST=ip FILE=backup.json  onto a board, applied on trial (docs/provisioning.md)"
	@echo "make test-board PORT=...  acceptance run on the board through its console (BOARD, GPIO_LOG=pin log,"
	@echo "             PRESS='command pressing the test button {pin}'; else you are asked to press it;"
	@echo "             SENSORS=path/to/pico-emu: the emulated Pico's parts set from outside)"
	@echo "make clean   remove build/ and .venv/"

$(STAMP): requirements.txt
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

venv: $(STAMP)

sim: $(STAMP)
	$(BIN)/python tools/sim.py --board $(BOARD) $(if $(CONFIG),--config $(CONFIG)) $(if $(filter 0,$(DEMO)),--no-demo) \
		$(if $(filter 1,$(FAST)),--fast) $(if $(MAIN),--main $(MAIN)) $(if $(MQTT),--mqtt $(MQTT)) $(if $(WEB),--web $(WEB))

# The app frozen into MicroPython: from MICROPY_DIR=checkout, else the offline kit beside this checkout.
bundle: $(STAMP)
	$(BIN)/python tools/bundle.py build --board $(BOARD) $(if $(SECRETS),--secrets $(SECRETS))

backup: $(STAMP)
	$(BIN)/python tools/backup.py save $(HOST) $(if $(WEB_PORT),--port $(WEB_PORT)) \
		$(if $(PASSWORD),--password $(PASSWORD)) $(if $(OUT),--out $(OUT))

restore: $(STAMP)
	$(BIN)/python tools/backup.py restore $(HOST) $(FILE) $(if $(WEB_PORT),--port $(WEB_PORT)) \
		$(if $(PASSWORD),--password $(PASSWORD))

ota: $(STAMP)
	$(BIN)/python tools/bundle.py ota $(HOST) --board $(BOARD) $(if $(SECRETS),--secrets $(SECRETS)) \
		$(if $(WEB_PORT),--port $(WEB_PORT)) $(if $(BUNDLE),--bundle $(BUNDLE))

firmware: $(STAMP)
	$(BIN)/python tools/firmware.py --board $(BOARD) $(if $(MICROPY_DIR),--micropy-dir $(MICROPY_DIR)) $(if $(filter 1,$(DRY_RUN)),--dry-run)

flash deploy run repl reset: $(STAMP)
	$(BOARD_TOOL) $@

# On-board acceptance run: deploys, resets, checks the console (and pins, given the emulator's GPIO_LOG).
test-board: $(STAMP)
	$(BIN)/python tools/board_test.py --board $(BOARD) $(if $(PORT),--port $(PORT)) $(if $(GPIO_LOG),--gpio-log $(GPIO_LOG)) \
		$(if $(PRESS),--press "$(PRESS)") $(if $(SENSORS),--sensors "$(SENSORS)")

# mip reads package.json, whose file URLs are relative to it: the same file serves this checkout and any fork.
mip: $(STAMP)
	$(BIN)/mpremote $(if $(PORT),connect $(PORT)) mip install $(if $(MIP_REPO),github:$(MIP_REPO),package.json)

# Every firmware file must compile for the board; any error fails the build (unchanged files come from a cache).
mpy: $(STAMP)
	@$(BIN)/python tools/board.py mpy

# An API the board lacks fails the build: firmware/ against each port's MicroPython stubs.
typecheck: $(STAMP)
	$(BIN)/python tools/typecheck.py

# LOAD=N: the suite beside N busy processes, to see that no machine load can turn it red. Six workers a core (at
# most 24): most tests wait on real time (brokers, a browser, timeouts), and waits overlap; the tests that share
# build/ run in one of them (--dist loadgroup); bytecode is cached, whatever the environment says, as the workers and
# every CPython the tests start would otherwise compile the same modules again.
WORKERS ?= $(shell $(PYTHON) -c 'import os; print(min(24, 6 * (os.cpu_count() or 2)))')
test: mpy typecheck
	$(if $(LOAD),$(BIN)/python tools/under_load.py $(LOAD)) env PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest \
		-n $(WORKERS) --dist loadgroup -m "not ha_core" host_tests

# Home Assistant Core itself, two pinned versions (tools/ha_core.py; venvs cached in ~/.cache/iot-ha).
test-ha: $(STAMP)
	env PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n 2 --dist loadgroup -m ha_core host_tests/test_ha_core.py

# Figures, not tests: tools/bench/suite.py on both interpreters; JSON in build/bench/results.json.
bench: mpy
	$(BIN)/python tools/bench/run.py $(if $(PORT),--port $(PORT) --board $(BOARD))

clean:
	rm -rf build $(VENV)
