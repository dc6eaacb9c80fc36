"""Messy and hostile input: nothing crashes, nothing is lost, nothing leaks (issue 4)."""

from __future__ import annotations

import hashlib
import os
import resource
import signal
import subprocess
import sys
import time
from datetime import date

import pytest

from perfeval.config import Settings
from perfeval.pipeline import process
from perfeval.read import read_workbook
from perfeval.results import department_json
from perfeval.scoring import compute

from .conftest import CLEAN_FILE, INBOX, ROOT
from .corpus import CLEAN_LIKE, Expect, build_corpus, xml_bomb, zip_bomb

RUN_DATE = date(2024, 3, 1)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from perfeval.fill import fill_template

    folder = tmp_path_factory.mktemp("corpus") / "inbox"

    def make(spec, name, folder):
        return fill_template(folder / name, spec)

    cases = build_corpus(folder, make)
    # one stray value far out of the table is no longer a reason to refuse the file: it is
    # read without it, and S07 names the cell (tests/test_inputs_robust.py)
    cases["远处有值.xlsx"] = Expect("S07", "指标评分”表格以外远处的 BH1048576 有内容，已忽略")
    return folder, cases


@pytest.fixture(scope="module")
def corpus_run(corpus, tmp_path_factory):
    folder, cases = corpus
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}
    out = tmp_path_factory.mktemp("corpus-out")
    result = process(folder, out, Settings(), RUN_DATE)
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}
    assert before == after, "inputs are never modified"
    return result, out


def _clean_figures():
    figures = department_json(compute(read_workbook(CLEAN_FILE, "x.xlsx"), Settings()))
    figures.pop("file")
    figures.pop("findings")
    return figures


def test_every_case_gets_its_finding(corpus, corpus_run):
    _, cases = corpus
    result, _ = corpus_run
    by_file: dict[str, list] = {}
    for f in result.findings:
        by_file.setdefault(f.file, []).append(f)
    for name, expect in cases.items():
        found = by_file.get(name, [])
        if expect.code is None:
            continue
        hits = [f for f in found if f.code == expect.code and expect.fragment in f.message]
        assert hits, (name, [(f.code, f.message) for f in found])
        assert all(f.message and "Traceback" not in f.message for f in found)


def test_clean_like_cases_read_like_the_clean_sample(corpus, corpus_run):
    _, cases = corpus
    result, _ = corpus_run
    clean = _clean_figures()
    for name, expect in cases.items():
        if expect is not CLEAN_LIKE:
            continue
        dep = next(d for d in result.departments if d.file == name)
        figures = department_json(dep)
        # the batch's verdicts (rank, status) differ: every copy of the department carries B01
        for key in ("file", "findings", "errors", "warnings", "rank", "status", "status_reason", "outputs"):
            figures.pop(key)
            clean.pop(key, None)
        assert figures == {k: v for k, v in clean.items() if k in figures}, name
        # the corpus's other departments are copies of this one too: their texts alike (B04)
        assert {f.code for f in dep.findings} <= {"B01", "B04"}, (name, dep.findings)


def test_messy_values_read_as_meant(corpus_run):
    result, _ = corpus_run
    dep = next(d for d in result.departments if d.file == "乱填的数字.xlsx")
    assert dep.name == "兰州新区文化和旅游局" and dep.year == 2023
    assert dep.budget == 4000 and dep.received == 4150 and dep.spent == pytest.approx(4066.5)
    assert dep.total_score == 92.8
    assert {f.code for f in dep.findings} - {"S07", "B01", "B04"} == set(), [(f.code, f.message) for f in dep.findings]


def test_every_department_is_in_the_summary(corpus, corpus_run):
    import openpyxl

    folder, cases = corpus
    result, out = corpus_run
    workbook_cases = [n for n, e in cases.items() if e.code != "B03"]
    assert sorted(d.file for d in result.departments) == sorted(workbook_cases)
    wb = openpyxl.load_workbook(out / "绩效评价汇总.xlsx")
    files = [r[16] for r in wb["总览"].iter_rows(min_row=5, values_only=True) if r[16]]
    assert sorted(files) == sorted(workbook_cases)
    good = [d for d in result.departments if d.readable]
    expected_good = [n for n, e in cases.items() if e.code in (None, "S07", "B01", "B02")]
    assert sorted(d.file for d in good) == sorted(expected_good)
    assert all(d.total_score is not None for d in good)


