"""The two xlsx writers: perfeval's own (fastbook, the department books) and xlsxwriter's public
API (the summary) take the same layout code and give the same workbooks.

- a department book read back (calamine for values, openpyxl for everything else) is what the
  same layout drawn by xlsxwriter gives, for the sample inbox, a generated batch and awkward text;
- for the layout language's every call, the own writer's file is xlsxwriter's, byte for byte
  (bar the deliberate differences, each tested on its own);
- the constant parts shipped as package data are what xlsxwriter makes for the layout's
  sheets and formats, and the style table in code points at the right ones.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import random
import subprocess
import sys
import zipfile
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from perfeval.config import Settings
from perfeval.outputs import department_book as DB
from perfeval.outputs import fastbook
from perfeval.outputs.fastbook import Book, deflated, quote_sheet, shared_string, zip_bytes
from perfeval.outputs.xlsxkit import CELL_STYLES, EXCEL_MAX_CELL, FOOTER, STYLE_SPECS, TRUNCATED, Styles, clip, new_workbook, page_setup
from perfeval.pipeline import analyze

from .conftest import INBOX, ROOT, clean_spec, needs_office, office_convert

RUN_DATE = date(2024, 3, 1)
BENCHMARKS = ROOT / "benchmarks"
DATA = ROOT / "perfeval" / "data" / DB.DATA_FOLDER

# texts that need care: XML escapes, control characters, Excel's own _xHHHH_ escape written
# literally, leading/trailing whitespace, what looks like rich-text XML, astral characters,
# formulas, very long text
AWKWARD = [
    "A&B <c> \"d\" 'e'",
    "行一\n行二",
    "\x01控制\x1f",
    "_x0041_ literal",
    " leading",
    "trailing ",
    "\ttab",
    "<r>rich?</r>",
    "𠀾𠀿 astral 😀",
    "=1+1",
    "",
    "末尾换行\n",
    "x_x00zz_y",
    "\r\n",
    "\u3000全角\u3000",
    "\x00nul",
    "_x005F_",
    "a\x0bb\x0cc",
    "@SUM(A1)",
    "长" * 40000,
    "😀" * 20000,
    "长" * 16384 + "😀",
]
RICH_LOOKING = [t for t in AWKWARD if t.startswith("<r>") and t.endswith("</r>")]
# what Excel lets a user type (openpyxl, which fills the test inputs, refuses the rest)
TYPABLE = [t for t in AWKWARD if not any(ord(ch) < 32 and ch not in "\t\n" for ch in t) and len(t) < 32767]


# --- helpers -------------------------------------------------------------------------------


def own_book(dep) -> bytes:
    return DB.department_book_bytes(dep, RUN_DATE)


def xlsxwriter_book(dep) -> bytes:
    """The same layout, drawn by xlsxwriter's public API."""
    buf = io.BytesIO()
    wb = new_workbook(buf, f"{dep.name}绩效评价结果", RUN_DATE)
    DB.layout(wb, dep, RUN_DATE)
    wb.close()
    return buf.getvalue()


def dump(data: bytes) -> dict:
    """A workbook as its reader sees it: values by calamine, the rest by openpyxl."""
    values = CalamineWorkbook.from_filelike(io.BytesIO(data))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    out: dict = {
        "sheets": wb.sheetnames,
        "title": wb.properties.title,
        "creator": wb.properties.creator,
        "created": wb.properties.created,
        "names": sorted((n, str(v.attr_text)) for ws in wb.worksheets for n, v in ws.defined_names.items()),
    }
    for ws in wb.worksheets:
        out[ws.title] = {
            "values": values.get_sheet_by_name(ws.title).to_python(),
            "cells": {
                c.coordinate: (
                    c.value,
                    c.data_type,
                    *looks(c),
                    (c.hyperlink.location, c.hyperlink.display, c.hyperlink.tooltip) if c.hyperlink else None,
                )
                for row in ws.iter_rows()
                for c in row
                if c.has_style or c.value is not None
            },
            "widths": {k: (d.width, d.customWidth) for k, d in ws.column_dimensions.items()},
            "heights": {k: (d.height, d.customHeight, d.hidden) for k, d in ws.row_dimensions.items()},
            "freeze": ws.freeze_panes,
            "filter": ws.auto_filter.ref,
            "merged": sorted(map(str, ws.merged_cells.ranges)),
            "page": (
                ws.page_setup.paperSize,
                ws.page_setup.orientation,
                ws.page_setup.fitToWidth,
                ws.page_setup.fitToHeight,
                ws.page_setup.scale,
                ws.sheet_properties.pageSetUpPr.fitToPage if ws.sheet_properties.pageSetUpPr else None,
            ),
            "print": (
                ws.print_title_rows,
                ws.print_options.horizontalCentered,
                tuple(getattr(ws.page_margins, side) for side in ("left", "right", "top", "bottom", "header", "footer")),
                [(part.left.text, part.center.text, part.right.text) for part in (ws.oddHeader, ws.oddFooter)],
                [b.id for b in ws.row_breaks.brk],
            ),
            "view": (ws.sheet_view.tabSelected, [(s.pane, s.activeCell, s.sqref) for s in ws.sheet_view.selection]),
            "dimension": ws.calculate_dimension(),
        }
    return out


