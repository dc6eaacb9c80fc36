"""xlsxwriter, with its two innermost loops rewritten for the cells perfeval writes.

A department's results are a few hundred cells in a workbook of their own, and a batch writes
thousands of such workbooks plus a summary holding the same again: xlsxwriter's generic,
attribute-list-building loops over rows, cells and shared strings were a third of that time.
`FastSheet` and `FastPackager` produce the very same bytes (tests compare them with stock
xlsxwriter's output); anything outside the plain cases handled here (comments, row or column
formats standing in for a cell's, rich or whitespace-edged strings, control characters…) is
handed back to xlsxwriter's own code, cell by cell. Writes given as (row, col) skip the
wrapper that would parse "A1" notation.

These classes lean on xlsxwriter's internals, so each process checks once, on a small probe
workbook, that they still write what the installed xlsxwriter writes; if not (a future release
changed its XML or its internals), the stock classes are used: slower, never wrong.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from xlsxwriter.packager import Packager
from xlsxwriter.sharedstrings import SharedStrings
from xlsxwriter.utility import _preserve_whitespace, xl_rowcol_to_cell_fast
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import CellBlankTuple, CellNumberTuple, CellStringTuple, Worksheet
from xlsxwriter.xmlwriter import re_control_chars_1, re_control_chars_2


def _escape(text: str) -> str:
    """xlsxwriter's _escape_data: & < > only (Excel leaves double quotes in text as they are)."""
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


