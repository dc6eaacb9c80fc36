"""The analysts' interface: a run's results and the results history as pandas DataFrames
(perfeval.load, perfeval.history), and `perfeval history` on the terminal and as an .xlsx.

The data is made by running the library: workbooks filled from the sample specs, processed for
评价年度 2022 and then 2023 into one history."""

from __future__ import annotations

import importlib.util
import io
import json
import math
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

import perfeval
from perfeval import api
from perfeval.config import Settings
from perfeval.history_cmd import XLSX_COLUMNS, YEAR_HEADER, history_command, xlsx_bytes
from perfeval.historydb import DEFAULT_NAME, History, HistoryError, YearRecord
from perfeval.model import Finding, Severity
from perfeval.pipeline import process
from perfeval.values import format_number, format_rate

from .conftest import CLEAN_FILE, INBOX, ROOT, clean_spec

# 甲局 and 乙局 are evaluated both years; 丙局, with no 部门编码, only in 2023. In 2023 乙局 has an
# 错误 (more spent than received): 待补正, not ranked
DEPARTMENTS = {2022: (("甲局", "A"), ("乙局", "B")), 2023: (("甲局", "A"), ("乙局", "B"), ("丙局", ""))}
RUN_DATES = {2022: date(2023, 3, 1), 2023: date(2024, 3, 1)}
# the department's own columns; the ones after them come from its "previous"
OWN = api.DEPARTMENT_COLUMNS[: [c.name for c in api.DEPARTMENT_COLUMNS].index("previous_year")]


@dataclass
class TwoYears:
    root: Path
    history: Path
    outdirs: dict[int, Path]
    inboxes: dict[int, Path]

    def json(self, year: int) -> dict[str, Any]:
        return json.loads((self.outdirs[year] / api.RESULTS_NAME).read_text(encoding="utf-8"))


def _spec(name: str, code: str, year: int) -> dict[str, Any]:
    spec = clean_spec()
    spec["基本信息"].update({"部门名称": name, "部门编码": code, "评价年度": year})
    if year == 2022:  # a point less than in 2023: the score moves between the years
        spec["指标评分"][1]["得分"] -= 1
    if (name, year) == ("乙局", 2023):  # F02, an 错误
        row = spec["资金情况"]["rows"]["省级资金"]
        row["实际支出资金"], row["结余资金"] = row["实际到位资金"] + 100, -100.0
    return spec


def _process(inbox: Path, outdir: Path, history: Path, run_date: date):
    result = process(inbox, outdir, Settings(), run_date, reports=False, history=history)
    assert result.history_error == ""
    return result


@pytest.fixture(scope="module")
def years(tmp_path_factory) -> TwoYears:
    """Made once for the module (as conftest's make_workbook makes a workbook: the template
    filled from a spec); the tests only read it, or write beside it."""
    from perfeval.fill import fill_template

    root = tmp_path_factory.mktemp("years")
    history = root / "h.sqlite"
    data = TwoYears(root, history, {}, {})
    for year, departments in DEPARTMENTS.items():
        inbox = data.inboxes[year] = root / f"inbox{year}"
        inbox.mkdir()
        for name, code in departments:
            fill_template(inbox / f"{name}.xlsx", _spec(name, code, year))
        data.outdirs[year] = root / f"out{year}"
        _process(inbox, data.outdirs[year], history, RUN_DATES[year])
    return data


