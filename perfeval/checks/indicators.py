"""What the goals rules (G) and the scoring rules (W) share about an indicator: its 指标性质, whether
it missed its 指标值, and the 绩效目标 row a 指标评分 row is about.

The 指标评分 sheet has no 指标值 or 实际完成值 columns: a scoring row is matched to its goal row by
the 三级指标 name (spaces removed, as `normalize_label` does). A name that appears more than once in
either sheet is left unmatched, so a rule never compares the wrong two rows.
"""

from __future__ import annotations

from collections import Counter

from .. import schema as S
from ..model import Cell, Department, Row
from ..values import normalize_label, normalize_nature
from .registry import derived

NUMERIC = ("≥", "≤", "=")  # the 指标性质 of a quantitative indicator


def goal_cell(row: Row, key: str) -> Cell:
    return row.get(key) or Cell(S.SHEET_GOALS)


def goal_indicators(dep: Department) -> list[tuple[Row, str]]:
    """Goal rows that name a 三级指标, with their normalized 指标性质 (several rules ask)."""
    return derived(dep, _goal_indicators)


def _goal_indicators(dep: Department) -> list[tuple[Row, str]]:
    return [(row, normalize_nature(goal_cell(row, "nature").raw)) for row in dep.data.goals if not goal_cell(row, "level3").blank]


def missed(nature: str, target: float, actual: float) -> bool:
    """Whether `actual` falls short of `target` by the 指标性质 `nature` (定性: never)."""
    eps = 1e-9
    if nature == "≥":
        return actual < target - eps
    if nature == "≤":
        return actual > target + eps
    if nature == "=":
        return abs(actual - target) > eps
    return False


def shortfall(row: Row, nature: str) -> tuple[float, float] | None:
    """(指标值, 实际完成值) of a goal row whose 实际完成值 missed its 指标值 by its 指标性质;
    None where it did not, or where either is not a number."""
    target, actual = goal_cell(row, "target").number, goal_cell(row, "actual").number
    if target is None or actual is None or not missed(nature, target, actual):
        return None
    return target, actual


def scored_goals(dep: Department) -> list[tuple[Row, Row, str]]:
    """(指标评分 row, its 绩效目标 row, that goal's normalized 指标性质) for every 三级指标 name
    found exactly once in each sheet, in the order of the 指标评分 sheet."""
    return derived(dep, _scored_goals)


def _scored_goals(dep: Department) -> list[tuple[Row, Row, str]]:
    goals = [(normalize_label(goal_cell(row, "level3").raw), row, nature) for row, nature in goal_indicators(dep)]
    scores = [(normalize_label(row["level3"].raw), row) for row in dep.data.scores if "level3" in row]
    goal_count = Counter(name for name, _, _ in goals)
    score_count = Counter(name for name, _ in scores)
    by_name = {name: (row, nature) for name, row, nature in goals if goal_count[name] == 1}
    out = []
    for name, row in scores:
        if name and score_count[name] == 1 and name in by_name:
            goal, nature = by_name[name]
            out.append((row, goal, nature))
    return out
