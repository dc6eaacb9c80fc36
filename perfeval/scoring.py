"""Totals, rates, scores and grades, recomputed from the typed inputs only."""

from __future__ import annotations

from pathlib import Path

from . import schema as S
from .config import Settings
from .model import Cell, Department, LevelScore, WorkbookData
from .values import clean_text


def _num(cell: Cell | None) -> float | None:
    return None if cell is None else cell.number


def column_total(data: WorkbookData, column: str) -> tuple[float | None, bool]:
    """Σ of the source rows of a money column; (None, False) when nothing is filled.

    Where no source row is filled but 合计 holds a non-zero number, that is the total (an
    evaluator who only knows the total writes it there); the flag says the total came from 合计.
    A 0 there is what the template's SUM formula shows over blank rows once an office suite
    has saved the file: it is not an input, and counts as blank.
    """
    values = [_num(data.funds.get(r, {}).get(column)) for r in S.SOURCE_ROWS]
    filled = [v for v in values if v is not None]
    if filled:
        return round(sum(filled), 6), False
    typed = typed_total(data, column)
    if typed is not None:
        return typed, True
    return None, False


def typed_total(data: WorkbookData, column: str) -> float | None:
    """The 合计 as typed: None for a formula, and for 0 (a SUM over blanks, where the format
    cannot say it was a formula: .xls, .xlsb)."""
    cell = data.funds.get(S.TOTAL_ROW, {}).get(column)
    if cell is None or cell.formula or not cell.number:
        return None
    return cell.number


def adjusted_total(data: WorkbookData) -> float | None:
    """调整后预算 of the whole department: None when no row was adjusted."""
    any_adjusted = any(_num(data.funds.get(r, {}).get("adjusted")) is not None for r in S.SOURCE_ROWS)
    if not any_adjusted:
        return typed_total(data, "adjusted")
    total = 0.0
    for r in S.SOURCE_ROWS:
        row = data.funds.get(r, {})
        adj, bud = _num(row.get("adjusted")), _num(row.get("budget"))
        total += adj if adj is not None else (bud or 0.0)
    return round(total, 6)


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def use_rate(data: WorkbookData, row_label: str) -> float | None:
    row = data.funds.get(row_label, {})
    base = _num(row.get("adjusted"))
    if base is None:
        base = _num(row.get("budget"))
    return ratio(_num(row.get("spent")), base)


def integer_of(cell: Cell | None) -> int | None:
    if cell is None or cell.number is None or not float(cell.number).is_integer():
        return None
    return int(cell.number)


def compute(data: WorkbookData, settings: Settings) -> Department:
    info = data.info
    name = clean_text(info["name"].raw) if "name" in info and not info["name"].blank else ""
    dep = Department(
        data=data,
        name=name or Path(data.file).stem,
        code=clean_text(info["code"].raw) if "code" in info else "",
        year=integer_of(info.get("year")),
        eval_type=clean_text(info["eval_type"].raw) if "eval_type" in info else "",
    )
    if not data.read_error:
        _compute_funds(dep, data)
        _compute_scores(dep, data, settings)
    return dep


def _compute_funds(dep: Department, data: WorkbookData) -> None:
    if not data.funds:
        return
    dep.budget, _ = column_total(data, "budget")
    dep.received, _ = column_total(data, "received")
    dep.spent, _ = column_total(data, "spent")
    dep.adjusted = adjusted_total(data)
    if dep.received is not None or dep.spent is not None:
        dep.balance = round((dep.received or 0.0) - (dep.spent or 0.0), 6)
    dep.arrival_rate = ratio(dep.received, dep.budget)
    dep.execution_rate = ratio(dep.spent, dep.adjusted if dep.adjusted is not None else dep.received)
    if dep.adjusted is not None:
        dep.adjustment_rate = ratio(dep.adjusted - (dep.budget or 0.0), dep.budget)
    dep.balance_rate = ratio(dep.balance, dep.received)
    dep.basic_rate = use_rate(data, "基本支出")
    dep.project_rate = use_rate(data, "项目支出")


def _compute_scores(dep: Department, data: WorkbookData, settings: Settings) -> None:
    if not data.scores:
        return
    level1: dict[str, LevelScore] = {}
    level2: dict[tuple[str, str], LevelScore] = {}
    total_w = total_s = 0.0
    for row in data.scores:
        l1 = clean_text(row["level1"].raw) if "level1" in row else ""
        l2 = clean_text(row["level2"].raw) if "level2" in row else ""
        w = _num(row.get("weight")) or 0.0
        s = _num(row.get("score")) or 0.0
        a = level1.setdefault(l1, LevelScore(l1))
        b = level2.setdefault((l1, l2), LevelScore(l2, l1))
        for agg in (a, b):
            agg.weight += w
            agg.score += s
            agg.count += 1
        total_w += w
        total_s += s
    dep.level1 = [LevelScore(v.name, v.parent, round(v.weight, 6), round(v.score, 6), v.count) for v in level1.values()]
    dep.level2 = [LevelScore(v.name, v.parent, round(v.weight, 6), round(v.score, 6), v.count) for v in level2.values()]
    dep.level3_count = len(data.scores)
    dep.total_weight = round(total_w, 6)
    dep.total_score = round(total_s, 6)
    dep.grade = settings.grade(dep.total_score)


def rank_departments(deps: list[Department]) -> None:
    """Competition ranking by score (1, 2, 2, 4); departments without a score get none."""
    scored = sorted((d for d in deps if d.total_score is not None), key=lambda d: -(d.total_score or 0))
    prev_score: float | None = None
    prev_rank = 0
    for i, d in enumerate(scored, start=1):
        if prev_score is None or abs((d.total_score or 0) - prev_score) > 1e-9:
            prev_rank = i
            prev_score = d.total_score
        d.rank = prev_rank
