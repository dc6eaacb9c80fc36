"""What both workbook writers share: cell formats, the small writing helpers, print setup,
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
FIXED_SHEETS = ("总览", "指标得分", "异常清单", "统计")
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


def display_width(text: str) -> int:
    """Width in Excel character units, about: a Chinese character (3 bytes in UTF-8) takes two."""
    return len(text) + (len(text.encode("utf-8")) - len(text)) // 2


def fit_row(ws: Any, row: int, text: str, width: float, line_height: float = 14.0) -> None:
    """Set the height of a row holding wrapped `text` in a column `width` characters wide.

    Excel grows such rows by itself; LibreOffice and WPS keep the default height unless told.
    """
    lines = sum(max(1, math.ceil(display_width(part) / max(width - 2, 1))) for part in text.split("\n"))
    if lines > 1:
        ws.set_row(row, min(line_height * lines, 409))


def internal_link(sheet: str, cell: str = "A1") -> str:
    return "internal:'" + sheet.replace("'", "''") + "'!" + cell


_BASE = {"font_name": "宋体", "font_size": 10, "valign": "vcenter"}
_CELL = {**_BASE, "border": 1}
STYLE_SPECS: dict[str, dict[str, Any]] = {
    "title": {**_BASE, "bold": True, "font_size": 14},
    "subtitle": {**_BASE, "font_color": "#595959"},
    "header": {**_CELL, "bold": True, "bg_color": "#D9E1F2", "text_wrap": True, "align": "center"},
    "text": _CELL,
    "wrap": {**_CELL, "text_wrap": True},
    "money": {**_CELL, "num_format": "#,##0.00"},
    "rate": {**_CELL, "num_format": "0.00%"},
    "rate0": {**_CELL, "num_format": "0%"},
    "number": {**_CELL, "num_format": "0.##"},
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
    # conditional formats (differential: only what changes)
    "red": {"bg_color": "#FFC7CE", "font_color": "#9C0006"},
    "yellow": {"bg_color": "#FFEB9C", "font_color": "#9C5700"},
    **{f"grade_{g}": {"bg_color": c} for g, c in GRADE_COLORS.items()},
}


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

    def header(self, r: int, columns: tuple[tuple[str, int], ...], c0: int = 0) -> None:
        for i, (label, width) in enumerate(columns):
            self.ws.write_string(r, c0 + i, label, self.st.header)
            self.ws.set_column(c0 + i, c0 + i, width)


def print_setup(wb: Any) -> None:
    """A4, landscape, one page wide: every sheet of `wb` (either writer's workbook)."""
    for ws in wb.worksheets():
        ws.set_paper(9)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)


def new_workbook(path: Path | BinaryIO, title: str, run_date: date) -> xlsxwriter.Workbook:
    """An xlsxwriter workbook that writes strings as strings, dated by the run (byte-stable
    output), into a file or a buffer."""
    import xlsxwriter  # here, not at the top: a department book never needs it

    wb = xlsxwriter.Workbook(
        str(path) if isinstance(path, Path) else path,
        # in_memory: no temp file per XML part (they cost more than the XML itself)
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False, "in_memory": True},
    )
    wb.set_properties({"title": title, "author": "perfeval", "created": datetime.combine(run_date, time(0, 0))})
    return wb
