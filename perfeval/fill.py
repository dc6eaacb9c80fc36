"""Fill the v1 template from a plain dict: for the samples, the tests and other systems.

    fill_template(path, {
        "基本信息": {"部门名称": "…", "评价年度": 2023, …},
        "资金情况": {"rows": {"市级资金": {"预算安排资金": 12609.43, …}}, "fields": {"报告预算执行率": 1.577}},
        "绩效目标": [{"年度绩效目标": "…", "一级指标": "产出指标", …}, …],
        "指标评分": [{"一级指标": "…", "二级指标": "…", "三级指标": "…", "分值": 10, "得分": 8}, …],
        "评价结论": {"fields": {"评价得分": 91}, "items": [{"类别": "存在问题", "内容": "…"}],
                    "analysis": [{"一级指标": "…", "报告得分": 8, "报告得分率": 0.8}]},
    })

Consecutive equal 年度绩效目标 and 一级/二级指标 cells are merged, as evaluators do.
A value written as `{"formula": "=…"}` is stored as a formula without a cached value (as
openpyxl saves it); every other string is stored as text.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from . import schema as S
from . import template as T
from .atomic import atomic_path


def _set(ws, row: int, col: int, value: Any) -> None:
    cell = ws.cell(row=row, column=col)
    if isinstance(value, dict) and "formula" in value:
        cell.value = value["formula"]
        return
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # never let openpyxl read "=…" as a formula


def _merge_runs(ws, first_row: int, rows: list[dict[str, Any]], label: str, col: int) -> None:
    start = 0
    for i in range(1, len(rows) + 1):
        if i < len(rows) and rows[i].get(label) is not None and rows[i].get(label) == rows[start].get(label):
            continue
        if i - start > 1 and rows[start].get(label) is not None:
            for r in range(start + 1, i):
                ws.cell(row=first_row + r, column=col).value = None
            ws.merge_cells(start_row=first_row + start, start_column=col, end_row=first_row + i - 1, end_column=col)
        start = i


def fill_template(target: Path, spec: dict[str, Any]) -> Path:
    import openpyxl

    with tempfile.TemporaryDirectory() as tmpdir:
        blank = T.write_template(Path(tmpdir) / "template.xlsx")
        wb = openpyxl.load_workbook(blank)
    first = T.HEADER_ROW + 2  # 1-based first data row

    info = spec.get(S.SHEET_INFO, {})
    ws = wb[S.SHEET_INFO]
    for i, f in enumerate(S.INFO_FIELDS):
        if f.label in info:
            _set(ws, first + i, 2, info[f.label])

    funds = spec.get(S.SHEET_FUNDS, {})
    ws = wb[S.SHEET_FUNDS]
    labels = [c.label for c in S.FUNDS_TABLE.columns]
    for label, values in funds.get("rows", {}).items():
        r = T.FUNDS_FIRST + 1 + S.FUNDS_ROWS.index(label)
        for key, value in values.items():
            _set(ws, r, labels.index(key) + 1, value)
    for i, f in enumerate(S.FUNDS_FIELDS):
        if f.label in funds.get("fields", {}):
            _set(ws, T.FUNDS_FIELDS_FIRST + 1 + i, 2, funds["fields"][f.label])

    for sheet, table, merged in (
        (S.SHEET_GOALS, S.GOALS_TABLE, ("年度绩效目标", "一级指标", "二级指标")),
        (S.SHEET_SCORES, S.SCORES_TABLE, ("一级指标", "二级指标")),
    ):
        rows = spec.get(sheet, [])
        ws = wb[sheet]
        labels = list(table.labels)
        for i, row in enumerate(rows):
            for key, value in row.items():
                _set(ws, first + i, labels.index(key) + 1, value)
        for label in merged:
            _merge_runs(ws, first, rows, label, labels.index(label) + 1)

    conclusion = spec.get(S.SHEET_CONCLUSION, {})
    ws = wb[S.SHEET_CONCLUSION]
    for i, f in enumerate(S.CONCLUSION_FIELDS):
        if f.label in conclusion.get("fields", {}):
            _set(ws, T.HEADER_ROW + 1 + i, 2, conclusion["fields"][f.label])
    for table, header, key in ((S.ITEMS_TABLE, T.ITEMS_HEADER, "items"), (S.ANALYSIS_TABLE, T.ANALYSIS_HEADER, "analysis")):
        labels = list(table.labels)
        rows = conclusion.get(key, [])
        for i, row in enumerate(rows):
            r = header + 2 + i
            if key == "analysis" and row.get("一级指标") in S.TOTAL_LABELS:
                r = header + 2 + T.ANALYSIS_ROWS
            for k, value in row.items():
                _set(ws, r, labels.index(k) + 1, value)

    with atomic_path(target) as tmp:
        wb.save(tmp)
    return target
