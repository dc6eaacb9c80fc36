"""Department workbooks written straight to their XML: the same bytes as through xlsxwriter.

A batch writes one small workbook per department, all of one fixed layout (two sheets, the same
formats), and through xlsxwriter most of each one's cost was the same for every department:
format objects, styles, theme, content types, and a generic writer for a few hundred cells.
Here the layout's code (`summary.department_sheet`, `department_book._fixes`) writes into a
recorder instead, and the workbook is put together from parts that xlsxwriter itself made once
per process (styles, theme, relationships, …) plus the sheets, strings, workbook and properties
of this department, written the way xlsxwriter writes them.

Tests write every department of several batches both ways and compare the bytes. Anything the
recorder does not handle exactly (a write it does not know, an odd value, a long link) raises
`Unsupported`, and that department is written by xlsxwriter instead. Each process also writes a
probe workbook both ways before using the frame; if the installed xlsxwriter writes it
differently, every book goes through xlsxwriter.
"""

from __future__ import annotations

import functools
import io
import math
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from xlsxwriter.sharedstrings import SharedStringTable
from xlsxwriter.url import Url
from xlsxwriter.utility import quote_sheetname, xl_range_abs, xl_rowcol_to_cell_fast

from .xlsxfast import FastSharedStrings, _escape, row_spans

XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
SHEET_HEAD = (
    XML_HEAD + '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
)
PAGE_TAIL = (
    '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    '<pageSetup paperSize="9" fitToHeight="0" orientation="landscape"/></worksheet>'
)
DEFAULT_ROW_PX = 20
MAX_DIGIT_PX, CELL_PADDING_PX = 7, 5
MAX_STRING = 16383  # longer strings go to xlsxwriter, which knows its own (UTF-16) limit


class Unsupported(Exception):
    """The recorder cannot promise xlsxwriter's exact bytes for this: use xlsxwriter."""


class Fmt:
    __slots__ = ("xf",)

    def __init__(self, xf: int):
        self.xf = xf


def _attr(text: str) -> str:
    """xlsxwriter's _escape_attributes."""
    if any(ch in text for ch in '&"<>\n'):
        text = text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "&#xA;")
    return text


