from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from perfeval import schema as S
from perfeval import template as T
from perfeval.config import Settings
from perfeval.pipeline import analyze
from perfeval.template import write_template
from perfeval.values import NOT_APPLICABLE

from .conftest import ROOT, SEED_FILE, needs_office, soffice
from .dump import dump_workbook

COMMITTED = ROOT / "docs" / "perfeval-v1.xlsx"


def test_committed_template_matches_the_generator(tmp_path: Path):
    fresh = write_template(tmp_path / "t.xlsx")
    assert dump_workbook(fresh) == dump_workbook(COMMITTED), (
        "docs/perfeval-v1.xlsx is stale: run `perfeval template -o docs/perfeval-v1.xlsx --force`"
    )


def test_template_is_byte_stable(tmp_path: Path):
    a = write_template(tmp_path / "a.xlsx").read_bytes()
    b = write_template(tmp_path / "b.xlsx").read_bytes()
    assert a == b


def test_template_layout(tmp_path: Path):
    d = dump_workbook(write_template(tmp_path / "t.xlsx"))
    assert d["sheets"] == ["填报说明", *S.CONTRACT_SHEETS]
    info = d["基本信息"]
    labels = set(info["cells"].values())
    for f in S.INFO_FIELDS:
        assert (("*" if f.required else "") + f.label) in labels
    assert info["cells"]["B21"] == S.TEMPLATE_VERSION and "B21" not in info["unlocked"]
    assert "B3" in info["unlocked"] and "A3" not in info["unlocked"]
    for name in S.CONTRACT_SHEETS:
        assert d[name]["protected"], name
        assert d[name]["paper"] == (9, d[name]["paper"][1]), "A4"
        assert d[name]["freeze"], name
    # dropdowns for every listed value
    lists = {v[2] for name in S.CONTRACT_SHEETS for v in d[name]["validations"] if v[1] == "list"}
    assert '"单位自评,部门评价,财政评价,第三方评价"' in lists
    assert '"≥,≤,=,定性"' in lists
    assert '"产出指标,效益指标,满意度指标,成本指标"' in lists
    assert '"优,良,中,差"' in lists
    assert '"存在问题,相关建议"' in lists
    # 合计 formulas, money and rate formats, room for 60 rows
    funds = d["资金情况"]
    assert funds["cells"]["B8"] == "=SUM(B3:B7)"
    assert funds["formats"]["B5"] == "#,##0.00" and funds["formats"]["B12"] == "0.00%"
    scores = d["指标评分"]
    assert scores["cells"]["D63"] == "=SUM(D3:D62)" and scores["cells"]["A63"] == "合计"
    assert "F62" in scores["unlocked"] and "D63" not in scores["unlocked"]
    assert "J62" in d["绩效目标"]["unlocked"]


def test_formulas_carry_their_values(tmp_path: Path):
    import zipfile

    path = write_template(tmp_path / "t.xlsx")
    with zipfile.ZipFile(path) as z:
        names = {S.SHEET_FUNDS: None}
        xml = z.read("xl/worksheets/sheet3.xml").decode()
    assert "<f>SUM(B3:B7)</f><v>0</v>" in xml, names


def test_blank_template_reads_without_structure_errors(tmp_path: Path):
    path = write_template(tmp_path / "t.xlsx")
    deps, findings = analyze([(path, path.name)], Settings())
    codes = {f.code for f in findings}
    assert not codes & {"S01", "S02", "S03", "S04", "S07", "S08"}, findings
    assert {f.location for f in findings if f.code == "S05"} == {"基本信息!B3", "基本信息!B5", "基本信息!B6"}


# --- checks while typing (issue #18 item 5) --------------------------------------------------

