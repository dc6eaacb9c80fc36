from __future__ import annotations

from pathlib import Path

from perfeval import schema as S
from perfeval.config import Settings
from perfeval.pipeline import analyze
from perfeval.template import write_template

from .conftest import ROOT
from .dump import dump_workbook

COMMITTED = ROOT / "docs" / "perfeval-v1.xlsx"


def test_committed_template_matches_the_generator(tmp_path: Path):
    fresh = write_template(tmp_path / "t.xlsx")
    assert dump_workbook(fresh) == dump_workbook(COMMITTED), (
        "docs/perfeval-v1.xlsx is stale: run `perfeval template -o docs/perfeval-v1.xlsx`"
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
