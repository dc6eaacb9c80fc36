"""The benchmark script runs end to end (tiny N: this checks the script, it measures nothing)."""

import contextlib
import csv
import io
import json
import subprocess
import sys

import pytest

from .conftest import ROOT


@pytest.mark.slow
def test_benchmark_script_runs(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_process.py"), "-n", "14", "--runs", "1", "--scale", "2", "--work", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    for line in (
        "ratio perfeval / floor",
        "peak RSS",
        "re-run, unchanged inbox",
        "perfeval check, one workbook",
        "scaling 28 / 14 (median of paired runs)",
    ):
        assert line in proc.stdout, proc.stdout


def test_instruction_stages_run(tmp_path, monkeypatch):
    """Every stage bench_instructions.py counts runs and does its work, and no other stage's
    (here without valgrind: nothing is counted). The stages return nothing: spies on what
    each one calls record what it was given and what it made."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_instructions as bench
        from generate import generate
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    import perfeval.cache
    import perfeval.model
    import perfeval.pipeline
    import perfeval.results
    from perfeval import pool
    from perfeval.outputs import department_book, summary

    inbox = tmp_path / "inbox"
    generate(inbox, 3)
    names = sorted(p.name for p in inbox.glob("*.xlsx"))
    assert len(names) == 3
    calls: dict[str, list] = {}

    def spy(owner, name: str, record, around=contextlib.nullcontext) -> None:
        real = getattr(owner, name)

        def wrapper(*args, **kwargs):
            with around() as seen:
                result = real(*args, **kwargs)
            calls.setdefault(name, []).append(record(*args, result=result, seen=seen, **kwargs))
            return result

        monkeypatch.setattr(owner, name, wrapper)

    # each call reduced to what shows the work was done: the files or departments it had, and
    # the start of what it made (b"PK": a workbook)
    spy(bench, "floor_read", lambda paths, result, seen: sorted(p.name for p in paths))
    spy(bench, "floor_write", lambda target, cells, result, seen: (cells, target.getvalue()[:2]))
    spy(
        perfeval.pipeline,
        "analyze",
        lambda files, settings, result, seen, encode=False: (
            sorted(name for _, name in files),
            encode,
            sorted(d.file for d in result[0]),
            all(d.encoded is not None for d in result[0]),
        ),
    )
    spy(perfeval.model, "encode_read", lambda data, result, seen: data.file if json.loads(result)["format"] else None)
    spy(department_book, "department_book_bytes", lambda dep, run_date, result, seen: (dep.file, result[:2]))
    spy(
        summary,
        "write_summary",
        lambda result_, target, result, seen: (sorted(d.file for d in result_.departments), result.read_bytes()[:2]),
    )
    spy(perfeval.results, "department_json_text", lambda dep, result, seen: json.loads(result)["file"])
    spy(perfeval.cache, "output_key", lambda *parts, result, seen: len(result))
    spy(
        perfeval.results,
        "result_json",
        lambda result_, departments, findings, result, seen: (
            sorted(d["file"] for d in json.loads(result)["departments"]),
            len(json.loads(result)["findings"]) == len(findings),
        ),
    )
    spy(
        perfeval.results,
        "findings_csv",
        lambda findings, result, seen: (result[:3], len(list(csv.reader(io.StringIO(result.decode("utf-8-sig"))))) == len(findings) + 1),
    )

    read = {"analyze": [(names, True, names, True)]}
    expected = {
        "imports": {},
        "floor_read": {"floor_read": [names]},
        "floor_write": {"floor_write": [(20 * 3, b"PK"), (10, b"PK"), (10, b"PK"), (10, b"PK")]},
        "read": read,
        "transfer": {**read, "encode_read": names},
        "books": {**read, "department_book_bytes": [(n, b"PK") for n in names]},
        "summary": {**read, "write_summary": [(names, b"PK")]},
        "json": {
            **read,
            "department_json_text": names,
            "output_key": [64] * 3,
            "result_json": [(names, True)],
            "findings_csv": [("\ufeff".encode(), True)],
        },
    }
    assert set(expected) == {"imports", *bench.STAGES}, "a stage this test does not check"
    monkeypatch.chdir(tmp_path)
    kept = pool.PARALLEL_MIN
    for stage, wanted in expected.items():
        calls.clear()
        bench.run_stage(stage, inbox, (20, 10))
        assert calls == wanted, stage
        assert pool.PARALLEL_MIN == kept, f"{stage} left the pool disabled"
    assert not list(tmp_path.glob("*.xlsx")), "the summary stage left a file"
