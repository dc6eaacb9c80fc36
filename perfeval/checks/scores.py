"""W: scoring (指标评分)."""

from __future__ import annotations

from collections.abc import Iterator

from .. import schema as S
from ..config import Settings
from ..model import Cell, Department, Row, Severity
from ..values import format_number as n
from ..values import format_rate as pct
from ..values import normalize_label, quote
from .indicators import goal_cell, scored_goals, shortfall
from .registry import Hit, hit, rule


def _c(row: Row, key: str) -> Cell:
    return row.get(key) or Cell(S.SHEET_SCORES)


def _name(row: Row) -> str:
    return quote(_c(row, "level3").text, 40) or f"第 {_c(row, 'weight').row or _c(row, 'score').row} 行"


@rule("W01", Severity.ERROR)
def score_over_weight(dep: Department, s: Settings) -> Iterator[Hit]:
    """得分大于分值"""
    for row in dep.data.scores:
        w, sc = _c(row, "weight").number, _c(row, "score").number
        if w is not None and sc is not None and sc > w + s.score_tolerance:
            yield hit(
                _c(row, "score"), f"指标“{_name(row)}”得分 {n(sc)} 大于分值 {n(w)}，请把得分改为不超过 {n(w)}，或改正分值", n(sc), n(w)
            )


@rule("W02", Severity.ERROR)
def negative_score(dep: Department, s: Settings) -> Iterator[Hit]:
    """得分为负，或分值不大于 0"""
    for row in dep.data.scores:
        w, sc = _c(row, "weight").number, _c(row, "score").number
        if sc is not None and sc < 0:
            yield hit(_c(row, "score"), f"指标“{_name(row)}”得分 {n(sc)} 为负数", n(sc))
        if w is not None and w <= 0:
            yield hit(_c(row, "weight"), f"指标“{_name(row)}”分值 {n(w)} 应大于 0", n(w))


@rule("W03", Severity.ERROR)
def weights_not_100(dep: Department, s: Settings) -> Iterator[Hit]:
    """各指标分值之和不等于 100"""
    if not dep.data.scores or dep.total_weight is None:
        return
    if abs(dep.total_weight - s.total_weight) > s.score_tolerance:
        d = dep.data
        # the 合计 is a locked formula: point at the first 分值 to check, name the total
        cell = next((r["weight"] for r in d.scores if "weight" in r), None)
        if cell is None:
            cell = Cell(S.SHEET_SCORES, d.scores_header_row, d.scores_columns.get("weight", 0))
        column = d.scores_columns.get("weight", 0)
        total = (
            f"（合计行 {S.SHEET_SCORES}!{Cell(S.SHEET_SCORES, d.scores_total_row, column).ref}）" if d.scores_total_row and column else ""
        )
        yield hit(
            cell,
            f"全部三级指标分值之和为 {n(dep.total_weight)}{total}，应为 {n(s.total_weight)}；请核对并改正各指标的分值，使合计为 {n(s.total_weight)}",
            n(dep.total_weight),
            n(s.total_weight),
        )


@rule("W04", Severity.WARNING)
def deduction_unexplained(dep: Department, s: Settings) -> Iterator[Hit]:
    """有扣分但未填写扣分原因"""
    for row in dep.data.scores:
        w, sc = _c(row, "weight").number, _c(row, "score").number
        if w is None or sc is None or sc >= w - s.score_tolerance:
            continue
        if "reason" not in row and dep.data.in_form:
            continue  # the form has no place for a reason here (its 执行率 block, a list without one)
        if _c(row, "reason").blank:
            yield hit(
                _c(row, "reason"),
                f"指标“{_name(row)}”分值 {n(w)}、得分 {n(sc)}，扣 {n(round(w - sc, 4))} 分但未填写扣分原因",
                "",
                n(round(w - sc, 4)),
            )


@rule("W05", Severity.WARNING)
def duplicate_indicator(dep: Department, s: Settings) -> Iterator[Hit]:
    """同一二级指标下三级指标重复"""
    seen: dict[tuple[str, str, str], Cell] = {}
    for row in dep.data.scores:
        name = normalize_label(_c(row, "level3").raw)
        if not name:
            continue
        key = (normalize_label(_c(row, "level1").raw), normalize_label(_c(row, "level2").raw), name)
        first = seen.get(key)
        if first is None:
            seen[key] = _c(row, "level3")
        else:
            yield hit(
                _c(row, "level3"),
                f"三级指标“{_name(row)}”在二级指标“{_c(row, 'level2').text}”下重复出现（首次在 {first.ref}），请合并或改名",
                _c(row, "level3").text,
            )


@rule("W06", Severity.ERROR)
def score_blank(dep: Department, s: Settings) -> Iterator[Hit]:
    """有分值的指标未填写得分"""
    for row in dep.data.scores:
        if _c(row, "weight").number is not None and _c(row, "score").blank:
            yield hit(_c(row, "score"), f"指标“{_name(row)}”有分值 {n(_c(row, 'weight').number)} 但得分为空，请填写得分（0 分请填 0）")


def _goal_ref(cell: Cell) -> str:
    return f"{S.SHEET_GOALS}!{cell.ref}" if cell.ref else S.SHEET_GOALS


