"""perfeval's faster xlsxwriter loops write the very bytes stock xlsxwriter writes."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
import xlsxwriter

from perfeval.config import Settings
from perfeval.outputs import department_book, xlsxfast
from perfeval.pipeline import process

from .conftest import INBOX, clean_spec

RUN_DATE = date(2024, 3, 1)
PROBE = xlsxfast.fast_ok.__wrapped__  # uncached, and untouched by the fixture below

# texts that take xlsxwriter's slow paths: escapes, control characters, its own _xHHHH_ escape
# written literally, leading/trailing whitespace, what looks like rich text, astral characters
AWKWARD = [
    'A&B <c> "d" \'e\'', "行一\n行二", "\x01控制\x1f", "_x0041_ literal", " leading", "trailing ",
    "\ttab", "<r>rich?</r>", "𠀾𠀿 astral", "=1+1", "", "末尾换行\n", "x_x00zz_y",
]


@pytest.fixture(autouse=True)
def fast_classes(monkeypatch):
    """The fast classes themselves are compared, not whatever the per-process probe chose."""
    monkeypatch.setattr(xlsxfast, "fast_ok", lambda: True)


@pytest.fixture
def stock_xlsxwriter(monkeypatch):
    """Make perfeval's workbooks plain xlsxwriter ones: sheets and packaging as shipped."""

    def use_stock() -> None:
        monkeypatch.setattr(xlsxfast.FastWorkbook, "add_worksheet", xlsxwriter.Workbook.add_worksheet)
        monkeypatch.setattr(xlsxfast.FastWorkbook, "_get_packager", xlsxwriter.Workbook._get_packager)
        # department workbooks through xlsxwriter, not assembled from their parts
        monkeypatch.setattr(department_book, "department_book_bytes", department_book.xlsxwriter_book_bytes)

    return use_stock


