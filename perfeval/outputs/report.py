"""The Word report of one department, in the structure of the seed report.

Every figure comes from what perfeval computed, never from what the workbook claims where the
two differ. The layout is the package's `data/report-template.docx` (`perfeval template --report`
writes a copy to restyle in Word, used with `--report-template`), filled with docxtpl's tags and
autoescape on: prepared once per template and rendered per department by `docx_render`, or by
docxtpl itself (`write_report_docxtpl`) for a template that path does not cover. A user's
template is tried before a run (`check_report_template`), so that a broken one stops the run
before any work, with the reason, rather than after the department workbooks are written.
"""

from __future__ import annotations

import functools
import io
import math
import re
import warnings
import zipfile
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from .. import schema as S
from ..atomic import write_bytes_atomic
from ..checks.funds import FORMULAS as EXECUTION_FORMULAS
from ..model import Cell, Department, Finding, LevelScore, Row, Severity, Status, WorkbookData
from ..scoring import ratio
from ..values import clean_text, normalize_label, quote
from . import docx_render
from .wording import comparison_text, money_text, number_text, rate_text

DEFAULT_TEMPLATE = "report-template.docx"  # package data (perfeval/data/), read with importlib.resources
CHECK_DATE = date(2024, 1, 1)  # the report date of the made-up departments a template is tried with
# Characters XML 1.0 cannot hold: Word refuses a file that has them.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@functools.cache
def default_template_bytes() -> bytes:
    """The default report template, as shipped in the package (read once per process)."""
    return resources.files("perfeval").joinpath("data", DEFAULT_TEMPLATE).read_bytes()


def _t(text: Any) -> str:
    return _XML_ILLEGAL.sub("", clean_text(text))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in _t(text).splitlines() if line.strip()]


def _info(dep: Department, key: str) -> str:
    cell = dep.data.info.get(key)
    return "" if cell is None else _t(cell.raw)


def _money(x: float | None) -> str:
    return money_text(x) or "—"


def _rate(x: float | None) -> str:
    return rate_text(x) or "—"


def _rate0(x: float | None) -> str:
    return rate_text(x, 0) or "—"


def _sentence(text: str) -> str:
    """Text as a sentence of the report: ends with a full stop unless it ends with one already
    (or with a closing bracket or quote of its own); a trailing comma or semicolon becomes one."""
    text = text.strip()
    if not text:
        return text
    if text[-1] in "，,；;、：:":
        text = text[:-1]
    return text if text[-1] in "。！？!?…）)”》" else text + "。"


FUNDS_COLUMN_LABELS = {c.id: c.label for c in S.FUNDS_TABLE.columns}
PLACEHOLDER_ORGANIZATION = "评价机构（盖章）"
DRAFTED = "（以下由评价组根据扣分情况整理，供参考）"
STANDARD_EXECUTION = "预算执行率 = 实际支出资金 ÷ 调整后预算（预算未调整的为实际到位资金）× 100%"


