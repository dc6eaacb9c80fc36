"""Batch analytics for the summary's 分析 sheet: what only shows across a whole batch.

Three tables, each plain data (`AnalysisTable`) for a writer to lay out:

1. 雷同文字: 存在问题/相关建议 texts that several departments share (as `comparable_text` compares
   copies: their own names, spaces, punctuation, digits and letter case left out);
2. 得分与执行率不相称: a high score with a low 预算执行率, a low score with a high one, and the
   batch's statistical outliers (the interquartile-range rule);
3. 一级指标得分率分布: each 一级指标's 得分率 across the 可受理 departments.

pandas does the grouping and the statistics. It is imported by `analysis_tables`, never when
this module is imported: `perfeval check` does not pay for it. The tables hold only plain
Python values (str, int, float, None): a figure that is not known is None, never 0 or NaN.

This module imports no output: a writer of the summary can import it.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .model import Status
from .values import COMPARABLE_MIN, comparable_text, format_number, format_rate, normalize_label

if TYPE_CHECKING:
    from .model import Department
    from .results import RunResult

# the rules of 得分与执行率不相称
HIGH_SCORE = 90.0  # 优 starts here
LOW_SCORE = 60.0  # 差 is below it
EXECUTION_LOW = 0.9  # a high score with a 预算执行率 below it is listed (as summary.EXECUTION_LINE)
EXECUTION_HIGH = 0.95  # a low score with a 预算执行率 at or above it is listed
IQR_FACTOR = 1.5  # outliers: outside [Q1 − 1.5·IQR, Q3 + 1.5·IQR]
IQR_MIN_DEPARTMENTS = 8  # fewer departments say nothing about the batch's spread
SIMILAR_ROWS = 200  # the 雷同文字 groups listed at most, the most widely shared first


@dataclass(frozen=True)
class Column:
    header: str  # Chinese column header
    width: float  # Excel column width in characters
    kind: str  # "text" | "number" | "rate" | "integer"


@dataclass(frozen=True)
class AnalysisTable:
    title: str  # e.g. "一、雷同文字"
    note: str  # one Chinese sentence: what the table lists and how (the rule used)
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]  # str, int, float or None (unknown: None, never 0 or NaN)
    empty: str  # what the sheet says where rows is empty


def analysis_tables(result: RunResult) -> list[AnalysisTable]:
    """The 分析 sheet's tables of the run, in the order they are shown."""
    pd = _pandas()
    deps = sorted(result.departments, key=lambda d: d.file)
    return [_similar_texts(pd, deps), _mismatches(pd, deps), _level1_spread(pd, deps)]


def _pandas() -> Any:
    """pandas, imported on first use (by name: it ships no type information mypy reads)."""
    return importlib.import_module("pandas")


def _plain(value: Any) -> Any:
    """A value as the tables hold it: a Python str, int or float, None for NaN or unknown."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, str):  # a numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _name(d: Department) -> str:
    return d.name or d.file


# --- 一、雷同文字 -------------------------------------------------------------------------------

SIMILAR_COLUMNS = (
    Column("类别", 10, "text"),
    Column("文字（示例）", 60, "text"),
    Column("部门数", 8, "integer"),
    Column("部门", 40, "text"),
)


def _similar_texts(pd: Any, deps: list[Department]) -> AnalysisTable:
    """Each text that two or more departments (by file) share, as comparable_text compares
    copies: the first department's (by file) category and words, how many, and which."""
    records = []
    for order, d in enumerate(deps):
        for category, content, *_ in d.texts:
            key = comparable_text(content, (d.name,))
            if key:
                records.append((key, order, d.file, _name(d), category, content))
    note = (
        f"列出两个及以上部门（按文件计）的存在问题、相关建议中雷同的文字：去掉各自的部门名称、空格、标点和数字并统一大小写后相同，"
        f"且余下不少于 {COMPARABLE_MIN} 个字的视为雷同；示例取文件名最前的部门的原文，部门按文件名排列。"
    )
    rows: list[tuple[Any, ...]] = []
    if records:
        df = pd.DataFrame.from_records(records, columns=["key", "order", "file", "name", "category", "content"])
        # one row per department and text: a department that repeats a text counts once
        df = df.drop_duplicates(["key", "file"]).sort_values(["order"], kind="stable")
        groups = df.groupby("key", sort=False).agg(
            departments=("file", "nunique"),
            category=("category", "first"),
            content=("content", "first"),
            names=("name", "、".join),
        )
        groups = groups[groups["departments"] >= 2]
        groups = groups.sort_values(["departments", "content"], ascending=[False, True], kind="stable")
        rows = [(_plain(g.category), _plain(g.content), int(g.departments), _plain(g.names)) for g in groups.itertuples(index=False)]
    if len(rows) > SIMILAR_ROWS:
        note += f"共 {len(rows)} 组，仅列出部门数最多的前 {SIMILAR_ROWS} 组，另有 {len(rows) - SIMILAR_ROWS} 组未列出。"
        rows = rows[:SIMILAR_ROWS]
    return AnalysisTable("一、雷同文字", note, SIMILAR_COLUMNS, tuple(rows), "未发现雷同文字")


# --- 二、得分与执行率不相称 -----------------------------------------------------------------------

MISMATCH_COLUMNS = (
    Column("部门名称", 24, "text"),
    Column("评价得分", 9, "number"),
    Column("预算执行率", 11, "rate"),
    Column("资金到位率", 11, "rate"),
    Column("说明", 60, "text"),
)


def _shown(rate: float) -> float:
    """A rate as the sheets show it (0.01 %): 89.996 % shows, and is judged, as 90.00 %."""
    return round(rate, 4)


