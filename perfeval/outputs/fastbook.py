"""perfeval's own xlsx writer, for workbooks of one fixed layout (the department books).

A batch writes one small workbook per department, thousands of them, all with the same sheets
and the same formats. Everything such a workbook shares with the others (content types,
relationships, styles, theme, application properties) ships as package data and is read and
deflated once per process (`Template`); what differs (the sheets, the shared strings, the
workbook part, the document properties) is written here, and the zip container too.

`Book` and `Sheet` take the calls of xlsxwriter's Workbook and Worksheet that the layouts make
(`add_worksheet`, `add_format`, `write_string`, `write_number`, `write_blank`, `write_url`,
`merge_range`, `set_column`, `set_row`, `autofilter`, `freeze_panes`, and for printing
`set_paper`, `set_landscape`, `set_portrait`, `fit_to_pages`, `set_print_scale`, `repeat_rows`,
`set_margins`, `center_horizontally`, `set_header`, `set_footer`), with the same arguments and
the same meaning, so one layout function draws into either writer. The XML is written the way xlsxwriter writes it (the department books are
byte for byte what xlsxwriter made before this writer existed), with three deliberate
differences, each where xlsxwriter's output would be wrong (the tests check each one):
- a string that starts with "<r>" and ends with "</r>" is text like any other (xlsxwriter
  takes it for rich-text XML and writes it unescaped);
- characters XML cannot hold (control characters) are left out of attribute values and of the
  document title (xlsxwriter writes them, and the file no longer opens); cell text keeps them,
  as Excel's _xHHHH_ escapes;
- tab and carriage return in attribute values are written as character references (which a
  reader gives back), not raw (which a reader turns into spaces);
- half a surrogate pair (how Python keeps a file name's undecodable byte) is written as "?"
  (xlsxwriter cannot encode it, and stops).
Text longer than a cell holds is cut as xlsxwriter cuts it (32767 UTF-16 units); the layouts
clip it first, with a note (`xlsxkit.clip`).
What the layouts do not use (other link kinds, row or column formats, comments, …) raises
`ValueError` at once: a new layout feature is added here, with a test, never guessed at.
"""

from __future__ import annotations

import math
import re
import shutil
import struct
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from .xlsxkit import utf16_clip, utf16_len

XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHEET_HEAD = f'{XML_HEAD}<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
DEFAULT_MARGINS = (0.7, 0.7, 0.75, 0.75, 0.3, 0.3)  # left, right, top, bottom, header, footer (inches)
MAX_HEADER_FOOTER = 255  # UTF-16 units

MAX_ROW, MAX_COL = 1048576, 16384
MAX_STRING = 32767  # UTF-16 units in a cell
MAX_URL = 2079  # xlsxwriter's limit for a link's location
MAX_TIP = 255
MAX_LINKS = 65530  # per sheet
DEFAULT_ROW_PX = 20  # 15 points
DEFAULT_COL_PX = 64
MAX_DIGIT_PX, CELL_PADDING_PX = 7, 5  # Calibri 11: the default font's digit width

# the parts every workbook of a layout shares → their files in its data folder (flat, no
# hidden files: "_rels/.rels" is rels.xml)
CONSTANT_PARTS = {
    "[Content_Types].xml": "content-types.xml",
    "_rels/.rels": "rels.xml",
    "xl/_rels/workbook.xml.rels": "workbook.xml.rels",
    "xl/styles.xml": "styles.xml",
    "xl/theme/theme1.xml": "theme1.xml",
    "docProps/app.xml": "app.xml",
}


def part_order(n_sheets: int) -> list[str]:
    return [
        "[Content_Types].xml",
        "_rels/.rels",
        "xl/_rels/workbook.xml.rels",
        *(f"xl/worksheets/sheet{i}.xml" for i in range(1, n_sheets + 1)),
        "xl/workbook.xml",
        "xl/sharedStrings.xml",
        "xl/styles.xml",
        "xl/theme/theme1.xml",
        "docProps/core.xml",
        "docProps/app.xml",
    ]


# --- cell references ---------------------------------------------------------------------


