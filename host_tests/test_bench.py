"""make bench's plumbing (its figures are not tested): the suite runs on both interpreters, verdicts are right."""
import sys

import hostrun
import pytest

sys.path.insert(0, str(hostrun.TOOLS / "bench"))
import run as bench  # noqa: E402

pytestmark = pytest.mark.xdist_group("build")  # the bench runs in build/ (its update's slots.d): one worker


def test_the_memory_figures_come_from_micropython_only(interp):
    figures = bench.run_suite(interp, bench.HEAP)
    if interp == "micropython":
        assert set(figures) == {"app_heap_py", "import_alloc_py", "net_heap_py", "page_heap_py", "page_free_py",
                                "page_block_py", "auto_heap_py", "declared_heap_py"}
        assert 1000 < figures["app_heap_py"]["median"] < 1_000_000 and figures["app_heap_py"]["met"] is None
        # the network built on top (MQTT client, bridge, web server) costs more
        assert figures["net_heap_py"]["median"] > figures["app_heap_py"]["median"] + 4000
        # what is left then, and its largest block: judged on the frozen image only (a board's), information here
        assert 0 < figures["page_block_py"]["median"] <= figures["page_free_py"]["median"]
        assert figures["page_free_py"]["met"] is None and figures["page_block_py"]["met"] is None
        assert figures["page_heap_py"]["median"] > figures["net_heap_py"]["median"] + 4000  # microdot and the routes
        assert 1000 < figures["auto_heap_py"]["median"] < 200_000 and figures["auto_heap_py"]["met"] is None
        # 4 relays and 8 sensors: judged on the frozen image only, information here
        assert 1000 < figures["declared_heap_py"]["median"] < 200_000 and figures["declared_heap_py"]["met"] is None
    else:
        assert figures == {}


def fig(key, median, met):
    return {"key": key, "name": key, "unit": "x", "min": median, "median": median, "max": median, "runs": 3,
            "target": ">= 1", "met": met}


def test_each_target_is_marked_met_missed_or_met_on_one_interpreter():
    results = {"cpython": {"a": fig("a", 2, True), "b": fig("b", 0.5, False), "c": fig("c", 2, True)},
               "micropython": {"a": fig("a", 3, True), "b": fig("b", 0.1, False), "c": fig("c", 0.2, False),
                               "d": fig("d", 7, None)}}
    rows = {row[0]: row for row in bench.table(results)}
    assert [rows[k][5] for k in "abcd"] == ["met", "MISSED", "met on CPython only", ""]
    assert rows["d"][2] == "n/a" and rows["a"][3] == "3 (min 3)"


def test_a_day_of_schedules_runs_on_simulated_time_on_both_interpreters(interp):
    figures = bench.run_suite(interp, bench.SCHEDULES, simulated=True)
    assert set(figures) == {"schedule_day", "schedule_slot"}
    assert figures["schedule_slot"]["runs"] == 20 and figures["schedule_slot"]["met"] in (True, False)


def test_an_update_is_timed_on_both_interpreters_and_its_heap_measured_on_micropython(interp):
    figures = bench.run_suite(interp, bench.UPDATE)
    assert 0 <= figures["update_apply_ms"]["median"] < 60_000 and figures["update_apply_ms"]["runs"] == 3
    if interp == "micropython":
        assert 1000 < figures["update_peak_heap"]["median"] < 100_000
        assert 0 < figures["update_stream_heap"]["median"] < figures["update_peak_heap"]["median"]
    else:
        assert set(figures) == {"update_apply_ms"}
    assert not (hostrun.ROOT / "build" / "bench_update.d").exists()  # its folder gone: nothing of it left
