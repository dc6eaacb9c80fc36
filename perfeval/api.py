"""The results of a run, and the results history, as pandas DataFrames: for analysts in a
notebook or a script (`perfeval.load`, `perfeval.history`).

    import perfeval
    r = perfeval.load("perfeval-output")
    r.departments.sort_values("total_score")

pandas is imported by these functions, never when this module is imported: the command line
(`perfeval check` takes about a quarter of a second) does not pay for it.

The column names are an interface: each frame's columns are listed below with their meaning in
Chinese (DEPARTMENT_COLUMNS, FINDING_COLUMNS, INDICATOR_COLUMNS, HISTORY_COLUMNS), and a column
is only ever added. A figure that is not known (not filled in, not computable, no earlier year)
is blank: NaN for a number, <NA> for a whole number, None for a text; never 0.
"""

from __future__ import annotations

import importlib
import json
import math
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .historydb import History

RESULTS_NAME = "perfeval-results.json"  # as perfeval.outputs.RESULTS_NAME (not imported: it loads the outputs' registry)

# A pandas.DataFrame: pandas ships no type information mypy reads, and is imported lazily.
DataFrame = Any

# kinds of column: "text" (object or str), "float" (float64, NaN where blank), "int" (Int64,
# <NA> where blank), "bool"
_TEXT, _FLOAT, _INT, _BOOL = "text", "float", "int", "bool"


@dataclass(frozen=True)
class Column:
    name: str  # in the DataFrame
    kind: str
    meaning: str  # in Chinese, for the README and for help(…)
    source: str = ""  # the key in the JSON or the history ("": the same as name)

    @property
    def key(self) -> str:
        return self.source or self.name


# --- perfeval-results.json ---------------------------------------------------------------

# one row per department: the scalar keys of results.department_json, then its "previous"
DEPARTMENT_COLUMNS: tuple[Column, ...] = (
    Column("file", _TEXT, "文件名（收件箱中的工作簿）"),
    Column("name", _TEXT, "部门名称"),
    Column("code", _TEXT, "部门编码（未填写为空字符串）"),
    Column("year", _INT, "评价年度"),
    Column("eval_type", _TEXT, "评价类型"),
    Column("email", _TEXT, "电子邮箱"),
    Column("contact", _TEXT, "联系人"),
    Column("readable", _BOOL, "工作簿能否读取"),
    Column("read_error", _TEXT, "无法读取的原因（能读取为空）"),
    Column("budget", _FLOAT, "预算安排资金（万元）"),
    Column("adjusted_budget", _FLOAT, "调整后预算（万元；未调整为空）"),
    Column("received", _FLOAT, "实际到位资金（万元）"),
    Column("spent", _FLOAT, "实际支出资金（万元）"),
    Column("balance", _FLOAT, "结余资金（万元，到位 − 支出）"),
    Column("arrival_rate", _FLOAT, "资金到位率（比率，0.95 即 95%）"),
    Column("execution_rate", _FLOAT, "预算执行率（比率）"),
    Column("adjustment_rate", _FLOAT, "预算调整率（比率）"),
    Column("balance_rate", _FLOAT, "结余率（比率）"),
    Column("basic_execution_rate", _FLOAT, "基本支出执行率（比率）"),
    Column("project_execution_rate", _FLOAT, "项目支出执行率（比率）"),
    Column("total_weight", _FLOAT, "分值合计"),
    Column("total_score", _FLOAT, "评价得分（未评分为空）"),
    Column("score_rate", _FLOAT, "得分率（比率）"),
    Column("grade", _TEXT, "评价等级（优、良、中、差；未评分为空字符串）"),
    Column("profile", _TEXT, "表样：v1（perfeval-v1 模板），或识别出的其他表样的代号（perfeval profiles 列出），未识别为空字符串"),
    Column("rank", _INT, "排名（仅“可受理”的部门有）"),
    Column("status", _TEXT, "评价状态（可受理、待补正、未评分）"),
    Column("status_reason", _TEXT, "状态说明（待补正、未评分的原因）"),
    Column("errors", _INT, "“错误”级问题条数"),
    Column("warnings", _INT, "“警告”级问题条数"),
    Column("previous_year", _INT, "历史记录中最近一个较早的评价年度（没有为空）", "year"),
    Column("previous_status", _TEXT, "该年度的评价状态", "status"),
    Column("previous_score", _FLOAT, "该年度的评价得分", "total_score"),
    Column("previous_grade", _TEXT, "该年度的评价等级", "grade"),
    Column("previous_execution_rate", _FLOAT, "该年度的预算执行率（比率）", "execution_rate"),
    Column("score_change", _FLOAT, "得分较该年度的变化（本年 − 该年度）"),
    Column("execution_rate_change", _FLOAT, "预算执行率较该年度的变化（比率，0.05 即 5 个百分点）"),
)
_PREVIOUS_FROM = DEPARTMENT_COLUMNS.index(next(c for c in DEPARTMENT_COLUMNS if c.name == "previous_year"))

