from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from perfeval.config import Settings
from perfeval.formulas import formula_cells
from perfeval.pipeline import analyze
from perfeval.read import read_workbook
from perfeval.template import write_template
from perfeval.values import normalize_label, parse_money, parse_number, parse_rate

from .conftest import SEED_FILE


@pytest.mark.parametrize(
    "raw, number, status",
    [
        (12609.43, 12609.43, "number"),
        ("12,609.43", 12609.43, "text_number"),
        ("１２６０９．４３", 12609.43, "text_number"),
        ("１２６０９．４３万元", 12609.43, "text_number"),
        (" 12609.43 ", 12609.43, "text_number"),
        ("", None, "blank"),
        ("\u3000", None, "blank"),
        ("约一万", None, "not_number"),
        ("12609.43元", None, "not_number"),  # 元 is not 万元: never silently divided
        (True, None, "not_number"),
    ],
)
def test_parse_money(raw, number, status):
    p = parse_money(raw)
    assert (p.number, p.status) == (number, status)


@pytest.mark.parametrize(
    "raw, rate, decimals",
    [("157.7%", 1.577, 1), (1.577, 1.577, 1), ("157.7", 1.577, 1), ("94%", 0.94, 0), (0.94, 0.94, 0), (94, 0.94, 0), ("９４％", 0.94, 0)],
)
def test_parse_rate(raw, rate, decimals):
    p = parse_rate(raw)
    assert p.number == pytest.approx(rate) and p.decimals == decimals


@pytest.mark.parametrize(
    "raw, number, status",
    [
        (1e15, 1e15, "number"),  # the bound itself is still a number
        (-1e15, -1e15, "number"),
        (1.0000001e15, None, "out_of_range"),
        (1e308, None, "out_of_range"),
        (-1e308, None, "out_of_range"),
        (float("inf"), None, "out_of_range"),
        (10**400, None, "out_of_range"),  # an int too large for a float: no OverflowError
        (float("nan"), None, "not_number"),
        ("1" + "0" * 400, None, "out_of_range"),  # digits that overflow float() to inf
        ("9,999,999,999,999,999", None, "out_of_range"),
        ("999,999,999,999,999", 999999999999999.0, "text_number"),
    ],
)
def test_numbers_beyond_any_budget_are_out_of_range(raw, number, status):
    p = parse_number(raw)
    assert (p.number, p.status) == (number, status)
    assert parse_money(raw).status == status


def test_parse_number_with_comparator_and_unit():
    assert parse_number("≥10").number == 10 and parse_number("10家").number == 10
    assert parse_number("≥10家").suffix == "≥家"


@pytest.mark.parametrize(
    "label",
    ["预算安排资金", "*预算安排资金", "＊预算安排资金（万元）", " 预算安排资金(万元) ", "预算\u200b安排资金：", "预算安排资金\u00a0"],
)
def test_label_normalization(label):
    assert normalize_label(label) == "预算安排资金"


@pytest.mark.parametrize("raw", ["", " ", "\u3000", "\u200b\u00a0\t\n", "0", "x", " 甲 ", None, 0.0, 1.5, 0, True, False])
def test_blank_means_the_same_everywhere(raw):
    """Cell.blank and is_blank agree, and mean what BLANK_CHARS says."""
    from perfeval.model import Cell
    from perfeval.values import BLANK_CHARS, is_blank

    expected = raw is None or (isinstance(raw, str) and not raw.strip(BLANK_CHARS))
    assert is_blank(raw) is expected and Cell("s", 1, 1, raw).blank is expected


def test_seed_cells_keep_their_positions():
    data = read_workbook(SEED_FILE)
    assert data.funds["市级资金"]["budget"].ref == "B5"
    assert data.funds["市级资金"]["budget"].number == 12609.43
    assert data.funds_fields["reported_execution_rate"].ref == "B12"
    assert data.info["name"].ref == "B3"
    assert data.scores[0]["score"].ref == "F3"
    assert [g["goal"].ref for g in data.goals] == ["B3", "B4", "B5", "B6"]


def test_template_total_cells_are_known_formulas(tmp_path):
    path = write_template(tmp_path / "t.xlsx")
    assert {(8, c) for c in range(2, 7)} <= formula_cells(path, "资金情况")
    data = read_workbook(path)
    assert data.funds["合计"]["budget"].formula and not data.funds["中央资金"]["budget"].formula


def _funds_only(path: Path, total_cached: float) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    for name in ("基本信息", "资金情况", "绩效目标", "指标评分", "评价结论"):
        ws = wb.add_worksheet(name)
        if name == "基本信息":
            ws.write_column(0, 0, ["部门名称", "评价年度", "评价类型", "模板版本"])
            ws.write_column(0, 1, ["甲局", 2023, "部门评价", "perfeval-v1"])
        if name == "资金情况":
            ws.write_row(0, 0, ["项目", "预算安排资金", "调整后预算", "实际到位资金", "实际支出资金", "结余资金", "说明"])
            ws.write_row(1, 0, ["市级资金", 100, None, 100, 90, 10])
            ws.write_formula(2, 0, '="合"&"计"', None, "合计")
            ws.write_formula(2, 1, "=SUM(B2:B2)", None, total_cached)
    wb.close()
    return path


def test_a_stale_cached_total_is_not_taken_as_typed(tmp_path):
    deps, findings = analyze([(p := _funds_only(tmp_path / "f.xlsx", 12345), p.name)], Settings())
    assert deps[0].budget == 100
    assert "F01" not in {f.code for f in findings}


