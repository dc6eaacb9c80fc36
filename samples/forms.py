"""The sample 自评表 in real-world layouts (docs/profiles.md), and each one's transcription into
the v1 template: the same figures, typed as an evaluator would retype them.

`python samples/make_forms.py` writes them to samples/forms/. The figures are made up; the
shapes are those of the published forms. Every form here is scored from its own cells, and
tests/test_forms.py checks that it gives the score, grade, rates and findings its transcription
gives in the template.
"""

from __future__ import annotations

YEAR = 2023

# (一级, 二级, 三级, sign, 指标值, 计量单位, 实际完成值, 分值, 得分, 偏差原因)
# sign "" is a 定性 indicator: its values are words.
INDICATORS = [
    ("产出指标", "数量指标", "道路养护里程", "≥", 30, "公里", 32, 15, 15, ""),
    ("产出指标", "数量指标", "低保对象救助人次", "≥", 1200, "人次", 1260, 10, 10, ""),
    ("产出指标", "数量指标", "公共设施维修项数", "≥", 20, "项", 23, 10, 10, ""),
    ("产出指标", "质量指标", "工程验收合格率", "=", 100, "%", 100, 10, 10, ""),
    ("产出指标", "时效指标", "救助资金按时发放率", "≥", 95, "%", 92, 10, 8, "部分资金因审批流程延迟发放，已优化审批流程"),
    ("产出指标", "成本指标", "单公里养护成本", "≤", 3, "万元", 2.8, 5, 5, ""),
    ("效益指标", "社会效益指标", "群众办事平均等待时间", "≤", 30, "分钟", 35, 10, 7, ""),
    ("效益指标", "可持续影响指标", "基层治理长效机制", "", "建立并运行", "", "已建立并运行", 10, 10, ""),
    ("满意度指标", "服务对象满意度指标", "群众满意度", "≥", 90, "%", 93, 10, 10, ""),
]
EXECUTION = (10, 9.6)  # the scored 执行率 block: 分值, 得分 (96% × 10)
TOTAL_SCORE = EXECUTION[1] + sum(i[8] for i in INDICATORS)  # 94.6
GOAL = "完成全镇道路养护、社会救助和基层治理年度任务，群众满意度不低于90%"
ACHIEVED = "基本完成年度目标，救助资金发放时效和办事等待时间未达预期"
# one department per layout, so that the four forms make a batch of their own
NAMES = {
    "national": "兰州新区秦川镇人民政府",
    "sichuan": "兰州新区西岔镇人民政府",
    "chongqing": "兰州新区中川镇人民政府",
    "tianjin": "兰州新区上川镇人民政府",
    "weights": "兰州新区平安镇人民政府",  # D, the score sheet with the weights in its labels
}
CODE = "219001"  # the national form's: "219001-兰州新区秦川镇人民政府"
# (label, 年初预算, 全年预算, 全年执行): the total, then the sources as each form names them
FUNDS = [(1200, 1350, 1296), (1000, 1150, 1100), (200, 200, 196), (None, None, None)]


def _value(sign: str, value, unit: str) -> str:
    return str(value) if not sign else f"{sign}{value:g}{unit}"


def _actual(sign: str, value, unit: str) -> str:
    return str(value) if not sign else f"{value:g}{unit}"


def _indicator_rows(columns: tuple[str, ...]) -> list[list]:
    """The indicator rows in a form's columns (keys as in _row)."""
    out = []
    for l1, l2, l3, sign, target, unit, actual, weight, score, reason in INDICATORS:
        row = {
            "level1": l1,
            "level2": l2,
            "level3": l3,
            "value": _value(sign, target, unit),
            "actual_text": _actual(sign, actual, unit),
            "sign": sign or "定性",
            "plain_target": target,
            "signed": f"{sign}{target:g}" if sign else target,
            "plain_actual": actual,
            "unit": unit,
            "weight": weight,
            "score": score,
            "reason": reason or None,
            "nature": "定量" if sign else "定性",
            "coefficient": f"{score / weight:.0%}",
            "core": "是" if weight >= 10 else "否",
        }
        out.append([row[c] for c in columns])
    return out