# one row per finding: the keys of model.Finding.as_dict
FINDING_COLUMNS: tuple[Column, ...] = (
    Column("code", _TEXT, "检查代码（如 F04；perfeval rules 代码 查看说明）"),
    Column("severity", _TEXT, "级别（错误、警告、提示）"),
    Column("department", _TEXT, "部门名称"),
    Column("file", _TEXT, "文件名"),
    Column("sheet", _TEXT, "工作表（与单元格无关的问题为空字符串）"),
    Column("cell", _TEXT, "单元格（如 E9；不针对某个单元格为空字符串）"),
    Column("row", _INT, "行号（从 1 起；0 为不针对某一行）"),
    Column("col", _INT, "列号（从 1 起；0 为不针对某一列）"),
    Column("message", _TEXT, "说明"),
    Column("filled", _TEXT, "填报值"),
    Column("computed", _TEXT, "计算值"),
    Column("previously", _INT, "上年已指出：历史记录中本部门最近一个较早年度也有同一问题（同一代码、同一位置）时为该年度，否则为空"),
)

# one row per department and 一级指标
INDICATOR_COLUMNS: tuple[Column, ...] = (
    Column("department", _TEXT, "部门名称"),
    Column("code", _TEXT, "部门编码"),
    Column("file", _TEXT, "文件名"),
    Column("year", _INT, "评价年度"),
    Column("level1", _TEXT, "一级指标名称", "name"),
    Column("weight", _FLOAT, "分值"),
    Column("score", _FLOAT, "得分（未评分为空）"),
    Column("rate", _FLOAT, "得分率（比率）"),
    Column("indicators", _INT, "所含三级指标个数"),
)

# --- the history ------------------------------------------------------------------------

# one row per department and 评价年度: the history's `results` table, and the run that recorded it
HISTORY_COLUMNS: tuple[Column, ...] = (
    Column("key", _TEXT, "部门标识：“编码:部门编码”，没有编码的为“名称:部门名称”"),
    Column("year", _INT, "评价年度"),
    Column("name", _TEXT, "部门名称"),
    Column("code", _TEXT, "部门编码"),
    Column("file", _TEXT, "文件名"),
    Column("file_sha256", _TEXT, "文件内容的 SHA-256"),
    Column("profile", _TEXT, "表样（v1 等，见 perfeval profiles）"),
    Column("status", _TEXT, "评价状态"),
    Column("status_reason", _TEXT, "状态说明"),
    Column("total_score", _FLOAT, "评价得分"),
    Column("total_weight", _FLOAT, "分值合计"),
    Column("grade", _TEXT, "评价等级"),
    Column("rank", _INT, "排名（该年度那次运行中）"),
    Column("budget", _FLOAT, "预算安排资金（万元）"),
    Column("adjusted", _FLOAT, "调整后预算（万元；未调整为空）"),
    Column("received", _FLOAT, "实际到位资金（万元）"),
    Column("spent", _FLOAT, "实际支出资金（万元）"),
    Column("balance", _FLOAT, "结余资金（万元）"),
    Column("arrival_rate", _FLOAT, "资金到位率（比率）"),
    Column("execution_rate", _FLOAT, "预算执行率（比率）"),
    Column("errors", _INT, "“错误”级问题条数"),
    Column("warnings", _INT, "“警告”级问题条数"),
    Column("infos", _INT, "“提示”级问题条数"),
    Column("run_id", _INT, "记录它的那次运行的编号（历史记录 runs 表）"),
    Column("run_date", _TEXT, "那次运行的报告日期（YYYY-MM-DD）"),
)