def col_name(col: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    name = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        name = chr(65 + rem) + name
    return name


_COLS = [col_name(c) for c in range(702)]  # A … ZZ; wider sheets compute theirs


def cell_ref(row: int, col: int) -> str:
    """(0, 0) → A1."""
    return f"{_COLS[col] if col < 702 else col_name(col)}{row + 1}"


def abs_ref(row: int, col: int) -> str:
    """(0, 0) → $A$1."""
    return f"${_COLS[col] if col < 702 else col_name(col)}${row + 1}"


def cell_range(r0: int, c0: int, r1: int, c1: int, ref: Any = cell_ref) -> str:
    """A1:B2, or A1 for a single cell."""
    first, last = ref(r0, c0), ref(r1, c1)
    return first if first == last else f"{first}:{last}"


def name_area(r0: int, c0: int, r1: int, c1: int) -> str:
    """A range as a defined name gives it: $A$1:$B$2, $A:$B for whole columns, $1:$2 for rows."""
    if r0 == 0 and r1 == MAX_ROW - 1:
        return f"${col_name(c0)}:${col_name(c1)}"
    if c0 == 0 and c1 == MAX_COL - 1:
        return f"${r0 + 1}:${r1 + 1}"
    return cell_range(r0, c0, r1, c1, abs_ref)


_NEEDS_NO_QUOTES = re.compile(r"[^\W\d][\w.]*")
_LOOKS_LIKE_REF = re.compile(r"[A-Z]{1,3}\d|R\d|R?C\d|(?:R|C|RC)$", re.IGNORECASE)


def quote_sheet(name: str) -> str:
    """A sheet's name as a formula gives it: quoted unless it is plainly a name. Quoting more
    often than Excel needs is harmless; a name made of letters and digits that cannot be read
    as a cell reference is left bare, as Excel and xlsxwriter leave it."""
    if _NEEDS_NO_QUOTES.fullmatch(name) and not _LOOKS_LIKE_REF.match(name):
        return name
    return "'" + name.replace("'", "''") + "'"


# --- text ----------------------------------------------------------------------------------

_ESCAPE_LIKE = re.compile("(_x[0-9a-fA-F]{4}_)")  # text that reads as Excel's own escape
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")  # what Excel writes as _xHHHH_
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")  # not in XML 1.0 at all


def _hex_escape(match: re.Match[str]) -> str:
    return f"_x{ord(match.group()):04X}_"


def text_data(text: str) -> str:
    """Element content: & < > escaped (quotes need not be, and Excel leaves them)."""
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def attr(text: str) -> str:
    """An attribute value: escaped, and without what XML cannot hold."""
    text = _NOT_XML.sub("", text)
    if any(ch in text for ch in '&"<>\n\t\r'):
        text = (
            text.replace("&", "&amp;")
            .replace('"', "&quot;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace("\n", "&#xA;")
            .replace("\t", "&#x9;")
            .replace("\r", "&#xD;")
        )
    return text


def shared_string(text: str) -> str:
    """The <si> of a string, as Excel reads it back to `text` exactly: control characters as
    _xHHHH_, text that looks like such an escape with its underscore escaped (_x005F_), and
    xml:space="preserve" where whitespace starts or ends it."""
    if text.isprintable() and "_x" not in text and text[:1] != " " and text[-1:] != " ":
        # the usual case (a printable string has no whitespace but the ASCII space)
        return f"<si><t>{text_data(text)}</t></si>"
    if "_x" in text:
        text = _ESCAPE_LIKE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(_hex_escape, text)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f"<si><t{space}>{text_data(text)}</t></si>"


# --- the writer ----------------------------------------------------------------------------


class Fmt:
    """A cell format: its index among the template's cell formats (cellXfs)."""

    __slots__ = ("xf",)

    def __init__(self, xf: int):
        self.xf = xf


class Sheet:
    """What the layouts call of xlsxwriter's Worksheet, written straight to XML."""

    def __init__(self, book: Book | None, name: str, index: int):
        self.book, self.name, self.index = book, name, index
        self.rows: dict[int, dict[int, str]] = {}  # row -> {col: the <c> element}
        self.widths: dict[int, int | None] = {}  # col -> width in pixels (None: the default)
        self.heights: dict[int, tuple[int, bool]] = {}  # row -> (height in pixels, hidden)
        self.links: dict[tuple[int, int], tuple[str, str, str]] = {}  # (row, col) -> location, display, tip
        self.filter: tuple[int, int, int, int] | None = None
        self.panes: tuple[int, int, int, int] | None = None  # row, col, top row, left col
        self.dims: list[int] | None = None  # row min, row max, col min, col max
        self.merges: list[tuple[int, int, int, int]] = []  # first row, first col, last row, last col
        self.merged: dict[tuple[int, int], str] = {}  # (row, col) -> the merged range it is in
        self.paper = 0
        self.landscape = False
        self.fit: tuple[int, int] | None = None  # pages wide, pages tall
        self.scale = 100
        self.page_setup_changed = False
        self.repeat: str | None = None  # the print titles: 'Sheet'!$1:$2
        self.margins = DEFAULT_MARGINS
        self.centered = False
        self.header = self.footer = ""

    def claim_cell(self, r: int, c: int) -> bool:
        """Whether (r, c) is in the sheet; if so, it now counts in the sheet's dimension."""
        if not (0 <= r < MAX_ROW and 0 <= c < MAX_COL):
            return False
        d = self.dims
        if d is None:
            self.dims = [r, r, c, c]
        else:
            if r < d[0]:
                d[0] = r
            elif r > d[1]:
                d[1] = r
            if c < d[2]:
                d[2] = c
            elif c > d[3]:
                d[3] = c
        return True

    def put_cell(self, r: int, c: int, xml: str) -> None:
        row = self.rows.get(r)
        if row is None:
            self.rows[r] = {c: xml}
        else:
            row[c] = xml

    # --- cells -------------------------------------------------------------------------

    def write_string(self, r: int, c: int, text: str, fmt: Fmt | None = None) -> int:
        """Shared-string text; longer than a cell holds: cut (and -2), as xlsxwriter does."""
        if not self.claim_cell(r, c):
            return -1
        if type(text) is not str:
            raise TypeError(f"write_string() takes a str, not {type(text).__name__}")
        error = 0
        if len(text) > MAX_STRING // 2 and utf16_len(text) > MAX_STRING:
            text, error = utf16_clip(text, MAX_STRING), -2
        self.put_cell(r, c, self.string_cell(cell_ref(r, c), text, fmt))
        return error

    def string_cell(self, ref: str, text: str, fmt: Fmt | None) -> str:
        """The <c> of a text: an index into the book's shared strings."""
        book = self.book
        if book is None:
            raise ValueError("a sheet outside a book writes its texts inline (InlineSheet)")
        index = book.strings.get(text)
        if index is None:
            index = book.strings[text] = len(book.strings)
        book.string_count += 1
        if fmt is None:
            return f'<c r="{ref}" t="s"><v>{index}</v></c>'
        return f'<c r="{ref}" s="{fmt.xf}" t="s"><v>{index}</v></c>'

    def write_number(self, r: int, c: int, number: float | int, fmt: Fmt | None = None) -> int:
        if type(number) is not float and type(number) is not int:
            number = float(number)  # a bool, a Fraction, a Decimal: as a float
        if not math.isfinite(number):
            raise TypeError("NAN/INF not supported in write_number()")
        if not self.claim_cell(r, c):
            return -1
        if fmt is None:
            self.put_cell(r, c, f'<c r="{cell_ref(r, c)}"><v>{number:.16G}</v></c>')
        else:
            self.put_cell(r, c, f'<c r="{cell_ref(r, c)}" s="{fmt.xf}"><v>{number:.16G}</v></c>')
        return 0

    def write_blank(self, r: int, c: int, blank: Any = None, fmt: Fmt | None = None) -> int:
        """A formatted empty cell; without a format, nothing (as xlsxwriter)."""
        if fmt is None:
            return 0
        if not self.claim_cell(r, c):
            return -1
        self.put_cell(r, c, f'<c r="{cell_ref(r, c)}" s="{fmt.xf}"/>')
        return 0

    def write_url(self, r: int, c: int, url: str, fmt: Fmt | None = None, string: str | None = None, tip: str | None = None) -> int:
        """A link to a place in this workbook ("internal:'Sheet'!A1"), its text in the cell."""
        if not url.startswith("internal:"):
            raise ValueError(f"only links inside the workbook (internal:…) are written here, not {url!r}")
        if fmt is None:
            raise ValueError("a link needs a format of the layout's (xlsxwriter's own link format is not in the template)")
        location = url[len("internal:") :]
        if utf16_len(location) > MAX_URL:
            raise ValueError(f"link location longer than {MAX_URL} characters")
        if tip is not None and utf16_len(tip) > MAX_TIP:
            raise ValueError("Hyperlink tool tip exceeds Excel's maximum length.")
        if not 0 <= r < MAX_ROW or not 0 <= c < MAX_COL:
            return -1
        if len(self.links) >= MAX_LINKS and (r, c) not in self.links:
            raise ValueError(f"more than {MAX_LINKS} links in sheet {self.name!r}")
        display = location if string is None else string
        self.write_string(r, c, display, fmt)
        self.links[r, c] = (location, display, tip or "")
        return 0

    def merge_range(self, r0: int, c0: int, r1: int, c1: int, data: Any, fmt: Fmt | None = None) -> int:
        """Cells merged into one: `data` (a text, or "" / None for none) in the first, the others
        blank in the same format."""
        if r0 == r1 and c0 == c1:
            raise ValueError("a single cell is not merged (xlsxwriter warns and leaves it)")
        r0, r1 = min(r0, r1), max(r0, r1)
        c0, c1 = min(c0, c1), max(c0, c1)
        if not self.claim_cell(r0, c0) or not self.claim_cell(r1, c1):
            return -1
        area = f"{cell_ref(r0, c0)}:{cell_ref(r1, c1)}"
        for row in range(r0, r1 + 1):
            for col in range(c0, c1 + 1):
                if (row, col) in self.merged:
                    raise ValueError(f"Merge range '{area}' overlaps previous merge range '{self.merged[row, col]}'.")
                self.merged[row, col] = area
        self.merges.append((r0, c0, r1, c1))
        if data is None or data == "":
            self.write_blank(r0, c0, None, fmt)
        elif type(data) is str:
            self.write_string(r0, c0, data, fmt)
        else:
            raise ValueError("a merged range takes a text here (write a number into its first cell after merging)")
        for row in range(r0, r1 + 1):
            for col in range(c0, c1 + 1):
                if row != r0 or col != c0:
                    self.write_blank(row, col, None, fmt)
        return 0

    # --- rows, columns, views, printing --------------------------------------------------

    def set_column(self, first: int, last: int, width: float | None = None, cell_format: Any = None, options: Any = None) -> int:
        if cell_format is not None or options:
            raise ValueError("column formats and options are not part of this writer")
        if first > last:
            first, last = last, first
        if first < 0 or last >= MAX_COL:
            return -1
        if width is None:
            pixels = None
        elif width == 0:
            pixels = 0
        elif width < 1:
            pixels = int(width * (MAX_DIGIT_PX + CELL_PADDING_PX) + 0.5)
        else:
            pixels = int(width * MAX_DIGIT_PX + 0.5) + CELL_PADDING_PX
        for col in range(first, last + 1):
            self.widths[col] = pixels
        return 0

    def set_row(self, r: int, height: float | None = None, cell_format: Any = None, options: Any = None) -> int:
        if cell_format is not None or options:
            raise ValueError("row formats and options are not part of this writer")
        if not self.claim_cell(r, self.dims[2] if self.dims else 0):  # as xlsxwriter: the row counts
            return -1
        pixels = DEFAULT_ROW_PX if height is None else int(height * 4.0 / 3.0 + 0.5)
        self.heights[r] = (DEFAULT_ROW_PX, True) if pixels == 0 else (pixels, False)
        return 0

    def autofilter(self, r0: int, c0: int, r1: int, c1: int) -> int:
        r0, r1 = min(r0, r1), max(r0, r1)
        c0, c1 = min(c0, c1), max(c0, c1)
        if r0 < 0 or c0 < 0 or r1 >= MAX_ROW or c1 >= MAX_COL:
            return -1
        self.filter = (r0, c0, r1, c1)
        return 0

    def freeze_panes(self, row: int, col: int, top_row: int | None = None, left_col: int | None = None, pane_type: int = 0) -> None:
        if pane_type != 0:
            raise ValueError("only frozen panes are part of this writer")
        self.panes = (row, col, row if top_row is None else top_row, col if left_col is None else left_col)

    def set_paper(self, paper: int) -> None:
        if paper:
            self.paper = paper
            self.page_setup_changed = True

    def set_landscape(self) -> None:
        self.landscape = True
        self.page_setup_changed = True

    def set_portrait(self) -> None:
        self.landscape = False
        self.page_setup_changed = True

    def fit_to_pages(self, width: int, height: int) -> None:
        self.fit = (width, height)
        self.page_setup_changed = True

    def set_print_scale(self, scale: int) -> None:
        if not 10 <= scale <= 400:
            raise ValueError(f"Print scale '{scale}' outside range: 10 <= scale <= 400")
        self.fit = None  # as xlsxwriter: a scale, not a fit
        self.scale = int(scale)
        self.page_setup_changed = True

    def repeat_rows(self, first_row: int, last_row: int | None = None) -> None:
        last = first_row if last_row is None else last_row
        self.repeat = f"{quote_sheet(self.name)}!${first_row + 1}:${last + 1}"

    def set_margins(self, left: float = 0.7, right: float = 0.7, top: float = 0.75, bottom: float = 0.75) -> None:
        self.margins = (left, right, top, bottom, *self.margins[4:])

    def center_horizontally(self) -> None:
        self.centered = True

    def set_header(self, header: str = "", options: Any = None, margin: float | None = None) -> None:
        self.header = self.header_footer(header, options)
        self.margins = (*self.margins[:4], 0.3 if margin is None else margin, self.margins[5])

    def set_footer(self, footer: str = "", options: Any = None, margin: float | None = None) -> None:
        self.footer = self.header_footer(footer, options)
        self.margins = (*self.margins[:5], 0.3 if margin is None else margin)

    @staticmethod
    def header_footer(text: str, options: Any) -> str:
        if options or "&G" in text or "&[Picture]" in text:
            raise ValueError("header and footer options and pictures are not part of this writer")
        if utf16_len(text) > MAX_HEADER_FOOTER:
            raise ValueError(f"a header or footer longer than Excel's {MAX_HEADER_FOOTER} characters")
        return text

    # --- XML ---------------------------------------------------------------------------

    def xml(self) -> str:
        out = [self.head_xml()]
        if self.rows or self.heights:
            out.append("<sheetData>")
            self.rows_xml(out)
            out.append("</sheetData>")
        else:
            out.append("<sheetData/>")
        out.append(self.filter_xml())
        if self.links:
            out.append("<hyperlinks>")
            out.extend(self.links_xml())
            out.append("</hyperlinks>")
        out.append(self.print_xml())
        return "".join(out)

    def head_xml(self) -> str:
        """The sheet's XML before its cells."""
        out = [SHEET_HEAD]
        if self.fit:
            out.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')
        d = self.dims
        out.append(f'<dimension ref="{cell_range(d[0], d[2], d[1], d[3]) if d else "A1"}"/>')
        out.append(self.views_xml())
        out.append('<sheetFormatPr defaultRowHeight="15"/>')
        if self.widths:
            out.append(self.cols_xml())
        return "".join(out)

    def filter_xml(self) -> str:
        """The autofilter and the merged cells (after the cells)."""
        out = []
        if self.filter:
            out.append(f'<autoFilter ref="{cell_range(*self.filter)}"/>')
        if self.merges:
            out.append(f'<mergeCells count="{len(self.merges)}">')
            for r0, c0, r1, c1 in self.merges:
                out.append(f'<mergeCell ref="{cell_ref(r0, c0)}:{cell_ref(r1, c1)}"/>')
            out.append("</mergeCells>")
        return "".join(out)

    def links_xml(self) -> list[str]:
        """The <hyperlink> of each link, in the order of their cells."""
        out = []
        for (r, c), (location, display, tip) in sorted(self.links.items()):
            tip_attr = f' tooltip="{attr(tip)}"' if tip else ""
            out.append(f'<hyperlink ref="{cell_ref(r, c)}" location="{attr(location)}"{tip_attr} display="{attr(display)}"/>')
        return out

    def print_xml(self) -> str:
        """How the sheet prints, and the end of its XML."""
        out = []
        if self.centered:
            out.append('<printOptions horizontalCentered="1"/>')
        left, right, top, bottom, header, footer = self.margins
        out.append(f'<pageMargins left="{left}" right="{right}" top="{top}" bottom="{bottom}" header="{header}" footer="{footer}"/>')
        if self.page_setup_changed:
            setup = [f' paperSize="{self.paper}"'] if self.paper else []
            if self.scale != 100:
                setup.append(f' scale="{self.scale}"')
            if self.fit:
                width, height = self.fit
                if width != 1:
                    setup.append(f' fitToWidth="{width}"')
                if height != 1:
                    setup.append(f' fitToHeight="{height}"')
            setup.append(' orientation="landscape"' if self.landscape else ' orientation="portrait"')
            out.append(f"<pageSetup{''.join(setup)}/>")
        if self.header or self.footer:
            out.append("<headerFooter>")
            if self.header:
                out.append(f"<oddHeader>{text_data(self.header)}</oddHeader>")
            if self.footer:
                out.append(f"<oddFooter>{text_data(self.footer)}</oddFooter>")
            out.append("</headerFooter>")
        out.append("</worksheet>")
        return "".join(out)

    def views_xml(self) -> str:
        view = '<sheetView tabSelected="1" workbookViewId="0"' if self.index == 0 else '<sheetView workbookViewId="0"'
        if self.panes is None:
            return f"<sheetViews>{view}/></sheetViews>"
        row, col, top, left = self.panes
        if row and col:
            active = "bottomRight"
            selections = (
                f'<selection pane="topRight" activeCell="{cell_ref(0, col)}" sqref="{cell_ref(0, col)}"/>'
                f'<selection pane="bottomLeft" activeCell="{cell_ref(row, 0)}" sqref="{cell_ref(row, 0)}"/>'
                '<selection pane="bottomRight"/>'
            )
        else:
            active = "topRight" if col else "bottomLeft"
            selections = f'<selection pane="{active}"/>'
        split = (f' xSplit="{col}"' if col else "") + (f' ySplit="{row}"' if row else "")
        pane = f'<pane{split} topLeftCell="{cell_ref(top, left)}" activePane="{active}" state="frozen"/>'
        return f"<sheetViews>{view}>{pane}{selections}</sheetView></sheetViews>"

    def cols_xml(self) -> str:
        out, cols = ["<cols>"], sorted(self.widths)
        start = prev = cols[0]
        for c in [*cols[1:], None]:
            if c is not None and c == prev + 1 and self.widths[c] == self.widths[prev]:
                prev = c
                continue
            pixels = self.widths[prev]
            custom = ' customWidth="1"' if pixels is not None and pixels != DEFAULT_COL_PX else ""
            width = ((DEFAULT_COL_PX if pixels is None else pixels) * 256 // MAX_DIGIT_PX) / 256.0
            out.append(f'<col min="{start + 1}" max="{prev + 1}" width="{width:.16g}"{custom}/>')
            if c is not None:
                start = prev = c
        out.append("</cols>")
        return "".join(out)

    def rows_xml(self, out: list[str]) -> None:
        rows, heights = self.rows, self.heights
        spans = row_spans(rows.items())
        for r in sorted(rows.keys() | heights.keys()) if heights else sorted(rows):
            span = spans.get(r >> 4)
            head = f'<row r="{r + 1}" spans="{span}"' if span else f'<row r="{r + 1}"'
            size = heights.get(r)
            if size is not None:
                pixels, hidden = size
                if pixels != DEFAULT_ROW_PX:
                    head += f' ht="{pixels * 0.75:.16g}"'
                if hidden:
                    head += ' hidden="1"'
                if pixels != DEFAULT_ROW_PX:
                    head += ' customHeight="1"'
            cells = rows.get(r)
            if not cells:
                out.append(head + "/>")
                continue
            out.append(head + ">")
            out.extend(cells[c] for c in sorted(cells))
            out.append("</row>")


def row_spans(rows: Iterable[tuple[int, dict[int, Any]]]) -> dict[int, str]:
    """The `spans` of <row> elements: for each block of 16 rows (0-based row >> 4), the
    1-based first and last column holding a cell, "a:b"."""
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


class InlineSheet(Sheet):
    """A sheet on its own, its texts in its cells (inline strings) rather than in a book's
    shared strings: a sheet written into a workbook another writer made (the summary's
    department sheets, spliced into xlsxwriter's file by `splice`), one at a time, nothing of
    it kept once written. Excel, WPS and LibreOffice read inline strings as any text (Excel
    turns them into shared strings when it saves)."""

    def __init__(self, name: str, index: int):
        super().__init__(None, name, index)

    def string_cell(self, ref: str, text: str, fmt: Fmt | None) -> str:
        body = shared_string(text)[4:-5]  # the <t> of <si><t>…</t></si>: escaped the same way
        if fmt is None:
            return f'<c r="{ref}" t="inlineStr"><is>{body}</is></c>'
        return f'<c r="{ref}" s="{fmt.xf}" t="inlineStr"><is>{body}</is></c>'


class StreamSheet(InlineSheet):
    """An InlineSheet of any length, written in order of its rows: each block of 16 rows (a
    <row>'s spans are its block's) goes to a temp file in `folder` when a later row is begun,
    its links to another; `chunks()` then gives the sheet's XML, and removes them. For a sheet
    of tens of thousands of rows (the summary's 异常清单), whose cells would otherwise all be
    held at once."""

    def __init__(self, name: str, index: int, folder: Path):
        super().__init__(name, index)
        self.block = 0  # the block of rows being written (row >> 4)
        self.rows_spool = tempfile.TemporaryFile(dir=folder)
        self.links_spool = tempfile.TemporaryFile(dir=folder)
        self.rows_spooled = self.links_spooled = 0  # how many written to each

    def put_cell(self, r: int, c: int, xml: str) -> None:
        if r >> 4 != self.block:
            self.next_block(r)
        super().put_cell(r, c, xml)

    def set_row(self, r: int, height: float | None = None, cell_format: Any = None, options: Any = None) -> int:
        if r >> 4 != self.block:
            self.next_block(r)
        return super().set_row(r, height, cell_format, options)

    def write_url(self, r: int, c: int, url: str, fmt: Fmt | None = None, string: str | None = None, tip: str | None = None) -> int:
        if self.links_spooled + len(self.links) >= MAX_LINKS and (r, c) not in self.links:
            raise ValueError(f"more than {MAX_LINKS} links in sheet {self.name!r}")
        return super().write_url(r, c, url, fmt, string, tip)

    def next_block(self, r: int) -> None:
        if r >> 4 < self.block:
            raise ValueError(f"row {r + 1} of sheet {self.name!r} comes after a later one: this sheet is written in order")
        self.spool()
        self.block = r >> 4

    def spool(self) -> None:
        """The rows and links held so far, written out."""
        if self.rows or self.heights:
            out: list[str] = []
            self.rows_xml(out)
            self.rows_spool.write("".join(out).encode("utf-8", "replace"))
            self.rows_spooled += len(self.rows.keys() | self.heights.keys())
            self.rows, self.heights = {}, {}
        if self.links:
            self.links_spool.write("".join(self.links_xml()).encode("utf-8", "replace"))
            self.links_spooled += len(self.links)
            self.links = {}

    def chunks(self) -> Iterator[bytes]:
        """The sheet's XML, in pieces (the temp files read back a megabyte at a time)."""
        try:
            self.spool()
            yield self.head_xml().encode("utf-8", "replace")
            yield from self.spooled(self.rows_spool, "sheetData") if self.rows_spooled else [b"<sheetData/>"]
            yield self.filter_xml().encode("utf-8", "replace")
            if self.links_spooled:
                yield from self.spooled(self.links_spool, "hyperlinks")
            yield self.print_xml().encode("utf-8", "replace")
        finally:
            self.rows_spool.close()
            self.links_spool.close()

    @staticmethod
    def spooled(spool: BinaryIO, element: str) -> Iterator[bytes]:
        spool.seek(0)
        yield f"<{element}>".encode()
        while chunk := spool.read(COPY_CHUNK):
            yield chunk
        yield f"</{element}>".encode()


class Book:
    """What the layouts call of xlsxwriter's Workbook; `close()` gives the file's bytes."""

    def __init__(self, template: Template):
        self.template = template
        self.sheets: list[Sheet] = []
        self.strings: dict[str, int] = {}  # text -> index, in the order first written
        self.string_count = 0  # every string written, repeats included
        self.properties: dict[str, Any] = {}

    def add_worksheet(self, name: str | None = None) -> Sheet:
        names = self.template.sheet_names
        i = len(self.sheets)
        if i >= len(names) or name != names[i]:
            raise ValueError(f"this template's workbooks have the sheets {names}: sheet {i + 1} cannot be {name!r}")
        sheet = Sheet(self, name, i)
        self.sheets.append(sheet)
        return sheet

    def worksheets(self) -> list[Sheet]:
        return self.sheets

    def add_format(self, spec: Mapping[str, Any]) -> Fmt:
        fmt = self.template.formats.get(tuple(sorted(spec.items())))
        if fmt is None:
            raise ValueError(f"format {dict(spec)} is not among the template's styles: regenerate its data files")
        return fmt

    def set_properties(self, properties: Mapping[str, Any]) -> None:
        unknown = set(properties) - {"title", "author", "created"}
        if unknown:
            raise ValueError(f"document properties not written here: {sorted(unknown)}")
        self.properties = dict(properties)

    def close(self) -> bytes:
        """The workbook's .xlsx bytes."""
        template = self.template
        if len(self.sheets) != len(template.sheet_names):
            raise ValueError(f"this template's workbooks have the sheets {template.sheet_names}")
        parts = {f"xl/worksheets/sheet{i + 1}.xml": sheet.xml() for i, sheet in enumerate(self.sheets)}
        parts["xl/workbook.xml"] = self.workbook_xml()
        parts["xl/sharedStrings.xml"] = self.shared_strings_xml()
        parts["docProps/core.xml"] = self.core_xml()
        constant = template.members
        return zip_bytes([constant.get(name) or deflated(name, parts[name]) for name in template.order])

    def shared_strings_xml(self) -> str:
        out = [f'{XML_HEAD}<sst xmlns="{MAIN_NS}" count="{self.string_count}" uniqueCount="{len(self.strings)}">']
        out.extend(map(shared_string, self.strings))  # a dict keeps the order of first writing
        out.append("</sst>")
        return "".join(out)

    def workbook_xml(self) -> str:
        out = [
            f'{XML_HEAD}<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
            '<fileVersion appName="xl" lastEdited="4" lowestEdited="4" rupBuild="4505"/>'
            '<workbookPr defaultThemeVersion="124226"/><bookViews><workbookView xWindow="240" yWindow="15" '
            'windowWidth="16095" windowHeight="9660"/></bookViews><sheets>'
        ]
        for i, sheet in enumerate(self.sheets, start=1):
            out.append(f'<sheet name="{attr(sheet.name)}" sheetId="{i}" r:id="rId{i}"/>')
        out.append("</sheets>")
        names = []
        for i, sheet in enumerate(self.sheets):
            defined = []
            if sheet.filter:
                defined.append(("_xlnm._FilterDatabase", f"{quote_sheet(sheet.name)}!{name_area(*sheet.filter)}", ' hidden="1"'))
            if sheet.repeat:
                defined.append(("_xlnm.Print_Titles", sheet.repeat, ""))
            for name, area, hidden in defined:
                # Excel's order, as xlsxwriter sorts them: by the name without "_xlnm.", then the range
                key = name.replace("_xlnm.", "").lower() + "::" + area.lstrip("'").lower()
                names.append((key, f'<definedName name="{name}" localSheetId="{i}"{hidden}>{text_data(area)}</definedName>'))
        if names:
            names.sort(key=lambda n: n[0])
            out.append("<definedNames>" + "".join(xml for _, xml in names) + "</definedNames>")
        out.append('<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')
        return "".join(out)

    def core_xml(self) -> str:
        p = self.properties
        created = p.get("created")
        if not isinstance(created, datetime):
            created = datetime.now(UTC)
        stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
        title = f"<dc:title>{text_data(_NOT_XML.sub('', p['title']))}</dc:title>" if "title" in p else ""
        author = text_data(_NOT_XML.sub("", p.get("author", "")))
        return (
            f'{XML_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"{title}<dc:creator>{author}</dc:creator><cp:lastModifiedBy>{author}</cp:lastModifiedBy>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified></cp:coreProperties>'
        )


class Template:
    """What every workbook of one fixed layout shares: its sheets' names, its constant parts
    (deflated once) and the style index of each of its cell formats."""

    def __init__(self, sheet_names: tuple[str, ...], parts: Mapping[str, bytes], xf: Mapping[tuple[tuple[str, Any], ...], int]):
        if set(parts) != set(CONSTANT_PARTS):
            raise ValueError(f"a template needs exactly the parts {sorted(CONSTANT_PARTS)}")
        self.sheet_names = sheet_names
        self.order = part_order(len(sheet_names))
        self.members = {name: deflated(name, data) for name, data in parts.items()}
        self.formats = {key: Fmt(index) for key, index in xf.items()}


# --- the zip container -------------------------------------------------------------------
# What zipfile writes for xlsxwriter (ZipInfo dated 1980-01-01, deflated at the default level,
# into a seekable file, no zip64), written directly: the constant parts of a layout are then
# deflated once per process, not once per workbook. Tests compare with zipfile's bytes.

Member = tuple[bytes, bytes, int, int]  # name, deflated data, CRC-32, size
_DOS_DATE, _DOS_TIME = (1980 - 1980) << 9 | 1 << 5 | 1, 0
_CREATE_SYSTEM = 0 if sys.platform == "win32" else 3  # as zipfile.ZipInfo says
_EXTERNAL_ATTR = 0o600 << 16  # what zipfile gives a member written from bytes
# signature, versions (needed to extract; made by, and on what system), flags, method, time, date
_LOCAL_HEADER = (b"PK\x03\x04", 20, 0, 0, zipfile.ZIP_DEFLATED, _DOS_TIME, _DOS_DATE)
_CENTRAL_HEADER = (b"PK\x01\x02", 20, _CREATE_SYSTEM, 20, 0, 0, zipfile.ZIP_DEFLATED, _DOS_TIME, _DOS_DATE)


def deflated(name: str, content: str | bytes) -> Member:
    data = content.encode("utf-8", "replace") if isinstance(content, str) else content
    packer = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)  # as zipfile does
    return name.encode("ascii"), packer.compress(data) + packer.flush(), zlib.crc32(data), len(data)


def zip_bytes(members: list[Member]) -> bytes:
    """A zip of the members, in order, byte for byte as zipfile writes it."""
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for name, data, crc, size in members:
        sizes = (crc, len(data), size, len(name))
        head = struct.pack("<4s2B4HL2L2H", *_LOCAL_HEADER, *sizes, 0)
        out += (head, name, data)
        central.append(struct.pack("<4s4B4HL2L5H2L", *_CENTRAL_HEADER, *sizes, 0, 0, 0, 0, _EXTERNAL_ATTR, offset) + name)
        offset += len(head) + len(name) + len(data)
    directory = b"".join(central)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), offset, 0)
    return b"".join(out) + directory + end


COPY_CHUNK = 1 << 20


def splice(source: Path, target: Path, part: Callable[[str], Iterable[bytes] | None]) -> None:
    """The zip `source` copied into `target` with some members' content replaced: `part(name)`
    gives a member's new content (in pieces), or None to copy it as it is. The members keep
    their order, names and dates; a new one is made only when its turn comes, so one at a time
    is in memory. Byte-stable: the same members give the same file."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            new = zipfile.ZipInfo(info.filename, info.date_time)
            new.compress_type = zipfile.ZIP_DEFLATED
            new.external_attr = info.external_attr
            content = part(info.filename)
            if content is None:
                new.file_size = info.file_size  # zipfile decides on zip64 by it
                with zin.open(info) as src, zout.open(new, "w") as dst:
                    shutil.copyfileobj(src, dst, COPY_CHUNK)
            else:
                with zout.open(new, "w") as dst:
                    for chunk in content:
                        dst.write(chunk)
