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