class ResultsError(Exception):
    """perfeval-results.json cannot be loaded; the message says why, in Chinese."""


class ResultsNotFound(ResultsError, FileNotFoundError):
    """No perfeval-results.json where one was looked for (or no history file)."""


class NotResults(ResultsError, ValueError):
    """A file that is not perfeval's results (not strict JSON, or not of the shape it writes)."""


def _pandas() -> Any:
    """pandas, imported on first use (by name: it ships no type information mypy reads)."""
    return importlib.import_module("pandas")


def _value(value: Any, kind: str) -> Any:
    """A JSON or SQLite value as its column holds it: blank where unknown, never 0."""
    if value is None:
        return None
    if kind == _FLOAT:
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    if kind == _INT:
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if kind == _BOOL:
        return value if isinstance(value, bool) else None
    return value if isinstance(value, str) else str(value)


def _frame(columns: tuple[Column, ...], rows: list[list[Any]]) -> DataFrame:
    """A DataFrame of `rows` (each a value per column), each column of its kind's dtype."""
    pd = _pandas()
    data: dict[str, Any] = {}
    for i, c in enumerate(columns):
        values = [row[i] for row in rows]
        if c.kind == _FLOAT:
            data[c.name] = pd.Series([math.nan if v is None else v for v in values], dtype="float64")
        elif c.kind == _INT:
            data[c.name] = pd.Series(values, dtype="Int64")
        elif c.kind == _BOOL:
            data[c.name] = pd.Series(values, dtype="boolean")
        else:
            data[c.name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data, columns=[c.name for c in columns])


@dataclass
class Results:
    """One run's results, as perfeval process wrote them in OUTDIR/perfeval-results.json."""

    path: Path  # the perfeval-results.json read
    run_date: date | None  # the date the outputs carry
    inbox: str | None
    departments: DataFrame  # one row per department: DEPARTMENT_COLUMNS
    findings: DataFrame  # one row per finding: FINDING_COLUMNS
    indicators: DataFrame  # one row per department and 一级指标: INDICATOR_COLUMNS
    raw: dict[str, Any] = field(repr=False)  # the whole JSON, as read

    def __repr__(self) -> str:
        return (
            f"<perfeval.Results {self.path}: {len(self.departments)} 个部门，{len(self.findings)} 条问题，"
            f"报告日期 {self.run_date.isoformat() if self.run_date else '未知'}>"
        )


def results_path(outdir: str | os.PathLike[str]) -> Path:
    """OUTDIR/perfeval-results.json, or the file itself where a .json file is given."""
    path = Path(outdir)
    return path if path.suffix.lower() == ".json" and not path.is_dir() else path / RESULTS_NAME


def _reject_constant(name: str) -> Any:
    raise ValueError(f"JSON 中不允许 {name}")