def _peak_rss_mb_of(code: str) -> tuple[float, float, str]:
    """Run `code` in a fresh interpreter; (seconds, peak RSS in MB, stdout)."""
    proc = subprocess.run(
        # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so it would report pytest's own peak
        [sys.executable, "-c", code + "\nprint('RSS', next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    seconds = float(next(line for line in proc.stdout.splitlines() if line.startswith("T ")).split()[1])
    rss = int(next(line for line in proc.stdout.splitlines() if line.startswith("RSS")).split()[1]) / 1024
    return seconds, rss, proc.stdout


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["zip", "xml"])
def test_bombs_are_rejected_fast_and_small(tmp_path, kind):
    path = zip_bomb(tmp_path / "bomb.xlsx") if kind == "zip" else xml_bomb(tmp_path / "bomb.xlsx")
    if kind == "zip":
        assert path.stat().st_size < 1024 * 1024
    code = (
        "import time\nfrom pathlib import Path\nfrom perfeval.read import read_workbook\n"
        f"t = time.perf_counter()\nd = read_workbook(Path({str(path)!r}))\nprint('T', time.perf_counter() - t)\nprint('E', d.read_error)"
    )
    seconds, rss, stdout = _peak_rss_mb_of(code)
    assert "炸弹" in stdout
    assert seconds < 1.0, seconds
    assert rss < 300, rss


def test_disk_full_keeps_the_previous_summary_and_exits_3(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from perfeval import atomic
    from perfeval.cli import main

    out = tmp_path / "out"
    process(INBOX, out, Settings(), RUN_DATE)
    before = (out / "绩效评价汇总.xlsx").read_bytes()
    real_replace = os.replace

    def full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", full)
    r = CliRunner().invoke(main, ["process", str(INBOX), "-o", str(out), "-q"])
    monkeypatch.setattr(atomic.os, "replace", real_replace)
    assert r.exit_code == 3 and "No space left on device" in r.output
    assert (out / "绩效评价汇总.xlsx").read_bytes() == before
    assert not list(out.rglob(".*.tmp"))


@pytest.mark.slow
def test_killed_run_leaves_the_previous_summary(tmp_path):
    out = tmp_path / "out"
    process(INBOX, out, Settings(), RUN_DATE)
    before = (out / "绩效评价汇总.xlsx").read_bytes()
    # a run that is killed while it writes the summary workbook
    code = (
        "import os, signal\nfrom pathlib import Path\nfrom datetime import date\n"
        "import perfeval.outputs.summary as s\nfrom perfeval.config import Settings\nfrom perfeval.pipeline import process\n"
        "real = s._write\n"
        "def killed(result, path, *rest):\n    real(result, path, *rest)\n    Path(path).write_bytes(Path(path).read_bytes()[:1000])\n    os.kill(os.getpid(), signal.SIGKILL)\n"
        "s._write = killed\n"
        f"process(Path({str(INBOX)!r}), Path({str(out)!r}), Settings(), date(2025, 1, 1))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert (out / "绩效评价汇总.xlsx").read_bytes() == before
    assert (out / ".perfeval-staging").is_dir(), "the killed run left what it staged, not a half summary"
    process(INBOX, out, Settings(), RUN_DATE)
    assert not (out / ".perfeval-staging").exists(), "the next run clears it"


def test_file_size_limit_is_a_setting(tmp_path):
    from perfeval.pipeline import analyze

    small = Settings(max_file_mb=0.001)
    deps, findings = analyze([(CLEAN_FILE, CLEAN_FILE.name)], small)
    assert [f.code for f in findings] == ["S01"] and "文件过大" in findings[0].message
    deps, findings = analyze([(CLEAN_FILE, CLEAN_FILE.name)], Settings())
    assert not findings


def test_empty_inbox_writes_nothing(tmp_path):
    from click.testing import CliRunner

    from perfeval.cli import main

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "readme.txt").write_text("nothing here", encoding="utf-8")
    r = CliRunner().invoke(main, ["process", str(inbox), "-o", str(tmp_path / "out")])
    assert r.exit_code == 0 and "没有可处理的工作簿" in r.output and "readme.txt" in r.output
    assert not (tmp_path / "out").exists()


def test_far_styled_cell_is_fast(tmp_path):
    from .corpus import far_styled_cell

    path = far_styled_cell(tmp_path / "far.xlsx")
    t = time.perf_counter()
    data = read_workbook(path)
    assert time.perf_counter() - t < 2.0
    assert data.read_error is None and len(data.scores) == 24
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 < 2000


def test_huge_numbers_everywhere_never_make_inf(tmp_path):
    """1e308 in every number cell: S08 for each, no inf in any figure, the JSON is strict JSON
    and the summary is written."""
    import json

    from perfeval.fill import fill_template
    from perfeval.results import result_json

    from .conftest import clean_spec

    spec = clean_spec()
    for row in spec["资金情况"]["rows"].values():
        for column in list(row):
            row[column] = 1e308
    for row in spec["指标评分"]:
        row["分值"], row["得分"] = 1e308, 1e308
    spec["评价结论"]["fields"]["评价得分"] = 1e308
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    fill_template(inbox / "大数.xlsx", spec)

    def strict(name: str) -> float:
        raise AssertionError(f"not JSON: {name}")

    result = process(inbox, tmp_path / "out", Settings(), reports=False)
    (dep,) = result.departments
    assert sum(1 for f in dep.findings if f.code == "S08" and "数值超出可能范围" in f.message) >= 10 + 2 * len(spec["指标评分"])
    figures = department_json(dep)
    assert all(v is None for k, v in figures.items() if k.endswith(("rate", "budget")) or k in ("received", "spent", "balance"))
    json.loads(result_json(result), parse_constant=strict)
    assert (tmp_path / "out" / "绩效评价汇总.xlsx").is_file()