def report_context(dep: Department, run_date: date, organization: str = "") -> dict[str, Any]:
    """What the report template is filled with. `organization`: the 评价机构 signing the
    report (the settings' [report] organization); "" for the workbook's 评价机构, or else a
    line to sign by hand."""
    data = dep.full_data()  # a report tells of goals, items and conclusions: the whole read
    name = _t(dep.name)
    year_text = f"{dep.year}年度" if dep.year else ""
    fund_rows = []
    for label in data.funds_sources + S.USE_ROWS:
        row = data.funds.get(label, {})
        values = {k: row[k].number if k in row else None for k in S.MONEY_COLUMNS}
        if all(v is None for v in values.values()):
            continue
        if values["received"] is not None and values["spent"] is not None:  # computed, as the 合计 is
            values["balance"] = round(values["received"] - values["spent"], 6)
        fund_rows.append({"label": label, **{k: money_text(v) for k, v in values.items()}})
    fund_rows.insert(
        sum(1 for r in fund_rows if r["label"] in data.funds_sources),
        {
            "label": "合计",
            "budget": _money(dep.budget),
            "adjusted": money_text(dep.adjusted),
            "received": _money(dep.received),
            "spent": _money(dep.spent),
            "balance": _money(dep.balance),
        },
    )
    goals: list[str] = []
    indicators = []
    for row in data.goals:
        goal = row.get("goal")
        if goal is not None and not goal.blank and _t(goal.raw) not in goals:
            goals.append(_t(goal.raw))
        level3 = row.get("level3")
        if level3 is not None and not level3.blank:
            unit = _t(row["unit"].raw) if "unit" in row else ""
            nature = _t(row["nature"].raw) if "nature" in row else ""
            target = _t(row["target"].raw) if "target" in row else ""
            actual = _t(row["actual"].raw) if "actual" in row else ""
            indicators.append(
                {
                    "level1": _t(row["level1"].raw) if "level1" in row else "",
                    "level2": _t(row["level2"].raw) if "level2" in row else "",
                    "level3": _t(level3.raw),
                    "target": f"{nature if nature != '定性' else ''}{target}{unit if target else ''}",
                    "actual": f"{actual}{unit if actual else ''}",
                }
            )
    level1 = {normalize_label(x.name) for x in dep.level1} - {""}
    level2 = {(x.parent, x.name) for x in dep.level2 if x.name}
    deductions = _deductions(data.scores)
    codes = {f.code for f in dep.findings}
    provisional = "（暂定）" if dep.status is Status.PENDING else ""
    listed_problems, listed_suggestions = _items(data.items, "存在问题"), _items(data.items, "相关建议")
    rate_issues = _rate_issues(dep)
    problems, problems_note = listed_problems, ""
    if not problems and (deductions or rate_issues):
        problems, problems_note = _drafted_problems(deductions, rate_issues), DRAFTED
    suggestions, suggestions_note = listed_suggestions, ""
    if not suggestions and (deductions or rate_issues):
        suggestions, suggestions_note = _drafted_suggestions(deductions, rate_issues), DRAFTED
    unresolved = unresolved_text(dep)
    if unresolved:  # 整改: what the earlier year's evaluation said and still stands
        suggestions = [*suggestions, unresolved]
    execution_formula = "实际支出资金 ÷ 调整后预算" if dep.adjusted is not None else "实际支出资金 ÷ 实际到位资金（预算未调整）"
    findings = [
        {"severity": f.severity.value, "code": f.code, "location": f.location or "—", "message": _t(f.message)} for f in dep.findings
    ]
    subject = f"{name}{year_text}部门整体支出绩效评价"
    return {
        "name": name,
        "year_text": year_text,
        "run_date": f"{run_date.year}年{run_date.month}月{run_date.day}日",
        "organization": _t(organization) or _info(dep, "agency") or PLACEHOLDER_ORGANIZATION,
        "project": _info(dep, "project") or subject,
        "eval_type": _t(dep.eval_type),
        "purpose": _info(dep, "purpose") or "—",
        "budget": _money(dep.budget),
        "received": _money(dep.received),
        "spent": _money(dep.spent),
        "balance": _money(dep.balance),
        "execution_rate": _rate(dep.execution_rate),
        "execution_formula": execution_formula,
        "arrival_rate": _rate(dep.arrival_rate),
        "adjustment_rate": _rate(dep.adjustment_rate) if dep.adjusted is not None else "—（未调整）",
        "balance_rate": _rate(dep.balance_rate),
        "basic_rate": _rate(dep.basic_rate),
        "project_rate": _rate(dep.project_rate),
        "funds_text": _funds_text(dep, name, year_text),
        "rates_text": _rates_text(dep),
        "funds_notes": _funds_notes(dep, codes),
        "fund_rows": fund_rows,
        "goals_intro": f"{name}{year_text}部门整体支出绩效目标为：" if goals else "评价工作簿未填报年度绩效目标。",
        "goals": [_sentence(g) for g in goals],
        "indicators": indicators,
        "table_numbers": {"indicators": 3, "analysis": 4 if indicators else 3},
        "scope": _sentence(_info(dep, "scope")) or "—",
        "basis": _lines(_info(dep, "basis")) or ["—"],
        "level1_count": len(level1),
        "level2_count": len(level2),
        "level3_count": dep.level3_count,
        "total_weight": number_text(dep.total_weight) or "—",
        "system_text": _system_text(dep, len(level1), len(level2)),
        "system_notes": _system_notes(dep, codes, len(level1), len(level2)),
        "method": _sentence(_info(dep, "method")) or "—",
        "data_method": _sentence(_info(dep, "data_method")) or "—",
        "process": [_sentence(line) for line in _lines(_info(dep, "process"))] or ["—"],
        "score": number_text(dep.total_score) or "—",
        "grade": dep.grade or "—",
        **_status_texts(dep, year_text),
        "comparison": comparison_text(dep),
        "score_notes": _score_notes(dep, codes),
        "score_rate": _rate0(dep.score_rate),
        "analysis_intro": (
            f"各一级指标的分值、得分和得分率见表{3 if not indicators else 4}，各三级指标的分值、得分和扣分原因见附表。"
            if dep.level1
            else "评价工作簿未提供指标评分表，无法逐项分析。"
        ),
        "analysis": [
            {
                "name": _t(x.name),
                "weight": number_text(x.weight),
                "score": number_text(x.score) or "—",
                "rate": _rate0(x.rate),
                "text": _level1_text(x, deductions.get(x.name, []), provisional),
            }
            for x in dep.level1
        ],
        "score_rows": _score_rows(data.scores),
        "scores_title": f"{subject}指标评分表",
        "problems_note": problems_note,
        "problems": [_sentence(x) for x in _first_second(problems)] or ["无。"],
        "suggestions_note": suggestions_note,
        "suggestions": [_sentence(f"{i}.{x}") for i, x in enumerate(suggestions, start=1)] or ["无。"],
        "other_matters": _sentence(_t(data.conclusion["other_matters"].raw))
        if "other_matters" in data.conclusion and not data.conclusion["other_matters"].blank
        else "无。",
        # no longer in the shipped template (the department workbook lists the findings, with
        # their cells): still given, for templates exported from earlier versions
        "findings": findings,
        "findings_summary": (
            f"审核共发现 {len(findings)} 条问题（错误 {dep.errors} 条，警告 {dep.warnings} 条），位置指向原工作簿中需要修改的单元格。"
            if findings
            else "审核未发现问题。"
        ),
    }


