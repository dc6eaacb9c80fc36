"""Every rule of the catalogue: a case that makes it fire at its cell, one that keeps it silent.

A silent case is a near miss: its input sits just on the safe side of the boundary its rule
tests (a tolerance, a threshold, a condition), so it fails as soon as that boundary moves.
The clean sample passes every rule: as a silent case it would prove nothing, and
`test_silent_case_is_a_near_miss` refuses it.
"""

from __future__ import annotations

import copy
import hashlib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from perfeval import catalogue
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


def rename_sheet(old: str, new: str):
    def post(wb) -> None:
        wb[old].title = new

    return post


def sheet_password(sheet: str, password: str):
    """A password to edit the sheet (the template protects its sheets without one): not a
    password to open the file, which is encryption."""

    def post(wb) -> None:
        wb[sheet].protection.sheet = True
        wb[sheet].protection.password = password

    return post


def number_format(sheet: str, ref: str, fmt: str):
    def post(wb) -> None:
        wb[sheet][ref].number_format = fmt

    return post


def add_goal(**row):
    def mutate(s: Spec) -> None:
        s["绩效目标"].append({"序号": len(s["绩效目标"]) + 1, **row})

    return mutate


def no_amounts(s: Spec) -> None:
    """Every amount of the funds table left blank: no rate can be computed."""
    s["资金情况"]["rows"] = {}


def every_spent(s: Spec) -> None:
    """Every source row spends all it received (and its balance is 0)."""
    for row in s["资金情况"]["rows"].values():
        if "实际到位资金" in row:
            row["实际支出资金"], row["结余资金"] = row["实际到位资金"], 0


# A row that does not apply, as the national form writes it: "指标1:/" and "/" in every other cell.
NA_GOAL = {
    "一级指标": "产出指标",
    "二级指标": "时效指标",
    "三级指标": "指标1:/",
    "指标性质": "/",
    "指标值": "/",
    "计量单位": "/",
    "实际完成值": "/",
    "偏差原因及改进措施": "/",
}
NA_SCORE = {
    "一级指标": "履职效果",
    "二级指标": "时效指标",
    "三级指标": "指标1：/",
    "分值": "／",
    "评分标准": "—",
    "得分": "/",
    "扣分原因": "无",
}


def na_goal(s: Spec) -> None:
    s["绩效目标"].append({"序号": len(s["绩效目标"]) + 1, **NA_GOAL})


def na_score(s: Spec) -> None:
    s["指标评分"].append(dict(NA_SCORE))


LONG_GOAL = "负责统筹新区大数据平台与基础设施建设、推动信息产业发展、推进信息化及智慧城市建设等工作"

# 绩效目标 row 0 as the catalogue's W07 example has it: 35 of ≥40 公里, missed
missed_road = both(
    goal(0, "三级指标", "市政道路维护里程"),
    goal(0, "指标值", 40),
    goal(0, "计量单位", "公里"),
    goal(0, "实际完成值", 35),
)

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
    message: str | None = None  # the whole message where it fires (the catalogue's example says it)


def chongqing_form(indicator: str, **cells: Any) -> bytes:
    """The sample Chongqing form (samples/forms.py: a flat list with 得分系数) as bytes, the
    cells of one indicator's row changed by column label (W10 looks at no other layout)."""
    import importlib.util
    import sys
    import tempfile

    from .conftest import SAMPLES

    modules = {}
    for name in ("forms", "make_forms"):
        spec = importlib.util.spec_from_file_location(name, SAMPLES / f"{name}.py")
        modules[name] = module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    rows, merges = modules["forms"].chongqing()
    header = next(r for r in rows if r[:1] == ["指标名称"])
    row = next(r for r in rows if r[:1] == [indicator])
    for label, value in cells.items():
        row[header.index(label)] = value
    with tempfile.TemporaryDirectory() as tmp:
        return modules["make_forms"].write_form(Path(tmp) / "重庆.xlsx", rows, merges).read_bytes()