def _book(cls: type) -> bytes:
    buf = io.BytesIO()
    wb = cls(buf, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    # dated, or the two books differ whenever the clock ticks a second between them
    wb.set_properties({"created": datetime(2000, 1, 1)})
    bold = wb.add_format({"bold": True, "border": 1})
    money = wb.add_format({"num_format": "#,##0.00"})
    ws = wb.add_worksheet("数据")
    ws.set_column(0, 0, 20)
    ws.set_column(2, 3, 12, money)  # a column format stands in for cells written without one
    ws.set_row(5, 30, bold)  # a row format, with a height
    ws.set_row(40, 18)  # a row with a height and no cells
    for r in range(60):
        for c in range(0, 9, 2):
            if (r + c) % 7 == 0:
                continue  # ragged rows: spans differ from block to block
            ws.write_number(r, c, (r * 10 + c) / 3, money if c % 4 else None)
    ws.write_number(33, 12, 1, money)  # the widest row of its block of 16 is not the last one
    ws.write_number(100, 0, 2, money)  # nor is the leftmost the last
    ws.write_number(101, 3, 2, money)
    for r, text in enumerate(AWKWARD):
        ws.write_string(r, 1, text, bold if r % 2 else None)
        ws.write_string(r + 20, 5, text, bold)
    for r, number in enumerate((0.1 + 0.2, -0.0, 1e20, 123456789.123456789, 1e-7, 3)):
        ws.write_number(70 + r, 3, number, bold)
    ws.write_blank(80, 0, None, bold)
    ws.write_blank(80, 1, None)  # no format: not written at all
    ws.write("B82", "A1 notation", bold)
    ws.write_string("C82", "A1 string")
    ws.write_number("D82", 5, bold)
    ws.write_blank("E82", None, bold)
    ws.write_string(88, 0, "关键字", cell_format=bold)
    ws.write_number(88, 1, 7, cell_format=bold)
    ws.write_blank(88, 2, None, cell_format=bold)
    ws.write_string(89, 0, "长" * 20000, bold)  # beyond the fast path's length: xlsxwriter truncates it
    ws.write_number(89, 1, 2**70, bold)
    ws.write_number(89, 2, True, bold)
    ws.write_string(-1, 0, "out of range", bold)
    ws.write_number(0, 16384, 1, bold)
    ws.write_formula(82, 0, "=SUM(A1:A3)", bold, 6)
    ws.write_boolean(82, 1, True, bold)
    ws.write_url(83, 0, "internal:'数据'!A1", bold, "回到顶部")
    ws.merge_range(86, 0, 86, 3, "合并", bold)
    ws.autofilter(0, 0, 60, 8)
    ws.freeze_panes(1, 0)
    other = wb.add_worksheet("空")
    other.set_row(3, 25)
    other.write_string(1, 1, "有批注", bold)
    other.write_comment(2, 2, "备注")  # a sheet with comments is left to xlsxwriter
    wb.add_worksheet("全空")
    wb.close()
    return buf.getvalue()


def test_fast_sheets_write_what_xlsxwriter_writes():
    fast, stock = _book(xlsxfast.FastWorkbook), _book(xlsxwriter.Workbook)
    with zipfile.ZipFile(io.BytesIO(fast)) as zf, zipfile.ZipFile(io.BytesIO(stock)) as zs:
        assert zf.namelist() == zs.namelist()
        for name in zs.namelist():
            assert zf.read(name) == zs.read(name), name
    assert fast == stock


def test_the_installed_xlsxwriter_is_reproduced():
    """If not, perfeval falls back to stock xlsxwriter: correct, but the speed is gone."""
    assert PROBE()


def test_the_probe_does_not_depend_on_the_clock():
    """Two probes written a second apart must still compare equal."""
    with zipfile.ZipFile(io.BytesIO(xlsxfast._probe(xlsxfast.FastSheet, xlsxfast.FastPackager))) as z:
        assert b"2000-01-01T00:00:00Z" in z.read("docProps/core.xml")


def test_stock_classes_stand_in_when_the_probe_fails(monkeypatch):
    monkeypatch.setattr(xlsxfast, "fast_ok", lambda: False)
    wb = xlsxfast.FastWorkbook(io.BytesIO(), {"in_memory": True})
    ws = wb.add_worksheet("s")
    assert type(ws) is xlsxwriter.worksheet.Worksheet
    assert type(wb._get_packager()) is xlsxwriter.packager.Packager
    wb.close()


def test_fast_paths_are_taken(monkeypatch):
    """The test above compares like with like only if the fast loops really ran."""
    calls = []

    def wrapped(*args, **kwargs):  # xlsxwriter's write_* with their "A1"-parsing wrapper
        raise AssertionError("(row, col) writes should skip the wrapper")

    for name in ("write_string", "write_number", "write_blank", "write_url"):
        monkeypatch.setattr(xlsxwriter.worksheet.Worksheet, name, wrapped)
    stored = []  # xlsxwriter's own storing of a string or a number: plain ones are stored inline


    def storing(name):
        stock = getattr(xlsxwriter.worksheet.Worksheet, name)

        def store(self, *args):
            stored.append((name, args[0], args[1]))
            return stock(self, *args)

        return store

    for name in ("_write_string", "_write_number"):
        monkeypatch.setattr(xlsxwriter.worksheet.Worksheet, name, storing(name))

    class Counting(xlsxfast.FastSheet):
        def _write_cell(self, row, col, cell):  # the generic per-cell writer
            calls.append((row, col))
            super()._write_cell(row, col, cell)

    buf = io.BytesIO()
    wb = xlsxfast.FastWorkbook(buf, {"in_memory": True})
    fmt = wb.add_format({"bold": True})
    ws = wb.add_worksheet("s", worksheet_class=Counting)
    for r in range(10):
        ws.write_string(r, 0, f"文本{r}", fmt)
        ws.write_number(r, 1, r, fmt)
        ws.write_blank(r, 2, None, fmt)
    ws.write_string(11, 0, "无格式")  # takes xlsxwriter's own path
    ws.write_number(12, 0, 2**70, fmt)  # an int: stored inline like a float
    ws.write_string(13, 0, "长" * 20000, fmt)  # may need truncating: xlsxwriter's own path
    ws.write_url(14, 0, "internal:'s'!A1", fmt, "链接")  # its undecorated path, storing its text
    wb.close()
    assert calls == [(11, 0)]
    assert stored == [("_write_string", 11, 0), ("_write_string", 13, 0), ("_write_string", 14, 0)]


def _xlsx_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.xlsx"))}


def test_outputs_equal_stock_xlsxwriter_outputs(tmp_path, make_workbook, stock_xlsxwriter):
    inbox = tmp_path / "inbox"
    for f in INBOX.glob("*.xlsx"):
        (inbox / f.name).parent.mkdir(exist_ok=True)
        (inbox / f.name).write_bytes(f.read_bytes())
    typable = [t for t in AWKWARD if not any(ord(ch) < 32 and ch not in "\t\n" for ch in t)]  # as Excel takes them
    for i, text in enumerate(typable):
        spec = clean_spec()
        spec["基本信息"]["部门名称"] = f"部门{i}{text}"
        spec["基本信息"]["部门编码"] = f"X{i}"
        spec["评价结论"]["items"][0]["关联指标"] = text  # lands in a finding too
        make_workbook(spec, name=f"awkward{i}.xlsx", folder=inbox)
    process(inbox, tmp_path / "fast", Settings(), RUN_DATE, reports=False, use_cache=False)
    stock_xlsxwriter()
    process(inbox, tmp_path / "stock", Settings(), RUN_DATE, reports=False, use_cache=False)
    fast, stock = _xlsx_bytes(tmp_path / "fast"), _xlsx_bytes(tmp_path / "stock")
    assert len(fast) == 1 + len(list(INBOX.glob("*.xlsx"))) + len(typable)
    assert fast.keys() == stock.keys()
    for name in stock:
        assert fast[name] == stock[name], name


def test_the_plain_string_filter_never_passes_what_xlsxwriter_treats_specially():
    """_plain_string may send a plain string to the exact checks, never the other way round."""
    import random

    from xlsxwriter.utility import _preserve_whitespace
    from xlsxwriter.xmlwriter import re_control_chars_1, re_control_chars_2

    alphabet = ["a", "甲", "_", "x", "0", "F", " ", "\u3000", "\u00a0", "\u200b", "\t", "\n", "\r", "\x01", "\x1f", "<r>", "</r>", "&", "𠀾"]
    rnd = random.Random(7)
    texts = [*AWKWARD, *("".join(rnd.choice(alphabet) for _ in range(rnd.randrange(1, 8))) for _ in range(20000))]
    plain = 0
    for text in texts:
        special = bool(
            re_control_chars_1.search(text) or re_control_chars_2.search(text) or _preserve_whitespace(text)
            or (text.startswith("<r>") and text.endswith("</r>"))
        )
        if xlsxfast._plain_string(text):
            plain += 1
            assert not special, repr(text)
    assert plain > 1000  # and it does pass the ordinary ones