def looks(cell) -> tuple:
    """A cell's format as a reader sees it (copies: openpyxl's proxies compare unequal)."""
    return (copy.copy(cell.font), copy.copy(cell.fill), copy.copy(cell.border), copy.copy(cell.alignment), cell.number_format)


def fixes_messages(data: bytes) -> tuple[list, list]:
    """The 问题及修改要求 column of the fixes sheet, by calamine and by openpyxl."""
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(DB.FIXES_SHEET).to_python()
    ws = openpyxl.load_workbook(io.BytesIO(data))[DB.FIXES_SHEET]
    return [r[5] for r in rows[4:]], [ws.cell(row=r, column=6).value for r in range(5, ws.max_row + 1)]


def with_texts(dep, texts: list[str]):
    """`dep` with its findings' messages and filled values replaced by `texts`."""
    findings = [dataclasses.replace(dep.findings[i % len(dep.findings)], message=t, filled=t) for i, t in enumerate(texts)]
    return dataclasses.replace(dep, findings=findings)


@pytest.fixture(scope="module")
def departments(tmp_path_factory):
    """The sample inbox, departments named and described with awkward (typable) text, and a
    generated batch: varied sizes, findings of every level, some without any."""
    from perfeval.fill import fill_template

    inbox = tmp_path_factory.mktemp("inbox")
    for f in INBOX.glob("*.xlsx"):
        (inbox / f.name).write_bytes(f.read_bytes())
    for i, text in enumerate(TYPABLE):
        spec = clean_spec()
        spec["基本信息"]["部门名称"] = f"部门{i}{text}"
        spec["基本信息"]["部门编码"] = f"X{i}"
        spec["评价结论"]["items"][0]["关联指标"] = text  # lands in a finding too
        # texts too short to count as copied from one another (B04): the clean ones stay clean
        spec["评价结论"]["items"][0]["内容"], spec["评价结论"]["items"][2]["内容"] = "进度前松后紧", "均衡支出"
        fill_template(inbox / f"awkward{i}.xlsx", spec)
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from generate import generate
    finally:
        sys.path.remove(str(BENCHMARKS))
    generate(inbox, 30)
    deps, _ = analyze(sorted((p, p.name) for p in inbox.iterdir()), Settings())
    return deps


# --- department books against xlsxwriter ---------------------------------------------------


@pytest.mark.slow
def test_books_read_as_the_layout_drawn_by_xlsxwriter(departments):
    assert len(departments) > 50
    assert any(not d.findings for d in departments) and any(len(d.findings) > 5 for d in departments)
    rich_looking = {f"awkward{TYPABLE.index(t)}.xlsx" for t in RICH_LOOKING}  # xlsxwriter loses it (below)
    for dep in departments:
        if dep.file not in rich_looking:
            assert dump(own_book(dep)) == dump(xlsxwriter_book(dep)), dep.file


def test_awkward_text_reads_back_exactly(departments):
    """Every string as it was (clipped to what a cell holds): calamine reads Excel's escapes as
    Excel does; openpyxl leaves control characters as their _xHHHH_ escapes (its own limit)."""
    dep = next(d for d in departments if d.findings)
    data = own_book(with_texts(dep, AWKWARD))
    by_calamine, by_openpyxl = fixes_messages(data)
    expected = [clip(t) for t in AWKWARD]
    assert by_calamine == expected
    for got, want in zip(by_openpyxl, expected, strict=True):
        if not any(ord(ch) < 32 and ch not in "\t\n" for ch in want) and "_x" not in want:
            assert got == (want or None), repr(want[:40])


