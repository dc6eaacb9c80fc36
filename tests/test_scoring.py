"""Funds figures are computed from filled values only: a blank input gives a blank figure, never
a number built on a 0 (issue "Trustworthy results", item 2); an overflow is never a figure."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from perfeval.config import Settings
from perfeval.model import Department
from perfeval.pipeline import process
from perfeval.read import read_workbook
from perfeval.results import result_json
from perfeval.scoring import column_total, compute, missing_inputs, ratio

from .conftest import SEED_FILE, clean_spec

Spec = dict[str, Any]


def fund(row: str, column: str, value: Any) -> Callable[[Spec], None]:
    def mutate(s: Spec) -> None:
        s["资金情况"]["rows"].setdefault(row, {})[column] = value

    return mutate


@pytest.fixture
def dep(make_workbook) -> Callable[..., Department]:
    """The clean sample's department after `mutations` of its spec."""

    def make(*mutations: Callable[[Spec], None]) -> Department:
        spec = clean_spec()
        for mutate in mutations:
            mutate(spec)
        path = make_workbook(spec)
        return compute(read_workbook(path, path.name), Settings())

    return make


# The clean sample: 省级 800 / 800 / 800 / 776 / 24, 市级 3200 / 3350 / 3350 / 3290.50 / 59.50
# (预算安排资金 / 调整后预算 / 实际到位资金 / 实际支出资金 / 结余资金); 基本支出 1500 / 1500 / – / 1480.20,
# 项目支出 2500 / 2650 / – / 2586.30.


def test_clean_sample_figures(dep):
    d = dep()
    assert (d.budget, d.adjusted, d.received, d.spent) == (4000, 4150, 4150, pytest.approx(4066.5))
    assert d.balance == pytest.approx(83.5)
    assert d.arrival_rate == pytest.approx(1.0)  # ÷ 调整后预算, which is filled
    assert d.execution_rate == pytest.approx(4066.5 / 4150)
    assert d.adjustment_rate == pytest.approx(150 / 4000)
    assert d.balance_rate == pytest.approx(83.5 / 4150)
    assert d.basic_rate == pytest.approx(1480.2 / 1500)
    assert d.project_rate == pytest.approx(2586.3 / 2650)


# --- 实际到位资金 and what depends on it: balance, arrival rate, balance rate ---------------


def test_received_blank_everywhere_gives_no_balance(dep):
    d = dep(fund("省级资金", "实际到位资金", None), fund("市级资金", "实际到位资金", None))
    assert d.received is None
    assert d.balance is None  # never 0 − 4066.50
    assert d.arrival_rate is None and d.balance_rate is None
    assert d.spent == pytest.approx(4066.5) and d.budget == 4000  # the rest is still known


def test_received_blank_in_a_row_in_use_is_unknown_not_zero(dep):
    d = dep(fund("省级资金", "实际到位资金", None))
    assert d.received is None  # not 3350: 省级 received money, its blank is no 0
    assert d.balance is None and d.arrival_rate is None and d.balance_rate is None
    assert column_total(d.data, "received") == (None, False)


def test_received_zero_filled_is_a_number(dep):
    d = dep(fund("省级资金", "实际到位资金", 0))
    assert d.received == 3350
    assert d.balance == pytest.approx(3350 - 4066.5)
    assert d.arrival_rate == pytest.approx(3350 / 4150)
    assert d.balance_rate == pytest.approx((3350 - 4066.5) / 3350)


def test_received_all_zero_gives_no_rate_over_it(dep):
    d = dep(fund("省级资金", "实际到位资金", 0), fund("市级资金", "实际到位资金", 0))
    assert d.received == 0 and d.balance == pytest.approx(-4066.5)
    assert d.balance_rate is None  # ÷ 0
    assert d.arrival_rate == 0


# --- 实际支出资金: balance, execution rate --------------------------------------------------


def test_spent_blank_in_a_row_in_use(dep):
    d = dep(fund("市级资金", "实际支出资金", None))
    assert d.spent is None
    assert d.balance is None and d.balance_rate is None and d.execution_rate is None
    assert d.received == 4150 and d.arrival_rate == pytest.approx(1.0)


