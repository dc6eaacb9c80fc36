"""The seed report (docs/seed-report.txt) as the rules must see it."""

from __future__ import annotations

import pytest

from perfeval.config import Settings
from perfeval.inbox import discover
from perfeval.model import Severity, Status
from perfeval.pipeline import analyze

from .conftest import INBOX, SEED_FILE


@pytest.fixture(scope="module")
def batch():
    files, skipped = discover(INBOX)
    deps, findings = analyze(files, Settings(), skipped)
    return deps, findings


@pytest.fixture(scope="module")
def seed(batch):
    deps, _ = batch
    return next(d for d in deps if d.file == SEED_FILE.name)


def test_seed_figures(seed):
    assert seed.name == "兰州新区科技发展局"
    assert seed.year == 2023 and seed.eval_type == "部门评价"
    assert seed.budget == pytest.approx(12609.43)
    assert seed.received == pytest.approx(19885.29)
    assert seed.spent == pytest.approx(19885.29)
    assert seed.balance == pytest.approx(0)
    assert f"{seed.arrival_rate:.2%}" == "157.70%"
    assert f"{seed.execution_rate:.2%}" == "100.00%"
    assert seed.total_score == 91 and seed.total_weight == 100 and seed.grade == "优"
    assert [(x.name, x.score, x.weight) for x in seed.level1] == [
        ("部门整体支出率", 8, 10),
        ("部门管理", 17, 20),
        ("履职效果", 48, 50),
        ("能力建设", 9, 10),
        ("服务对象满意度", 9, 10),
    ]
    assert seed.level3_count == 24 and len(seed.level2) == 14


def test_seed_findings(seed):
    got = {(f.code, f.location) for f in seed.findings}
    expected = {
        ("F04", "资金情况!C5"),  # 调整后预算 of 市级资金, the cell to fill
        ("F07", "资金情况!B13"),  # 调整说明
        ("F08", "资金情况!B12"),  # 报告预算执行率
        ("F13", "资金情况!F5"),  # 结余资金 of 市级资金
        ("G01", "绩效目标!B3"),
        ("G01", "绩效目标!B4"),
        ("G01", "绩效目标!B5"),
        ("G01", "绩效目标!B6"),
        ("G06", "绩效目标!C7"),  # the first empty row below the goals: the header is locked
        ("W04", "指标评分!G3"),  # 部门整体支出率: 8 of 10, no reason
        ("W09", "指标评分!F3"),  # 预算执行率 8 of 10 while the computed rate is 100.00%: 10
        ("C06", "评价结论!C40"),  # 部门管理 printed 94%, really 85%
        ("C07", "评价结论!C47"),  # implied weights 98.09
        ("C08", "基本信息!B18"),  # says 4 一级, has 5
        ("C09", "基本信息!B17"),  # 部门评价 describing a 自评
    }
    assert got == expected
    # nothing to match its 绩效目标 (no 三级指标 there), amounts given, 调整后预算 blank
    assert not {"C01", "C02", "C05", "W03", "W07", "W08", "F14", "F15"} & {f.code for f in seed.findings}


def test_seed_messages_carry_the_numbers(seed):
    by = {f.code: f for f in seed.findings}
    assert "157.70%" in by["F04"].message and "7,275.86" in by["F04"].message
    assert by["F08"].filled == "157.70%" and by["F08"].computed == "100.00%"
    assert "实际支出资金/预算安排资金" in by["F08"].message
    assert "98.09" in by["C07"].message
    assert "18.09" in by["C06"].message and "85.00%" in by["C06"].message
    assert by["F13"].severity is Severity.INFO and by["F13"].computed == "0.00"
    assert "100.00%" in by["W09"].message and (by["W09"].filled, by["W09"].computed) == ("8", "10")


def test_batch_ranks_and_keeps_everyone(batch):
    deps, findings = batch
    assert len(deps) == 7
    unscored = {d.file: d for d in deps}["04_兰州新区卫生健康委员会.xlsx"]  # a 得分 left blank
    assert unscored.status is Status.UNSCORED and unscored.rank is None and unscored.total_score is None
    accepted = [d for d in deps if d.status is Status.ACCEPTED]
    assert accepted and all(d.rank is not None for d in accepted)
    assert all(d.rank is None for d in deps if d.status is not Status.ACCEPTED)
    assert all(d.rank == 1 for d in accepted if d.total_score == max(x.total_score for x in accepted))
    clean = next(d for d in deps if d.file.startswith("02_"))
    assert clean.findings == []
    assert [f.code for f in findings if f.code == "F11"] == ["F11"]