def _merges_down(rows: list[list], first_row: int, cols: tuple[int, ...]) -> list[tuple[int, int, int, int]]:
    """Merged ranges (0-based r0, c0, r1, c1) over equal consecutive cells of `cols`, as the
    forms merge 一级/二级 down their rows."""
    merges = []
    for c in cols:
        start = 0
        for i in range(1, len(rows) + 1):
            if i < len(rows) and rows[i][c] == rows[start][c] and (c == cols[0] or rows[i][c - 1] == rows[start][c - 1]):
                continue
            if i - start > 1:
                merges.append((first_row + start, c, first_row + i - 1, c))
            start = i
    return merges


def national() -> tuple[list[list], list[tuple[int, int, int, int]]]:
    """A. The Ministry's one-sheet 部门整体支出绩效自评表 (财预〔2020〕10号 annex)."""
    rows: list[list] = [
        [f"部门整体支出绩效自评表（{YEAR}年度）"],
        ["部门名称", f"{CODE}-{NAMES['national']}", None, "填报人", "李红"],
        ["年度主要任务", "道路养护、社会救助、基层治理"],
        ["项目资金（万元）", "年初预算数", "全年预算数（A）", "全年执行数（B）", "分值", "执行率（B/A）", "得分"],
    ]
    labels = ["年度资金总额：", "其中：本年财政拨款", "上年结转资金", "其他资金"]
    for i, (label, money) in enumerate(zip(labels, FUNDS, strict=True)):
        extra = [EXECUTION[0], "96.00%", EXECUTION[1]] if i == 0 else ["-", "-", "-"]
        rows.append([label, *money, *extra])
    rows += [
        ["年度总体目标", "预期目标", None, None, "实际完成情况"],
        [None, GOAL, None, None, ACHIEVED],
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
    ]
    first = len(rows)
    body = _indicator_rows(("level1", "level2", "level3", "value", "actual_text", "weight", "score", "reason"))
    body.append(["满意度指标", "服务对象满意度指标", "指标1:", "/", "/", "/", "/", None])  # the form's unfilled row
    rows += body
    rows.append(["总分", None, None, None, None, 100, TOTAL_SCORE, None])
    merges = [(0, 0, 0, 7), (8, 0, 9, 0), (8, 1, 8, 3), (9, 1, 9, 3)] + _merges_down(body, first, (0, 1))
    return rows, merges


def sichuan() -> tuple[list[list], list[tuple[int, int, int, int]]]:
    """B. Sichuan's 部门预算项目支出绩效自评表, as the budget system exports it."""
    rows: list[list] = [
        [f"四川省部门预算项目支出绩效自评表（{YEAR}年度）"],
        ["报表编号：510000_0001"],
        ["项目名称", "秦川镇民生保障和基层治理经费"],
        ["主管部门", NAMES["sichuan"], None, "实施单位", NAMES["sichuan"]],
        ["资金来源", "年初预算", "调整后预算数", "预算执行数", "预算执行率", "权重", "得分"],
    ]
    labels = ["年度资金总额", "财政资金", "财政专户管理资金", "单位资金", "其他资金"]
    funds = [FUNDS[0], FUNDS[1], FUNDS[2], (None, None, None), FUNDS[3]]
    for i, (label, money) in enumerate(zip(labels, funds, strict=True)):
        extra = ["96.00%", EXECUTION[0], EXECUTION[1]] if i == 0 else [None, None, None]
        rows.append([label, *money, *extra])
    rows += [
        ["年度总体目标", "预期目标", None, None, "实际完成情况"],
        [None, GOAL, None, None, ACHIEVED],
        ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "权重", "完成值", "得分", "未完成原因分析"],
    ]
    first = len(rows)
    body = _indicator_rows(("level1", "level2", "level3", "sign", "plain_target", "unit", "weight", "plain_actual", "score", "reason"))
    rows += body
    rows.append(["合计", None, None, None, None, None, 100, None, TOTAL_SCORE, None])
    rows += [
        ["偏差大或目标未完成原因分析", "结合自评情况，说明偏差大或目标未完成的原因（200字以内）"],
        ["改进措施及结果应用方案", "优化救助资金审批流程，推行窗口错峰办理，缩短群众等待时间"],
    ]
    merges = [(0, 0, 0, 9), (1, 0, 1, 9), (10, 0, 11, 0)] + _merges_down(body, first, (0, 1))
    return rows, merges


