"""Department workbooks assembled from their parts are the very files xlsxwriter writes."""

from __future__ import annotations

import dataclasses
import io
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from perfeval.config import Settings
from perfeval.outputs import department_book as DB
from perfeval.outputs.fastbook import Book, Unsupported, frame_for
from perfeval.outputs.summary import Styles
from perfeval.pipeline import analyze

from .conftest import INBOX, clean_spec
from .test_xlsxfast import AWKWARD

RUN_DATE = date(2024, 3, 1)
BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
FRAME = frame_for(DB.SHEETS, DB._reference)  # without the probe: the tests compare for themselves


def test_the_installed_xlsxwriter_passes_the_probe():
    """If not, every department book is written by xlsxwriter: correct, but slower."""
    assert FRAME is not None and DB._probe(FRAME)
    assert frame_for(DB.SHEETS, DB._reference, DB._probe) is not None


def test_a_failed_probe_leaves_the_books_to_xlsxwriter(monkeypatch, departments):
    monkeypatch.setattr(DB, "frame_for", lambda *args: None)
    monkeypatch.setattr(DB, "Book", None)  # would fail if the fast path were tried
    dep = departments[0]
    assert DB.department_book_bytes(dep, RUN_DATE) == DB.xlsxwriter_book_bytes(dep, RUN_DATE)


def _fast(dep) -> bytes:
    """The fast path alone: Unsupported propagates instead of falling back."""
    book = Book(FRAME)
    DB._layout(book, Styles(book), dep, RUN_DATE)
    return book.close(DB._title(dep), RUN_DATE)


@pytest.fixture(scope="module")
def departments(tmp_path_factory):
    from perfeval.fill import fill_template

    inbox = tmp_path_factory.mktemp("inbox")
    for f in INBOX.glob("*.xlsx"):
        (inbox / f.name).write_bytes(f.read_bytes())
    for i, text in enumerate(t for t in AWKWARD if not any(ord(ch) < 32 and ch not in "\t\n" for ch in t)):
        spec = clean_spec()
        spec["基本信息"]["部门名称"] = f"部门{i}{text}"
        spec["基本信息"]["部门编码"] = f"X{i}"
        spec["评价结论"]["items"][0]["关联指标"] = text  # lands in a finding too
        fill_template(inbox / f"awkward{i}.xlsx", spec)
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from generate import generate
    finally:
        sys.path.remove(str(BENCHMARKS))
    generate(inbox, 40)  # varied sizes, findings of every level, some without any
    files = sorted((p, p.name) for p in inbox.iterdir())
    deps, _ = analyze(files, Settings())
    return deps


def test_fast_books_equal_xlsxwriter_books(departments):
    assert len(departments) > 50
    assert any(not d.findings for d in departments) and any(len(d.findings) > 5 for d in departments)
    for dep in departments:
        assert _fast(dep) == DB.xlsxwriter_book_bytes(dep, RUN_DATE), dep.file


def test_what_the_fast_path_cannot_promise_goes_to_xlsxwriter(departments, tmp_path):
    dep = next(d for d in departments if d.findings)
    long_text = "很长的说明" * 4000  # 20,000 characters: xlsxwriter's own limits apply
    kept = dep.findings[0]
    dep.findings[0] = dataclasses.replace(kept, message=long_text)
    try:
        with pytest.raises(Unsupported):
            _fast(dep)
        DB.write_department_book(dep, tmp_path / "book.xlsx", RUN_DATE)
        assert (tmp_path / "book.xlsx").read_bytes() == DB.xlsxwriter_book_bytes(dep, RUN_DATE)
        ws = openpyxl.load_workbook(tmp_path / "book.xlsx")[DB.FIXES_SHEET]
        assert ws["F5"].value == long_text
    finally:
        dep.findings[0] = kept


def test_fast_books_open_as_workbooks(departments):
    dep = next(d for d in departments if d.findings)
    wb = openpyxl.load_workbook(io.BytesIO(_fast(dep)))
    assert wb.sheetnames == list(DB.SHEETS)
    fixes = wb[DB.FIXES_SHEET]
    assert fixes.auto_filter.ref and fixes.freeze_panes == "A5"
    assert fixes.cell(row=5, column=6).value == dep.findings[0].message


def _both(layout) -> tuple[bytes, bytes]:
    """A layout written by the fast path and by xlsxwriter (formats pinned alike)."""
    from perfeval.outputs.summary import print_setup

    def with_print_setup(wb, st):
        layout(wb, st)
        print_setup(wb)

    book = Book(FRAME)
    with_print_setup(book, Styles(book))
    fast = book.close("标题 & <题>", RUN_DATE)
    return fast, DB.pinned_xlsxwriter_bytes("标题 & <题>", RUN_DATE, with_print_setup)[0]


def test_edges_of_the_layout_language():
    def layout(wb, st):
        ws = wb.add_worksheet(DB.RESULTS_SHEET)
        ws.set_column(0, 0, 18)
        ws.set_column(1, 3, 14)
        ws.set_column(4, 4, 14)  # same width, next to the range before: one <col>
        for r, height in enumerate((15, 0.5, 28, 409, 14.9)):  # 15 points is the default height
            ws.write_string(r * 20, 0, f"行{r}", st.text)
            ws.set_row(r * 20, height)
        for c, number in enumerate((0.1 + 0.2, 1e20, -0.0, 123456789.123456789, 7)):
            ws.write_number(3, c, number, st.number)
        ws.write_blank(4, 2, None, st.money)
        for r, text in enumerate(AWKWARD):
            ws.write_string(30 + r, 1, text, st.wrap)
        ws.write_url(60, 0, "internal:'需要修改的问题'!A5", st.link, '链接 "引号" & <尖括号>')
        other = wb.add_worksheet(DB.FIXES_SHEET)
        other.write_string(0, 0, "只有一格", st.title)  # a one-cell sheet: dimension "A1"
        other.freeze_panes(1, 0)

    fast, reference = _both(layout)
    assert fast == reference


def test_zip_bytes_are_what_zipfile_writes():
    """The container, written directly (constant parts deflated once), against zipfile."""
    import random
    import zipfile

    from perfeval.outputs.fastbook import deflated, zip_bytes

    rnd = random.Random(5)
    texts = {"empty.xml": "", "small.xml": "<a/>", "中文.txt".encode().hex() + ".xml": "部门" * 3000,
             "noise.bin": "".join(chr(rnd.randrange(32, 0x9FFF)) for _ in range(70_000))}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, text in texts.items():
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text.encode("utf-8"))
    assert zip_bytes([deflated(name, text) for name, text in texts.items()]) == buf.getvalue()