# The clean sample (samples/specs.py CLEAN), the numbers the near misses below start from:
#   资金情况  省级 800/800/800/776/24, 市级 3200/3350/3350/3290.50/59.50 (预算/调整后/到位/支出/结余),
#            基本支出 1500/1500/1480.20, 项目支出 2500/2650/2586.30; execution 4066.5 / 4150 = 97.99%
#   绩效目标  row 0 ≥12 项 (13 done), row 2 ≥20000 人次 (21500), row 3 the only 满意度指标
#   指标评分  the seed's 24 indicators, weights 100, scores 91 (row 0 预算执行率 10/8, row 1 3/3)
#   评价结论  部门管理 17 of 20 (85%); 一级 rates 80%, 85%, 96%, 90%, 90%
CASES = [
    Case("S01", True, "a text file named .xlsx", raw=b"this is not a workbook", cell=""),
    Case("S01", False, "a sheet with a password to edit it (not to open the file): read", post=sheet_password("资金情况", "lzxq2023")),
    Case("S02", True, "绩效目标 deleted", post=lambda wb: wb.remove(wb["绩效目标"]), cell="绩效目标"),
    Case(
        "S02",
        True,
        "指标评分 named 指标评分表: the near name is given",
        post=rename_sheet("指标评分", "指标评分表"),
        cell="指标评分",
        message="找不到工作表“指标评分”；工作簿中有“指标评分表”，是否就是它？请改名为“指标评分”",
    ),
    Case("S02", False, "绩效目标 named '绩效目标 ' (a trailing space)", post=rename_sheet("绩效目标", "绩效目标 ")),
    Case("S03", True, "扣分原因 column renamed", post=rename_header("指标评分", "扣分原因", "原因"), cell="指标评分!2"),
    Case("S03", False, "header labels with * and units", post=rename_header("指标评分", "分值", "*分值（分）")),
    Case("S04", True, "old template version", info(模板版本="perfeval-v0"), cell="基本信息!B21"),
    Case("S04", False, "version perfeval-v1 between spaces", info(模板版本="　perfeval-v1 ")),
    Case("S05", True, "部门名称 blank", info(部门名称=None), cell="基本信息!B3"),
    Case("S05", False, "部门名称 one character between spaces", info(部门名称="　局 ")),
    Case("S06", True, "评价类型 not in the list", info(评价类型="自评"), cell="基本信息!B6"),
    Case("S06", True, "评价年度 out of range", info(评价年度=1999), cell="基本信息!B5"),
    Case("S06", True, "bad e-mail", info(电子邮箱="wenlv at example"), cell="基本信息!B11"),
    Case("S06", True, "指标性质 not in the list", goal(0, "指标性质", "大于"), cell="绩效目标!F3"),
    Case("S06", False, "two e-mail addresses", info(电子邮箱="a@example.gov.cn；b.c@example.cn")),
    Case("S06", False, "评价年度 2000, the first year allowed", info(评价年度=2000)),
    Case("S06", False, "a 绩效目标 row that does not apply: 指标性质 “/”", na_goal),
    Case("S07", True, "money typed as text", fund("市级资金", "预算安排资金", "3,200.00"), cell="资金情况!B5"),
    Case("S07", True, "full-width digits with 万元", fund("市级资金", "预算安排资金", "３２００．００万元"), cell="资金情况!B5"),
    Case("S07", True, "报告预算执行率 in full-width digits", ffield("报告预算执行率", "９７.９９％"), cell="资金情况!B12"),
    Case("S07", False, "a number shown as 3,200.00万元 by its number format", post=number_format("资金情况", "B5", '#,##0.00"万元"')),
    Case("S07", False, "报告预算执行率 typed 97.99% as text, as the template asks", ffield("报告预算执行率", "97.99%")),
    Case("S07", False, "报告得分率 typed 85% as text", analysis(1, "报告得分率", "85%")),
    Case("S08", True, "money typed as words", fund("市级资金", "预算安排资金", "三千二百万"), cell="资金情况!B5"),
    Case("S08", True, "a score as words", score(1, "得分", "满分"), cell="指标评分!F4"),
    Case("S08", False, "a score typed as text number", score(1, "得分", "3")),
    Case("S08", False, "a 指标评分 row that does not apply: “／” for 分值 and 得分", na_score),
    Case("F01", True, "typed 合计 off by 100", fund("合计", "预算安排资金", 4100), cell="资金情况!B8"),
    Case("F01", False, "typed 合计 off by 0.005 (within 0.01)", fund("合计", "预算安排资金", 4000.005)),
    Case(
        "F02",
        True,
        "spent over received",
        both(fund("省级资金", "实际支出资金", 900), fund("省级资金", "结余资金", -100)),
        cell="资金情况!E4",
    ),
    Case(
        "F02",
        False,
        "spent 0.005 over received (within 0.01)",
        both(fund("省级资金", "实际支出资金", 800.005), fund("省级资金", "结余资金", 0)),
    ),
    Case("F03", True, "balance off by 0.5", fund("市级资金", "结余资金", 60.00), cell="资金情况!F5"),
    Case("F03", False, "balance within 0.01", fund("市级资金", "结余资金", 59.505)),
    Case(
        "F03",
        False,
        "spent over received: F02 asks to correct the spending, no negative balance is asked for",
        both(fund("省级资金", "实际支出资金", 900), fund("省级资金", "结余资金", 0)),
    ),
    Case("F03", False, "实际到位资金 blank: F16 asks for it, never counted as 0", fund("市级资金", "实际到位资金", None)),
    Case(
        "F04",
        True,
        "received over the adjusted budget",
        both(fund("省级资金", "实际到位资金", 900), fund("省级资金", "结余资金", 124)),
        cell="资金情况!C4",
    ),
    Case(
        "F04",
        False,
        "received 0.005 over 调整后预算 (within 0.01)",
        both(fund("市级资金", "实际到位资金", 3350.005), fund("市级资金", "结余资金", 59.505)),
    ),
    Case(
        "F05",
        True,
        "spent over the adjusted budget",
        both(fund("市级资金", "实际支出资金", 3400), fund("市级资金", "结余资金", -50)),
        cell="资金情况!E5",
        message=catalogue.get("F05").message,
    ),
    Case("F05", False, "all of 调整后预算 spent: execution exactly 100%", every_spent),
    Case(
        "F06",
        True,
        "execution 67% with no reason",
        both(fund("市级资金", "实际支出资金", 2000), fund("市级资金", "结余资金", 1350)),
        cell="资金情况!B14",
    ),
    Case(
        "F06",
        False,
        "execution 67% explained",
        both(fund("市级资金", "实际支出资金", 2000), fund("市级资金", "结余资金", 1350), ffield("执行偏差原因", "项目未达到实施条件")),
    ),
    Case(
        "F06",
        False,
        "execution exactly 90% with no reason",
        both(fund("市级资金", "实际支出资金", 2959), fund("市级资金", "结余资金", 391)),
    ),
    Case(
        "F07",
        True,
        "adjusted by 32.5% with no 调整说明",
        both(fund("市级资金", "调整后预算", 4500), ffield("调整说明", None)),
        cell="资金情况!B13",
    ),
    Case("F07", False, "adjusted by exactly 30% with no 调整说明", both(fund("市级资金", "调整后预算", 4400), ffield("调整说明", None))),
    Case("F08", True, "reported 80% against 97.99%", ffield("报告预算执行率", 0.80), cell="资金情况!B12"),
    Case("F08", False, "reported 97.9% against 97.99% (within 0.1 points)", ffield("报告预算执行率", 0.979)),
    Case("F09", True, "基本 + 项目 ≠ 合计", fund("基本支出", "预算安排资金", 1600), cell="资金情况!B9"),
    Case("F09", False, "基本 + 项目 off by 0.005 (within 0.01)", fund("基本支出", "预算安排资金", 1500.005)),
    Case("F10", True, "项目支出 execution 75%", fund("项目支出", "实际支出资金", 1987.5), cell="资金情况!E10"),
    Case("F10", False, "项目支出 execution exactly 90%", fund("项目支出", "实际支出资金", 2385)),
    Case("F12", True, "a negative budget", fund("中央资金", "预算安排资金", -10), cell="资金情况!B3"),
    Case("F12", False, "a zero budget", fund("中央资金", "预算安排资金", 0)),
    Case(
        "F13",
        True,
        "zero balance left blank",
        both(fund("省级资金", "实际支出资金", 800), fund("省级资金", "结余资金", None)),
        cell="资金情况!F4",
    ),
    Case("F13", False, "zero balance written 0.00", both(fund("省级资金", "实际支出资金", 800), fund("省级资金", "结余资金", 0))),
    Case(
        "F13",
        False,
        "balance blank, 实际支出资金 0 and 实际到位资金 blank: not known to be 0",
        both(fund("省级资金", "实际到位资金", None), fund("省级资金", "实际支出资金", 0), fund("省级资金", "结余资金", None)),
    ),
    Case(
        "F14",
        True,
        "adjusted by 3.75% with no 调整说明",
        ffield("调整说明", None),
        cell="资金情况!B13",
        message=catalogue.get("F14").message,
    ),
    Case(
        "F14",
        True,
        "adjusted by exactly 30% (F07 silent) with no 调整说明",
        both(fund("市级资金", "调整后预算", 4400), ffield("调整说明", None)),
    ),
    Case(
        "F14",
        False,
        "adjusted by 32.5% with no 调整说明: F07 warns, F14 keeps quiet",
        both(fund("市级资金", "调整后预算", 4500), ffield("调整说明", None)),
    ),
    Case(
        "F14",
        False,
        "调整后预算 0.005 over 预算安排资金 (within 0.01), no 调整说明",
        both(fund("市级资金", "调整后预算", 3200.005), ffield("调整说明", None)),
    ),
    Case(
        "F15",
        True,
        "no amounts, reported 65.6%, no reason",
        both(no_amounts, ffield("报告预算执行率", 0.656)),
        cell="资金情况!B14",
        message=catalogue.get("F15").message,
    ),
    Case("F15", False, "no amounts, reported exactly 90%, no reason", both(no_amounts, ffield("报告预算执行率", 0.90))),
    Case("F15", False, "amounts given (F06 checks 97.99%), reported 65.6%, no reason", ffield("报告预算执行率", 0.656)),
    Case(
        "F16",
        True,
        "市级资金 in use, its 实际到位资金 blank",
        fund("市级资金", "实际到位资金", None),
        cell="资金情况!D5",
        message=catalogue.get("F16").message,
    ),
    Case("F16", True, "项目支出 in use, its 实际支出资金 blank", fund("项目支出", "实际支出资金", None), cell="资金情况!E10"),
    Case("F16", False, "市级资金 实际到位资金 typed 0.00 (F02 asks about it)", fund("市级资金", "实际到位资金", 0)),
    Case("F16", False, "项目支出 预算安排资金 blank: its 调整后预算 gives the rate", fund("项目支出", "预算安排资金", None)),
    Case("F16", False, "中央资金 holds only a 0: not in use", fund("中央资金", "预算安排资金", 0)),
    Case(
        "G01",
        True,
        "a goal with no indicator",
        lambda s: s["绩效目标"].append({"序号": 5, "年度绩效目标": "推进智慧文旅建设"}),
        cell="绩效目标!B7",
    ),
    Case(
        "G01",
        True,
        "a long goal with no indicator: quoted to the end of a phrase, marked cut",
        lambda s: s["绩效目标"].append({"序号": 5, "年度绩效目标": LONG_GOAL}),
        cell="绩效目标!B7",
        message=catalogue.get("G01").message,
    ),
    Case(
        "G01",
        False,
        "a goal with a single indicator",
        add_goal(
            年度绩效目标="推进智慧文旅建设",
            一级指标="产出指标",
            二级指标="数量指标",
            三级指标="智慧景区建设数",
            指标性质="≥",
            指标值=2,
            计量单位="个",
            实际完成值=2,
        ),
    ),
    Case("G02", True, "target typed as words", goal(0, "指标值", "若干"), cell="绩效目标!G3"),
    Case("G02", False, "target typed ≥12 as text", goal(0, "指标值", "≥12")),
    Case("G03", True, "no unit", goal(0, "计量单位", None), cell="绩效目标!H3"),
    Case(
        "G03",
        False,
        "定性 indicator with no unit",
        both(goal(0, "指标性质", "定性"), goal(0, "计量单位", None), goal(0, "指标值", "按期完成"), goal(0, "实际完成值", "已完成")),
    ),
    Case("G04", True, "missed with no reason", goal(0, "实际完成值", 10), cell="绩效目标!J3"),
    Case("G04", False, "missed, explained", both(goal(0, "实际完成值", 10), goal(0, "偏差原因及改进措施", "两项任务顺延至次年"))),
    Case("G04", False, "met exactly (12 of ≥12), no reason", goal(0, "实际完成值", 12)),
    Case("G05", True, "25% over a ≥ target", goal(0, "实际完成值", 15), cell="绩效目标!I3"),
    Case("G05", False, "exactly 20% over a ≥ target (24000 of ≥20000)", goal(2, "实际完成值", 24000)),
    Case(
        "G06",
        True,
        "no 满意度指标",
        goal(3, "一级指标", "效益指标"),
        cell="绩效目标!C7",
        message=catalogue.get("G06").message,
    ),
    Case("G06", False, "the only 满意度指标 written with spaces around it", goal(3, "一级指标", " 满意度指标　")),
    Case("G07", True, "placeholder XX", goal(0, "实际完成值", "XX"), cell="绩效目标!I3"),
    Case(
        "G07",
        False,
        "a real word on a 定性 row",
        both(goal(0, "指标性质", "定性"), goal(0, "指标值", "按期完成"), goal(0, "实际完成值", "已完成")),
    ),
    Case("G07", False, "a row that does not apply: “指标1:/” and “/” in every cell", na_goal),
    Case("W01", True, "score over weight", score(1, "得分", 4), cell="指标评分!F4", message=catalogue.get("W01").message),
    Case("W01", False, "score 0.005 over its weight 3 (within 0.01)", score(1, "得分", 3.005)),
    Case("W02", True, "negative score", score(0, "得分", -1), cell="指标评分!F3"),
    Case("W02", True, "zero weight", score(1, "分值", 0), cell="指标评分!D4"),
    Case("W02", False, "score 0 with a reason", score(0, "得分", 0)),
    Case("W03", True, "weights add to 99", score(1, "分值", 2), cell="指标评分!D3", message=catalogue.get("W03").message),
    Case("W03", False, "weights add to 100.005 (within 0.01)", score(1, "分值", 3.005)),
    Case("W04", True, "deduction without reason", score(0, "扣分原因", None), cell="指标评分!G3"),
    Case("W04", False, "full marks need no reason", both(score(0, "得分", 10), score(0, "扣分原因", None))),
    Case("W05", True, "an indicator twice under one 二级", score(2, "三级指标", "预算编制科学性"), cell="指标评分!C5"),
    Case("W05", False, "the same name under another 二级", score(3, "三级指标", "预算编制科学性")),
    Case("W06", True, "blank score", score(0, "得分", None), cell="指标评分!F3"),
    Case("W06", False, "score 0 written", score(0, "得分", 0)),
    Case("W06", False, "a row that does not apply: “/” for 分值 and 得分", na_score),
    Case(
        "W07",
        True,
        "full marks 3 of 3 on an indicator done 35 of ≥40",
        both(missed_road, score(1, "三级指标", "市政道路维护里程")),
        cell="指标评分!F4",
        message=catalogue.get("W07").message,
    ),
    Case(
        "W07",
        True,
        "full marks written 2.995 of 3 (within 0.01)",
        both(missed_road, score(1, "三级指标", "市政道路维护里程"), score(1, "得分", 2.995)),
        cell="指标评分!F4",
    ),
    Case(
        "W07",
        False,
        "2.98 of 3: not full marks",
        both(missed_road, score(1, "三级指标", "市政道路维护里程"), score(1, "得分", 2.98)),
    ),
    Case(
        "W07",
        False,
        "full marks, the target met exactly (40 of ≥40)",
        both(missed_road, goal(0, "实际完成值", 40), score(1, "三级指标", "市政道路维护里程")),
    ),
    Case(
        "W07",
        False,
        "the name twice in 绩效目标: not matched",
        both(missed_road, goal(1, "三级指标", "市政道路维护里程"), score(1, "三级指标", "市政道路维护里程")),
    ),
    Case(
        "W08",
        True,
        "3 of 3 on an indicator with no 实际完成值",
        both(goal(3, "三级指标", "科技企业满意度"), goal(3, "实际完成值", None)),
        cell="指标评分!F23",
        message=catalogue.get("W08").message,
    ),
    Case(
        "W08",
        True,
        "a 定性 indicator with no 实际完成值, 0.5 of 3",
        both(
            goal(3, "三级指标", "科技企业满意度"),
            goal(3, "指标性质", "定性"),
            goal(3, "指标值", "较上年提高"),
            goal(3, "实际完成值", None),
            score(20, "得分", 0.5),
        ),
        cell="指标评分!F23",
    ),
    Case(
        "W08",
        False,
        "0 of 3 on an indicator with no 实际完成值",
        both(goal(3, "三级指标", "科技企业满意度"), goal(3, "实际完成值", None), score(20, "得分", 0)),
    ),
    Case("W09", True, "预算执行率 9.29 of 10 against 97.99% × 10 = 9.799 (0.509 off)", score(0, "得分", 9.29), cell="指标评分!F3"),
    Case("W09", False, "预算执行率 9.3 of 10 against 9.799 (within half a point)", score(0, "得分", 9.3)),
    Case(
        "W09",
        False,
        "项目预算执行率 9 of 10: a project's rate, not the department's",
        both(score(0, "三级指标", "项目预算执行率"), score(0, "得分", 9)),
    ),
    Case("C01", True, "评价得分 95 against 92.8", cfield("评价得分", 95), cell="评价结论!B2"),
    Case("C01", False, "评价得分 written 92.8分", cfield("评价得分", "92.8分")),
    Case("C02", True, "grade 良 against 92.8", cfield("评价等级", "良"), cell="评价结论!B3"),
    Case("C02", False, "grade 优 for a total of exactly 90", score(0, "得分", 7)),
    Case(
        "C03", True, "no 存在问题 listed", conclusion("items", lambda items: [i for i in items if i["类别"] != "存在问题"]), cell="评价结论"
    ),
    Case("C03", False, "a single 存在问题 listed", conclusion("items", lambda items: items[1:])),
    Case(
        "C04",
        True,
        "关联指标 not an indicator",
        conclusion("items", lambda items: [{**items[0], "关联指标": "不存在的指标"}] + items[1:]),
        cell="评价结论!C7",
    ),
    Case("C04", False, "指标评分 misnamed 指标评分表: S02 says so, no 关联指标 is checked", post=rename_sheet("指标评分", "指标评分表")),
    Case(
        "C04",
        False,
        "关联指标 with a space inside an indicator's name",
        conclusion("items", lambda items: [{**items[0], "关联指标": "预算 执行率"}] + items[1:]),
    ),
    Case(
        "W10",
        True,
        "Chongqing: 得分系数 80% of 指标权重 10, but 指标得分 10",
        raw=chongqing_form("救助资金按时发放率", 指标得分=10),
        cell="自评表!I10",
        message=catalogue.get("W10").message,
    ),
    Case("W10", False, "Chongqing: 得分系数 80% of 10 and 指标得分 8", raw=chongqing_form("救助资金按时发放率")),
    Case(
        "W10",
        False,
        "Chongqing: 得分系数 0.8 typed as a number, 指标得分 8.005 (within 0.01)",
        raw=chongqing_form("救助资金按时发放率", 得分系数=0.8, 指标得分=8.005),
    ),
    Case(
        "W11",
        True,
        "一级 label states 12 points over one 三级 of 10",
        score(0, "一级指标", "部门整体支出率（12分）"),
        cell="指标评分!A3",
        message=catalogue.get("W11").message,
    ),
    Case("W11", False, "一级 label states 10 points, its one 三级 weighs 10", score(0, "一级指标", "部门整体支出率（10分）")),
    Case("W11", False, "a bracket that states no weight: （试行）", score(0, "一级指标", "部门整体支出率（试行）")),
    Case("C05", True, "reported 一级 score off", analysis(0, "报告得分", 9), cell="评价结论!B39"),
    Case("C05", False, "reported 一级 score 9.805 against 9.8 (within 0.01)", analysis(0, "报告得分", 9.805)),
    Case(
        "C06",
        True,
        "reported rate 94% against 85%",
        analysis(1, "报告得分率", 0.94),
        cell="评价结论!C40",
        message=catalogue.get("C06").message,
    ),
    Case("C06", False, "reported rate 85.09% against 85% (within 0.1 points)", analysis(1, "报告得分率", 0.8509)),
    Case("C07", True, "the seed's table: implied weights 98.09", conclusion("analysis", SEED_TABLE), cell="评价结论!C47"),
    Case("C07", False, "部门管理 rate 87% against 85%: 17 ÷ 86.5% still allows 100 (88% would not)", analysis(1, "报告得分率", 0.87)),
    Case("C08", True, "report says 4 一级 indicators", info(报告一级指标数=4), cell="基本信息!B18"),
    Case("C08", False, "a 二级 name used under two 一级 is two of the 14 二级", score(19, "二级指标", "信息化建设")),
    Case("C09", True, "部门评价 describing a 自评", info(绩效评价工作过程="单位组织开展绩效自评，形成自评报告。"), cell="基本信息!B17"),
    Case("C09", False, "单位自评 describing that 自评", info(评价类型="单位自评", 绩效评价工作过程="单位组织开展绩效自评，形成自评报告。")),
]


