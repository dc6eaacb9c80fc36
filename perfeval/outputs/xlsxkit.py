"""What both workbook writers share: cell formats, the small writing helpers, page setup,
sheet names and text limits.

The layout code (`department_sheet`, the summary's sheets, the department book's sheets) writes
through the calls it makes here and the Worksheet calls it makes itself. Two writers take them:
xlsxwriter's public API (the summary) and perfeval's own fixed-layout writer (`fastbook`, the
department books), which knows the same calls. Nothing here imports xlsxwriter except
`new_workbook`, so a department book never loads it.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from ..model import Severity

if TYPE_CHECKING:
    import xlsxwriter

EXCEL_MAX_CELL = 32767
TRUNCATED = "…（内容过长，已截断）"
FIXED_SHEETS = ("总览", "指标得分", "异常清单", "统计", "分析", "历年对比")
GRADE_COLORS = {"优": "#C6EFCE", "良": "#DDEBF7", "中": "#FFEB9C", "差": "#FFC7CE"}


def clip(text: str) -> str:
    """`text`, or as much of it as a cell holds with a note that it was cut. Excel counts a
    cell's 32767 characters in UTF-16 units: a character beyond U+FFFF, such as 😀, takes two."""
    if len(text) <= EXCEL_MAX_CELL // 2 or utf16_len(text) <= EXCEL_MAX_CELL:
        return text
    return utf16_clip(text, EXCEL_MAX_CELL - len(TRUNCATED)) + TRUNCATED


