"""Every rule of the catalogue: a case that makes it fire at its cell, one that keeps it silent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from perfeval.checks import RULES
from perfeval.config import Settings
from perfeval.inbox import discover
from perfeval.model import Severity
from perfeval.pipeline import analyze

from .conftest import clean_spec

Spec = dict[str, Any]


def info(**kv):
    def mutate(s: Spec) -> None:
        s["基本信息"].update(kv)
    return mutate


def fund(row: str, column: str, value):
    def mutate(s: Spec) -> None:
        s["资金情况"]["rows"].setdefault(row, {})[column] = value
    return mutate


def ffield(label: str, value):
    def mutate(s: Spec) -> None:
        s["资金情况"]["fields"][label] = value
    return mutate


def table(sheet: str, index: int, column: str, value):
    def mutate(s: Spec) -> None:
        s[sheet][index][column] = value
    return mutate


def goal(i, c, v):
    return table("绩效目标", i, c, v)


def score(i, c, v):
    return table("指标评分", i, c, v)


def conclusion(key: str, value):
    def mutate(s: Spec) -> None:
        s["评价结论"][key] = value(s["评价结论"][key]) if callable(value) else value
    return mutate


def cfield(label: str, value):
    def mutate(s: Spec) -> None:
        s["评价结论"]["fields"][label] = value
    return mutate


def analysis(i: int, column: str, value):
    def mutate(s: Spec) -> None:
        s["评价结论"]["analysis"][i][column] = value
    return mutate


def both(*mutations):
    def mutate(s: Spec) -> None:
        for m in mutations:
            m(s)
    return mutate


def rename_header(sheet: str, old: str, new: str):
    def post(wb) -> None:
        ws = wb[sheet]
        for row in ws.iter_rows(min_row=1, max_row=3):
            for cell in row:
                if cell.value == old:
                    cell.value = new
    return post


SEED_TABLE = [
    {"一级指标": "部门整体支出率", "报告得分": 8, "报告得分率": 0.80},
    {"一级指标": "部门管理", "报告得分": 17, "报告得分率": 0.94},
    {"一级指标": "履职效果", "报告得分": 48, "报告得分率": 0.96},
    {"一级指标": "能力建设", "报告得分": 9, "报告得分率": 0.90},
    {"一级指标": "服务对象满意度", "报告得分": 9, "报告得分率": 0.90},
]


@dataclass
class Case:
    code: str
    fires: bool
    why: str
    mutate: Callable[[Spec], None] | None = None
    post: Callable | None = None
    cell: str | None = None  # expected 工作表!单元格 where it fires ("" for sheet-level)
    raw: bytes | None = None  # write these bytes instead of a workbook


CASES = [
    Case("S01", True, "a text file named .xlsx", raw=b"this is not a workbook", cell=""),
    Case("S01", False, "a good workbook"),
    Case("S02", True, "绩效目标 deleted", post=lambda wb: wb.remove(wb["绩效目标"]), cell="绩效目标"),
    Case("S02", False, "an extra sheet is ignored", post=lambda wb: wb.create_sheet("备注")),
    Case("S03", True, "扣分原因 column renamed", post=rename_header("指标评分", "扣分原因", "原因"), cell="指标评分!2"),
    Case("S03", False, "header labels with * and units", post=rename_header("指标评分", "分值", "*分值（分）")),
    Case("S04", True, "old template version", info(模板版本="perfeval-v0"), cell="基本信息!B21"),
    Case("S04", False, "version as written by the template"),
    Case("S05", True, "部门名称 blank", info(部门名称=None), cell="基本信息!B3"),
    Case("S05", False, "部门名称 with spaces around it", info(部门名称="　兰州新区文化和旅游局 ")),
    Case("S06", True, "评价类型 not in the list", info(评价类型="自评"), cell="基本信息!B6"),
    Case("S06", True, "评价年度 out of range", info(评价年度=1999), cell="基本信息!B5"),
    Case("S06", True, "bad e-mail", info(电子邮箱="wenlv at example"), cell="基本信息!B11"),
    Case("S06", True, "指标性质 not in the list", goal(0, "指标性质", "大于"), cell="绩效目标!F3"),
    Case("S06", False, "two e-mail addresses", info(电子邮箱="a@example.gov.cn；b.c@example.cn")),
    Case("S07", True, "money typed as text", fund("市级资金", "预算安排资金", "3,200.00"), cell="资金情况!B5"),
    Case("S07", True, "full-width digits with 万元", fund("市级资金", "预算安排资金", "３２００．００万元"), cell="资金情况!B5"),
    Case("S07", False, "money typed as a number", fund("市级资金", "预算安排资金", 3200)),
    Case("S08", True, "money typed as words", fund("市级资金", "预算安排资金", "三千二百万"), cell="资金情况!B5"),
    Case("S08", True, "a score as words", score(1, "得分", "满分"), cell="指标评分!F4"),
    Case("S08", False, "a score typed as text number", score(1, "得分", "3")),
    Case("F01", True, "typed 合计 off by 100", fund("合计", "预算安排资金", 4100), cell="资金情况!B8"),
    Case("F01", False, "typed 合计 that adds up", fund("合计", "预算安排资金", 4000.00)),
    Case("F02", True, "spent over received", both(fund("省级资金", "实际支出资金", 900), fund("省级资金", "结余资金", -100)), cell="资金情况!E4"),
    Case("F02", False, "spent equal to received", both(fund("省级资金", "实际支出资金", 800), fund("省级资金", "结余资金", 0))),
    Case("F03", True, "balance off by 0.5", fund("市级资金", "结余资金", 60.00), cell="资金情况!F5"),
    Case("F03", False, "balance within 0.01", fund("市级资金", "结余资金", 59.505)),
    Case("F04", True, "received over the adjusted budget", both(fund("省级资金", "实际到位资金", 900), fund("省级资金", "结余资金", 124)), cell="资金情况!C4"),
    Case("F04", False, "received over 预算安排 but within 调整后预算 (the clean sample)"),
    Case("F05", True, "spent over the adjusted budget", both(fund("市级资金", "实际支出资金", 3400), fund("市级资金", "结余资金", -50)), cell="资金情况!E8"),
    Case("F05", False, "execution at 97.99%"),
    Case("F06", True, "execution 67% with no reason", both(fund("市级资金", "实际支出资金", 2000), fund("市级资金", "结余资金", 1350)), cell="资金情况!B14"),
    Case("F06", False, "execution 67% explained", both(fund("市级资金", "实际支出资金", 2000), fund("市级资金", "结余资金", 1350), ffield("执行偏差原因", "项目未达到实施条件"))),
    Case("F07", True, "adjusted by 32.5% with no 调整说明", both(fund("市级资金", "调整后预算", 4500), ffield("调整说明", None)), cell="资金情况!B13"),
    Case("F07", False, "adjusted by 25% with no 调整说明", both(fund("市级资金", "调整后预算", 4200), ffield("调整说明", None))),
    Case("F08", True, "reported 80% against 97.99%", ffield("报告预算执行率", 0.80), cell="资金情况!B12"),
    Case("F08", False, "reported 98% (a whole percent: 0.5 points)", ffield("报告预算执行率", "98%")),
    Case("F09", True, "基本 + 项目 ≠ 合计", fund("基本支出", "预算安排资金", 1600), cell="资金情况!B9"),
    Case("F09", False, "uses split the total"),
    Case("F10", True, "项目支出 execution 75%", fund("项目支出", "实际支出资金", 1987.5), cell="资金情况!E10"),
    Case("F10", False, "项目支出 execution 97.6%"),
    Case("F12", True, "a negative budget", fund("中央资金", "预算安排资金", -10), cell="资金情况!B3"),
    Case("F12", False, "a zero budget", fund("中央资金", "预算安排资金", 0)),
    Case("F13", True, "zero balance left blank", both(fund("省级资金", "实际支出资金", 800), fund("省级资金", "结余资金", None)), cell="资金情况!F4"),
    Case("F13", False, "zero balance written 0.00", both(fund("省级资金", "实际支出资金", 800), fund("省级资金", "结余资金", 0))),
    Case("G01", True, "a goal with no indicator", lambda s: s["绩效目标"].append({"序号": 5, "年度绩效目标": "推进智慧文旅建设"}), cell="绩效目标!B7"),
    Case("G01", False, "every goal has indicators (merged goal cells)"),
    Case("G02", True, "target typed as words", goal(0, "指标值", "若干"), cell="绩效目标!G3"),
    Case("G02", False, "target typed ≥12 as text", goal(0, "指标值", "≥12")),
    Case("G03", True, "no unit", goal(0, "计量单位", None), cell="绩效目标!H3"),
    Case("G03", False, "定性 indicator with no unit", both(goal(0, "指标性质", "定性"), goal(0, "计量单位", None), goal(0, "指标值", "按期完成"), goal(0, "实际完成值", "已完成"))),
    Case("G04", True, "missed with no reason", goal(0, "实际完成值", 10), cell="绩效目标!J3"),
    Case("G04", False, "missed, explained", both(goal(0, "实际完成值", 10), goal(0, "偏差原因及改进措施", "两项任务顺延至次年"))),
    Case("G05", True, "25% over a ≥ target", goal(0, "实际完成值", 15), cell="绩效目标!I3"),
    Case("G05", False, "16.7% over a ≥ target", goal(0, "实际完成值", 14)),
    Case("G06", True, "no 满意度指标", goal(3, "一级指标", "效益指标"), cell="绩效目标!C2"),
    Case("G06", False, "产出, 效益 and 满意度 all present"),
    Case("G07", True, "placeholder XX", goal(0, "实际完成值", "XX"), cell="绩效目标!I3"),
    Case("G07", False, "a real word on a 定性 row", both(goal(0, "指标性质", "定性"), goal(0, "指标值", "按期完成"), goal(0, "实际完成值", "已完成"))),
    Case("W01", True, "score over weight", score(1, "得分", 4), cell="指标评分!F4"),
    Case("W01", False, "score equal to weight", score(1, "得分", 3)),
    Case("W02", True, "negative score", score(0, "得分", -1), cell="指标评分!F3"),
    Case("W02", True, "zero weight", score(1, "分值", 0), cell="指标评分!D4"),
    Case("W02", False, "score 0 with a reason", score(0, "得分", 0)),
    Case("W03", True, "weights add to 99", score(1, "分值", 2), cell="指标评分!D63"),
    Case("W03", False, "weights add to 100"),
    Case("W04", True, "deduction without reason", score(0, "扣分原因", None), cell="指标评分!G3"),
    Case("W04", False, "full marks need no reason", both(score(0, "得分", 10), score(0, "扣分原因", None))),
    Case("W05", True, "an indicator twice under one 二级", score(2, "三级指标", "预算编制科学性"), cell="指标评分!C5"),
    Case("W05", False, "the same name under another 二级", score(3, "三级指标", "预算编制科学性")),
    Case("W06", True, "blank score", score(0, "得分", None), cell="指标评分!F3"),
    Case("W06", False, "score 0 written", both(score(0, "得分", 0))),
    Case("C01", True, "评价得分 95 against 91", cfield("评价得分", 95), cell="评价结论!B2"),
    Case("C01", False, "评价得分 written 91分", cfield("评价得分", "91分")),
    Case("C02", True, "grade 良 against 91", cfield("评价等级", "良"), cell="评价结论!B3"),
    Case("C02", False, "grade 优 for 91"),
    Case("C03", True, "no 存在问题 listed", conclusion("items", lambda items: [i for i in items if i["类别"] != "存在问题"]), cell="评价结论"),
    Case("C03", False, "problems listed"),
    Case("C04", True, "关联指标 not an indicator", conclusion("items", lambda items: [{**items[0], "关联指标": "不存在的指标"}] + items[1:]), cell="评价结论!C7"),
    Case("C04", False, "关联指标 names real indicators"),
    Case("C05", True, "reported 一级 score off", analysis(0, "报告得分", 9), cell="评价结论!B39"),
    Case("C05", False, "reported scores right"),
    Case("C06", True, "reported rate 94% against 85%", analysis(1, "报告得分率", 0.94), cell="评价结论!C40"),
    Case("C06", False, "reported rate 85% as text", analysis(1, "报告得分率", "85%")),
    Case("C07", True, "the seed's table: implied weights 98.09", conclusion("analysis", SEED_TABLE), cell="评价结论!C47"),
    Case("C07", False, "a consistent table"),
    Case("C08", True, "report says 4 一级 indicators", info(报告一级指标数=4), cell="基本信息!B18"),
    Case("C08", False, "report counts match"),
    Case("C09", True, "部门评价 describing a 自评", info(绩效评价工作过程="单位组织开展绩效自评，形成自评报告。"), cell="基本信息!B17"),
    Case("C09", False, "部门评价 describing an external review"),
]


def _run(tmp_path: Path, make_workbook, case: Case):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    if case.raw is not None:
        (inbox / "部门.xlsx").write_bytes(case.raw)
    else:
        spec = clean_spec()
        if case.mutate:
            case.mutate(spec)
        make_workbook(spec, post=case.post, folder=inbox)
    files, skipped = discover(inbox)
    deps, findings = analyze(files, Settings(), skipped)
    return deps, findings


@pytest.mark.parametrize("case", CASES, ids=[f"{c.code}-{'fires' if c.fires else 'silent'}-{c.why}" for c in CASES])
def test_rule(tmp_path, make_workbook, case: Case):
    deps, findings = _run(tmp_path, make_workbook, case)
    assert len(deps) == 1, "the department must never be dropped"
    hits = [f for f in findings if f.code == case.code]
    if case.fires:
        assert hits, f"{case.code} did not fire: {[(f.code, f.location, f.message) for f in findings]}"
        assert {f.severity for f in hits} == {RULES[case.code].severity}
        if case.cell is not None:
            assert case.cell in {f.location for f in hits}, [f.location for f in hits]
        for f in hits:
            assert f.message and f.department and f.file == "部门.xlsx"
    else:
        assert not hits, [(f.location, f.message) for f in hits]


def test_clean_sample_is_silent(tmp_path, make_workbook):
    deps, findings = _run(tmp_path, make_workbook, Case("", False, "clean"))
    assert findings == []
    assert deps[0].total_score == 91 and deps[0].grade == "优"


# --- batch rules ---------------------------------------------------------------------------


def _batch(tmp_path, make_workbook, specs: list[Spec], extra: dict[str, bytes] | None = None):
    inbox = tmp_path / "inbox"
    for i, spec in enumerate(specs):
        make_workbook(spec, name=f"{i:02d}.xlsx", folder=inbox)
    for name, data in (extra or {}).items():
        (inbox / name).write_bytes(data)
    files, skipped = discover(inbox)
    return analyze(files, Settings(), skipped)


def _variant(code: str, name: str, **changes) -> Spec:
    s = clean_spec()
    s["基本信息"].update({"部门编码": code, "部门名称": name, "电子邮箱": f"{code.lower()}@example.gov.cn"})
    s["基本信息"].update(changes)
    return s


def test_b01_fires_for_every_copy(tmp_path, make_workbook):
    deps, findings = _batch(tmp_path, make_workbook, [_variant("A-1", "甲局"), _variant("A-1", "甲局（更正）"), _variant("B-2", "乙局")])
    hits = [f for f in findings if f.code == "B01"]
    assert sorted(f.file for f in hits) == ["00.xlsx", "01.xlsx"]
    assert all(f.severity is Severity.ERROR and f.location == "基本信息!B4" for f in hits)
    assert len(deps) == 3, "duplicates are all kept"


def test_b01_silent_same_name_other_code(tmp_path, make_workbook):
    _, findings = _batch(tmp_path, make_workbook, [_variant("A-1", "甲局"), _variant("A-2", "甲局")])
    assert not [f for f in findings if f.code == "B01"]


def test_b01_uses_name_without_code(tmp_path, make_workbook):
    _, findings = _batch(tmp_path, make_workbook, [_variant("", "甲局"), _variant("", "甲局")])
    assert [f.location for f in findings if f.code == "B01"] == ["基本信息!B3", "基本信息!B3"]


def test_b02_fires_on_the_odd_year(tmp_path, make_workbook):
    _, findings = _batch(tmp_path, make_workbook, [_variant("A", "甲"), _variant("B", "乙"), _variant("C", "丙", 评价年度=2022)])
    hits = [f for f in findings if f.code == "B02"]
    assert [(f.file, f.location) for f in hits] == [("02.xlsx", "基本信息!B5")]


def test_b02_silent_one_year(tmp_path, make_workbook):
    _, findings = _batch(tmp_path, make_workbook, [_variant("A", "甲"), _variant("B", "乙")])
    assert not [f for f in findings if f.code == "B02"]


def test_b03_fires_for_lock_and_other_files(tmp_path, make_workbook):
    deps, findings = _batch(tmp_path, make_workbook, [_variant("A", "甲")], {"~$00.xlsx": b"lock", "说明.txt": b"hi"})
    hits = [f for f in findings if f.code == "B03"]
    assert sorted(f.file for f in hits) == ["~$00.xlsx", "说明.txt"]
    assert all(f.severity is Severity.INFO for f in hits)
    assert len(deps) == 1


def test_b03_silent_with_only_workbooks(tmp_path, make_workbook):
    _, findings = _batch(tmp_path, make_workbook, [_variant("A", "甲")])
    assert not [f for f in findings if f.code == "B03"]


def _yuan(spec: Spec) -> Spec:
    for row in spec["资金情况"]["rows"].values():
        for k, v in list(row.items()):
            if isinstance(v, (int, float)):
                row[k] = v * 10000
    return spec


def test_f11_fires_on_amounts_in_yuan(tmp_path, make_workbook):
    _, findings = _batch(tmp_path, make_workbook, [_variant("A", "甲"), _variant("B", "乙"), _yuan(_variant("C", "丙"))])
    hits = [f for f in findings if f.code == "F11"]
    assert [(f.file, f.location) for f in hits] == [("02.xlsx", "资金情况!B5")]


def test_f11_silent_on_a_large_department(tmp_path, make_workbook):
    big = _variant("C", "丙")
    for row in big["资金情况"]["rows"].values():
        for k, v in list(row.items()):
            if isinstance(v, (int, float)):
                row[k] = v * 100
    _, findings = _batch(tmp_path, make_workbook, [_variant("A", "甲"), _variant("B", "乙"), big])
    assert not [f for f in findings if f.code == "F11"]


# --- the registry --------------------------------------------------------------------------

BATCH_TESTS = {"B01", "B02", "B03", "F11"}


def test_every_rule_has_a_firing_and_a_silent_case():
    fires = {c.code for c in CASES if c.fires} | BATCH_TESTS
    silent = {c.code for c in CASES if not c.fires} | BATCH_TESTS
    assert set(RULES) - fires == set()
    assert set(RULES) - silent == set()


def test_every_rule_is_documented_in_the_catalogue():
    catalogue = (Path(__file__).resolve().parents[2] / "shared" / "checks.md")
    if not catalogue.exists():
        pytest.skip("../shared/checks.md is not beside this checkout")
    text = catalogue.read_text(encoding="utf-8")
    for code, rule in RULES.items():
        assert f"| {code} | {rule.severity.value} |" in text, code
        assert rule.title, code


def test_median_of_others_matches_statistics():
    import random
    import statistics

    from perfeval.checks.funds import median_of_others

    rnd = random.Random(7)
    for _ in range(500):
        values = sorted(rnd.choice([1.0, 2.0, 3.0, rnd.uniform(0, 10)]) for _ in range(rnd.randint(0, 9)))
        own = rnd.choice([*values, 5.5])
        others = list(values)
        if own in others:
            others.remove(own)
        expected = statistics.median(others) if len(others) >= 2 else None
        got = median_of_others(values, own)
        assert got == pytest.approx(expected) if expected is not None else got is None