def _spec(case: Case) -> Spec:
    spec = clean_spec()
    if case.mutate:
        case.mutate(spec)
    return spec


def _run(tmp_path: Path, make_workbook, case: Case):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    if case.raw is not None:
        (inbox / "部门.xlsx").write_bytes(case.raw)
    else:
        make_workbook(_spec(case), post=case.post, folder=inbox)
    files, skipped = discover(inbox)
    deps, findings = analyze(files, Settings(), skipped)
    return deps, findings


def _id(c) -> str:
    return f"{c.code}-{'fires' if c.fires else 'silent'}-{c.why}"


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_rule(tmp_path, make_workbook, case: Case):
    deps, findings = _run(tmp_path, make_workbook, case)
    assert len(deps) == 1, "the department must never be dropped"
    hits = [f for f in findings if f.code == case.code]
    if case.fires:
        assert hits, f"{case.code} did not fire: {[(f.code, f.location, f.message) for f in findings]}"
        assert {f.severity for f in hits} == {RULES[case.code].severity}
        if case.cell is not None:
            assert case.cell in {f.location for f in hits}, [f.location for f in hits]
        if case.message is not None:
            assert case.message in {f.message for f in hits}, [f.message for f in hits]
        for f in hits:
            assert f.message and f.department and f.file == "部门.xlsx"
    else:
        assert not hits, [(f.location, f.message) for f in hits]


