from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from perfeval.config import Settings
from perfeval.outputs import FINDINGS_NAME, SUMMARY_NAME
from perfeval.outputs import summary as summary_module
from perfeval.outputs.summary import OVERVIEW_COLUMNS
from perfeval.outputs.xlsxkit import EXCEL_MAX_CELL, sheet_names
from perfeval.pipeline import process
from perfeval.results import CSV_COLUMNS

from .conftest import INBOX, clean_spec, needs_office, office_convert

RUN_DATE = date(2024, 3, 1)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = process(INBOX, out, Settings(), RUN_DATE)
    return result, out


def test_analysis_sheet_lays_the_tables_on_one_grid(outputs):
    """分析: the tables perfeval.analysis makes, one under another; a table's column takes as many
    equal grid columns as its width asks (merged), so no table widens another's."""
    from perfeval.analysis import analysis_tables

    result, out = outputs
    ws = openpyxl.load_workbook(out / SUMMARY_NAME)[summary_module.ANALYSIS_SHEET]
    tables = analysis_tables(result)
    values = [[v for v in row if v is not None] for row in ws.iter_rows(values_only=True)]
    for table in tables:
        title = values.index([table.title])
        assert values[title + 1] == [table.note] and values[title + 2] == [c.header for c in table.columns]
        shown = values[title + 3 : title + 3 + max(len(table.rows), 1)]
        expected = [[v for v in row if v is not None and v != ""] for row in table.rows] or [[table.empty]]
        assert [[v for v in row if v != ""] for row in shown] == expected, table.title
    mismatch = next(t for t in tables if t.title.startswith("二"))
    assert [row[0] for row in mismatch.rows] == ["兰州新区应急管理局"], "the sample graded 优 with 77% executed"
    widths = {d.width for d in ws.column_dimensions.values() if d.width}
    assert len(widths) == 1 and round(widths.pop()) in (
        summary_module.ANALYSIS_UNIT,
        summary_module.ANALYSIS_UNIT + 1,
    )  # as Excel stores it
    assert any(str(r).startswith("B") for r in ws.merged_cells.ranges), "wide columns are merged across the grid"


def test_summary_sheets(outputs):
    result, out = outputs
    wb = openpyxl.load_workbook(out / SUMMARY_NAME)
    names = wb.sheetnames
    assert names[:4] == ["总览", "指标得分", "异常清单", "统计"]
    assert len(names) == 4 + 7 + 1 and names[-1] == "分析"
    assert "兰州新区科技发展局" in names
    ov = wb["总览"]
    assert [c.value for c in ov[4]][: len(OVERVIEW_COLUMNS) - 1] == [c for c, _ in OVERVIEW_COLUMNS][:-1]
    rows = {r[0]: r for r in ov.iter_rows(min_row=5, values_only=True) if r[0]}
    seed = rows["兰州新区科技发展局"]
    assert seed[4] == pytest.approx(12609.43) and seed[6] == pytest.approx(19885.29)
    assert seed[9] == pytest.approx(1.577, abs=1e-4) and seed[10] == pytest.approx(1.0)
    # four samples that stand (可受理) score 92.8, the seed 91: it ranks fifth
    assert seed[11] == 91 and seed[12] == "优" and seed[13] == 5
    assert seed[16] == "01_兰州新区科技发展局.xlsx"
    assert ov.freeze_panes == "B5" and ov.auto_filter.ref
    assert len(ov.conditional_formatting) >= 3
    findings = wb["异常清单"]
    listed = list(findings.iter_rows(min_row=5, values_only=True))
    assert len(listed) == len(result.findings)
    first_link = findings.cell(row=5, column=10).hyperlink
    assert first_link is not None and first_link.location and "!" in first_link.location
    scores = wb["指标得分"]
    assert scores["C4"].value == "部门整体支出率"
    dept = wb["兰州新区科技发展局"]
    texts = [c.value for row in dept.iter_rows() for c in row if isinstance(c.value, str)]
    assert "三、绩效分析" in texts and "合计" in texts


