"""No single file stops the batch (issue #17, item 4): long names, numbers beyond any range,
files that are not files, reads from bytes, a stray cell far away, two sheets of one name."""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import socket
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest

from perfeval.config import Settings
from perfeval.guard import MAX_STRAY, inspect_container
from perfeval.inbox import discover
from perfeval.names import MAX_STEM_BYTES, unique_stems
from perfeval.read import read_bytes, read_workbook
from perfeval.results import department_json, department_json_text
from perfeval.scoring import compute
from perfeval.values import parse_money, parse_number, parse_rate

from .conftest import CLEAN_FILE, ROOT, clean_spec

RUN_DATE = date(2024, 3, 1)
FUNDS_XML = "xl/worksheets/sheet3.xml"  # 资金情况 in the samples


def _strict(name: str) -> float:
    raise AssertionError(f"not JSON: {name}")


def _edited(dst: Path, edit, src: Path = CLEAN_FILE) -> Path:
    """`src` written again with each part passed through `edit(name, data) -> data`."""
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():
            out.writestr(info, edit(info.filename, z.read(info)))
    return dst


def _with_openpyxl(dst: Path, post) -> Path:
    import openpyxl

    wb = openpyxl.load_workbook(CLEAN_FILE)
    post(wb)
    wb.save(dst)
    return dst


def _same_read(a, b) -> bool:
    return dataclasses.replace(a, path=b.path, file=b.file) == b


# --- 1. file names limited in bytes -------------------------------------------------------


def test_long_names_make_file_names_of_at_most_150_bytes():
    common = "兰州新区" * 25  # 100 characters, 300 bytes: with `.docx`, over 255 bytes as it was
    names = [common + "科技发展局", common + "文化和旅游局", common + "科技发展局", "短名称局"]
    stems = unique_stems(names)
    assert all(len(s.encode("utf-8")) <= MAX_STEM_BYTES for s in stems), stems
    assert all(len((s + ".xlsx").encode("utf-8")) <= 255 for s in stems)
    assert len({s.casefold() for s in stems}) == 4, "two long names that share a beginning stay distinct"
    assert stems[3] == "短名称局"
    # stable: a long name keeps its stem whatever else the batch holds
    assert unique_stems([names[1]]) == [stems[1]] and unique_stems(names[1::-1])[0] == stems[1]
    for s in stems:
        s.encode("utf-8").decode("utf-8")  # cut between characters


def test_a_department_with_a_very_long_name_gets_its_files(tmp_path, make_workbook):
    from perfeval.pipeline import process

    inbox = tmp_path / "inbox"
    for i, name in enumerate(["兰州新区" * 25 + "科技发展局", "兰州新区" * 25 + "文化和旅游局"]):
        spec = clean_spec()
        spec["基本信息"].update({"部门名称": name, "部门编码": f"L{i}"})
        make_workbook(spec, name=f"{i}.xlsx", folder=inbox)
    out = tmp_path / "out"
    result = process(inbox, out, Settings(), RUN_DATE)
    assert len(result.departments) == 2
    books = list((out / "departments").iterdir())
    reports = list((out / "reports").iterdir())
    assert len(books) == len(reports) == 2
    assert all(len(p.name.encode("utf-8")) <= MAX_STEM_BYTES + len(".docx") for p in books + reports)


# --- 2. numbers that are not finite ----------------------------------------------------------


@pytest.mark.parametrize("raw", ["inf", "-Infinity", "∞", "1e999", "-1E+400", "１e999", math.inf, -math.inf, 1e308, 10**400])
def test_numbers_beyond_any_range_are_out_of_range(raw):
    for parse in (parse_number, parse_money, parse_rate):
        p = parse(raw)
        assert p.number is None and p.status == "out_of_range", (parse.__name__, raw, p)


def test_nan_is_not_a_number_and_exponents_read():
    assert parse_number(math.nan) == (None, "not_number", None, "")
    assert parse_number("nan").number is None
    p = parse_money("1.25E+3")
    assert p.number == 1250 and p.status == "text_number"