def test_awkward_text_is_what_xlsxwriter_writes_but_for_rich_looking_text(departments):
    dep = next(d for d in departments if d.findings)
    texts = [t for t in AWKWARD if t not in RICH_LOOKING]
    assert dump(own_book(with_texts(dep, texts))) == dump(xlsxwriter_book(with_texts(dep, texts)))


def test_text_that_looks_like_rich_text_stays_text(departments):
    """xlsxwriter writes such a string unescaped, as rich-text XML: "<r>rich?</r>" reads back
    as "" (and a broken one breaks the file). The own writer writes it as text."""
    dep = next(d for d in departments if d.findings)
    texts = [*RICH_LOOKING, "<r><t>injected</t></r>", "<r>unclosed</r>"]
    by_calamine, by_openpyxl = fixes_messages(own_book(with_texts(dep, texts)))
    assert by_calamine == texts and by_openpyxl == texts
    assert fixes_messages(xlsxwriter_book(with_texts(dep, texts)))[0] != texts  # why it differs


def test_long_text_keeps_its_note_even_with_astral_characters(departments):
    dep = next(d for d in departments if d.findings)
    texts = ["长" * 40000, "😀" * 20000, "长" * 32767, "长" * 32768, "😀" * 16383 + "长", "😀" * 16384]
    by_calamine, _ = fixes_messages(own_book(with_texts(dep, texts)))
    for got, text in zip(by_calamine, texts, strict=True):
        units = len(got.encode("utf-16-le")) // 2
        assert got == clip(text) and units <= EXCEL_MAX_CELL
        if len(text.encode("utf-16-le")) // 2 <= EXCEL_MAX_CELL:
            assert got == text
        else:
            assert got.endswith(TRUNCATED) and units >= EXCEL_MAX_CELL - 1, (units, text[:3])


def test_a_control_character_in_the_title_leaves_a_valid_file(departments):
    """The title (in docProps/core.xml) cannot hold one: it is left out (xlsxwriter writes it,
    and the file no longer opens)."""
    dep = dataclasses.replace(departments[0], name="部门\x01\x1f名")
    data = own_book(dep)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.properties.title == "部门名绩效评价结果"
    assert (
        CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(DB.RESULTS_SHEET).to_python()[0][0] == "部门\x01\x1f名 评价结果"
    )


def test_what_xml_cannot_hold_leaves_a_valid_file():
    """A link's text with control characters, tab and carriage return; a lone surrogate (a file
    name's undecodable byte, as Python keeps it)."""
    book = Book(DB.template())
    st = Styles(book)
    ws = book.add_worksheet(DB.RESULTS_SHEET)
    book.add_worksheet(DB.FIXES_SHEET)
    ws.write_url(0, 0, "internal:'需要修改的问题'!A1", st.link, "甲\x01乙\t丙\r丁")
    ws.write_string(1, 0, "源文件：坏\udcff字.xlsx", st.text)
    data = book.close()
    cell = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]["A1"]
    assert cell.hyperlink.display == "甲乙\t丙\r丁"  # the cell's value, below: openpyxl leaves _xHHHH_ escapes as they are
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(DB.RESULTS_SHEET).to_python()
    assert rows[0][0] == "甲\x01乙\t丙\r丁" and rows[1][0] == "源文件：坏?字.xlsx"


def test_sample_books_open_as_workbooks(departments):
    dep = next(d for d in departments if d.findings and d.file.startswith("01_"))
    wb = openpyxl.load_workbook(io.BytesIO(own_book(dep)))
    assert wb.sheetnames == list(DB.SHEETS)
    fixes = wb[DB.FIXES_SHEET]
    assert fixes.auto_filter.ref == f"A4:I{4 + len(dep.findings)}" and fixes.freeze_panes == "A5"
    assert fixes.cell(row=5, column=6).value == dep.findings[0].message
    results = wb[DB.RESULTS_SHEET]
    link = next(c for row in results.iter_rows() for c in row if c.hyperlink)
    assert link.hyperlink.location == f"'{DB.FIXES_SHEET}'!A5" and link.value.startswith("四、发现的问题")
    assert results.page_setup.paperSize == 9 and results.page_setup.orientation == "portrait"  # one page (test_print)
    assert fixes.page_setup.orientation == "landscape" and fixes.print_title_rows == "$4:$4"


