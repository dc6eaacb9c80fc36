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
        assert header[:25] == names and header[21:25] == ["上年得分", "得分变化", "上年预算执行率", "执行率变化"]
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


def test_a_history_of_an_earlier_perfeval_is_migrated_after_a_copy_is_kept(two_years, monkeypatch):
    """A step added to MIGRATIONS (as a later release adds one) runs on a file at the current
    version, after the file is copied beside itself; its records stay."""
    tmp_path, history, _, _ = two_years
    old_version = H.SCHEMA_VERSION
    monkeypatch.setattr(H, "MIGRATIONS", (*H.MIGRATIONS, "CREATE TABLE notes (key TEXT, year INTEGER, text TEXT)"))
    monkeypatch.setattr(H, "SCHEMA_VERSION", old_version + 1)
    with H.History(history) as h:
        assert h.backup == history.with_name(f"{history.name}.v{old_version}.bak") and h.backup.is_file()
        assert [y.year for y in h.years()] == [2022, 2023]
        assert h.db.execute("PRAGMA user_version").fetchone()[0] == old_version + 1
        h.db.execute("SELECT * FROM notes").fetchall()
    copy = sqlite3.connect(history.with_name(f"{history.name}.v{old_version}.bak"))
    assert copy.execute("PRAGMA user_version").fetchone()[0] == old_version
    assert copy.execute("SELECT count(*) FROM results").fetchone()[0] == 2
    copy.close()


def test_a_sqlite_file_that_is_not_a_history_is_refused(tmp_path):
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    with pytest.raises(H.HistoryError, match="不是 perfeval 的历史记录"):
        H.History(other)
