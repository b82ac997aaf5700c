"""The benchmark's memory figures are each process's own: a worst-case input measured in a
fresh process started by a bench that has grown large reports what rendering that input took,
not the bench's size (``make bench`` printed 484 MB for every worst case, the size the bench
had reached, before peaks were read from ``VmHWM``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_a_worst_case_started_by_a_large_process_reports_its_own_peak_memory():
    ballast = b"\x01" * (400 << 20)  # 400 MiB, every page touched: resident in this process
    done = subprocess.run([sys.executable, str(BENCH / "worst_case.py"), "--case",
                           "inline-styles"], capture_output=True, text=True, timeout=120,
                          check=True)
    del ballast
    result = json.loads(done.stdout)
    assert result["outcome"].startswith("refused: ConversionError")
    assert 20 < result["peak_rss_mb"] < 200, result


def test_the_cold_start_is_reported_beside_the_previous_commit_measured_with_it():
    """The machine's speed moves the cold start's median by 150 ms between runs of the same
    code, so the bench runs the previous commit's cold start interleaved with the current one
    and prints it, with the median of the pairwise differences, beside the figure."""
    sys.path.insert(0, str(BENCH))
    import run

    measured = {"previous_cold_start_commit": "17f7505",
                "previous_cold_start_cpu_ms_median": 500.5,
                "cold_start_cpu_ms_change_median": -22.3,
                "previous_snapstart_restore_first_event_cpu_ms_median": 101.0,
                "snapstart_restore_first_event_cpu_ms_change_median": 4.0}
    assert run._beside_previous(measured, "cold_start") == (
        "17f7505, interleaved: 500.5 ms; median of the pairwise differences -22.3 ms")
    assert run._beside_previous(measured, "snapstart_restore_first_event").endswith(
        "101.0 ms; median of the pairwise differences +4.0 ms")
    assert run._beside_previous({}, "cold_start") == (
        "previous commit not measured (no git history)")
