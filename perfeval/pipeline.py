"""The library API: read a folder of workbooks, check them, score them, write the summary."""

from __future__ import annotations

import contextlib
import csv
import gc
import hashlib
import io
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .atomic import temp_beside
from .cache import Cache, file_digest, output_key, pickle_read
from .checks import Batch, SkippedFile, check_department, run_checks
from .config import Settings
from .findings import Finding, FindingCounts, Severity
from .read import WORKBOOK_SUFFIXES, read_workbook
from .scoring import Department, LevelScore, compute, rank_departments

SUMMARY_NAME = "绩效评价汇总.xlsx"
FINDINGS_NAME = "findings.csv"
RESULTS_NAME = "perfeval-results.json"  # what `perfeval mail` reads
DEPARTMENTS_DIR = "departments"
REPORTS_DIR = "reports"
CSV_COLUMNS = ("部门名称", "文件", "工作表", "单元格", "代码", "级别", "说明", "填报值", "计算值")
IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
JSON = json.JSONEncoder(ensure_ascii=False)  # json.dumps(…, ensure_ascii=False) makes one per call

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

    def as_json(self, departments: list[Any] | None = None, findings: list[Any] | None = None) -> dict[str, Any]:
        """The run as JSON data; `departments`, `findings`: what to list instead of encoding
        them again (result_json puts in their texts)."""
        return {
            "run_date": self.run_date.isoformat(),
            "inbox": str(self.inbox) if self.inbox else None,
            "departments": departments if departments is not None else [department_json(d) for d in self.departments],
            "skipped": [{"file": s.file, "reason": s.reason} for s in self.skipped],
            "findings": findings if findings is not None else [f.as_dict() for f in self.findings],
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
        **_json_head(d),
        "rank": d.rank,
        **_json_levels(d),
        "errors": d.errors,
        "warnings": d.warnings,
        "findings": [f.as_dict() for f in d.findings],
        "outputs": dict(d.outputs),
    }


def _json_head(d: Department) -> dict[str, Any]:
    """The keys of department_json before "rank": all settled once the department is checked."""
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
    }


def _json_levels(d: Department) -> dict[str, Any]:
    return {"level1": [_level(x) for x in d.level1], "level2": [{"level1": x.parent, **_level(x)} for x in d.level2]}


@dataclass(frozen=True)
class EncodedDepartment:
    """A department's JSON text in the pieces that are settled once it is checked, made in its
    worker process: the keys before "rank", the level scores, and each finding. The main
    process then only puts in the rank, the counts and the output paths (see
    department_json_text), instead of encoding every department between the two stages."""

    head: str  # '{"file": …, "grade": "良"', without the closing brace
    levels: str  # '"level1": […], "level2": […]'
    findings: tuple[Finding, ...]  # what `texts` encode, one by one
    texts: tuple[str, ...]


def encode_department(d: Department, head: str | None = None, levels: str | None = None) -> EncodedDepartment:
    findings = tuple(d.findings)
    return EncodedDepartment(
        JSON.encode(_json_head(d))[:-1] if head is None else head,
        JSON.encode(_json_levels(d))[1:-1] if levels is None else levels,
        findings,
        tuple(JSON.encode(f.as_dict()) for f in findings),
    )


def department_json_text(d: Department) -> str:
    """JSON.encode(department_json(d)), from the pieces its worker made where it can."""
    enc = d.encoded
    if enc is None:
        enc = d.encoded = encode_department(d)
    elif enc.findings != tuple(d.findings):  # the batch rules added some (identical objects compare first by identity)
        enc = d.encoded = encode_department(d, enc.head, enc.levels)
    return (
        f'{enc.head}, "rank": {JSON.encode(d.rank)}, {enc.levels}, "errors": {d.errors}, "warnings": {d.warnings}, '
        f'"findings": [{", ".join(enc.texts)}], "outputs": {JSON.encode(d.outputs)}}}'
    )


