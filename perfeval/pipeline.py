"""The library API: read a folder of workbooks, check them, score them, write the summary."""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .atomic import write_bytes_atomic
from .cache import Cache, file_digest, output_key
from .checks import Batch, SkippedFile, run_checks
from .config import Settings
from .findings import Finding, FindingCounts, Severity
from .model import WorkbookData
from .read import WORKBOOK_SUFFIXES, read_workbook
from .scoring import Department, LevelScore, compute, rank_departments

SUMMARY_NAME = "绩效评价汇总.xlsx"
FINDINGS_NAME = "findings.csv"
RESULTS_NAME = "perfeval-results.json"  # what `perfeval mail` reads
DEPARTMENTS_DIR = "departments"
REPORTS_DIR = "reports"
CSV_COLUMNS = ("部门名称", "文件", "工作表", "单元格", "代码", "级别", "说明", "填报值", "计算值")
IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}

Progress = Callable[[str], None]


@dataclass
class RunResult(FindingCounts):
    inbox: Path | None
    run_date: date
    departments: list[Department]
    skipped: list[SkippedFile]
    findings: list[Finding]
    outputs: list[Path] = field(default_factory=list)


    @property
    def grades(self) -> dict[str, int]:
        counts = Counter(d.grade for d in self.departments if d.grade)
        return {g: counts.get(g, 0) for g in ("优", "良", "中", "差")}

    def as_json(self) -> dict[str, Any]:
        return {
            "run_date": self.run_date.isoformat(),
            "inbox": str(self.inbox) if self.inbox else None,
            "departments": [department_json(d) for d in self.departments],
            "skipped": [{"file": s.file, "reason": s.reason} for s in self.skipped],
            "findings": [f.as_dict() for f in self.findings],
            "totals": {
                "departments": len(self.departments),
                "errors": self.errors,
                "warnings": self.warnings,
                "infos": self.count(Severity.INFO),
                "grades": self.grades,
            },
            "outputs": [p.name for p in self.outputs],
        }


def _r(x: float | None, digits: int = 6) -> float | None:
    return None if x is None else round(x, digits)


def _level(x: LevelScore) -> dict[str, Any]:
    return {"name": x.name, "weight": _r(x.weight), "score": _r(x.score), "rate": _r(x.rate), "indicators": x.count}


def department_json(d: Department) -> dict[str, Any]:
    return {
        "file": d.file,
        "name": d.name,
        "code": d.code,
        "year": d.year,
        "eval_type": d.eval_type,
        "email": _info_text(d, "email"),
        "contact": _info_text(d, "contact"),
        "readable": d.readable,
        "read_error": d.data.read_error,
        "budget": _r(d.budget),
        "adjusted_budget": _r(d.adjusted),
        "received": _r(d.received),
        "spent": _r(d.spent),
        "balance": _r(d.balance),
        "arrival_rate": _r(d.arrival_rate),
        "execution_rate": _r(d.execution_rate),
        "adjustment_rate": _r(d.adjustment_rate),
        "balance_rate": _r(d.balance_rate),
        "basic_execution_rate": _r(d.basic_rate),
        "project_execution_rate": _r(d.project_rate),
        "total_weight": _r(d.total_weight),
        "total_score": _r(d.total_score),
        "score_rate": _r(d.score_rate),
        "grade": d.grade,
        "rank": d.rank,
        "level1": [_level(x) for x in d.level1],
        "level2": [{"level1": x.parent, **_level(x)} for x in d.level2],
        "errors": d.errors,
        "warnings": d.warnings,
        "findings": [f.as_dict() for f in d.findings],
        "outputs": dict(d.outputs),
    }


def _info_text(d: Department, key: str) -> str:
    cell = d.data.info.get(key)
    return "" if cell is None else cell.text