def test_clean_sample_is_silent(tmp_path, make_workbook):
    deps, findings = _run(tmp_path, make_workbook, Case("", False, "clean"))
    assert findings == []
    assert deps[0].total_score == 92.8 and deps[0].grade == "优"


# --- silent cases are near misses ----------------------------------------------------------


def _members(path: Path) -> set[tuple[str, str]]:
    """(part, digest of its bytes) of a saved workbook, its timestamps (docProps/core.xml) left out."""
    with zipfile.ZipFile(path) as z:
        return {(n, hashlib.sha256(z.read(n)).hexdigest()) for n in z.namelist() if n != "docProps/core.xml"}


def _post_effect(spec: Spec, post: Callable | None, folder: Path) -> frozenset | None:
    """What `post` changes in the workbook of `spec` (None where it changes nothing)."""
    if post is None:
        return None
    import openpyxl

    from perfeval.fill import fill_template

    folder.mkdir(parents=True, exist_ok=True)
    filled = fill_template(folder / "filled.xlsx", spec)
    wb = openpyxl.load_workbook(filled)
    wb.save(folder / "as_is.xlsx")  # saved by openpyxl as post's workbook is: only post differs
    wb = openpyxl.load_workbook(filled)
    post(wb)
    wb.save(folder / "posted.xlsx")
    return frozenset(_members(folder / "as_is.xlsx") ^ _members(folder / "posted.xlsx")) or None


