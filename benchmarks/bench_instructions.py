"""Instructions per department, stage by stage, against the floor: a measure the machine's
noise does not move.

    python benchmarks/bench_instructions.py          # 10 and 30 generated departments
    python benchmarks/bench_instructions.py -n 20     # 20 and 60

bench_process.py measures what a user waits for, but on a shared machine its times drift by
±20 % within minutes. This counts the instructions each stage executes, under valgrind
(`apt-get install valgrind`), in one process without a pool: the same code gives the same
count to within a fraction of a percent, so a change can be judged by one run. Each stage is
counted as (run with the stage) − (run without it), at N and at 3N departments; the difference
divided by 2N is what one more department costs, start-up and once-per-run work left out.
Instructions are not time (Python's interpreter and calamine's Rust do different amounts of
work per instruction), and nothing here measures how well the two cores are used.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_process import count_cells, floor_read, floor_write  # noqa: E402
from generate import generate  # noqa: E402

RUN_DATE = date(2024, 3, 1)
# stage: (what it does, the stage whose count is subtracted)
STAGES = {
    "floor_read": ("calamine alone: every sheet of every input to Python lists", "imports"),
    "floor_write": ("xlsxwriter alone: the same cells, one summary and one workbook per department", "imports"),
    "read": ("reading, computing and the per-department rules", "imports"),
    "transfer": ("encoding a read for the cache and the main process, which unpickles the light copy it uses", "read"),
    "books": ("department workbooks (perfeval's own writer, fastbook)", "read"),
    "summary": ("the summary workbook (xlsxwriter's public API; perfeval's own sheets spliced in)", "read"),
    "json": ("results JSON, output keys and findings.csv", "read"),
}


def run_stage(stage: str, inbox: Path, cells: tuple[int, int]) -> None:
    """The work of one stage (and of the stages it stands on), in this process."""
    files = sorted(inbox.glob("*.xlsx"))
    if stage == "none":
        return
    import python_calamine  # noqa: F401 - imported on both sides of every difference
    import xlsxwriter  # noqa: F401

    import perfeval.pipeline as P
    from perfeval import pool
    from perfeval.config import Settings

    if stage == "imports":
        return
    if stage == "floor_read":
        floor_read(files)
        return
    if stage == "floor_write":
        floor_write(io.BytesIO(), cells[0] * len(files))
        for _ in files:
            floor_write(io.BytesIO(), cells[1])
        return
    kept, pool.PARALLEL_MIN = pool.PARALLEL_MIN, 1 << 30  # no pool: one process, counted whole
    try:
        with pool.batch_gc():  # the collector as during a run (else its passes blur the counts)
            _perfeval_stage(stage, files, P, Settings())
    finally:
        pool.PARALLEL_MIN = kept


def _perfeval_stage(stage: str, files: list[Path], P: Any, settings: Any) -> None:  # noqa: N803 - the module
    from perfeval import results as R

    # as `perfeval process` reads: with each department's JSON pieces made
    departments, findings = P.analyze([(p, p.name) for p in files], settings, encode=True)
    if stage == "transfer":
        import pickle

        from perfeval.model import encode_read

        for dep in departments:
            blob = encode_read(dep.data)  # in the worker: for the cache, and sent as it is
            light = getattr(dep.data, "light", None)
            # in the main process: only the light copy is unpickled (before: the whole read)
            pickle.loads(pickle.dumps(light()) if light else blob)
    elif stage == "books":
        from perfeval.outputs.department_book import department_book_bytes

        for dep in departments:
            department_book_bytes(dep, RUN_DATE)
    elif stage == "summary":
        from perfeval.outputs import summary

        # a file (xlsxwriter's is copied into it, with perfeval's own sheets), in a folder removed after
        with tempfile.TemporaryDirectory() as folder:
            summary.write_summary(R.RunResult(None, RUN_DATE, departments, [], findings), Path(folder) / "summary.xlsx")
    elif stage == "json":
        from perfeval.cache import output_key

        result = R.RunResult(None, RUN_DATE, departments, [], findings)
        texts = [R.department_json_text(d) for d in departments]  # the pieces made while reading, put together
        for text in texts:
            output_key("workbook", RUN_DATE, "", text)
        R.result_json(result, texts, R.finding_texts(result))
        R.findings_csv(findings)


def count(stage: str, inbox: Path, cells: tuple[int, int]) -> int:
    cmd = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--stage",
        stage,
        "--inbox",
        str(inbox),
        "--cells",
        f"{cells[0]},{cells[1]}",
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # string hashing moves the counts a little
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stderr
    found = re.findall(r"Collected : (\d+)", out)
    if len(found) != 1:
        raise SystemExit(f"unexpected valgrind output for {stage}:\n{out[-2000:]}")
    return int(found[0])


def output_cells(inbox: Path, work: Path) -> tuple[int, int]:
    """Non-empty cells perfeval writes per department: in the summary, in a department book."""
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "perfeval", "process", str(inbox), "-o", str(out), "--no-reports", "-q", "--date", RUN_DATE.isoformat()],
        check=False,
        capture_output=True,
    )
    books = sorted((out / "departments").glob("*.xlsx"))
    n = len(books)
    return round(count_cells(out / "绩效评价汇总.xlsx") / n), round(sum(count_cells(p) for p in books) / n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=10, help="the smaller batch (default 10; the larger is 3×)")
    ap.add_argument("--work", type=Path, help="folder for the generated inputs (default a temp folder)")
    ap.add_argument("--stage", help=argparse.SUPPRESS)
    ap.add_argument("--inbox", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--cells", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.stage:
        a, b = args.cells.split(",")
        run_stage(args.stage, args.inbox, (int(a), int(b)))
        return
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is needed: apt-get install valgrind")
    work = args.work or Path(tempfile.mkdtemp(prefix="perfeval-instr-"))
    small, large = work / f"inbox-{args.n}", work / f"inbox-{3 * args.n}"
    if not large.exists():
        generate(large, 3 * args.n)
    if not small.exists():
        small.mkdir(parents=True)
        for path in sorted(large.glob("*.xlsx"))[: args.n]:
            shutil.copy(path, small / path.name)
    cells = output_cells(large, work)
    print(f"{args.n} and {3 * args.n} departments in {work}; cells written per department: summary {cells[0]}, workbook {cells[1]}")
    needed = sorted({"imports", *STAGES, *(base for _, base in STAGES.values())})
    runs = [(s, inbox) for s in needed for inbox in (small, large)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        counts = dict(zip(runs, pool.map(lambda run: count(run[0], run[1], cells), runs), strict=True))

    def marginal(stage: str) -> float:
        return (counts[stage, large] - counts[stage, small]) / (2 * args.n)

    per = {s: (marginal(s) - marginal(base)) / 1e6 for s, (_, base) in STAGES.items()}
    width = max(len(d) for d, _ in STAGES.values())
    for stage, (what, _) in STAGES.items():
        print(f"  {what.ljust(width)}  {per[stage]:7.1f} M")
    floor = per["floor_read"] + per["floor_write"]
    ours = sum(v for s, v in per.items() if not s.startswith("floor"))
    print(f"  {'floor (read + write)'.ljust(width)}  {floor:7.1f} M")
    print(f"  {'perfeval (every stage above but the floor)'.ljust(width)}  {ours:7.1f} M  = {ours / floor:.2f}× the floor")


if __name__ == "__main__":
    main()
