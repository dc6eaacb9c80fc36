"""The run, as a library: read a folder of workbooks, check and score them, write the outputs.

discover (inbox) → read + compute + check each workbook (workers, pool) → batch rules, rank
→ per-department outputs (workers) and the summary (here) → findings.csv, results JSON
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from . import pool
from .cache import Cache, output_key
from .checks import Batch, check_department, run_checks
from .config import Settings
from .inbox import discover
from .model import Department, Finding, SkippedFile, WorkbookData, encode_read
from .outputs import (
    DEPARTMENT_OUTPUTS,
    FINDINGS_NAME,
    OUTPUTS_BY_KIND,
    RESULTS_NAME,
    SUMMARY_NAME,
    OutputOptions,
)
from .publish import Entry, FolderLock, OutputSet, recover
from .read import read_bytes, read_workbook
from .results import RunResult, department_json_text, encode_department, finding_texts, findings_csv, result_json_pieces
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
    # the run, the digest of its departments' JSON texts, and the set its outputs are staged in
    side: tuple[RunResult, str, OutputSet] | None = None
    made_folders: set[Path] = field(default_factory=set)  # staging folders made (by this process): one mkdir each


def _analyze_one(i: int) -> tuple[Department, bytes | None, str, bool]:
    """Read (or take from the cache), compute and check one workbook: a worker's task.

    Returns the department, its read as plain data (for the cache and, from a worker, to
    travel), the read's cache key and whether the read came from the cache. In a worker
    process the department holds only a light copy of the read (see Department.full_data)."""
    work: Work = pool.work()
    path, name = work.files[i]
    settings, cache = work.settings, work.cache
    try:
        data, blob, key, cached, digest = _read_one(path, name, settings, cache)
        dep = compute(data, settings)
        check_department(dep, settings)
        dep.source_sha256 = digest
        dep.take_texts()
    except Exception as exc:  # noqa: BLE001 - one file never stops the batch: it is an S01
        data = WorkbookData(path, name, read_error=f"处理此文件时出错（{type(exc).__name__}: {str(exc)[:200]}），请把文件发给技术支持")
        blob, key, cached = None, "", False
        dep = compute(data, settings)
        check_department(dep, settings)
    if work.encode:
        dep.encoded = encode_department(dep)  # here, where both cores work: see EncodedDepartment
    if pool.in_worker():
        # the whole read travels as `blob`, and stays encoded until something needs it (a
        # report): the main process decodes only the light copy in `data`
        if blob is None:
            blob = encode_read(data)
        dep.data = data.light()
    return dep, blob, key, cached


def _read_one(path: Path, name: str, settings: Settings, cache: Cache | None) -> tuple[WorkbookData, bytes | None, str, bool, str]:
    """The read of one file, from the cache where it holds one for these very bytes: the file
    is read once, and those bytes are both hashed (the cache key, the history's record of the
    source) and parsed."""
    max_bytes = int(settings.max_file_mb * 1024 * 1024)
    content, reason = read_bytes(path, max_bytes)
    if content is None:
        return WorkbookData(path, name, read_error=reason), None, "", False, ""
    sha = hashlib.sha256(content).digest()
    digest = sha.hex()
    key = cache.read_key(path, sha, max_bytes, settings.profiles) if cache else ""
    hit = cache.get_read(key, path, name) if cache else None
    if hit is not None:
        return hit[0], hit[1], key, True, digest
    data = read_workbook(path, name, max_bytes, content=content, profiles=settings.profiles)
    blob = encode_read(data) if cache else None
    return data, blob, key, False, digest


def analyze(
    files: list[tuple[Path, str]],
    settings: Settings,
    skipped: list[SkippedFile] | None = None,
    progress: Progress | None = None,
    cache: Cache | None = None,
    encode: bool = False,
    before_batch: Callable[[list[Department]], None] | None = None,
) -> tuple[list[Department], list[Finding]]:
    """Read, compute and check a batch: each workbook in a worker process (or from the
    cache), then the rules over the whole batch here. `encode`: also make each department's
    JSON pieces (see EncodedDepartment). `before_batch(departments)`: called before the batch
    rules (the results history gives each department its earlier years there)."""
    departments: list[Department] = []
    # for the cache: each read into its pack as it arrives, not all held until the end
    pack = cache.pack_writer() if cache else None
    with pool.worker_pool(len(files), Work(files, settings, cache, encode=encode)) as workers:
        for (dep, blob, key, cached), (path, name) in zip(pool.run_tasks(workers, _analyze_one, len(files)), files, strict=True):
            kept = pack.add(key, blob, cached) if pack is not None and blob is not None and key else blob
            if workers is not None:  # a worker's department: the light copy, and the whole read encoded
                dep.packed, dep.read_key = kept, key
                dep.data.path, dep.data.file = path, name
            departments.append(dep)
            if progress:
                progress(dep.file)
        pool.settle()  # the batch now lives until the end
    if pack is not None:  # the pack holds the batch's reads now; files that left the inbox, or changed, are dropped
        where = pack.finish()
        for dep in departments:
            if dep.packed is not None and dep.read_key in where:
                dep.packed = where[dep.read_key]
    if before_batch is not None:
        before_batch(departments)
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
    wait: bool = False,
    on_wait: Callable[[str], None] | None = None,
    history: Path | None = None,
) -> RunResult:
    """Process every workbook in `inbox` and publish all outputs in `outdir`, as one set.

    `on_stage(label, total)` announces each stage; `progress(name)` ticks within it. Files and
    outputs that did not change since the last run into the same `outdir` are not redone. One
    run at a time writes into `outdir`: publish.Busy if another holds it (or, with `wait`,
    wait for it, after `on_wait(message)`). OSError if `outdir` cannot be written, found
    before any work; until the run is complete, the previous outputs stay as they were.

    `history`: the results history to compare with and record into (see history.py); a
    history that cannot be used is reported in `RunResult.history_error`, and the outputs are
    written all the same, without the comparison.
    """
    run_date = run_date or date.today()
    files, skipped = discover(inbox, exclude=[outdir])
    if not files:  # nothing to summarize: nothing is written, the earlier set stays as it was
        return RunResult(inbox, run_date, [], skipped, analyze([], settings, skipped)[1])
    outdir.mkdir(parents=True, exist_ok=True)
    with FolderLock(outdir, wait, on_wait):
        recover(outdir)  # a publish a killed run left half done is finished first
        remove_stale_temps(outdir)
        cache = Cache(outdir) if use_cache else None
        if on_stage:
            on_stage("读取并核对", len(files))
        used = _HistoryUse(history)
        try:
            departments, findings = analyze(files, settings, skipped, progress, cache, encode=True, before_batch=used.attach)
            result = RunResult(inbox, run_date, departments, skipped, findings, history=history)
            used.record(result, outdir)
        finally:
            used.close()
        owned = tuple((o.folder, o.suffix) for o in DEPARTMENT_OUTPUTS)
        outputs = OutputSet(outdir, owned, run={"inbox": str(inbox.resolve()), "date": run_date.isoformat()})
        try:
            _publish(
                result,
                files,
                settings,
                OutputOptions(reports, report_template, settings.organization),
                outputs,
                use_cache,
                on_stage,
                progress,
            )
        finally:
            outputs.discard()  # what a failed run staged; nothing, once the set is published
    return result


class _HistoryUse:
    """A run's use of the results history (none where `path` is None): each department's
    earlier years before the batch rules (B05 compares with them), then the 整改 marks and this
    run recorded (before the outputs are written: they say what was recorded). A history that
    cannot be used is an error of the run's (RunResult.history_error), never of its outputs."""

    def __init__(self, path: Path | None):
        from .historydb import History, HistoryError

        self.db: History | None = None
        self.error = ""
        if path is not None:
            try:
                self.db = History(path)
            except HistoryError as exc:
                self.error = str(exc)

    def attach(self, departments: list[Department]) -> None:
        from .historydb import HistoryError, attach_earlier

        if self.db is not None:
            try:
                attach_earlier(self.db, departments)
            except HistoryError as exc:
                self.error = str(exc)
                self.close()

    def record(self, result: RunResult, outdir: Path) -> None:
        from .historydb import HistoryError, mark_repeats

        mark_repeats(result)
        if self.db is not None:
            try:
                result.history_recorded = self.db.record(result, outdir)
            except HistoryError as exc:
                self.error = str(exc)
        result.history_error = self.error

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None