def _stored_in_funds(dst: Path, values: dict[str, bytes]) -> Path:
    """The clean workbook with raw `<v>` texts (as another program may write them) in 市级资金."""

    def edit(name: str, data: bytes) -> bytes:
        if name == FUNDS_XML:
            for ref, v in values.items():
                head = f'<c r="{ref}" s="15" t="n"><v>'.encode()
                at = data.index(head) + len(head)
                data = data[:at] + v + data[data.index(b"</v>", at) :]
        return data

    return _edited(dst, edit)


def test_stored_infinities_are_s08_and_unknown(tmp_path):
    path = _stored_in_funds(tmp_path / "inf.xlsx", {"B5": b"1e999", "C5": b"-inf", "D5": b"NaN", "E5": b"1e308"})
    data = read_workbook(path)
    assert data.read_error is None
    s08 = {(n.hit.row, n.hit.col): n.hit.message for n in data.notes if n.code == "S08"}
    assert set(s08) == {(5, 2), (5, 3), (5, 4), (5, 5)}, s08
    assert "“inf”数值超出可能范围" in s08[(5, 2)] and "“1e+308”数值超出可能范围" in s08[(5, 5)], s08
    row = data.funds["市级资金"]
    assert all(row[k].number is None for k in ("budget", "adjusted", "received", "spent"))
    dep = compute(data, Settings())
    figures = department_json(dep)
    assert all(v is None or math.isfinite(v) for v in figures.values() if isinstance(v, float))
    json.loads(department_json_text(dep), parse_constant=_strict)


def test_results_json_refuses_what_is_not_finite():
    dep = compute(read_workbook(CLEAN_FILE), Settings())
    dep.budget = math.inf  # a bug somewhere: the JSON must say so loudly, not write Infinity
    with pytest.raises(ValueError):
        department_json_text(dep)


def test_check_json_of_huge_numbers_is_strict_json(tmp_path):
    from click.testing import CliRunner

    from perfeval.cli import main
    from perfeval.fill import fill_template

    spec = clean_spec()
    for row in spec["资金情况"]["rows"].values():
        for column in list(row):
            row[column] = 1e308  # two of them add up to inf
    for row in spec["指标评分"]:
        row["分值"], row["得分"] = 1e308, "1e999"
    path = fill_template(tmp_path / "大数.xlsx", spec)
    r = CliRunner().invoke(main, ["check", "--json", str(path)])
    assert r.exit_code == 1, r.output
    data = json.loads(r.output, parse_constant=_strict)
    (dep,) = data["departments"]
    assert dep["budget"] is None and dep["total_score"] is None
    assert sum("数值超出可能范围" in f["message"] for f in dep["findings"] if f["code"] == "S08") >= 2 * len(spec["指标评分"])


# --- 3. only regular files are read -------------------------------------------------------


POSIX = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="pipes, sockets and /dev/zero as on Linux and macOS")