def blank(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def same(cell: Any, value: Any) -> bool:
    """A DataFrame cell holds what the JSON or the history says: blank where it is null."""
    if value is None:
        return blank(cell)
    if blank(cell):
        return False
    if isinstance(value, float):
        return cell == pytest.approx(value, abs=1e-9)
    return cell == value


def _assert_frame_matches(frame: pd.DataFrame, records: list[dict[str, Any]], columns: tuple[api.Column, ...]) -> None:
    assert list(frame.columns) == [c.name for c in columns]
    assert len(frame) == len(records)
    for i, record in enumerate(records):
        for c in columns:
            assert same(frame.at[i, c.name], record.get(c.key)), (i, c.name, frame.at[i, c.name], record.get(c.key))


# --- load --------------------------------------------------------------------------------


def test_departments_frame_matches_the_results_json(years):
    for year in DEPARTMENTS:
        data = years.json(year)
        r = perfeval.load(years.outdirs[year])
        assert r.run_date == RUN_DATES[year] and r.raw == data and r.path == years.outdirs[year] / api.RESULTS_NAME
        _assert_frame_matches(r.departments[[c.name for c in OWN]], data["departments"], OWN)
        # every scalar key of a department's JSON is a column, under its own name
        scalar = {k for d in data["departments"] for k, v in d.items() if not isinstance(v, dict | list) and k != "previous"}
        assert scalar <= set(r.departments.columns)
        assert sorted(r.departments["name"]) == sorted(name for name, _ in DEPARTMENTS[year])
        assert set(r.departments["year"]) == {year}
        assert str(r.departments["year"].dtype) == "Int64" and str(r.departments["total_score"].dtype) == "float64"


def test_unknown_numbers_stay_blank_never_zero(years):
    r = perfeval.load(years.outdirs[2023])
    data = years.json(2023)
    nulls = [(i, c.name) for i, d in enumerate(data["departments"]) for c in OWN if d.get(c.key) is None]
    assert nulls  # 调整后预算 left out, 排名 of a department 待补正 … : some figure is unknown
    for i, name in nulls:
        assert blank(r.departments.at[i, name]), name
    # the shipped samples include a department that cannot be scored: no score, no grade, no rank
    out = years.root / "samples-out"
    process(INBOX, out, Settings(), date(2024, 3, 1), reports=False)
    samples = perfeval.load(out)
    unscored = samples.departments[samples.departments["status"] == "未评分"]
    assert len(unscored) >= 1
    assert unscored["total_score"].isna().all() and unscored["rank"].isna().all() and unscored["score_rate"].isna().all()
    assert (unscored["grade"] == "").all()
    assert samples.indicators[samples.indicators["department"].isin(unscored["name"])]["score"].isna().all()
    _assert_frame_matches(
        samples.findings, json.loads((out / api.RESULTS_NAME).read_text(encoding="utf-8"))["findings"], api.FINDING_COLUMNS
    )


def test_previous_year_columns(years):
    first = perfeval.load(years.outdirs[2022]).departments.set_index("name")
    second = perfeval.load(years.outdirs[2023]).departments.set_index("name")
    previous = [c.name for c in api.DEPARTMENT_COLUMNS if c.name.startswith("previous_") or c.name.endswith("_change")]
    assert len(previous) == 7
    assert first[previous].isna().all().all()  # 2022: no earlier year recorded
    assert second.loc["丙局", previous].isna().all()  # first recorded in 2023
    by_name = {d["name"]: d["previous"] for d in years.json(2023)["departments"]}
    for name in ("甲局", "乙局"):
        row, was = second.loc[name], first.loc[name]
        assert row["previous_year"] == 2022 == by_name[name]["year"]
        assert row["previous_score"] == pytest.approx(was["total_score"]) and row["previous_grade"] == was["grade"]
        assert row["previous_status"] == was["status"]
        assert row["previous_execution_rate"] == pytest.approx(was["execution_rate"])
        assert row["score_change"] == pytest.approx(row["total_score"] - was["total_score"]) == by_name[name]["score_change"]
        assert row["score_change"] == pytest.approx(1.0)  # the point taken off in 2022
        # the JSON's figures are rounded to 6 decimals
        assert row["execution_rate_change"] == by_name[name]["execution_rate_change"]
        assert row["execution_rate_change"] == pytest.approx(row["execution_rate"] - was["execution_rate"], abs=2e-6)
    assert second.loc["甲局", "execution_rate_change"] == 0  # the same rate both years: 0, known (not blank)


def test_findings_frame(years):
    data = years.json(2023)
    r = perfeval.load(years.outdirs[2023])
    sample = Finding("F01", Severity.ERROR, "甲局", "甲局.xlsx", "资金情况", 9, 5, "说明")
    assert [c.name for c in api.FINDING_COLUMNS] == list(sample.as_dict())
    assert any(f["severity"] == "错误" and f["department"] == "乙局" for f in data["findings"])
    _assert_frame_matches(r.findings, data["findings"], api.FINDING_COLUMNS)
    counts = r.findings.groupby(["department", "severity"]).size()
    for d in data["departments"]:
        assert counts.get((d["name"], "错误"), 0) == d["errors"] and counts.get((d["name"], "警告"), 0) == d["warnings"]


def test_indicators_frame(years):
    data = years.json(2023)
    r = perfeval.load(years.outdirs[2023])
    expected = [
        {"department": d["name"], "code": d["code"], "file": d["file"], "year": d["year"], **level}
        for d in data["departments"]
        for level in d["level1"]
    ]
    assert len(expected) >= 3 * 5
    _assert_frame_matches(r.indicators, expected, api.INDICATOR_COLUMNS)
    totals = r.indicators.groupby("department")["score"].sum()
    for _, d in r.departments.iterrows():
        assert totals[d["name"]] == pytest.approx(d["total_score"])


def test_load_takes_the_json_file_itself(years):
    path = years.outdirs[2023] / api.RESULTS_NAME
    assert perfeval.load(path).raw == perfeval.load(str(years.outdirs[2023])).raw


def test_load_refuses_what_is_not_perfevals(tmp_path):
    with pytest.raises(FileNotFoundError, match="没有运行结果"):
        perfeval.load(tmp_path / "nowhere")
    with pytest.raises(api.ResultsNotFound, match="没有运行结果"):
        perfeval.load(tmp_path)
    results = tmp_path / api.RESULTS_NAME
    for text, why in (
        ('{"departments": [{"total_score": NaN}], "findings": []}', "JSON"),
        ('{"departments": [], "findings": [], "x": Infinity}', "JSON"),
        ("[1, 2]", "departments"),
        ('{"departments": [1], "findings": []}', "departments"),
        ('{"departments": []}', "departments"),
    ):
        results.write_text(text, encoding="utf-8")
        with pytest.raises(ValueError, match=why) as caught:
            perfeval.load(tmp_path)
        assert "不是 perfeval 的运行结果" in str(caught.value)
    results.write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(api.NotResults, match="不是 perfeval 的运行结果"):
        perfeval.load(tmp_path)


# --- history -----------------------------------------------------------------------------


def test_history_frame_has_one_row_per_department_year(years):
    frame = perfeval.history(years.history)
    assert list(frame.columns) == [c.name for c in api.HISTORY_COLUMNS]
    assert len(frame) == sum(len(d) for d in DEPARTMENTS.values())
    assert not frame.duplicated(["key", "year"]).any()
    assert list(zip(frame["key"], frame["year"], strict=True)) == sorted(zip(frame["key"], frame["year"], strict=True))
    assert set(frame.loc[frame["name"] == "丙局", "key"]) == {"名称:丙局"} and set(frame.loc[frame["name"] == "甲局", "key"]) == {"编码:A"}
    with History(years.history) as h:
        records = h.years()
        runs = {run["id"]: run["run_date"] for run in h.runs()}
    fields = ("key", "year", "name", "code", "file", "status", "total_score", "grade", "rank", "budget", "spent", "arrival_rate")
    for i, record in enumerate(records):
        for name in (*fields, "execution_rate", "errors", "warnings"):
            assert same(frame.at[i, name], getattr(record, name)), (i, name)
        assert frame.at[i, "run_date"] == runs[frame.at[i, "run_id"]] == RUN_DATES[record.year].isoformat()
    # the same figures as that year's results
    for year in DEPARTMENTS:
        for d in years.json(year)["departments"]:
            row = frame[(frame["name"] == d["name"]) & (frame["year"] == year)].iloc[0]
            for name, key in (
                ("total_score", "total_score"),
                ("received", "received"),
                ("adjusted", "adjusted_budget"),
                ("status", "status"),
            ):
                assert same(row[name], d[key]), (year, d["name"], name)


def test_history_frame_level1_scores(years):
    frame = perfeval.history(years.history, level1=True)
    data = years.json(2023)
    names = [level["name"] for level in data["departments"][0]["level1"]]
    assert list(frame.columns) == [c.name for c in api.HISTORY_COLUMNS] + names
    for d in data["departments"]:
        row = frame[(frame["name"] == d["name"]) & (frame["year"] == 2023)].iloc[0]
        for level in d["level1"]:
            assert row[level["name"]] == pytest.approx(level["score"])
        assert sum(row[n] for n in names) == pytest.approx(row["total_score"])


def test_processing_a_year_again_replaces_its_rows(tmp_path, make_workbook):
    history = tmp_path / "h.sqlite"
    inboxes = {}
    for year in (2022, 2023):
        inboxes[year] = tmp_path / f"inbox{year}"
        make_workbook(_spec("甲局", "A", year), name="甲局.xlsx", folder=inboxes[year])
        _process(inboxes[year], tmp_path / f"out{year}", history, RUN_DATES[year])
    before = perfeval.history(history)
    assert list(before["year"]) == [2022, 2023]
    spec = _spec("甲局", "A", 2023)
    spec["指标评分"][1]["得分"] -= 2
    make_workbook(spec, name="甲局.xlsx", folder=inboxes[2023])
    _process(inboxes[2023], tmp_path / "out2023", history, RUN_DATES[2023])
    after = perfeval.history(history)
    assert list(after["year"]) == [2022, 2023]  # still one row for 2023
    assert after.at[1, "run_id"] > before.at[1, "run_id"] and after.at[0, "run_id"] == before.at[0, "run_id"]
    assert after.at[1, "total_score"] == pytest.approx(before.at[1, "total_score"] - 2)
    assert after.at[0, "total_score"] == before.at[0, "total_score"]


def test_history_frame_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="找不到历史记录文件"):
        perfeval.history(tmp_path / "none.sqlite")
    assert not (tmp_path / "none.sqlite").exists()  # looking did not create one
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"not a database" * 100)
    with pytest.raises(HistoryError, match="已损坏"):
        perfeval.history(bad)
    newer = tmp_path / "newer.sqlite"
    with sqlite3.connect(newer) as db:
        db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(HistoryError, match="更新版本"):
        perfeval.history(newer)


