"""A run's results, and their two plain-text forms: the results JSON and findings.csv.

Each department's JSON is made in pieces by the worker that checked it (EncodedDepartment); the
main process only puts in what the batch settles (rank, counts, output paths).
"""

from __future__ import annotations

import csv
import io
import json
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .model import Department, Finding, FindingCounts, LevelScore, Severity, SkippedFile, Status

CSV_COLUMNS = (
    "部门名称",
    "文件",
    "工作表",
    "单元格",
    "代码",
    "级别",
    "说明",
    "填报值",
    "计算值",
    "上年已指出",
)  # the last: 整改 (appended)
# json.dumps(…) makes one per call. allow_nan=False: strict JSON. Every figure is finite by the
# time it is encoded (the reader reads no number beyond 10^15, the sums and ratios drop what
# is not finite), so a nan or inf here is a bug, and fails loudly rather than writing
# `Infinity`, which no JSON reader accepts.
JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False)


@dataclass
class RunResult(FindingCounts):
    inbox: Path | None
    run_date: date
    departments: list[Department]
    skipped: list[SkippedFile]
    findings: list[Finding]
    outputs: list[Path] = field(default_factory=list)
    history: Path | None = None  # the results history read and written (None: not used)
    history_error: str = ""  # why the history could not be read or written ("" where it could)
    history_recorded: int = 0  # departments recorded in it by this run

    @property
    def grades(self) -> dict[str, int]:
        """Grades that stand: of the departments whose status is 可受理 (a 待补正 grade is provisional)."""
        counts = Counter(d.grade for d in self.departments if d.grade and d.status is Status.ACCEPTED)
        return {g: counts.get(g, 0) for g in ("优", "良", "中", "差")}

    @property
    def statuses(self) -> dict[str, int]:
        counts = Counter(d.status for d in self.departments)
        return {s.value: counts.get(s, 0) for s in (Status.ACCEPTED, Status.PENDING, Status.UNSCORED)}

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
                "statuses": self.statuses,
            },
            "outputs": [p.name for p in self.outputs],
            "history": {"file": str(self.history), "recorded": self.history_recorded, "error": self.history_error or None}
            if self.history
            else None,
        }


def _r(x: float | None, digits: int = 6) -> float | None:
    return None if x is None else round(x, digits)


def _level(x: LevelScore) -> dict[str, Any]:
    return {"name": x.name, "weight": _r(x.weight), "score": _r(x.score), "rate": _r(x.rate), "indicators": x.count}


def department_json(d: Department) -> dict[str, Any]:
    return {
        **_json_head(d),
        "rank": d.rank,
        **_json_status(d),
        **_json_levels(d),
        "errors": d.errors,
        "warnings": d.warnings,
        "findings": [f.as_dict() for f in d.findings],
        "outputs": dict(d.outputs),
        "previous": previous_json(d),
    }


def previous_json(d: Department) -> dict[str, Any] | None:
    """The department's latest earlier year in the history, how it moved since (比较法), and
    each earlier year recorded, the earliest first."""
    p = d.previous
    if p is None:
        return None
    return {
        "year": p.year,
        "status": p.status,
        "total_score": _r(p.total_score),
        "grade": p.grade,
        "execution_rate": _r(p.execution_rate),
        "score_change": _r(score_change(d)),
        "execution_rate_change": _r(execution_change(d)),
        "years": [
            {
                "year": y.year,
                "status": y.status,
                "total_score": _r(y.total_score),
                "grade": y.grade,
                "execution_rate": _r(y.execution_rate),
                "arrival_rate": _r(y.arrival_rate),
            }
            for y in d.earlier
        ],
    }


def change(now: float | None, before: float | None) -> float | None:
    """`now` less `before`, where both are known."""
    return None if now is None or before is None else now - before


def score_change(d: Department) -> float | None:
    """This year's 得分 less the earlier year's, where both are known."""
    p = d.previous
    return None if p is None else change(d.total_score, p.total_score)


def execution_change(d: Department) -> float | None:
    """This year's 预算执行率 less the earlier year's (in rate units: 0.05 = 5 个百分点)."""
    p = d.previous
    return None if p is None else change(d.execution_rate, p.execution_rate)


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
        "profile": d.data.profile,
    }


def _json_status(d: Department) -> dict[str, Any]:
    """Settled only once the batch rules have run (they can add an 错误): beside "rank"."""
    return {"status": d.status.value if d.status else None, "status_reason": d.status_reason}


def _json_levels(d: Department) -> dict[str, Any]:
    return {"level1": [_level(x) for x in d.level1], "level2": [{"level1": x.parent, **_level(x)} for x in d.level2]}