def chongqing() -> tuple[list[list], list[tuple[int, int, int, int]]]:
    """C. Chongqing's 部门整体绩效自评表: a flat list of indicators, no 一级/二级."""
    rows: list[list] = [
        ["部门整体绩效自评表"],
        ["部门名称", NAMES["chongqing"], None, "年度", YEAR],
        ["年初预算数", "全年预算数", "全年执行数", "执行率", "权重", "得分"],
        [*FUNDS[0], "96.00%", *EXECUTION],
        ["指标名称", "计量单位", "指标性质", "年初指标值", "调整指标值", "全年完成值", "得分系数", "指标权重", "指标得分", "是否核心指标"],
    ]
    body = _indicator_rows(("level3", "unit", "nature", "signed", "signed", "plain_actual", "coefficient", "weight", "score", "core"))
    rows += body  # 年初指标值 and 调整指标值 alike: no target was adjusted
    rows.append(["自评总分", None, None, None, None, None, None, 100, TOTAL_SCORE, None])
    return rows, [(0, 0, 0, 9)]


def tianjin() -> tuple[list[list], list[tuple[int, int, int, int]]]:
    """E. A Tianjin-style system export: 指标名称 with a 计算符号 column."""
    rows: list[list] = [
        [f"{YEAR}年度部门整体支出绩效自评表"],
        ["部门名称", NAMES["tianjin"]],
        ["项目资金（万元）", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
    ]
    labels = ["年度资金总额", "本年财政拨款", "上年结转资金", "其他资金"]
    for i, (label, money) in enumerate(zip(labels, FUNDS, strict=True)):
        extra = [EXECUTION[0], "96.00%", EXECUTION[1]] if i == 0 else [None, None, None]
        rows.append([label, *money, *extra])
    rows.append(
        ["一级指标", "二级指标", "指标名称", "计算符号", "指标值", "实际完成值", "计量单位", "分值", "得分", "偏差原因分析及改进措施"]
    )
    first = len(rows)
    body = _indicator_rows(("level1", "level2", "level3", "sign", "plain_target", "plain_actual", "unit", "weight", "score", "reason"))
    rows += body
    rows.append(["总分", None, None, None, None, None, None, 100, TOTAL_SCORE, None])
    return rows, [(0, 0, 0, 9)] + _merges_down(body, first, (0, 1))


FORMS = {
    "national": ("A_财政部一表式_部门整体支出绩效自评表.xlsx", national),
    "sichuan": ("B_四川_项目支出绩效自评表.xlsx", sichuan),
    "chongqing": ("C_重庆_部门整体绩效自评表.xlsx", chongqing),
    "tianjin": ("E_天津式_系统导出自评表.xlsx", tianjin),
}


def transcription(layout: str) -> dict:
    """The same figures typed into the v1 template (perfeval.fill spec). The form's own funds
    rows go to the department's level (市级资金) and 其他资金; it has no 实际到位资金, so that
    column stays blank. 一级/二级 are typed where the form has them; a flat list's indicators
    are typed under the 一级 “绩效指标”, as perfeval reads them."""
    flat = layout == "chongqing"
    goals, scores = [], []
    for l1, l2, l3, sign, target, unit, actual, weight, score, reason in INDICATORS:
        goal = {"年度绩效目标": GOAL, "三级指标": l3, "指标性质": sign or "定性", "指标值": target, "实际完成值": actual}
        if unit:
            goal["计量单位"] = unit
        score_row = {"三级指标": l3, "分值": weight, "得分": score}
        if not flat:
            goal.update({"一级指标": l1, "二级指标": l2})
            score_row.update({"一级指标": l1, "二级指标": l2})
        else:
            score_row["一级指标"] = "绩效指标"
        if reason and layout != "chongqing":
            goal["偏差原因及改进措施"] = reason
            score_row["扣分原因"] = reason
        goals.append(goal)
        scores.append(score_row)
    execution = {"一级指标": "预算执行", "二级指标": "预算执行率", "三级指标": "预算执行率", "分值": EXECUTION[0], "得分": EXECUTION[1]}
    scores.insert(0, execution)  # first, as the form has it
    total, *sources = FUNDS
    rows = {"合计": dict(zip(("预算安排资金", "调整后预算", "实际支出资金"), total, strict=True))}
    if layout != "chongqing":
        rows["市级资金"] = dict(zip(("预算安排资金", "调整后预算", "实际支出资金"), sources[0], strict=True))
        rows["其他资金"] = dict(zip(("预算安排资金", "调整后预算", "实际支出资金"), sources[1], strict=True))
    info = {"部门名称": NAMES[layout], "评价年度": YEAR, "评价类型": "单位自评"}
    if layout == "national":
        info["部门编码"] = CODE
        info["联系人"] = "李红"
    if layout == "sichuan":
        info["项目名称"] = "秦川镇民生保障和基层治理经费"
    items = []
    if layout == "sichuan":
        items.append({"类别": "相关建议", "内容": "优化救助资金审批流程，推行窗口错峰办理，缩短群众等待时间"})
    return {
        "基本信息": info,
        "资金情况": {"rows": rows, "fields": {"报告预算执行率": 0.96}},
        "绩效目标": goals,
        "指标评分": scores,
        "评价结论": {"fields": {"评价得分": TOTAL_SCORE}, "items": items},
    }


# D. A score sheet with the weights in its labels (达州, many Hunan reports): "产出指标（60分）",
# "数量指标（35分）", "道路养护里程（15分）", and no 分值 column. It is the template otherwise
# (make_forms.py writes the national form's transcription so, and takes the column out).
WEIGHTS_IN_LABELS = "D_权重写在名称中_评分表.xlsx"


def weights_in_labels() -> dict:
    """The national form's transcription (another department's), its 指标评分 labels stating
    their weights."""
    spec = transcription("national")
    spec["基本信息"].update({"部门名称": NAMES["weights"], "部门编码": "219002"})
    # a score sheet in the template has the whole 资金情况: 实际到位资金 as well
    rows = spec["资金情况"]["rows"]
    for label, received in (("市级资金", 1150), ("其他资金", 200), ("合计", 1350)):
        rows[label]["实际到位资金"] = received
    scores = spec["指标评分"]
    for key in ("一级指标", "二级指标"):
        totals: dict[tuple, float] = {}
        for row in scores:
            group = (row["一级指标"], row["二级指标"]) if key == "二级指标" else (row["一级指标"],)
            totals[group] = totals.get(group, 0) + row["分值"]
        for row in scores:
            group = (row["一级指标"], row["二级指标"]) if key == "二级指标" else (row["一级指标"],)
            row[f"_{key}"] = f"{row[key]}（{totals[group]:g}分）"
    for row in scores:
        row["一级指标"], row["二级指标"] = row.pop("_一级指标"), row.pop("_二级指标")
        row["三级指标"] = f"{row['三级指标']}（{row['分值']:g}分）"
    return spec