def _inputs(case: Case, folder: Path) -> tuple:
    """What a case gives the rules: its raw bytes, or its spec and what its `post` changes."""
    if case.raw is not None:
        return (case.raw, None, None)
    spec = _spec(case)
    return (None, spec, _post_effect(spec, case.post, folder))


CLEAN_INPUTS = (None, clean_spec(), None)


@pytest.mark.parametrize("case", [c for c in CASES if not c.fires], ids=_id)
def test_silent_case_is_a_near_miss(tmp_path, case: Case):
    """A silent case changes the clean sample, and differs from each firing case of its rule."""
    mine = _inputs(case, tmp_path / "silent")
    assert mine != CLEAN_INPUTS, f"{case.code} “{case.why}” is the clean sample: it shows nothing of the rule's boundary"
    firing = [c for c in CASES if c.code == case.code and c.fires]
    assert firing, f"{case.code} has no firing case to be a near miss of"
    for i, other in enumerate(firing):
        assert _inputs(other, tmp_path / f"fires{i}") != mine, f"{case.code}: “{case.why}” is the same input as “{other.why}”"


# --- batch rules ---------------------------------------------------------------------------


def _variant(code: str, name: str, **changes) -> Spec:
    s = clean_spec()
    s["基本信息"].update({"部门编码": code, "部门名称": name, "电子邮箱": f"{code.lower()}@example.gov.cn"})
    s["基本信息"].update(changes)
    return s