def test_package_exports():
    assert perfeval.load is api.load and perfeval.history is api.history_frame
    assert {"load", "history"} <= set(perfeval.__all__)
    assert importlib.util.find_spec("perfeval.history") is None  # a function, not a module
    from perfeval.outputs import RESULTS_NAME

    assert api.RESULTS_NAME == RESULTS_NAME  # the name the run writes


# --- perfeval history ----------------------------------------------------------------------


def invoke(*args: str | Path):
    return CliRunner().invoke(history_command, [str(a) for a in args], catch_exceptions=False)


def _records(history: Path) -> list[YearRecord]:
    with History(history) as h:
        return h.years()


def test_history_command_shows_a_departments_years(years):
    r = invoke("甲局", "--history", years.history)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert "甲局" in lines[0] and "编码 A" in lines[0] and "2 个评价年度" in lines[0]
    assert lines[1].split() == list(YEAR_HEADER)
    records = [x for x in _records(years.history) if x.name == "甲局"]
    assert [int(line.split()[0]) for line in lines[2:]] == [x.year for x in records] == [2022, 2023]
    for line, x in zip(lines[2:], records, strict=True):
        shown = [format_number(x.total_score), x.grade, format_rate(x.execution_rate), format_rate(x.arrival_rate), x.status]
        assert line.split() == [str(x.year), *(text or "—" for text in shown), str(x.errors), str(x.warnings)]
    by_code = invoke("a", "--history", years.history)  # the 部门编码, any case
    assert by_code.exit_code == 0 and by_code.stdout == r.stdout


