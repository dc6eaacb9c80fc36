"""F: funds (资金情况)."""

from __future__ import annotations

from collections.abc import Iterator

from .. import schema as S
from ..config import Settings
from ..model import Cell, Department, Severity
from ..scoring import column_total, missing_inputs, ratio, row_budget
from ..values import format_money as m
from ..values import format_rate as pct
from .registry import Hit, hit, rule

COLUMN_LABELS = {c.id: c.label for c in S.FUNDS_TABLE.columns}


def _cell(dep: Department, row: str, column: str) -> Cell:
    """The cell of a row and column of 资金情况, or the best place near it."""
    data = dep.data
    cell = data.funds.get(row, {}).get(column)
    if cell is not None:
        return cell
    return Cell(S.SHEET_FUNDS, data.funds_header_row, data.funds_columns.get(column, 0))


def _total_cell(dep: Department, column: str) -> Cell:
    return _cell(dep, S.TOTAL_ROW, column)


def _field(dep: Department, key: str) -> Cell | None:
    """The funds field `key` (调整说明, 执行偏差原因 …); None where the workbook is a form of
    another layout that has no such field: a rule never asks for what the form cannot hold."""
    cell = dep.data.funds_fields.get(key)
    if cell is None and dep.data.in_form:
        return None
    return cell or Cell(S.SHEET_FUNDS)


def _filled_sources(dep: Department) -> Iterator[tuple[str, dict[str, Cell]]]:
    for label in dep.data.funds_sources:
        row = dep.data.funds.get(label)
        if row and any(row.get(c) is not None and row[c].number is not None for c in S.MONEY_COLUMNS):
            yield label, row


def _n(row: dict[str, Cell], column: str) -> float | None:
    cell = row.get(column)
    return None if cell is None else cell.number


@rule("F01", Severity.WARNING)
def typed_total(dep: Department, s: Settings) -> Iterator[Hit]:
    """填写的合计与各来源行之和不符"""
    total_row = dep.data.funds.get(S.TOTAL_ROW, {})
    for column in S.MONEY_COLUMNS:
        cell = total_row.get(column)
        if cell is None or cell.number is None or cell.formula:
            continue  # a formula's cached value is not what the evaluator typed
        computed, from_total = column_total(dep.data, column)
        if from_total or computed is None:
            continue
        if abs(cell.number - computed) > s.money_tolerance:
            yield hit(
                cell,
                f"合计行“{COLUMN_LABELS[column]}”填写 {m(cell.number)} 万元，各资金来源之和为 {m(computed)} 万元，请核对",
                m(cell.number),
                m(computed),
            )


@rule("F02", Severity.ERROR)
def spent_over_received(dep: Department, s: Settings) -> Iterator[Hit]:
    """实际支出资金大于实际到位资金"""
    fired = False
    for label, row in _filled_sources(dep):
        received, spent = _n(row, "received"), _n(row, "spent")
        if received is not None and spent is not None and spent > received + s.money_tolerance:
            fired = True
            yield hit(
                row["spent"],
                f"“{label}”实际支出资金 {m(spent)} 万元大于实际到位资金 {m(received)} 万元，支出不能超过到位资金，请核对",
                m(spent),
                m(received),
            )
    if not fired and dep.spent is not None and dep.received is not None and dep.spent > dep.received + s.money_tolerance:
        yield hit(
            _total_cell(dep, "spent"),
            f"实际支出资金合计 {m(dep.spent)} 万元大于实际到位资金合计 {m(dep.received)} 万元，请核对",
            m(dep.spent),
            m(dep.received),
        )


@rule("F03", Severity.ERROR)
def balance_wrong(dep: Department, s: Settings) -> Iterator[Hit]:
    """结余资金不等于实际到位资金减实际支出资金"""
    for label, row in _filled_sources(dep):
        balance, received, spent = _n(row, "balance"), _n(row, "received"), _n(row, "spent")
        if balance is None or received is None or spent is None:
            continue  # a blank amount is F16's to ask for, never a 0 here
        if spent > received + s.money_tolerance:
            continue  # F02 asks to correct the spending: no negative balance to type
        expected = round(received - spent, 6)
        if abs(balance - expected) > s.money_tolerance:
            yield hit(
                row["balance"],
                f"“{label}”结余资金填写 {m(balance)} 万元，应为实际到位资金 − 实际支出资金 = {m(expected)} 万元",
                m(balance),
                m(expected),
            )