def _scaled(spec: Spec, factor: float) -> Spec:
    """Every amount of the funds table times `factor` (10000: typed in 元, not 万元)."""
    for row in spec["资金情况"]["rows"].values():
        for k, v in list(row.items()):
            if isinstance(v, (int, float)):
                row[k] = v * factor
    return spec


def _yuan(spec: Spec) -> Spec:
    return _scaled(spec, 10000)


def _said(spec: Spec, *problems: str, advice: str = "") -> Spec:
    """The department's 评价结论 items: these 存在问题, and one 相关建议: `advice`, else one of
    its own (its code in it: a department's name is left out where texts are compared)."""
    code = spec["基本信息"]["部门编码"]
    spec["评价结论"]["items"] = [
        *({"类别": "存在问题", "内容": text} for text in problems),
        {"类别": "相关建议", "内容": advice or f"按{code}类职责清单细化本年度的绩效目标"},
    ]
    return spec


def _books(*specs: Spec) -> list[tuple[str, Spec | bytes]]:
    return [(f"{i:02d}.xlsx", s) for i, s in enumerate(specs)]


@dataclass
class BatchCase:
    code: str
    fires: bool
    why: str
    files: list[tuple[str, Spec | bytes]]  # the inbox: a workbook filled from each spec, the bytes as they are
    hits: list[tuple[str, str]] | None = None  # where it fires: every (file, 工作表!单元格), sorted
    severity: Severity | None = None  # of its findings, as the catalogue has it
    # an earlier year's inbox, processed first into a results history the batch is compared with
    earlier: list[tuple[str, Spec]] | None = None
    departments: int = field(init=False)

    def __post_init__(self) -> None:
        self.departments = sum(1 for _, content in self.files if not isinstance(content, bytes))