def test_history_command_lists_the_departments(years):
    r = invoke("--history", years.history)
    assert r.exit_code == 0, r.output
    assert "3 个部门，5 条年度记录" in r.stdout
    latest = {x.name: x for x in _records(years.history)}  # by key then year: the last is the latest
    for name, x in latest.items():
        line = next(line for line in r.stdout.splitlines() if line.split()[0] == name)
        shown = "2022、2023" if name != "丙局" else "2023"
        assert line.split() == [name, x.code or "—", shown, "2023", format_number(x.total_score) or "—", x.grade or "—"]


def test_history_command_finds_the_default_file(years, monkeypatch):
    shutil.copy(years.history, years.root / DEFAULT_NAME)  # beside the output folders
    r = invoke("-o", years.outdirs[2023])
    assert r.exit_code == 0, r.output
    assert str(years.root / DEFAULT_NAME) in r.stdout and "3 个部门" in r.stdout
    monkeypatch.chdir(years.root)
    assert invoke("乙局").exit_code == 0
    monkeypatch.chdir(years.inboxes[2022])
    r = invoke()
    assert r.exit_code == 2 and "找不到历史记录文件" in r.output and DEFAULT_NAME in r.output
    assert not (years.inboxes[2022] / DEFAULT_NAME).exists()


def test_history_command_exports_xlsx(years):
    target = years.root / "历年结果.xlsx"
    r = invoke("--history", years.history, "--xlsx", target)
    assert r.exit_code == 0, r.output
    assert "已导出" in r.output
    wb = openpyxl.load_workbook(target)
    ws = wb.active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == [h for h, *_ in XLSX_COLUMNS]
    assert ws["A1"].font.b and ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:L{len(rows)}"
    records = sorted(_records(years.history), key=lambda x: (x.name, x.key, x.year))
    assert len(rows) - 1 == len(records) == 5
    header = list(rows[0])
    for row, x in zip(rows[1:], records, strict=True):
        got = dict(zip(header, row, strict=True))
        assert (got["部门名称"], got["部门编码"] or "", got["评价年度"], got["评价状态"]) == (x.name, x.code, x.year, x.status)
        assert got["评价得分"] == pytest.approx(x.total_score) and got["预算执行率"] == pytest.approx(x.execution_rate)
        assert got["资金到位率"] == pytest.approx(x.arrival_rate) and (got["错误数"], got["警告数"]) == (x.errors, x.warnings)
        assert got["排名"] == x.rank
    rate = header.index("预算执行率")
    assert all(row[rate].number_format == "0.00%" for row in ws.iter_rows(min_row=2))
    one = years.root / "甲局.xlsx"
    assert invoke("甲局", "--history", years.history, "--xlsx", one).exit_code == 0
    assert [row[0] for row in openpyxl.load_workbook(one).active.iter_rows(min_row=2, values_only=True)] == ["甲局", "甲局"]