def test_each_department_sheet_links_to_its_block_of_findings(outputs):
    """Findings are listed once, in 异常清单; a department's sheet counts them and leads there."""
    import re

    result, out = outputs
    wb = openpyxl.load_workbook(out / SUMMARY_NAME)
    listed = wb["异常清单"]
    for dep in result.departments:
        ws = wb[next(n for n in wb.sheetnames[4:] if wb[n]["A2"].value == f"源文件：{dep.file}")]
        cell = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("四、"))
        if not dep.findings:
            assert cell.value == "四、发现的问题（无）" and cell.hyperlink is None
            continue
        assert cell.value.startswith(f"四、发现的问题（{len(dep.findings)} 条：错误 {dep.errors}，警告 {dep.warnings}，")
        first, last = map(int, re.search(r"第 (\d+)(?:–(\d+))? 行", cell.value).group(1, 2 if len(dep.findings) > 1 else 1))
        assert cell.hyperlink.location == f"'异常清单'!A{first}" and last - first + 1 == len(dep.findings)
        block = [listed.cell(row=r, column=2).value for r in range(first - 1, last + 2)]
        assert block[1:-1] == [dep.file] * len(dep.findings)
        assert dep.file not in (block[0], block[-1])  # the whole block, nothing more


def test_summary_has_native_charts(outputs):
    """统计: grades, the 一级指标 得分率 of the batch, the departments' scores and their 执行率
    (with the 90% line: a line chart combined into it). tests/test_print.py checks the pages."""
    _, out = outputs
    with zipfile.ZipFile(out / SUMMARY_NAME) as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        titles = [z.read(n).decode() for n in charts]
    assert len(charts) == 4
    for chart, title in zip(titles, ("评价等级分布", "各一级指标得分率", "各部门评价得分（从高到低）", "各部门预算执行率"), strict=True):
        assert title in chart
    assert "<c:lineChart>" in titles[3] and "<c:barChart>" in titles[3]


def test_findings_csv(outputs):
    result, out = outputs
    data = (out / FINDINGS_NAME).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) - 1 == len(result.findings)
    f04 = next(r for r in rows if r[4] == "F04")
    assert f04[:4] == ["兰州新区科技发展局", "01_兰州新区科技发展局.xlsx", "资金情况", "C5"]


def test_same_inputs_same_bytes(tmp_path):
    a = process(INBOX, tmp_path / "a", Settings(), RUN_DATE)
    b = process(INBOX, tmp_path / "b", Settings(), RUN_DATE)
    for pa, pb in zip(a.outputs, b.outputs, strict=True):
        assert pa.read_bytes() == pb.read_bytes(), pa.name
    for sub in ("departments", "reports"):
        for pa in sorted((tmp_path / "a" / sub).iterdir()):
            assert pa.read_bytes() == (tmp_path / "b" / sub / pa.name).read_bytes(), pa.name


def test_inputs_are_never_modified(tmp_path):
    import hashlib

    def digest():
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in INBOX.iterdir()}

    before = digest()
    process(INBOX, tmp_path / "out", Settings(), RUN_DATE)
    assert digest() == before


INJECTIONS = ['=HYPERLINK("http://x","点我")', "{=1+1}", "@SUM(A1)", "+1+1", "-2+3", "http://example.com/" + "a" * 3000]


def test_input_text_stays_text(tmp_path, make_workbook):
    inbox = tmp_path / "inbox"
    for i, text in enumerate(INJECTIONS):
        spec = clean_spec()
        spec["基本信息"]["部门名称"] = text
        spec["基本信息"]["部门编码"] = f"X{i}"
        spec["评价结论"]["items"][0]["关联指标"] = text  # also lands in a finding (C04)
        make_workbook(spec, name=f"{i}.xlsx", folder=inbox)
    result = process(inbox, tmp_path / "out", Settings(), RUN_DATE)
    with zipfile.ZipFile(tmp_path / "out" / SUMMARY_NAME) as z:
        for name in z.namelist():
            body = z.read(name).decode("utf-8", "replace")
            if name.startswith("xl/worksheets/sheet"):
                assert "<f>" not in body, name
            if name.endswith(".rels"):
                assert "http://x" not in body and "example.com" not in body, name
    wb = openpyxl.load_workbook(tmp_path / "out" / SUMMARY_NAME)
    names = {wb["总览"].cell(row=r, column=1).value for r in range(5, 5 + len(INJECTIONS))}
    assert names == set(INJECTIONS)
    for r in range(5, 5 + len(INJECTIONS)):
        assert wb["总览"].cell(row=r, column=1).data_type == "s"
    rows = list(csv.reader(io.StringIO((tmp_path / "out" / FINDINGS_NAME).read_text(encoding="utf-8-sig"))))
    for row in rows[1:]:
        for value in row:
            assert not value.startswith(("=", "+", "-", "@")), value
    assert {r[0] for r in rows[1:]} >= {'\'=HYPERLINK("http://x","点我")', "'-2+3", "'@SUM(A1)"}
    assert len(result.departments) == len(INJECTIONS)


