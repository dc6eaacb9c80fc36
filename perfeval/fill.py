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

Cell = tuple[str, int, int]  # sheet, 1-based row, 1-based column


def spec_cells(spec: dict[str, Any]) -> tuple[dict[Cell, Any], list[tuple[str, int, int, int]]]:
    """Where each value of a spec goes in the template, and the runs of rows to merge
    (sheet, column, first row, last row)."""
    cells: dict[Cell, Any] = {}
    merges: list[tuple[str, int, int, int]] = []
    first = T.HEADER_ROW + 2  # 1-based first data row

    info = spec.get(S.SHEET_INFO, {})
    for i, f in enumerate(S.INFO_FIELDS):
        if f.label in info:
            cells[(S.SHEET_INFO, first + i, 2)] = info[f.label]

    funds = spec.get(S.SHEET_FUNDS, {})
    labels = [c.label for c in S.FUNDS_TABLE.columns]
    for label, values in funds.get("rows", {}).items():
        r = T.FUNDS_FIRST + 1 + S.FUNDS_ROWS.index(label)
        for key, value in values.items():
            cells[(S.SHEET_FUNDS, r, labels.index(key) + 1)] = value
    for i, f in enumerate(S.FUNDS_FIELDS):
        if f.label in funds.get("fields", {}):
            cells[(S.SHEET_FUNDS, T.FUNDS_FIELDS_FIRST + 1 + i, 2)] = funds["fields"][f.label]

    for sheet, table, merged in (
        (S.SHEET_GOALS, S.GOALS_TABLE, ("年度绩效目标", "一级指标", "二级指标")),
        (S.SHEET_SCORES, S.SCORES_TABLE, ("一级指标", "二级指标")),
    ):
        rows = spec.get(sheet, [])
        labels = list(table.labels)
        for i, row in enumerate(rows):
            for key, value in row.items():
                cells[(sheet, first + i, labels.index(key) + 1)] = value
        for label in merged:
            col = labels.index(label) + 1
            start = 0
            for i in range(1, len(rows) + 1):
                if i < len(rows) and rows[i].get(label) is not None and rows[i].get(label) == rows[start].get(label):
                    continue
                if i - start > 1 and rows[start].get(label) is not None:
                    for r in range(start + 1, i):
                        cells.pop((sheet, first + r, col), None)
                    merges.append((sheet, col, first + start, first + i - 1))
                start = i

    conclusion = spec.get(S.SHEET_CONCLUSION, {})
    for i, f in enumerate(S.CONCLUSION_FIELDS):
        if f.label in conclusion.get("fields", {}):
            cells[(S.SHEET_CONCLUSION, T.HEADER_ROW + 1 + i, 2)] = conclusion["fields"][f.label]
    for table, header, key in ((S.ITEMS_TABLE, T.ITEMS_HEADER, "items"), (S.ANALYSIS_TABLE, T.ANALYSIS_HEADER, "analysis")):
        labels = list(table.labels)
        for i, row in enumerate(conclusion.get(key, [])):
            r = header + 2 + i
            if key == "analysis" and row.get("一级指标") in S.TOTAL_LABELS:
                r = header + 2 + T.ANALYSIS_ROWS
            for k, value in row.items():
                cells[(S.SHEET_CONCLUSION, r, labels.index(k) + 1)] = value
    return cells, merges


def fill_template(target: Path, spec: dict[str, Any]) -> Path:
    """Fill the template the way an evaluator's tool would: openpyxl, which saves formulas
    without cached values."""
    import openpyxl

    with tempfile.TemporaryDirectory() as tmpdir:
        blank = T.write_template(Path(tmpdir) / "template.xlsx")
        wb = openpyxl.load_workbook(blank)
    cells, merges = spec_cells(spec)
    for (sheet, row, col), value in cells.items():
        cell = wb[sheet].cell(row=row, column=col)
        if isinstance(value, dict) and "formula" in value:
            cell.value = value["formula"]
            continue
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"  # never let openpyxl read "=…" as a formula
    for sheet, col, r0, r1 in merges:
        wb[sheet].merge_cells(start_row=r0, start_column=col, end_row=r1, end_column=col)
    with atomic_path(target) as tmp:
        wb.save(tmp)
    return target


def write_filled(target: Path, spec: dict[str, Any]) -> Path:
    """The same workbook written in one pass by xlsxwriter (fast: for benchmarks and big tests).

    Its 合计 formulas carry a cached 0, as a file whose cache is stale would."""
    cells, merges = spec_cells(spec)
    return T.write_template(target, cells, merges)
