"""The workbook contract v1 (docs/contract.md) as data.

Both the template writer and the reader are built from these tables, so a label is spelled
in exactly one place. Column and field ids are the English names the rest of the code uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

TEMPLATE_VERSION = "perfeval-v1"


class Kind(Enum):
    TEXT = "text"
    MONEY = "money"  # 万元, two decimals
    NUMBER = "number"
    INTEGER = "integer"
    RATE = "rate"  # 157.7%, 1.577 or 157.7
    MIXED = "mixed"  # number for ≥/≤/= indicators, text for 定性 ones


@dataclass(frozen=True)
class Field:
    label: str
    id: str
    kind: Kind = Kind.TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class Table:
    sheet: str
    columns: tuple[Field, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(c.label for c in self.columns)


SHEET_INFO = "基本信息"
SHEET_FUNDS = "资金情况"
SHEET_GOALS = "绩效目标"
SHEET_SCORES = "指标评分"
SHEET_CONCLUSION = "评价结论"
CONTRACT_SHEETS = (SHEET_INFO, SHEET_FUNDS, SHEET_GOALS, SHEET_SCORES, SHEET_CONCLUSION)

EVALUATION_TYPES = ("单位自评", "部门评价", "财政评价", "第三方评价")
GRADES = ("优", "良", "中", "差")
GOAL_LEVEL1 = ("产出指标", "效益指标", "满意度指标", "成本指标")
REQUIRED_GOAL_LEVEL1 = ("产出指标", "效益指标", "满意度指标")
NATURES = ("≥", "≤", "=", "定性")
ITEM_CATEGORIES = ("存在问题", "相关建议")

INFO_FIELDS = (
    Field("部门名称", "name", required=True, help="被评价部门（评价对象名称）"),
    Field("部门编码", "code", help="预算单位编码；填写后用于跨文件、跨年度识别部门"),
    Field("评价年度", "year", Kind.INTEGER, required=True, help="四位整数年份，如 2023"),
    Field("评价类型", "eval_type", required=True, choices=EVALUATION_TYPES, help="从下拉列表选择"),
    Field("项目名称", "project", help="留空则为“<部门名称><评价年度>年度部门整体支出绩效评价”"),
    Field("评价机构", "agency"),
    Field("联系人", "contact"),
    Field("联系电话", "phone"),
    Field("电子邮箱", "email", help="评价结果发送地址"),
    Field("实施目的", "purpose"),
    Field("评价范围", "scope"),
    Field("评价依据", "basis", help="每行一条"),
    Field("评价方法", "method"),
    Field("数据采集及处理方法", "data_method"),
    Field("绩效评价工作过程", "process"),
    Field("报告一级指标数", "reported_level1_count", Kind.INTEGER, help="报告中写明的一级指标个数"),
    Field("报告二级指标数", "reported_level2_count", Kind.INTEGER, help="报告中写明的二级指标个数"),
    Field("报告三级指标数", "reported_level3_count", Kind.INTEGER, help="报告中写明的三级指标个数"),
    Field("模板版本", "template_version", required=True, help="由模板写入，请勿修改"),
)

FUNDS_TABLE = Table(
    SHEET_FUNDS,
    (
        Field("项目", "item"),
        Field("预算安排资金", "budget", Kind.MONEY, help="年初预算"),
        Field("调整后预算", "adjusted", Kind.MONEY, help="全年调整后预算；未调整可留空"),
        Field("实际到位资金", "received", Kind.MONEY),
        Field("实际支出资金", "spent", Kind.MONEY),
        Field("结余资金", "balance", Kind.MONEY, help="= 实际到位资金 − 实际支出资金；为 0 时填 0.00"),
        Field("说明", "note"),
    ),
)
MONEY_COLUMNS = ("budget", "adjusted", "received", "spent", "balance")
SOURCE_ROWS = ("中央资金", "省级资金", "市级资金", "县级资金", "其他资金")
TOTAL_ROW = "合计"
USE_ROWS = ("基本支出", "项目支出")
FUNDS_ROWS = SOURCE_ROWS + (TOTAL_ROW,) + USE_ROWS

FUNDS_FIELDS = (
    Field("报告预算执行率", "reported_execution_rate", Kind.RATE, help="报告中写的预算执行率，如 157.7%"),
    Field("调整说明", "adjustment_note", help="年中追加或调减预算时必填"),
    Field("执行偏差原因", "deviation_reason", help="预算执行率低于 90% 时必填"),
)

GOALS_TABLE = Table(
    SHEET_GOALS,
    (
        Field("序号", "seq"),
        Field("年度绩效目标", "goal"),
        Field("一级指标", "level1", choices=GOAL_LEVEL1),
        Field("二级指标", "level2"),
        Field("三级指标", "level3"),
        Field("指标性质", "nature", choices=NATURES),
        Field("指标值", "target", Kind.MIXED),
        Field("计量单位", "unit"),
        Field("实际完成值", "actual", Kind.MIXED),
        Field("偏差原因及改进措施", "deviation"),
    ),
)

SCORES_TABLE = Table(
    SHEET_SCORES,
    (
        Field("一级指标", "level1"),
        Field("二级指标", "level2"),
        Field("三级指标", "level3"),
        Field("分值", "weight", Kind.NUMBER),
        Field("评分标准", "criteria"),
        Field("得分", "score", Kind.NUMBER),
        Field("扣分原因", "reason"),
    ),
)

CONCLUSION_FIELDS = (
    Field("评价得分", "reported_score", Kind.NUMBER, help="报告中写的评价得分"),
    Field("评价等级", "reported_grade", choices=GRADES, help="报告中写的评价等级"),
    Field("其他需要说明的事项", "other_matters", help="没有可填“无”"),
)

ITEMS_TABLE = Table(
    SHEET_CONCLUSION,
    (
        Field("类别", "category", choices=ITEM_CATEGORIES),
        Field("内容", "content"),
        Field("关联指标", "indicator", help="可选：相关的三级指标名称"),
    ),
)

ANALYSIS_TABLE = Table(
    SHEET_CONCLUSION,
    (
        Field("一级指标", "level1"),
        Field("报告得分", "reported_score", Kind.NUMBER),
        Field("报告得分率", "reported_rate", Kind.RATE),
    ),
)

# Rows in the indicator tables whose first label cell holds one of these are totals, not indicators.
TOTAL_LABELS = ("合计", "总计", "小计", "总分")