def finding_texts(result: RunResult) -> list[str]:
    """Each of the run's findings as JSON text, taken from its department's pieces where made."""
    known: dict[int, str] = {}
    for d in result.departments:
        if d.encoded is not None:
            known.update(zip(map(id, d.encoded.findings), d.encoded.texts, strict=True))
    return [known.get(id(f)) or JSON.encode(f.as_dict()) for f in result.findings]


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
        is_dir = path.is_dir()
        if is_dir and path.resolve() in excluded:  # only a folder can be the output folder
            continue
        if is_dir:
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


@dataclass
class Work:
    """What a worker process needs: handed over once per worker, when it starts (with fork,
    simply inherited), so that a task is just an index and nothing big is pickled per task."""

    files: list[tuple[Path, str]]
    settings: Settings
    cache: Cache | None = None
    jobs: list[OutputJob] = field(default_factory=list)
    # the run, its departments' JSON texts, and the temp files for findings.csv and the results JSON
    side: tuple[RunResult, list[str], tuple[Path, Path]] | None = None
    nice: int = 0  # how much the workers give way to this process (Unix)
    encode: bool = False  # make each department's JSON pieces (for a run that writes results)


_WORK: Work | None = None


_IN_WORKER = False


def _start_worker(work: Work) -> None:
    global _WORK, _IN_WORKER
    _WORK, _IN_WORKER = work, True
    gc.set_threshold(*BATCH_GC)  # spawned workers do not inherit the parent's settings
    if work.nice and hasattr(os, "nice"):
        os.nice(work.nice)


# A batch allocates millions of small objects that live until the end; with the default
# thresholds the cycle collector scans them again and again (it took most of the time spent
# loading results from the workers). Collections still run, just far less often.
BATCH_GC = (100_000, 50, 100)


_gc_depth = 0


@contextlib.contextmanager
def batch_gc() -> Iterator[None]:
    global _gc_depth
    _gc_depth += 1
    if _gc_depth > 1:
        try:
            yield
        finally:
            _gc_depth -= 1
        return
    old = gc.get_threshold()
    gc.freeze()  # what is alive now (modules, settings) is never scanned again, nor copied by forks
    gc.set_threshold(*BATCH_GC)
    try:
        yield
    finally:
        _gc_depth -= 1
        gc.set_threshold(*old)
        gc.unfreeze()


@contextlib.contextmanager
def worker_pool(tasks: int, work: Work) -> Iterator[Any]:
    """A pool of worker processes that know `work`, or None where a pool would not pay."""
    workers = min(2, os.cpu_count() or 1)
    if tasks < PARALLEL_MIN or workers < 2:
        global _WORK
        _WORK = work  # the same task functions then run in this process
        try:
            yield None
        finally:
            _WORK = None
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    # fork: workers start with perfeval imported and `work` already in memory (nothing is
    # pickled); elsewhere (Windows) `work` is pickled once per worker
    context = multiprocessing.get_context(START_METHOD if START_METHOD in methods else None)
    if _gc_depth:
        # objects alive now are never scanned by a forked worker's collector, so the pages they
        # sit on are not copied into each worker just for that (batch_gc unfreezes them at the end)
        gc.freeze()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(work,))
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


START_METHOD = "fork"


