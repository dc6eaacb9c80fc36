"""One department's results sheet, drawn both in the summary (xlsxwriter) and in the
department's own workbook (fastbook): the same layout code for either writer.

It prints on one A4 page, portrait (`PRINT`): columns A:G, long values wrapped in their cells."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .. import schema as S
from ..model import Severity, Status
from .wording import comparison_text
from .xlsxkit import Writer, clip, fit_cells, internal_link, page_setup

if TYPE_CHECKING:
    from ..model import Department

LABEL_WIDTH, VALUE_WIDTH, WIDTH = 18, 24, 15  # column A (labels), B (values, wrapped), C on
LAST_COL = 6  # G: the funds table's last column, and the sheet's printed width
SHEET_WIDTH = LABEL_WIDTH + VALUE_WIDTH + (LAST_COL - 1) * WIDTH
# one page, portrait; the title and the source file above any other page a reader makes of it
PRINT: dict[str, Any] = {"landscape": False, "fit": (1, 1), "repeat": (0, 1)}


def money_width(values: Iterable[float | None], least: float) -> float:
    """A money column's width: at least `least`, and wide enough for the largest amount as
    "#,##0.00" shows it (a narrower column shows "###")."""
    top = max((abs(v) for v in values if v is not None), default=0.0)
    return max(least, len(f"{top:,.2f}") + 3)


def department_sheet(w: Writer, d: Department, findings_at: tuple[str, str, str]) -> None:
    """One department's results: basic information, funds with rates, 绩效分析, and how many
    findings, linked to where they are listed: `findings_at` = (sheet, first cell, "第 m–n 行")."""
    st, ws = w.st, w.ws
    money_cols = [c for c in S.FUNDS_TABLE.columns if c.id in S.MONEY_COLUMNS]
    funds: list[tuple[str, list[float | None], float | None]] = []
    for label in d.data.funds_rows:
        row = d.data.funds.get(label)
        if label == S.TOTAL_ROW:
            funds.append((label, [d.budget, d.adjusted, d.received, d.spent, d.balance], d.execution_rate))
        elif row is not None:
            values = [row[c.id].number if c.id in row else None for c in money_cols]
            funds.append((label, values, {"基本支出": d.basic_rate, "项目支出": d.project_rate}.get(label)))
    ws.set_column(0, 0, LABEL_WIDTH)
    ws.set_column(1, 1, VALUE_WIDTH)
    ws.set_column(2, 8, money_width((v for _, values, _ in funds for v in values), WIDTH))
    w.line(0, f"{d.name} 评价结果", "title", SHEET_WIDTH, LAST_COL)
    w.line(1, f"源文件：{d.file}", "subtitle", SHEET_WIDTH, LAST_COL)
    if d.status is Status.PENDING:
        w.line(2, f"【待补正】以下得分和等级为暂定：{d.status_reason}", "banner_warning", SHEET_WIDTH, LAST_COL)
    elif d.status is Status.UNSCORED:
        w.line(2, f"【未评分】{d.status_reason}", "banner_error", SHEET_WIDTH, LAST_COL)
    r = 3
    ws.write_string(r, 0, "一、基本情况", st.section)
    r += 1
    info = d.data.info
    rows: list[tuple[str, Any]] = [
        ("部门名称", d.name),
        ("部门编码", d.code),
        ("评价年度", d.year),
        ("评价类型", d.eval_type),
        (
            "项目名称",
            info["project"].text
            if "project" in info and not info["project"].blank
            else (f"{d.name}{d.year or ''}年度部门整体支出绩效评价"),
        ),
        ("评价机构", info["agency"].text if "agency" in info else ""),
        ("评价状态", d.status.value if d.status else ""),
        ("评价得分", d.total_score),
        ("评价等级", d.grade),
        ("批次排名", d.rank),
    ]
    if d.previous is not None:  # 比较法: the results history holds an earlier year
        rows.append(("与往年比较", comparison_text(d) or f"历史记录中有 {d.previous.year} 年度的结果，没有可比较的得分和执行率"))
    if d.data.read_error:
        rows.append(("读取失败", d.data.read_error))
    for label, value in rows:
        w.text(r, 0, label, st.label)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            w.num(r, 1, value)
        elif value:  # text: wrapped in its cell, the row as high as it needs
            text = clip(str(value))
            w.text(r, 1, text, st.wrap)
            fit_cells(ws, r, (text, VALUE_WIDTH))
        else:
            w.text(r, 1, value, st.wrap)
        r += 1
    r += 1
    ws.write_string(r, 0, "二、资金情况（万元）", st.section)
    r += 1
    w.text(r, 0, "项目", st.header)
    for k, c in enumerate(money_cols):
        w.text(r, 1 + k, c.label, st.header)
    w.text(r, 6, "执行率", st.header)
    r += 1
    for label, values, rate in funds:
        w.text(r, 0, "合计（计算）" if label == S.TOTAL_ROW else label, st.label if label == S.TOTAL_ROW else st.text)
        for k, v in enumerate(values):
            w.num(r, 1 + k, v, st.money)
        w.num(r, 6, rate, st.rate)
        r += 1
    for label, value in (
        ("资金到位率", d.arrival_rate),
        ("预算执行率", d.execution_rate),
        ("预算调整率", d.adjustment_rate),
        ("结余率", d.balance_rate),
        ("基本支出执行率", d.basic_rate),
        ("项目支出执行率", d.project_rate),
    ):
        w.text(r, 0, label, st.label)
        w.num(r, 1, value, st.rate)
        r += 1
    r += 1
    ws.write_string(r, 0, "三、绩效分析", st.section)
    r += 1
    w.text(r, 0, "指标", st.header)
    for k, x in enumerate(d.level1):
        w.text(r, 1 + k, x.name, st.header)
    w.text(r, 1 + len(d.level1), "合计", st.header)
    fit_cells(ws, r, *((x.name, VALUE_WIDTH if k == 0 else WIDTH) for k, x in enumerate(d.level1)))
    for i, (label, key) in enumerate((("分值", "weight"), ("得分", "score"), ("得分率", "rate"))):
        rr = r + 1 + i
        w.text(rr, 0, label, st.label)
        for k, x in enumerate(d.level1):
            w.num(rr, 1 + k, getattr(x, key), st.rate0 if key == "rate" else st.number)
        total = {"weight": d.total_weight, "score": d.total_score, "rate": d.score_rate}[key]
        w.num(rr, 1 + len(d.level1), total, st.rate0 if key == "rate" else st.number)
    r += 5
    # the findings themselves are listed once, on the sheet the link leads to
    sheet, cell, where = findings_at
    counts = f"错误 {d.errors}，警告 {d.warnings}，提示 {d.count(Severity.INFO)}"
    if d.findings:
        text = f"四、发现的问题（{len(d.findings)} 条：{counts}）→ 逐条见“{sheet}”{where}"
        w.line(r, text, "section", SHEET_WIDTH, LAST_COL, internal_link(sheet, cell))
    else:
        ws.write_string(r, 0, "四、发现的问题（无）", st.section)
    page_setup(ws, **PRINT)
