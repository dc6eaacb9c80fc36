"""Layouts (表样, issue #15): a workbook in a known real-world layout is read by its profile and
shown as such; one in a layout only recognised (a user's profile without a form) is told which,
in one S02, never scored; the contract's workbooks are read as v1; a workbook that fits no
layout keeps the list of the sheets it lacks. tests/test_forms.py checks the forms' figures."""

from __future__ import annotations

import json
from datetime import date

import openpyxl
import pytest
from click.testing import CliRunner

from perfeval.cli import main
from perfeval.config import Settings
from perfeval.model import Status
from perfeval.outputs import SUMMARY_NAME
from perfeval.outputs import summary as S
from perfeval.pipeline import analyze, process
from perfeval.profiles import MATCH_MIN, closest, profiles

from .conftest import CLEAN_FILE

NATIONAL = [
    ["项目支出绩效自评表（2022年度）"],
    ["项目名称", "某某经费"],
    ["主管部门", "某市某局", "实施单位", "某市某局某科"],
    ["项目资金（万元）", "年初预算数", "全年预算数（A）", "全年执行数（B）", "分值", "执行率（B/A）", "得分"],
    ["年度资金总额：", 500, 520, 510, 10, "98.08%", 9.8],
    ["其中：本年财政拨款", 500, 520, 510, "-", "-", "-"],
    ["年度总体目标", "预期目标", "实际完成情况"],
    [None, "完成培训任务", "完成年度目标。"],
    ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
    ["产出指标", "数量指标", "培训人次", "≥50人次", "62人次", 10, 10, None],
    ["效益指标", "社会效益指标", "群众知晓率", "≥90%", "85%", 80, 76, "宣传不足"],
    ["总分", None, None, None, None, 100, 95.8, None],
]
CHONGQING = [
    ["部门整体绩效自评表"],
    ["年初预算数", "全年预算数", "全年执行数", "执行率", "权重", "得分"],
    [1000, 1000, 950, "95%", 10, 9.5],
    ["指标名称", "计量单位", "指标性质", "年初指标值", "调整指标值", "全年完成值", "得分系数", "指标权重", "指标得分", "是否核心指标"],
    ["培训人次", "人次", "定量", 50, 60, 62, "100%", 10, 10, "是"],
]