def _funds_text(dep: Department, name: str, year_text: str) -> str:
    parts = [
        f"{label}{money_text(value)}万元"
        for label, value in (
            ("预算安排资金", dep.budget),
            ("调整后预算", dep.adjusted),
            ("实际到位资金", dep.received),
            ("实际支出资金", dep.spent),
            ("结余资金", dep.balance),
        )
        if value is not None
    ]
    if not parts:
        return "评价工作簿未填报可计算的资金情况。"
    return f"{year_text}，{name}" + "，".join(parts) + "。"


def _rates_text(dep: Department) -> str:
    rates = [
        f"{label}{rate_text(value)}"
        for label, value in (
            ("资金到位率", dep.arrival_rate),
            ("预算执行率", dep.execution_rate),
            ("预算调整率", dep.adjustment_rate if dep.adjusted is not None else None),
            ("结余率", dep.balance_rate),
            ("基本支出执行率", dep.basic_rate),
            ("项目支出执行率", dep.project_rate),
        )
        if value is not None
    ]
    if not rates:
        return "资金情况填报不完整，资金到位率、预算执行率等无法计算。"
    return "经计算，" + "，".join(rates) + "。"


def _funds_notes(dep: Department, codes: set[str]) -> list[str]:
    """A sentence for each figure of 资金情况 the workbook gives and the report recalculated."""
    data = dep.data
    notes = []
    if "F08" in codes:
        cell = data.funds_fields.get("reported_execution_rate")
        if cell is not None and cell.number is not None and dep.execution_rate is not None:
            notes.append(_execution_note(dep, cell.number))
    for f in dep.findings:
        if f.code == "F01":
            column = next((c for c, col in data.funds_columns.items() if col == f.col), "")
            total = data.funds.get(S.TOTAL_ROW, {}).get(column)
            computed = getattr(dep, column, None) if column in S.MONEY_COLUMNS else None
            if total is not None and total.number is not None and computed is not None:
                notes.append(
                    f"原填报的资金情况合计行{FUNDS_COLUMN_LABELS[column]}为{money_text(total.number)}万元，"
                    f"本报告按各资金来源相加重新计算为{money_text(computed)}万元。"
                )
        elif f.code == "F03":
            for label, row in data.funds.items():
                cell = row.get("balance")
                received, spent = row.get("received"), row.get("spent")
                if cell is None or cell.row != f.row or cell.number is None or received is None or spent is None:
                    continue
                if received.number is not None and spent.number is not None:
                    notes.append(
                        f"原填报的“{_t(label)}”结余资金为{money_text(cell.number)}万元，"
                        f"本报告按实际到位资金 − 实际支出资金重新计算为{money_text(received.number - spent.number)}万元。"
                    )
    return notes


def _execution_note(dep: Department, reported: float) -> str:
    """The 预算执行率 the workbook reports, recalculated: which formula it followed, the
    standard one, and the figure it gives."""
    values = {"spent": dep.spent, "budget": dep.budget, "received": dep.received, "adjusted": dep.adjusted}
    followed = ""
    best = None
    for formula, a, b in EXECUTION_FORMULAS:
        r = ratio(values[a], values[b])
        if r is not None and abs(r - reported) <= 0.005 and (best is None or abs(r - reported) < best):
            best, followed = abs(r - reported), formula.split("（", 1)[0].replace("/", " ÷ ")
    how = f"（系按{followed}计算）" if followed else ""
    base = dep.adjusted if dep.adjusted is not None else dep.received
    check = f"（{money_text(dep.spent)} ÷ {money_text(base)} × 100%）" if dep.spent is not None and base is not None else ""
    return (
        f"原填报的预算执行率为{rate_text(reported)}{how}，与规定口径不符，"
        f"本报告按{STANDARD_EXECUTION}重新计算为{rate_text(dep.execution_rate)}{check}。"
    )