class Sheet:
    """The part of xlsxwriter's Worksheet that the department layouts use, recorded."""

    def __init__(self, book: Book, name: str):
        self.book, self.name = book, name
        self.rows: dict[int, dict[int, str]] = {}  # row -> {col: the <c> element}
        self.widths: dict[int, int] = {}  # col -> width in pixels
        self.heights: dict[int, int] = {}  # row -> height in pixels
        self.links: list[tuple[int, int, Url]] = []
        self.filter_range: tuple[int, int, int, int] | None = None
        self.frozen_rows = 0
        self.dims: list[int] | None = None  # row min, row max, col min, col max
        self.page_setup = [False, False, False]  # paper 9, landscape, fit to 1 page wide

    def _cell(self, r: int, c: int) -> None:
        if type(r) is not int or type(c) is not int or not (0 <= r < 1048576 and 0 <= c < 16384):
            raise Unsupported("cell position")
        d = self.dims
        if d is None:
            self.dims = [r, r, c, c]
        else:
            if r < d[0]:
                d[0] = r
            if r > d[1]:
                d[1] = r
            if c < d[2]:
                d[2] = c
            if c > d[3]:
                d[3] = c

    def _store(self, r: int, c: int, tail: str) -> None:
        """Keep the cell at (r, c): `<c r="A1"` + `tail`."""
        self._cell(r, c)
        xml = f'<c r="{xl_rowcol_to_cell_fast(r, c)}"{tail}'
        row = self.rows.get(r)
        if row is None:
            self.rows[r] = {c: xml}
        else:
            row[c] = xml

    def write_string(self, r: int, c: int, text: str, fmt: Fmt | None = None) -> int:
        if fmt is None or type(text) is not str or len(text) > MAX_STRING:
            raise Unsupported("string")
        index = self.book.strings._get_shared_string_index(text)
        self._store(r, c, f' s="{fmt.xf}" t="s"><v>{index}</v></c>')
        return 0

    def write_number(self, r: int, c: int, number: Any, fmt: Fmt | None = None) -> int:
        if fmt is None or type(number) not in (int, float) or not math.isfinite(number):
            raise Unsupported("number")
        self._store(r, c, f' s="{fmt.xf}"><v>{number:.16G}</v></c>')
        return 0

    def write_blank(self, r: int, c: int, blank: Any = None, fmt: Fmt | None = None) -> int:
        if fmt is None:
            raise Unsupported("blank without a format")  # xlsxwriter skips it; keep it simple
        self._store(r, c, f' s="{fmt.xf}"/>')
        return 0

    def write_url(self, r: int, c: int, link: str, fmt: Fmt | None = None, string: str | None = None) -> int:
        if not link.startswith("internal:") or len(link) > 255 or string is None:
            raise Unsupported("link")
        url = Url(link)
        url._text = string
        self.write_string(r, c, url.text, fmt)
        self.links.append((r, c, url))
        return 0

    def set_column(self, first: int, last: int, width: float) -> int:
        if width < 1:
            raise Unsupported("narrow column")
        for c in range(first, last + 1):
            self.widths[c] = int(width * MAX_DIGIT_PX + 0.5) + CELL_PADDING_PX
        return 0

    def set_row(self, r: int, height: float) -> int:
        pixels = int(height * 4.0 / 3.0 + 0.5)
        if pixels == 0:
            raise Unsupported("hidden row")
        self._cell(r, self.dims[2] if self.dims else 0)
        self.heights[r] = pixels
        return 0

    def autofilter(self, r0: int, c0: int, r1: int, c1: int) -> None:
        self.filter_range = (r0, c0, r1, c1)

    def freeze_panes(self, r: int, c: int) -> None:
        if c != 0 or r <= 0:
            raise Unsupported("pane")
        self.frozen_rows = r

    def set_paper(self, paper: int) -> None:
        if paper != 9:
            raise Unsupported("paper")
        self.page_setup[0] = True

    def set_landscape(self) -> None:
        self.page_setup[1] = True

    def fit_to_pages(self, width: int, height: int) -> None:
        if (width, height) != (1, 0):
            raise Unsupported("fit")
        self.page_setup[2] = True

    # --- XML ----------------------------------------------------------------------------

    def xml(self, selected: bool) -> str:
        if self.dims is None or not all(self.page_setup):
            raise Unsupported("empty sheet or other page setup")
        r0, r1, c0, c1 = self.dims
        first, last = xl_rowcol_to_cell_fast(r0, c0), xl_rowcol_to_cell_fast(r1, c1)
        out = [SHEET_HEAD, '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>']
        out.append(f'<dimension ref="{first}"/>' if first == last else f'<dimension ref="{first}:{last}"/>')
        view = '<sheetView tabSelected="1" workbookViewId="0"' if selected else '<sheetView workbookViewId="0"'
        if self.frozen_rows:
            top = xl_rowcol_to_cell_fast(self.frozen_rows, 0)
            out.append(
                f'<sheetViews>{view}><pane ySplit="{self.frozen_rows}" topLeftCell="{top}" activePane="bottomLeft" '
                'state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>'
            )
        else:
            out.append(f"<sheetViews>{view}/></sheetViews>")
        out.append('<sheetFormatPr defaultRowHeight="15"/>')
        out.append(self._cols())
        out.append("<sheetData>")
        self._rows(out)
        out.append("</sheetData>")
        if self.filter_range:
            a0, b0, a1, b1 = self.filter_range
            out.append(f'<autoFilter ref="{xl_rowcol_to_cell_fast(a0, b0)}:{xl_rowcol_to_cell_fast(a1, b1)}"/>')
        if self.links:
            out.append("<hyperlinks>")
            for r, c, url in sorted(self.links, key=lambda x: (x[0], x[1])):
                tip = f' tooltip="{_attr(url._tip)}"' if url._tip else ""
                out.append(f'<hyperlink ref="{xl_rowcol_to_cell_fast(r, c)}" location="{_attr(url._link)}"{tip} display="{_attr(url._text)}"/>')
            out.append("</hyperlinks>")
        out.append(PAGE_TAIL)
        return "".join(out)

    def _cols(self) -> str:
        if not self.widths:
            return ""
        out, cols = ["<cols>"], sorted(self.widths)
        start = prev = cols[0]
        for c in [*cols[1:], None]:
            if c is not None and c == prev + 1 and self.widths[c] == self.widths[prev]:
                prev = c
                continue
            width = (self.widths[prev] * 256 // MAX_DIGIT_PX) / 256.0
            out.append(f'<col min="{start + 1}" max="{prev + 1}" width="{width:.16g}" customWidth="1"/>')
            if c is not None:
                start = prev = c
        out.append("</cols>")
        return "".join(out)

    def _rows(self, out: list[str]) -> None:
        rows, heights = self.rows, self.heights
        spans = row_spans(rows.items())
        for r in sorted(rows.keys() | heights.keys()):
            span = spans.get(r >> 4)
            attrs = f'<row r="{r + 1}"' + (f' spans="{span}"' if span else "")
            px = heights.get(r)
            if px is not None and px != DEFAULT_ROW_PX:
                attrs += f' ht="{px * 0.75:.16g}" customHeight="1"'
            cells = rows.get(r)
            if not cells:
                out.append(attrs + "/>")
                continue
            out.append(attrs + ">")
            out.extend(cells[c] for c in sorted(cells))
            out.append("</row>")


class Book:
    """The part of xlsxwriter's Workbook that the department layouts use, recorded."""

    def __init__(self, frame: Frame):
        self.frame = frame
        self.sheets: list[Sheet] = []
        self.strings = SharedStringTable()

    def add_worksheet(self, name: str) -> Sheet:
        if len(self.sheets) >= len(self.frame.sheet_names) or name != self.frame.sheet_names[len(self.sheets)]:
            raise Unsupported("sheet")
        sheet = Sheet(self, name)
        self.sheets.append(sheet)
        return sheet

    def worksheets(self) -> list[Sheet]:
        return self.sheets

    def add_format(self, spec: dict[str, Any]) -> Fmt:
        xf = self.frame.xf.get(_spec_key(spec))
        if xf is None:
            raise Unsupported("format")
        return Fmt(xf)

    def close(self, title: str, run_date: date) -> bytes:
        frame = self.frame
        if len(self.sheets) != len(frame.sheet_names):
            raise Unsupported("sheets")
        parts = {}
        for i, sheet in enumerate(self.sheets):
            parts[f"xl/worksheets/sheet{i + 1}.xml"] = sheet.xml(selected=i == 0)
        parts["xl/workbook.xml"] = frame.workbook_xml(self.sheets)
        parts["docProps/core.xml"] = frame.core_xml(title, run_date)
        if not self.strings.count:
            raise Unsupported("no strings")
        self.strings._sort_string_data()  # as Workbook._prepare_sst_string_data does
        sst, text = FastSharedStrings(), io.StringIO()  # what the packager writes, as it writes it
        sst.string_table = self.strings
        sst._set_xml_writer(text)
        sst._assemble_xml_file()
        parts["xl/sharedStrings.xml"] = text.getvalue()
        packed = frame.packed
        return zip_bytes([packed.get(name) or deflated(name, parts[name]) for name in frame.order])


def _spec_key(spec: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(spec.items()))


# --- the zip container -------------------------------------------------------------------
# What zipfile writes for xlsxwriter (ZipInfo dated 1980-01-01, deflated at the default level,
# into a seekable file, no zip64), written directly: the constant parts of a layout are then
# deflated once per process, not once per workbook. Tests compare with zipfile's bytes.

Member = tuple[bytes, bytes, int, int]  # name, deflated data, CRC-32, size
_DOS_DATE, _DOS_TIME = (1980 - 1980) << 9 | 1 << 5 | 1, 0
_CREATE_SYSTEM = 0 if sys.platform == "win32" else 3  # as zipfile.ZipInfo says
_EXTERNAL_ATTR = 0o600 << 16  # what zipfile gives a member written from bytes


def deflated(name: str, text: str) -> Member:
    data = text.encode("utf-8")
    packer = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)  # as zipfile does
    return name.encode("ascii"), packer.compress(data) + packer.flush(), zlib.crc32(data), len(data)


