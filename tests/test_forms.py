"""Real-world forms (issue #15): each sample 自评表 of samples/forms/ reads to the figures and
findings of its transcription into the v1 template (samples/forms.py), its findings pointing at
the form's own cells; what the form has no place for is neither asked for nor made up."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from perfeval.cli import main
from perfeval.config import Settings
from perfeval.fill import fill_template
from perfeval.model import Status
from perfeval.pipeline import analyze
from perfeval.profiles import load_file

from .conftest import SAMPLES
from .dump import dump_workbook

FORMS_DIR = SAMPLES / "forms"


def _module(name: str):
    spec = importlib.util.spec_from_file_location(name, SAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


forms = _module("forms")


def _one(path: Path, settings: Settings | None = None):
    (dep,), _ = analyze([(path, path.name)], settings or Settings())
    return dep


def _pair(layout: str, tmp_path: Path):
    name = forms.FORMS[layout][0]
    form = _one(FORMS_DIR / name)
    typed = _one(fill_template(tmp_path / f"{layout}-v1.xlsx", forms.transcription(layout)))
    return form, typed


# What the v1 template asks for and the form has no place for: the transcription is told of
# it, the form is not (the form cannot hold it). (code, a word of the message) for each.
NOT_ON_THE_FORM = {
    "national": [("C03", "存在问题"), ("F14", "调整说明"), ("F16", "实际到位资金"), ("F16", "实际到位资金"), ("W04", "预算执行率")],
    "sichuan": [("F14", "调整说明"), ("F16", "实际到位资金"), ("F16", "实际到位资金"), ("W04", "预算执行率")],
    "chongqing": [
        ("C03", "存在问题"),
        ("F14", "调整说明"),
        ("G04", "救助资金按时发放率"),  # no 偏差原因 column in the flat list
        ("G04", "群众办事平均等待时间"),
        ("G06", "一级指标"),  # no 一级 column: its coverage cannot be told
        ("W04", "救助资金按时发放率"),
        ("W04", "群众办事平均等待时间"),
        ("W04", "预算执行率"),
    ],
    "tianjin": [("C03", "存在问题"), ("F14", "调整说明"), ("F16", "实际到位资金"), ("F16", "实际到位资金"), ("W04", "预算执行率")],
}
# What only the form is told: it has no 实际到位资金 column; Sichuan's unfilled text cell.
ONLY_THE_FORM = {
    "national": [("S07", "没有“实际到位资金”列")],
    "sichuan": [("S07", "没有“实际到位资金”列"), ("S07", "填写说明")],
    "chongqing": [("S07", "没有“实际到位资金”列")],
    "tianjin": [("S07", "没有“实际到位资金”列")],
}


@pytest.mark.parametrize("layout", list(forms.FORMS))
def test_a_form_reads_to_the_figures_of_its_transcription(layout, tmp_path):
    form, typed = _pair(layout, tmp_path)
    assert form.data.profile == layout and typed.data.profile == "v1"
    for figure in ("total_score", "grade", "budget", "adjusted", "spent", "execution_rate", "adjustment_rate", "total_weight"):
        assert getattr(form, figure) == getattr(typed, figure), figure
    assert form.total_score == pytest.approx(94.6) and form.grade == "优" and form.execution_rate == pytest.approx(0.96)
    # no 实际到位资金 on the form: unknown, never 0
    assert form.received is None and form.arrival_rate is None and form.balance is None and form.balance_rate is None
    assert sorted((x.name, x.weight, x.score) for x in form.level1) == sorted((x.name, x.weight, x.score) for x in typed.level1)
    assert form.level3_count == typed.level3_count == len(forms.INDICATORS) + 1, "the scored 执行率 block is an indicator"
    assert form.name == forms.NAMES[layout] and form.year == forms.YEAR and form.eval_type == "单位自评"


@pytest.mark.parametrize("layout", list(forms.FORMS))
def test_a_form_gets_the_findings_of_its_transcription_but_for_what_it_has_no_place_for(layout, tmp_path):
    form, typed = _pair(layout, tmp_path)
    on_form = Counter((f.code, f.message) for f in form.findings)
    on_v1 = Counter((f.code, f.message) for f in typed.findings)
    only_v1, only_form = on_v1 - on_form, on_form - on_v1
    assert sorted(code for code, _ in only_v1.elements()) == sorted(code for code, _ in NOT_ON_THE_FORM[layout])
    for code, word in NOT_ON_THE_FORM[layout]:
        assert any(c == code and word in m for c, m in only_v1.elements()), (code, word)
    assert sorted(code for code, _ in only_form.elements()) == sorted(code for code, _ in ONLY_THE_FORM[layout])
    for code, word in ONLY_THE_FORM[layout]:
        assert any(c == code and word in m for c, m in only_form.elements()), (code, word)
    # the findings both get point at the form's own cells
    shared = [f for f in form.findings if (f.code, f.message) in on_v1]
    assert all(f.sheet == "自评表" and f.row > 0 for f in shared if f.code in ("G04", "W04"))
    assert layout == "chongqing" or any(f.code == "G04" for f in shared)
    assert form.status is Status.ACCEPTED


def test_the_national_forms_own_ways_of_writing_are_read_as_meant():
    dep = _one(FORMS_DIR / forms.FORMS["national"][0])
    goals = {row["level3"].text: row for row in dep.data.goals}
    assert "指标1:" not in goals, "the form's unfilled “指标1:” row with “/” is no indicator"
    training = goals["低保对象救助人次"]
    assert (training["nature"].raw, training["target"].number, training["unit"].raw, training["actual"].number) == ("≥", 1200, "人次", 1260)
    assert (goals["单公里养护成本"]["nature"].raw, goals["单公里养护成本"]["target"].number) == ("≤", 3)
    assert goals["基层治理长效机制"]["nature"].raw == "定性" and goals["基层治理长效机制"]["target"].number is None
    assert [n.code for n in dep.data.notes] == ["S07"], "values with their sign and unit inside are the form's convention: no S07 each"
    assert dep.code == forms.CODE and dep.name == forms.NAMES["national"], "“219001-名称” is the unit code, then the name"
    assert dep.data.conclusion["reported_score"].number == pytest.approx(94.6) and "C01" not in {f.code for f in dep.findings}
    assert dep.data.funds_sources == ("本年财政拨款", "上年结转资金", "其他资金")
    assert dep.data.funds_fields["reported_execution_rate"].number == pytest.approx(0.96)


def test_a_printed_instruction_is_not_content_and_a_written_text_is(tmp_path):
    dep = _one(FORMS_DIR / forms.FORMS["sichuan"][0])
    assert [(i["category"].raw, i["content"].text[:6]) for i in dep.data.items] == [("相关建议", "优化救助资金")]
    (c03,) = [f for f in dep.findings if f.code == "C03"]
    assert c03.location == "自评表!B24", "asked for at the form's own 存在问题 cell"


def test_the_whole_department_variant_reads_its_use_rows_and_names_a_row_it_does_not_know(tmp_path):
    """The 部门整体 form's funds split by 收入性质 and 支出性质: 基本支出/项目支出 are read as the
    template's use rows; a source the layout does not list is named (S07), never silently summed."""
    rows, _ = forms.national()
    at = next(i for i, r in enumerate(rows) if r[:1] == ["其他资金"]) + 1
    rows[at:at] = [
        ["政府性基金预算", 50, 50, 50, "-", "-", "-"],
        ["按支出性质分：基本支出", 700, 760, 740, "-", "-", "-"],
        ["项目支出", 500, 590, 556, "-", "-", "-"],
    ]
    dep = _one(_write(tmp_path / "部门整体.xlsx", rows))
    assert dep.data.profile == "national" and dep.total_score == pytest.approx(94.6)
    assert dep.basic_rate == pytest.approx(740 / 760) and dep.project_rate == pytest.approx(556 / 590)
    assert dep.spent == 1296, "the unknown row is not added to the sources"
    (note,) = [f for f in dep.findings if f.code == "S07" and "政府性基金预算" in f.message]
    assert note.location == f"自评表!A{at + 1}"