def _system_text(dep: Department, level1_count: int, level2_count: int) -> str:
    """The 指标体系 in sentences: how many indicators of each level, and what each 一级 covers."""
    if not dep.level1:
        return "评价工作簿未提供指标评分表，指标体系无法统计。"
    head = (
        f"本次绩效评价指标体系共设一级指标{level1_count}项、二级指标{level2_count}项、三级指标{dep.level3_count}项，"
        f"总分值{number_text(dep.total_weight)}分。"
    )
    children: dict[str, list[str]] = {}
    for x in dep.level2:
        if x.name:
            children.setdefault(x.parent, []).append(_t(x.name))
    parts = []
    for x in dep.level1:
        if not x.name:
            continue
        under = children.get(x.name, [])
        listed = "、".join(under[:-1]) + "和" + under[-1] if len(under) > 1 else "".join(under)
        # a group without 二级 (a flat list's indicators) is told by its 三级
        parts.append(
            f"{_t(x.name)}（{number_text(x.weight)}分）" + (f"下设{listed}{len(under)}项二级指标" if under else f"含三级指标{x.count}项")
        )
    return head + ("其中，" + "；".join(parts) + "。" if parts else "")


def _system_notes(dep: Department, codes: set[str], level1_count: int, level2_count: int) -> list[str]:
    if "C08" not in codes:
        return []
    counted = (
        ("一级", "reported_level1_count", level1_count),
        ("二级", "reported_level2_count", level2_count),
        ("三级", "reported_level3_count", dep.level3_count),
    )
    differ = []
    for what, key, count in counted:
        cell = dep.data.info.get(key)
        if cell is not None and cell.number is not None and cell.number != count:
            differ.append((what, number_text(cell.number), count))
    if not differ:
        return []
    said = "、".join(f"{what}指标{n}项" for what, n, _ in differ)
    found = "、".join(f"{what}指标{count}项" for what, _, count in differ)
    return [f"原填报的指标数为{said}，按指标评分表统计为{found}，本报告以指标评分表为准。"]


def _score_notes(dep: Department, codes: set[str]) -> list[str]:
    """A sentence for each score, grade or 得分率 the workbook gives and the report recalculated."""
    data = dep.data
    notes = []
    tentative = "暂定" if dep.status is Status.PENDING else ""
    if "C01" in codes:
        cell = data.conclusion.get("reported_score")
        if cell is not None and cell.number is not None and dep.total_score is not None:
            notes.append(
                f"原填报的评价得分为{number_text(cell.number)}分，本报告按指标评分表各三级指标得分合计"
                f"重新计算为{number_text(dep.total_score)}分{'（暂定）' if tentative else ''}。"
            )
    if "C02" in codes:
        cell = data.conclusion.get("reported_grade")
        if cell is not None and not cell.blank and dep.grade:
            notes.append(f"原填报的评价等级为“{_t(cell.raw)}”，本报告按重新计算的得分{tentative}确定为“{dep.grade}”。")
    level1 = {normalize_label(x.name): x for x in dep.level1}
    for f in dep.findings:
        if f.code not in ("C05", "C06"):
            continue
        key = "reported_score" if f.code == "C05" else "reported_rate"
        for row in data.analysis:
            cell, label_cell = row.get(key), row.get("level1")
            if cell is None or label_cell is None or cell.row != f.row or cell.number is None:
                continue
            label = normalize_label(label_cell.raw)
            total = label in S.TOTAL_LABELS
            computed = level1.get(label)
            if f.code == "C05" and computed is not None and computed.score is not None:
                notes.append(
                    f"原填报的绩效分析表中“{_t(label_cell.raw)}”的得分为{number_text(cell.number)}分，"
                    f"本报告按指标评分表合计为{number_text(computed.score)}分。"
                )
            elif f.code == "C06" and (total or computed is not None):
                rate = dep.score_rate if total else computed.rate if computed is not None else None
                places = 0 if abs(cell.number * 100 - round(cell.number * 100)) < 1e-9 else 2
                if rate is not None:
                    notes.append(
                        f"原填报的绩效分析表中“{_t(label_cell.raw)}”的得分率为{rate_text(cell.number, places)}，"
                        f"本报告按得分 ÷ 分值重新计算为{_rate0(rate)}。"
                    )
            break
    return notes


class _Deduction(tuple):
    """(level1, level2, level3, points, reason) of a 三级指标 that lost points."""

    level1 = property(lambda self: self[0])
    level2 = property(lambda self: self[1])
    level3 = property(lambda self: self[2])
    points = property(lambda self: self[3])
    reason = property(lambda self: self[4])


def _deductions(scores: list[Row]) -> dict[str, list[_Deduction]]:
    """The 三级指标 that lost points, by their 一级 (as scoring names it: clean_text)."""
    out: dict[str, list[_Deduction]] = {}
    for row in scores:
        weight, score = row.get("weight"), row.get("score")
        if weight is None or score is None or weight.number is None or score.number is None:
            continue
        lost = round(weight.number - score.number, 6)
        if lost <= 0.005 or not math.isfinite(lost):
            continue
        level1 = clean_text(row["level1"].raw) if "level1" in row else ""
        level3 = row.get("level3")
        name = _t(level3.raw) if level3 is not None and not level3.blank else "（未命名指标）"
        reason = _t(row["reason"].raw) if "reason" in row else ""
        level2 = _t(row["level2"].raw) if "level2" in row else ""
        out.setdefault(level1, []).append(_Deduction((level1, level2, name, lost, reason.rstrip("。；;，, "))))
    return out