@POSIX
def test_pipes_sockets_and_devices_are_skipped_never_opened(tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    os.mkfifo(inbox / "管道.xlsx")
    (inbox / "零.xlsx").symlink_to("/dev/zero")
    (inbox / "链接.xlsx").symlink_to(CLEAN_FILE)  # a link to a workbook is read as the workbook
    sock = socket.socket(socket.AF_UNIX)
    try:
        monkeypatch.chdir(inbox)  # a socket's path is short: bound by its relative name
        sock.bind("套接字.xlsx")
        found, skipped = discover(inbox)
    finally:
        sock.close()
    assert [name for _, name in found] == ["链接.xlsx"]
    reasons = {s.file: s.reason for s in skipped}
    assert set(reasons) == {"管道.xlsx", "零.xlsx", "套接字.xlsx"}
    assert all(r.startswith("不是普通文件") for r in reasons.values()), reasons
    assert "命名管道" in reasons["管道.xlsx"] and "设备文件" in reasons["零.xlsx"] and "套接字" in reasons["套接字.xlsx"]


@POSIX
def test_the_reader_refuses_what_is_not_a_regular_file(tmp_path):
    fifo = tmp_path / "管道.xlsx"
    os.mkfifo(fifo)
    # in a child: opening a pipe for reading waits for a writer, forever
    code = f"from pathlib import Path\nfrom perfeval.read import read_workbook\nprint(read_workbook(Path({str(fifo)!r})).read_error)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("不是普通文件") and "命名管道" in proc.stdout
    content, reason = read_bytes(Path("/dev/zero"), 1000)
    assert content is None and reason.startswith("不是普通文件") and "设备文件" in reason


def test_read_bytes_reads_at_most_the_limit(tmp_path):
    whole = CLEAN_FILE.read_bytes()
    assert read_bytes(CLEAN_FILE) == (whole, None)
    assert read_bytes(CLEAN_FILE, len(whole)) == (whole, None)
    content, reason = read_bytes(CLEAN_FILE, len(whole) - 1)
    assert content is None and reason.startswith("文件过大")
    assert read_bytes(tmp_path / "没有.xlsx")[1].startswith("无法打开文件")
    (tmp_path / "空.xlsx").write_bytes(b"")
    assert read_bytes(tmp_path / "空.xlsx") == (b"", None)
    assert read_workbook(tmp_path / "空.xlsx").read_error == "文件为空（0 字节）"


# --- 4. read from bytes -------------------------------------------------------------------


def test_reading_from_bytes_reads_nothing_from_disk(tmp_path):
    content = CLEAN_FILE.read_bytes()
    gone = tmp_path / "不在磁盘上.xlsx"  # any read from disk would fail
    from_bytes = read_workbook(gone, CLEAN_FILE.name, content=content)
    from_path = read_workbook(CLEAN_FILE)
    assert from_bytes.read_error is None and _same_read(from_bytes, from_path)
    assert from_bytes.funds["合计"]["budget"].formula, "the formula scan worked from the same bytes"
    # the bytes, not the file at the path, are what is read
    other = tmp_path / "其他.xlsx"
    other.write_bytes(b"not a workbook")
    assert _same_read(read_workbook(other, CLEAN_FILE.name, content=content), from_path)
    assert read_workbook(other, content=b"").read_error == "文件为空（0 字节）"
    assert read_workbook(gone, max_bytes=100, content=content).read_error.startswith("文件过大")
    assert inspect_container(content).reason is None


# --- 5. a stray cell far away -------------------------------------------------------------


def test_a_stray_far_value_is_ignored_and_named(tmp_path):
    def post(wb):
        wb["资金情况"]["XFD1048576"] = 12345
        wb["评价结论"]["A1048576"] = "存在问题"

    path = _with_openpyxl(tmp_path / "远处.xlsx", post)
    data = read_workbook(path)
    assert data.read_error is None
    clean = read_workbook(CLEAN_FILE)
    assert data.funds == clean.funds and data.items == clean.items and data.scores == clean.scores
    stray = [n.hit for n in data.notes if n.code == "S07"]
    assert [(h.sheet, h.row, h.col) for h in stray] == [("资金情况", 1048576, 16384), ("评价结论", 1048576, 1)]
    assert "XFD1048576" in stray[0].message and "已忽略" in stray[0].message
    assert {n.code for n in data.notes} == {"S07"}
    dep = compute(data, Settings())
    assert dep.total_score == compute(clean, Settings()).total_score and dep.budget == 4000


def test_many_far_values_are_still_refused(tmp_path):
    def post(wb):
        for col in range(1, MAX_STRAY + 2):
            wb["指标评分"].cell(row=1048576, column=col, value=col)

    data = read_workbook(_with_openpyxl(tmp_path / "远处很多.xlsx", post))
    assert data.read_error and "第 1048576 行" in data.read_error and f"{MAX_STRAY + 1} 个单元格" in data.read_error


def test_stray_cells_are_taken_out_of_the_bytes_handed_on(tmp_path):
    path = _with_openpyxl(tmp_path / "远处.xlsx", lambda wb: wb["指标评分"].cell(row=1048576, column=60, value="x"))
    found = inspect_container(path.read_bytes(), load=lambda sheet: sheet == "指标评分")
    assert found.reason is None and found.stray == (("指标评分", 1048576, 60),)
    assert b'r="BH1048576"' not in found.sheets["指标评分"]
    with zipfile.ZipFile(io.BytesIO(found.content)) as z:
        assert z.testzip() is None
        assert z.read("xl/worksheets/sheet5.xml") == found.sheets["指标评分"]


# --- 6. two sheets of one name -------------------------------------------------------------


def _duplicate_funds(wb, copy_title: str, original_title: str = "资金情况") -> None:
    copy = wb.copy_worksheet(wb["资金情况"])
    copy.title = copy_title
    copy["B5"] = 9999  # the copy says something else
    wb["资金情况"].title = original_title


@pytest.mark.parametrize("copy_title", ["资金情况 ", "资金情况\u3000"])
def test_two_sheets_of_one_name_are_s02_and_the_exact_one_is_read(tmp_path, copy_title):
    path = _with_openpyxl(tmp_path / "两张.xlsx", lambda wb: _duplicate_funds(wb, copy_title))
    data = read_workbook(path)
    (note,) = [n for n in data.notes if n.code == "S02"]
    assert note.hit.sheet == copy_title, "located at the sheet not read, never at 资金情况 (S02 there means missing)"
    assert "“资金情况”" in note.hit.message and f"“{copy_title}”" in note.hit.message
    assert "已读取“资金情况”" in note.hit.message and "末尾有" in note.hit.message
    assert data.funds["市级资金"]["budget"].number == 3200, "the sheet named exactly so is read"
    dep = compute(data, Settings())
    from perfeval.checks import check_department

    check_department(dep, Settings())
    assert "S02" in {f.code for f in dep.findings} and dep.total_score is not None


def test_two_sheets_neither_named_exactly_read_the_first(tmp_path):
    path = _with_openpyxl(tmp_path / "两张.xlsx", lambda wb: _duplicate_funds(wb, "资金情况 ", "\u3000资金情况"))
    data = read_workbook(path)
    (note,) = [n for n in data.notes if n.code == "S02"]
    assert "已读取“\u3000资金情况”（开头有空格，含全角空格）" in note.hit.message, note.hit.message
    assert "未读取“资金情况 ”（末尾有空格）" in note.hit.message
    assert note.hit.sheet == "资金情况 "
    assert data.funds["市级资金"]["budget"].number == 3200


def test_check_says_what_a_pipe_named_xlsx_is(tmp_path):
    """`perfeval check` on a pipe: the reader's S01 says it is not a regular file (never opened,
    never "文件不存在")."""
    import os

    from click.testing import CliRunner

    from perfeval.cli import main

    fifo = tmp_path / "管道.xlsx"
    os.mkfifo(fifo)
    r = CliRunner().invoke(main, ["check", str(fifo)])
    assert r.exit_code == 1 and "不是普通文件" in r.output and "文件不存在" not in r.output


def test_a_damaged_file_is_explained_in_chinese_not_in_zipfiles_words(tmp_path):
    import re

    from perfeval.read import read_workbook

    from .conftest import CLEAN_FILE

    cut = tmp_path / "截断.xlsx"
    cut.write_bytes(CLEAN_FILE.read_bytes()[:3000])
    fake = tmp_path / "假.xlsx"
    fake.write_bytes(b"PK\x03\x04garbage")
    for path in (cut, fake):
        reason = read_workbook(path).read_error or ""
        assert "文件已损坏或不完整" in reason and "被截断" in reason, reason
        assert not re.search(r"[A-Za-z]{4,}", reason.replace("xlsx", "")), reason