def utf16_len(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def utf16_clip(text: str, units: int) -> str:
    """At most `units` UTF-16 units of `text`, never half a character."""
    if len(text) <= units // 2:
        return text
    n = 0
    for i, ch in enumerate(text):
        n += 2 if ord(ch) > 0xFFFF else 1
        if n > units:
            return text[:i]
    return text


_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


def sheet_names(names: list[str], taken: tuple[str, ...] = FIXED_SHEETS) -> list[str]:
    """Valid, unique (case-insensitively, as Excel compares) sheet names of at most 31 UTF-16
    units (Excel's count: a character beyond U+FFFF, such as 𠀾, takes two)."""
    used = {t.casefold() for t in taken} | {"history"}
    out = []
    for name in names:
        base = _BAD_SHEET_CHARS.sub("_", name).strip().strip("'") or "部门"
        candidate, n = _clip_sheet_name(base, 31), 1
        while candidate.casefold() in used:
            n += 1
            suffix = f"({n})"
            candidate = _clip_sheet_name(base, 31 - len(suffix)) + suffix
        used.add(candidate.casefold())
        out.append(candidate)
    return out


def _clip_sheet_name(text: str, units: int) -> str:
    out, n = [], 0
    for ch in text:
        n += 2 if ord(ch) > 0xFFFF else 1
        if n > units:
            break
        out.append(ch)
    return "".join(out).rstrip("'") or "部门"


LINE_HEIGHT = 14.0  # points: one line of the layout's 10-point text


def previously_text(year: int | None) -> str:
    """A finding's 上年已指出 cell: the year the department was told the same, or blank."""
    return "" if year is None else f"{year} 年已指出"


def display_width(text: str) -> int:
    """Width in Excel character units, about: a Chinese character (3 bytes in UTF-8) takes two."""
    return len(text) + (len(text.encode("utf-8")) - len(text)) // 2


def wrapped_lines(text: str, width: float) -> int:
    """How many lines `text` takes wrapped in a column `width` characters wide: about, a little
    more rather than less (see `display_width`; Excel's 10-point 宋体 is a little narrower)."""
    room = max(width - 1, 1)
    n = len(text)
    if "\n" not in text and (n * 2 <= room or (n <= room and text.isascii())):
        return 1
    return sum(max(1, math.ceil(display_width(part) / room)) for part in text.split("\n"))


def fit_row(ws: Any, row: int, text: str, width: float, line_height: float = LINE_HEIGHT) -> None:
    """Set the height of a row holding wrapped `text` in a column `width` characters wide.

    Excel grows such rows by itself; LibreOffice and WPS keep the default height unless told.
    """
    fit_lines(ws, row, wrapped_lines(text, width), line_height)


def fit_cells(ws: Any, row: int, *cells: tuple[str, float]) -> None:
    """Set the height of a row by the tallest of its wrapped `cells` = (text, column width)."""
    lines = 1
    for text, width in cells:
        if len(text) * 2 >= width - 1 or "\n" in text:  # else it surely takes one line
            lines = max(lines, wrapped_lines(text, width))
    fit_lines(ws, row, lines)


def fit_lines(ws: Any, row: int, lines: int, line_height: float = LINE_HEIGHT) -> None:
    """Make a row `lines` lines high (a row of one line keeps the default height)."""
    if lines > 1:
        ws.set_row(row, min(line_height * lines, 409))


def internal_link(sheet: str, cell: str = "A1") -> str:
    return "internal:'" + sheet.replace("'", "''") + "'!" + cell


_BASE = {"font_name": "宋体", "font_size": 10, "valign": "vcenter"}
_CELL = {**_BASE, "border": 1}
_TOTAL = {**_CELL, "bold": True, "bg_color": "#E7E6E6"}  # a 合计 or 平均 row: not a department's
STYLE_SPECS: dict[str, dict[str, Any]] = {
    "title": {**_BASE, "bold": True, "font_size": 14},
    "subtitle": {**_BASE, "font_color": "#595959"},
    "header": {**_CELL, "bold": True, "bg_color": "#D9E1F2", "text_wrap": True, "align": "center"},
    "text": _CELL,
    "wrap": {**_CELL, "text_wrap": True},
    "shrink": {**_CELL, "shrink": True},  # one line, the font smaller where the text is long
    "money": {**_CELL, "num_format": "#,##0.00"},
    "rate": {**_CELL, "num_format": "0.00%"},
    "rate0": {**_CELL, "num_format": "0%"},
    "integer": {**_CELL, "num_format": "0"},
    "link": {**_CELL, "font_color": "#0563C1", "underline": 1},
    "section": {**_BASE, "bold": True, "font_size": 12},
    "label": {**_CELL, "bold": True, "bg_color": "#F2F2F2"},
    # a finding's 级别 cell, filled by its severity
    "error_cell": {**_CELL, "bg_color": "#FFC7CE", "font_color": "#9C0006"},
    "warning_cell": {**_CELL, "bg_color": "#FFEB9C", "font_color": "#9C5700"},
    # the line under a department sheet's title when its result does not stand (未评分, 待补正)
    "banner_error": {**_BASE, "bold": True, "font_color": "#9C0006"},
    "banner_warning": {**_BASE, "bold": True, "font_color": "#9C5700"},
    # the unit of the money columns, above their headers ("金额单位：万元")
    "unit": {**_CELL, "bg_color": "#D9E1F2", "align": "center"},
    # the 合计 and 平均 rows after a table's data
    "total_text": _TOTAL,
    "total_money": {**_TOTAL, "num_format": "#,##0.00"},
    "total_rate": {**_TOTAL, "num_format": "0.00%"},
    "total_integer": {**_TOTAL, "num_format": "0"},
    "total_note": {**_CELL, "bg_color": "#E7E6E6", "font_color": "#595959", "text_wrap": True},
    # conditional formats (differential: only what changes)
    "red": {"bg_color": "#FFC7CE", "font_color": "#9C0006"},
    "yellow": {"bg_color": "#FFEB9C", "font_color": "#9C5700"},
    **{f"grade_{g}": {"bg_color": c} for g, c in GRADE_COLORS.items()},
}
# the styles of a line across a sheet (`Writer.line`), and how much wider than the 10-point text
# such a line is (its font size, and bold); each has a wrapped variant, for a line too long
LINE_SCALE = {"title": 1.45, "section": 1.25, "subtitle": 1.0, "banner_error": 1.05, "banner_warning": 1.05}
STYLE_SPECS.update({f"{name}_wrap": {**STYLE_SPECS[name], "text_wrap": True} for name in LINE_SCALE})


# a score or a mean is written as a text cell's format has it, General: 91 as "91", 92.8 as
# "92.8" ("0.##" shows "91."); xlsxwriter makes the same format of either
STYLE_ALIASES = {"number": "text", "total_number": "total_text"}
# formats of conditional formatting (differential): never a cell's own
CONDITIONAL_STYLES = frozenset(("red", "yellow", *(f"grade_{g}" for g in GRADE_COLORS)))
CELL_STYLES = tuple(name for name in STYLE_SPECS if name not in CONDITIONAL_STYLES)


def spec_key(spec: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """A format's properties as a hashable key (the same properties: the same key)."""
    return tuple(sorted(spec.items()))


class Styles:
    """A workbook's cell formats, each added to the workbook the first time it is used (a
    department's own workbook needs half of them, and every format costs at every write).
    `wb` is an xlsxwriter Workbook or a `fastbook.Book`: anything with `add_format(dict)`."""

    def __init__(self, wb: Any):
        self.workbook = wb

    def __getattr__(self, name: str) -> Any:
        if name in STYLE_ALIASES:
            fmt = getattr(self, STYLE_ALIASES[name])
            setattr(self, name, fmt)
            return fmt
        spec = STYLE_SPECS.get(name)
        if spec is None:
            raise AttributeError(name)
        fmt = self.workbook.add_format(spec)
        setattr(self, name, fmt)
        return fmt

    def severity(self, value: str) -> Any:
        """The format of a finding's 级别 cell."""
        if value == Severity.ERROR.value:
            return self.error_cell
        if value == Severity.WARNING.value:
            return self.warning_cell
        return self.text


class Writer:
    """Text and numbers into a worksheet (xlsxwriter's or fastbook's), with the layout's
    default formats; text always as text, clipped to what a cell holds."""

    def __init__(self, ws: Any, st: Styles):
        self.ws, self.st = ws, st

    def text(self, r: int, c: int, value: Any, fmt: Any = None) -> None:
        if value is None or value == "":
            self.ws.write_blank(r, c, None, fmt or self.st.text)
        else:
            self.store_text(r, c, clip(str(value)), fmt or self.st.text)

    def store_text(self, r: int, c: int, text: str, fmt: Any) -> None:
        """A non-empty text, already clipped, into its cell (a writer that needs to can override)."""
        self.ws.write_string(r, c, text, fmt)

    def num(self, r: int, c: int, value: float | int | None, fmt: Any = None) -> None:
        if value is None:
            self.ws.write_blank(r, c, None, fmt or self.st.number)
        else:
            self.ws.write_number(r, c, value, fmt or self.st.number)

    def header(self, r: int, columns: tuple[tuple[str, float], ...], c0: int = 0) -> None:
        for i, (label, width) in enumerate(columns):
            self.ws.write_string(r, c0 + i, label, self.st.header)
            self.ws.set_column(c0 + i, c0 + i, width)
        fit_cells(self.ws, r, *columns)

    def span(self, r: int, c0: int, c1: int, value: Any, fmt: Any) -> None:
        """`value` in the cells c0..c1 of row r, merged (the text written after the merge, as
        any text: a writer's own care for it applies)."""
        self.ws.merge_range(r, c0, r, c1, "", fmt)
        self.text(r, c0, value, fmt)

    def line(self, r: int, text: str, style: str, width: float, last_col: int, link: str | None = None) -> None:
        """A line across the sheet (a title, a note, a banner) in column A: as it is where it
        fits in the sheet's `width` characters (it runs over the empty cells beside it), else
        merged across A..`last_col` and wrapped, the row as high as its lines; a link to
        `link` (a place in the workbook) if given."""
        text = clip(text)
        scale = LINE_SCALE.get(style, 1.0)
        if display_width(text) * scale <= width - 1:
            fmt = getattr(self.st, style)
        else:
            fmt = getattr(self.st, f"{style}_wrap")
            self.ws.merge_range(r, 0, r, last_col, "", fmt)
            fit_row(self.ws, r, text, width / scale, LINE_HEIGHT * scale)
        if link is None:
            self.store_text(r, 0, text, fmt)
        else:
            self.ws.write_url(r, 0, link, fmt, text)


# --- printing --------------------------------------------------------------------------------

A4 = 9  # Excel's paper size code
MARGINS = (0.4, 0.4, 0.6, 0.6)  # left, right, top, bottom, in inches (header and footer: 0.3)
FOOTER = "&L&A&C第 &P 页 / 共 &N 页"  # the sheet's name; the page of all pages


def page_setup(ws: Any, *, landscape: bool, repeat: tuple[int, int], fit: tuple[int, int] | None = None, scale: int | None = None) -> None:
    """How a sheet prints (either writer's): on A4, `landscape` or portrait, fitted to `fit` =
    (pages wide, pages tall; 0: as many as it takes) or at `scale` percent, with the rows
    `repeat` = (first, last) at the top of every page, centred, numbered in the footer."""
    ws.set_paper(A4)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    if fit is not None:
        ws.fit_to_pages(*fit)
    elif scale is not None:
        ws.set_print_scale(scale)
    ws.repeat_rows(*repeat)
    ws.set_margins(*MARGINS)
    ws.center_horizontally()
    ws.set_footer(FOOTER)


def new_workbook(path: Path | BinaryIO, title: str, run_date: date, in_memory: bool = True) -> xlsxwriter.Workbook:
    """An xlsxwriter workbook that writes strings as strings, dated by the run (byte-stable
    output), into a file or a buffer. `in_memory`: each XML part is made in memory (faster:
    no temp file per part) rather than in a temp file beside `path` (a file: all parts at
    once in memory would cost hundreds of megabytes for a workbook of thousands of sheets)."""
    import xlsxwriter  # here, not at the top: a department book never needs it

    options: dict[str, Any] = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    if in_memory or not isinstance(path, Path):
        options["in_memory"] = True
    else:
        options["tmpdir"] = str(path.parent)  # the outputs' own disk (and folder, removed with it)
    wb = xlsxwriter.Workbook(str(path) if isinstance(path, Path) else path, options)
    wb.set_properties({"title": title, "author": "perfeval", "created": datetime.combine(run_date, time(0, 0))})
    return wb