def test_spent_zero_filled(dep):
    d = dep(fund("市级资金", "实际支出资金", 0))
    assert d.spent == 776
    assert d.balance == pytest.approx(4150 - 776)
    assert d.execution_rate == pytest.approx(776 / 4150)


# --- 预算安排资金: budget total, adjustment rate ----------------------------------------------


def test_budget_blank_in_a_row_in_use(dep):
    d = dep(fund("省级资金", "预算安排资金", None))
    assert d.budget is None and d.adjustment_rate is None
    # 省级 has its 调整后预算: the adjusted total, and the arrival rate over it, stay known
    assert d.adjusted == 4150 and d.arrival_rate == pytest.approx(1.0)


def test_budget_zero_filled(dep):
    d = dep(fund("省级资金", "预算安排资金", 0))
    assert d.budget == 3200
    assert d.adjustment_rate == pytest.approx((4150 - 3200) / 3200)


def test_a_row_not_in_use_adds_nothing(dep):
    """A source the department does not have: blank, or zeros only."""
    d = dep(fund("中央资金", "预算安排资金", 0), fund("中央资金", "结余资金", 0))
    assert (d.budget, d.adjusted, d.received, d.spent) == (4000, 4150, 4150, pytest.approx(4066.5))


def test_a_row_with_only_a_balance_is_in_use(dep):
    d = dep(fund("中央资金", "结余资金", 30))
    assert d.budget is None and d.received is None and d.spent is None and d.balance is None


def test_text_in_a_money_cell_makes_its_total_unknown(dep):
    d = dep(fund("中央资金", "实际支出资金", "见附表"))
    assert d.spent is None and d.balance is None and d.execution_rate is None
    assert any(n.code == "S08" for n in d.data.notes)
    assert d.budget == 4000  # the other columns stay known


# --- the 合计 row -----------------------------------------------------------------------


def test_only_the_total_typed_is_the_total(dep):
    d = dep(fund("省级资金", "实际到位资金", None), fund("市级资金", "实际到位资金", None), fund("合计", "实际到位资金", 4150))
    assert column_total(d.data, "received") == (4150, True)
    assert d.received == 4150 and d.balance == pytest.approx(83.5)


def test_the_total_never_stands_in_for_a_blank_row(dep):
    """Where some rows are filled the 合计 may be a SUM's cached result (.xls), built on 0s."""
    d = dep(fund("省级资金", "实际到位资金", None), fund("合计", "实际到位资金", 4150))
    assert d.received is None


# --- 调整后预算 ------------------------------------------------------------------------------


def test_unadjusted_row_keeps_its_budget(dep):
    d = dep(fund("省级资金", "调整后预算", None))
    assert d.adjusted == 4150  # 800 (省级 budget) + 3350


def test_a_row_in_use_with_neither_budget_nor_adjusted_makes_adjusted_unknown(dep):
    d = dep(fund("省级资金", "调整后预算", None), fund("省级资金", "预算安排资金", None))
    assert d.adjusted is None and d.budget is None
    # an adjustment was typed (市级): the rates over it are unknown, never over 预算安排资金 or 到位资金
    assert d.arrival_rate is None and d.execution_rate is None and d.adjustment_rate is None
    assert d.received == 4150 and d.balance == pytest.approx(83.5)


def test_adjusted_typed_as_text_is_unknown_not_the_budget(dep):
    d = dep(fund("市级资金", "调整后预算", "待定"))
    assert d.adjusted is None
    assert d.arrival_rate is None and d.execution_rate is None
    assert any(n.code == "S08" for n in d.data.notes)


def test_adjusted_zero_filled(dep):
    d = dep(fund("省级资金", "调整后预算", 0))
    assert d.adjusted == 3350
    assert d.arrival_rate == pytest.approx(4150 / 3350)
    assert d.adjustment_rate == pytest.approx((3350 - 4000) / 4000)


def test_no_adjustment_at_all(dep):
    d = dep(fund("省级资金", "调整后预算", None), fund("市级资金", "调整后预算", None))
    assert d.adjusted is None and d.adjustment_rate is None
    assert d.execution_rate == pytest.approx(4066.5 / 4150)  # ÷ 实际到位资金


