"""Workbooks that print (issue #14): the summary and the department books read back with the
print settings they were written with, and render on A4 in LibreOffice without "###".

- every sheet: A4, its header rows repeated on every page, "第 &P 页 / 共 &N 页" in the footer;
- wide sheets (总览, 指标得分, 异常清单, 需要修改的问题): landscape, one page wide;
- a department's results (in the summary and in its own book): one portrait page;
- 统计: at a fixed scale with page breaks between its charts, none of which crosses one;
- no "0.##" number format (Excel shows 91 as "91."); money columns wide enough for the largest amount;
- 总览 and 指标得分 end with a 合计 and a 平均 row, after a blank row and outside the filter;
  总览 has the unit of its money columns above their headers and a 提示数 column at the end.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import zipfile
from datetime import date

import openpyxl
import pytest

from perfeval.config import Settings
from perfeval.model import Status
from perfeval.outputs import SUMMARY_NAME
from perfeval.outputs import department_book as DB
from perfeval.outputs import summary as S
from perfeval.outputs.xlsxkit import FOOTER
from perfeval.pipeline import process

from .conftest import INBOX, clean_spec, needs_office, office_convert

RUN_DATE = date(2024, 3, 1)
PAGE_NUMBERS = "第 &P 页 / 共 &N 页"
# the columns of 总览 as the releases before had them: scripts read them by position and name
EARLIER_COLUMNS = [
    "部门名称",
    "部门编码",
    "评价年度",
    "评价类型",
    "预算安排资金",
    "调整后预算",
    "实际到位资金",
    "实际支出资金",
    "结余资金",
    "资金到位率",
    "预算执行率",
    "评价得分",
    "评价等级",
    "排名",
    "错误数",
    "警告数",
    "源文件",
    "明细",
    "评价状态",
    "状态说明",
]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = process(INBOX, out, Settings(), RUN_DATE, reports=False)
    summary = openpyxl.load_workbook(out / SUMMARY_NAME)
    books = {d.name: openpyxl.load_workbook(out / d.outputs["workbook"]) for d in result.departments}
    return result, out, summary, books


def every_sheet(run):
    _, _, summary, books = run
    yield from summary.worksheets
    for book in books.values():
        yield from book.worksheets


def test_every_sheet_prints_on_a4_with_its_titles_and_page_numbers(run):
    _, _, summary, books = run
    titles = {"总览": "$3:$4", "指标得分": "$4:$5", "异常清单": "$4:$4", "统计": "$1:$2", DB.FIXES_SHEET: "$4:$4"}
    for ws in every_sheet(run):
        assert ws.page_setup.paperSize == 9, ws.title
        assert ws.print_title_rows == titles.get(ws.title, "$1:$2"), ws.title  # a department: its name and source
        assert ws.oddFooter.center.text == PAGE_NUMBERS and ws.oddFooter.left.text == "&A", ws.title
        assert ws.print_options.horizontalCentered, ws.title
        assert ws.page_margins.left == ws.page_margins.right == 0.4 and ws.page_margins.footer == 0.3, ws.title
    assert FOOTER == "&L&A&C" + PAGE_NUMBERS
    assert len(summary.worksheets) == 4 + len(books) + 1, "总览 … 统计, the departments, 分析"


def fits(ws) -> tuple:
    pr = ws.sheet_properties.pageSetUpPr
    setup = ws.page_setup
    # xlsxwriter leaves out fitToWidth and fitToHeight where they are 1 (the default)
    return (setup.orientation, bool(pr and pr.fitToPage), setup.fitToWidth or 1, 1 if setup.fitToHeight is None else setup.fitToHeight)


def test_wide_sheets_are_landscape_one_page_wide(run):
    _, _, summary, books = run
    for ws in (summary["总览"], summary["指标得分"], summary["异常清单"], *(b[DB.FIXES_SHEET] for b in books.values())):
        assert fits(ws) == ("landscape", True, 1, 0), ws.title


def test_a_department_prints_on_one_portrait_page(run):
    result, _, summary, books = run
    for d in result.departments:
        for ws in (books[d.name][DB.RESULTS_SHEET], next(w for w in summary.worksheets[4:] if w["A2"].value == f"源文件：{d.file}")):
            assert fits(ws) == ("portrait", True, 1, 1), (d.name, ws.title)


def test_no_number_format_shows_a_lone_decimal_point(run):
    """Excel shows 91 as "91." in the format "0.##"; scores use General (91, 92.8)."""
    seen = set()
    for ws in every_sheet(run):
        for row in ws.iter_rows():
            for cell in row:
                seen.add(cell.number_format)
    assert not [f for f in seen if ".#" in f], seen
    assert {"General", "#,##0.00", "0.00%"} <= seen
    _, out, summary, _ = run
    for path in [out / SUMMARY_NAME, *sorted((out / "departments").iterdir())]:
        with zipfile.ZipFile(path) as z:
            styles = z.read("xl/styles.xml").decode()
        assert "0.##" not in styles and "#.##" not in styles, path.name
    score = next(c for c in summary["总览"]["L"] if c.value == 91)
    assert score.number_format == "General"


def overview_rows(ws):
    """The department rows of 总览 (up to the first row without a name), then the rows after."""
    rows = list(ws.iter_rows(min_row=5, values_only=True))
    n = next(i for i, r in enumerate(rows) if r[0] is None)
    return rows[:n], rows[n:]


def test_overview_ends_with_total_and_mean_rows_outside_the_filter(run):
    result, _, summary, _ = run
    ws = summary["总览"]
    header = [c.value for c in ws[4]]
    assert header[: len(EARLIER_COLUMNS)] == EARLIER_COLUMNS, "no existing column moves or is renamed"
    assert header[len(EARLIER_COLUMNS) :] == ["提示数", "上年得分", "得分变化", "上年预算执行率", "执行率变化", "上年已指出数", "表样"]
    deps, after = overview_rows(ws)
    assert len(deps) == len(result.departments)
    assert ws.auto_filter.ref == f"A4:AA{4 + len(deps)}", "the filter (and sorting) takes the departments only"
    assert all(v is None for v in after[0]), "a blank row: a script reading up to the first empty row stops there"
    total, mean = after[1], after[2]
    assert total[0] == "合计" and mean[0] == "平均" and all(v is None for v in total[1:4])
    budgets = [d.budget for d in result.departments if d.budget is not None]
    assert total[4] == pytest.approx(sum(budgets)) and mean[4] == pytest.approx(sum(budgets) / len(budgets))
    assert total[14] == result.errors and total[15] == result.warnings and total[20] == sum(r[20] for r in deps)
    spent = sum(d.spent for d in result.departments if d.execution_rate is not None)
    base = sum(d.adjusted if d.adjusted is not None else d.received for d in result.departments if d.execution_rate is not None)
    assert total[10] == pytest.approx(spent / base), "the batch's 执行率: of the sums"
    standing = [d.total_score for d in result.departments if d.status is Status.ACCEPTED]
    assert mean[11] == pytest.approx(round(sum(standing) / len(standing), 2)), "scores that stand only"
    assert total[11] is None and total[13] is None and mean[13] is None, "no sum of scores, no rank"
    assert "可受理的 5 个部门" in mean[19] and "7 个部门之和" in total[19]
    for r in (4 + len(deps) + 2, 4 + len(deps) + 3):
        cells = ws[r]
        assert all(c.font.b or c.column == 20 for c in cells) and {c.fill.fgColor.rgb for c in cells} == {"FFE7E6E6"}, r


def test_overview_counts_the_infos_of_each_department(run):
    result, _, summary, _ = run
    deps, _ = overview_rows(summary["总览"])
    assert {r[0]: r[20] for r in deps} == {d.name: d.infos for d in result.departments}
    assert sum(d.infos for d in result.departments) == 8


def test_money_unit_stands_above_the_money_headers(run):
    _, _, summary, _ = run
    ws = summary["总览"]
    assert ws["E3"].value == S.MONEY_UNIT == "金额单位：万元"
    assert "E3:I3" in {str(r) for r in ws.merged_cells.ranges}
    assert [ws.cell(row=4, column=c).value for c in range(5, 10)] == [
        "预算安排资金",
        "调整后预算",
        "实际到位资金",
        "实际支出资金",
        "结余资金",
    ]


def column_width(ws, letter: str) -> float:
    """A column's width, also where one <col> element spans several columns."""
    index = openpyxl.utils.column_index_from_string(letter)
    return next(d.width for d in ws.column_dimensions.values() if d.min <= index <= d.max)