# sheet → {first cell of the range: (sqref, type, operator, formula1, formula2, error message)}
CHECKS = {
    S.SHEET_INFO: {
        "B5": ("B5", "whole", None, "2000", "2100", "评价年度应为 2000–2100 之间的整数年份"),
        "B11": ("B11", "custom", None, 'AND(ISNUMBER(FIND("@",B11)),ISNUMBER(FIND(".",B11,FIND("@",B11)+2)))', None, "电子邮箱格式不正确"),
        "B18": ("B18", "whole", "greaterThanOrEqual", "0", None, "“报告一级指标数”应为非负整数"),
        "B20": ("B20", "whole", "greaterThanOrEqual", "0", None, "“报告三级指标数”应为非负整数"),
    },
    S.SHEET_FUNDS: {
        "B3": ("B3:F7 B9:F10", "decimal", "greaterThanOrEqual", "0", None, "金额应为不小于 0 的数字（单位万元）"),
        "B12": (
            "B12",
            "custom",
            None,
            'OR(AND(ISNUMBER(B12),B12>=0),IFERROR(VALUE(SUBSTITUTE(SUBSTITUTE(B12," ",""),"％","%"))>=0,FALSE))',
            None,
            "请填写不小于 0 的百分比或数字",
        ),
    },
    S.SHEET_SCORES: {
        "D3": (
            "D3:D62",
            "custom",
            None,
            'OR(AND(ISNUMBER(D3),D3>0),D3="/",D3="-",D3="—",D3="——",D3="无",D3="／",D3="－")',
            None,
            "分值应为大于 0 的数字",
        ),
        "F3": (
            "F3:F62",
            "custom",
            None,
            'OR(AND(ISNUMBER(F3),F3>=0,OR(NOT(ISNUMBER(D3)),F3<=D3)),F3="/",F3="-",F3="—",F3="——",F3="无",F3="／",F3="－")',
            None,
            "得分应为不小于 0、且不超过本行分值的数字",
        ),
    },
    S.SHEET_CONCLUSION: {
        "B2": ("B2", "decimal", None, "0", "100", "评价得分应为 0 到 100 之间的数字"),
        "B39": ("B39:B47", "decimal", "greaterThanOrEqual", "0", None, "报告得分应为不小于 0 的数字"),
        "C39": (
            "C39:C47",
            "custom",
            None,
            'OR(AND(ISNUMBER(C39),C39>=0),IFERROR(VALUE(SUBSTITUTE(SUBSTITUTE(C39," ",""),"％","%"))>=0,FALSE))',
            None,
            "请填写不小于 0 的百分比或数字",
        ),
    },
}

# sheet → [(sqref, formula)]: red while the figures do not add up
MARKS = {
    S.SHEET_FUNDS: [("F3:F7 F9:F10", "AND(ISNUMBER($F3),ISNUMBER($D3),ISNUMBER($E3),ABS($F3-($D3-$E3))>0.01)")],
    S.SHEET_SCORES: [
        ("F3:F62", "AND(ISNUMBER($F3),OR($F3<0,AND(ISNUMBER($D3),$F3>$D3)))"),
        ("D63", "AND(COUNT($D$3:$D$62)>0,ABS(SUM($D$3:$D$62)-100)>0.01)"),
    ],
}


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return write_template(tmp_path_factory.mktemp("template") / "t.xlsx")


def _checks(path: Path) -> dict[str, dict[str, Any]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation} for ws in wb.worksheets}


def test_checks_while_typing_cover_every_row_with_chinese_messages(template):
    found = _checks(template)
    for sheet, checks in CHECKS.items():
        for first, (sqref, kind, operator, formula1, formula2, error) in checks.items():
            dv = found[sheet][first]
            assert (str(dv.sqref), dv.type, dv.operator, dv.formula1, dv.formula2) == (sqref, kind, operator, formula1, formula2), (
                sheet,
                first,
            )
            assert error in dv.error, (sheet, first, dv.error)
            assert dv.showErrorMessage and dv.errorStyle in (None, "stop"), "a stop: the entry is refused, not just warned about"
            assert dv.showInputMessage and dv.promptTitle and dv.prompt and dv.errorTitle, (sheet, first)
            assert dv.allow_blank, "a blank cell is never an error while typing"
    # the rows: every score row of the template, every source and use row of the funds table
    assert str(found[S.SHEET_SCORES]["F3"].sqref) == f"F3:F{T.HEADER_ROW + T.SCORE_ROWS + 1}"
    # every dropdown says what to do in Chinese too
    for sheet in S.CONTRACT_SHEETS:
        for dv in found[sheet].values():
            assert dv.error and dv.prompt and not dv.error.isascii(), (sheet, dv.sqref)


def test_marks_for_figures_that_do_not_add_up(template):
    wb = openpyxl.load_workbook(template)
    for sheet, marks in MARKS.items():
        rules = [
            (str(cf.sqref), rule.type, rule.formula, rule.dxf.fill.bgColor.rgb)
            for cf in wb[sheet].conditional_formatting
            for rule in cf.rules
        ]
        assert sorted((sqref, "expression", [formula], "FFFFC7CE") for sqref, formula in marks) == sorted(rules), sheet