@rule("W07", Severity.WARNING)
def full_marks_on_missed_target(dep: Department, s: Settings) -> Iterator[Hit]:
    """实际完成值未达到指标值却给了满分"""
    for row, goal, nature in scored_goals(dep):
        w, sc = _c(row, "weight").number, _c(row, "score").number
        if w is None or sc is None or w <= 0 or abs(sc - w) > s.score_tolerance:
            continue
        got = shortfall(goal, nature)
        if got is None:
            continue
        target, actual = got
        yield hit(
            _c(row, "score"),
            f"指标“{_name(row)}”目标 {nature}{n(target)}，实际完成 {n(actual)}（{_goal_ref(goal_cell(goal, 'actual'))}），未达到目标，"
            f"却得了满分 {n(sc)} 分；请按评分标准扣分并写明扣分原因，实际完成值填错的请改正“绩效目标”表",
            n(sc),
            f"实际 {n(actual)}，目标 {nature}{n(target)}",
        )


@rule("W08", Severity.WARNING)
def scored_without_actual(dep: Department, s: Settings) -> Iterator[Hit]:
    """实际完成值为空却给了得分"""
    if "actual" not in dep.data.goals_columns:
        return  # no such column (S03 says so): every 实际完成值 would look blank
    for row, goal, _ in scored_goals(dep):
        sc = _c(row, "score").number
        actual = goal_cell(goal, "actual")
        if sc is not None and sc > 0 and actual.blank:
            yield hit(
                _c(row, "score"),
                f"指标“{_name(row)}”得分 {n(sc)}，但“绩效目标”表中的实际完成值（{_goal_ref(actual)}）为空；"
                "请填写实际完成值（定性指标写明完成情况），没有完成依据的不应给分",
                n(sc),
            )


# 三级指标 names (as normalize_label gives them) of the department's budget execution: its score
# is commonly 预算执行率 × 分值. A project's or basic expenditure's own rate is not the
# department's, so names of those are left out.
EXECUTION_INDICATORS = frozenset(
    (
        "预算执行率",
        "预算完成率",
        "资金执行率",
        "预算资金执行率",
        "财政资金执行率",
        "部门预算执行率",
        "部门整体预算执行率",
        "部门整体支出执行率",
        "部门整体支出率",
    )
)


@rule("W09", Severity.WARNING)
def execution_score_differs(dep: Department, s: Settings) -> Iterator[Hit]:
    """预算执行类指标的得分与计算的预算执行率 × 分值不符"""
    rate = dep.execution_rate
    if rate is None:
        return
    for row in dep.data.scores:
        if normalize_label(_c(row, "level3").raw) not in EXECUTION_INDICATORS:
            continue
        w, sc = _c(row, "weight").number, _c(row, "score").number
        if w is None or sc is None or w <= 0:
            continue
        expected = round(min(max(rate, 0.0), 1.0) * w, 6)
        if abs(sc - expected) <= s.execution_score_tolerance:
            continue
        yield hit(
            _c(row, "score"),
            f"指标“{_name(row)}”得分 {n(sc)}，按计算的预算执行率 {pct(rate)} × 分值 {n(w)} 应得 {n(expected)} 分"
            f"{'（执行率超过 100% 的按分值计）' if rate > 1 else ''}；请按计算的预算执行率核对得分",
            n(sc),
            n(expected),
        )


@rule("W10", Severity.WARNING)
def coefficient_score_differs(dep: Department, s: Settings) -> Iterator[Hit]:
    """得分与得分系数 × 分值不符"""
    for row in dep.data.scores:
        coefficient = row.get("coefficient")  # only a form with a 得分系数 column has one (重庆)
        if coefficient is None or coefficient.number is None:
            continue
        w, sc = _c(row, "weight").number, _c(row, "score").number
        if w is None or sc is None:
            continue
        expected = round(coefficient.number * w, 6)
        if abs(sc - expected) <= s.score_tolerance:
            continue
        yield hit(
            _c(row, "score"),
            f"指标“{_name(row)}”得分 {n(sc)}，按得分系数 {pct(coefficient.number)} × 分值 {n(w)} 应得 {n(expected)} 分；"
            "请核对得分或得分系数",
            n(sc),
            n(expected),
        )


@rule("W11", Severity.WARNING)
def stated_weight_differs(dep: Department, s: Settings) -> Iterator[Hit]:
    """一级、二级指标名称中写明的分值与其下三级指标的分值之和不符"""
    for key, what in (("level1", "一级"), ("level2", "二级")):
        # by the label cell that states the weight (merged over its rows): its 三级 weights
        groups: dict[tuple[int, int], tuple[Cell, str, list[float | None]]] = {}
        for row in dep.data.scores:
            stated = row.get(f"{key}_weight")
            if stated is None or stated.number is None:
                continue
            name = _c(row, key).text
            groups.setdefault((stated.row, stated.col), (stated, name, []))[2].append(_c(row, "weight").number)
        for stated, name, weights in groups.values():
            if any(w is None for w in weights):
                continue  # a 三级 weight unknown: S08/W06 tell of it, the sum is not known
            total = round(sum(w for w in weights if w is not None), 6)
            if abs(total - (stated.number or 0.0)) <= s.score_tolerance:
                continue
            yield hit(
                stated,
                f"{what}指标“{quote(name, 30)}”名称中写明 {n(stated.number)} 分，其下 {len(weights)} 个三级指标的分值之和为 {n(total)} 分；"
                "请核对名称中的分值或各三级指标的分值",
                n(stated.number),
                n(total),
            )