def test_money_columns_are_wide_enough_for_the_largest_amount(run):
    """A number wider than its column shows as "###": each money column fits its largest amount
    (the samples have one department that filled in 元: 98,000,000.00), the 合计 too."""
    _, _, summary, _ = run
    ws = summary["总览"]
    for col in "EFGHI":
        amounts = [c.value for c in ws[col][4:] if isinstance(c.value, (int, float))]
        widest = max(len(f"{abs(v):,.2f}") for v in amounts)
        assert column_width(ws, col) >= widest + 2, col
    assert any(c.value == 98_000_000 for c in ws["E"]), "the amount filled in 元 is there"


def test_scores_end_with_total_and_mean_rows_of_the_departments_that_stand(run):
    result, _, summary, _ = run
    ws = summary["指标得分"]
    rows = list(ws.iter_rows(min_row=6, values_only=True))
    n = len(result.departments)
    assert rows[n][0] is None and rows[n + 1][0] == "合计（可受理部门）" and rows[n + 2][0] == "平均（可受理部门）"
    assert ws.auto_filter.ref.endswith(str(5 + n)), "the filter takes the departments only"
    header = [c.value for c in ws[4]]
    col = header.index("部门整体支出率")
    standing = [r for r in rows[:n] if r[header.index("评价状态")] == "可受理"]
    rates = [r[col + 2] for r in standing]
    assert rows[n + 2][col + 2] == pytest.approx(sum(rates) / len(rates))
    assert rows[n + 1][col + 2] == pytest.approx(sum(r[col] for r in standing) / sum(r[col + 1] for r in standing))