def test_tolerances_are_the_rules_defaults():
    s = Settings()
    assert (T.MONEY_TOLERANCE, T.SCORE_TOLERANCE, T.WEIGHT_TOTAL) == (s.money_tolerance, s.score_tolerance, s.total_weight)
    assert set(T.NA_WORDS) >= set(NOT_APPLICABLE)


def test_input_cells_look_unlike_computed_ones(template):
    wb = openpyxl.load_workbook(template)

    def fill(sheet: str, ref: str) -> str:
        return wb[sheet][ref].fill.fgColor.rgb

    inputs = [(S.SHEET_INFO, "B3"), (S.SHEET_FUNDS, "B3"), (S.SHEET_FUNDS, "B12"), (S.SHEET_SCORES, "F62"), (S.SHEET_CONCLUSION, "C47")]
    computed = [(S.SHEET_FUNDS, "B8"), (S.SHEET_SCORES, "D63"), (S.SHEET_SCORES, "F63"), (S.SHEET_INFO, "B21")]
    assert {fill(*c) for c in inputs} == {"FF" + T.INPUT_FILL[1:]}
    assert {fill(*c) for c in computed} == {"FF" + T.COMPUTED_FILL[1:]}
    for sheet, ref in inputs:
        assert wb[sheet][ref].protection.locked is False
    for sheet, ref in computed:
        assert wb[sheet][ref].protection.locked is not False
    howto = dict(T.INSTRUCTIONS)
    assert "浅黄底" in howto["必填项"] and "灰底" in howto["必填项"] and "得分超过本行分值" in howto["输入检查"]


def test_samples_carry_the_checks():
    """The samples are filled templates: a filled workbook keeps the checks (openpyxl keeps them)."""
    found = _checks(SEED_FILE)
    for sheet, checks in CHECKS.items():
        for first, (sqref, *_rest) in checks.items():
            assert str(found[sheet][first].sqref) == sqref


# --- the checks in LibreOffice ---------------------------------------------------------------

# Run by a Python that has LibreOffice's UNO bridge (python3-uno), against an soffice the test
# started. LibreOffice cannot be made to type headless (its .uno:EnterString bypasses the
# validity check, and the UI-test service is not in release builds), so each round sets the
# cells through the API, then runs Tools ▸ Detective ▸ Mark Invalid Data (XSheetAuditing.
# showInvalid): LibreOffice draws a circle on every cell whose content its validity check
# (ScValidationData::IsDataValid, the check an entry goes through) refuses. The round reports the
# circled cells, and what the conditional formats' formulas, as LibreOffice loaded them,
# evaluate to in the round's first row (they use absolute columns and relative rows, so any
# cell of that row evaluates them alike).
UNO_SCRIPT = r"""
import json, os, sys, time
import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.table import CellAddress

pipe, path, rounds = sys.argv[1], sys.argv[2], json.loads(open(sys.argv[3], encoding="utf-8").read())
local = uno.getComponentContext()
resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
deadline = time.time() + 60
while True:
    try:
        ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        break
    except Exception:
        if time.time() > deadline:
            raise
        time.sleep(0.2)
desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
hidden = PropertyValue()
hidden.Name, hidden.Value = "Hidden", True
doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(path), "_blank", 0, (hidden,))
SCRATCH = 50  # column AY, right of every table


def a1(col, row):
    name = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        name = chr(65 + rem) + name
    return f"{name}{row + 1}"


out = {"validations": {}, "marks": {}, "rounds": []}
for name in doc.Sheets.ElementNames:
    sheet = doc.Sheets.getByName(name)
    marks = []
    for cf in sheet.ConditionalFormats.ConditionalFormats:
        entries = [cf.getByIndex(i) for i in range(cf.Count)]
        marks.append([cf.Range.RangeAddressesAsString, [e.Formula1 for e in entries]])
    out["marks"][name] = marks
for name, refs in rounds[0].get("describe", {}).items():
    sheet = doc.Sheets.getByName(name)
    for ref in refs:
        v = sheet.getCellRangeByName(ref).Validation
        out["validations"][f"{name}!{ref}"] = [
            v.Type.value, v.getOperator().value, v.getFormula1(), v.IgnoreBlankCells, v.ShowErrorMessage,
            v.ErrorAlertStyle.value, v.ErrorTitle, v.ErrorMessage, v.ShowInputMessage, v.InputTitle, v.InputMessage,
        ]
for rnd in rounds:
    result = {"circled": {}, "marks": {}}
    for name, cells in rnd["set"].items():
        sheet = doc.Sheets.getByName(name)
        for ref, value in cells.items():
            cell = sheet.getCellRangeByName(ref)
            cell.setString(value) if isinstance(value, str) else cell.setValue(value)
    for name, cells in rnd["set"].items():
        sheet = doc.Sheets.getByName(name)
        page = sheet.DrawPage  # the detective draws on it
        sheet.showInvalid()
        shapes = [page.getByIndex(i) for i in range(page.Count)]
        result["circled"][name] = sorted(
            a1(s.Anchor.CellAddress.Column, s.Anchor.CellAddress.Row) for s in shapes if s.ShapeType.endswith("EllipseShape")
        )
        sheet.clearArrows()
        sheet.unprotect("")
        for cf in sheet.ConditionalFormats.ConditionalFormats:
            first = cf.Range.RangeAddresses[0]
            scratch = sheet.getCellByPosition(SCRATCH, first.StartRow)
            values = []
            for i in range(cf.Count):
                scratch.setFormula("=" + cf.getByIndex(i).Formula1.replace(",", ";"))
                values.append(bool(scratch.getValue()) if scratch.getError() == 0 else f"Err:{scratch.getError()}")
            scratch.setString("")
            result["marks"].setdefault(name, {})[cf.Range.RangeAddressesAsString] = values
        for ref in cells:
            sheet.getCellRangeByName(ref).setString("")
    out["rounds"].append(result)
doc.close(True)
print(json.dumps(out, ensure_ascii=False), flush=True)
try:
    desktop.terminate()
except Exception:
    pass  # the bridge goes down with LibreOffice
# pyuno may crash tearing down a bridge whose other end has gone: leave without the teardown,
# the answer is printed
os._exit(0)
"""