@rule("F04", Severity.WARNING)
def received_over_budget(dep: Department, s: Settings) -> Iterator[Hit]:
    """实际到位资金超过预算"""
    if dep.received is None or dep.budget is None:
        return
    base, base_label = (dep.adjusted, "调整后预算") if dep.adjusted is not None else (dep.budget, "预算安排资金")
    if dep.received <= base + s.money_tolerance:
        return
    added = dep.received - dep.budget
    rate = pct(dep.arrival_rate)
    if dep.adjusted is None:
        ask = "请填写“调整后预算”，并在“调整说明”中写明追加的来源和原因"
    else:
        ask = "到位资金仍超过调整后预算，请核对“调整后预算”并在“调整说明”中写明原因"
    over = [
        row
        for _, row in _filled_sources(dep)
        if (_n(row, "received") or 0.0)
        > ((_n(row, "adjusted") if _n(row, "adjusted") is not None else _n(row, "budget")) or 0.0) + s.money_tolerance
    ]
    # the cell to fix: 调整后预算 of the source row that received more than its budget
    cell = over[0]["adjusted"] if over and "adjusted" in over[0] else _total_cell(dep, "received")
    yield hit(
        cell,
        f"实际到位资金 {m(dep.received)} 万元超过{base_label} {m(base)} 万元：资金到位率 {rate}，比年初预算多到位 {m(added)} 万元。{ask}",
        m(dep.received),
        rate,
    )


def _row_base(dep: Department, row: dict[str, Cell]) -> float | None:
    """What a source row's spending is measured against, as the department's execution rate is:
    its 调整后预算 (its 预算安排资金 where it was not adjusted), or its 实际到位资金."""
    if dep.adjusted is None:
        return _n(row, "received")
    return row_budget(row)


@rule("F05", Severity.WARNING)
def execution_over_100(dep: Department, s: Settings) -> Iterator[Hit]:
    """预算执行率超过 100%"""
    if dep.execution_rate is None or dep.execution_rate <= 1 + s.rate_tolerance:
        return
    base = "调整后预算" if dep.adjusted is not None else "实际到位资金"
    base_total = dep.adjusted if dep.adjusted is not None else dep.received
    spending = [(label, row, v) for label, row in _filled_sources(dep) if (v := _n(row, "spent")) is not None and v > 0]
    over = [(label, row, v) for label, row, v in spending if v > (_row_base(dep, row) or 0.0) + s.money_tolerance]
    # the 合计 is a locked formula: point at the spending to check, the largest over its base first
    involved = sorted(over or spending, key=lambda x: -x[2])
    cell = involved[0][1]["spent"] if involved else _total_cell(dep, "spent")
    rows = f"（超出{base}的来源：{'、'.join(label for label, _, _ in involved)}）" if over else ""
    yield hit(
        cell,
        f"预算执行率 {pct(dep.execution_rate)} 超过 100%：实际支出资金合计 {m(dep.spent)} 万元大于{base}合计 {m(base_total)} 万元"
        f"{rows}；请核对实际支出资金，支出确实超出的请核对{base}",
        m(dep.spent),
        pct(dep.execution_rate),
    )


@rule("F06", Severity.WARNING)
def low_execution_unexplained(dep: Department, s: Settings) -> Iterator[Hit]:
    """预算执行率低于 90% 且未说明执行偏差原因"""
    rate = dep.execution_rate
    if rate is None or rate >= s.execution_rate_min - 1e-12:
        return
    reason = _field(dep, "deviation_reason")
    if reason is not None and reason.blank:
        yield hit(reason, f"预算执行率 {pct(rate)} 低于 {s.execution_rate_min:.0%}，请在“执行偏差原因”中说明未支出的原因", "", pct(rate))


def _large_adjustment(dep: Department, s: Settings) -> tuple[str, str] | None:
    """(what is large, the rate) where the budget was adjusted beyond F07's thresholds."""
    if dep.adjustment_rate is not None and abs(dep.adjustment_rate) > s.adjustment_rate_max:
        return f"预算调整率 {pct(dep.adjustment_rate)} 超过 {s.adjustment_rate_max:.0%}", pct(dep.adjustment_rate)
    if dep.arrival_rate is not None and dep.arrival_rate > s.arrival_rate_max:
        return f"资金到位率 {pct(dep.arrival_rate)} 超过 {s.arrival_rate_max:.0%}", pct(dep.arrival_rate)
    return None


@rule("F07", Severity.WARNING)
def adjustment_unexplained(dep: Department, s: Settings) -> Iterator[Hit]:
    """预算调整幅度大（调整率超过 30% 或到位率超过 130%）且无调整说明"""
    large = _large_adjustment(dep, s)
    if large is None:
        return
    note = _field(dep, "adjustment_note")
    if note is None or not note.blank:
        return
    what, value = large
    yield hit(note, f"{what}，但“调整说明”为空，请说明年中追加或调减预算的原因", "", value)