def chart_anchors(path, sheet_index: int) -> list[tuple[int, int]]:
    """(first row, last row), 0-based, of each chart on a sheet."""
    with zipfile.ZipFile(path) as z:
        rels = z.read(f"xl/worksheets/_rels/sheet{sheet_index}.xml.rels").decode()
        drawing = re.search(r'Target="\.\./drawings/(drawing\d+\.xml)"', rels).group(1)
        xml = z.read(f"xl/drawings/{drawing}").decode()
    found = re.findall(r"<xdr:from>.*?<xdr:row>(\d+)</xdr:row>.*?<xdr:to>.*?<xdr:row>(\d+)</xdr:row><xdr:rowOff>(\d+)</xdr:rowOff>", xml)
    return [(int(a), int(b) - (1 if off == "0" else 0)) for a, b, off in found]


def within_pages(anchors: list[tuple[int, int]], breaks: list[int]) -> bool:
    starts = [0, *breaks, 10**7]
    for first, last in anchors:
        page = max(i for i, s in enumerate(starts) if s <= first)
        if last >= starts[page + 1]:
            return False
    return True


def test_stats_charts_each_lie_within_a_page(run):
    _, out, summary, _ = run
    ws = summary["统计"]
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.scale == S.STATS_SCALE
    assert not (ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage), "Excel ignores breaks on a fitted sheet"
    breaks = [b.id for b in ws.row_breaks.brk]
    assert breaks == [S.page_start(1)]  # the samples: both department charts on the second page
    assert ws.print_area == f"'统计'!$A$1:$M${S.page_start(2)}"
    anchors = chart_anchors(out / SUMMARY_NAME, 4)
    assert len(anchors) == 4 and within_pages(anchors, breaks)