# Each round: what is typed (sheet → cell → value; a str is typed as text), and the cells
# LibreOffice must refuse. Cells not listed as refused must be accepted.
ROUNDS: list[dict[str, Any]] = [
    {
        "set": {
            S.SHEET_SCORES: {
                **{"D3": 10, "F3": 8},  # 得分 ≤ 分值
                **{"D4": 10, "F4": 12},  # 得分 > 分值: refused
                **{"D5": 10, "F5": 10},  # 得分 = 分值
                **{"D6": 5, "F6": -1},  # a negative 得分: refused
                **{"D7": "/", "F7": "/"},  # a row that does not apply
                **{"D8": 0, "F8": 0},  # 分值 0: refused
                **{"D9": "十分"},  # 分值 in words: refused
                **{"F10": 3},  # 得分 before its 分值: accepted (the mark shows it later)
                **{"D11": 10, "F11": "八分"},  # 得分 in words: refused
            },
            S.SHEET_CONCLUSION: {"B2": 120, "C39": "94%", "C40": 0.94, "C41": -0.1, "C42": "很好", "B39": 8.5},
            S.SHEET_INFO: {"B5": 1999, "B11": "perfeval", "B18": 3},
            S.SHEET_FUNDS: {"B3": -1, "C3": 100, "D3": 100, "E3": 60, "F3": 30, "B12": "157.7%"},
        },
        "refused": {
            S.SHEET_SCORES: ["D8", "D9", "F11", "F4", "F6"],
            S.SHEET_CONCLUSION: ["B2", "C41", "C42"],
            S.SHEET_INFO: ["B11", "B5"],
            S.SHEET_FUNDS: ["B3"],
        },
        # the first row of each marked range: F3 ≠ 100 − 60; F3 ≤ D3; Σ分值 = 10+10+10+5+0+10 ≠ 100
        "marks": {
            S.SHEET_FUNDS: {"资金情况.F3:F7,资金情况.F9:F10": [True]},
            S.SHEET_SCORES: {"指标评分.F3:F62": [False], "指标评分.D63": [True]},
        },
        "describe": {S.SHEET_SCORES: ["F3", "F62", "D3"], S.SHEET_CONCLUSION: ["B2"]},
    },
    {
        "set": {
            S.SHEET_SCORES: {"D3": 60, "F3": 61, "D4": 40, "F4": 40},
            S.SHEET_CONCLUSION: {"B2": 95, "C39": "abc%"},
            S.SHEET_INFO: {"B5": 2023, "B11": "a@b.gov.cn；c@d.cn", "B18": -1},
            S.SHEET_FUNDS: {"D3": 100, "E3": 60, "F3": 40, "B12": 1.577},
        },
        "refused": {S.SHEET_SCORES: ["F3"], S.SHEET_CONCLUSION: ["C39"], S.SHEET_INFO: ["B18"], S.SHEET_FUNDS: []},
        "marks": {
            S.SHEET_FUNDS: {"资金情况.F3:F7,资金情况.F9:F10": [False]},
            S.SHEET_SCORES: {"指标评分.F3:F62": [True], "指标评分.D63": [False]},
        },
    },
]


