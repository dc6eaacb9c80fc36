"""C: conclusion (评价结论) against what 指标评分 really adds up to."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .. import schema as S
from ..config import Settings
from ..model import Cell, Department, Row, Severity
from ..profiles import form_has
from ..values import format_number as n
from ..values import format_rate as pct
from ..values import normalize_label, quote
from .registry import Hit, hit, rule


def _c(row: Row, key: str) -> Cell:
    return row.get(key) or Cell(S.SHEET_CONCLUSION)


@rule("C01", Severity.ERROR)
def score_differs(dep: Department, s: Settings) -> Iterator[Hit]:
    """填写的评价得分与计算总分不符"""
    cell = dep.data.conclusion.get("reported_score")
    if cell is None or cell.number is None or dep.total_score is None:
        return
    if abs(cell.number - dep.total_score) > s.score_tolerance:
        yield hit(
            cell,
            f"评价得分填写 {n(cell.number)} 分，指标评分表各项得分合计为 {n(dep.total_score)} 分，请改正",
            n(cell.number),
            n(dep.total_score),
        )


@rule("C02", Severity.ERROR)
def grade_differs(dep: Department, s: Settings) -> Iterator[Hit]:
    """填写的评价等级与计算总分对应的等级不符"""
    cell = dep.data.conclusion.get("reported_grade")
    if cell is None or cell.blank or not dep.grade:
        return
    written = normalize_label(cell.raw)
    if written in S.GRADES and written != dep.grade:
        yield hit(
            cell,
            f"评价等级填写“{written}”，按计算总分 {n(dep.total_score)} 分应为“{dep.grade}”（优≥{n(s.grade_excellent)}，良≥{n(s.grade_good)}，中≥{n(s.grade_pass)}）",
            written,
            dep.grade,
        )


@rule("C03", Severity.INFO)
def no_problems_listed(dep: Department, s: Settings) -> Iterator[Hit]:
    """得分低于满分但未列出存在问题"""
    if dep.total_score is None or not dep.total_weight or dep.total_score >= dep.total_weight - s.score_tolerance:
        return
    if any(normalize_label(_c(r, "category").raw) == "存在问题" for r in dep.data.items):
        return
    if dep.data.in_form and not form_has(dep.data.profile, "conclusion", "problems", s.profiles):
        return  # the form has no place for problems (the national one-sheet form): none to list
    message = f"评价得分 {n(dep.total_score)} 分低于满分，但“评价结论”未列出存在问题；请对应扣分写明问题"
    at = dep.data.conclusion.get("problems")  # a form's own 存在问题 cell
    yield hit(at, message) if at is not None else Hit(S.SHEET_CONCLUSION, 0, 0, message)


@rule("C04", Severity.WARNING)
def unknown_indicator(dep: Department, s: Settings) -> Iterator[Hit]:
    """关联指标不是指标评分表中的三级指标"""
    if "level3" not in dep.data.scores_columns:
        return  # no 指标评分 sheet, header or 三级指标 column to look in: S02/S03 say so
    names = {normalize_label(_c(r, "level3").raw) for r in dep.data.scores}
    for row in dep.data.items:
        cell = row.get("indicator")
        if cell is None or cell.blank:
            continue
        if normalize_label(cell.raw) not in names:
            yield hit(cell, f"关联指标“{quote(cell.text, 40)}”不是“指标评分”表中的三级指标，请按指标名称填写", cell.text)


def _analysis(dep: Department) -> Iterator[tuple[Row, str, float | None, float | None]]:
    """Rows of the report's 绩效分析 table with the computed score and rate they claim."""
    level1 = {normalize_label(x.name): x for x in dep.level1}
    for row in dep.data.analysis:
        label = normalize_label(_c(row, "level1").raw)
        if not label:
            continue
        if label in S.TOTAL_LABELS:
            yield row, label, dep.total_score, dep.score_rate
        elif label in level1:
            yield row, label, level1[label].score, level1[label].rate
        else:
            yield row, label, None, None


def _weight_of(dep: Department, label: str) -> float | None:
    if label in S.TOTAL_LABELS:
        return dep.total_weight
    return next((x.weight for x in dep.level1 if normalize_label(x.name) == label), None)


@rule("C05", Severity.WARNING)
def reported_score_differs(dep: Department, s: Settings) -> Iterator[Hit]:
    """报告绩效分析表的一级指标得分与计算值不符"""
    if dep.total_score is None:
        return
    for row, label, score, _ in _analysis(dep):
        cell = _c(row, "reported_score")
        if cell.number is None:
            continue
        if score is None:
            yield hit(_c(row, "level1"), f"绩效分析表中的一级指标“{label}”在“指标评分”表中不存在，请按指标评分表的一级指标填写", label)
        elif abs(cell.number - score) > s.score_tolerance:
            yield hit(cell, f"绩效分析表中“{label}”得分写为 {n(cell.number)}，指标评分表合计为 {n(score)}", n(cell.number), n(score))