def sheet(path, rows, title="Sheet1"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_the_shipped_profiles_name_their_layouts():
    ids = [p.id for p in profiles()]
    assert ids[0] == "v1" and {"national", "sichuan", "chongqing", "tianjin"} <= set(ids)
    assert [p.id for p in profiles() if p.readable] == ["v1", "national", "sichuan", "chongqing", "tianjin"]
    assert [p.id for p in profiles() if p.form is not None] == ["national", "sichuan", "chongqing", "tianjin"]
    assert all(p.name and len(p.signature) >= 5 for p in profiles())


@pytest.mark.parametrize(("rows", "layout", "total"), [(NATIONAL, "national", 95.8), (CHONGQING, "chongqing", 19.5)])
def test_a_workbook_in_a_known_form_is_read_by_its_layout(tmp_path, rows, layout, total):
    path = sheet(tmp_path / "自评表.xlsx", rows)
    (dep,), findings = analyze([(path, path.name)], Settings())
    assert dep.data.profile == layout and dep.data.in_form and not dep.data.in_other_layout
    assert dep.total_score == total and dep.execution_rate is not None
    assert not [f for f in dep.findings if f.code == "S02"], "not told it is in another layout: it is read"


def test_a_workbook_that_fits_no_layout_is_listed_the_sheets_it_lacks(tmp_path):
    """A near miss: a few of the national form's labels (fewer than MATCH_MIN of them)."""
    rows = [["项目名称", "某某经费"], ["年初预算数", 500], ["总分", 100], ["备注", "无"]]
    found = len(next(p for p in profiles() if p.id == "national").found({"项目名称", "年初预算数", "总分", "备注"}))
    assert 0 < found / 9 < MATCH_MIN
    path = sheet(tmp_path / "其他.xlsx", rows)
    (dep,), _ = analyze([(path, path.name)], Settings())
    assert dep.data.profile == "" and dep.status is Status.UNSCORED
    missing = [f for f in dep.findings if f.code == "S02" and f.message.startswith("缺少工作表")]
    assert sorted(f.sheet for f in missing) == sorted(["基本信息", "资金情况", "绩效目标", "指标评分", "评价结论"])
    (hint,) = [f for f in dep.findings if f.code == "S02" and f not in missing]
    assert "最接近的表样是“财政部一表式绩效自评表" in hint.message and "缺“全年预算数”" in hint.message, "the nearest, and what it lacked"


def test_a_workbook_like_no_layout_at_all_is_only_listed_the_sheets_it_lacks(tmp_path):
    path = sheet(tmp_path / "名单.xlsx", [["姓名", "电话"], ["张三", "123"]])
    (dep,), _ = analyze([(path, path.name)], Settings())
    assert [f.message.startswith("缺少工作表") for f in dep.findings if f.code == "S02"] == [True] * 5


def test_the_contracts_workbook_is_read_as_v1_and_a_near_label_is_not_a_layout():
    (dep,), _ = analyze([(CLEAN_FILE, CLEAN_FILE.name)], Settings())
    assert dep.data.profile == "v1" and dep.status is Status.ACCEPTED
    assert closest({"部门名称", "评价年度", "一级指标"}) is None


def test_the_layout_is_shown_in_the_overview_the_json_and_the_profiles_command(tmp_path):
    (tmp_path / "in").mkdir()
    sheet(tmp_path / "in" / "自评表.xlsx", NATIONAL)
    (tmp_path / "in" / CLEAN_FILE.name).write_bytes(CLEAN_FILE.read_bytes())
    result = process(tmp_path / "in", tmp_path / "out", Settings(), date(2024, 3, 1), reports=False)
    ws = openpyxl.load_workbook(tmp_path / "out" / SUMMARY_NAME)["总览"]
    header = [c.value for c in ws[S.TABLE_HEADER + 1]]
    column = header.index("表样")
    shown = {r[16]: r[column] for r in ws.iter_rows(min_row=S.TABLE_HEADER + 2, values_only=True) if r[16]}
    assert shown == {CLEAN_FILE.name: "v1 模板", "自评表.xlsx": next(p.name for p in profiles() if p.id == "national")}
    data = json.loads((tmp_path / "out" / "perfeval-results.json").read_text(encoding="utf-8"))
    assert {d["file"]: d["profile"] for d in data["departments"]} == {CLEAN_FILE.name: "v1", "自评表.xlsx": "national"}
    assert {d.file: d.total_score for d in result.departments}["自评表.xlsx"] == 95.8
    res = CliRunner().invoke(main, ["profiles"])
    assert res.exit_code == 0 and "national  财政部一表式绩效自评表（项目支出 / 部门整体支出）（可读取）" in res.output
    listed = json.loads(CliRunner().invoke(main, ["profiles", "--json"]).output)
    assert [p["id"] for p in listed] == [p.id for p in profiles()]


USER_PROFILE = """
[[profile]]
id = "gansu"
name = "甘肃省部门整体支出绩效自评表（系统导出）"
source = "本单位整理"
signature = ["绩效目标完成情况", "年度预算数", "年度执行数", "指标名称", "指标完成值", "自评得分"]
"""
GANSU = [
    ["部门整体支出绩效自评表"],
    ["年度预算数", "年度执行数"],
    [100, 95],
    ["绩效目标完成情况"],
    ["指标名称", "指标完成值", "自评得分"],
    ["培训人次", 60, 10],
]


def test_a_user_written_profile_is_recognised_by_check_and_listed(tmp_path):
    profile = tmp_path / "甘肃.toml"
    profile.write_text(USER_PROFILE, encoding="utf-8")
    book = sheet(tmp_path / "甘肃自评表.xlsx", GANSU)
    runner = CliRunner()
    plain = runner.invoke(main, ["check", str(book), "--json"])
    assert plain.exit_code == 1 and json.loads(plain.output)["departments"][0]["profile"] == "", "unknown without it"
    res = runner.invoke(main, ["check", str(book), "--json", "--profile", str(profile)])
    assert res.exit_code == 1, res.output
    (dep,) = json.loads(res.output)["departments"]
    assert dep["profile"] == "gansu" and dep["status"] == "未评分" and dep["total_score"] is None
    (f,) = dep["findings"]
    assert f["code"] == "S02" and "甘肃省部门整体支出绩效自评表（系统导出）" in f["message"]
    listed = runner.invoke(main, ["profiles", "--profile", str(profile)])
    assert listed.exit_code == 0 and "gansu  甘肃省部门整体支出绩效自评表（系统导出）（能识别，尚不能读取）" in listed.output


def test_the_settings_file_names_profile_files_beside_it(tmp_path):
    from perfeval.config import load_settings

    (tmp_path / "甘肃.toml").write_text(USER_PROFILE, encoding="utf-8")
    config = tmp_path / "perfeval.toml"
    config.write_text('[profiles]\nfiles = ["甘肃.toml"]\n', encoding="utf-8")
    settings = load_settings(config)
    assert [p.id for p in settings.profiles] == ["gansu"] and not settings.profiles[0].readable
    book = sheet(tmp_path / "甘肃自评表.xlsx", GANSU)
    (dep,), _ = analyze([(book, book.name)], settings)
    assert dep.data.profile == "gansu"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[[profile]]\nid = "v1"\nname = "x"\nsignature = ["a", "b", "c"]\n', "已被使用"),
        ('[[profile]]\nid = "x"\nname = "x"\nsignature = ["a", "b"]\n', "至少 3 个标签"),
        ('[[profile]]\nid = "x"\nname = "x"\nreadable = true\nsignature = ["a", "b", "c"]\n', "需要 [profile.form]"),
        (
            '[[profile]]\nid = "x"\nname = "x"\nsignature = ["a", "b", "c"]\n[profile.form.indicators]\nlevel3 = ["指标"]\n',
            "至少要给出 weight、score",
        ),
        ('[[profile]]\nid = "x"\nname = "x"\nsignature = ["a", "b", "c"]\n[profile.form.funds]\nspend = ["执行数"]\n', "未知的项 spend"),
        ('[[profile]]\nid = "x"\nname = "x"\nsignatures = ["a", "b", "c"]\n', "未知的项 signatures"),
        ("id = 1\n", "[[profile]]"),
        ("[[profile]\n", "不是有效的 TOML"),
    ],
)
def test_a_bad_profile_file_is_a_usage_error_that_says_what_is_wrong(tmp_path, text, says):
    profile = tmp_path / "p.toml"
    profile.write_text(text, encoding="utf-8")
    res = CliRunner().invoke(main, ["check", str(CLEAN_FILE), "--profile", str(profile)])
    assert res.exit_code == 2 and says in res.output and "Traceback" not in res.output


