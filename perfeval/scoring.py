"""Totals, rates, scores and grades, recomputed from the typed inputs only."""

from __future__ import annotations

import math
from pathlib import Path

from . import schema as S
from .config import Settings
from .model import Cell, Department, LevelScore, Row, Status, WorkbookData
from .values import clean_text


def _num(cell: Cell | None) -> float | None:
    return None if cell is None else cell.number


def _finite(x: float | None) -> float | None:
    """x, or None where it is not a finite number: an overflow is not a figure."""
    return x if x is not None and math.isfinite(x) else None


def _amount(cell: Cell | None) -> float | None:
    """The number of a money cell, or None: blank, text (S08) or out of range (S08)."""
    return None if cell is None else _finite(cell.number)


def _unreadable(cell: Cell | None) -> bool:
    """Something is typed here, but not a number perfeval can read (S08 tells the user)."""
    return cell is not None and not cell.blank and _amount(cell) is None


def has_money(row: Row) -> bool:
    """A funds row is in use: one of its money cells holds a non-zero number.

    A blank cell of a row in use is an input left out, not a 0 (a source that received money
    had a budget, and spent something or nothing). A row of blanks and zeros is a source the
    department does not have: its blanks add nothing."""
    for column in S.MONEY_COLUMNS:
        v = _amount(row.get(column))
        if v is not None and v != 0:
            return True
    return False


def column_total(data: WorkbookData, column: str) -> tuple[float | None, bool]:
    """Σ of the source rows of a money column; (None, False) where it is not known.

    Unknown: nothing is filled in the column, or a row in use (`has_money`) left it blank, or a
    cell of it is not a readable number: the total is never made up by counting a blank as 0.
    Where no source row has a number in the column but 合计 holds a non-zero number, that is
    the total (an evaluator who only knows the total writes it there); the flag says the total
    came from 合计. A 0 there is what the template's SUM formula shows over blank rows once an
    office suite has saved the file: it is not an input, and counts as blank. The 合计 is never
    taken when some rows are filled: in .xls and .xlsb a SUM's cached result looks typed, and it
    counted the blank rows as 0.
    """
    total = 0.0
    filled, known = False, True
    for label in data.funds_sources:
        row = data.funds.get(label, {})
        cell = row.get(column)
        v = _amount(cell)
        if v is not None:
            total += v
            filled = True
        elif _unreadable(cell) or has_money(row):
            known = False
    if filled:
        return (_finite(round(total, 6)) if known else None), False
    typed = typed_total(data, column)
    if typed is not None:
        return typed, True
    return None, False


def typed_total(data: WorkbookData, column: str) -> float | None:
    """The 合计 as typed: None for a formula, and for 0 (a SUM over blanks, where the format
    cannot say it was a formula: .xls, .xlsb)."""
    cell = data.funds.get(S.TOTAL_ROW, {}).get(column)
    if cell is None or cell.formula or not _amount(cell):
        return None
    return cell.number


def adjusted_total(data: WorkbookData) -> float | None:
    """调整后预算 of the whole department: None where no adjustment was typed, or where it is
    not known (see `_adjusted`)."""
    return _adjusted(data)[0]


def _adjusted(data: WorkbookData) -> tuple[float | None, bool]:
    """(调整后预算 of the department, whether an adjustment was typed at all).

    A source row without 调整后预算 was not adjusted and keeps its 预算安排资金 (the contract's
    reading); a row in use with neither, or with either typed as something other than a number,
    makes the total unknown: (None, True). No adjustment typed in any source row: the typed
    合计, if any."""
    rows = [data.funds.get(label, {}) for label in data.funds_sources]
    if not any(row.get("adjusted") is not None and not row["adjusted"].blank for row in rows):
        typed = typed_total(data, "adjusted")
        return typed, typed is not None
    total = 0.0
    for row in rows:
        adjusted, budget = row.get("adjusted"), row.get("budget")
        cell = adjusted if adjusted is not None and not adjusted.blank else budget
        v = _amount(cell)
        if v is not None:
            total += v
        elif _unreadable(cell) or has_money(row):
            return None, True
    return _finite(round(total, 6)), True


def ratio(a: float | None, b: float | None) -> float | None:
    """a ÷ b; None where either is unknown, b is 0, or the quotient is not a finite number."""
    if a is None or b is None or b == 0:
        return None
    return _finite(a / b)


def row_budget(row: Row) -> float | None:
    """A funds row's budget: its 调整后预算, or its 预算安排资金 where 调整后预算 is blank. An
    调整后预算 typed but unreadable leaves it unknown, never the 预算安排资金 instead."""
    adjusted = row.get("adjusted")
    if adjusted is not None and not adjusted.blank:
        return _amount(adjusted)
    return _amount(row.get("budget"))


def use_rate(data: WorkbookData, row_label: str) -> float | None:
    """实际支出资金 ÷ the row's budget (`row_budget`) of one use row."""
    row = data.funds.get(row_label, {})
    return ratio(_amount(row.get("spent")), row_budget(row))