def test_xlsx_writes_text_as_text_and_unknowns_blank():
    record = YearRecord(
        key="名称:=1+1",
        year=2023,
        name='=HYPERLINK("http://example.com","x")',
        code="+1",
        file="http://example.com/a.xlsx",
        status="未评分",
        total_score=None,
        grade="",
        rank=None,
        budget=None,
        spent=None,
        arrival_rate=None,
        execution_rate=0.5,
        errors=1,
        warnings=0,
    )
    ws = openpyxl.load_workbook(io.BytesIO(xlsx_bytes([record]))).active
    cells = {h: cell for (h, *_), cell in zip(XLSX_COLUMNS, ws[2], strict=True)}
    for name, value in (("部门名称", record.name), ("部门编码", "+1"), ("文件", record.file)):
        assert cells[name].data_type == "s" and cells[name].value == value
    assert all(cell.hyperlink is None for cell in cells.values())
    assert cells["评价得分"].value is None and cells["排名"].value is None and cells["资金到位率"].value is None
    assert cells["预算执行率"].value == 0.5 and cells["错误数"].value == 1


def test_history_command_unknown_or_ambiguous_department(years):
    r = invoke("不存在的单位", "--history", years.history)
    assert r.exit_code == 2 and "没有部门“不存在的单位”" in r.output and r.stdout == ""
    r = invoke("甲", "--history", years.history, "--xlsx", years.root / "x.xlsx")
    assert r.exit_code == 0 and (years.root / "x.xlsx").exists()
    r = invoke("局", "--history", years.history)
    assert r.exit_code == 2 and "符合 3 个部门" in r.output
    assert all(name in r.output for name in ("甲局", "乙局", "丙局"))
    r = invoke("甲局局", "--history", years.history)
    assert r.exit_code == 2 and "甲局" in r.output.split("没有部门")[1]  # the close names


def test_history_command_missing_or_damaged_file(tmp_path):
    r = invoke("--history", tmp_path / "none.sqlite")
    assert r.exit_code == 2 and "找不到历史记录文件" in r.output
    assert not (tmp_path / "none.sqlite").exists()
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"not a database" * 100)
    r = invoke("--history", bad)
    assert r.exit_code == 3 and "已损坏或不是 perfeval 的历史记录" in r.output
    assert bad.read_bytes() == b"not a database" * 100  # left as it was


def test_history_command_help_is_chinese():
    r = invoke("-h")
    assert r.exit_code == 0 and r.output.startswith("用法：") and "选项：" in r.output and "--xlsx" in r.output


# --- pandas only where it is used ------------------------------------------------------------

NO_PANDAS = f"""
import sys
import perfeval, perfeval.api, perfeval.cli, perfeval.history_cmd
assert callable(perfeval.load) and callable(perfeval.history)
from perfeval.cli import main
try:
    main(["check", {str(CLEAN_FILE)!r}])
except SystemExit as exc:
    code = exc.code
print(code, "pandas" in sys.modules, file=sys.stderr)
"""


def test_the_command_line_does_not_import_pandas():
    r = subprocess.run([sys.executable, "-c", NO_PANDAS], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines()[-1] in ("0 False", "1 False")
    # and the command itself, as users run it: every module it imports, by -X importtime
    r = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "perfeval", "check", str(CLEAN_FILE)], capture_output=True, text=True, cwd=ROOT
    )
    assert r.returncode in (0, 1), r.stderr
    imported = [line.rsplit("|", 1)[1].strip() for line in r.stderr.splitlines() if line.startswith("import time:")]
    assert "perfeval.pipeline" in imported and "python_calamine" in imported  # the list is of the check's imports
    assert not [m for m in imported if m.split(".")[0] == "pandas"]
    # the look in sys.modules can see pandas: once perfeval.load is used, it is there
    script = "import sys, perfeval; perfeval.load; a = 'pandas' in sys.modules; perfeval.api._pandas(); print(a, 'pandas' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert r.stdout.split() == ["False", "True"], r.stderr
