"""The results history (issue #16): each department-year recorded in SQLite, compared with its
latest earlier year in every output (比较法), and refused clearly when it cannot be used."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import openpyxl
import pytest
from click.testing import CliRunner

from perfeval import historydb as H
from perfeval.cli import main
from perfeval.config import Settings
from perfeval.outputs import SUMMARY_NAME
from perfeval.outputs import summary as S
from perfeval.outputs.report import comparison_text
from perfeval.pipeline import process

from .conftest import clean_spec

CODE = "LZXQ-0302"


def year_spec(year: int, spent_city: float, score_drop: float = 0.0):
    """The clean department in `year`, with its 市级资金 spending and one 三级 score changed."""
    spec = clean_spec()
    spec["基本信息"]["评价年度"] = year
    spec["基本信息"]["评价范围"] = f"兰州新区文化和旅游局{year}年度部门全年预算资金。"
    spec["资金情况"]["rows"]["市级资金"]["实际支出资金"] = spent_city
    spec["资金情况"]["rows"]["市级资金"]["结余资金"] = round(3350.0 - spent_city, 2)
    spec["资金情况"]["fields"].pop("报告预算执行率", None)
    row = next(r for r in spec["指标评分"] if isinstance(r, dict) and r.get("得分") is not None and r.get("分值", 0) >= 2)
    row["得分"] = row["得分"] - score_drop
    return spec


@pytest.fixture
def two_years(tmp_path, make_workbook):
    """2022 processed, then 2023, into one history."""
    history = tmp_path / "h.sqlite"
    make_workbook(year_spec(2022, 2750.5, score_drop=2), name="文旅.xlsx", folder=tmp_path / "in2022")
    make_workbook(year_spec(2023, 3290.5), name="文旅.xlsx", folder=tmp_path / "in2023")
    r22 = process(tmp_path / "in2022", tmp_path / "out2022", Settings(), date(2023, 3, 1), reports=True, history=history)
    r23 = process(tmp_path / "in2023", tmp_path / "out2023", Settings(), date(2024, 3, 1), reports=True, history=history)
    return tmp_path, history, r22, r23


def test_a_later_year_is_compared_with_the_earlier_one_in_every_output(two_years):
    tmp_path, history, r22, r23 = two_years
    (d22,), (d23,) = r22.departments, r23.departments
    assert d22.previous is None and not r22.history_error and r22.history_recorded == 1
    assert d23.previous is not None and d23.previous.year == 2022
    assert d23.previous.total_score == pytest.approx(d22.total_score)
    assert d23.total_score - d22.total_score == pytest.approx(2)
    assert d23.execution_rate > d22.execution_rate

    # 总览: the four 比较 columns after 提示数, blank in the first year
    names = [c for c, _ in S.OVERVIEW_COLUMNS]
    for out, dep, filled in ((tmp_path / "out2022", d22, False), (tmp_path / "out2023", d23, True)):
        ws = openpyxl.load_workbook(out / SUMMARY_NAME)["总览"]
        header = [c.value for c in ws[S.TABLE_HEADER + 1]]
        assert header[: len(names)] == names and header[21:25] == ["上年得分", "得分变化", "上年预算执行率", "执行率变化"]
        row = [c.value for c in ws[S.TABLE_HEADER + 2]]
        if filled:
            assert row[21] == pytest.approx(d22.total_score) and row[22] == pytest.approx(2)
            assert row[23] == pytest.approx(d22.execution_rate)
            assert row[24] == pytest.approx(dep.execution_rate - d22.execution_rate)
            assert ws.cell(S.TABLE_HEADER + 2, 23).number_format == S.CHANGE_FORMAT
        else:
            assert row[21:25] == [None, None, None, None]

    # 历年对比: the department's years, the earliest first, with the changes
    ws = openpyxl.load_workbook(tmp_path / "out2023" / SUMMARY_NAME)[S.YEARS_SHEET]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=S.TABLE_HEADER + 2, values_only=False)]
    assert [(r[2], r[10]) for r in rows] == [(2022, "历史记录"), (2023, "本次处理")]
    assert rows[0][8] is None and rows[1][8] == pytest.approx(2)
    assert rows[1][9] == pytest.approx(d23.execution_rate - d22.execution_rate)

    # the report's verdict says how the department moved
    sentence = comparison_text(d23)
    assert sentence.startswith("得分较上年提高2分，预算执行率由上年的") and "升至" in sentence
    from docx import Document

    text = "\n".join(p.text for p in Document(tmp_path / "out2023" / d23.outputs["report"]).paragraphs)
    assert sentence in text
    assert "较上年" not in "\n".join(p.text for p in Document(tmp_path / "out2022" / d22.outputs["report"]).paragraphs)

    # the results JSON
    dep = json.loads((tmp_path / "out2023" / "perfeval-results.json").read_text(encoding="utf-8"))["departments"][0]
    assert dep["previous"]["year"] == 2022 and dep["previous"]["score_change"] == pytest.approx(2)
    assert [y["year"] for y in dep["previous"]["years"]] == [2022]


def test_processing_a_year_again_replaces_its_record(two_years, tmp_path):
    tmp_path, history, _, r23 = two_years
    again = process(tmp_path / "in2023", tmp_path / "out2023", Settings(), date(2024, 3, 2), reports=False, history=history)
    assert again.departments[0].previous.year == 2022, "the same year never compares with itself"
    with H.History(history) as h:
        years = h.years(H.department_key(CODE, ""))
        assert [y.year for y in years] == [2022, 2023]
        assert years[1].total_score == pytest.approx(r23.departments[0].total_score)
        runs = h.runs()
    assert [r["run_date"] for r in runs] == ["2023-03-01", "2024-03-01", "2024-03-02"]
    assert all(r["departments"] == 1 and r["recorded"] == 1 for r in runs)
    db = sqlite3.connect(history)
    assert db.execute("SELECT count(*) FROM results WHERE year = 2023").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM level1 WHERE year = 2023").fetchone()[0] == len(r23.departments[0].level1)
    db.close()


def test_a_department_without_a_code_is_known_by_its_name():
    assert H.department_key(" LZXQ 0302 ", "任何名称") == "编码:LZXQ0302"
    assert H.department_key("", "兰州新区 文化和旅游局") == "名称:兰州新区文化和旅游局"
    assert H.department_key("", "") == ""


def run_cli(args):
    return CliRunner().invoke(main, args, catch_exceptions=False)


def test_the_cli_keeps_the_history_beside_the_outputs_and_can_do_without(tmp_path, make_workbook):
    make_workbook(year_spec(2023, 3290.5), name="文旅.xlsx", folder=tmp_path / "in")
    res = run_cli(["process", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "-q"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / H.DEFAULT_NAME).is_file() and "历史记录：" in res.output
    assert S.YEARS_SHEET in openpyxl.load_workbook(tmp_path / "out" / SUMMARY_NAME).sheetnames
    res = run_cli(["process", str(tmp_path / "in"), "-o", str(tmp_path / "out2"), "-q", "--no-history", "--history", str(tmp_path / "x")])
    assert res.exit_code == 2
    res = run_cli(["process", str(tmp_path / "in"), "-o", str(tmp_path / "out2"), "-q", "--no-history"])
    assert res.exit_code == 0 and "历史记录" not in res.output
    assert S.YEARS_SHEET not in openpyxl.load_workbook(tmp_path / "out2" / SUMMARY_NAME).sheetnames


def test_a_damaged_history_is_a_clear_error_and_the_outputs_are_written(tmp_path, make_workbook):
    make_workbook(year_spec(2023, 3290.5), name="文旅.xlsx", folder=tmp_path / "in")
    bad = tmp_path / "h.sqlite"
    bad.write_bytes(b"this is not a database " * 200)
    res = run_cli(["process", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "-q", "--history", str(bad)])
    assert res.exit_code == 3
    assert "已损坏" in res.output and str(bad) in res.output
    assert (tmp_path / "out" / SUMMARY_NAME).is_file() and (tmp_path / "out" / "findings.csv").is_file()
    assert bad.read_bytes() == b"this is not a database " * 200, "a damaged history is never written over"
    results = json.loads((tmp_path / "out" / "perfeval-results.json").read_text(encoding="utf-8"))
    assert "已损坏" in results["history"]["error"]


def test_a_history_another_program_holds_locked_is_a_clear_error(tmp_path, make_workbook, monkeypatch):
    history = tmp_path / "h.sqlite"
    H.History(history).close()
    holder = sqlite3.connect(history, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(H.HistoryError, match="正被另一个程序占用"):
            H.History(history, timeout=0.1).years()
        monkeypatch.setattr(H, "LOCK_WAIT", 0.1)
        make_workbook(year_spec(2023, 3290.5), name="文旅.xlsx", folder=tmp_path / "in")
        result = process(tmp_path / "in", tmp_path / "out", Settings(), date(2024, 3, 1), reports=False, history=history)
        assert "正被另一个程序占用" in result.history_error and result.history_recorded == 0
        assert (tmp_path / "out" / SUMMARY_NAME).is_file()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with H.History(history) as h:
        assert h.years() == [], "nothing was recorded while it was locked"


def test_a_history_of_a_newer_perfeval_is_refused(tmp_path):
    history = tmp_path / "h.sqlite"
    H.History(history).close()
    db = sqlite3.connect(history)
    db.execute(f"PRAGMA user_version = {H.SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(H.HistoryError, match="更新版本的 perfeval"):
        H.History(history)


def test_a_history_of_an_earlier_perfeval_is_migrated_after_a_copy_is_kept(tmp_path):
    """A file of schema 1 (before the 评价结论 texts were kept): copied beside itself, then
    given the steps it lacks; its records stay and can be compared with."""
    history = tmp_path / "h.sqlite"
    db = sqlite3.connect(history)
    db.executescript(H.MIGRATIONS[0])
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO runs VALUES (1, '2023-03-01T10:00:00+08:00', '2023-03-01', '/in', '/out', 1, 1, 0, 0, 0, '0.1.0')")
    db.execute(
        "INSERT INTO results VALUES ('编码:A', 2022, '甲局', 'A', '甲局.xlsx', '00', 'v1', '可受理', '', 88.5, 100, '良', 1,"
        " 100, NULL, 100, 90, 10, 1.0, 0.9, 0, 0, 0, 1)"
    )
    db.commit()
    db.close()
    assert H.SCHEMA_VERSION > 1
    with H.History(history) as h:
        assert h.backup == history.with_name(f"{history.name}.v1.bak") and h.backup.is_file()
        assert h.db.execute("PRAGMA user_version").fetchone()[0] == H.SCHEMA_VERSION
        (before,) = h.earlier("编码:A", 2023)
        assert (before.year, before.total_score, before.grade, before.texts) == (2022, 88.5, "良", ())
    copy = sqlite3.connect(history.with_name(f"{history.name}.v1.bak"))
    assert copy.execute("PRAGMA user_version").fetchone()[0] == 1
    assert copy.execute("SELECT name FROM sqlite_master WHERE name = 'texts'").fetchall() == []
    copy.close()


def test_a_sqlite_file_that_is_not_a_history_is_refused(tmp_path):
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    with pytest.raises(H.HistoryError, match="不是 perfeval 的历史记录"):
        H.History(other)


def _rows(spec):
    return [r for r in spec["指标评分"] if isinstance(r, dict) and r.get("三级指标")]


def test_what_last_year_already_pointed_out_is_marked_in_every_output(tmp_path, make_workbook):
    """整改: a finding given again at the same place is marked 上年已指出 (one at another place
    is not), and a 存在问题 written again is a B05; the report's 相关建议 takes them up."""
    history = tmp_path / "h.sqlite"
    s22, s23 = year_spec(2022, 2750.5), year_spec(2023, 3290.5)
    for spec in (s22, s23):
        _rows(spec)[2]["扣分原因"] = ""  # 绩效目标合理性: points lost, no reason given, both years
    _rows(s22)[1].update({"得分": 2.5})  # 预算编制科学性: only in 2022
    _rows(s23)[3].update({"得分": 2.5})  # 资金使用合规性: only in 2023
    make_workbook(s22, name="文旅.xlsx", folder=tmp_path / "in2022")
    make_workbook(s23, name="文旅.xlsx", folder=tmp_path / "in2023")
    r22 = process(tmp_path / "in2022", tmp_path / "out2022", Settings(), date(2023, 3, 1), reports=False, history=history)
    r23 = process(tmp_path / "in2023", tmp_path / "out2023", Settings(), date(2024, 3, 1), reports=True, history=history)
    (d,) = r23.departments
    w04 = {f.location: f.previously for f in d.findings if f.code == "W04"}
    assert len(w04) == 2 and sorted(w04.values(), key=str) == [2022, None], w04
    told = {(f.code, f.location) for f in r22.findings}
    repeated = [f for f in d.findings if f.previously is not None]
    assert {(f.code, f.location) for f in repeated} == {(f.code, f.location) for f in d.findings} & told
    assert all(f in r23.findings for f in repeated), "the run's list holds the marked findings too"
    b05 = [f for f in d.findings if f.code == "B05"]
    assert {f.filled for f in b05} == {"预算执行进度前松后紧，第四季度支出占比偏高", "加强预算执行进度管理，均衡支出"}

    out = tmp_path / "out2023"
    ws = openpyxl.load_workbook(out / SUMMARY_NAME)["总览"]
    assert ws.cell(S.TABLE_HEADER + 1, 26).value == "上年已指出数" and ws.cell(S.TABLE_HEADER + 2, 26).value == len(repeated)
    ws = openpyxl.load_workbook(out / SUMMARY_NAME)["异常清单"]
    assert ws.cell(S.FINDINGS_HEADER + 1, 11).value == "上年已指出"
    marks = [ws.cell(r, 11).value for r in range(S.FINDINGS_HEADER + 2, ws.max_row + 1) if ws.cell(r, 5).value == "W04"]
    assert sorted(marks, key=str) == ["2022 年已指出", None]
    rows = (out / "findings.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].endswith(",上年已指出") and sum(1 for line in rows if line.endswith(",2022")) == len(repeated)
    book = openpyxl.load_workbook(out / d.outputs["workbook"])["需要修改的问题"]
    assert f"其中 {len(repeated)} 条上年评价已经指出" in book["A2"].value
    from perfeval.outputs.xlsxkit import display_width

    assert book.column_dimensions["I"].width >= display_width("2022 年已指出") + 1, "the mark fits its column (never spills)"
    assert [book.cell(r, 9).value for r in range(5, book.max_row + 1) if book.cell(r, 3).value == "W04"].count("2022 年已指出") == 1
    from docx import Document

    text = "\n".join(p.text for p in Document(out / d.outputs["report"]).paragraphs)
    sentence = next(line for line in text.splitlines() if "2022年度评价已经指出的" in line)
    assert "“预算执行进度前松后紧，第四季度支出占比偏高”" in sentence and "本年仍然存在" in sentence
    assert "扣分原因”" in sentence or "等 " in sentence  # W04 named, or counted where more than three


def test_without_an_earlier_year_nothing_is_marked(tmp_path, make_workbook):
    spec = year_spec(2023, 3290.5)
    _rows(spec)[2]["扣分原因"] = ""
    make_workbook(spec, name="文旅.xlsx", folder=tmp_path / "in")
    r = process(tmp_path / "in", tmp_path / "out", Settings(), date(2024, 3, 1), reports=False, history=tmp_path / "h.sqlite")
    assert any(f.code == "W04" for f in r.findings) and all(f.previously is None for f in r.findings)
    assert not any(f.code == "B05" for f in r.findings)
    ws = openpyxl.load_workbook(tmp_path / "out" / SUMMARY_NAME)["总览"]
    assert ws.cell(S.TABLE_HEADER + 2, 26).value is None, "no earlier year: unknown, not 0"


def test_the_department_reads_how_it_moved_in_its_own_workbook(two_years):
    tmp_path, _, r22, r23 = two_years
    for result, out, shown in ((r22, "out2022", False), (r23, "out2023", True)):
        (d,) = result.departments
        ws = openpyxl.load_workbook(tmp_path / out / d.outputs["workbook"])["评价结果"]
        rows = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0]}
        assert ("与往年比较" in rows) is shown
        if shown:
            assert rows["与往年比较"] == comparison_text(d) and rows["与往年比较"].startswith("得分较上年提高2分")