def weights_in_labels(path, make_workbook, keep_one_plain: bool = False):
    """The clean department with its weights written in the 三级 labels ("预算执行率（10分）")
    and no 分值 column (as many score sheets have them); `keep_one_plain`: one label without."""
    from .conftest import clean_spec

    make_workbook(clean_spec(), name=path.name, folder=path.parent)
    wb = openpyxl.load_workbook(path)
    ws = wb["指标评分"]
    header = next(r for r in range(1, 6) if any(c.value == "分值" for c in ws[r]))
    cols = {c.value: c.column for c in ws[header]}
    plain = keep_one_plain
    for r in range(header + 1, ws.max_row + 1):
        weight, name = ws.cell(r, cols["分值"]).value, ws.cell(r, cols["三级指标"]).value
        if isinstance(weight, (int, float)) and name:
            if plain:
                plain = False
                continue
            ws.cell(r, cols["三级指标"]).value = f"{name}（{weight:g}分）"
    ws.delete_cols(cols["分值"])
    wb.save(path)
    return path


def test_weights_written_in_the_labels_read_as_the_template_with_them_in_a_column(tmp_path, make_workbook):
    book = weights_in_labels(tmp_path / "权重在名称中.xlsx", make_workbook)
    (dep,), _ = analyze([(book, book.name)], Settings())
    (clean,), _ = analyze([(CLEAN_FILE, CLEAN_FILE.name)], Settings())
    same = ("total_score", "total_weight", "grade", "status", "execution_rate", "arrival_rate", "score_rate")
    assert {k: getattr(dep, k) for k in same} == {k: getattr(clean, k) for k in same}
    assert [(x.name, x.weight, x.score) for x in dep.level1] == [(x.name, x.weight, x.score) for x in clean.level1]
    (note,) = dep.findings
    assert note.code == "S07" and note.location == "指标评分!C3" and "（N分）" in note.message
    assert dep.data.scores[0]["weight"].number == 10 and dep.data.scores[0]["weight"].ref == "C3"


