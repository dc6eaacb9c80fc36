"""The result workbook each department receives: its figures and what to fix, nothing else.

Written by perfeval's own writer (`fastbook`): one small workbook of a fixed layout per
department, thousands per batch. Its constant parts ship in perfeval/data/department-book/
(generated once with xlsxwriter: `python -m perfeval.outputs.department_book --regenerate`),
and `XF` says which of the cell formats there each of the layout's styles is.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time
from importlib import resources
from pathlib import Path
from typing import Any

from ..atomic import write_bytes_atomic
from ..model import Department
from .department_sheet import PRINT as RESULTS_PRINT
from .department_sheet import department_sheet
from .fastbook import CONSTANT_PARTS, Book, Template
from .xlsxkit import CELL_STYLES, STYLE_SPECS, Styles, Writer, fit_cells, page_setup, previously_text, spec_key

RESULTS_SHEET = "评价结果"
FIXES_SHEET = "需要修改的问题"
SHEETS = (RESULTS_SHEET, FIXES_SHEET)
FIX_COLUMNS = (
    *(("序号", 6), ("级别", 7), ("代码", 7), ("工作表", 10), ("单元格", 8), ("问题及修改要求", 70), ("填报值", 16), ("计算值", 16)),
    ("上年已指出", 14),  # 整改: the year the same was pointed out (the results history); appended
)
FIXES_WIDTH = sum(width for _, width in FIX_COLUMNS)
FIXES_HEADER = 3  # 0-based row of the fixes' header
# landscape, one page wide, the header on every page
FIXES_PRINT: dict[str, Any] = {"landscape": True, "fit": (1, 0), "repeat": (FIXES_HEADER, FIXES_HEADER)}
DATA_FOLDER = "department-book"  # in perfeval/data
# each cell style's index among the cellXfs of the shipped styles.xml (0 is Excel's default);
# a test checks it against that file and against what xlsxwriter makes of STYLE_SPECS
XF = {name: i for i, name in enumerate(CELL_STYLES, start=1)}


def write_department_book(dep: Department, target: Path, run_date: date) -> Path:
    return write_bytes_atomic(target, department_book_bytes(dep, run_date))


def department_book_bytes(dep: Department, run_date: date) -> bytes:
    book = Book(template())
    book.set_properties({"title": f"{dep.name}绩效评价结果", "author": "perfeval", "created": datetime.combine(run_date, time(0, 0))})
    layout(book, dep, run_date)
    return book.close()


@functools.cache
def template() -> Template:
    """The layout's constant parts (read and deflated once per process) and formats."""
    folder = resources.files("perfeval").joinpath("data", DATA_FOLDER)
    parts = {part: folder.joinpath(name).read_bytes() for part, name in CONSTANT_PARTS.items()}
    return Template(SHEETS, parts, {spec_key(STYLE_SPECS[name]): xf for name, xf in XF.items()})


def layout(wb: Any, dep: Department, run_date: date) -> None:
    """The department book's sheets, into `wb`: a fastbook.Book, or an xlsxwriter Workbook
    (the tests draw it both ways)."""
    st = Styles(wb)
    department_sheet(Writer(wb.add_worksheet(RESULTS_SHEET), st), dep, (FIXES_SHEET, "A5", "工作表"))
    _fixes(Writer(wb.add_worksheet(FIXES_SHEET), st), dep, run_date)


def _fixes(w: Writer, dep: Department, run_date: date) -> None:
    ws, st = w.ws, w.st
    last = len(FIX_COLUMNS) - 1
    w.line(0, f"{dep.name}：需要修改的问题", "title", FIXES_WIDTH, last)
    note = (
        f"共 {len(dep.findings)} 条（错误 {dep.errors}，警告 {dep.warnings}）。请按“工作表”“单元格”所指位置修改原工作簿后重新提交；"
        f"“错误”必须改正，“警告”请核实并说明，“提示”供参考。生成日期：{run_date.isoformat()}"
    )
    repeated = sum(1 for f in dep.findings if f.previously is not None)
    if repeated:
        note += f"。其中 {repeated} 条上年评价已经指出（见“上年已指出”列），请一并说明整改情况"
    if not dep.findings:
        note = f"审核未发现问题。生成日期：{run_date.isoformat()}"
    w.line(1, note, "subtitle", FIXES_WIDTH, last)
    hr = FIXES_HEADER
    w.header(hr, FIX_COLUMNS)
    widths = [width for _, width in FIX_COLUMNS]
    for i, f in enumerate(dep.findings, start=1):
        r = hr + i
        w.num(r, 0, i, st.integer)
        w.text(r, 1, f.severity.value, st.severity(f.severity.value))
        w.text(r, 2, f.code)
        w.text(r, 3, f.sheet)
        w.text(r, 4, f.cell)
        w.text(r, 5, f.message, st.wrap)
        w.text(r, 6, f.filled, st.wrap)
        w.text(r, 7, f.computed, st.wrap)
        w.text(r, 8, previously_text(f.previously))
        fit_cells(ws, r, (f.message, widths[5]), (f.filled, widths[6]), (f.computed, widths[7]))
    if dep.findings:
        ws.autofilter(hr, 0, hr + len(dep.findings), last)
    ws.freeze_panes(hr + 1, 0)
    page_setup(ws, **FIXES_PRINT)


# --- the shipped constant parts ------------------------------------------------------------


def reference_parts() -> dict[str, bytes]:
    """The constant parts as xlsxwriter's public API writes them for a workbook of this
    layout: its sheets, and every cell style used once, in XF's order (xlsxwriter numbers a
    workbook's formats in the order it first writes them). What the data files must hold."""
    import io
    import zipfile

    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheets = [wb.add_worksheet(name) for name in SHEETS]
    for row, name in enumerate(sorted(XF, key=XF.__getitem__)):
        sheets[0].write_string(row, 0, name, wb.add_format(STYLE_SPECS[name]))
    sheets[1].write_string(0, 0, FIXES_SHEET)
    page_setup(sheets[0], **RESULTS_PRINT)  # the print titles are named in docProps/app.xml
    page_setup(sheets[1], **FIXES_PRINT)
    wb.close()
    with zipfile.ZipFile(buf) as z:
        return {part: z.read(part) for part in CONSTANT_PARTS}


def regenerate(folder: Path | None = None) -> Path:
    """Write the data files from `reference_parts()` (after a change of the layout's sheets or
    styles, or of xlsxwriter); review the difference before committing it."""
    folder = folder or Path(__file__).resolve().parents[1] / "data" / DATA_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for part, data in reference_parts().items():
        (folder / CONSTANT_PARTS[part]).write_bytes(data)
    return folder


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--regenerate"]:
        raise SystemExit("usage: python -m perfeval.outputs.department_book --regenerate")
    print(f"wrote {regenerate()}")