def _level1_text(x: LevelScore, lost: list[_Deduction], provisional: str) -> str:
    """The analysis of one 一级指标: its weight, score, rate and every deduction with its reason."""
    head = f"该指标分值{number_text(x.weight)}分，"
    if x.score is None:
        head += "得分暂无法计算"
    else:
        head += f"得分{number_text(x.score)}分{provisional}，得分率{_rate0(x.rate)}"
    if not lost:
        return head + ("，各三级指标均未扣分。" if x.score is not None and x.score >= x.weight - 0.005 else "。")
    items = [
        f"“{d.level3}”扣{number_text(d.points)}分，" + (f"扣分原因：{d.reason}" if d.reason else "指标评分表未写明扣分原因") for d in lost
    ]
    return head + "。其中，" + "；".join(items) + "。"


def _score_rows(scores: list[Row]) -> list[dict[str, Any]]:
    """The 附表: every 三级指标 with its 分值, 得分 and 扣分原因; first1/first2 where a row opens a
    group of its 一级 / 二级 (the cells the table merges down)."""
    out = []
    previous: tuple[str | None, str | None] = (None, None)
    for row in scores:
        level1 = _t(row["level1"].raw) if "level1" in row else ""
        level2 = _t(row["level2"].raw) if "level2" in row else ""
        weight, score = row.get("weight"), row.get("score")
        w = weight.number if weight is not None else None
        s = score.number if score is not None else None
        reason = _t(row["reason"].raw) if "reason" in row else ""
        if not reason and w is not None and s is not None and w - s > 0.005:
            reason = "未写明扣分原因"
        out.append(
            {
                "level1": level1,
                "level2": level2,
                "level3": _t(row["level3"].raw) if "level3" in row else "",
                "weight": number_text(w),
                "score": number_text(s) if s is not None else "—",
                "reason": reason,
                "first1": level1 != previous[0],
                "first2": level1 != previous[0] or level2 != previous[1],
            }
        )
        previous = (level1, level2)
    return out


def _rate_issues(dep: Department) -> list[tuple[str, str]]:
    """(problem, suggestion) for each rate below its threshold (F06, F10, F15: the threshold is
    the run's setting, as the finding says it)."""
    out = []
    for f in dep.findings:
        threshold = re.search(r"低于 ?(\d+(?:\.\d+)?%)", f.message)
        below = f"，低于{threshold.group(1)}" if threshold else "，低于规定的下限"
        if f.code == "F06" and dep.execution_rate is not None:
            out.append(
                (
                    f"预算执行率为{rate_text(dep.execution_rate)}{below}，且未说明执行偏差原因",
                    "加快预算执行进度，分析资金未支出的原因，按实际需要编制下年度预算，提高预算编制的准确性",
                )
            )
        elif f.code == "F10" and dep.project_rate is not None:
            out.append(
                (
                    f"项目支出执行率为{rate_text(dep.project_rate)}{below}，项目资金支出进度偏慢",
                    "加强项目支出管理，按项目实施进度及时拨付资金，对不具备实施条件的项目及时调整预算",
                )
            )
        elif f.code == "F15":
            cell = dep.data.funds_fields.get("reported_execution_rate")
            rate = rate_text(cell.number) if cell is not None and cell.number is not None else ""
            out.append(
                (
                    f"预算执行率{'为' + rate if rate else ''}{below}，资金情况填报不完整，执行偏差原因未说明",
                    "完整填报资金情况，分析资金未支出的原因并加快预算执行进度",
                )
            )
    return out


def _names(deductions: list[_Deduction]) -> str:
    return "".join(f"“{d.level3}”" for d in deductions)


def _drafted_problems(deductions: dict[str, list[_Deduction]], rate_issues: list[tuple[str, str]]) -> list[str]:
    """存在问题 drafted from the deductions (one item per 一级指标) and the rates below their
    threshold, where the workbook lists none."""
    out = []
    for level1, lost in deductions.items():
        points = number_text(sum(d.points for d in lost))
        reasons = list(dict.fromkeys(d.reason for d in lost if d.reason))
        unexplained = [d for d in lost if not d.reason]
        counted = f"{len(lost)}项指标共扣" if len(lost) > 1 else "指标扣"
        text = f"{level1 or '部分指标'}方面，{_names(lost)}{counted}{points}分"
        if reasons:
            text += "，主要是" + "；".join(reasons)
        if unexplained:
            text += f"（{_names(unexplained)}未写明扣分原因）" if reasons else "，扣分原因未写明，需进一步核实"
        out.append(text)
    out += [problem for problem, _ in rate_issues]
    return out


