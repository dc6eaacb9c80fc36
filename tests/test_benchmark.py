"""The benchmark script runs end to end (tiny N: this checks the script, it measures nothing)."""

import subprocess
import sys

from .conftest import ROOT


def test_benchmark_script_runs(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_process.py"), "-n", "14", "--runs", "1", "--scale", "2", "--work", str(tmp_path)],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    for line in ("ratio perfeval / floor", "peak RSS", "re-run, unchanged inbox", "perfeval check, one workbook", "scaling 28 / 14 (median of paired runs)"):
        assert line in proc.stdout, proc.stdout