def discover(inbox: Path, exclude: Iterable[Path] = ()) -> tuple[list[tuple[Path, str]], list[SkippedFile]]:
    """The workbooks of a folder (sorted by name) and the files skipped, with why."""
    excluded = {p.resolve() for p in exclude}
    found: list[tuple[Path, str]] = []
    skipped: list[SkippedFile] = []
    for path in sorted(inbox.iterdir(), key=lambda p: p.name):
        name = path.name
        if path.resolve() in excluded:
            continue
        if path.is_dir():
            skipped.append(SkippedFile(name, "是文件夹，不处理子文件夹中的文件"))
        elif name.startswith("~$") or name.startswith(".~lock."):
            skipped.append(SkippedFile(name, "是 Office/WPS 打开文件时生成的锁定文件"))
        elif name in IGNORED_NAMES or name.startswith("._"):
            skipped.append(SkippedFile(name, "是操作系统生成的文件"))
        elif path.suffix.lower() not in WORKBOOK_SUFFIXES:
            skipped.append(SkippedFile(name, f"不是工作簿（只处理 {'、'.join(WORKBOOK_SUFFIXES)}）"))
        else:
            found.append((path, name))
    return found, skipped


PARALLEL_MIN = 12  # below this many files a process pool costs more than it saves


def _read_one(job: tuple[Path, str, int]) -> WorkbookData:
    path, name, max_bytes = job
    return read_workbook(path, name, max_bytes)


def make_pool(jobs: int):
    """A pool of worker processes for reading and writing; None where one would not pay."""
    workers = min(2, os.cpu_count() or 1)
    if jobs < PARALLEL_MIN or workers < 2:
        return None
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    # fork starts workers with perfeval already imported; nothing here runs threads yet
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def analyze(
    files: list[tuple[Path, str]],
    settings: Settings,
    skipped: list[SkippedFile] | None = None,
    progress: Progress | None = None,
    cache: Cache | None = None,
    pool: Any = None,
) -> tuple[list[Department], list[Finding]]:
    """Read, compute and check a batch; unchanged files come from the cache, the rest from a pool."""
    max_bytes = int(settings.max_file_mb * 1024 * 1024)
    datas: list[WorkbookData | None] = [None] * len(files)
    todo: list[tuple[int, str]] = []
    for i, (path, name) in enumerate(files):
        key = cache.read_key(path, max_bytes) if cache else ""
        hit = cache.get_read(key) if cache else None
        if hit is not None:
            hit.path, hit.file = path, name
            datas[i] = hit
            if progress:
                progress(name)
        else:
            todo.append((i, key))
    jobs = [(files[i][0], files[i][1], max_bytes) for i, _ in todo]
    results = pool.map(_read_one, jobs, chunksize=8) if pool is not None and len(jobs) >= PARALLEL_MIN else map(_read_one, jobs)
    for (i, key), data in zip(todo, results, strict=True):
        datas[i] = data
        if cache:
            cache.put_read(key, data)
        if progress:
            progress(data.file)
    departments = [compute(d, settings) for d in datas if d is not None]
    rank_departments(departments)
    findings = run_checks(Batch(departments, skipped or []), settings)
    return departments, findings


def check_files(paths: list[Path], settings: Settings) -> RunResult:
    """The evaluator's self-check: the same rules over the given files, nothing written."""
    files = [(p, p.name) for p in paths]
    departments, findings = analyze(files, settings)
    return RunResult(None, date.today(), departments, [], findings)