FORMULAS = (
    ("实际支出资金/预算安排资金", "spent", "budget"),
    ("实际支出资金/实际到位资金", "spent", "received"),
    ("实际支出资金/调整后预算", "spent", "adjusted"),
    ("实际到位资金/预算安排资金（即资金到位率）", "received", "budget"),
)


@rule("F08", Severity.WARNING)
def reported_execution_differs(dep: Department, s: Settings) -> Iterator[Hit]:
    """报告预算执行率与计算值不符"""
    cell = dep.data.funds_fields.get("reported_execution_rate")
    if cell is None or cell.number is None or dep.execution_rate is None:
        return
    tol = s.typed_rate_tolerance(cell.raw)
    if abs(cell.number - dep.execution_rate) <= tol:
        return
    values = {"spent": dep.spent, "budget": dep.budget, "received": dep.received, "adjusted": dep.adjusted}
    matches = [name for name, a, b in FORMULAS if (r := ratio(values[a], values[b])) is not None and abs(r - cell.number) <= tol]
    standard = "实际支出资金/调整后预算" if dep.adjusted is not None else "实际支出资金/实际到位资金（未调整预算）"
    explain = f"报告的数字与 {matches[0]} 相符，这不是规定的算法" if matches else "报告的数字与常见算法均不相符"
    yield hit(
        cell,
        f"报告预算执行率 {pct(cell.number)} 与计算值 {pct(dep.execution_rate)}（{standard}）不符；{explain}，请按规定口径改正报告",
        pct(cell.number),
        pct(dep.execution_rate),
    )


@rule("F09", Severity.WARNING)
def uses_do_not_add_up(dep: Department, s: Settings) -> Iterator[Hit]:
    """基本支出与项目支出之和不等于合计"""
    basic, project = dep.data.funds.get("基本支出", {}), dep.data.funds.get("项目支出", {})
    for column in ("budget", "adjusted", "spent"):
        b, p = _n(basic, column), _n(project, column)
        if b is None or p is None:
            continue
        total, _ = column_total(dep.data, column)
        if column == "adjusted" and total is None:
            total = dep.adjusted
        if total is None:
            continue
        if abs(b + p - total) > s.money_tolerance:
            yield hit(
                basic[column],
                f"“{COLUMN_LABELS[column]}”基本支出 {m(b)} + 项目支出 {m(p)} = {m(b + p)} 万元，与合计 {m(total)} 万元不符",
                m(b + p),
                m(total),
            )


@rule("F10", Severity.WARNING)
def low_project_execution(dep: Department, s: Settings) -> Iterator[Hit]:
    """项目支出执行率低于 90%"""
    rate = dep.project_rate
    if rate is not None and rate < s.execution_rate_min - 1e-12:
        yield hit(
            _cell(dep, "项目支出", "spent"),
            f"项目支出执行率 {pct(rate)} 低于 {s.execution_rate_min:.0%}，请分析项目资金未支出的原因并在“执行偏差原因”中说明",
            "",
            pct(rate),
        )


def median_of_others(values: list[float], own: float) -> float | None:
    """The median of sorted `values` with one occurrence of `own` left out (if it is there):
    O(log n) per department instead of sorting the batch again for each one."""
    import bisect

    i = bisect.bisect_left(values, own)
    present = i < len(values) and values[i] == own
    n = len(values) - (1 if present else 0)
    if n < 2:
        return None

    def at(k: int) -> float:  # k-th value of the list without `own`
        return values[k + 1] if present and k >= i else values[k]

    mid = n // 2
    return at(mid) if n % 2 else (at(mid - 1) + at(mid)) / 2


@rule("F11", Severity.WARNING, batch=True)
def looks_like_yuan(batch, s: Settings):
    """金额疑似以“元”而非“万元”填写"""
    deps = [d for d in batch.departments if d.readable]
    columns = (("budget", "预算安排资金"), ("received", "实际到位资金"), ("spent", "实际支出资金"))
    totals = {c: {d.file: column_total(d.data, c)[0] for d in deps} for c, _ in columns}
    positive = {c: sorted(v for v in totals[c].values() if v is not None and v > 0) for c, _ in columns}
    for dep in deps:
        flagged = []
        for column, label in columns:
            value = totals[column][dep.file]
            if value is None:
                continue
            med = median_of_others(positive[column], value)
            if med is not None and med > 0 and value >= s.unit_factor * med:
                flagged.append((column, label, value, med))
        if not flagged:
            continue
        column, label, value, med = flagged[0]
        sources = [(r, v) for r, row in dep.data.funds.items() if r in dep.data.funds_sources and (v := _n(row, column)) is not None]
        big = max(sources, key=lambda x: x[1], default=None)
        cell = dep.data.funds[big[0]][column] if big else _total_cell(dep, column)
        names = "、".join(x[1] for x in flagged)
        yield (
            dep,
            dep.file,
            hit(
                cell,
                f"{label}合计 {m(value)} 是本批次其他部门中位数 {m(med)} 万元的 {value / med:,.0f} 倍，疑似按“元”填写"
                f"（涉及：{names}）；金额单位应为万元，按元填写的请除以 10000",
                m(value),
                m(value / 10000),
            ),
        )