def _drafted_suggestions(deductions: dict[str, list[_Deduction]], rate_issues: list[tuple[str, str]]) -> list[str]:
    out = [
        f"针对{level1 or '相关'}方面{_names(lost)}等指标扣分的问题，逐项分析原因，明确整改措施和时限，在下一年度预算编制、执行和绩效管理中加以改进"
        for level1, lost in deductions.items()
    ]
    out += list(dict.fromkeys(suggestion for _, suggestion in rate_issues))
    return out


def _status_texts(dep: Department, year_text: str) -> dict[str, str]:
    """How the report states the result: as settled only where the status is 可受理."""
    score, grade = number_text(dep.total_score), dep.grade
    subject = f"{_t(dep.name)}{year_text}部门整体支出绩效评价"
    if dep.status is Status.UNSCORED or not score:
        reason = _no_cells(_t(dep.status_reason or dep.unscored)).removeprefix(UNSCORED_PREFIX)
        return {
            "score_text": "未评分",
            "grade_text": "—",
            "status_banner": f"【未评分】{UNSCORED_PREFIX}{reason}。本报告不给出得分和等级，补正后重新评价。",
            "verdict": f"{subject}暂无法评分：{reason}。{comparison_text(dep)}",
        }
    if dep.status is Status.PENDING:
        return {
            "score_text": f"{score}分（暂定）",
            "grade_text": f"{grade}（暂定）",
            "status_banner": f"【待补正】{_no_cells(_t(dep.status_reason))}。",
            "verdict": f"经综合评价，{subject}暂定得分{score}分，暂定评价等级为“{grade}”；审核发现的错误补正后，得分和等级可能变化。"
            f"{comparison_text(dep)}",
        }
    return {
        "score_text": f"{score}分",
        "grade_text": grade or "—",
        "status_banner": "",
        "verdict": f"经综合评价，{subject}得分{score}分，评价等级为“{grade}”。{comparison_text(dep)}",
    }


def unresolved_text(dep: Department) -> str:
    """整改: a 相关建议 on what the department's latest earlier evaluation already pointed out
    and still stands this year (the same finding at the same place, or a 存在问题 written
    again: B05); "" where nothing is."""
    before = dep.previous
    if before is None:
        return ""
    from .. import catalogue

    # the problems the evaluators listed again first, then the findings given again
    said = [f"“{quote(f.filled, 30)}”" for f in dep.findings if f.code == "B05" and f.message.startswith("存在问题")]
    for f in dep.findings:
        if f.previously is not None and f.severity is not Severity.INFO:
            entry = catalogue.get(f.code)
            said.append(f"“{entry.title if entry else f.code}”")
    said = list(dict.fromkeys(said))  # each once, in the order found
    if not said:
        return ""
    listed = "、".join(said[:3]) + (f"等 {len(said)} 项" if len(said) > 3 else "")
    return (
        f"{before.year}年度评价已经指出的{listed}本年仍然存在，建议制定整改清单，明确责任和时限，"
        "在下一年度评价中说明整改情况（本条由评价组根据历年评价结果整理）"
    )


UNSCORED_PREFIX = "无法计算得分："
# a cell of the workbook as the findings name it (资金情况!C5), with what introduces it
_CELL_EXAMPLE = re.compile(r"[，,]?\s*如\s*[^\s，,。；;!]+!\$?[A-Z]{1,3}\$?\d+")
_CELL = re.compile(r"([^\s，,。；;!“”]+)!\$?[A-Z]{1,3}\$?\d+")


def _no_cells(text: str) -> str:
    """Text of perfeval's without the cells it points at: the report is read on paper, and the
    department workbook lists the cells to change."""
    return _CELL.sub(r"“\1”表", _CELL_EXAMPLE.sub("", text))


def _items(rows: list[dict[str, Any]], category: str) -> list[str]:
    """The 内容 of the 评价结论 rows of one 类别, in order."""
    out = []
    for r in rows:
        if "category" in r and normalize_label(r["category"].raw) == category and "content" in r and not r["content"].blank:
            out.append(_t(r["content"].raw))
    return out


ORDINALS = "一二三四五六七八九十"


def _first_second(items: list[str]) -> list[str]:
    """The seed report's style: 一是…；二是…"""
    if len(items) < 2:
        return items
    return [f"{ORDINALS[i]}是{x}" if i < len(ORDINALS) else x for i, x in enumerate(items)]


def write_report(dep: Department, target: Path, run_date: date, template: Path | None = None, organization: str = "") -> Path:
    return write_bytes_atomic(target, report_bytes(dep, run_date, template, organization))