def test_a_form_without_its_department_name_is_told_where_to_write_it(tmp_path):
    """A near miss of the sample: the row with 部门名称 left out; the form's year comes from its title."""
    rows, _ = forms.national()
    rows = [r for r in rows if r[:1] != ["部门名称"]]
    dep = _one(_write(tmp_path / "无名称.xlsx", rows))
    (f,) = [f for f in dep.findings if f.code == "S05"]
    assert f.sheet == "自评表" and "“部门名称”或“主管部门”" in f.message and dep.year == forms.YEAR
    assert dep.status is Status.PENDING and dep.name == "无名称", "named after its file, never dropped"


def test_a_form_lacking_its_score_column_is_never_scored(tmp_path):
    """A near miss: the national form with its 得分 column left out of the indicator table."""
    rows, merges = forms.national()
    header = next(i for i, r in enumerate(rows) if r[:1] == ["一级指标"])
    for row in rows[header:]:
        del row[6]
    path = _write(tmp_path / "缺得分.xlsx", rows)
    dep = _one(path)
    assert dep.data.profile == "national" and dep.status is Status.UNSCORED and dep.total_score is None and not dep.grade
    assert any(f.code == "S03" and "缺少列“得分”" in f.message for f in dep.findings)


def test_a_flat_list_without_signs_reads_a_plain_number_as_at_least(tmp_path):
    """Chongqing's 定量 with a plain number: the target is a floor (≥), as an expert reads it;
    one with a sign keeps it."""
    rows, _ = forms.chongqing()
    header = next(i for i, r in enumerate(rows) if r[:1] == ["指标名称"])
    rows[header + 1][3] = rows[header + 1][4] = 30  # 道路养护里程, no sign
    dep = _one(_write(tmp_path / "重庆.xlsx", rows))
    goals = {row["level3"].text: row for row in dep.data.goals}
    assert goals["道路养护里程"]["nature"].raw == "≥" and goals["道路养护里程"]["target"].number == 30
    assert goals["单公里养护成本"]["nature"].raw == "≤"