def _uno_python() -> str | None:
    for python in ("/usr/lib/libreoffice/program/python", shutil.which("python3"), "/usr/bin/python3"):
        if python and Path(python).exists():
            if subprocess.run([python, "-c", "import uno"], capture_output=True, timeout=60).returncode == 0:
                return python
    return None


@needs_office
def test_libreoffice_refuses_a_score_over_its_weight_and_a_score_of_120(template, tmp_path):
    python = _uno_python()
    if python is None:
        message = "LibreOffice's Python bridge (python3-uno) is not installed; .ci/run installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    script, rounds = tmp_path / "check.py", tmp_path / "rounds.json"
    script.write_text(UNO_SCRIPT, encoding="utf-8")
    rounds.write_text(json.dumps(ROUNDS, ensure_ascii=False), encoding="utf-8")
    pipe = f"perfeval_{os.getpid()}_{tmp_path.name}"
    office = subprocess.Popen(
        [
            soffice() or "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            f"--accept=pipe,name={pipe};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: ended below, whatever happens
    )
    proc = None
    try:
        proc = subprocess.run([python, str(script), pipe, str(template), str(rounds)], capture_output=True, text=True, timeout=120)
    finally:
        try:  # the script ends LibreOffice when it is done; if it failed, end it here
            office.wait(timeout=15 if proc is not None and proc.returncode == 0 else 0.1)
        except subprocess.TimeoutExpired:
            os.killpg(office.pid, signal.SIGKILL)
            office.wait(timeout=15)
    # the answer is the last line; a crash after it (LibreOffice's bridge going down) is no failure
    # of the template, so a complete answer is what must be there
    lines = proc.stdout.strip().splitlines()
    assert lines and lines[-1].startswith("{"), f"exit {proc.returncode}: {proc.stderr}"
    got = json.loads(lines[-1])

    # LibreOffice loaded the checks as written: a custom formula for 得分 against its own row's 分值
    score, last, weight = (got["validations"][f"{S.SHEET_SCORES}!{ref}"] for ref in ("F3", "F62", "D3"))
    assert score[:2] == ["CUSTOM", "FORMULA"] and "F3<=D3" in score[2] and score[3:6] == [True, True, "STOP"]
    assert last == score, "one check for the whole column, its references relative to each row"
    title, error, prompted, prompt_title, prompt = score[6:]
    assert (title, prompted, prompt_title) == ("得分", True, "得分") and "分值" in prompt
    assert error.startswith(CHECKS[S.SHEET_SCORES]["F3"][5])
    assert weight[:2] == ["CUSTOM", "FORMULA"] and "D3>0" in weight[2]
    assert got["validations"][f"{S.SHEET_CONCLUSION}!B2"][:3] == ["DECIMAL", "BETWEEN", "0"]
    assert {name: [m[0] for m in marks] for name, marks in got["marks"].items() if marks} == {
        S.SHEET_FUNDS: ["资金情况.F3:F7,资金情况.F9:F10"],
        S.SHEET_SCORES: ["指标评分.F3:F62", "指标评分.D63"],
    }

    for i, (asked, result) in enumerate(zip(ROUNDS, got["rounds"], strict=True)):
        for sheet, refused in asked["refused"].items():
            assert result["circled"][sheet] == sorted(refused), (i, sheet)
        for sheet, marks in asked["marks"].items():
            assert result["marks"][sheet] == marks, (i, sheet)
