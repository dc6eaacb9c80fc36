"""The result workbook each department receives: its figures and what to fix, nothing else."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from ..atomic import write_bytes_atomic
from ..model import Department
from .fastbook import Book, Unsupported, frame_for
from .summary import STYLE_SPECS, Styles, Writer, department_sheet, fit_row, new_workbook, print_setup

RESULTS_SHEET = "评价结果"
FIXES_SHEET = "需要修改的问题"
SHEETS = (RESULTS_SHEET, FIXES_SHEET)
FIX_COLUMNS = (("序号", 6), ("级别", 7), ("代码", 7), ("工作表", 10), ("单元格", 8), ("问题及修改要求", 70), ("填报值", 16), ("计算值", 16))


def write_department_book(dep: Department, target: Path, run_date: date) -> Path:
    return write_bytes_atomic(target, department_book_bytes(dep, run_date))


def department_book_bytes(dep: Department, run_date: date) -> bytes:
    """The workbook, written straight to its XML (fastbook), or by xlsxwriter where that
    cannot promise xlsxwriter's bytes: the two give the same file."""
    frame = frame_for(SHEETS, _reference, _probe)
    if frame is not None:
        try:
            book = Book(frame)
            _layout(book, Styles(book), dep, run_date)
            return book.close(_title(dep), run_date)
        except Unsupported:
            pass
    return xlsxwriter_book_bytes(dep, run_date)


def xlsxwriter_book_bytes(dep: Department, run_date: date) -> bytes:
    return pinned_xlsxwriter_bytes(_title(dep), run_date, lambda wb, st: _layout(wb, st, dep, run_date))[0]


def pinned_xlsxwriter_bytes(title: str, run_date: date, layout: Callable[[Any, Styles], None]) -> tuple[bytes, Styles]:
    """A workbook `layout` writes through xlsxwriter, formats pinned as fastbook has them; and
    its styles."""
    buf = io.BytesIO()
    wb = new_workbook(buf, title, run_date)
    st = Styles(wb)
    st.pin()
    layout(wb, st)
    wb.close()
    return buf.getvalue(), st


def _title(dep: Department) -> str:
    return f"{dep.name}绩效评价结果"


def _layout(wb: Any, st: Styles, dep: Department, run_date: date) -> None:
    department_sheet(Writer(wb.add_worksheet(RESULTS_SHEET), st), dep, (FIXES_SHEET, "A5", "工作表"))
    _fixes(Writer(wb.add_worksheet(FIXES_SHEET), st), dep, run_date)
    print_setup(wb)


def _reference() -> tuple[bytes, dict[Any, int]]:
    """A workbook of this layout as xlsxwriter writes it, and each format's style index."""

    def layout(wb: Any, st: Styles) -> None:
        for name in SHEETS:
            wb.add_worksheet(name).write_string(0, 0, name, st.text)
        print_setup(wb)

    data, st = pinned_xlsxwriter_bytes("", date(2000, 1, 1), layout)
    xf = {tuple(sorted(spec.items())): getattr(st, name).xf_index for name, spec in STYLE_SPECS.items() if name in st.__dict__}
    return data, xf


def _probe(frame: Any) -> bool:
    """Whether a small workbook using every part of the layout comes out the same both ways."""

    def layout(wb: Any, st: Styles) -> None:
        ws = wb.add_worksheet(RESULTS_SHEET)
        ws.set_column(0, 0, 18)
        ws.set_column(1, 8, 14)
        for r in range(40):
            ws.write_string(r, r % 3, f"文本 & <{r}>", st.text)
            ws.write_number(r, 3 + r % 4, r / 7, st.money)
            ws.write_blank(r, 8, None, st.rate)
        ws.set_row(5, 28)
        ws.write_url(41, 0, "internal:'需要修改的问题'!A5", st.section, "四、发现的问题")
        other = wb.add_worksheet(FIXES_SHEET)
        Writer(other, st).header(3, FIX_COLUMNS)
        other.write_string(4, 0, " 空白 ", st.wrap)
        other.autofilter(3, 0, 4, len(FIX_COLUMNS) - 1)
        other.freeze_panes(4, 0)
        print_setup(wb)

    book = Book(frame)
    layout(book, Styles(book))
    title, day = "探针 & <标题>", date(2000, 1, 1)
    return book.close(title, day) == pinned_xlsxwriter_bytes(title, day, layout)[0]


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
