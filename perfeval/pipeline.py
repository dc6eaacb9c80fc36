"""The run, as a library: read a folder of workbooks, check and score them, write the outputs.

discover (inbox) → read + compute + check each workbook (workers, pool) → batch rules, rank
→ per-department outputs (workers) and the summary (here) → findings.csv, results JSON
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from . import pool
from .atomic import temp_beside
from .cache import Cache, output_key, pickle_read
from .checks import Batch, check_department, run_checks
from .config import Settings
from .inbox import discover
from .model import Department, Finding, SkippedFile
from .outputs import (
    DEPARTMENT_OUTPUTS,
    FINDINGS_NAME,
    OUTPUTS_BY_KIND,
    RESULTS_NAME,
    SUMMARY_NAME,
    OutputOptions,
)
from .read import read_workbook
from .results import RunResult, department_json_text, encode_department, finding_texts, findings_csv, result_json
from .scoring import compute, rank_departments, settle_status

Progress = Callable[[str], None]

OUTPUT_NICE = 5  # the workers writing department files give way to the summary, written here


@dataclass
class Work:
    """What a worker process is handed (see pool.worker_pool)."""

    files: list[tuple[Path, str]]
    settings: Settings
    cache: Cache | None = None
    encode: bool = False  # make each department's JSON pieces (for a run that writes results)
    jobs: list[OutputJob] = field(default_factory=list)
    options: OutputOptions = OutputOptions()
    # the run, its departments' JSON texts, and the temp files for findings.csv and the results JSON
    side: tuple[RunResult, list[str], tuple[Path, Path]] | None = None


def _analyze_one(i: int) -> tuple[Department, bytes | None, str, bool]:
    """Read (or take from the cache), compute and check one workbook: a worker's task.

    Returns the department, its read pickled (for the cache and, from a worker, to travel),
    the read's cache key and whether the read came from the cache. In a worker process the
    department holds only a light copy of the read (see Department.full_data)."""
    work: Work = pool.work()
    path, name = work.files[i]
    settings, cache = work.settings, work.cache
    max_bytes = int(settings.max_file_mb * 1024 * 1024)
    try:
        key = cache.read_key(path, max_bytes) if cache else ""
    except OSError:  # gone or unreadable since it was listed: the reader says so, as a finding
        key, cache = "", None
    hit = cache.get_read(key) if cache else None
    if hit is None:
        data = read_workbook(path, name, max_bytes)
        blob = pickle_read(data) if cache or pool.in_worker() else None  # for the cache's pack, or to travel
    else:
        data, blob = hit
        data.path, data.file = path, name
    dep = compute(data, settings)
    check_department(dep, settings)
    if work.encode:
        dep.encoded = encode_department(dep)  # here, where both cores work: see EncodedDepartment
    if pool.in_worker():
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
    with pool.worker_pool(len(files), Work(files, settings, cache, encode=encode)) as workers:
        for (dep, blob, key, cached), (path, name) in zip(pool.run_tasks(workers, _analyze_one, len(files)), files, strict=True):
            if workers is not None:  # a worker's department: the light copy, and the read pickled
                dep.pickled = blob
                dep.data.path, dep.data.file = path, name
            if cache and blob is not None and key:
                reads[key] = blob
                fresh = fresh or not cached
            departments.append(dep)
            if progress:
                progress(dep.file)
        pool.settle()  # the batch now lives until the end
    if cache:
        cache.save_reads(reads, fresh)  # one pack; files that left the inbox, or changed, are dropped
    findings = run_checks(Batch(departments, skipped or []), settings, departments_checked=True)
    for dep in departments:
        settle_status(dep)  # its findings are all known now, the batch rules' too
    rank_departments(departments)
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

    options = OutputOptions(reports, report_template)
    files, skipped = discover(inbox, exclude=[outdir])
    cache = Cache(outdir) if use_cache else None
    if on_stage:
        on_stage("读取并核对", len(files))
    departments, findings = analyze(files, settings, skipped, progress, cache, encode=True)
    result = RunResult(inbox, run_date or date.today(), departments, skipped, findings)
    if not departments:
        return result  # nothing to summarize: an earlier summary stays as it was
    outdir.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(outdir)
    jobs, contents = _department_jobs(result, outdir, unique_stems([d.name for d in departments]), options, cache)
    if on_stage:
        on_stage("生成部门结果", len(departments))
    summary_path, findings_path, results_path = outdir / SUMMARY_NAME, outdir / FINDINGS_NAME, outdir / RESULTS_NAME
    result.outputs += [summary_path, findings_path]  # what perfeval-results.json lists
    # findings.csv and the results JSON are written by a worker into temp files, renamed
    # here once the summary is written (a failed summary leaves all three old files)
    temps = (temp_beside(findings_path), temp_beside(results_path))
    try:
        work = Work(files, settings, jobs=jobs, options=options, side=(result, contents, temps))
        _write_outputs_and_summary(result, work, (summary_path, findings_path), cache, progress)
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
    result: RunResult, work: Work, targets: tuple[Path, Path], cache: Cache | None, progress: Progress | None
) -> None:
    """The department files and the side files (in the workers), the summary (here); then
    findings.csv takes its place."""
    from .outputs.summary import write_summary

    summary_path, findings_path = targets
    assert work.side is not None
    _, contents, temps = work.side
    # the summary, in this process, is the longest single piece of work: the workers (which
    # write the department files, findings.csv and the results JSON) give way to it
    with pool.worker_pool(len(work.jobs), work, nice=OUTPUT_NICE) as workers:
        # the side files go into temp files named here, not back through the pool's pipe:
        # megabytes sent that way would wait for this process, busy with the summary, to read them
        side = workers.submit(_side_files, 0) if workers is not None else None
        done = pool.run_tasks(workers, _write_outputs, len(work.jobs))
        if workers is None:
            done = iter(list(done))  # run now: the summary below is written after them, as in a pool
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


def _side_files(_: int) -> None:
    """findings.csv and perfeval-results.json, into their temp files: a worker's task."""
    work: Work = pool.work()
    assert work.side is not None
    result, contents, (csv_temp, json_temp) = work.side
    csv_temp.write_bytes(findings_csv(result.findings))
    json_temp.write_bytes(result_json(result, contents, finding_texts(result)).encode("utf-8"))