def _run(pool: Any, task: Callable[[int], Any], count: int) -> Iterator[Any]:
    """task(0) … task(count - 1), in order: in the pool's workers, or here."""
    if pool is None:
        return map(task, range(count))
    return pool.map(task, range(count), chunksize=max(1, min(16, count // 16)))


def _analyze_one(i: int) -> tuple[Department, bytes | None, str, bool]:
    """Read (or take from the cache), compute and check one workbook: a worker's task.

    Returns the department, its read pickled (for the cache and, from a worker, to travel),
    the read's cache key and whether the read came from the cache. In a worker process the
    department holds only a light copy of the read (see Department.full_data)."""
    assert _WORK is not None
    path, name = _WORK.files[i]
    settings, cache = _WORK.settings, _WORK.cache
    max_bytes = int(settings.max_file_mb * 1024 * 1024)
    try:
        key = cache.read_key(path, max_bytes) if cache else ""
    except OSError:  # gone or unreadable since it was listed: the reader says so, as a finding
        key, cache = "", None
    hit = cache.get_read(key) if cache else None
    if hit is None:
        data = read_workbook(path, name, max_bytes)
        blob = pickle_read(data) if cache or _IN_WORKER else None  # for the cache's pack, or to travel
    else:
        data, blob = hit
        data.path, data.file = path, name
    dep = compute(data, settings)
    check_department(dep, settings)
    if _WORK.encode:
        dep.encoded = encode_department(dep)  # here, where both cores work: see EncodedDepartment
    if _IN_WORKER:
        # the whole read travels as `blob`, and stays pickled until something needs it (a
        # report): the main process unpickles only the light copy in `data`
        dep.data = data.light()
    return dep, blob, key, hit is not None


def analyze(
    files: list[tuple[Path, str]],
    settings: Settings,
    skipped: list[SkippedFile] | None = None,
    progress: Progress | None = None,
    cache: Cache | None = None,
    encode: bool = False,
) -> tuple[list[Department], list[Finding]]:
    """Read, compute and check a batch: each workbook in a worker process (or from the
    cache), then the rules over the whole batch here. `encode`: also make each department's
    JSON pieces (see EncodedDepartment)."""
    departments: list[Department] = []
    reads: dict[str, bytes] = {}  # for the cache: this batch's reads, pickled
    fresh = False  # some were read, not taken from the cache
    with batch_gc(), worker_pool(len(files), Work(files, settings, cache, encode=encode)) as pool:
        for (dep, blob, key, cached), (path, name) in zip(_run(pool, _analyze_one, len(files)), files, strict=True):
            if pool is not None:  # a worker's department: the light copy, and the read pickled
                dep.pickled = blob
                dep.data.path, dep.data.file = path, name
            if cache and blob is not None and key:
                reads[key] = blob
                fresh = fresh or not cached
            departments.append(dep)
            if progress:
                progress(dep.file)
        if _gc_depth > 1:
            # the batch now lives until the end: later collections need not scan it again
            gc.freeze()
    if cache:
        cache.save_reads(reads, fresh)  # one pack; files that left the inbox, or changed, are dropped
    rank_departments(departments)
    findings = run_checks(Batch(departments, skipped or []), settings, departments_checked=True)
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

    files, skipped = discover(inbox, exclude=[outdir])
    cache = Cache(outdir) if use_cache else None
    with batch_gc():
        if on_stage:
            on_stage("读取并核对", len(files))
        departments, findings = analyze(files, settings, skipped, progress, cache, encode=True)
        result = RunResult(inbox, run_date or date.today(), departments, skipped, findings)
        if not departments:
            return result  # nothing to summarize: an earlier summary stays as it was
        outdir.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(outdir)
        jobs, contents = _department_jobs(result, outdir, unique_stems([d.name for d in departments]), reports, report_template, cache)
        if on_stage:
            on_stage("生成部门结果", len(departments))
        summary_path, findings_path, results_path = outdir / SUMMARY_NAME, outdir / FINDINGS_NAME, outdir / RESULTS_NAME
        result.outputs += [summary_path, findings_path]  # what perfeval-results.json lists
        # findings.csv and the results JSON are written by a worker into temp files, renamed
        # here once the summary is written (a failed summary leaves all three old files)
        temps = (temp_beside(findings_path), temp_beside(results_path))
        try:
            targets = (summary_path, findings_path)
            _write_outputs_and_summary(result, settings, files, jobs, contents, targets, temps, cache, progress)
            if progress:
                for _ in range(len(departments) - len(jobs)):
                    progress("")
            if cache:
                cache.save_manifest()
            os.replace(temps[1], results_path)
            result.outputs.append(results_path)
        finally:
            for t in temps:
                t.unlink(missing_ok=True)
        return result


def _write_outputs_and_summary(
    result: RunResult,
    settings: Settings,
    files: list[tuple[Path, str]],
    jobs: list[OutputJob],
    contents: list[str],
    targets: tuple[Path, Path],
    temps: tuple[Path, Path],
    cache: Cache | None,
    progress: Progress | None,
) -> None:
    """The department files and the side files (in the workers), the summary (here); then
    findings.csv takes its place."""
    from .summary import write_summary

    summary_path, findings_path = targets
    # the summary, in this process, is the longest single piece of work: the workers (which
    # write the department files, findings.csv and the results JSON) give way to it
    work = Work(files, settings, jobs=jobs, side=(result, contents, temps), nice=OUTPUT_NICE)
    with worker_pool(len(jobs), work) as pool:
        # the side files go into temp files named here, not back through the pool's pipe:
        # megabytes sent that way would wait for this process, busy with the summary, to read them
        side = pool.submit(_side_files, 0) if pool is not None else None
        done = _run(pool, _write_outputs, len(jobs))
        if pool is None:
            done = list(done)
        shown = hashlib.sha256("\n".join(contents).encode("utf-8")).hexdigest()
        summary_key = output_key("summary", result.run_date, shown, [(s.file, s.reason) for s in result.skipped])
        if not (cache and cache.unchanged(summary_path, SUMMARY_NAME, summary_key)):
            write_summary(result, summary_path)
            if cache:
                cache.record(SUMMARY_NAME, summary_key)
        if side is not None:
            side.result()
        else:
            _side_files(0)
        os.replace(temps[0], findings_path)
        for dep_name in done:  # re-raises a worker's failure (disk full, …)
            if progress:
                progress(dep_name)


OUTPUT_NICE = 5


def _side_files(_: int) -> None:
    """findings.csv and perfeval-results.json, into their temp files: a worker's task."""
    assert _WORK is not None and _WORK.side is not None
    result, contents, (csv_temp, json_temp) = _WORK.side
    csv_temp.write_bytes(findings_csv(result.findings))
    json_temp.write_bytes(result_json(result, contents, finding_texts(result)).encode("utf-8"))


OutputJob = tuple[Department, date, list[tuple[str, Path]], Path | None]


def _department_jobs(
    result: RunResult, outdir: Path, stems: list[str], reports: bool, template: Path | None, cache: Cache | None
) -> tuple[list[OutputJob], list[str]]:
    """What to write for each department, leaving out outputs that would come out the same;
    and each department's content as JSON text (made once: the outputs' cache keys are made of
    it, and perfeval-results.json holds it)."""
    template_key = file_digest(template) if template else "default"
    jobs, contents = [], []
    for dep, stem in zip(result.departments, stems, strict=True):
        wanted = [("workbook", outdir / DEPARTMENTS_DIR / f"{stem}.xlsx")]
        if reports:
            wanted.append(("report", outdir / REPORTS_DIR / f"{stem}.docx"))
        for kind, path in wanted:
            dep.outputs[kind] = path.relative_to(outdir).as_posix()
        todo = []
        content = department_json_text(dep)
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


def _write_outputs(i: int) -> str:
    """Write one department's files: a worker's task."""
    from .department_book import write_department_book

    assert _WORK is not None
    dep, run_date, todo, template = _WORK.jobs[i]
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


def result_json(result: RunResult, departments: list[str] | None = None, findings: list[str] | None = None) -> str:
    """The run as JSON text, one department or finding per line; `departments`, `findings`:
    each one's JSON text, if already made.

    Written by hand around json.dumps without `indent`: that path is json's C encoder, ~10×
    faster than its indenting one on the 10+ MB of a large batch, and the file stays readable."""
    lines = []
    made = {"departments": departments, "findings": findings}
    data = result.as_json([] if departments is not None else None, [] if findings is not None else None)
    for key, value in data.items():
        name = JSON.encode(key)
        texts = made.get(key)
        if texts is None and isinstance(value, list) and value:
            texts = [JSON.encode(v) for v in value]
        if texts:
            items = ",\n    ".join(texts)
            lines.append(f"  {name}: [\n    {items}\n  ]")
        else:
            lines.append(f"  {name}: {JSON.encode(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"