@rule("F12", Severity.ERROR)
def negative_amount(dep: Department, s: Settings) -> Iterator[Hit]:
    """金额为负数"""
    for label in dep.data.funds_rows:
        row = dep.data.funds.get(label, {})
        for column in S.MONEY_COLUMNS:
            cell = row.get(column)
            if cell is not None and not cell.formula and cell.number is not None and cell.number < 0:
                yield hit(
                    cell,
                    f"“{label}·{COLUMN_LABELS[column]}”为负数 {m(cell.number)}，金额不能为负，调减请在“调整后预算”中体现",
                    m(cell.number),
                )


@rule("F13", Severity.INFO)
def zero_balance_blank(dep: Department, s: Settings) -> Iterator[Hit]:
    """结余资金为 0 却留空"""
    total_balance = dep.data.funds.get(S.TOTAL_ROW, {}).get("balance")
    if total_balance is not None and total_balance.number is not None and total_balance.number != 0:
        return
    for label, row in _filled_sources(dep):
        cell = row.get("balance")
        if cell is None or not cell.blank:
            continue
        received, spent = _n(row, "received"), _n(row, "spent")
        if received is None or spent is None:
            continue  # a blank amount is F16's to ask for, never a 0 here
        if abs(received - spent) <= s.money_tolerance:
            yield hit(cell, f"“{label}”结余资金留空；实际到位资金 − 实际支出资金 = 0，请填写 0.00", "", "0.00")


@rule("F14", Severity.INFO)
def small_adjustment_unexplained(dep: Department, s: Settings) -> Iterator[Hit]:
    """调整后预算与预算安排资金不同但未填写调整说明"""
    if dep.adjusted is None or dep.budget is None or abs(dep.adjusted - dep.budget) <= s.money_tolerance:
        return
    if _large_adjustment(dep, s) is not None:
        return  # F07 warns of it
    note = _field(dep, "adjustment_note")
    if note is None or not note.blank:
        return
    rate = f"（预算调整率 {pct(dep.adjustment_rate)}）" if dep.adjustment_rate is not None else ""
    yield hit(
        note,
        f"调整后预算 {m(dep.adjusted)} 万元与预算安排资金 {m(dep.budget)} 万元不同{rate}，但“调整说明”为空；请说明年中追加或调减预算的原因",
        "",
        pct(dep.adjustment_rate) if dep.adjustment_rate is not None else m(dep.adjusted - dep.budget),
    )


@rule("F15", Severity.WARNING)
def low_reported_execution_unexplained(dep: Department, s: Settings) -> Iterator[Hit]:
    """报告预算执行率低于 90%，未填金额且未说明执行偏差原因"""
    if dep.execution_rate is not None:
        return  # F06 checks the computed rate
    reported = dep.data.funds_fields.get("reported_execution_rate")
    if reported is None or reported.number is None or reported.number >= s.execution_rate_min - 1e-12:
        return
    reason = _field(dep, "deviation_reason")
    if reason is not None and reason.blank:
        yield hit(
            reason,
            f"报告预算执行率 {pct(reported.number)} 低于 {s.execution_rate_min:.0%}，资金情况表缺少计算执行率所需的金额、无法核算，"
            "且“执行偏差原因”为空；请填写金额并说明未支出的原因",
            "",
            pct(reported.number),
        )


@rule("F16", Severity.ERROR)
def amount_missing(dep: Department, s: Settings) -> Iterator[Hit]:
    """资金情况金额缺失，无法计算"""
    for label, column in missing_inputs(dep.data):
        if label == S.TOTAL_ROW:
            continue  # no row is in use: nothing was typed to leave a figure half known
        cell = dep.data.funds.get(label, {}).get(column)
        if cell is None:
            continue
        # a use row's blank leaves its own rate unknown; a source row's, the department's total
        what = f"{label}执行率" if label in S.USE_ROWS else f"部门{COLUMN_LABELS[column]}合计及由它算出的比率"
        yield hit(
            cell,
            f"“{label}”已填写金额，但“{COLUMN_LABELS[column]}”留空，无法计算{what}；请填写该金额，确实没有的请填 0.00",
        )