def _mismatches(pd: Any, deps: list[Department]) -> AnalysisTable:
    """The departments (可受理 or 待补正, with a score) whose score and 预算执行率 do not agree,
    or that lie outside the batch's spread: one row each, the reasons joined by "；"."""
    scored = [d for d in deps if d.status in (Status.ACCEPTED, Status.PENDING) and d.total_score is not None]
    df = pd.DataFrame(
        {
            "score": pd.Series([d.total_score for d in scored], dtype="float64"),
            "execution": pd.Series([math.nan if d.execution_rate is None else d.execution_rate for d in scored], dtype="float64"),
        }
    )
    bounds = {column: _iqr_bounds(df[column]) for column in ("score", "execution")}
    reasons: list[list[str]] = [[] for _ in scored]
    for i, d in enumerate(scored):
        score, rate = d.total_score, d.execution_rate
        assert score is not None
        said = f"得分 {format_number(score)}" + (f"（{d.grade}）" if d.grade else " ")
        if rate is not None:
            if (d.grade == "优" or score >= HIGH_SCORE) and _shown(rate) < EXECUTION_LOW:
                reasons[i].append(f"{said}而预算执行率仅 {format_rate(rate)}")
            if score < LOW_SCORE and _shown(rate) >= EXECUTION_HIGH:
                reasons[i].append(f"{said}而预算执行率达 {format_rate(rate)}")
        for column, label, show in (("execution", "预算执行率", format_rate), ("score", "评价得分", format_number)):
            value, limits = df.at[i, column], bounds[column]
            if limits is None or math.isnan(value):
                continue
            low, high = limits
            if value > high:
                reasons[i].append(f"{label} {show(value)} 高于本批次的上限 {show(high)}（四分位距法）")
            elif value < low:
                reasons[i].append(f"{label} {show(value)} 低于本批次的下限 {show(low)}（四分位距法）")
    rows = tuple(
        (_name(d), _plain(d.total_score), _plain(d.execution_rate), _plain(d.arrival_rate), "；".join(r))
        for d, r in zip(scored, reasons, strict=True)
        if r
    )
    judged = [label for column, label in (("execution", "预算执行率"), ("score", "得分")) if bounds[column] is not None]
    note = (
        f"列出可受理、待补正且有得分的部门中得分与预算执行率不相称的：评价等级为优（或得分不低于 {format_number(HIGH_SCORE)}）"
        f"而预算执行率低于 {EXECUTION_LOW:.0%}，得分低于 {format_number(LOW_SCORE)} 而预算执行率不低于 {EXECUTION_HIGH:.0%}，"
        f"以及预算执行率或得分超出本批次的 [Q1 − {IQR_FACTOR}×IQR, Q3 + {IQR_FACTOR}×IQR] 的（四分位距法，有该项数值的部门不少于 "
        f"{IQR_MIN_DEPARTMENTS} 个时判断"
        + ("" if len(judged) == 2 else f"，本批次{'只判断了' + judged[0] if judged else '未作此项判断'}")
        + "）；执行率按显示的两位小数判断，部门按文件名排列。"
    )
    return AnalysisTable("二、得分与执行率不相称", note, MISMATCH_COLUMNS, rows, "未发现得分与执行率不相称的部门")


def _iqr_bounds(values: Any) -> tuple[float, float] | None:
    """[Q1 − 1.5·IQR, Q3 + 1.5·IQR] of the known values, or None where too few are known."""
    known = values.dropna()
    if len(known) < IQR_MIN_DEPARTMENTS:
        return None
    q1, q3 = float(known.quantile(0.25)), float(known.quantile(0.75))
    spread = q3 - q1
    return q1 - IQR_FACTOR * spread, q3 + IQR_FACTOR * spread


# --- 三、一级指标得分率分布 ---------------------------------------------------------------------

SPREAD_COLUMNS = (
    Column("一级指标", 20, "text"),
    Column("部门数", 8, "integer"),
    Column("平均", 9, "rate"),
    Column("最低", 9, "rate"),
    Column("下四分位", 9, "rate"),
    Column("中位数", 9, "rate"),
    Column("上四分位", 9, "rate"),
    Column("最高", 9, "rate"),
)


def _level1_spread(pd: Any, deps: list[Department]) -> AnalysisTable:
    """Each 一级指标 (matched by normalize_label, named as first seen) of the 可受理 departments:
    how many have a 得分率, and its mean, minimum, quartiles and maximum."""
    accepted = [d for d in deps if d.status is Status.ACCEPTED]
    names: dict[str, str] = {}
    records = []
    for d in accepted:
        for x in d.level1:
            key = normalize_label(x.name)
            names.setdefault(key, x.name)
            if x.rate is not None:
                records.append((key, d.file, x.rate))
    stats: dict[str, Any] = {}
    if records:
        df = pd.DataFrame.from_records(records, columns=["key", "file", "rate"]).drop_duplicates(["key", "file"])
        described = df.groupby("key", sort=False)["rate"].describe()
        stats = {key: row for key, row in described.iterrows()}
    rows = []
    for key, name in names.items():
        row = stats.get(key)
        if row is None:
            rows.append((name, 0, None, None, None, None, None, None))
        else:
            figures = (row["mean"], row["min"], row["25%"], row["50%"], row["75%"], row["max"])
            rows.append((name, int(row["count"]), *(_plain(float(v)) for v in figures)))
    note = "列出可受理部门各一级指标的得分率（得分 ÷ 分值）分布：指标名称去掉空格和括号内单位后相同的视为同一指标，四分位数按线性插值计算。"
    return AnalysisTable("三、一级指标得分率分布", note, SPREAD_COLUMNS, tuple(rows), "没有可受理的部门，无一级指标得分率可统计")
