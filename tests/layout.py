"""Write a contract workbook from a spec with a layout of its own (not the template's).

Header rows lower down, shuffled and extra columns, labels with `*`, units and colons, merged
一级/二级 cells and merged label cells: what other tools and hand-made workbooks look like.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from perfeval import schema as S


def _put(ws, row: int, col: int, value: Any) -> None:
    cell = ws.cell(row=row, column=col)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def _block(ws, header_row: int, labels: tuple[str, ...], rows: list[dict[str, Any]]) -> int:
    """A small table from column B: its header, then its rows; returns the last row used."""
    for c, label in enumerate(labels, start=2):
        _put(ws, header_row, c, label)
    r = header_row
    for row in rows:
        r += 1
        for c, label in enumerate(labels, start=2):
            if label in row:
                _put(ws, r, c, row[label])
    return r


def _merge_down(ws, col: int, first: int, values: list[Any]) -> None:
    start = 0
    for i in range(1, len(values) + 1):
        if i < len(values) and values[i] == values[start] and values[i] is not None:
            continue
        if i - start > 1:
            ws.merge_cells(start_row=first + start, start_column=col, end_row=first + i - 1, end_column=col)
        start = i


def write_custom(path: Path, spec: dict[str, Any], seed: int = 7, version: str = S.TEMPLATE_VERSION) -> Path:
    import openpyxl

    rnd = random.Random(seed)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    wb.create_sheet("封面").cell(row=1, column=1, value="某评价机构 2023 年度评价底稿")

    # 基本信息: a two-column form starting at C4, shuffled, labels with * and ：, one merged label.
    ws = wb.create_sheet(S.SHEET_INFO)
    _put(ws, 1, 1, "部门基本信息表")
    info = dict(spec.get(S.SHEET_INFO, {}))
    info.setdefault("模板版本", version)
    items = list(info.items())
    rnd.shuffle(items)
    for i, (label, value) in enumerate(items):
        r = 4 + i
        field = next(f for f in S.INFO_FIELDS if f.label == label)
        shown = ("*" if field.required else "") + label + "："
        if i == 0:
            _put(ws, r, 3, shown)
            ws.merge_cells(start_row=r, start_column=3, end_row=r, end_column=4)
            _put(ws, r, 5, value)
        else:
            _put(ws, r, 3, shown)
            _put(ws, r, 4, value)

    # 资金情况: header on row 5, shuffled with an extra column, rows in another order.
    ws = wb.create_sheet(S.SHEET_FUNDS)
    _put(ws, 1, 1, "资金情况")
    _put(ws, 2, 1, "单位：万元")
    funds = spec.get(S.SHEET_FUNDS, {})
    headers = [c.label for c in S.FUNDS_TABLE.columns] + ["备注"]
    rnd.shuffle(headers)
    for c, label in enumerate(headers, start=2):
        unit = "（万元）" if label in ("预算安排资金", "调整后预算", "实际到位资金", "实际支出资金", "结余资金") else ""
        _put(ws, 5, c, f" {label}{unit} ")
    rows = list(S.FUNDS_ROWS)
    rnd.shuffle(rows)
    for i, label in enumerate(rows):
        r = 6 + i
        values = funds.get("rows", {}).get(label, {})
        for c, h in enumerate(headers, start=2):
            if h == "项目":
                _put(ws, r, c, label)
            elif h in values:
                _put(ws, r, c, values[h])
    r = 6 + len(rows) + 2
    for i, f in enumerate(S.FUNDS_FIELDS):
        if f.label in funds.get("fields", {}):
            _put(ws, r + i, 2, f"{f.label}：")
            _put(ws, r + i, 3, funds["fields"][f.label])

    for sheet, table, merged, header_row in (
        (S.SHEET_GOALS, S.GOALS_TABLE, ("年度绩效目标", "一级指标", "二级指标"), 3),
        (S.SHEET_SCORES, S.SCORES_TABLE, ("一级指标", "二级指标"), 5),
    ):
        ws = wb.create_sheet(sheet)
        _put(ws, 1, 1, sheet)
        headers = list(table.labels) + ["说明"]
        rnd.shuffle(headers)
        for c, label in enumerate(headers, start=1):
            _put(ws, header_row, c, ("*" if label in ("分值", "得分") else "") + label)
        data = spec.get(sheet, [])
        first = header_row + 1
        for i, row in enumerate(data):
            for c, label in enumerate(headers, start=1):
                if label in row and row[label] is not None:
                    previous = data[i - 1].get(label) if i else None
                    if label in merged and previous == row[label]:
                        continue  # the merge below fills it
                    _put(ws, first + i, c, row[label])
        for label in merged:
            _merge_down(ws, headers.index(label) + 1, first, [row.get(label) for row in data])
        if sheet == S.SHEET_SCORES:
            total = first + len(data)
            _put(ws, total, headers.index("一级指标") + 1, "合计")
            _put(ws, total, headers.index("分值") + 1, sum(r.get("分值") or 0 for r in data))

    ws = wb.create_sheet(S.SHEET_CONCLUSION)
    conclusion = spec.get(S.SHEET_CONCLUSION, {})
    r = 3
    for label, value in conclusion.get("fields", {}).items():
        _put(ws, r, 2, label)
        _put(ws, r, 3, value)
        r += 1
    r = _block(ws, r + 2, ("关联指标", "类别", "内容"), conclusion.get("items", []))
    _block(ws, r + 3, ("一级指标", "报告得分率", "报告得分"), conclusion.get("analysis", []))
    wb.save(path)
    return path