def test_department_books_do_not_load_xlsxwriter():
    code = (
        "import sys, pickle\nfrom datetime import date\nfrom perfeval.config import Settings\nfrom perfeval.pipeline import analyze\n"
        f"from pathlib import Path\np = Path({str(INBOX / '02_兰州新区文化和旅游局.xlsx')!r})\n"
        "deps, _ = analyze([(p, p.name)], Settings())\n"
        "from perfeval.outputs.department_book import department_book_bytes\n"
        "assert department_book_bytes(deps[0], date(2024, 3, 1))[:2] == b'PK'\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'xlsxwriter'))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


# --- the layout language, byte for byte ----------------------------------------------------


def _pin_styles(wb, st: Styles) -> None:
    """Every cell style once, in the style table's order, before anything else: xlsxwriter
    numbers formats in the order it first writes them into the sheet's XML (by row), and so
    gets the shipped table. In a column of their own: a later write over one would change that."""
    ws = wb.worksheets()[0]
    for row, name in enumerate(sorted(DB.XF, key=DB.XF.__getitem__)):
        ws.write_string(row, 30, name, getattr(st, name))


def _edges(wb, st: Styles, panes: tuple[int, int]) -> list[int]:
    """Every call of the layout language, with the values at its edges; the return codes."""
    ws = wb.add_worksheet(DB.RESULTS_SHEET)
    other = wb.add_worksheet(DB.FIXES_SHEET)
    _pin_styles(wb, st)
    codes = []
    ws.set_column(0, 0, 18)
    ws.set_column(1, 3, 14)
    ws.set_column(4, 4, 14)  # same width, next to the range before: one <col>
    ws.set_column(6, 5, 8.43)  # Excel's default width (64 pixels): no customWidth; reversed range
    ws.set_column(7, 7, 0.5)
    ws.set_column(8, 8, 0)
    ws.set_column(10, 10, None)
    ws.set_column(702, 703, 3)  # beyond ZZ
    for i, height in enumerate((15, 0.5, 28, 409, 14.9, 0, None)):  # 15 points is the default height; 0 hides
        ws.write_string(20 + i * 17, 0, f"行{i}", st.text)
        codes.append(ws.set_row(20 + i * 17, height))
    codes.append(ws.set_row(300, 30))  # a row with a height and no cells, in a block of 16 with none
    for c, number in enumerate((0.1 + 0.2, 1e20, -0.0, 123456789.123456789, 7, 2**70, True, Fraction(1, 3), 1e-7, -5)):
        codes.append(ws.write_number(21, c, number, st.number))
    codes.append(ws.write_number(22, 0, 3))  # no format
    codes.append(ws.write_blank(23, 2, None, st.money))
    codes.append(ws.write_blank(23, 3, None))  # no format: nothing
    for r, text in enumerate(t for t in AWKWARD if t not in RICH_LOOKING):
        codes.append(ws.write_string(200 + r, 1 + r % 3, text, st.wrap))
    codes.append(ws.write_string(230, 0, "无格式"))
    codes.append(ws.write_string(231, 0, "覆盖前", st.text))
    codes.append(ws.write_string(231, 0, "覆盖后", st.label))  # a cell written twice: the last write counts
    codes.append(ws.write_string(232, 20000, "超出列", st.text))  # out of the sheet: -1, nothing stored
    codes.append(ws.write_number(1048576, 0, 1, st.text))
    codes.append(ws.write_blank(-1, 0, None, st.text))
    codes.append(ws.write_url(240, 0, "internal:'需要修改的问题'!A5", st.link, '链接 "引号" & <尖括号>\n二行'))
    codes.append(ws.write_url(241, 0, "internal:'需要修改的问题'!A6", st.section))  # no text: the location
    codes.append(ws.write_url(242, 27, "internal:评价结果!B2", st.link, "提示", "工具提示 & <b>"))
    codes.append(ws.autofilter(250, 5, 245, 2))  # reversed: put in order
    codes.append(ws.merge_range(260, 0, 260, 6, "", st.subtitle_wrap))  # merged, then written (Writer.line)
    codes.append(ws.write_string(260, 0, "合并后写入 & <文字>", st.subtitle_wrap))
    codes.append(ws.merge_range(262, 3, 261, 1, "两行三列", st.header))  # reversed, two rows: put in order
    codes.append(ws.merge_range(263, 0, 263, 1, None, st.text))  # no text: blank cells
    codes.append(ws.merge_range(264, 16383, 264, 16384, "", st.text))  # beyond the last column: -1
    codes.append(ws.merge_range(265, 700, 265, 703, "ZZ 之后", st.wrap))
    ws.freeze_panes(*panes)
    other.write_string(0, 0, "只有一格", st.title)  # a one-cell sheet: dimension "A1"
    other.autofilter(0, 0, 0, 0)  # a one-cell filter: "A1", "$A$1"
    other.freeze_panes(1, 0)
    other.set_paper(1)
    other.set_portrait()
    other.fit_to_pages(2, 3)
    other.set_print_scale(75)  # a scale, after a fit: the fit no longer holds
    other.repeat_rows(2)
    other.set_header("&L页眉 & <名称>&R&D", margin=0.25)
    other.set_footer("&C第 &P 页 / 共 &N 页")
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(3, 4)
    ws.set_margins(0.4, 0.45, 0.6, 0.65)
    ws.center_horizontally()
    ws.set_footer(FOOTER, margin=0.2)
    return codes


@pytest.mark.parametrize("panes", [(4, 0), (0, 2), (3, 1)], ids=["rows", "columns", "both"])
def test_every_call_writes_what_xlsxwriter_writes(panes):
    title, created = "标题 & <题>", datetime(2024, 3, 1)
    book = Book(DB.template())
    book.set_properties({"title": title, "author": "perfeval", "created": created})
    own_codes = _edges(book, Styles(book), panes)
    own = book.close()
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
    wb.set_properties({"title": title, "author": "perfeval", "created": created})
    reference_codes = _edges(wb, Styles(wb), panes)
    wb.close()
    assert own_codes == reference_codes
    with zipfile.ZipFile(io.BytesIO(own)) as z_own, zipfile.ZipFile(buf) as z_ref:
        assert z_own.namelist() == z_ref.namelist()
        for name in z_ref.namelist():
            assert z_own.read(name).decode() == z_ref.read(name).decode(), name
    assert own == buf.getvalue()


def test_shared_strings_are_xlsxwriter_s_for_any_text():
    """Random text from an alphabet of everything that needs care (bar rich-looking text)."""
    alphabet = [
        "a",
        "甲",
        "_",
        "x",
        "0",
        "F",
        " ",
        "\u3000",
        "\u00a0",
        "\u200b",
        "\t",
        "\n",
        "\r",
        "\x01",
        "\x1f",
        "\x0b",
        "&",
        "<",
        ">",
        '"',
        "𠀾",
        "😀",
        "\ufffe",
        "\uffff",
        "_x0041_",
        "_x00",
        "\x85",
        "\x7f",
    ]
    rnd = random.Random(7)
    texts = {"".join(rnd.choice(alphabet) for _ in range(rnd.randrange(0, 9))) for _ in range(6000)}
    texts = sorted(t for t in texts if not (t.startswith("<r>") and t.endswith("</r>")))
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet()
    for r, text in enumerate(texts):
        ws.write_string(r, 0, text)
    wb.close()
    with zipfile.ZipFile(buf) as z:
        reference = z.read("xl/sharedStrings.xml").decode()
    body = reference[reference.index("<si>") : reference.rindex("</sst>")]
    assert "".join(map(shared_string, texts)) == body


def test_sheet_names_are_quoted_where_excel_needs_it():
    from xlsxwriter.utility import quote_sheetname

    names = [
        *DB.SHEETS,
        "Sheet1",
        "A1",
        "a1b",
        "R1C1",
        "RC",
        "R",
        "C",
        "C3PO",
        "_x",
        "1a",
        ".a",
        "a.b",
        "名称 空格",
        "it's",
        "𠀾",
        "XFD1048576",
        "XFE1",
    ]
    for name in names:
        ours = quote_sheet(name)
        if quote_sheetname(name) != name:  # where xlsxwriter (after Excel's rules) quotes, so do we
            assert ours == quote_sheetname(name), name
        assert ours in (name, "'" + name.replace("'", "''") + "'")
    assert [quote_sheet(n) for n in DB.SHEETS] == [quote_sheetname(n) for n in DB.SHEETS]


def test_what_the_writer_does_not_know_is_refused():
    book = Book(DB.template())
    with pytest.raises(ValueError, match="sheets"):
        book.add_worksheet("其他")
    ws = book.add_worksheet(DB.RESULTS_SHEET)
    st = Styles(book)
    with pytest.raises(ValueError, match="styles"):
        book.add_format({"bold": True, "font_size": 99})
    with pytest.raises(ValueError, match="internal"):
        ws.write_url(0, 0, "https://example.com", st.link, "外链")
    with pytest.raises(ValueError, match="format"):
        ws.write_url(0, 0, "internal:A1")
    with pytest.raises(ValueError):
        ws.set_column(0, 0, 10, st.text)
    with pytest.raises(ValueError):
        ws.set_row(0, 10, st.text)
    with pytest.raises(TypeError):
        ws.write_number(0, 0, float("nan"), st.number)
    with pytest.raises(ValueError, match="single cell"):
        ws.merge_range(1, 1, 1, 1, "", st.text)
    ws.merge_range(2, 0, 2, 3, "", st.text)
    with pytest.raises(ValueError, match="overlaps"):  # as xlsxwriter refuses it (OverlappingRange)
        ws.merge_range(2, 3, 3, 4, "", st.text)
    with pytest.raises(ValueError, match="text"):
        ws.merge_range(4, 0, 4, 1, 3.5, st.number)
    with pytest.raises(ValueError, match="picture"):
        ws.set_footer("&L&G", {"image_left": "logo.png"})
    with pytest.raises(ValueError, match="255"):
        ws.set_header("页" * 256)
    with pytest.raises(ValueError, match="scale"):
        ws.set_print_scale(5)
    with pytest.raises(ValueError, match="sheets"):
        book.close()  # one sheet of two


# --- the shipped constant parts ------------------------------------------------------------

REGENERATE = "python -m perfeval.outputs.department_book --regenerate (then review the diff of perfeval/data/department-book/)"


def test_shipped_parts_are_what_xlsxwriter_makes_of_the_layout():
    """If this fails, the layout's sheets or formats (STYLE_SPECS) or xlsxwriter changed."""
    reference = DB.reference_parts()
    for part, name in fastbook.CONSTANT_PARTS.items():
        assert (DATA / name).read_bytes() == reference[part], f"{name} is stale: {REGENERATE}"
    assert sorted(p.name for p in DATA.iterdir()) == sorted(fastbook.CONSTANT_PARTS.values())


def test_the_style_table_points_at_each_style():
    """Each style, written by the own writer (its index from DB.XF into the shipped styles.xml)
    and by xlsxwriter (from STYLE_SPECS), looks the same to a reader."""
    assert list(DB.XF) == list(CELL_STYLES) and sorted(DB.XF.values()) == list(range(1, len(CELL_STYLES) + 1))
    styles = (DATA / "styles.xml").read_text(encoding="utf-8")
    assert f'<cellXfs count="{len(DB.XF) + 1}">' in styles, REGENERATE

    def draw(wb, st):
        ws = wb.add_worksheet(DB.RESULTS_SHEET)
        wb.add_worksheet(DB.FIXES_SHEET)
        for row, name in enumerate(reversed(CELL_STYLES)):  # not in the table's order
            ws.write_string(row, 0, name, getattr(st, name))

    book = Book(DB.template())
    draw(book, Styles(book))
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    draw(wb, Styles(wb))
    wb.close()
    own, ref = openpyxl.load_workbook(io.BytesIO(book.close())).worksheets[0], openpyxl.load_workbook(buf).worksheets[0]
    for row, name in enumerate(reversed(CELL_STYLES), start=1):
        a, b = own.cell(row=row, column=1), ref.cell(row=row, column=1)
        assert looks(a) == looks(b), name
    assert set(STYLE_SPECS) - set(CELL_STYLES) == {"red", "yellow", "grade_优", "grade_良", "grade_中", "grade_差"}


def test_the_package_data_is_read_through_importlib_resources():
    DB.template.cache_clear()
    try:
        template = DB.template()
        assert template is DB.template()  # once per process
        assert template.order[:3] == ["[Content_Types].xml", "_rels/.rels", "xl/_rels/workbook.xml.rels"]
    finally:
        DB.template.cache_clear()


# --- the container -------------------------------------------------------------------------


def test_zip_bytes_are_what_zipfile_writes():
    """The container, written directly (constant parts deflated once), against zipfile."""
    rnd = random.Random(5)
    texts = {
        "empty.xml": "",
        "small.xml": "<a/>",
        "中文.txt".encode().hex() + ".xml": "部门" * 3000,
        "noise.bin": "".join(chr(rnd.randrange(32, 0x9FFF)) for _ in range(70_000)),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, text in texts.items():
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text.encode("utf-8"))
    assert zip_bytes([deflated(name, text) for name, text in texts.items()]) == buf.getvalue()


# --- an office suite -------------------------------------------------------------------------


@needs_office
def test_a_department_book_converts_to_pdf_in_libreoffice(departments, tmp_path):
    dep = max(departments, key=lambda d: len(d.findings))
    dep = with_texts(dep, [f.message for f in dep.findings] + [t for t in AWKWARD if len(t) < 100])
    book = tmp_path / "部门.xlsx"
    book.write_bytes(own_book(dep))
    proc = office_convert([book], "pdf", tmp_path, tmp_path / "lo", timeout=180)
    pdf = tmp_path / "部门.pdf"
    assert proc.returncode == 0 and pdf.exists() and pdf.stat().st_size > 5000, proc.stderr
    assert b"Error" not in proc.stderr, proc.stderr
    if Path("/usr/bin/pdftotext").exists():
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, timeout=60).stdout
        assert "需要修改的问题" in text and "评价结果" in text