def zip_bytes(members: list[Member]) -> bytes:
    """A zip of the members, in order, byte for byte as zipfile writes it."""
    out, central, offset = [], [], 0
    for name, data, crc, size in members:
        head = struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, zipfile.ZIP_DEFLATED, _DOS_TIME, _DOS_DATE,
                           crc, len(data), size, len(name), 0)
        out += (head, name, data)
        central.append(struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, _CREATE_SYSTEM, 20, 0, 0,
                                   zipfile.ZIP_DEFLATED, _DOS_TIME, _DOS_DATE, crc, len(data), size,
                                   len(name), 0, 0, 0, 0, _EXTERNAL_ATTR, offset) + name)
        offset += len(head) + len(name) + len(data)
    directory = b"".join(central)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), offset, 0)
    return b"".join(out) + directory + end


class Frame:
    """What every department workbook of one layout shares, taken from one that xlsxwriter made:
    the constant parts (deflated once), the order of parts in the file, and the formats' style
    indices."""

    def __init__(self, sheet_names: tuple[str, ...], parts: dict[str, str], order: list[str], xf: dict[Any, int]):
        self.sheet_names, self.order, self.xf = sheet_names, order, xf
        self.packed = {name: deflated(name, text) for name, text in parts.items()}

    def workbook_xml(self, sheets: list[Sheet]) -> str:
        out = [
            XML_HEAD,
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<fileVersion appName="xl" lastEdited="4" lowestEdited="4" rupBuild="4505"/>'
            '<workbookPr defaultThemeVersion="124226"/><bookViews><workbookView xWindow="240" yWindow="15" '
            'windowWidth="16095" windowHeight="9660"/></bookViews><sheets>',
        ]
        for i, sheet in enumerate(sheets, start=1):
            out.append(f'<sheet name="{_attr(sheet.name)}" sheetId="{i}" r:id="rId{i}"/>')
        out.append("</sheets>")
        names = []
        for i, sheet in enumerate(sheets):
            if sheet.filter_range:
                ref = f"{quote_sheetname(sheet.name)}!{xl_range_abs(*sheet.filter_range)}"
                names.append(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">{_escape(ref)}</definedName>')
        if names:
            out.append("<definedNames>" + "".join(names) + "</definedNames>")
        out.append('<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')
        return "".join(out)

    def core_xml(self, title: str, run_date: date) -> str:
        stamp = datetime.combine(run_date, time(0, 0)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return (
            XML_HEAD + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{_escape(title)}</dc:title><dc:creator>perfeval</dc:creator><cp:lastModifiedBy>perfeval</cp:lastModifiedBy>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified></cp:coreProperties>'
        )


CONSTANT_PARTS = (
    "[Content_Types].xml", "_rels/.rels", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
    "xl/theme/theme1.xml", "docProps/app.xml",
)


@functools.cache
def frame_for(
    sheet_names: tuple[str, ...],
    make_reference: Callable[[], tuple[bytes, dict[Any, int]]],
    probe: Callable[[Any], bytes] | None = None,
) -> Frame | None:
    """The frame of a layout, from a reference workbook xlsxwriter writes (once per process);
    None if `probe(frame)` (the layout written both ways) finds that the installed xlsxwriter
    writes anything differently, or its internals moved: then xlsxwriter writes every book."""
    try:
        data, xf = make_reference()
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            order = z.namelist()
            parts = {name: z.read(name).decode("utf-8") for name in CONSTANT_PARTS}
        frame = Frame(sheet_names, parts, order, xf)
        return frame if probe is None or probe(frame) else None
    except Exception:  # noqa: BLE001 - whatever moved, xlsxwriter itself still writes the books
        return None