def _publish(
    result: RunResult,
    files: list[tuple[Path, str]],
    settings: Settings,
    options: OutputOptions,
    outputs: OutputSet,
    use_cache: bool,
    on_stage: Callable[[str, int], None] | None,
    progress: Progress | None,
) -> None:
    """Write what changed into the staging folder, then publish the set."""
    from .names import unique_stems

    departments = result.departments
    jobs, shown = _department_jobs(result, unique_stems([d.name for d in departments]), options, outputs, use_cache)
    if on_stage:
        on_stage("生成部门结果", len(departments))
    result.outputs += [outputs.outdir / SUMMARY_NAME, outputs.outdir / FINDINGS_NAME]  # what perfeval-results.json lists
    work = Work(files, settings, jobs=jobs, options=options, side=(result, shown, outputs))
    _write_outputs_and_summary(result, work, outputs, use_cache, progress)
    if progress:
        for _ in range(len(departments) - len(jobs)):
            progress("")
    outputs.commit()
    result.outputs.append(outputs.outdir / RESULTS_NAME)


def _write_outputs_and_summary(result: RunResult, work: Work, outputs: OutputSet, use_cache: bool, progress: Progress | None) -> None:
    """The department files and the side files (in the workers), the summary (here), each into
    the staging folder."""
    from .outputs.summary import write_summary

    assert work.side is not None
    _, shown, _ = work.side
    # the summary, in this process, is the longest single piece of work: the workers (which
    # write the department files, findings.csv and the results JSON) give way to it
    with pool.worker_pool(len(work.jobs), work, nice=OUTPUT_NICE) as workers:
        # the side files are written by a worker straight into the staging folder, not sent
        # back through the pool's pipe: megabytes sent that way would wait for this process,
        # busy with the summary, to read them
        side = workers.submit(_side_files, 0) if workers is not None else None
        # the 分析 tables need pandas: a worker makes them, and this process never loads it
        tables = workers.submit(_analysis_tables, 0).result if workers is not None else None
        done = pool.run_tasks(workers, _write_outputs, len(work.jobs))
        if workers is None:
            done = iter(list(done))  # run now: the summary below is written after them, as in a pool
        # the sources' hashes too: the summary shows texts no department's JSON holds (分析)
        sources = [d.source_sha256 for d in result.departments]
        summary_key = output_key("summary", result.run_date, shown, sources, [(s.file, s.reason) for s in result.skipped])
        if not (use_cache and outputs.current(SUMMARY_NAME, summary_key)):
            write_summary(result, outputs.path(SUMMARY_NAME), tables)
            outputs.add(SUMMARY_NAME, summary_key)
        for rel, entry in side.result() if side is not None else _side_files(0):
            outputs.add_entry(rel, entry)
        for dep_name, entries in done:  # re-raises a worker's failure (disk full, …)
            for rel, entry in entries:
                outputs.add_entry(rel, entry)
            if progress:
                progress(dep_name)


