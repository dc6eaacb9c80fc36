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


def test_instruction_stages_run(tmp_path):
    """Every stage bench_instructions.py counts runs (here without valgrind: nothing is counted)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_instructions as bench
        from generate import generate
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    generate(tmp_path / "inbox", 3)
    for stage in ("imports", *bench.STAGES):
        bench.run_stage(stage, tmp_path / "inbox", (20, 10))