def test_long_text_is_clipped_with_a_note(tmp_path, make_workbook):
    from perfeval.pipeline import analyze
    from perfeval.results import RunResult

    path = make_workbook(clean_spec())
    deps, findings = analyze([(path, path.name)], Settings())
    deps[0].name = "长" * 40000  # longer than any cell of Excel can hold
    summary_module.write_summary(RunResult(None, RUN_DATE, deps, [], findings), tmp_path / "s.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "s.xlsx")["总览"]
    value = ws.cell(row=5, column=1).value
    assert len(value) == EXCEL_MAX_CELL and value.endswith("已截断）") and value.startswith("长长")


def test_sheet_names_are_valid_and_unique():
    names = sheet_names(["人力资源部/行政", "财务部[2024]", "总览", "A" * 40, "a" * 40, "Ｘ部", "X部", "'引号'", "", "History"])
    assert len(set(n.casefold() for n in names)) == len(names)
    for n in names:
        assert 0 < len(n) <= 31 and not set(n) & set("[]:*?/\\") and not n.startswith("'")
    assert names[0] == "人力资源部_行政" and names[2] == "总览(2)"


@pytest.mark.parametrize("pooled", [False, True], ids=["one process", "worker pool"])
def test_a_failed_write_keeps_the_previous_summary(tmp_path, monkeypatch, pooled):
    from perfeval import pool

    if pooled:  # findings.csv and the results JSON are then written by a worker
        monkeypatch.setattr(pool, "PARALLEL_MIN", 2)
    out = tmp_path / "out"
    process(INBOX, out, Settings(), RUN_DATE)
    side = [FINDINGS_NAME, "perfeval-results.json"]
    before = (out / SUMMARY_NAME).read_bytes()
    before_side = [(out / n).read_bytes() for n in side]

    def crash(result, path, analysis=None):
        Path(path).write_bytes(b"half a workbook")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(summary_module, "_write", crash)
    with pytest.raises(RuntimeError):
        process(INBOX, out, Settings(), date(2025, 1, 1))
    assert (out / SUMMARY_NAME).read_bytes() == before
    assert [(out / n).read_bytes() for n in side] == before_side, "the run's other files are not half renewed"
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == sorted([SUMMARY_NAME, *side, "departments", "reports"])
    assert not [p for p in out.rglob("*.tmp")] and not (out / ".perfeval-staging").exists(), "nothing of the failed run left behind"


@needs_office
def test_summary_opens_in_libreoffice(outputs, tmp_path):
    _, out = outputs
    proc = office_convert([out / SUMMARY_NAME], "pdf", tmp_path, tmp_path / "lo", timeout=180)
    pdf = tmp_path / "绩效评价汇总.pdf"
    assert proc.returncode == 0 and pdf.exists() and pdf.stat().st_size > 10000, proc.stderr


def test_severity_cells_are_filled_by_severity(tmp_path):
    import xlsxwriter

    from perfeval.outputs.xlsxkit import STYLE_SPECS, Styles

    wb = xlsxwriter.Workbook(str(tmp_path / "s.xlsx"))
    builtin = len(wb.formats)
    st = Styles(wb)
    assert len(wb.formats) == builtin  # nothing is added before it is used
    assert st.severity("错误") is st.error_cell and STYLE_SPECS["error_cell"]["bg_color"] == "#FFC7CE"
    assert st.severity("警告") is st.warning_cell and STYLE_SPECS["warning_cell"]["bg_color"] == "#FFEB9C"
    assert st.severity("提示") is st.text
    assert len(wb.formats) == builtin + 3
    wb.close()


def test_sheet_names_count_utf16_units_like_excel(tmp_path):
    """A character beyond U+FFFF counts twice in Excel's 31 limit (xlsxwriter refuses more)."""
    from perfeval.outputs.xlsxkit import new_workbook

    rare = "𠀾" * 20 + "局"  # 21 characters, 41 UTF-16 units
    names = sheet_names([rare, rare, "a" * 30 + "'", "A" * 40])
    assert names[0] == "𠀾" * 15 and names[1] == "𠀾" * 14 + "(2)" and names[2] == "a" * 30
    wb = new_workbook(tmp_path / "n.xlsx", "t", RUN_DATE)
    for name in names:
        wb.add_worksheet(name)  # xlsxwriter's own checks pass
    wb.close()


def test_workbook_still_refuses_bad_or_repeated_sheet_names(tmp_path):
    """The summary's workbook is xlsxwriter's own: all its checks of sheet names hold."""
    from xlsxwriter.exceptions import DuplicateWorksheetName, InvalidWorksheetName

    from perfeval.outputs.xlsxkit import new_workbook

    wb = new_workbook(tmp_path / "n.xlsx", "t", RUN_DATE)
    for i in range(50):
        wb.add_worksheet(f"部门{i}")
    with pytest.raises(DuplicateWorksheetName):
        wb.add_worksheet("部门7")
    wb.add_worksheet("Summary")
    with pytest.raises(DuplicateWorksheetName):
        wb.add_worksheet("SUMMARY")  # case is ignored, as in Excel
    for bad in ("a/b", "x" * 32, "'q"):
        with pytest.raises(InvalidWorksheetName):
            wb.add_worksheet(bad)
    assert [ws.name for ws in wb.worksheets()][:3] == ["部门0", "部门1", "部门2"]
    wb.close()


def test_the_summary_is_a_plain_xlsxwriter_workbook(tmp_path, monkeypatch):
    """Written through xlsxwriter's public API alone: a stock Workbook, its own worksheets and
    packaging, xlsxwriter's module state untouched."""
    import xlsxwriter
    import xlsxwriter.workbook
    import xlsxwriter.worksheet

    from perfeval.pipeline import analyze
    from perfeval.results import RunResult

    made, stock = [], xlsxwriter.Workbook

    def recording(*args, **kwargs):
        wb = stock(*args, **kwargs)
        made.append(wb)
        return wb

    monkeypatch.setattr(xlsxwriter, "Workbook", recording)
    deps, findings = analyze([(p, p.name) for p in sorted(INBOX.glob("*.xlsx"))], Settings())
    summary_module.write_summary(RunResult(None, RUN_DATE, deps, [], findings), tmp_path / "s.xlsx")
    assert len(made) == 1 and type(made[0]) is xlsxwriter.workbook.Workbook
    assert {type(ws) for ws in made[0].worksheets()} == {xlsxwriter.worksheet.Worksheet}
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile


@pytest.mark.parametrize("guarded", [True, False], ids=["as written", "without the guard (the failure it prevents)"])
def test_text_that_looks_like_rich_text_xml_reads_back_as_that_text(tmp_path, make_workbook, monkeypatch, guarded):
    """xlsxwriter takes a shared string "<r>…</r>" for its own rich-text XML and writes it
    unescaped: a department named so would vanish from the summary, or break it."""
    from python_calamine import CalamineWorkbook

    if not guarded:
        monkeypatch.setattr(summary_module, "looks_rich", lambda text: False)
    name, level1 = "<r>甲局</r>", "<r><t>决策</t></r>"
    spec = clean_spec()
    spec["基本信息"]["部门名称"] = name
    for row in spec["指标评分"]:
        if row.get("一级指标") == "部门管理":
            row["一级指标"] = level1
    make_workbook(spec, name="a.xlsx", folder=tmp_path / "inbox")
    process(tmp_path / "inbox", tmp_path / "out", Settings(), RUN_DATE, reports=False)
    book = CalamineWorkbook.from_path(str(tmp_path / "out" / SUMMARY_NAME))
    overview = book.get_sheet_by_name("总览").to_python()
    scores = book.get_sheet_by_name("指标得分").to_python()
    own = book.get_sheet_by_index(4).to_python()
    found = (overview[4][0], level1 in scores[3], any(name in row for row in own))
    if guarded:
        assert found == (name, True, True)
    else:
        assert found != (name, True, True)


def test_a_large_batch_summary_is_the_same_workbook_made_through_temp_files(outputs, tmp_path, monkeypatch):
    """Beyond IN_MEMORY_MAX departments the XML parts go through temp files beside the summary
    (memory): the workbook is the same, part for part (xlsxwriter dates a zip's entries
    differently in the two ways, each the same on every run), and no temp file stays."""
    result, _ = outputs
    summary_module.write_summary(result, tmp_path / "memory.xlsx")
    monkeypatch.setattr(summary_module, "IN_MEMORY_MAX", 0)
    folder = tmp_path / "through-files"
    folder.mkdir()
    summary_module.write_summary(result, folder / "files.xlsx")
    parts = [zipfile.ZipFile(p) for p in (tmp_path / "memory.xlsx", folder / "files.xlsx")]
    assert [i.filename for i in parts[0].infolist()] == [i.filename for i in parts[1].infolist()]
    assert all(parts[0].read(name) == parts[1].read(name) for name in parts[0].namelist())
    assert [p.name for p in folder.iterdir()] == ["files.xlsx"]


def sheet_description(ws) -> tuple:
    """What a reader sees of a sheet: each cell's value, type and style (number format, font,
    fill, border, alignment) and link; merges, column widths, row heights, panes, filter, print
    setup, print titles, footer."""
    cells = {}
    for row in ws.iter_rows():
        for c in row:
            if c.value is None and not c.has_style:
                continue
            f, fill, a = c.font, c.fill, c.alignment
            cells[c.coordinate] = (
                *(c.value, c.data_type, c.number_format),
                *(f.name, f.sz, f.b, f.color.rgb if f.color else None, f.u),
                *(fill.fill_type, fill.fgColor.rgb if fill.fgColor else None),
                *(c.border.left.style, c.border.bottom.style, a.wrap_text, a.shrink_to_fit, a.horizontal, a.vertical),
                *((c.hyperlink.location, c.hyperlink.display) if c.hyperlink else ()),
            )
    setup, margins, fit = ws.page_setup, ws.page_margins, ws.sheet_properties.pageSetUpPr
    return (
        cells,
        sorted(str(m) for m in ws.merged_cells.ranges),
        {k: (d.width, d.customWidth, d.min, d.max) for k, d in ws.column_dimensions.items()},
        {k: (d.height, d.customHeight) for k, d in ws.row_dimensions.items() if d.height},
        (ws.freeze_panes, ws.auto_filter.ref, ws.dimensions, ws.sheet_view.tabSelected),
        (setup.paperSize, setup.orientation, setup.fitToWidth, setup.fitToHeight, setup.scale, fit.fitToPage if fit else None),
        (ws.print_title_rows, ws.print_options.horizontalCentered, ws.oddFooter.left.text, ws.oddFooter.center.text),
        (margins.left, margins.right, margins.top, margins.bottom, margins.header, margins.footer),
    )


def test_own_sheets_read_as_xlsxwriter_writes_them(outputs, tmp_path):
    """异常清单 and the department sheets are written by perfeval (fastbook's writer, texts
    inline) into a copy of xlsxwriter's file: they read back as xlsxwriter writes the same
    layout code, as the summary was written before."""
    from perfeval.outputs.department_sheet import department_sheet
    from perfeval.outputs.xlsxkit import Styles, new_workbook

    result, out = outputs
    deps = result.departments
    names = sheet_names([d.name for d in deps])
    sheet_of = {d.file: n for d, n in zip(deps, names, strict=True)}
    reference = tmp_path / "xlsxwriter.xlsx"
    wb = new_workbook(reference, "绩效评价汇总", RUN_DATE)
    st = Styles(wb)
    overview = wb.add_worksheet("总览")
    wb.add_worksheet("指标得分")
    summary_module._findings(summary_module.SummaryWriter(wb.add_worksheet("异常清单"), st), result, sheet_of)
    wb.add_worksheet("统计")
    rows = summary_module.finding_rows(result)
    for dep in deps:
        department_sheet(
            summary_module.SummaryWriter(wb.add_worksheet(sheet_of[dep.file]), st), dep, summary_module.findings_place(rows, dep.file)
        )
    overview.activate()
    wb.close()
    own, stock = openpyxl.load_workbook(out / SUMMARY_NAME), openpyxl.load_workbook(reference)
    assert own.sheetnames[2:4] == ["异常清单", "统计"] and own.sheetnames[4 : 4 + len(deps)] == names
    assert len(result.findings) > 16, "more findings than one block of rows"
    for name in ["异常清单", *names]:
        assert sheet_description(own[name]) == sheet_description(stock[name]), name
    with zipfile.ZipFile(out / SUMMARY_NAME) as z:
        body = z.read("xl/worksheets/sheet5.xml").decode()
    assert 't="inlineStr"' in body and 't="s"' not in body