BATCH_CASES = [
    BatchCase(
        "B01",
        True,
        "one code twice (a corrected copy): every copy",
        _books(_variant("A-1", "甲局"), _variant("A-1", "甲局（更正）"), _variant("B-2", "乙局")),
        hits=[("00.xlsx", "基本信息!B4"), ("01.xlsx", "基本信息!B4")],
        severity=Severity.ERROR,
    ),
    BatchCase(
        "B01",
        True,
        "no code: the name twice",
        _books(_variant("", "甲局"), _variant("", "甲局")),
        hits=[("00.xlsx", "基本信息!B3"), ("01.xlsx", "基本信息!B3")],
        severity=Severity.ERROR,
    ),
    BatchCase("B01", False, "the same name under another code", _books(_variant("A-1", "甲局"), _variant("A-2", "甲局"))),
    BatchCase("B01", False, "the same code in another year", _books(_variant("A-1", "甲局"), _variant("A-1", "甲局", 评价年度=2022))),
    BatchCase(
        "B02",
        True,
        "one department of 2022 among 2023",
        _books(_variant("A", "甲"), _variant("B", "乙"), _variant("C", "丙", 评价年度=2022)),
        hits=[("02.xlsx", "基本信息!B5")],
        severity=Severity.WARNING,
    ),
    BatchCase(
        "B02",
        False,
        "the same year typed “2023年” as text",
        _books(_variant("A", "甲"), _variant("B", "乙"), _variant("C", "丙", 评价年度="2023年")),
    ),
    BatchCase(
        "B03",
        True,
        "a lock file and a text file",
        [*_books(_variant("A", "甲")), ("~$00.xlsx", b"lock"), ("说明.txt", b"hi")],
        hits=[("~$00.xlsx", ""), ("说明.txt", "")],
        severity=Severity.INFO,
    ),
    BatchCase(
        "B03",
        False,
        "a workbook named ~01.XLSX: not a lock file, and its suffix in capitals",
        [*_books(_variant("A", "甲")), ("~01.XLSX", _variant("B", "乙"))],
    ),
    BatchCase(
        "B04",
        True,
        "one 存在问题 in two departments, its figures, punctuation and the department's own name changed",
        _books(
            _said(_variant("A", "甲局"), "甲局预算执行进度前松后紧，第四季度支出占比 45.2%", "政府采购程序不够规范严谨"),
            _said(_variant("B", "乙局"), "会议费支出超出年初预算较多", "乙局预算执行进度前松后紧 第四季度支出占比38%。"),
            _said(_variant("C", "丙局"), "固定资产账实不符的情况较多"),
        ),
        hits=[("00.xlsx", "评价结论!B7"), ("01.xlsx", "评价结论!B8")],
        severity=Severity.INFO,
    ),
    BatchCase(
        "B04",
        False,
        "texts alike but different in substance, a department repeating itself, and a short common phrase",
        _books(
            _said(
                _variant("A", "甲局"),
                "预算执行进度前松后紧，第四季度支出占比偏高",
                "预算执行进度前松后紧，第四季度支出占比偏高。",
                "加强管理",
            ),
            _said(_variant("B", "乙局"), "预算执行进度前松后紧，第三季度支出占比偏高", "加强管理"),
        ),
    ),
    BatchCase(
        "B04",
        False,
        "one department in two files (a corrected copy: B01's)",
        _books(
            _said(_variant("A", "甲局"), "政府采购程序不够规范，有3项采购未公开"),
            _said(_variant("A", "甲局（更正）"), "政府采购程序不够规范，有3项采购未公开"),
        ),
    ),
    BatchCase(
        "B05",
        True,
        "a 存在问题 and a 相关建议 written again the next year, figures and punctuation changed",
        _books(
            _said(_variant("A", "甲局", 评价年度=2023), "政府采购程序不够规范，2023年有3项采购未公开", "固定资产账实不符的情况较多"),
        ),
        hits=[("00.xlsx", "评价结论!B7"), ("00.xlsx", "评价结论!B9")],
        severity=Severity.INFO,
        earlier=[("甲局2022.xlsx", _said(_variant("A", "甲局", 评价年度=2022), "政府采购程序不够规范：2022 年有 5 项采购未公开。"))],
    ),
    BatchCase(
        "B05",
        False,
        "the same problem in another department's earlier year, and this department's earlier problem put otherwise",
        _books(_said(_variant("A", "甲局", 评价年度=2023), "政府采购程序不够规范，2023年有3项采购未公开")),
        earlier=[
            (
                "甲局2022.xlsx",
                _said(_variant("A", "甲局", 评价年度=2022), "政府采购未按规定公开的项目较多", advice="按季度分解预算执行计划并跟踪进度"),
            ),
            ("乙局2022.xlsx", _said(_variant("B", "乙局", 评价年度=2022), "政府采购程序不够规范，2022年有5项采购未公开")),
        ],
    ),
    BatchCase(
        "F11",
        True,
        "amounts typed in 元: 10000× the others",
        _books(_variant("A", "甲"), _variant("B", "乙"), _yuan(_variant("C", "丙"))),
        hits=[("02.xlsx", "资金情况!B5")],
        severity=Severity.WARNING,
    ),
    BatchCase(
        "F11",
        False,
        "a department 9999× the others: not yet 10000×",
        _books(_variant("A", "甲"), _variant("B", "乙"), _scaled(_variant("C", "丙"), 9999)),
    ),
]