def test_page_setup_is_shared_by_both_writers():
    """The same call gives the same XML in either writer (the page setup of both sheets, and the
    print titles named in the workbook and in docProps/app.xml: a constant part)."""

    def draw(wb):
        st = Styles(wb)
        for name, setup in zip(DB.SHEETS, (DB.RESULTS_PRINT, DB.FIXES_PRINT), strict=True):
            ws = wb.add_worksheet(name)
            ws.write_string(0, 0, name, st.title)
            page_setup(ws, **setup)

    book = Book(DB.template())
    draw(book)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    draw(wb)
    wb.close()
    with zipfile.ZipFile(io.BytesIO(book.close())) as own, zipfile.ZipFile(buf) as ref:
        for part in ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "xl/workbook.xml", "docProps/app.xml"):
            assert own.read(part) == ref.read(part), part
    results, fixes = book.worksheets()
    assert results.paper == fixes.paper == 9 and not results.landscape and fixes.landscape
    assert results.fit == (1, 1) and fixes.fit == (1, 0) and results.footer == fixes.footer == FOOTER


def test_a_streamed_sheet_is_the_sheet_written_at_once(tmp_path):
    """fastbook.StreamSheet (the summary's 异常清单: rows to temp files, 16 at a time) gives the
    XML an InlineSheet gives of the same calls; its rows come in order."""
    from perfeval.outputs.fastbook import Fmt, InlineSheet, StreamSheet

    fmt = Fmt(3)
    sheets = [InlineSheet("异常清单", 2), StreamSheet("异常清单", 2, tmp_path)]
    for ws in sheets:
        ws.set_column(0, 2, 12)
        ws.write_string(0, 0, "标题 <&>", fmt)
        ws.set_row(0, 22)
        for r in range(3, 60):
            ws.write_string(r, 0, f" 第 {r} 行\n", fmt)
            ws.write_number(r, 1, r / 7, fmt)
            if r % 5:
                ws.write_url(r, 2, "internal:'甲'!A1", fmt, "查看")
            if r % 3 == 0:
                ws.set_row(r, 28)
        ws.set_row(70, 30)  # a row of no cells, only a height
        ws.autofilter(3, 0, 59, 2)
        ws.freeze_panes(4, 0)
        ws.set_paper(9)
        ws.repeat_rows(3)
        ws.set_footer("&P")
    whole, streamed = sheets
    assert b"".join(streamed.chunks()).decode() == whole.xml()
    assert 't="inlineStr"' in whole.xml() and "<v>" in whole.xml()
    assert not list(tmp_path.iterdir()), "its temp files are gone"
    late = StreamSheet("x", 5, tmp_path)
    late.write_string(40, 0, "a")
    with pytest.raises(ValueError, match="in order"):
        late.write_string(3, 0, "b")
    b"".join(late.chunks())
