"""Benchmark: perfeval process against the I/O floor, on N generated departments.

    python benchmarks/bench_process.py            # N = 1000, 3 runs, and the 4×N scaling run
    python benchmarks/bench_process.py -n 200 --runs 3 --scale 0

Measured in one run, on this machine:
- floor: in this process, reading every input with python-calamine alone (all sheets to
  Python lists), plus writing as many cells as perfeval's outputs hold with xlsxwriter alone
  (one summary workbook and N department workbooks, no formatting), plus one .docx per
  department (the parts of a report perfeval wrote, zipped afresh with zipfile);
- the default `perfeval process` (summary, department workbooks and Word reports), as a
  subprocess, cold (fresh output folder) and re-run (unchanged inbox, same output folder);
  and `--no-reports`, cold;
- perfeval check on one workbook, interpreter start-up included.
Medians of the runs, peak memory of the whole process tree (RSS summed, so pages a forked worker
shares with its parent count in both; and PSS, which divides them), and the ratios against
the targets. Memory is sampled in a run of its own, not in the timed ones: sampling it costs
CPU on the cores perfeval uses.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import BinaryIO

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

RUN_DATE = "2024-03-01"


def tree_memory_kb(root: int) -> tuple[int, int, int]:
    """Resident memory of a process and all its descendants, from /proc: (RSS, PSS).

    RSS counts a page shared by several processes (a forked worker's inherited memory) once in
    each of them; PSS divides it among them, so its sum is what the tree really occupies."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    rss = pss = largest = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                        largest = max(largest, int(line.split()[1]))
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            continue
    return rss, pss, largest


def run_measured(cmd: list[str], sample: bool = False) -> tuple[float, float, float, float]:
    """Wall seconds of a command; with `sample`, also its peak memory (MB: whole process tree,
    RSS and PSS; and the RSS of its largest single process), else zeros.

    Timed runs are not sampled: one sample of a 1000-department run's tree costs ~15 ms of CPU
    (the kernel walks each process's page tables for smaps_rollup), every 50 ms, on the same
    two cores; that took ~10 % from perfeval and nothing from the floor."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_rss = peak_pss = peak_one = 0
    done = threading.Event()

    def sample_memory() -> None:
        nonlocal peak_rss, peak_pss, peak_one
        while not done.is_set():
            rss, pss, one = tree_memory_kb(proc.pid)
            peak_rss, peak_pss, peak_one = max(peak_rss, rss), max(peak_pss, pss), max(peak_one, one)
            done.wait(0.05)

    t = threading.Thread(target=sample_memory, daemon=True)
    if sample:
        t.start()
    _, err = proc.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    if sample:
        t.join()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{err.decode(errors='replace')}")
    return elapsed, peak_rss / 1024, peak_pss / 1024, peak_one / 1024


def compile_perfeval() -> None:
    """Bytecode for perfeval's modules, as installing a package makes it (pip compiles on
    install; an editable install, on first import). Where PYTHONDONTWRITEBYTECODE is set (as on
    some CI and sandbox machines), every measured run would otherwise compile perfeval from
    source first, ~0.1 s that no installed copy spends; the floor's libraries are compiled."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("perfeval")
    for folder in spec.submodule_search_locations if spec and spec.submodule_search_locations else []:
        compileall.compile_dir(folder, quiet=1)


def perfeval_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "perfeval", *args]


def count_cells(path: Path) -> int:
    import python_calamine as pc

    wb = pc.CalamineWorkbook.from_path(str(path))
    n = 0
    for name in wb.sheet_names:
        for row in wb.get_sheet_by_name(name).to_python():
            n += sum(1 for v in row if v != "")
    return n


def floor_read(paths: list[Path]) -> None:
    """The floor's reading: every sheet of every input to Python lists, by calamine alone."""
    import python_calamine as pc

    for path in paths:
        wb = pc.CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python()