def missing_inputs(data: WorkbookData) -> list[tuple[str, str]]:
    """(row label, column) of the blank money cells that leave a department figure unknown: of
    预算安排资金, 实际到位资金 and 实际支出资金 in the source rows in use, 预算安排资金 where a
    row in use has no 调整后预算 either, and of the use rows filled in part. Where no source row
    is in use, the 合计 cells of the totals that are unknown. Cells typed as text are not listed:
    S08 already points at them."""
    rows = {label: data.funds.get(label, {}) for label in data.funds_sources}
    used = [label for label, row in rows.items() if has_money(row)]
    out: list[tuple[str, str]] = []

    def blank(row: Row, column: str) -> bool:
        cell = row.get(column)
        return cell is not None and cell.blank

    for column in ("budget", "received", "spent"):
        if column_total(data, column)[0] is not None:
            continue
        if not used:
            out.append((S.TOTAL_ROW, column))
        out += [(label, column) for label in used if blank(rows[label], column)]
    if _adjusted(data) == (None, True):
        out += [(label, "budget") for label in used if blank(rows[label], "adjusted") and blank(rows[label], "budget")]
    for label in S.USE_ROWS:
        row = data.funds.get(label, {})
        if has_money(row) and use_rate(data, label) is None:
            out += [(label, c) for c in ("budget", "spent") if blank(row, c) and (c == "spent" or blank(row, "adjusted"))]
    return sorted(set(out), key=lambda x: (data.funds_rows.index(x[0]), S.MONEY_COLUMNS.index(x[1])))


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
        dep.unscored = unscorable(data)
        _compute_scores(dep, data, settings)
    return dep


def unscorable(data: WorkbookData) -> str:
    """Why the total score cannot be computed from this read, in Chinese; "" where it can."""
    if data.read_error:
        return f"文件无法读取（{data.read_error}）"
    if data.in_other_layout:
        from .profiles import by_id

        layout = by_id(data.profile)
        return f"工作簿是“{layout.name if layout else data.profile}”，不是 perfeval-v1 模板，perfeval 目前不能读取"
    if not data.scores_header_row:
        return f"“{S.SHEET_SCORES}”表缺失，或找不到它的表头"
    missing = [label for key, label in (("weight", "分值"), ("score", "得分")) if key not in data.scores_columns]
    if missing:
        return f"“{S.SHEET_SCORES}”表缺少“{'”“'.join(missing)}”列"
    if not data.scores:
        return f"“{S.SHEET_SCORES}”表中没有指标"
    blank = [
        row["score"] for row in data.scores if _num(row.get("weight")) is not None and _num(row.get("score")) is None and "score" in row
    ]
    if blank:
        first = f"{blank[0].sheet}!{blank[0].ref}"
        return f"{len(blank)} 个指标有分值而得分为空，如 {first}"
    if not any(_num(row.get("weight")) for row in data.scores):
        return "各指标分值合计为 0"
    return ""


def _compute_funds(dep: Department, data: WorkbookData) -> None:
    if not data.funds:
        return
    # every figure from filled values only: where an input is unknown, so is the figure
    dep.budget, _ = column_total(data, "budget")
    dep.received, _ = column_total(data, "received")
    dep.spent, _ = column_total(data, "spent")
    dep.adjusted, adjusted_typed = _adjusted(data)
    if dep.received is not None and dep.spent is not None:
        dep.balance = _finite(round(dep.received - dep.spent, 6))
    # an adjustment typed but unknown leaves these unknown: never the unadjusted base instead
    dep.arrival_rate = ratio(dep.received, dep.adjusted if adjusted_typed else dep.budget)
    dep.execution_rate = ratio(dep.spent, dep.adjusted if adjusted_typed else dep.received)
    if dep.adjusted is not None and dep.budget is not None:
        dep.adjustment_rate = ratio(dep.adjusted - dep.budget, dep.budget)
    dep.balance_rate = ratio(dep.balance, dep.received)
    dep.basic_rate = use_rate(data, "基本支出")
    dep.project_rate = use_rate(data, "项目支出")


def _compute_scores(dep: Department, data: WorkbookData, settings: Settings) -> None:
    """Weights wherever the 分值 column was read; scores, the total and the grade only where
    the department can be scored (dep.unscored is "")."""
    if not data.scores or "weight" not in data.scores_columns:
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
            agg.score = (agg.score or 0.0) + s  # a running sum here: None only on the finished level
            agg.count += 1
        total_w += w
        total_s += s
    scored = not dep.unscored
    dep.level1 = [LevelScore(v.name, v.parent, round(v.weight, 6), _rounded(v.score, scored), v.count) for v in level1.values()]
    dep.level2 = [LevelScore(v.name, v.parent, round(v.weight, 6), _rounded(v.score, scored), v.count) for v in level2.values()]
    dep.level3_count = len(data.scores)
    dep.total_weight = round(total_w, 6)
    if scored:
        dep.total_score = round(total_s, 6)
        dep.grade = settings.grade(dep.total_score)


def _rounded(score: float | None, known: bool) -> float | None:
    return round(score, 6) if known and score is not None else None


def settle_status(dep: Department) -> None:
    """The department's status, once all its findings (the batch rules' too) are known."""
    errors = dep.errors
    if dep.unscored or not dep.readable:
        why = dep.unscored or f"文件无法读取（{dep.data.read_error}）"
        dep.status, dep.status_reason = Status.UNSCORED, f"无法计算得分：{why}"
    elif errors:
        dep.status, dep.status_reason = Status.PENDING, f"有 {errors} 条“错误”需要补正，得分和等级为暂定，不参与排名"
    else:
        dep.status, dep.status_reason = Status.ACCEPTED, ""


def rank_departments(deps: list[Department]) -> None:
    """Competition ranking by score (1, 2, 2, 4) among the departments whose results stand
    (Status.ACCEPTED); the others get none."""
    for d in deps:
        d.rank = None
    accepted = (d for d in deps if d.total_score is not None and d.status is Status.ACCEPTED)
    scored = sorted(accepted, key=lambda d: -(d.total_score or 0))
    prev_score: float | None = None
    prev_rank = 0
    for i, d in enumerate(scored, start=1):
        if prev_score is None or abs((d.total_score or 0) - prev_score) > 1e-9:
            prev_rank = i
            prev_score = d.total_score
        d.rank = prev_rank