@rule("C06", Severity.WARNING)
def reported_rate_differs(dep: Department, s: Settings) -> Iterator[Hit]:
    """报告绩效分析表的得分率与计算值不符"""
    if dep.total_score is None:
        return
    for row, label, _, rate in _analysis(dep):
        cell = _c(row, "reported_rate")
        if cell.number is None or rate is None:
            continue
        tol = s.typed_rate_tolerance(cell.raw, 1.0)
        if abs(cell.number - rate) <= tol:
            continue
        score = _c(row, "reported_score").number
        weight = _weight_of(dep, label)
        implied = ""
        if score is not None and cell.number:
            implied = f"；按报告得分 {n(score)} ÷ 报告得分率 {pct(cell.number)} 推算分值为 {n(round(score / cell.number, 2))}，而实际分值为 {n(weight)}"
        yield hit(
            cell, f"绩效分析表中“{label}”得分率写为 {pct(cell.number)}，计算得分率为 {pct(rate)}{implied}", pct(cell.number), pct(rate)
        )


@rule("C07", Severity.WARNING)
def implied_weights(dep: Department, s: Settings) -> Iterator[Hit]:
    """报告绩效分析表隐含的分值之和不等于 100"""
    rows = [r for r in dep.data.analysis if normalize_label(_c(r, "level1").raw) not in S.TOTAL_LABELS and not _c(r, "level1").blank]
    if not rows:
        return
    low = high = 0.0
    for row in rows:
        score, rate_cell = _c(row, "reported_score").number, _c(row, "reported_rate")
        rate = rate_cell.number
        if score is None or rate is None or rate <= 0:
            return
        tol = s.typed_rate_tolerance(rate_cell.raw, 1.0)
        low += score / (rate + tol)
        high += score / max(rate - tol, 1e-9)
    point = sum(
        (_c(r, "reported_score").number or 0.0) / (_c(r, "reported_rate").number or 1.0) for r in rows
    )  # every row has both (checked above)
    if low - s.score_tolerance <= s.total_weight <= high + s.score_tolerance:
        return
    total = next((r for r in dep.data.analysis if normalize_label(_c(r, "level1").raw) in S.TOTAL_LABELS), rows[-1])
    parts = " + ".join(f"{_c(r, 'reported_score').number / _c(r, 'reported_rate').number:.2f}" for r in rows)  # type: ignore[operator]
    yield hit(
        _c(total, "reported_rate"),
        f"按绩效分析表各一级指标“报告得分 ÷ 报告得分率”推算的分值为 {parts} = {point:.2f}，不等于 {n(s.total_weight)}：表中得分与得分率不可能同时正确，请按指标评分表重算",
        f"{point:.2f}",
        n(s.total_weight),
    )


@rule("C08", Severity.WARNING)
def indicator_counts(dep: Department, s: Settings) -> Iterator[Hit]:
    """报告所述各级指标数与指标评分表不符"""
    if not dep.data.scores:
        return
    level1 = {normalize_label(_c(r, "level1").raw) for r in dep.data.scores} - {""}
    level2 = {
        (normalize_label(_c(r, "level1").raw), normalize_label(_c(r, "level2").raw)) for r in dep.data.scores if not _c(r, "level2").blank
    }
    level3 = [r for r in dep.data.scores if not _c(r, "level3").blank]
    counted = {
        "reported_level1_count": ("一级", len(level1)),
        "reported_level2_count": ("二级", len(level2)),
        "reported_level3_count": ("三级", len(level3)),
    }
    for key, (what, count) in counted.items():
        cell = dep.data.info.get(key)
        if cell is None or cell.number is None:
            continue
        if cell.number != count:
            yield hit(cell, f"报告称{what}指标 {n(cell.number)} 个，“指标评分”表中实际有 {count} 个", n(cell.number), str(count))


SELF = re.compile(r"自评")
EXTERNAL = re.compile(r"第三方|委托|专家组|评价组|财政评价|再评价")


@rule("C09", Severity.INFO)
def type_vs_process(dep: Department, s: Settings) -> Iterator[Hit]:
    """评价类型与绩效评价工作过程的描述不一致"""
    etype = normalize_label(_c(dep.data.info, "eval_type").raw)
    process = dep.data.info.get("process")
    if process is None or process.blank or etype not in S.EVALUATION_TYPES:
        return
    text = process.text
    if etype != "单位自评" and SELF.search(text):
        yield hit(
            process,
            f"评价类型为“{etype}”，但“绩效评价工作过程”描述的是单位自评（文中有“自评”）；请核对评价类型或改写工作过程",
            etype,
            "单位自评",
        )
    elif etype == "单位自评" and (m := EXTERNAL.search(text)):
        yield hit(process, f"评价类型为“单位自评”，但“绩效评价工作过程”提到“{m.group(0)}”，像是外部评价；请核对评价类型", etype)