def report_bytes(dep: Department, run_date: date, template: Path | None = None, organization: str = "") -> bytes:
    """The department's Word report, as the bytes of a .docx."""
    template_bytes = template.read_bytes() if template else default_template_bytes()
    prep, first = docx_render.prepare(template_bytes)
    name = str(template) if template else DEFAULT_TEMPLATE
    if isinstance(prep, docx_render.Broken):  # docxtpl would fail too (check_report_template says it before a run)
        raise ValueError(f"报告模板 {name}：{prep}")
    if isinstance(prep, docx_render.Unsupported):
        if first:
            warnings.warn(f"报告模板 {name} {prep}，快速生成不支持，改用 docxtpl 逐份渲染（较慢）。", stacklevel=2)
        return report_bytes_docxtpl(dep, run_date, template_bytes, organization)
    document = docx_render.render_document(prep, report_context(dep, run_date, organization))
    core = docx_render.render_core(prep, _title(dep), "perfeval", _datetime(run_date))
    return docx_render.write_docx(prep, document, core)


def write_report_docxtpl(
    dep: Department, target: Path, run_date: date, template_bytes: bytes | None = None, organization: str = ""
) -> Path:
    return write_bytes_atomic(target, report_bytes_docxtpl(dep, run_date, template_bytes, organization))


def report_bytes_docxtpl(dep: Department, run_date: date, template_bytes: bytes | None = None, organization: str = "") -> bytes:
    """The report rendered by docxtpl itself: for templates the fast path does not cover."""
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(io.BytesIO(template_bytes if template_bytes is not None else default_template_bytes()))
    tpl.render(report_context(dep, run_date, organization), autoescape=True)
    docx_render.stamp_properties(tpl.docx.core_properties, _title(dep), "perfeval", _datetime(run_date))
    saved = io.BytesIO()
    tpl.save(saved)
    return _pin_zip_times(saved.getvalue())


def _title(dep: Department) -> str:
    return f"{_t(dep.name)}部门整体支出绩效评价报告"[:255]  # the format's limit


def _datetime(d: date):
    from datetime import datetime

    return datetime(d.year, d.month, d.day)


