"""The summary workbook a finance bureau opens: 总览, 指标得分, 异常清单, 统计, one sheet per department.

Written through xlsxwriter's public API (a stock Workbook; the toolkit in xlsxkit, the
per-department sheet in department_sheet, shared with the department books' own writer). Every
text that comes from an input is written with `write_string`, so it stays text: never a formula,
never a link. The only links are the ones we make to our own sheets. Sheet names come from
`sheet_names` (valid and unique); xlsxwriter checks each against all earlier ones again (adding
1000 sheets takes 0.15 s, 4000 take 1.75 s: the price of its public API).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import xlsxwriter

from ..atomic import atomic_path
from ..model import Severity, Status
from ..values import normalize_label
from .department_sheet import department_sheet
from .xlsxkit import GRADE_COLORS, Styles, Writer, clip, fit_row, internal_link, new_workbook, print_setup, sheet_names

if TYPE_CHECKING:
    from ..model import Department
    from ..results import RunResult


def looks_rich(text: str) -> bool:
    """xlsxwriter writes a string that starts with "<r>" and ends with "</r>" into its shared
    strings as rich-text XML, unescaped (its own rich strings look like that): such a text from
    an input would vanish, or break the file."""
    return text.startswith("<r>") and text.endswith("</r>")


class SummaryWriter(Writer):
    """Writer for the summary's xlsxwriter sheets: a text that looks like rich-text XML is
    written as a rich string of plain runs (`write_rich_string`, which escapes each run),
    so it reads back as the very text."""

    def store_text(self, r: int, c: int, text: str, fmt: Any) -> None:
        if looks_rich(text):  # three runs: write_rich_string takes no fewer
            self.ws.write_rich_string(r, c, text[:1], text[1:2], text[2:], fmt)
        else:
            self.ws.write_string(r, c, text, fmt)


OVERVIEW_COLUMNS = (
    ("部门名称", 24),
    ("部门编码", 12),
    ("评价年度", 9),
    ("评价类型", 11),
    ("预算安排资金", 14),
    ("调整后预算", 14),
    ("实际到位资金", 14),
    ("实际支出资金", 14),
    ("结余资金", 12),
    ("资金到位率", 11),
    ("预算执行率", 11),
    ("评价得分", 9),
    ("评价等级", 9),
    ("排名", 7),
    ("错误数", 8),
    ("警告数", 8),
    ("源文件", 30),
    ("明细", 10),
    # added after the first release: appended, so that no column a user's macro reads moves
    ("评价状态", 9),
    ("状态说明", 40),
)
FINDING_COLUMNS = (
    ("部门名称", 22),
    ("文件", 26),
    ("工作表", 10),
    ("单元格", 8),
    ("代码", 7),
    ("级别", 7),
    ("说明", 70),
    ("填报值", 14),
    ("计算值", 14),
    ("明细", 10),
)


def write_summary(result: RunResult, target: Path) -> Path:
    with atomic_path(target) as tmp:
        _write(result, tmp)
    return target


def _write(result: RunResult, path: Path) -> None:
    wb = new_workbook(path, "绩效评价汇总", result.run_date)
    st = Styles(wb)
    deps = result.departments
    names = sheet_names([d.name for d in deps])
    sheet_of = {d.file: n for d, n in zip(deps, names, strict=True)}
    overview = wb.add_worksheet("总览")
    scores = wb.add_worksheet("指标得分")
    findings = wb.add_worksheet("异常清单")
    stats = wb.add_worksheet("统计")
    _overview(SummaryWriter(overview, st), result, sheet_of)
    _scores(SummaryWriter(scores, st), result)
    _findings(SummaryWriter(findings, st), result, sheet_of)
    _stats(wb, SummaryWriter(stats, st), result)
    rows = finding_rows(result)
    for dep in deps:
        first, last = rows.get(dep.file, (FINDINGS_HEADER + 2, FINDINGS_HEADER + 2))
        where = f"第 {first} 行" if first == last else f"第 {first}–{last} 行"
        department_sheet(SummaryWriter(wb.add_worksheet(sheet_of[dep.file]), st), dep, ("异常清单", f"A{first}", where))
    print_setup(wb)
    overview.activate()
    wb.close()


def _title(w: Writer, text: str, result: RunResult) -> None:
    w.ws.write_string(0, 0, text, w.st.title)
    w.ws.write_string(1, 0, f"生成日期：{result.run_date.isoformat()}　部门数：{len(result.departments)}　由 perfeval 生成", w.st.subtitle)
    w.ws.set_row(0, 22)


def _overview(w: Writer, result: RunResult, sheet_of: dict[str, str]) -> None:
    st, ws = w.st, w.ws
    _title(w, "部门整体支出绩效评价汇总", result)
    hr = 3
    w.header(hr, OVERVIEW_COLUMNS)
    deps = result.departments
    for i, d in enumerate(deps):
        r = hr + 1 + i
        w.text(r, 0, d.name)
        w.text(r, 1, d.code)
        w.num(r, 2, d.year, st.integer)
        w.text(r, 3, d.eval_type)
        for c, v in enumerate((d.budget, d.adjusted, d.received, d.spent, d.balance), start=4):
            w.num(r, c, v, st.money)
        w.num(r, 9, d.arrival_rate, st.rate)
        w.num(r, 10, d.execution_rate, st.rate)
        w.num(r, 11, d.total_score)
        w.text(r, 12, d.grade)
        w.num(r, 13, d.rank, st.integer)
        w.num(r, 14, d.errors, st.integer)
        w.num(r, 15, d.warnings, st.integer)
        w.text(r, 16, d.file)
        ws.write_url(r, 17, internal_link(sheet_of[d.file]), st.link, "查看")
        w.text(r, 18, d.status.value if d.status else "")
        w.text(r, 19, d.status_reason)
    last = hr + max(len(deps), 1)
    ws.autofilter(hr, 0, last, len(OVERVIEW_COLUMNS) - 1)
    ws.freeze_panes(hr + 1, 1)
    if deps:
        for col in (9, 10):
            ws.conditional_format(hr + 1, col, last, col, {"type": "cell", "criteria": ">", "value": 1, "format": st.red})
            ws.conditional_format(
                hr + 1, col, last, col, {"type": "cell", "criteria": "between", "minimum": 0, "maximum": 0.8999999, "format": st.yellow}
            )
        for grade in GRADE_COLORS:
            fmt = getattr(st, f"grade_{grade}")
            ws.conditional_format(hr + 1, 12, last, 12, {"type": "cell", "criteria": "==", "value": f'"{grade}"', "format": fmt})
        ws.conditional_format(hr + 1, 14, last, 14, {"type": "cell", "criteria": ">", "value": 0, "format": st.red})
        for status, fmt in ((Status.PENDING, st.yellow), (Status.UNSCORED, st.red)):
            ws.conditional_format(hr + 1, 18, last, 18, {"type": "cell", "criteria": "==", "value": f'"{status.value}"', "format": fmt})


def level1_names(deps: list[Department]) -> list[str]:
    seen: dict[str, str] = {}
    for d in deps:
        for x in d.level1:
            seen.setdefault(normalize_label(x.name), x.name)
    return list(seen.values())


def _scores(w: Writer, result: RunResult) -> None:
    st, ws = w.st, w.ws
    _title(w, "一级指标得分", result)
    deps = result.departments
    level1 = level1_names(deps)
    hr = 3
    ws.merge_range(hr, 0, hr + 1, 0, "部门名称", st.header)
    ws.merge_range(hr, 1, hr + 1, 1, "部门编码", st.header)
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 12)
    groups = level1 + ["合计"]
    for g, name in enumerate(groups):
        c = 2 + g * 3
        title = clip(name) or "（未填一级指标）"
        ws.merge_range(hr, c, hr, c + 2, "" if looks_rich(title) else title, st.header)
        if looks_rich(title):  # a merged cell's rich text: merge blank, then write the first cell
            w.text(hr, c, title, st.header)
        for k, sub in enumerate(("得分", "分值", "得分率")):
            ws.write_string(hr + 1, c + k, sub, st.header)
        ws.set_column(c, c + 2, 9)
    status_col = 2 + len(groups) * 3  # after the groups: no existing column moves
    ws.merge_range(hr, status_col, hr + 1, status_col, "评价状态", st.header)
    ws.set_column(status_col, status_col, 9)
    for i, d in enumerate(deps):
        r = hr + 2 + i
        w.text(r, status_col, d.status.value if d.status else "")
        w.text(r, 0, d.name)
        w.text(r, 1, d.code)
        by_name = {normalize_label(x.name): x for x in d.level1}
        for g, name in enumerate(level1):
            c = 2 + g * 3
            x = by_name.get(normalize_label(name))
            w.num(r, c, x.score if x else None)
            w.num(r, c + 1, x.weight if x else None)
            w.num(r, c + 2, x.rate if x else None, st.rate)
        c = 2 + len(level1) * 3
        w.num(r, c, d.total_score)
        w.num(r, c + 1, d.total_weight)
        w.num(r, c + 2, d.score_rate, st.rate)
    ws.freeze_panes(hr + 2, 1)
    if deps:
        ws.autofilter(hr + 1, 0, hr + 1 + len(deps), status_col)


FINDINGS_HEADER = 3  # 0-based row of the 异常清单 header


def finding_rows(result: RunResult) -> dict[str, tuple[int, int]]:
    """File → the first and last (1-based) rows of its findings in 异常清单 (sorted by file)."""
    rows: dict[str, tuple[int, int]] = {}
    for i, f in enumerate(result.findings):
        r = FINDINGS_HEADER + 2 + i
        rows[f.file] = (rows.get(f.file, (r, r))[0], r)
    return rows


def _findings(w: Writer, result: RunResult, sheet_of: dict[str, str]) -> None:
    st, ws = w.st, w.ws
    _title(w, "异常清单（按文件、级别排序；单元格为需要修改的位置）", result)
    hr = FINDINGS_HEADER
    w.header(hr, FINDING_COLUMNS)
    for i, f in enumerate(result.findings):
        r = hr + 1 + i
        w.text(r, 0, f.department)
        w.text(r, 1, f.file)
        w.text(r, 2, f.sheet)
        w.text(r, 3, f.cell)
        w.text(r, 4, f.code)
        w.text(r, 5, f.severity.value, st.severity(f.severity.value))
        w.text(r, 6, f.message, st.wrap)
        fit_row(ws, r, f.message, FINDING_COLUMNS[6][1])
        w.text(r, 7, f.filled)
        w.text(r, 8, f.computed)
        sheet = sheet_of.get(f.file)
        if sheet:
            ws.write_url(r, 9, internal_link(sheet), st.link, "查看")
        else:
            w.text(r, 9, "")
    last = hr + max(len(result.findings), 1)
    ws.autofilter(hr, 0, last, len(FINDING_COLUMNS) - 1)
    ws.freeze_panes(hr + 1, 0)


def _stats(wb: xlsxwriter.Workbook, w: Writer, result: RunResult) -> None:
    st, ws = w.st, w.ws
    _title(w, "统计", result)
    ws.set_column(0, 0, 24)
    ws.set_column(1, 3, 12)
    r = 3
    ws.write_string(r, 0, "等级", st.header)
    ws.write_string(r, 1, "部门数", st.header)
    grades = result.grades
    for i, (g, n) in enumerate(grades.items()):
        w.text(r + 1 + i, 0, g)
        w.num(r + 1 + i, 1, n, st.integer)
    totals_row = r + 6
    for i, (label, value) in enumerate(
        (
            ("部门数", len(result.departments)),
            ("错误数", result.errors),
            ("警告数", result.warnings),
            ("提示数", result.count(Severity.INFO)),
            ("跳过的文件", len(result.skipped)),
        )
    ):
        w.text(totals_row + i, 0, label, st.label)
        w.num(totals_row + i, 1, value, st.integer)
    chart = wb.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": "部门数",
            "categories": ["统计", r + 1, 0, r + 4, 0],
            "values": ["统计", r + 1, 1, r + 4, 1],
            "data_labels": {"value": True},
        }
    )
    chart.set_title({"name": "评价等级分布"})
    chart.set_legend({"none": True})
    ws.insert_chart(3, 5, chart, {"x_scale": 1.2, "y_scale": 1.0})

    scored = [d for d in result.departments if d.readable]
    dr = totals_row + 7
    ws.write_string(dr, 0, "部门名称", st.header)
    ws.write_string(dr, 1, "评价得分", st.header)
    ws.write_string(dr, 2, "预算执行率", st.header)
    ws.write_string(dr, 3, "资金到位率", st.header)
    for i, d in enumerate(scored):
        # the chart's category: a provisional score says so beside the name
        w.text(dr + 1 + i, 0, f"{d.name}（暂定）" if d.status is Status.PENDING else d.name)
        w.num(dr + 1 + i, 1, d.total_score)
        w.num(dr + 1 + i, 2, d.execution_rate, st.rate)
        w.num(dr + 1 + i, 3, d.arrival_rate, st.rate)
    if not scored:
        return
    last = dr + len(scored)
    height = max(1.0, len(scored) / 12)
    for k, (col, title, fmt) in enumerate(((1, "各部门评价得分", "0"), (2, "各部门预算执行率", "0%"))):
        c = wb.add_chart({"type": "bar"})
        c.add_series(
            {
                "name": title,
                "categories": ["统计", dr + 1, 0, last, 0],
                "values": ["统计", dr + 1, col, last, col],
                "data_labels": {"value": True, "num_format": fmt},
            }
        )
        c.set_title({"name": title})
        c.set_legend({"none": True})
        c.set_y_axis({"reverse": True})
        c.set_x_axis({"num_format": fmt, "min": 0, **({"max": 100} if col == 1 else {})})
        ws.insert_chart(19 + k * int(16 * height + 2), 5, c, {"x_scale": 1.4, "y_scale": height})