def _analysis_tables(_: int) -> list[Any]:
    """The summary's 分析 tables (analysis.AnalysisTable): a worker's task."""
    from .analysis import analysis_tables

    work: Work = pool.work()
    assert work.side is not None
    return analysis_tables(work.side[0])


def _side_files(_: int) -> list[tuple[str, Entry]]:
    """findings.csv and perfeval-results.json, into the staging folder: a worker's task."""
    work: Work = pool.work()
    assert work.side is not None
    result, _shown, outputs = work.side
    outputs.staging.mkdir(parents=True, exist_ok=True)
    # the departments' JSON texts are made again here, one at a time, as the file is written
    # (cheap: from the pieces their workers made), rather than kept for the whole run
    texts = (department_json_text(d) for d in result.departments)
    pieces = (text.encode("utf-8") for text in result_json_pieces(result, texts, finding_texts(result)))
    return [
        (FINDINGS_NAME, Entry.written(outputs.path(FINDINGS_NAME), findings_csv(result.findings), "")),
        (RESULTS_NAME, Entry.streamed(outputs.path(RESULTS_NAME), pieces, "")),
    ]


OutputJob = tuple[Department, date, list[tuple[str, str, str]]]  # (kind, rel, key) to write


def _department_jobs(
    result: RunResult, stems: list[str], options: OutputOptions, outputs: OutputSet, use_cache: bool
) -> tuple[list[OutputJob], str]:
    """What to write for each department, leaving out published outputs that would come out
    the same; and the SHA-256 of all departments' contents as JSON text, one to a line (what
    the summary shows of them). Each content is made here for the outputs' keys, then let go:
    perfeval-results.json makes them again as it is written."""
    wanted_outputs = [o for o in DEPARTMENT_OUTPUTS if o.wanted(options)]
    variants = {o.kind: o.variant(options) for o in wanted_outputs}
    jobs = []
    shown = hashlib.sha256()
    for i, (dep, stem) in enumerate(zip(result.departments, stems, strict=True)):
        for o in wanted_outputs:
            dep.outputs[o.kind] = f"{o.folder}/{stem}{o.suffix}"
        todo = []
        content = department_json_text(dep)
        shown.update(("\n" + content if i else content).encode("utf-8"))
        for o in wanted_outputs:
            rel = dep.outputs[o.kind]
            # the source's hash too: a report prints the goals, indicators and 存在问题 as typed,
            # which the department's JSON does not hold
            key = output_key(o.kind, result.run_date, variants[o.kind], dep.source_sha256, content)
            if not (use_cache and outputs.current(rel, key)):
                todo.append((o.kind, rel, key))
        if todo:
            jobs.append((dep, result.run_date, todo))
    return jobs, shown.hexdigest()


def _write_outputs(i: int) -> tuple[str, list[tuple[str, Entry]]]:
    """Write one department's files into the staging folder: a worker's task."""
    work: Work = pool.work()
    assert work.side is not None
    outputs = work.side[2]
    dep, run_date, todo = work.jobs[i]
    made = []
    # a report decodes the whole read into the department (Department.full_data): put the
    # light copy back after the job, or each worker would keep every whole read it decoded
    data, packed = dep.data, dep.packed
    try:
        for kind, rel, key in todo:
            path = outputs.path(rel)
            if path.parent not in work.made_folders:
                path.parent.mkdir(parents=True, exist_ok=True)
                work.made_folders.add(path.parent)
            made.append((rel, Entry.written(path, OUTPUTS_BY_KIND[kind].make(dep, run_date, work.options), key)))
    finally:
        dep.data, dep.packed = data, packed
    return dep.name, made


def remove_stale_temps(outdir: Path) -> None:
    """Temp files a killed run left behind (never a finished output: those have no dot prefix)."""
    for folder in (outdir, *(outdir / o.folder for o in DEPARTMENT_OUTPUTS)):
        if folder.is_dir():
            for p in folder.glob(".*.tmp"):
                p.unlink(missing_ok=True)