def test_a_department_that_gains_a_code_is_compared_with_its_years_without_one(tmp_path, make_workbook):
    """2022 typed without a 部门编码 (recorded by name), 2023 with one: still compared."""
    s22, s23 = year_spec(2022, 2750.5, score_drop=2), year_spec(2023, 3290.5)
    s22["基本信息"]["部门编码"] = ""
    make_workbook(s22, name="文旅.xlsx", folder=tmp_path / "in2022")
    make_workbook(s23, name="文旅.xlsx", folder=tmp_path / "in2023")
    history = tmp_path / "h.sqlite"
    process(tmp_path / "in2022", tmp_path / "out2022", Settings(), date(2023, 3, 1), reports=False, history=history)
    (d,) = process(tmp_path / "in2023", tmp_path / "out2023", Settings(), date(2024, 3, 1), reports=False, history=history).departments
    assert d.previous is not None and d.previous.year == 2022 and d.previous.code == ""
    other = year_spec(2023, 3290.5)
    other["基本信息"].update({"部门名称": "兰州新区另一个局", "部门编码": "X-1"})  # a near miss: another name, no earlier year
    make_workbook(other, name="另一个.xlsx", folder=tmp_path / "in-other")
    (o,) = process(tmp_path / "in-other", tmp_path / "out-other", Settings(), date(2024, 3, 1), reports=False, history=history).departments
    assert o.previous is None
