"""The result workbook each department receives: its figures and what to fix, nothing else."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from .atomic import atomic_path
from .scoring import Department
from .summary import Styles, Writer, department_sheet, fit_row, new_workbook, print_setup

FIXES_SHEET = "需要修改的问题"
FIX_COLUMNS = (("序号", 6), ("级别", 7), ("代码", 7), ("工作表", 10), ("单元格", 8), ("问题及修改要求", 70), ("填报值", 16), ("计算值", 16))


def write_department_book(dep: Department, target: Path, run_date: date) -> Path:
    with atomic_path(target) as tmp:
        wb = new_workbook(tmp, f"{dep.name}绩效评价结果", run_date)
        st = Styles(wb)
        department_sheet(Writer(wb.add_worksheet("评价结果"), st), dep, (FIXES_SHEET, "A5", "工作表"))
        _fixes(Writer(wb.add_worksheet(FIXES_SHEET), st), dep, run_date)
        print_setup(wb)
        wb.close()
    return target


def _fixes(w: Writer, dep: Department, run_date: date) -> None:
    ws, st = w.ws, w.st
    ws.write_string(0, 0, f"{dep.name}：需要修改的问题", st.title)
    note = (
        f"共 {len(dep.findings)} 条（错误 {dep.errors}，警告 {dep.warnings}）。请按“工作表”“单元格”所指位置修改原工作簿后重新提交；"
        f"“错误”必须改正，“警告”请核实并说明，“提示”供参考。生成日期：{run_date.isoformat()}"
    )
    if not dep.findings:
        note = f"审核未发现问题。生成日期：{run_date.isoformat()}"
    ws.write_string(1, 0, note, st.subtitle)
    hr = 3
    w.header(hr, FIX_COLUMNS)
    for i, f in enumerate(dep.findings, start=1):
        r = hr + i
        w.num(r, 0, i, st.integer)
        w.text(r, 1, f.severity.value, st.severity(f.severity.value))
        w.text(r, 2, f.code)
        w.text(r, 3, f.sheet)
        w.text(r, 4, f.cell)
        w.text(r, 5, f.message, st.wrap)
        w.text(r, 6, f.filled)
        w.text(r, 7, f.computed)
        fit_row(ws, r, f.message, FIX_COLUMNS[5][1])
    if dep.findings:
        ws.autofilter(hr, 0, hr + len(dep.findings), len(FIX_COLUMNS) - 1)
    ws.freeze_panes(hr + 1, 0)