def test_a_label_without_its_weight_leaves_the_column_missing(tmp_path, make_workbook):
    """A near miss: one indicator's label lacks its weight: no weight is guessed, the sheet
    lacks its 分值 column (S03) and nothing is scored."""
    book = weights_in_labels(tmp_path / "缺一个.xlsx", make_workbook, keep_one_plain=True)
    (dep,), _ = analyze([(book, book.name)], Settings())
    assert dep.status is Status.UNSCORED and dep.total_score is None
    assert [(f.code, "缺少列“分值”" in f.message) for f in dep.findings if f.code in ("S03", "S07")] == [("S03", True)]


def relabel(path, make_workbook, sheet_name: str, renames: dict[str, str], extra: tuple[str, list] | None = None):
    """The clean department with some headers of `sheet_name` written as other forms write
    them; `extra` = (header, values): a column added before 分值, values from the first row down."""
    from .conftest import clean_spec

    make_workbook(clean_spec(), name=path.name, folder=path.parent)
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet_name]
    marks = set(renames) or {"分值"}  # the header row: where the headers to rename (or 分值) are
    header = next(r for r in range(1, 8) if any(c.value in marks for c in ws[r]))
    for c in ws[header]:
        if c.value in renames:
            c.value = renames[c.value]
    if extra is not None:  # just before 分值: a reader taking the first column that fits would take it
        col = next(c.column for c in ws[header] if c.value == "分值")
        ws.insert_cols(col)
        ws.cell(header, col).value = extra[0]
        for i, v in enumerate(extra[1]):
            ws.cell(header + 1 + i, col).value = v
    wb.save(path)
    return path


SICHUAN = {"分值": "权重", "得分": "指标得分"}


def test_other_forms_headers_read_as_the_contracts(tmp_path, make_workbook):
    """The Sichuan words (权重, 指标得分, 完成值, 度量单位, 年初预算数, 全年预算数, 全年执行数) over the
    contract's tables: the same figures and findings as the template's own headers."""
    relabel(tmp_path / "in" / "a.xlsx", make_workbook, "指标评分", SICHUAN)
    book = relabel(tmp_path / "in" / "b.xlsx", make_workbook, "绩效目标", {"实际完成值": "完成值", "计量单位": "度量单位"})
    wb = openpyxl.load_workbook(book)
    ws = wb["资金情况"]
    for row in ws.iter_rows(max_row=8):
        for c in row:
            c.value = {"预算安排资金": "年初预算数", "调整后预算": "全年预算数（A）", "实际支出资金": "全年执行数（B）"}.get(
                c.value, c.value
            )
    wb.save(book)
    (clean,), _ = analyze([(CLEAN_FILE, CLEAN_FILE.name)], Settings())
    for path in sorted((tmp_path / "in").glob("*.xlsx")):
        (dep,), _ = analyze([(path, path.name)], Settings())
        assert (dep.total_score, dep.grade, dep.status, dep.budget, dep.adjusted, dep.spent, dep.execution_rate) == (
            clean.total_score,
            clean.grade,
            clean.status,
            clean.budget,
            clean.adjusted,
            clean.spent,
            clean.execution_rate,
        ), path.name
        assert [(f.code, f.location) for f in dep.findings] == [(f.code, f.location) for f in clean.findings], path.name


def test_the_contracts_own_header_wins_over_another_forms(tmp_path, make_workbook):
    """A near miss: a 权重 column just before the 分值 column (numbers of another meaning): 分值 is read."""
    book = relabel(tmp_path / "a.xlsx", make_workbook, "指标评分", {}, extra=("权重", [1] * 30))
    (dep,), _ = analyze([(book, book.name)], Settings())
    (clean,), _ = analyze([(CLEAN_FILE, CLEAN_FILE.name)], Settings())
    assert (dep.total_weight, dep.total_score) == (clean.total_weight, clean.total_score) == (100, 92.8)