def floor_write(target: Path | BinaryIO, cells: int) -> None:
    """The floor's writing: `cells` cells (numbers and strings), unformatted, by xlsxwriter alone."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(target) if isinstance(target, Path) else target, {"in_memory": True})
    ws = wb.add_worksheet()
    for i in range(cells):
        r, c = divmod(i, 10)
        if c % 2:
            ws.write_number(r, c, i)
        else:
            ws.write_string(r, c, f"单元格{i}")
    wb.close()


def report_parts(docx: Path) -> list[tuple[str, bytes]]:
    """The parts of a Word report, for the floor to zip afresh."""
    import zipfile

    with zipfile.ZipFile(docx) as z:
        return [(info.filename, z.read(info)) for info in z.infolist()]


def floor_docx(target: Path, parts: list[tuple[str, bytes]]) -> None:
    """The floor's Word report: the same parts, deflated into a new zip by zipfile alone."""
    import zipfile

    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts:
            z.writestr(name, data)


def floor(inbox: Path, out: Path, summary_cells: int, book_cells: list[int], parts: list[tuple[str, bytes]]) -> float:
    """Reading with calamine alone, writing the same number of cells with xlsxwriter alone, and
    zipping one report's parts afresh per department."""
    start = time.perf_counter()
    floor_read(sorted(inbox.glob("*.xlsx")))
    out.mkdir(parents=True, exist_ok=True)
    floor_write(out / "summary.xlsx", summary_cells)
    for i, cells in enumerate(book_cells):
        floor_write(out / f"{i}.xlsx", cells)
        floor_docx(out / f"{i}.docx", parts)
    return time.perf_counter() - start