def test_hidden_sheets_are_read(tmp_path, make_workbook):
    from .conftest import clean_spec

    def hide(wb):
        wb["指标评分"].sheet_state = "hidden"
        wb["绩效目标"].sheet_state = "veryHidden"

    deps, findings = analyze([(p := make_workbook(clean_spec(), post=hide), p.name)], Settings())
    assert deps[0].total_score == 92.8 and not findings


def test_year_typed_as_a_date_reads_as_its_year(tmp_path, make_workbook):
    from datetime import datetime

    from .conftest import clean_spec

    spec = clean_spec()
    spec["基本信息"]["评价年度"] = datetime(2023, 1, 1)
    deps, findings = analyze([(p := make_workbook(spec), p.name)], Settings())
    assert deps[0].year == 2023
    assert [(f.code, f.location) for f in findings] == [("S07", "基本信息!B5")]
    assert "已按 2023 读取" in findings[0].message


def test_sheet_names_come_from_any_valid_spelling_of_the_workbook_part(tmp_path):
    """Prefixed elements, single quotes, escapes, absolute targets: all name their sheets."""
    import zipfile

    from perfeval.guard import sheet_parts

    path = tmp_path / "odd.xlsx"
    workbook = (
        "<?xml version='1.0'?><x:workbook xmlns:x='http://schemas.openxmlformats.org/spreadsheetml/2006/main' "
        "xmlns:rel='http://schemas.openxmlformats.org/officeDocument/2006/relationships'><x:sheets>"
        "<x:sheet name='资金情况 &amp; 说明' sheetId='1' rel:id='rId7'/>"
        '<x:sheet rel:id="rId2" sheetId="2" name="指标评分"/></x:sheets></x:workbook>'
    )
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        "<Relationship Target='/xl/worksheets/a.xml' Id='rId7' Type='x'/>"
        '<Relationship Id="rId2" Type="x" Target="worksheets/../worksheets/b.xml"/></Relationships>'
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", rels)
    with zipfile.ZipFile(path) as z:
        assert sheet_parts(z) == {"xl/worksheets/a.xml": "资金情况 & 说明", "xl/worksheets/b.xml": "指标评分"}


def test_out_of_range_cells_are_s08_and_not_numbers(tmp_path, make_workbook):
    """Money, scores, rates, years, goal values: beyond 10^15 is a slip, never a figure."""
    from .conftest import clean_spec

    spec = clean_spec()
    spec["资金情况"]["rows"]["市级资金"]["实际支出资金"] = 1e308
    spec["资金情况"]["rows"]["省级资金"]["预算安排资金"] = "1" + "0" * 20
    spec["资金情况"]["fields"]["报告预算执行率"] = 1e300
    spec["指标评分"][0]["得分"] = -1e308
    spec["基本信息"]["评价年度"] = 1e16
    spec["绩效目标"][0]["指标值"] = 1e200
    data = read_workbook(make_workbook(spec))
    huge = [n.hit for n in data.notes if n.code == "S08" and "数值超出可能范围" in n.hit.message]
    assert len({(h.sheet, h.row, h.col) for h in huge}) == 6, [n.hit.message for n in data.notes]
    assert data.funds["市级资金"]["spent"].number is None and data.funds["省级资金"]["budget"].number is None
    assert data.funds_fields["reported_execution_rate"].number is None
    assert data.scores[0]["score"].number is None and data.info["year"].number is None
    assert data.goals[0]["target"].number is None
    spent = data.funds["市级资金"]["spent"]
    (money,) = [h.message for h in huge if (h.sheet, h.row, h.col) == (spent.sheet, spent.row, spent.col)]
    assert "“市级资金·实际支出资金”" in money and "万元" in money
    (year,) = [h.message for h in huge if h.sheet == "基本信息"]
    assert "“评价年度”" in year and "万元" not in year


def test_a_nil_word_in_money_reads_as_blank(tmp_path, make_workbook):
    from .conftest import clean_spec

    spec = clean_spec()
    spec["资金情况"]["rows"]["中央资金"] = {"预算安排资金": "—"}
    data = read_workbook(make_workbook(spec))
    assert data.funds["中央资金"]["budget"].blank and data.funds["中央资金"]["budget"].number is None
    (note,) = [n for n in data.notes if n.code == "S07"]
    assert "按空白读取" in note.hit.message and "0.00" in note.hit.message


def test_quote_cuts_at_a_phrase_and_says_so():
    from perfeval.values import quote

    assert quote(" 短文本 ", 40) == "短文本"
    long = "负责统筹新区大数据平台与基础设施建设、推动信息产业发展、推进信息化及智慧城市建设等工作"
    assert quote(long, 40) == "负责统筹新区大数据平台与基础设施建设、推动信息产业发展…"
    assert quote("甲" * 50, 40) == "甲" * 40 + "…"


@pytest.mark.parametrize("raw", ["/", "／", "—", "-", "无", "指标1:/", "指标2：／", " / "])
def test_not_applicable_markers(raw):
    from perfeval.values import is_not_applicable

    assert is_not_applicable(raw)


@pytest.mark.parametrize("raw", ["", None, 0, "指标1", "无锡", "/ 12", "指标1:12"])
def test_not_applicable_needs_a_marker(raw):
    from perfeval.values import is_not_applicable

    assert not is_not_applicable(raw)