def process(
    inbox: Path,
    outdir: Path,
    settings: Settings,
    run_date: date | None = None,
    progress: Progress | None = None,
    on_stage: Callable[[str, int], None] | None = None,
    reports: bool = True,
    report_template: Path | None = None,
    use_cache: bool = True,
) -> RunResult:
    """Process every workbook in `inbox` and write all outputs into `outdir`.

    `on_stage(label, total)` announces each stage; `progress(name)` ticks within it. Files and
    outputs that did not change since the last run into the same `outdir` are not redone.
    """
    from .names import unique_stems
    from .summary import write_summary

    files, skipped = discover(inbox, exclude=[outdir])
    cache = Cache(outdir) if use_cache else None
    pool = make_pool(len(files))
    try:
        if on_stage:
            on_stage("读取并核对", len(files))
        departments, findings = analyze(files, settings, skipped, progress, cache, pool)
        result = RunResult(inbox, run_date or date.today(), departments, skipped, findings)
        if not departments:
            return result  # nothing to summarize: an earlier summary stays as it was
        outdir.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(outdir)
        jobs, contents = _department_jobs(result, outdir, unique_stems([d.name for d in departments]), reports, report_template, cache)
        if on_stage:
            on_stage("生成部门结果", len(departments))
        pending = [pool.submit(_write_outputs, job) for job in jobs] if pool is not None else []
        summary_path = outdir / SUMMARY_NAME
        summary_key = output_key("summary", result.run_date, contents, [(s.file, s.reason) for s in skipped])
        if not (cache and cache.unchanged(summary_path, SUMMARY_NAME, summary_key)):
            write_summary(result, summary_path)
            if cache:
                cache.record(SUMMARY_NAME, summary_key)
        result.outputs.append(summary_path)
        result.outputs.append(write_bytes_atomic(outdir / FINDINGS_NAME, findings_csv(result.findings)))
        if pool is None:
            for job in jobs:
                _write_outputs(job)
                if progress:
                    progress(job[0].name)
        for future in pending:
            dep_name = future.result()  # re-raises a worker's failure (disk full, …)
            if progress:
                progress(dep_name)
        skipped_count = len(departments) - len(jobs)
        if progress:
            for _ in range(skipped_count):
                progress("")
        if cache:
            cache.save_manifest()
        result.outputs.append(write_bytes_atomic(outdir / RESULTS_NAME, result_json(result).encode("utf-8")))
        return result
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


OutputJob = tuple[Department, date, list[tuple[str, Path]], Path | None]


def _department_jobs(
    result: RunResult, outdir: Path, stems: list[str], reports: bool, template: Path | None, cache: Cache | None
) -> tuple[list[OutputJob], list[dict[str, Any]]]:
    """What to write for each department, leaving out outputs that would come out the same;
    and each department's content (its JSON), which the outputs' cache keys are made of."""
    template_key = file_digest(template) if template else "default"
    jobs, contents = [], []
    for dep, stem in zip(result.departments, stems, strict=True):
        wanted = [("workbook", outdir / DEPARTMENTS_DIR / f"{stem}.xlsx")]
        if reports:
            wanted.append(("report", outdir / REPORTS_DIR / f"{stem}.docx"))
        for kind, path in wanted:
            dep.outputs[kind] = path.relative_to(outdir).as_posix()
        todo = []
        content = department_json(dep)
        contents.append(content)
        for kind, path in wanted:
            rel = dep.outputs[kind]
            key = output_key(kind, result.run_date, template_key if kind == "report" else "", content)
            if cache and cache.unchanged(path, rel, key):
                continue
            todo.append((kind, path))
            if cache:
                cache.record(rel, key)
        if todo:
            jobs.append((dep, result.run_date, todo, template))
    return jobs, contents


def _write_outputs(job: OutputJob) -> str:
    from .department_book import write_department_book

    dep, run_date, todo, template = job
    for kind, path in todo:
        if kind == "workbook":
            write_department_book(dep, path, run_date)
        else:
            from .report import write_report

            write_report(dep, path, run_date, template)
    return dep.name


def remove_stale_temps(outdir: Path) -> None:
    """Temp files a killed run left behind (never a finished output: those have no dot prefix)."""
    for folder in (outdir, outdir / DEPARTMENTS_DIR, outdir / REPORTS_DIR):
        if folder.is_dir():
            for p in folder.glob(".*.tmp"):
                p.unlink(missing_ok=True)


def csv_safe(text: str) -> str:
    """Text that Excel will not run as a formula when it opens the CSV."""
    if text and text[0] in "=+-@\t\r" and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
        return True
    except ValueError:
        return False


def findings_csv(findings: list[Finding]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for f in findings:
        row = (f.department, f.file, f.sheet, f.cell, f.code, f.severity.value, f.message, f.filled, f.computed)
        writer.writerow([csv_safe(str(x)) for x in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def result_json(result: RunResult) -> str:
    return json.dumps(result.as_json(), ensure_ascii=False, indent=2)
