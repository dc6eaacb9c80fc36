"""G: performance goals (绩效目标)."""

from __future__ import annotations

from collections.abc import Iterator

from .. import schema as S
from ..config import Settings
from ..model import Cell, Department, Row, Severity
from ..values import format_number as n
from ..values import is_placeholder, normalize_label, quote
from .indicators import NUMERIC, goal_indicators, shortfall
from .indicators import goal_cell as _c
from .registry import Hit, hit, rule


def _name(row: Row) -> str:
    return quote(_c(row, "level3").text, 40)


@rule("G01", Severity.WARNING)
def goal_without_indicator(dep: Department, s: Settings) -> Iterator[Hit]:
    """年度绩效目标没有三级指标，未细化量化"""
    goals: dict[tuple[int, int], tuple[Cell, bool]] = {}
    for row in dep.data.goals:
        goal = row.get("goal")
        if goal is None or goal.blank:
            continue
        key = (goal.row, goal.col)
        has = goals.get(key, (goal, False))[1] or not _c(row, "level3").blank
        goals[key] = (goal, has)
    for goal, has in goals.values():
        if not has:
            yield hit(
                goal,
                f"年度绩效目标“{quote(goal.text, 40)}”没有对应的三级指标，目标未细化量化；请补充可衡量的产出、效益、满意度指标",
                goal.text[:200],
            )


@rule("G02", Severity.WARNING)
def target_not_numeric(dep: Department, s: Settings) -> Iterator[Hit]:
    """定量指标（≥/≤/=）没有数值型指标值"""
    for row, nature in goal_indicators(dep):
        target = _c(row, "target")
        if nature in NUMERIC and target.number is None and not is_placeholder(target.raw):
            what = "为空" if target.blank else f"为“{quote(target.text, 30)}”"
            yield hit(target, f"指标“{_name(row)}”性质为“{nature}”，但指标值{what}；定量指标应填写数值", target.text)


@rule("G03", Severity.INFO)
def unit_missing(dep: Department, s: Settings) -> Iterator[Hit]:
    """定量指标没有计量单位"""
    for row, nature in goal_indicators(dep):
        if nature in NUMERIC and _c(row, "unit").blank:
            yield hit(_c(row, "unit"), f"指标“{_name(row)}”是定量指标，请填写计量单位（如 家、项、%、万元）")


@rule("G04", Severity.WARNING)
def missed_unexplained(dep: Department, s: Settings) -> Iterator[Hit]:
    """指标未达到目标值且未填写偏差原因及改进措施"""
    for row, nature in goal_indicators(dep):
        got = shortfall(row, nature)
        if got is None:
            continue
        target, actual = got
        if "deviation" not in row and dep.data.in_form:
            continue  # the form has no 偏差原因 column: nothing to fill in
        cell = _c(row, "deviation")
        if cell.blank:
            yield hit(
                cell,
                f"指标“{_name(row)}”目标 {nature}{n(target)}，实际完成 {n(actual)}，未达到目标；请填写偏差原因及改进措施",
                n(actual),
                f"{nature}{n(target)}",
            )


@rule("G05", Severity.INFO)
def target_too_low(dep: Department, s: Settings) -> Iterator[Hit]:
    """≥ 指标超额完成 20% 以上，目标可能定得偏低"""
    for row, nature in goal_indicators(dep):
        target, actual = _c(row, "target").number, _c(row, "actual").number
        if nature != "≥" or target is None or actual is None or target <= 0:
            continue
        if actual > target * (1 + s.overshoot) + 1e-9:
            over = actual / target - 1
            yield hit(
                _c(row, "actual"),
                f"指标“{_name(row)}”目标 ≥{n(target)}，实际完成 {n(actual)}，超出 {over:.0%}；目标值可能设定偏低，下年度请结合实际合理设定",
                n(actual),
                f"≥{n(target)}",
            )


@rule("G06", Severity.WARNING)
def coverage(dep: Department, s: Settings) -> Iterator[Hit]:
    """绩效指标未覆盖产出、效益、满意度三类一级指标"""
    if "level1" not in dep.data.goals_columns:
        return  # no 一级 column (S03 in the template; a flat-list form has none): nothing to tell
    present = {normalize_label(_c(row, "level1").raw) for row, _ in goal_indicators(dep)}
    lacking = [x for x in S.REQUIRED_GOAL_LEVEL1 if x not in present]
    if lacking:
        # the header is locked: point at the first empty row below the goals, where one is added
        last = max((c.row for row in dep.data.goals for c in row.values()), default=dep.data.goals_header_row)
        sheet = next((c.sheet for row in dep.data.goals for c in row.values()), S.SHEET_GOALS)
        cell = Cell(sheet, last + 1, dep.data.goals_columns["level1"])
        yield hit(
            cell,
            f"绩效指标缺少一级指标：{'、'.join(lacking)}；部门整体绩效目标应包括产出、效益和满意度指标，"
            f"请在“一级指标”列补充{'、'.join(lacking)}及其三级指标",
            "、".join(sorted(present - {""})),
        )


@rule("G07", Severity.WARNING)
def placeholder(dep: Department, s: Settings) -> Iterator[Hit]:
    """以占位符（*、X、XX、待定、/）代替实际数值"""
    for row in dep.data.goals:
        for key, label in (("target", "指标值"), ("actual", "实际完成值")):
            cell = _c(row, key)
            if not cell.blank and is_placeholder(cell.raw):
                who = f"指标“{_name(row)}”" if not _c(row, "level3").blank else "本行"
                yield hit(cell, f"{who}的{label}填写了占位符“{cell.text}”，请填写实际数值", cell.text)