OutputJob = tuple[Department, date, list[tuple[str, Path]]]


def _department_jobs(
    result: RunResult, outdir: Path, stems: list[str], options: OutputOptions, cache: Cache | None
) -> tuple[list[OutputJob], list[str]]:
    """What to write for each department, leaving out outputs that would come out the same;
    and each department's content as JSON text (made once: the outputs' cache keys are made of
    it, and perfeval-results.json holds it)."""
    wanted_outputs = [o for o in DEPARTMENT_OUTPUTS if o.wanted(options)]
    variants = {o.kind: o.variant(options) for o in wanted_outputs}
    jobs, contents = [], []
    for dep, stem in zip(result.departments, stems, strict=True):
        wanted = [(o.kind, outdir / o.folder / f"{stem}{o.suffix}") for o in wanted_outputs]
        for kind, path in wanted:
            dep.outputs[kind] = path.relative_to(outdir).as_posix()
        todo = []
        content = department_json_text(dep)
        contents.append(content)
        for kind, path in wanted:
            rel = dep.outputs[kind]
            key = output_key(kind, result.run_date, variants[kind], content)
            if cache and cache.unchanged(path, rel, key):
                continue
            todo.append((kind, path))
            if cache:
                cache.record(rel, key)
        if todo:
            jobs.append((dep, result.run_date, todo))
    return jobs, contents


def _write_outputs(i: int) -> str:
    """Write one department's files: a worker's task."""
    work: Work = pool.work()
    dep, run_date, todo = work.jobs[i]
    for kind, path in todo:
        OUTPUTS_BY_KIND[kind].write(dep, path, run_date, work.options)
    return dep.name


def remove_stale_temps(outdir: Path) -> None:
    """Temp files a killed run left behind (never a finished output: those have no dot prefix)."""
    for folder in (outdir, *(outdir / o.folder for o in DEPARTMENT_OUTPUTS)):
        if folder.is_dir():
            for p in folder.glob(".*.tmp"):
                p.unlink(missing_ok=True)