def load(outdir: str | os.PathLike[str] = "perfeval-output") -> Results:
    """The results of the run in `outdir` (the output folder of perfeval process, or its
    perfeval-results.json itself) as DataFrames: `departments`, `findings`, `indicators`.

    ResultsNotFound (a FileNotFoundError) where there are none; NotResults (a ValueError) where
    the file is not perfeval's results. The messages say so in Chinese."""
    path = results_path(outdir)
    try:
        blob = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        raise ResultsNotFound(
            f"{path.parent} 中没有运行结果（{RESULTS_NAME}）。请给出 perfeval process 的输出文件夹"
            "（-o 指定的，默认是收件箱旁边的 perfeval-output），或先运行 perfeval process 收件箱/。"
        ) from None
    try:  # strict JSON, as perfeval writes it: no NaN or Infinity
        data = json.loads(blob.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise NotResults(f"{path} 不是 perfeval 的运行结果（无法按 JSON 读取：{exc}）；请重新运行 perfeval process。") from None
    departments = data.get("departments") if isinstance(data, dict) else None
    findings = data.get("findings") if isinstance(data, dict) else None
    if (
        not isinstance(departments, list)
        or not isinstance(findings, list)
        or not all(isinstance(d, dict) for d in departments)
        or not all(isinstance(f, dict) for f in findings)
    ):
        raise NotResults(f"{path} 不是 perfeval 的运行结果（没有 departments 和 findings 列表）；请重新运行 perfeval process。")
    return Results(
        path=path,
        run_date=_date(data.get("run_date")),
        inbox=data.get("inbox") if isinstance(data.get("inbox"), str) else None,
        departments=_frame(DEPARTMENT_COLUMNS, [_department_row(d) for d in departments]),
        findings=_frame(FINDING_COLUMNS, [[_value(f.get(c.key), c.kind) for c in FINDING_COLUMNS] for f in findings]),
        indicators=_frame(INDICATOR_COLUMNS, [row for d in departments for row in _indicator_rows(d)]),
        raw=data,
    )


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _department_row(d: dict[str, Any]) -> list[Any]:
    previous = d.get("previous")
    previous = previous if isinstance(previous, dict) else {}
    own = [_value(d.get(c.key), c.kind) for c in DEPARTMENT_COLUMNS[:_PREVIOUS_FROM]]
    return own + [_value(previous.get(c.key), c.kind) for c in DEPARTMENT_COLUMNS[_PREVIOUS_FROM:]]


def _indicator_rows(d: dict[str, Any]) -> list[list[Any]]:
    head = {"department": d.get("name"), "code": d.get("code"), "file": d.get("file"), "year": d.get("year")}
    rows = []
    for level in d.get("level1") or []:
        if isinstance(level, dict):
            rows.append([_value(head[c.name] if c.name in head else level.get(c.key), c.kind) for c in INDICATOR_COLUMNS])
    return rows


# --- the history ------------------------------------------------------------------------


def history_frame(db: str | os.PathLike[str] = "perfeval-history.sqlite", level1: bool = False) -> DataFrame:
    """Every department-year recorded in the results history `db` (perfeval process keeps it
    beside its output folder), one row each, by department key then year: HISTORY_COLUMNS.
    With `level1`, one more column per 一级指标 name, holding its 得分.

    ResultsNotFound (a FileNotFoundError) where there is no such file; historydb.HistoryError
    where it is damaged, held locked by another program or written by a newer perfeval."""
    path = Path(db)
    if not path.is_file():
        raise ResultsNotFound(
            f"找不到历史记录文件 {path}。perfeval process 把各部门的结果按评价年度记入历史记录"
            "（默认为输出文件夹旁边的 perfeval-history.sqlite）；请给出该文件的路径。"
        )
    with History(path) as h:
        names = ", ".join(f"r.{c.key}" for c in HISTORY_COLUMNS if c.name != "run_date")
        query = f"SELECT {names}, runs.run_date FROM results AS r LEFT JOIN runs ON runs.id = r.run_id ORDER BY r.key, r.year"  # noqa: S608 - fixed names
        rows = h.query(query)
        scores = h.query("SELECT key, year, name, score FROM level1 ORDER BY key, year, position") if level1 else []
    frame = _frame(HISTORY_COLUMNS, [[_value(v, c.kind) for v, c in zip(row, HISTORY_COLUMNS, strict=True)] for row in rows])
    if level1:
        by_year: dict[tuple[str, int], dict[str, Any]] = {}
        order: list[str] = []  # the 一级 names, as first met
        for key, year, name, score in scores:
            by_year.setdefault((key, year), {})[name] = score
            if name not in order:
                order.append(name)
        pd = _pandas()
        for name in order:
            values = [by_year.get((row[0], row[1]), {}).get(name) for row in rows]
            column = f"一级:{name}" if name in frame.columns else name  # never in place of a column of HISTORY_COLUMNS
            frame[column] = pd.Series([math.nan if v is None else float(v) for v in values], dtype="float64")
    return frame