def test_stats_charts_of_a_large_batch_take_a_page_each_after_the_tables(tmp_path):
    """90 departments: the scores and the 执行率 in charts of at most WIDE_CHUNK bars, sorted,
    each on a page of its own after the tables."""
    from perfeval.pipeline import analyze
    from perfeval.results import RunResult

    deps, findings = analyze([(p, p.name) for p in sorted(INBOX.glob("*.xlsx"))], Settings())
    many = []
    for i in range(90):
        d = deps[i % len(deps)]
        many.append(dataclasses.replace(d, name=f"{d.name}{i}", data=dataclasses.replace(d.data, file=f"{i}_{d.file}")))
    S.write_summary(RunResult(None, RUN_DATE, many, [], findings), tmp_path / "s.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "s.xlsx")["统计"]
    scored = sum(1 for d in many if d.total_score is not None)
    executed = sum(1 for d in many if d.execution_rate is not None)
    charts = -(-scored // S.WIDE_CHUNK) + -(-executed // S.WIDE_CHUNK)
    breaks = [b.id for b in ws.row_breaks.brk]
    table_end = 17 + sum(1 for d in many if d.readable)  # 1-based: the last row of the departments' table
    assert breaks[0] == S.page_start(1) and len(breaks) == 1 + charts
    assert breaks[1] > table_end and all(b - a == S.PAGE_ROWS for a, b in zip(breaks[1:], breaks[2:], strict=False))
    anchors = chart_anchors(tmp_path / "s.xlsx", 4)
    assert len(anchors) == 2 + charts and within_pages(anchors, breaks)
    assert [first - 1 for first, _ in anchors[2:]] == breaks[1:], "one chart at the top of each page"
    scores = [r[1] for r in ws.iter_rows(min_row=18, max_row=17 + scored, max_col=2, values_only=True)]
    assert scores == sorted(scores, reverse=True), "bars from the highest score"
    rates = [r[0] for r in ws.iter_rows(min_row=5, max_row=4 + executed, min_col=23, max_col=23, values_only=True)]
    assert rates == sorted(rates, reverse=True), "bars from the highest 执行率"


def test_long_lines_wrap_within_the_sheet(tmp_path, make_workbook):
    """A department's name too long for the width of its sheet: the title is merged across the
    sheet and wrapped (not spilled past the printed columns), in the book and the summary."""
    spec = clean_spec()
    spec["基本信息"]["部门名称"] = "兰州新区" + "很长的部门名称" * 12
    make_workbook(spec, name="long.xlsx", folder=tmp_path / "inbox")
    result = process(tmp_path / "inbox", tmp_path / "out", Settings(), RUN_DATE, reports=False)
    book = openpyxl.load_workbook(tmp_path / "out" / result.departments[0].outputs["workbook"])
    results, fixes = book[DB.RESULTS_SHEET], book[DB.FIXES_SHEET]
    assert "A1:G1" in {str(r) for r in results.merged_cells.ranges} and results["A1"].alignment.wrap_text
    assert results.row_dimensions[1].height > 22
    assert "A1:I1" in {str(r) for r in fixes.merged_cells.ranges}
    project = next(r for r in results.iter_rows() if r[0].value == "项目名称")[1]
    assert project.alignment.wrap_text and results.row_dimensions[project.row].height > 15
    sheet = openpyxl.load_workbook(tmp_path / "out" / SUMMARY_NAME).worksheets[4]
    assert "A1:G1" in {str(r) for r in sheet.merged_cells.ranges}


def pdf_pages(pdf) -> list[tuple[str, tuple[float, float]]]:
    """Each page's text and size (points)."""
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "9999", str(pdf)], capture_output=True, text=True, check=True).stdout
    sizes = [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)]
    pages = []
    for i in range(1, len(sizes) + 1):
        text = subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        pages.append((text, sizes[i - 1]))
    return pages


@needs_office
def test_summary_and_a_department_book_print_on_a4_without_hashes(run, tmp_path):
    if not (shutil.which("pdftotext") and shutil.which("pdfinfo")):
        message = "poppler-utils (pdftotext, pdfinfo) are not installed; .ci/run installs them"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    result, out, _, _ = run
    dep = max(result.departments, key=lambda d: len(d.findings))
    book = tmp_path / "部门.xlsx"
    book.write_bytes((out / dep.outputs["workbook"]).read_bytes())
    proc = office_convert([out / SUMMARY_NAME, book], "pdf", tmp_path, tmp_path / "lo", timeout=240)
    assert proc.returncode == 0, proc.stderr
    a4 = {(595, 842), (842, 595)}
    for pdf in (tmp_path / "绩效评价汇总.pdf", tmp_path / "部门.pdf"):
        pages = pdf_pages(pdf)
        assert pages, pdf.name
        for i, (text, (w, h)) in enumerate(pages, start=1):
            assert (round(w), round(h)) in a4, (pdf.name, i, w, h)
            assert "###" not in text, (pdf.name, i)
            assert re.search(rf"第\s*{i}\s*页\s*/\s*共\s*{len(pages)}\s*页", text), (pdf.name, i)
    summary = pdf_pages(tmp_path / "绩效评价汇总.pdf")
    for d in result.departments:  # each department's sheet: one page, portrait
        own = [(text, size) for text, size in summary if f"{d.name} 评价结果" in text]
        assert len(own) == 1 and own[0][1][0] < own[0][1][1], d.name
    overview = [size for text, size in summary if "部门整体支出绩效评价汇总" in text]
    assert len(overview) == 1 and overview[0][0] > overview[0][1], "总览: one landscape page (seven departments)"
    stats = [text for text, _ in summary if text.startswith("统计")]
    assert len(stats) == 2 and "评价等级分布" in stats[0] and "各部门预算执行率" in stats[1], "统计: two pages, no chart split"
    book_pages = pdf_pages(tmp_path / "部门.pdf")
    assert len(book_pages) == 2, "评价结果 on one page, the fixes on the next"
    assert book_pages[0][1][0] < book_pages[0][1][1] and book_pages[1][1][0] > book_pages[1][1][1]
