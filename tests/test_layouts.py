"""A workbook that follows the contract but not the template's layout reads the same."""

from __future__ import annotations

from collections import Counter

import pytest

from perfeval.config import Settings
from perfeval.pipeline import analyze
from perfeval.results import department_json

from .conftest import clean_spec, seed_spec
from .layout import write_custom


def _result(path):
    deps, findings = analyze([(path, "部门.xlsx")], Settings())
    figures = department_json(deps[0])
    figures.pop("findings")  # their cells differ with the layout: compared as codes below
    return figures, Counter((f.code, f.sheet) for f in findings), deps[0]


@pytest.mark.parametrize("spec_of", [seed_spec, clean_spec], ids=["seed", "clean"])
@pytest.mark.parametrize("shuffle", [1, 2, 3])
def test_other_layouts_read_identically(tmp_path, make_workbook, spec_of, shuffle):
    spec = spec_of()
    template_figures, template_codes, _ = _result(make_workbook(spec))
    custom_figures, custom_codes, dep = _result(write_custom(tmp_path / "custom.xlsx", spec, seed=shuffle))
    assert custom_figures == template_figures
    assert custom_codes == template_codes
    assert dep.data.scores_header_row == 5 and dep.data.funds_header_row == 5


def test_merged_level_cells_point_at_the_merge(tmp_path):
    spec = seed_spec()
    spec["指标评分"][1]["二级指标"] = spec["指标评分"][2]["二级指标"]  # same 二级, merged over 2 rows
    path = write_custom(tmp_path / "custom.xlsx", spec)
    _, _, dep = _result(path)
    l1 = [r["level1"] for r in dep.data.scores]
    assert [c.text for c in l1[1:9]] == ["部门管理"] * 8
    assert len({(c.row, c.col) for c in l1[1:9]}) == 1, "all rows of a merged 一级 cell point at its top-left cell"


def test_unmerged_blank_levels_inherit_from_above(tmp_path, make_workbook):
    spec = clean_spec()
    for i, row in enumerate(spec["指标评分"]):
        if i and row["一级指标"] == spec["指标评分"][i - 1]["一级指标"]:
            row["一级指标"] = None

    def unmerge(wb):
        ws = wb["指标评分"]
        for rng in list(ws.merged_cells.ranges):
            ws.unmerge_cells(str(rng))

    figures, codes, _ = _result(make_workbook(spec, post=unmerge))
    assert figures["total_score"] == 92.8
    assert [x["name"] for x in figures["level1"]] == ["部门整体支出率", "部门管理", "履职效果", "能力建设", "服务对象满意度"]
    assert not codes


def test_wrong_version_is_read_anyway(tmp_path):
    figures, codes, _ = _result(write_custom(tmp_path / "v0.xlsx", clean_spec(), version="perfeval-v0"))
    assert codes == Counter({("S04", "基本信息"): 1})
    assert figures["total_score"] == 92.8