def _pin_zip_times(docx: bytes) -> bytes:
    """The zip again with fixed entry times, so the same inputs give the same bytes."""
    with zipfile.ZipFile(io.BytesIO(docx)) as src:
        entries = [(info, src.read(info.filename)) for info in src.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, blob in entries:
            dst.writestr(docx_render.zip_entry(info.filename, info.external_attr), blob)
    return out.getvalue()


# --- is a user's template fit to make the reports? ---------------------------------------


def check_report_template(path: Path) -> str | None:
    """Why the Word report template at `path` cannot make the reports (in Chinese, for the user:
    `错误：报告模板 <path>：<why>`), or None where it can. For the command, before any work: the
    template is prepared as the run prepares it (and stays prepared: the run, and its forked
    workers, find it in docx_render's cache) and filled, in memory, for a made-up department in
    each status. Names the template uses that perfeval does not give count too: jinja2 would
    fill them in silently as blanks."""
    if path.is_dir():
        return "是文件夹，不是 .docx 文件"
    try:
        template_bytes = path.read_bytes()
    except FileNotFoundError:
        return "文件不存在"
    except OSError as exc:
        return f"无法读取（{exc.strerror or exc}）"
    try:
        prep, _ = docx_render.prepare(template_bytes, look=True)
    except Exception as exc:  # what prepare does not foresee in a damaged file
        return f"无法作为 Word 文档（.docx）打开（{type(exc).__name__}：{exc}）"
    if isinstance(prep, docx_render.Broken):
        return str(prep)
    samples = sample_departments()
    contexts = [report_context(dep, CHECK_DATE) for dep in samples]
    if isinstance(prep, docx_render.Unsupported):
        return _check_docxtpl(template_bytes, contexts)
    unknown = prep.variables - contexts[0].keys() - prep.template.environment.globals.keys()
    if unknown:
        return _unknown(unknown)
    from docx.oxml.parser import parse_xml

    for dep, context in zip(samples, contexts, strict=True):
        try:
            document = docx_render.render_document(prep, context)
        except Exception as exc:  # a filter, a test or a call on what perfeval gives, failing
            return _failed(exc)
        try:
            parse_xml(document)  # docxtpl would repair the body; Word refuses what this path wrote
        except Exception:
            return "填好的正文不是有效的 Word 文档：{% if %}、{% for %} 等标签跨越段落或表格行时，应写作 {%p …%}、{%tr …%}"
        docx_render.write_docx(prep, document, docx_render.render_core(prep, _title(dep), "perfeval", _datetime(CHECK_DATE)))
    return None


def _check_docxtpl(template_bytes: bytes, contexts: list[dict[str, Any]]) -> str | None:
    """check_report_template for a template docxtpl renders itself (see docx_render)."""
    from docxtpl import DocxTemplate
    from jinja2 import Environment, TemplateSyntaxError

    try:
        unknown = DocxTemplate(io.BytesIO(template_bytes)).get_undeclared_template_variables(context=contexts[0])
    except TemplateSyntaxError as exc:  # in a header or footer (the body's was found by prepare)
        return f"模板标签有语法错误：{exc.message or exc}"
    except Exception as exc:
        return f"无法作为 Word 文档（.docx）打开（{type(exc).__name__}：{exc}）"
    unknown -= Environment().globals.keys()
    if unknown:
        return _unknown(unknown)
    for context in contexts:
        try:
            tpl = DocxTemplate(io.BytesIO(template_bytes))
            tpl.render(context, autoescape=True)
            tpl.save(io.BytesIO())
        except TemplateSyntaxError as exc:
            return f"模板标签有语法错误：{exc.message or exc}"
        except Exception as exc:
            return _failed(exc)
    return None


def _unknown(names: set[str] | frozenset[str]) -> str:
    return f"用了 perfeval 不提供的变量 {'、'.join(sorted(names))}（名字写错了？可对照 perfeval template --report 导出的内置模板）"


def _failed(exc: Exception) -> str:
    return f"用示例部门试填时出错（{type(exc).__name__}：{exc}）"


def sample_departments() -> list[Department]:
    """A made-up department in each status, with a row in every table of the report: what a
    template is tried with before a run."""
    info = {
        key: Cell(S.SHEET_INFO, row, 2, text)
        for row, (key, text) in enumerate(
            (
                ("project", "示例局2023年度部门整体支出绩效评价"),
                ("purpose", "了解资金使用效益"),
                ("scope", "2023年度部门整体支出"),
                ("basis", "《预算法》\n《项目支出绩效评价管理办法》"),
                ("method", "比较法"),
                ("data_method", "抽查凭证"),
                ("process", "前期准备\n组织实施"),
            ),
            start=2,
        )
    }
    funds = {
        label: {k: Cell(S.SHEET_FUNDS, row, col, 100.0, 100.0) for col, k in enumerate(S.MONEY_COLUMNS, start=2)}
        for row, label in enumerate(("市级资金", "基本支出", "项目支出"), start=3)
    }
    goal = {
        key: Cell(S.SHEET_GOALS, 3, col, text)
        for col, (key, text) in enumerate(
            (
                ("goal", "完成年度工作任务"),
                ("level1", "产出指标"),
                ("level2", "数量指标"),
                ("level3", "完成项目数"),
                ("nature", "≥"),
                ("target", "10"),
                ("unit", "个"),
                ("actual", "12"),
            ),
            start=1,
        )
    }
    items = [
        {"category": Cell(S.SHEET_CONCLUSION, row, 1, category), "content": Cell(S.SHEET_CONCLUSION, row, 2, text)}
        for row, (category, text) in enumerate(
            (("存在问题", "绩效目标不够细化"), ("存在问题", "资金支付进度偏慢"), ("相关建议", "细化绩效目标")), start=10
        )
    ]
    conclusion = {"other_matters": Cell(S.SHEET_CONCLUSION, 8, 2, "无")}
    score = {
        key: Cell(S.SHEET_SCORES, 3, col, text, text if isinstance(text, float) else None)
        for col, (key, text) in enumerate(
            (
                ("level1", "产出指标"),
                ("level2", "数量指标"),
                ("level3", "完成项目数"),
                ("weight", 100.0),
                ("criteria", "按完成比例计分"),
                ("score", 90.0),
                ("reason", "部分项目未完成"),
            ),
            start=1,
        )
    }
    out = []
    for status in Status:
        data = WorkbookData(
            path=Path("示例局.xlsx"),
            file="示例局.xlsx",
            info=info,
            funds=funds,
            goals=[goal],
            scores=[score],
            items=items,
            conclusion=conclusion,
        )
        scored = status is not Status.UNSCORED
        out.append(
            Department(
                data,
                name="示例局",
                code="000001",
                year=2023,
                eval_type="部门评价",
                budget=300.0,
                adjusted=300.0,
                received=300.0,
                spent=270.0,
                balance=30.0,
                arrival_rate=1.0,
                execution_rate=0.9,
                adjustment_rate=0.0,
                balance_rate=0.1,
                basic_rate=0.95,
                project_rate=0.85,
                level1=[LevelScore("产出指标", weight=100.0, score=90.0 if scored else None, count=1)],
                level2=[LevelScore("数量指标", parent="产出指标", weight=100.0, score=90.0 if scored else None, count=1)],
                level3_count=1,
                total_weight=100.0,
                total_score=90.0 if scored else None,
                grade="优" if scored else "",
                unscored="" if scored else "指标评分表没有得分",
                status=status,
                status_reason={Status.ACCEPTED: "", Status.PENDING: "有 1 条错误", Status.UNSCORED: "指标评分表没有得分"}[status],
                findings=[Finding("F01", Severity.WARNING, "示例局", "示例局.xlsx", S.SHEET_FUNDS, 3, 2, "示例问题")],
            )
        )
    return out
