"""Random values in the template's input cells never break the pipeline (issue 4)."""

from __future__ import annotations

import functools
import io
import tempfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfeval.checks import RULES
from perfeval.config import Settings
from perfeval.model import Status
from perfeval.pipeline import analyze
from perfeval.template import write_template

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn")), min_size=0, max_size=40)
VALUE = st.one_of(
    st.none(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
    st.floats(min_value=-1e-9, max_value=1e-9),
    TEXT,
    st.sampled_from(
        [
            "12,609.43",
            "１２６０９．４３万元",
            "95%",
            "0.95",
            "—",
            "/",
            "无",
            "XX",
            "待定",
            "≥10家",
            "=1+1",
            "@SUM(A1)",
            "优",
            "良",
            "部门评价",
            "定性",
            "≥",
            "产出指标",
        ]
    ),
)

# (sheet, cell) of inputs: the form values, money, goals, scores and the conclusion
CELLS = (
    [("基本信息", f"B{r}") for r in (3, 4, 5, 6, 11, 17, 18, 19, 20, 21)]
    + [("资金情况", f"{c}{r}") for r in range(3, 11) for c in "BCDEF"]
    + [("资金情况", "B12"), ("资金情况", "B13"), ("资金情况", "B14")]
    + [("绩效目标", f"{c}{r}") for r in range(3, 7) for c in "BCEFGHIJ"]
    + [("指标评分", f"{c}{r}") for r in range(3, 13) for c in "ABCDFG"]
    + [("评价结论", f"B{r}") for r in (2, 3, 4)]
    + [("评价结论", f"{c}{r}") for r in (7, 8) for c in "ABC"]
    + [("评价结论", f"{c}{r}") for r in (39, 40, 47) for c in "ABC"]
)


@functools.cache
def blank_template() -> bytes:
    with tempfile.TemporaryDirectory() as d:
        return write_template(Path(d) / "t.xlsx").read_bytes()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(values=st.lists(st.tuples(st.sampled_from(CELLS), VALUE), min_size=1, max_size=60))
@pytest.mark.slow
def test_random_inputs_never_break_the_pipeline(tmp_path_factory, values):
    wb = openpyxl.load_workbook(io.BytesIO(blank_template()))
    for (sheet, ref), value in values:
        cell = wb[sheet][ref]
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"
    path = tmp_path_factory.mktemp("prop") / "部门.xlsx"
    wb.save(path)

    deps, findings = analyze([(path, path.name)], Settings())  # must not raise
    assert len(deps) == 1
    dep = deps[0]
    for f in findings:
        assert f.code in RULES and f.message
        assert f.sheet or f.code in ("S01", "B03"), f
    if dep.unscored:  # no score can be computed: none is published
        assert (dep.total_score, dep.grade, dep.rank) == (None, "", None)
        assert dep.status is Status.UNSCORED
    elif dep.data.scores:
        parsed = sum(row["score"].number or 0.0 for row in dep.data.scores if "score" in row)
        assert dep.total_score == pytest.approx(parsed, rel=1e-9, abs=1e-6)  # totals are kept to 6 decimals
        assert dep.grade == Settings().grade(dep.total_score)
        s = dep.total_score
        band = "优" if s >= 90 else "良" if s >= 80 else "中" if s >= 60 else "差"
        assert dep.grade == band