# --- 资金到位率: its denominator both ways ------------------------------------------------------


def test_arrival_rate_divides_by_the_adjusted_budget_where_filled(dep):
    d = dep(fund("市级资金", "调整后预算", 4000))
    assert d.adjusted == 4800
    assert d.arrival_rate == pytest.approx(4150 / 4800)  # not ÷ 预算安排资金 4000


def test_arrival_rate_divides_by_the_budget_where_nothing_was_adjusted(dep):
    d = dep(fund("省级资金", "调整后预算", None), fund("市级资金", "调整后预算", None))
    assert d.arrival_rate == pytest.approx(4150 / 4000)


def test_seed_rates_are_unchanged():
    d = compute(read_workbook(SEED_FILE), Settings())
    assert d.adjusted is None  # the seed's 调整后预算 is blank
    assert f"{d.arrival_rate:.2%}" == "157.70%"
    assert f"{d.execution_rate:.2%}" == "100.00%"


# --- 基本支出执行率, 项目支出执行率 ----------------------------------------------------------


def test_use_rate_spent_blank(dep):
    d = dep(fund("项目支出", "实际支出资金", None))
    assert d.project_rate is None and d.basic_rate is not None


def test_use_rate_spent_zero(dep):
    d = dep(fund("项目支出", "实际支出资金", 0))
    assert d.project_rate == 0


def test_use_rate_falls_back_to_the_budget_only_where_adjusted_is_blank(dep):
    assert dep(fund("项目支出", "调整后预算", None)).project_rate == pytest.approx(2586.3 / 2500)
    assert dep(fund("项目支出", "调整后预算", None), fund("项目支出", "预算安排资金", None)).project_rate is None
    assert dep(fund("基本支出", "调整后预算", "无法确定")).basic_rate is None


# --- which blank cells a finding would have to ask for -------------------------------------


def test_missing_inputs_names_the_blank_cells(dep):
    assert missing_inputs(dep().data) == []
    d = dep(fund("省级资金", "实际到位资金", None), fund("省级资金", "预算安排资金", None), fund("省级资金", "调整后预算", None))
    assert missing_inputs(d.data) == [("省级资金", "budget"), ("省级资金", "received")]
    d = dep(fund("项目支出", "实际支出资金", None))
    assert missing_inputs(d.data) == [("项目支出", "spent")]


def test_missing_inputs_of_an_empty_funds_table(dep):
    d = dep(lambda s: s["资金情况"]["rows"].clear())
    assert (d.budget, d.received, d.spent, d.balance, d.arrival_rate) == (None,) * 5
    assert missing_inputs(d.data) == [("合计", "budget"), ("合计", "received"), ("合计", "spent")]


# --- never a number that is not finite ---------------------------------------------------------


def test_ratio_that_overflows_is_unknown():
    assert ratio(1e300, 1e-300) is None
    assert ratio(1.0, 0.0) is None and ratio(None, 1.0) is None and ratio(1.0, None) is None
    assert ratio(0.0, 4.0) == 0


def _no_constants(name: str) -> float:
    raise AssertionError(f"not JSON: {name}")


def test_huge_money_is_s08_and_never_inf(make_workbook, tmp_path):
    inbox = tmp_path / "inbox"
    spec = clean_spec()
    spec["资金情况"]["rows"]["省级资金"]["实际到位资金"] = 1e308
    spec["资金情况"]["rows"]["市级资金"]["实际到位资金"] = 1e308
    make_workbook(spec, "大数.xlsx", folder=inbox)
    result = process(inbox, tmp_path / "out", Settings(), reports=False)
    (d,) = result.departments
    huge = [f for f in d.findings if f.code == "S08" and "数值超出可能范围" in f.message]
    assert sorted(f.cell for f in huge) == ["D4", "D5"]
    assert d.received is None and d.balance is None and d.arrival_rate is None and d.balance_rate is None
    json.loads(result_json(result), parse_constant=_no_constants)
    assert (tmp_path / "out" / "绩效评价汇总.xlsx").is_file()