def _batch(tmp_path: Path, make_workbook, files: list[tuple[str, Spec | bytes]], earlier: list[tuple[str, Spec]] | None = None):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, content in files:
        if isinstance(content, bytes):
            (inbox / name).write_bytes(content)
        else:
            make_workbook(content, name=name, folder=inbox)
    found, skipped = discover(inbox)
    if not earlier:
        return analyze(found, Settings(), skipped)
    from perfeval.historydb import History, attach_earlier
    from perfeval.pipeline import process

    for name, content in earlier:
        make_workbook(content, name=name, folder=tmp_path / "earlier")
    history = tmp_path / "history.sqlite"
    process(tmp_path / "earlier", tmp_path / "earlier-out", Settings(), date(2023, 3, 1), reports=False, history=history)
    with History(history) as h:
        return analyze(found, Settings(), skipped, before_batch=lambda deps: attach_earlier(h, deps))


@pytest.mark.parametrize("case", BATCH_CASES, ids=_id)
def test_batch_rule(tmp_path, make_workbook, case: BatchCase):
    deps, findings = _batch(tmp_path, make_workbook, case.files, case.earlier)
    assert len(deps) == case.departments, "every department is kept (duplicates too)"
    hits = [f for f in findings if f.code == case.code]
    if case.fires:
        assert hits, f"{case.code} did not fire: {[(f.code, f.file, f.location, f.message) for f in findings]}"
        assert {f.severity for f in hits} == {RULES[case.code].severity}
        if case.severity is not None:
            assert RULES[case.code].severity is case.severity
        if case.hits is not None:
            assert sorted((f.file, f.location) for f in hits) == case.hits
        assert all(f.message for f in hits)
    else:
        assert not hits, [(f.file, f.location, f.message) for f in hits]


def _plain(files: list[tuple[str, Spec | bytes]]) -> bool:
    """A batch of clean departments that differ only in who they are (distinct codes and
    names, the same year): it passes every rule, so it shows no boundary either."""
    who: list[tuple[Any, Any]] = []
    for i, (name, content) in enumerate(files):
        if isinstance(content, bytes) or name != f"{i:02d}.xlsx":
            return False
        spec, clean = copy.deepcopy(content), clean_spec()
        for s in (spec, clean):
            for key in ("部门编码", "电子邮箱"):
                s["基本信息"].pop(key, None)
        who.append((content["基本信息"].get("部门编码"), spec["基本信息"].pop("部门名称")))
        clean["基本信息"].pop("部门名称")
        if spec != clean:
            return False
    codes, names = [c for c, _ in who], [n for _, n in who]
    return len(set(codes)) == len(codes) and len(set(names)) == len(names)


def test_plain_batch_is_recognised():
    assert _plain(_books(_variant("A", "甲"), _variant("B", "乙"), clean_spec()))
    assert not _plain(_books(_variant("A", "甲"), _variant("B", "甲")))
    assert not _plain(_books(_variant("A", "甲"), _variant("B", "乙", 评价年度=2022)))


@pytest.mark.parametrize("case", [c for c in BATCH_CASES if not c.fires], ids=_id)
def test_silent_batch_case_is_a_near_miss(case: BatchCase):
    assert not _plain(case.files), f"{case.code} “{case.why}” is a batch of clean departments: it shows nothing of the rule's boundary"
    firing = [c for c in BATCH_CASES if c.code == case.code and c.fires]
    assert firing, f"{case.code} has no firing case to be a near miss of"
    for other in firing:
        assert other.files != case.files, f"{case.code}: “{case.why}” is the same batch as “{other.why}”"


# --- the registry --------------------------------------------------------------------------


def test_every_rule_has_a_firing_and_a_silent_case():
    cases = [*CASES, *BATCH_CASES]
    assert {c.code for c in cases} - set(RULES) == set(), "a case for a rule that does not exist"
    assert set(RULES) - {c.code for c in cases if c.fires} == set()
    assert set(RULES) - {c.code for c in cases if not c.fires} == set()
    # a rule over the batch cannot be shown by one department's workbook alone
    assert {c.code for c in CASES if RULES[c.code].batch} == set()


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


# --- one cause, one finding ------------------------------------------------------------------


def test_rows_that_do_not_apply_are_no_indicators(tmp_path, make_workbook):
    """The national form's "指标1:/" rows, in 绩效目标 and 指标评分: nothing to report."""
    _, findings = _run(tmp_path, make_workbook, Case("", False, "n/a rows", both(na_goal, na_score)))
    assert findings == []


def test_spending_over_receipts_is_one_finding(tmp_path, make_workbook):
    case = Case("", True, "", both(fund("省级资金", "实际支出资金", 900), fund("省级资金", "结余资金", 0)))
    _, findings = _run(tmp_path, make_workbook, case)
    assert [(f.code, f.location) for f in findings if f.code in ("F02", "F03")] == [("F02", "资金情况!E4")]


def test_a_misnamed_scores_sheet_is_one_finding(tmp_path, make_workbook):
    _, findings = _run(tmp_path, make_workbook, Case("", True, "", post=rename_sheet("指标评分", "指标评分表")))
    assert "C04" not in {f.code for f in findings}
    assert [(f.code, f.location) for f in findings if f.code.startswith("S")] == [("S02", "指标评分")]


def test_a_blank_receipt_is_asked_for_once(tmp_path, make_workbook):
    _, findings = _run(tmp_path, make_workbook, Case("", True, "", fund("市级资金", "实际到位资金", None)))
    assert [(f.code, f.location) for f in findings if f.code.startswith("F")] == [("F16", "资金情况!D5")]
