"""The type check `make test` runs: each port's own stubs, so what a board lacks fails the build."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import typecheck  # noqa: E402

LACKING = """\
import time
import machine
import threading

time.monotonic()
machine.Pin(2).frobnicate()
"""


@pytest.mark.parametrize("port", typecheck.PORTS)
def test_an_api_the_board_lacks_fails_the_check(tmp_path, port):
    src = tmp_path / "lacking.py"
    src.write_text(LACKING)
    status, report = typecheck.check(port, [src])
    assert status != 0
    assert 'Module has no attribute "monotonic"' in report
    assert '"Pin" has no attribute "frobnicate"' in report
    assert 'module named "threading"' in report


def test_each_port_is_checked_against_its_own_modules(tmp_path):
    src = tmp_path / "pio.py"
    src.write_text("import rp2\n\nrp2.StateMachine(0)\n")
    assert typecheck.check("rp2", [src])[0] == 0
    status, report = typecheck.check("esp32", [src])
    assert status != 0 and 'module named "rp2"' in report