def process_runs(
    inbox: Path, work: Path, runs: int, label: str, sample: bool = False, extra: tuple[str, ...] = ()
) -> tuple[list[float], list[tuple[float, float, float]], Path]:
    """Cold runs of the default command (with `extra` options): wall seconds and, with
    `sample`, (tree RSS, tree PSS, largest process RSS) peaks."""
    times, peaks = [], []
    out = work / f"out-{label}"
    for _ in range(runs):
        shutil.rmtree(out, ignore_errors=True)
        t, rss, pss, one = run_measured(perfeval_cmd("process", str(inbox), "-o", str(out), "-q", "--date", RUN_DATE, *extra), sample)
        times.append(t)
        peaks.append((rss, pss, one))
    return times, peaks, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1000, help="departments in the batch (default 1000)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each measurement (default 3)")
    ap.add_argument("--scale", type=int, default=4, help="the scaling run has scale × N departments (0: skip)")
    ap.add_argument("--work", type=Path, help="folder for the generated inputs (kept; default a temp folder)")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="perfeval-bench-"))
    big_n = args.n * args.scale
    print(f"generating {max(args.n, big_n)} workbooks in {work} …", flush=True)
    inbox_big = work / f"inbox-{max(args.n, big_n)}"
    generate(inbox_big, max(args.n, big_n))
    inbox = work / f"inbox-{args.n}"
    inbox.mkdir(exist_ok=True)
    for i in range(args.n):
        name = f"{i:05d}.xlsx"
        if not (inbox / name).exists():
            os.link(inbox_big / name, inbox / name)

    compile_perfeval()
    # perfeval and the floor alternate, so that a machine that speeds up or slows down during
    # the benchmark (shared or throttled cores) shifts both alike
    print("perfeval process (cold) and floor, alternating …", flush=True)
    cold, _, out = process_runs(inbox, work, 1, str(args.n))
    summary_cells = count_cells(out / "绩效评价汇总.xlsx")
    book_cells = [count_cells(p) for p in sorted((out / "departments").glob("*.xlsx"))]
    parts = report_parts(next((out / "reports").glob("*.docx")))
    floors, no_reports = [], []
    for i in range(args.runs):
        if i:
            t, _, out = process_runs(inbox, work, 1, str(args.n))
            cold += t
        floors.append(floor(inbox, work / "floor-out", summary_cells, book_cells, parts))
        no_reports += process_runs(inbox, work, 1, f"{args.n}-no-reports", extra=("--no-reports",))[0]
    shutil.rmtree(work / "floor-out", ignore_errors=True)
    print("peak memory (a run of its own, sampled, not timed) …", flush=True)
    _, peaks, out = process_runs(inbox, work, 1, str(args.n), sample=True)
    print("perfeval process (re-run, unchanged inbox) …", flush=True)
    rerun = [run_measured(perfeval_cmd("process", str(inbox), "-o", str(out), "-q", "--date", RUN_DATE))[0] for _ in range(args.runs)]
    print("perfeval check (one workbook) …", flush=True)
    one = next(inbox.glob("*.xlsx"))
    checks = [run_measured(perfeval_cmd("check", str(one)))[0] for _ in range(max(args.runs, 5))]
    big: list[float] = []
    big_peaks: list[tuple[float, float, float]] = []
    ratios: list[float] = []
    if args.scale:
        # each scaled run is paired with an N run just before it: the ratio of a pair is
        # measured under the same machine conditions, and the median of the ratios is reported
        print(f"perfeval process on {big_n}, each after one on {args.n} …", flush=True)
        for _ in range(args.runs):
            small, _, _ = process_runs(inbox, work, 1, str(args.n))
            t, _, _ = process_runs(inbox_big, work, 1, str(big_n))
            big += t
            ratios.append(t[0] / small[0])
        _, big_peaks, _ = process_runs(inbox_big, work, 1, str(big_n), sample=True)

    med = statistics.median
    rows = [
        ("floor (calamine read + xlsxwriter write + zipfile .docx, 1 process)", f"{med(floors):.2f} s", ""),
        (f"perfeval process, {args.n} departments (cold, with Word reports)", f"{med(cold):.2f} s", ""),
        ("ratio perfeval / floor", f"{med(cold) / med(floors):.2f}×", "target ≤ 1.0×"),
        ("perfeval process --no-reports (cold)", f"{med(no_reports):.2f} s", ""),
        ("peak RSS (process tree, shared pages in each)", f"{max(p[0] for p in peaks):.0f} MB", "target ≤ 1024 MB"),
        ("peak PSS (process tree, shared pages divided)", f"{max(p[1] for p in peaks):.0f} MB", ""),
        ("peak RSS of the largest single process", f"{max(p[2] for p in peaks):.0f} MB", "target ≤ 300 MB"),
        ("re-run, unchanged inbox", f"{med(rerun):.2f} s = {med(rerun) / med(cold):.2f}× cold", "target ≤ 0.5×"),
        ("perfeval check, one workbook (with start-up)", f"{med(checks):.3f} s", "target < 0.6 s"),
    ]
    if big:
        rows += [
            (
                f"perfeval process, {big_n} departments",
                f"{med(big):.2f} s, peak RSS {max(p[0] for p in big_peaks):.0f} MB, PSS {max(p[1] for p in big_peaks):.0f} MB,"
                f" largest process {max(p[2] for p in big_peaks):.0f} MB",
                "largest ≤ 300 MB",
            ),
            (f"scaling {big_n} / {args.n} (median of paired runs)", f"{med(ratios):.2f}×", f"target ≤ {args.scale * 1.1:.1f}×"),
        ]
    print()
    print(
        f"machine: {os.cpu_count()} cores; runs per measurement: {args.runs} (medians); cells written: summary {summary_cells}, department workbooks {sum(book_cells)}"
    )
    width = max(len(r[0]) for r in rows)
    for name, value, target in rows:
        print(f"{name.ljust(width)}  {value:<28} {target}")

    def fmt(xs: list[float]) -> str:
        return ", ".join(f"{x:.2f}" for x in xs)

    print(
        f"raw: floor [{fmt(floors)}] cold [{fmt(cold)}] rerun [{fmt(rerun)}] check [{fmt(checks)}] big [{fmt(big)}] scaling [{fmt(ratios)}]"
    )


if __name__ == "__main__":
    main()
