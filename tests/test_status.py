"""Every department has a status, computed once and shown in every output: 未评分 (no score can
be computed: no 得分, 等级 or 排名 anywhere, the reason instead), 待补正 (some 错误: score and grade
provisional, not ranked), 可受理 (ranked)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from perfeval.cli import main
from perfeval.config import Settings
from perfeval.mail import build_outgoing, load_results
from perfeval.model import Status
from perfeval.outputs import SUMMARY_NAME
from perfeval.outputs.summary import OVERVIEW_COLUMNS
from perfeval.pipeline import process

from .conftest import clean_spec
from .test_report import report_text

RUN_DATE = date(2024, 3, 1)


def rename_scores_header(old: str, new: str):
    def post(wb) -> None:
        for row in wb["指标评分"].iter_rows(min_row=1, max_row=3):
            for cell in row:
                if cell.value == old:
                    cell.value = new

    return post


def _spec(name: str, code: str, edit=None) -> dict:
    spec = clean_spec()
    spec["基本信息"].update({"部门名称": name, "部门编码": code})
    if edit:
        edit(spec)
    return spec


def _blank_scores(spec: dict) -> None:
    for row in spec["指标评分"]:
        row["得分"] = None


def _spent_over_received(spec: dict) -> None:  # F02, an 错误
    row = spec["资金情况"]["rows"]["省级资金"]
    row["实际支出资金"], row["结余资金"] = row["实际到位资金"] + 100, -100.0


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("status")
    inbox = tmp / "inbox"
    inbox.mkdir()
    from perfeval.fill import fill_template

    fill_template(inbox / "1_clean.xlsx", _spec("甲局", "A"))
    fill_template(inbox / "2_clean.xlsx", _spec("乙局", "B"))
    fill_template(inbox / "3_blank.xlsx", _spec("丙局", "C", _blank_scores))
    fill_template(inbox / "5_error.xlsx", _spec("戊局", "E", _spent_over_received))
    import openpyxl

    fill_template(inbox / "4_header.xlsx", _spec("丁局", "D"))
    wb = openpyxl.load_workbook(inbox / "4_header.xlsx")
    rename_scores_header("分值", "权重说明")(wb)
    wb.save(inbox / "4_header.xlsx")
    out = tmp / "out"
    result = process(inbox, out, Settings(), RUN_DATE)
    return result, out, {d.name: d for d in result.departments}


def test_each_department_gets_its_status(run):
    _, _, deps = run
    assert {n: d.status for n, d in deps.items()} == {
        "甲局": Status.ACCEPTED,
        "乙局": Status.ACCEPTED,
        "丙局": Status.UNSCORED,
        "丁局": Status.UNSCORED,
        "戊局": Status.PENDING,
    }
    assert "得分为空" in deps["丙局"].status_reason and "指标评分!" in deps["丙局"].status_reason
    assert "缺少“分值”列" in deps["丁局"].status_reason
    assert "错误" in deps["戊局"].status_reason


def test_unscored_departments_have_no_score_grade_or_rank(run):
    _, _, deps = run
    for name in ("丙局", "丁局"):
        d = deps[name]
        assert (d.total_score, d.grade, d.rank) == (None, "", None), name
        assert all(x.score is None for x in d.level1), name


def test_only_accepted_departments_are_ranked(run):
    _, _, deps = run
    assert deps["甲局"].rank == deps["乙局"].rank == 1
    assert deps["戊局"].rank is None and deps["戊局"].total_score is not None and deps["戊局"].grade


def test_a_missing_weight_column_is_one_finding_not_a_cascade(run):
    """S03 names the missing 分值 column; no W03 "Σ分值 = 0" follows from it."""
    _, _, deps = run
    codes = [f.code for f in deps["丁局"].findings]
    assert "S03" in codes and "W03" not in codes


def test_the_summary_shows_status_and_hides_what_was_not_computed(run):
    _, out, _ = run
    rows = CalamineWorkbook.from_path(str(out / SUMMARY_NAME)).get_sheet_by_name("总览").to_python()
    header = [str(x) for x in rows[3]]
    assert header[: len(OVERVIEW_COLUMNS) - 2] == [c for c, _ in OVERVIEW_COLUMNS[:-2]], "existing columns stay where they were"
    col = {c: header.index(c) for c in ("部门名称", "评价得分", "评价等级", "排名", "评价状态", "状态说明")}
    by_name = {r[col["部门名称"]]: r for r in rows[4:9]}
    assert by_name["丙局"][col["评价状态"]] == "未评分" and by_name["丙局"][col["状态说明"]]
    assert [by_name["丙局"][col[c]] for c in ("评价得分", "评价等级", "排名")] == ["", "", ""]
    assert by_name["戊局"][col["评价状态"]] == "待补正" and by_name["戊局"][col["排名"]] == ""
    assert by_name["甲局"][col["评价状态"]] == "可受理" and by_name["甲局"][col["排名"]] == 1


def test_the_results_json_and_check_show_the_status(run, tmp_path):
    _, out, _ = run
    data = json.loads((out / "perfeval-results.json").read_text(encoding="utf-8"))
    by_name = {d["name"]: d for d in data["departments"]}
    assert by_name["丙局"]["status"] == "未评分" and by_name["丙局"]["total_score"] is None and by_name["丙局"]["grade"] == ""
    assert by_name["戊局"]["status"] == "待补正" and by_name["戊局"]["rank"] is None
    assert data["totals"]["statuses"] == {"可受理": 2, "待补正": 1, "未评分": 2}
    r = CliRunner().invoke(main, ["check", str(out.parent / "inbox" / "3_blank.xlsx")])
    assert "状态：未评分" in r.output and "评价得分 —" in r.output
    r = CliRunner().invoke(main, ["check", str(out.parent / "inbox" / "5_error.xlsx")])
    assert "状态：待补正" in r.output and "（暂定）" in r.output


def test_the_department_workbook_and_report_carry_the_status(run):
    _, out, deps = run
    for name, banner in (("丙局", "【未评分】"), ("戊局", "【待补正】"), ("甲局", None)):
        d = deps[name]
        rows = CalamineWorkbook.from_path(str(out / d.outputs["workbook"])).get_sheet_by_index(0).to_python()
        cells = [str(x) for row in rows for x in row]
        assert d.status.value in cells, name
        assert (banner is None) == (not any(c.startswith("【") for c in cells)), name
        text = report_text(Path(out / d.outputs["report"]))
        if banner:
            assert banner in text, name
        else:
            assert "【" not in text.split("一、")[0], name
    unscored = report_text(out / deps["丙局"].outputs["report"])
    assert "【未评分】" in unscored and "评价等级为" not in unscored and "得分暂无法计算" in unscored
    pending = report_text(out / deps["戊局"].outputs["report"])
    assert "（暂定）" in pending and "暂定评价等级" in pending


def test_mail_drafts_state_the_status(run):
    _, out, _ = run
    messages, _ = build_outgoing(out, load_results(out), None)
    bodies = {m.name: m.body for m in messages}
    assert "评价状态：未评分" in bodies["丙局"] and "评价得分：—" in bodies["丙局"]
    assert "评价状态：待补正" in bodies["戊局"] and "（暂定）" in bodies["戊局"]
    assert "评价状态：可受理" in bodies["甲局"]


def test_the_summary_marks_provisional_scores_beside_the_scores(run):
    """指标得分 carries the status in a column of its own (appended), and the 统计 chart's
    categories say which scores are provisional."""
    _, out, _ = run
    book = CalamineWorkbook.from_path(str(out / SUMMARY_NAME))
    scores = book.get_sheet_by_name("指标得分").to_python()
    status_col = [str(x) for x in scores[3]].index("评价状态")
    by_name = {r[0]: r[status_col] for r in scores[5:10]}
    assert by_name == {"甲局": "可受理", "乙局": "可受理", "丙局": "未评分", "丁局": "未评分", "戊局": "待补正"}
    stats = [str(x) for row in book.get_sheet_by_name("统计").to_python() for x in row]
    assert "戊局（暂定）" in stats and "甲局" in stats and "甲局（暂定）" not in stats