class FastSheet(Worksheet):
    """A worksheet whose <sheetData> is written by a tight loop for numbers, shared strings and
    formatted blanks; identical XML to Worksheet._write_rows."""

    # write_*(row, col, …) go straight to xlsxwriter's undecorated methods ("A1" the usual way);
    # a plain string or number in range is stored right here, as those methods store it
    def write_string(self, row: Any, col: Any = None, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if type(row) is int:
            if (
                len(args) == 2 and not kwargs and type(col) is int and type(args[0]) is str
                and len(args[0]) <= _SHORT and not self.constant_memory and not self._check_dimensions(row, col)
            ):
                # CellStringTuple(index, format), without the namedtuple's Python-level __new__
                self.table[row][col] = _new(CellStringTuple, (self.str_table._get_shared_string_index(args[0]), args[1]))
                return 0
            return self._write_string(row, col, *args, **kwargs)
        return super().write_string(row, col, *args, **kwargs)

    def write_number(self, row: Any, col: Any = None, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if type(row) is int:
            number = args[0] if args else None
            if (
                len(args) == 2 and not kwargs and type(col) is int and (type(number) is int or type(number) is float)
                and math.isfinite(number) and not self.constant_memory and not self._check_dimensions(row, col)
            ):
                self.table[row][col] = _new(CellNumberTuple, (number, args[1]))
                return 0
            return self._write_number(row, col, *args, **kwargs)
        return super().write_number(row, col, *args, **kwargs)

    def write_url(self, row: Any, col: Any = None, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if type(row) is int:
            return self._write_url(row, col, *args, **kwargs)
        return super().write_url(row, col, *args, **kwargs)

    def write_blank(self, row: Any, col: Any = None, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if type(row) is int:
            return self._write_blank(row, col, *args, **kwargs)
        return super().write_blank(row, col, *args, **kwargs)

    def _calculate_spans(self) -> None:
        if self.comments:
            super()._calculate_spans()
            return
        lo_row, hi_row = self.dim_rowmin, self.dim_rowmax
        self.row_spans = row_spans((r, cells) for r, cells in self.table.items() if lo_row <= r <= hi_row)

    def _write_rows(self) -> None:
        if self.comments or self.constant_memory or self.excel_version == 2010:
            super()._write_rows()
            return
        self._calculate_spans()
        table, row_info, spans = self.table, self.row_info, self.row_spans
        lo_row, hi_row = self.dim_rowmin, self.dim_rowmax
        rows = sorted({r for r, cells in table.items() if cells} | set(row_info))
        write = self.fh.write
        xf_of: dict[Any, int] = {}
        for row_num in rows:
            if not lo_row <= row_num <= hi_row:
                continue
            span = spans.get(row_num >> 4)
            cells = table.get(row_num)
            if not cells:
                self._write_empty_row(row_num, span, row_info.get(row_num))
                continue
            if row_num in row_info:
                self._write_row(row_num, span, row_info[row_num])
            elif span:
                write(f'<row r="{row_num + 1}" spans="{span}">')
            else:
                write(f'<row r="{row_num + 1}">')
            out = []
            for col_num in sorted(cells):
                cell = cells[col_num]
                fmt = cell.format
                kind = cell.__class__
                if fmt is None or kind not in _PLAIN:
                    if out:
                        write("".join(out))
                        out = []
                    self._write_cell(row_num, col_num, cell)
                    continue
                ref = xl_rowcol_to_cell_fast(row_num, col_num)
                xf = xf_of.get(fmt)
                if xf is None:
                    xf = xf_of[fmt] = fmt._get_xf_index()
                if kind is CellStringTuple:
                    out.append(f'<c r="{ref}" s="{xf}" t="s"><v>{cell[0]}</v></c>')
                elif kind is CellNumberTuple:
                    out.append(f'<c r="{ref}" s="{xf}"><v>{cell[0]:.16G}</v></c>')
                else:
                    out.append(f'<c r="{ref}" s="{xf}"/>')
            out.append("</row>")
            write("".join(out))


_PLAIN = frozenset((CellStringTuple, CellNumberTuple, CellBlankTuple))
_new = tuple.__new__
_SHORT = 16383  # strings up to this many characters never need truncating (UTF-16: ≤ 32766 units)


def row_spans(rows: Iterable[tuple[int, dict[int, Any]]]) -> dict[int, str]:
    """The `spans` of <row> elements as xlsxwriter writes them: for each block of 16 rows
    (0-based row >> 4), the 1-based first and last column holding a cell, "a:b"."""
    bounds: dict[int, list[int]] = {}
    for row_num, cells in rows:
        if cells:
            lo, hi = min(cells), max(cells)
            block = bounds.get(row_num >> 4)
            if block is None:
                bounds[row_num >> 4] = [lo, hi]
            else:
                block[0], block[1] = min(block[0], lo), max(block[1], hi)
    return {k: f"{lo + 1}:{hi + 1}" for k, (lo, hi) in bounds.items()}


def _plain_string(text: str) -> bool:
    """Whether xlsxwriter surely writes `text` as a plain <si><t>: no control character (all
    printable), no _xHHHH_ (no "_x" at all), no leading or trailing whitespace (re's \\s is
    str.isspace), not rich text. A fast filter: False sends a string to the exact checks."""
    return (
        text.isprintable() and "_x" not in text and not text[:1].isspace() and not text[-1:].isspace()
        and not text.startswith("<r>")
    )


class FastSharedStrings(SharedStrings):
    """sharedStrings.xml with plain strings written in one pass; identical to SharedStrings."""

    def _write_sst_strings(self) -> None:
        out = []
        for string in self.string_table.string_array:
            if not _plain_string(string) and (
                re_control_chars_1.search(string)
                or re_control_chars_2.search(string)
                or _preserve_whitespace(string)
                or (string.startswith("<r>") and string.endswith("</r>"))
            ):
                if out:
                    self.fh.write("".join(out))
                    out = []
                self._write_si(string)
            else:
                out.append(f"<si><t>{_escape(string)}</t></si>")
        self.fh.write("".join(out))


class FastPackager(Packager):
    def _write_shared_strings_file(self) -> None:
        if not self.workbook.str_table.count:
            return
        sst = FastSharedStrings()
        sst.string_table = self.workbook.str_table
        sst._set_xml_writer(self._filename("xl/sharedStrings.xml"))
        sst._assemble_xml_file()


class FastWorkbook(Workbook):
    """A Workbook whose sheets are FastSheets and whose shared strings are written fast, where
    the installed xlsxwriter is one they reproduce."""

    def add_worksheet(self, name: str | None = None, worksheet_class: Any = None) -> Any:
        cls = worksheet_class or (FastSheet if fast_ok() else None)
        return super().add_worksheet(name, cls) if cls else super().add_worksheet(name)

    def _get_packager(self) -> Packager:
        return FastPackager() if fast_ok() else Packager()


@functools.cache
def fast_ok() -> bool:
    """Whether FastSheet and FastPackager write, byte for byte, what stock xlsxwriter writes."""
    try:
        return _probe(FastSheet, FastPackager) == _probe(Worksheet, Packager)
    except Exception:  # noqa: BLE001 - internals that moved: fall back to the stock classes
        return False


def _probe(sheet_class: type, packager_class: type) -> bytes:
    class Probe(Workbook):
        def _get_packager(self) -> Packager:
            return packager_class()

    buf = io.BytesIO()
    wb = Probe(buf, {"in_memory": True})
    # dated, or the two probes differ whenever a second ticks between them (and the check fails)
    wb.set_properties({"created": datetime(2000, 1, 1)})
    fmt = wb.add_format({"bold": True, "num_format": "0.00"})
    ws = wb.add_worksheet("探针", worksheet_class=sheet_class)
    ws.set_column(0, 1, 12)
    ws.set_row(3, 30)
    ws.set_row(20, 18)
    for r in range(40):
        for c in range(r % 3, 5 + r % 4):
            if c % 3 == 0:
                ws.write_string(r, c, f"文本&<{r}>", fmt)
            elif c % 3 == 1:
                ws.write_number(r, c, r / 7, fmt)
            else:
                ws.write_blank(r, c, None, fmt)
    ws.write_string(41, 0, " 留空白 ", fmt)
    ws.write_string(41, 1, "无格式")
    ws.write_url(42, 0, "internal:'探针'!A1", fmt, "链接")
    wb.close()
    return buf.getvalue()
