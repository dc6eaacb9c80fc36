"""One department's results sheet, drawn both in the summary (xlsxwriter) and in the
department's own workbook (fastbook): the same layout code for either writer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import schema as S
from ..model import Severity, Status
from .xlsxkit import Writer, clip, internal_link

if TYPE_CHECKING:
    from ..model import Department


def department_sheet(w: Writer, d: Department, findings_at: tuple[str, str, str]) -> None:
    """One department's results: basic information, funds with rates, 绩效分析, and how many
    findings, linked to where they are listed: `findings_at` = (sheet, first cell, "第 m–n 行")."""
    st, ws = w.st, w.ws
    ws.set_column(0, 0, 18)
    ws.set_column(1, 8, 14)
    ws.write_string(0, 0, clip(f"{d.name} 评价结果"), st.title)
    ws.write_string(1, 0, clip(f"源文件：{d.file}"), st.subtitle)
    if d.status is Status.PENDING:
        ws.write_string(2, 0, clip(f"【待补正】以下得分和等级为暂定：{d.status_reason}"), st.banner_warning)
    elif d.status is Status.UNSCORED:
        ws.write_string(2, 0, clip(f"【未评分】{d.status_reason}"), st.banner_error)
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
    if d.data.read_error:
        rows.append(("读取失败", d.data.read_error))
    for label, value in rows:
        w.text(r, 0, label, st.label)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            w.num(r, 1, value)
        else:
            w.text(r, 1, value)
        r += 1
    r += 1
    ws.write_string(r, 0, "二、资金情况（万元）", st.section)
    r += 1
    money_cols = [c for c in S.FUNDS_TABLE.columns if c.id in S.MONEY_COLUMNS]
    w.text(r, 0, "项目", st.header)
    for k, c in enumerate(money_cols):
        w.text(r, 1 + k, c.label, st.header)
    w.text(r, 6, "执行率", st.header)
    r += 1
    for label in S.FUNDS_ROWS:
        row = d.data.funds.get(label)
        if label == S.TOTAL_ROW:
            values = [d.budget, d.adjusted, d.received, d.spent, d.balance]
            rate = d.execution_rate
        elif row is None:
            continue
        else:
            values = [row[c.id].number if c.id in row else None for c in money_cols]
            rate = {"基本支出": d.basic_rate, "项目支出": d.project_rate}.get(label)
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
        ws.write_url(
            r, 0, internal_link(sheet, cell), st.section, f"四、发现的问题（{len(d.findings)} 条：{counts}）→ 逐条见“{sheet}”{where}"
        )
    else:
        ws.write_string(r, 0, "四、发现的问题（无）", st.section)
