"""Realistic filled workbooks for benchmarks: varied sizes, some with the usual mistakes."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

LEVEL1 = ("部门管理", "履职效果", "能力建设", "服务对象满意度", "部门整体支出率")
SOURCES = ("中央资金", "省级资金", "市级资金", "县级资金", "其他资金")


def department_spec(i: int, rnd: random.Random) -> dict[str, Any]:
    """Department number `i` of a fictional 2023 batch."""
    n_scores = rnd.randint(12, 60)
    weights = [1] * n_scores
    for _ in range(100 - n_scores):
        weights[rnd.randrange(n_scores)] += 1
    scores = []
    for k, w in enumerate(weights):
        got = w if rnd.random() < 0.7 else max(0, w - rnd.randint(1, max(1, w // 2)))
        l1 = LEVEL1[min(k * len(LEVEL1) // n_scores, len(LEVEL1) - 1)]
        row = {
            "一级指标": l1,
            "二级指标": f"{l1}二级{k // 3 + 1}",
            "三级指标": f"指标{k + 1:02d}",
            "分值": w,
            "评分标准": "按评分标准逐项核查",
            "得分": got,
        }
        if got < w:
            row["扣分原因"] = "部分工作未按期完成" if rnd.random() < 0.9 else None
        scores.append(row)
    total = sum(r["得分"] for r in scores)
    goals = []
    for g in range(rnd.randint(3, 30)):
        target = rnd.randint(5, 500)
        actual = round(target * rnd.uniform(0.8, 1.3))
        goals.append(
            {
                "序号": g + 1,
                "年度绩效目标": f"年度目标{g // 3 + 1}",
                "一级指标": ("产出指标", "效益指标", "满意度指标")[g % 3],
                "二级指标": "数量指标",
                "三级指标": f"目标指标{g + 1}",
                "指标性质": "≥",
                "指标值": target,
                "计量单位": "项",
                "实际完成值": actual,
            }
        )
    rows: dict[str, dict[str, Any]] = {}
    for src in rnd.sample(SOURCES, rnd.randint(1, 3)):
        budget = round(rnd.uniform(100, 20000), 2)
        received = budget if rnd.random() < 0.8 else round(budget * rnd.uniform(0.9, 1.6), 2)
        spent = round(received * rnd.uniform(0.6, 1.0), 2)
        rows[src] = {"预算安排资金": budget, "实际到位资金": received, "实际支出资金": spent, "结余资金": round(received - spent, 2)}
    if rnd.random() < 0.05:  # typed in 元
        for r in rows.values():
            for k in list(r):
                r[k] = round(r[k] * 10000, 2)
    return {
        "基本信息": {
            "部门名称": f"示例市第{i:05d}部门",
            "部门编码": f"B{i:05d}",
            "评价年度": 2023,
            "评价类型": "部门评价",
            "电子邮箱": f"b{i:05d}@example.gov.cn",
            "绩效评价工作过程": "评价组开展现场核查。",
            "报告一级指标数": 5,
        },
        "资金情况": {"rows": rows, "fields": {"报告预算执行率": round(rnd.uniform(0.6, 1.1), 4)}},
        "绩效目标": goals,
        "指标评分": scores,
        "评价结论": {
            "fields": {
                "评价得分": total if rnd.random() < 0.9 else total + 2,
                "评价等级": "优" if total >= 90 else "良" if total >= 80 else "中",
            },
            "items": [{"类别": "存在问题", "内容": "预算执行进度偏慢"}, {"类别": "相关建议", "内容": "加强预算执行管理"}],
        },
    }


def generate(folder: Path, n: int, seed: int = 2023, start: int = 0) -> list[Path]:
    from perfeval.fill import write_filled

    folder.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(seed + start)
    paths = []
    for i in range(start, start + n):
        path = folder / f"{i:05d}.xlsx"
        if not path.exists():
            write_filled(path, department_spec(i, rnd))
        paths.append(path)
    return paths