@dataclass(frozen=True)
class EncodedDepartment:
    """A department's JSON text in the pieces that are settled once it is checked, made in its
    worker process: the keys before "rank", the level scores, and each finding. The main
    process then only puts in the rank, the counts and the output paths (see
    department_json_text), instead of encoding every department between the two stages.
    The pieces are kept deflated (`packed`): the batch holds them for the whole run, and their
    text deflates to a fraction (read back twice a run, at a small cost)."""

    findings: tuple[Finding, ...]  # what the texts encode, one by one
    packed: bytes  # zlib: the head, the levels, each finding's text, NUL-separated

    def pieces(self) -> tuple[str, str, list[str]]:
        """(head, levels, texts): head = '{"file": …, "grade": "良"', without the closing brace;
        levels = '"level1": […], "level2": […]'; texts: each finding's JSON."""
        head, levels, *texts = zlib.decompress(self.packed).decode("utf-8").split(PIECE_END)
        return head, levels, texts


PIECE_END = "\x00"  # never in JSON text (json escapes it)


def encode_department(d: Department, head: str | None = None, levels: str | None = None) -> EncodedDepartment:
    findings = tuple(d.findings)
    pieces = [
        JSON.encode(_json_head(d))[:-1] if head is None else head,
        JSON.encode(_json_levels(d))[1:-1] if levels is None else levels,
        *(JSON.encode(f.as_dict()) for f in findings),
    ]
    return EncodedDepartment(findings, zlib.compress(PIECE_END.join(pieces).encode("utf-8")))


def department_json_text(d: Department) -> str:
    """JSON.encode(department_json(d)), from the pieces its worker made where it can."""
    enc = d.encoded
    if enc is None:
        enc = d.encoded = encode_department(d)
    elif enc.findings != tuple(d.findings):  # the batch rules added some (identical objects compare first by identity)
        head, levels, _ = enc.pieces()
        enc = d.encoded = encode_department(d, head, levels)
    head, levels, texts = enc.pieces()
    return (
        f'{head}, "rank": {JSON.encode(d.rank)}, {JSON.encode(_json_status(d))[1:-1]}, {levels}, "errors": {d.errors}, "warnings": {d.warnings}, '
        f'"findings": [{", ".join(texts)}], "outputs": {JSON.encode(d.outputs)}, "previous": {JSON.encode(previous_json(d))}}}'
    )


def finding_texts(result: RunResult) -> list[str]:
    """Each of the run's findings as JSON text, taken from its department's pieces where made."""
    known: dict[int, str] = {}
    for d in result.departments:
        if d.encoded is not None:
            known.update(zip(map(id, d.encoded.findings), d.encoded.pieces()[2], strict=True))
    return [known.get(id(f)) or JSON.encode(f.as_dict()) for f in result.findings]


def _info_text(d: Department, key: str) -> str:
    cell = d.data.info.get(key)
    return "" if cell is None else cell.text


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
        row = (f.department, f.file, f.sheet, f.cell, f.code, f.severity.value, f.message, f.filled, f.computed, f.previously or "")
        writer.writerow([csv_safe(str(x)) for x in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def result_json(result: RunResult, departments: Iterable[str] | None = None, findings: Iterable[str] | None = None) -> str:
    """The run as JSON text, one department or finding per line; `departments`, `findings`:
    each one's JSON text, if already made.

    Written by hand around json.dumps without `indent`: that path is json's C encoder, ~10×
    faster than its indenting one on the 10+ MB of a large batch, and the file stays readable."""
    return "".join(result_json_pieces(result, departments, findings))


def result_json_pieces(result: RunResult, departments: Iterable[str] | None = None, findings: Iterable[str] | None = None) -> Iterator[str]:
    """`result_json`'s text in pieces, one department or finding a piece: a large batch's
    file is written piece by piece, never held whole (tens of megabytes at thousands of
    departments). The texts given are taken one at a time as they are written."""
    made = {"departments": departments, "findings": findings}
    data = result.as_json([] if departments is not None else None, [] if findings is not None else None)
    first_key = True
    for key, value in data.items():
        name = JSON.encode(key)
        texts = made.get(key)
        if texts is None and isinstance(value, list) and value:
            texts = (JSON.encode(v) for v in value)
        yield ("{\n" if first_key else ",\n") + f"  {name}: "
        first_key = False
        opened = False
        for text in texts if texts is not None else ():
            yield ",\n    " + text if opened else "[\n    " + text
            opened = True
        if opened:
            yield "\n  ]"
        else:
            yield JSON.encode(value)
    yield "{\n" if first_key else ""
    yield "\n}\n"