USER_FORM = """
[[profile]]
id = "gansu"
name = "甘肃省部门整体支出绩效自评表（系统导出）"
signature = ["绩效目标完成情况", "年度预算数", "年度执行数", "指标名称", "指标完成值", "自评得分"]

[profile.form]
eval_type = "单位自评"
total = ["合计"]

[profile.form.info]
name = ["单位名称"]
year = ["年度"]

[profile.form.funds]
adjusted = ["年度预算数"]
spent = ["年度执行数"]
total = ["合计"]
sources = []

[profile.form.indicators]
level3 = ["指标名称"]
target = ["指标目标值"]
actual = ["指标完成值"]
weight = ["指标分值"]
score = ["自评得分"]
"""


def test_a_user_written_form_is_read_and_scored(tmp_path):
    profile = tmp_path / "甘肃.toml"
    profile.write_text(USER_FORM, encoding="utf-8")
    rows = [
        ["部门整体支出绩效自评表"],
        ["单位名称", "某县教育局", "年度", 2023],
        ["项目", "年度预算数", "年度执行数"],
        ["合计", 100, 95],
        ["绩效目标完成情况"],
        ["指标名称", "指标目标值", "指标完成值", "指标分值", "自评得分"],
        ["培训人次", "≥50人次", "60人次", 60, 60],
        ["满意度", "≥90%", "95%", 40, 38],
        ["合计", None, None, 100, 98],
    ]
    book = _write(tmp_path / "甘肃自评表.xlsx", rows)
    settings = Settings(profiles=load_file(profile))
    dep = _one(book, settings)
    assert dep.data.profile == "gansu" and dep.name == "某县教育局" and dep.year == 2023
    assert dep.total_score == 98 and dep.grade == "优" and dep.execution_rate == pytest.approx(0.95)
    assert dep.data.conclusion["reported_score"].number == 98
    plain = _one(book)
    assert plain.data.profile == "" and plain.status is Status.UNSCORED, "without the profile it is no known layout"
    shown_plain = CliRunner().invoke(main, ["check", str(book), "--profile", str(profile)])
    assert "表样：甘肃省部门整体支出绩效自评表（系统导出）（按该表样读取）" in shown_plain.output
    res = CliRunner().invoke(main, ["check", str(book), "--json", "--profile", str(profile)])
    (shown,) = json.loads(res.output)["departments"]
    assert res.exit_code == 0 and shown["profile"] == "gansu" and shown["total_score"] == 98 and shown["status"] == "可受理"


def _write(path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自评表"
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_the_committed_sample_forms_are_what_samples_forms_py_describes(tmp_path):
    make = _module("make_forms")
    for name, build in forms.FORMS.values():
        fresh = make.write_form(tmp_path / name, *build())
        assert fresh.read_bytes() == (FORMS_DIR / name).read_bytes(), f"run `python samples/make_forms.py` ({name} is stale)"
    fresh = make.write_weights_in_labels(tmp_path / forms.WEIGHTS_IN_LABELS)
    assert dump_workbook(fresh) == dump_workbook(FORMS_DIR / forms.WEIGHTS_IN_LABELS), "run `python samples/make_forms.py`"
    assert sorted(p.name for p in FORMS_DIR.iterdir()) == sorted([*(n for n, _ in forms.FORMS.values()), forms.WEIGHTS_IN_LABELS])


def test_weights_in_the_labels_read_as_their_transcription_with_a_weight_column(tmp_path):
    """D: "产出指标（60分）" / "数量指标（35分）" / "道路养护里程（15分）", no 分值 column."""
    dep = _one(FORMS_DIR / forms.WEIGHTS_IN_LABELS)
    typed = _one(fill_template(tmp_path / "v1.xlsx", forms.transcription("national")))
    for figure in ("total_score", "grade", "execution_rate", "total_weight", "level3_count"):
        assert getattr(dep, figure) == getattr(typed, figure), figure
    assert dep.status is Status.ACCEPTED and dep.arrival_rate == 1, "its 资金情况 has 实际到位资金 too"
    assert [(x.name, x.weight, x.score) for x in dep.level1] == [(x.name, x.weight, x.score) for x in typed.level1]
    assert [(x.parent, x.name, x.weight) for x in dep.level2] == [(x.parent, x.name, x.weight) for x in typed.level2]
    assert dep.level1[1].name == "产出指标", "the label keeps its name; the weight it states is checked (W11)"
    only = Counter(f.code for f in dep.findings) - Counter(f.code for f in typed.findings)
    assert list(only.elements()) == ["S07"] and "W11" not in {f.code for f in dep.findings}
    gone = Counter(f.code for f in typed.findings) - Counter(f.code for f in dep.findings)
    assert list(gone.elements()) == ["F16", "F16"], "only what the 实际到位资金 it has settles"
