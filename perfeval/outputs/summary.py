"""The summary workbook a finance bureau opens: 总览, 指标得分, 异常清单, 统计, one sheet per department.

Written through xlsxwriter's public API (a stock Workbook; the toolkit in xlsxkit, the
per-department sheet in department_sheet, shared with the department books' own writer), but
for 异常清单 and the department sheets: xlsxwriter would hold every cell of them until it closes
(hundreds of megabytes at thousands of departments), so there they are empty placeholders, and
perfeval writes their parts itself (fastbook's sheet writer) into a copy of xlsxwriter's file,
one sheet at a time (see `_own_sheets`). Every text that comes from an input is written as a
string, so it stays text: never a formula, never a link. The only links are the ones we make to our own sheets. Sheet names come from
`sheet_names` (valid and unique); xlsxwriter checks each against all earlier ones again (adding
1000 sheets takes 0.15 s, 4000 take 1.75 s: the price of its public API).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xlsxwriter

from ..atomic import atomic_path, temp_beside
from ..model import Severity, Status
from ..results import change, execution_change, score_change
from ..values import normalize_label
from .department_sheet import PRINT as DEPARTMENT_PRINT
from .department_sheet import department_sheet, money_width
from .fastbook import MAX_LINKS, Fmt, InlineSheet, StreamSheet, splice
from .xlsxkit import (
    CELL_STYLES,
    EXCEL_MAX_CELL,
    FIXED_SHEETS,
    GRADE_COLORS,
    LINE_HEIGHT,
    STYLE_SPECS,
    Styles,
    Writer,
    clip,
    fit_cells,
    fit_lines,
    internal_link,
    new_workbook,
    page_setup,
    previously_text,
    sheet_names,
    spec_key,
    wrapped_lines,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..analysis import AnalysisTable
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

    def text(self, r: int, c: int, value: Any, fmt: Any = None) -> None:
        """`Writer.text`, its usual case (a string a cell holds, not rich-looking) without a
        call in between: the summary writes some 180 000 texts for 1000 departments."""
        if type(value) is str and value and len(value) <= HALF_CELL and not value.startswith("<r>"):
            self.ws.write_string(r, c, value, fmt or self.st.text)
        else:
            super().text(r, c, value, fmt)


HALF_CELL = EXCEL_MAX_CELL // 2  # a text no longer surely fits a cell (see xlsxkit.clip)
OVERVIEW_COLUMNS = (
    ("部门名称", 24),
    ("部门编码", 11),
    ("评价年度", 7),
    ("评价类型", 9),
    ("预算安排资金", 12),
    ("调整后预算", 12),
    ("实际到位资金", 12),
    ("实际支出资金", 12),
    ("结余资金", 12),
    ("资金到位率", 9),
    ("预算执行率", 9),
    ("评价得分", 7),
    ("评价等级", 6),
    ("排名", 5),
    ("错误数", 6),
    ("警告数", 6),
    ("源文件", 22),
    ("明细", 6),
    # added after the first release: appended, so that no column a user's macro reads moves
    ("评价状态", 7),
    ("状态说明", 30),
    ("提示数", 6),
    # 比较法: the department's latest earlier year in the results history (blank where none)
    ("上年得分", 7),
    ("得分变化", 7),
    ("上年预算执行率", 9),
    ("执行率变化", 9),
    ("上年已指出数", 8),  # 整改: findings the department was also given in its latest earlier year
    ("表样", 12),  # the layout the workbook is in (perfeval.profiles)
)
CHANGE_FORMAT = "+0.00;-0.00;0.00"  # a score's change, signed
RATE_CHANGE_FORMAT = "+0.00%;-0.00%;0.00%"  # a rate's change, signed (percentage points)


def _change_formats(st: Styles) -> tuple[Any, Any]:
    """The formats of a score's and a rate's change (the summary's own: no department book
    shows a change)."""
    return (
        st.workbook.add_format({**STYLE_SPECS["text"], "num_format": CHANGE_FORMAT}),
        st.workbook.add_format({**STYLE_SPECS["text"], "num_format": RATE_CHANGE_FORMAT}),
    )


MONEY_COLS = range(4, 9)  # 预算安排资金 … 结余资金, in 万元
MONEY_UNIT = "金额单位：万元"  # above the money columns' headers (the headers keep their names)
FINDING_COLUMNS = (
    ("部门名称", 18),
    ("文件", 22),
    ("工作表", 10),
    ("单元格", 8),
    ("代码", 7),
    ("级别", 7),
    ("说明", 70),
    ("填报值", 16),
    ("计算值", 16),
    ("明细", 6),
    ("上年已指出", 14),  # 整改 (the results history): appended, no column moves
)
TABLE_HEADER = 3  # 0-based row of the header of 总览, 指标得分 and 异常清单
FINDINGS_SHEET = "异常清单"
FINDINGS_HEADER = TABLE_HEADER
EXECUTION_LINE = 0.9  # the 执行率 chart's reference line (总览 marks lower rates yellow)
# wide tables: landscape, as many pages tall as it takes, one page wide
WIDE: dict[str, Any] = {"landscape": True, "fit": (1, 0)}


# up to so many departments the summary's XML parts are made in memory; beyond, in temp files
# beside it (a little slower, and hundreds of megabytes less at thousands of departments)
IN_MEMORY_MAX = 2000


def write_summary(result: RunResult, target: Path, analysis: Callable[[], list[AnalysisTable]] | None = None) -> Path:
    """The summary workbook. `analysis()`: the 分析 sheet's tables (perfeval.analysis), where
    another process makes them (they need pandas, which this process need not load); made
    here where not given."""
    with atomic_path(target) as tmp:
        _write(result, tmp, analysis)
    return target


def _write(result: RunResult, path: Path, analysis: Callable[[], list[AnalysisTable]] | None = None) -> None:
    """xlsxwriter's workbook into a temp file beside `path`, then `path`: that file with the
    parts of 异常清单 and the department sheets written by perfeval (see `_own_sheets`)."""
    made = temp_beside(path)
    try:
        own_parts = _xlsxwriter_part(result, made, analysis)
        splice(made, path, own_parts)
    finally:
        made.unlink(missing_ok=True)


def _xlsxwriter_part(
    result: RunResult, path: Path, analysis: Callable[[], list[AnalysisTable]] | None
) -> Callable[[str], Iterable[bytes] | None]:
    """The workbook written by xlsxwriter into `path`, 异常清单 and each department's sheet
    there an empty placeholder; what gives a placeholder's part its sheet (see `fastbook.splice`)."""
    wb = new_workbook(path, "绩效评价汇总", result.run_date, in_memory=len(result.departments) <= IN_MEMORY_MAX)
    st = Styles(wb)
    deps = result.departments
    names = sheet_names([d.name for d in deps])
    sheet_of = {d.file: n for d, n in zip(deps, names, strict=True)}
    overview = wb.add_worksheet("总览")
    scores = wb.add_worksheet("指标得分")
    findings = wb.add_worksheet(FINDINGS_SHEET)
    stats = wb.add_worksheet("统计")
    _overview(SummaryWriter(overview, st), result, sheet_of)
    _scores(SummaryWriter(scores, st), result)
    # 异常清单 and the department sheets are placeholders here, their print titles and filter
    # set (defined names, in workbook.xml), their parts replaced later; every cell format is
    # used once in one, so that all of them land in styles.xml
    _findings_frame(findings, result)
    for c, name in enumerate(CELL_STYLES):
        findings.write_blank(0, c, None, getattr(st, name))
    _stats(wb, SummaryWriter(stats, st), result)
    first_part = len(wb.worksheets()) + 1  # xlsxwriter's sheets are xl/worksheets/sheet1.xml on, in order
    for dep in deps:
        page_setup(wb.add_worksheet(sheet_of[dep.file]), **DEPARTMENT_PRINT)
    # added after the first release, after the departments: the sheets before keep their places
    _analysis(SummaryWriter(wb.add_worksheet(ANALYSIS_SHEET), st), result, analysis)
    if result.history is not None:
        _years(SummaryWriter(wb.add_worksheet(YEARS_SHEET), st), result)
    overview.activate()
    wb.close()
    return _own_sheets(result, sheet_of, first_part, _formats(st), path.parent)


def _formats(st: Styles) -> dict[tuple[tuple[str, Any], ...], Fmt]:
    """Each cell style's index among the cellXfs of the styles.xml xlsxwriter wrote (it numbers
    a format when it writes the first cell in it)."""
    formats = {}
    for name in CELL_STYLES:
        index = getattr(st, name).xf_index
        if index is None:  # another format of the very same properties took its number
            raise ValueError(f"the cell style {name!r} has no index of its own in the summary's styles")
        formats[spec_key(STYLE_SPECS[name])] = Fmt(index)
    return formats


class SheetFormats:
    """The summary's cell formats, as perfeval's own sheet writer takes them (`Styles` asks
    its workbook's `add_format`)."""

    def __init__(self, formats: dict[tuple[tuple[str, Any], ...], Fmt]):
        self.formats = formats

    def add_format(self, spec: dict[str, Any]) -> Fmt:
        return self.formats[spec_key(spec)]


def _own_sheets(
    result: RunResult, sheet_of: dict[str, str], first_part: int, formats: dict[tuple[tuple[str, Any], ...], Fmt], folder: Path
) -> Callable[[str], Iterable[bytes] | None]:
    """异常清单 and the department sheets, written by perfeval (fastbook's sheet writer, texts
    inline), not by xlsxwriter, which would hold every cell of them until it closes: each is
    made when the copy of xlsxwriter's file reaches its placeholder, written, let go (异常清单's
    rows through temp files in `folder`)."""
    deps = result.departments
    rows = finding_rows(result)
    st = Styles(SheetFormats(formats))
    parts = {f"xl/worksheets/sheet{first_part + i}.xml": i for i in range(len(deps))}
    findings_part = f"xl/worksheets/sheet{FIXED_SHEETS.index(FINDINGS_SHEET) + 1}.xml"

    def part(name: str) -> Iterable[bytes] | None:
        if name == findings_part:
            findings = StreamSheet(FINDINGS_SHEET, FIXED_SHEETS.index(FINDINGS_SHEET), folder)
            _findings(Writer(findings, st), result, sheet_of)
            return findings.chunks()
        i = parts.get(name)
        if i is None:
            return None
        dep = deps[i]
        sheet = InlineSheet(sheet_of[dep.file], first_part - 1 + i)
        department_sheet(Writer(sheet, st), dep, findings_place(rows, dep.file))
        return (sheet.xml().encode("utf-8", "replace"),)

    return part


def layout_name(profile_id: str) -> str:
    """A layout's name as 总览 shows it: v1 short, another in full, "未识别" where none fits."""
    from ..profiles import CONTRACT, by_id

    if profile_id == CONTRACT:
        return "v1 模板"
    layout = by_id(profile_id)
    return layout.name if layout else profile_id or "未识别"  # a user's layout: by its id


def _title(w: Writer, text: str, result: RunResult) -> None:
    w.ws.write_string(0, 0, text, w.st.title)
    w.ws.write_string(1, 0, f"生成日期：{result.run_date.isoformat()}　部门数：{len(result.departments)}　由 perfeval 生成", w.st.subtitle)
    w.ws.set_row(0, 22)


# --- 分析 ------------------------------------------------------------------------------------

ANALYSIS_SHEET = "分析"


def _analysis(w: Writer, result: RunResult, analysis: Callable[[], list[AnalysisTable]] | None) -> None:
    """The batch's analytics (perfeval.analysis): one table under another, each with its title
    and a line saying what it lists."""
    st, ws = w.st, w.ws
    _title(w, "批次分析", result)
    if analysis is None:
        from ..analysis import analysis_tables

        tables = analysis_tables(result)
    else:
        tables = analysis()
    # the tables' columns differ: the sheet is a grid of equal columns, and a table's column
    # takes as many of them as its width asks (merged), so that no table widens another's
    spans = [[max(1, round(c.width / ANALYSIS_UNIT)) for c in t.columns] for t in tables]
    grid = max((sum(x) for x in spans), default=1)
    ws.set_column(0, grid - 1, ANALYSIS_UNIT)
    total = grid * ANALYSIS_UNIT
    styles = {"text": st.wrap, "number": st.text, "rate": st.rate, "integer": st.integer}
    r = TABLE_HEADER - 1
    for table, span in zip(tables, spans, strict=True):
        w.line(r, table.title, "section", total, grid - 1)
        w.line(r + 1, table.note, "subtitle", total, grid - 1)
        r += 2
        starts = [sum(span[:i]) for i in range(len(span))]
        for start, k, column in zip(starts, span, table.columns, strict=True):
            _cell(w, r, start, start + k - 1, column.header, st.header)
        fit_cells(ws, r, *((c.header, k * ANALYSIS_UNIT) for c, k in zip(table.columns, span, strict=True)))
        if not table.rows:  # a line saying so, across the table
            r += 1
            _cell(w, r, 0, sum(span) - 1, table.empty, st.text)
        for row in table.rows:
            r += 1
            texts = []
            for start, k, column, value in zip(starts, span, table.columns, row, strict=True):
                text = isinstance(value, str) or value is None
                _cell(w, r, start, start + k - 1, value if value is not None else "", st.wrap if text else styles[column.kind])
                if text:
                    texts.append((value or "", k * ANALYSIS_UNIT))
            fit_cells(ws, r, *texts)
        r += 2
    ws.freeze_panes(TABLE_HEADER - 1, 0)
    page_setup(ws, **WIDE, repeat=(0, 1))


ANALYSIS_UNIT = 9  # characters: the width of one column of the 分析 sheet's grid


def _cell(w: Writer, r: int, c0: int, c1: int, value: Any, fmt: Any) -> None:
    """`value` in the cells c0..c1 of row r (merged where more than one)."""
    if c1 > c0:
        w.ws.merge_range(r, c0, r, c1, "", fmt)
    if isinstance(value, str):
        w.text(r, c0, value, fmt)
    else:
        w.num(r, c0, value, fmt)


# --- 历年对比 --------------------------------------------------------------------------------

YEARS_SHEET = "历年对比"
YEARS_COLUMNS = (
    ("部门名称", 24),
    ("部门编码", 11),
    ("评价年度", 8),
    ("评价得分", 8),
    ("评价等级", 8),
    ("预算执行率", 10),
    ("资金到位率", 10),
    ("评价状态", 8),
    ("得分变化", 8),
    ("执行率变化", 10),
    ("来源", 10),
)


def _years(w: Writer, result: RunResult) -> None:
    """Each department's years, the earliest first: those in the results history, then this
    run's; the changes against the year before it (比较法)."""
    st, ws = w.st, w.ws
    _title(w, "历年对比（比较法）", result)
    hr = TABLE_HEADER
    w.header(hr, YEARS_COLUMNS)
    score_fmt, rate_fmt = _change_formats(st)
    r = hr
    for d in result.departments:
        years: list[tuple[Any, ...]] = [
            (y.year, y.total_score, y.grade, y.execution_rate, y.arrival_rate, y.status, "历史记录") for y in d.earlier
        ]
        status = d.status.value if d.status else ""
        years.append((d.year, d.total_score, d.grade, d.execution_rate, d.arrival_rate, status, "本次处理"))
        before: tuple[Any, ...] | None = None
        for year, score, grade, execution, arrival, state, source in years:
            r += 1
            w.text(r, 0, d.name, st.wrap)
            w.text(r, 1, d.code)
            w.num(r, 2, year, st.integer)
            w.num(r, 3, score)
            w.text(r, 4, grade)
            w.num(r, 5, execution, st.rate)
            w.num(r, 6, arrival, st.rate)
            w.text(r, 7, state)
            w.num(r, 8, change(score, before[1] if before else None), score_fmt)
            w.num(r, 9, change(execution, before[3] if before else None), rate_fmt)
            w.text(r, 10, source)
            fit_cells(ws, r, (d.name, YEARS_COLUMNS[0][1]))
            before = (year, score, grade, execution)
    ws.autofilter(hr, 0, r, len(YEARS_COLUMNS) - 1)
    ws.freeze_panes(hr + 1, 1)
    page_setup(ws, **WIDE, repeat=(hr, hr))


# --- 合计 and 平均 -----------------------------------------------------------------------------


def total(values: Iterable[float | None]) -> float | None:
    """The sum of the known values; None where none is known."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def mean(values: Iterable[float | None], digits: int | None = None) -> float | None:
    """The mean of the known values (rounded to `digits`); None where none is known."""
    known = [v for v in values if v is not None]
    if not known:
        return None
    m = sum(known) / len(known)
    return m if digits is None else round(m, digits)


def pooled_rate(deps: list[Department], rate: str, numerator: str, base: str) -> float | None:
    """A rate of the batch as one: the sum of the numerators over the sum of the bases of the
    departments whose own rate is known (each with its own base: 调整后预算 where one was
    typed, as the department's rate has it)."""
    num = den = 0.0
    for d in deps:
        if getattr(d, rate) is not None:
            num += getattr(d, numerator)
            den += d.adjusted if d.adjusted is not None else getattr(d, base)
    return num / den if den else None


def accepted(deps: list[Department]) -> list[Department]:
    """The departments whose results stand: only their scores count in the batch's averages,
    as only they are ranked and counted in the grades."""
    return [d for d in deps if d.status is Status.ACCEPTED]


def total_row(w: Writer, r: int, values: dict[int, tuple[Any, str]], last_col: int) -> None:
    """A 合计 or 平均 row: every cell 0..last_col filled grey and bold (no department looks
    so), `values` = column → (value, style)."""
    st = w.st
    for c in range(last_col + 1):
        value, style = values.get(c, (None, "total_text"))
        fmt = getattr(st, style)
        if isinstance(value, str) or value is None:
            w.text(r, c, value, fmt)
        else:
            w.num(r, c, value, fmt)


# --- 总览 ------------------------------------------------------------------------------------


def _overview(w: Writer, result: RunResult, sheet_of: dict[str, str]) -> None:
    st, ws = w.st, w.ws
    _title(w, "部门整体支出绩效评价汇总", result)
    hr = TABLE_HEADER
    deps = result.departments
    last_col = len(OVERVIEW_COLUMNS) - 1
    money = {
        c: [getattr(d, a) for d in deps] for c, a in zip(MONEY_COLS, ("budget", "adjusted", "received", "spent", "balance"), strict=True)
    }
    sums = {c: total(v) for c, v in money.items()}
    w.header(hr, OVERVIEW_COLUMNS)
    for c, values in money.items():  # wide enough for the largest amount, the 合计 too: never "###"
        ws.set_column(c, c, money_width([*values, sums[c]], OVERVIEW_COLUMNS[c][1]))
    for c, a in ((9, "arrival_rate"), (10, "execution_rate")):
        top = max((abs(getattr(d, a)) for d in deps if getattr(d, a) is not None), default=0.0)
        ws.set_column(c, c, max(OVERVIEW_COLUMNS[c][1], len(f"{top:.2%}") + 3))
    ws.merge_range(hr - 1, MONEY_COLS[0], hr - 1, MONEY_COLS[-1], MONEY_UNIT, st.unit)
    wide = {c: width for c, (_, width) in enumerate(OVERVIEW_COLUMNS)}
    score_fmt, rate_fmt = _change_formats(st)
    for i, d in enumerate(deps):
        r = hr + 1 + i
        w.text(r, 0, d.name, st.wrap)
        w.text(r, 1, d.code)
        w.num(r, 2, d.year, st.integer)
        w.text(r, 3, d.eval_type, st.wrap)
        for c, v in enumerate((d.budget, d.adjusted, d.received, d.spent, d.balance), start=4):
            w.num(r, c, v, st.money)
        w.num(r, 9, d.arrival_rate, st.rate)
        w.num(r, 10, d.execution_rate, st.rate)
        w.num(r, 11, d.total_score)
        w.text(r, 12, d.grade)
        w.num(r, 13, d.rank, st.integer)
        w.num(r, 14, d.errors, st.integer)
        w.num(r, 15, d.warnings, st.integer)
        w.text(r, 16, d.file, st.wrap)
        ws.write_url(r, 17, internal_link(sheet_of[d.file]), st.link, "查看")
        w.text(r, 18, d.status.value if d.status else "")
        w.text(r, 19, d.status_reason, st.wrap)
        w.num(r, 20, d.infos, st.integer)
        before = d.previous
        if before is not None:
            w.num(r, 21, before.total_score)
            w.num(r, 22, score_change(d), score_fmt)
            w.num(r, 23, before.execution_rate, st.rate)
            w.num(r, 24, execution_change(d), rate_fmt)
        else:
            for c in range(21, 25):
                w.text(r, c, "")
        w.num(r, 25, sum(1 for f in d.findings if f.previously is not None) if before is not None else None, st.integer)
        w.text(r, 26, layout_name(d.data.profile), st.wrap)
        fit_cells(ws, r, (d.name, wide[0]), (d.eval_type, wide[3]), (d.file, wide[16]), (d.status_reason, wide[19]))
    last = hr + max(len(deps), 1)
    ws.autofilter(hr, 0, last, last_col)  # the departments only: the 合计 and 平均 rows stay put
    ws.freeze_panes(hr + 1, 1)
    page_setup(ws, **WIDE, repeat=(hr - 1, hr))
    if not deps:
        return
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
    # after a blank row (a script reading the departments up to the first empty row stops there)
    standing = accepted(deps)
    counts = {14: [d.errors for d in deps], 15: [d.warnings for d in deps], 20: [d.infos for d in deps]}
    sum_row: dict[int, tuple[Any, str]] = {0: ("合计", "total_text")}
    sum_row.update({c: (v, "total_money") for c, v in sums.items()})
    sum_row[9] = (pooled_rate(deps, "arrival_rate", "received", "budget"), "total_rate")
    sum_row[10] = (pooled_rate(deps, "execution_rate", "spent", "received"), "total_rate")
    sum_row.update({c: (sum(v), "total_integer") for c, v in counts.items()})
    sum_row[19] = (f"金额、问题数为 {len(deps)} 个部门之和；比率按合计金额计算", "total_note")
    mean_row: dict[int, tuple[Any, str]] = {0: ("平均", "total_text")}
    mean_row.update({c: (mean(v), "total_money") for c, v in money.items()})
    mean_row[9] = (mean(d.arrival_rate for d in deps), "total_rate")
    mean_row[10] = (mean(d.execution_rate for d in deps), "total_rate")
    mean_row[11] = (mean((d.total_score for d in standing), 2), "total_number")
    mean_row.update({c: (mean(v, 1), "total_number") for c, v in counts.items()})
    mean_row[19] = (f"有数值部门的平均；得分只计可受理的 {len(standing)} 个部门", "total_note")
    for k, row_values in enumerate((sum_row, mean_row)):
        r = last + 2 + k
        total_row(w, r, row_values, last_col)
        fit_cells(ws, r, (row_values[19][0], wide[19]))


# --- 指标得分 ---------------------------------------------------------------------------------


def level1_names(deps: list[Department]) -> list[str]:
    seen: dict[str, str] = {}
    for d in deps:
        for x in d.level1:
            seen.setdefault(normalize_label(x.name), x.name)
    return list(seen.values())


def level1_rates(deps: list[Department], level1: list[str]) -> list[list[float | None]]:
    """For each 一级指标 of `level1`: the 得分率 of each department in `deps` that has it."""
    rates: list[list[float | None]] = [[] for _ in level1]
    at = {normalize_label(name): i for i, name in enumerate(level1)}
    for d in deps:
        for x in d.level1:
            i = at.get(normalize_label(x.name))
            if i is not None and x.rate is not None:
                rates[i].append(x.rate)
    return rates


def _scores(w: Writer, result: RunResult) -> None:
    st, ws = w.st, w.ws
    _title(w, "一级指标得分", result)
    deps = result.departments
    level1 = level1_names(deps)
    hr = TABLE_HEADER
    ws.merge_range(hr, 0, hr + 1, 0, "部门名称", st.header)
    ws.merge_range(hr, 1, hr + 1, 1, "部门编码", st.header)
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 12)
    groups = level1 + ["合计"]
    lines = 1
    for g, name in enumerate(groups):
        c = 2 + g * 3
        title = clip(name) or "（未填一级指标）"
        ws.merge_range(hr, c, hr, c + 2, "" if looks_rich(title) else title, st.header)
        if looks_rich(title):  # a merged cell's rich text: merge blank, then write the first cell
            w.text(hr, c, title, st.header)
        lines = max(lines, wrapped_lines(title, 27))
        for k, sub in enumerate(("得分", "分值", "得分率")):
            ws.write_string(hr + 1, c + k, sub, st.header)
        ws.set_column(c, c + 2, 9)
    fit_lines(ws, hr, lines)
    status_col = 2 + len(groups) * 3  # after the groups: no existing column moves
    ws.merge_range(hr, status_col, hr + 1, status_col, "评价状态", st.header)
    ws.set_column(status_col, status_col, 9)
    keys = [normalize_label(name) for name in level1]
    # of the departments whose results stand (可受理), each group's scores, weights and rates
    columns: list[tuple[list[float | None], list[float | None], list[float | None]]] = [([], [], []) for _ in groups]
    for i, d in enumerate(deps):
        r = hr + 2 + i
        w.text(r, status_col, d.status.value if d.status else "")
        w.text(r, 0, d.name, st.wrap)
        fit_cells(ws, r, (d.name, 24))
        w.text(r, 1, d.code)
        by_name = {normalize_label(x.name): x for x in d.level1}
        found = [by_name.get(key) for key in keys]
        for g, x in enumerate(found):
            c = 2 + g * 3
            w.num(r, c, x.score if x else None)
            w.num(r, c + 1, x.weight if x else None)
            w.num(r, c + 2, x.rate if x else None, st.rate)
        c = 2 + len(level1) * 3
        w.num(r, c, d.total_score)
        w.num(r, c + 1, d.total_weight)
        w.num(r, c + 2, d.score_rate, st.rate)
        if d.status is Status.ACCEPTED:
            values: list[tuple[float | None, float | None, float | None] | None]
            values = [(x.score, x.weight, x.rate) if x else None for x in found]
            values.append((d.total_score, d.total_weight, d.score_rate))
            for column, value in zip(columns, values, strict=True):
                if value is not None:
                    for kept, v in zip(column, value, strict=True):
                        kept.append(v)
    ws.freeze_panes(hr + 2, 1)
    page_setup(ws, **WIDE, repeat=(hr, hr + 1))
    if not deps:
        return
    ws.autofilter(hr + 1, 0, hr + 1 + len(deps), status_col)
    # after a blank row: 合计 (the 得分率 of the sums) and 平均 of the departments that stand
    sums: dict[int, tuple[Any, str]] = {0: ("合计（可受理部门）", "total_text")}
    means: dict[int, tuple[Any, str]] = {0: ("平均（可受理部门）", "total_text")}
    for g, (scores, weights, rates) in enumerate(columns):
        c = 2 + g * 3
        score_sum, weight_sum = total(scores), total(weights)
        sums[c], sums[c + 1] = (_round(score_sum), "total_number"), (_round(weight_sum), "total_number")
        sums[c + 2] = (score_sum / weight_sum if score_sum is not None and weight_sum else None, "total_rate")
        means[c], means[c + 1] = (mean(scores, 2), "total_number"), (mean(weights, 2), "total_number")
        means[c + 2] = (mean(rates), "total_rate")
    r = hr + 2 + len(deps) + 1
    total_row(w, r, sums, status_col)
    total_row(w, r + 1, means, status_col)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


# --- 异常清单 ---------------------------------------------------------------------------------


def finding_rows(result: RunResult) -> dict[str, tuple[int, int]]:
    """File → the first and last (1-based) rows of its findings in 异常清单 (sorted by file)."""
    rows: dict[str, tuple[int, int]] = {}
    for i, f in enumerate(result.findings):
        r = FINDINGS_HEADER + 2 + i
        rows[f.file] = (rows.get(f.file, (r, r))[0], r)
    return rows


def findings_place(rows: dict[str, tuple[int, int]], file: str) -> tuple[str, str, str]:
    """Where a department sheet's link leads: (sheet, first cell, "第 m–n 行") of its findings."""
    first, last = rows.get(file, (FINDINGS_HEADER + 2, FINDINGS_HEADER + 2))
    return FINDINGS_SHEET, f"A{first}", f"第 {first} 行" if first == last else f"第 {first}–{last} 行"


def _findings(w: Writer, result: RunResult, sheet_of: dict[str, str]) -> None:
    st, ws = w.st, w.ws
    _title(w, "异常清单（按文件、级别排序；单元格为需要修改的位置）", result)
    hr = FINDINGS_HEADER
    w.header(hr, FINDING_COLUMNS)
    width = [width for _, width in FINDING_COLUMNS]
    short = (min(width[7], width[8]) - 1) // 2  # a value no longer surely fits one line
    file, file_lines, link = None, 1, ""  # the findings come by file: its lines and link are made once
    for i, f in enumerate(result.findings):
        r = hr + 1 + i
        w.text(r, 0, f.department, st.wrap)
        w.text(r, 1, f.file, st.wrap)
        w.text(r, 2, f.sheet)
        w.text(r, 3, f.cell)
        w.text(r, 4, f.code)
        w.text(r, 5, f.severity.value, st.severity(f.severity.value))
        w.text(r, 6, f.message, st.wrap)
        w.text(r, 7, f.filled, st.wrap)
        w.text(r, 8, f.computed, st.wrap)
        if f.file != file:
            file, file_lines = f.file, max(wrapped_lines(f.department, width[0]), wrapped_lines(f.file, width[1]))
            sheet = sheet_of.get(f.file)
            link = internal_link(sheet) if sheet else ""
        lines = max(file_lines, wrapped_lines(f.message, width[6]))
        if len(f.filled) > short or len(f.computed) > short:
            lines = max(lines, wrapped_lines(f.filled, width[7]), wrapped_lines(f.computed, width[8]))
        if lines > 1:  # fit_lines, inline: once per finding
            ws.set_row(r, min(LINE_HEIGHT * lines, 409))
        if link and i < MAX_LINKS:
            ws.write_url(r, 9, link, st.link, "查看")
        else:  # (beyond Excel's limit of links in a sheet: as where there is no sheet to link to)
            w.text(r, 9, "")
        w.text(r, 10, previously_text(f.previously))
    _findings_frame(ws, result)


def _findings_frame(ws: Any, result: RunResult) -> None:
    """异常清单's filter, frozen header and print setup."""
    hr = FINDINGS_HEADER
    last = hr + max(len(result.findings), 1)
    ws.autofilter(hr, 0, last, len(FINDING_COLUMNS) - 1)
    ws.freeze_panes(hr + 1, 0)
    page_setup(ws, **WIDE, repeat=(hr, hr))


# --- 统计 ------------------------------------------------------------------------------------
# Printed at a fixed scale, not fitted (Excel ignores manual page breaks on a fitted sheet), in
# pages of whole rows: each chart within one page, the page breaks set between them. The scale
# leaves room to spare: where Calibri, the workbook's default font, is missing (LibreOffice
# without Carlito), every column is a third wider, and the printed columns A:M still fit. The
# rows keep their default height (a chart spans a number of rows); long names shrink to fit.
# The sorted data of the charts lies beside the printed area, from column DATA_COL on.

STATS_SCALE = 78  # percent
FIRST_PAGE_ROWS = 40  # rows 0..39 on the first page
PAGE_ROWS = 38  # on each further page, under the repeated title rows
CHART_COL, CHART_COLS = 5, 8  # the charts beside the tables: in columns F:M, each 65 pixels wide
CHART_WIDTH = CHART_COLS * 65
PRINT_COLS = CHART_COL + CHART_COLS  # A:M
PRINT_WIDTH = 24 * 7 + 5 + 3 * (12 * 7 + 5) + 2 * 7 + 5 + CHART_WIDTH - 4  # A:M, in pixels (a little less)
ROW_PX = 20  # a row of the default height, in pixels
SMALL_BATCH = 20  # up to so many departments, both department charts share the second page
WIDE_CHUNK = 60  # more: so many departments to a chart, a page wide
DATA_COL = 15  # P


def page_start(page: int) -> int:
    """The first row of a printed page of 统计 (0-based pages)."""
    return 0 if page == 0 else FIRST_PAGE_ROWS + (page - 1) * PAGE_ROWS


def _chart(wb: xlsxwriter.Workbook, kind: str, title: str, height_rows: int, width: int = CHART_WIDTH) -> Any:
    chart = wb.add_chart({"type": kind})
    chart.set_title({"name": title, "name_font": {"size": 11, "bold": True}})
    chart.set_size({"width": width, "height": height_rows * ROW_PX})
    return chart


def _stats(wb: xlsxwriter.Workbook, w: Writer, result: RunResult) -> None:
    st, ws = w.st, w.ws
    _title(w, "统计", result)
    ws.set_column(0, 0, 24)
    ws.set_column(1, 3, 12)
    ws.set_column(4, 4, 2)
    ws.set_column(CHART_COL, PRINT_COLS - 1, (65 - 5) / 7)
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
    chart = _chart(wb, "column", "评价等级分布（可受理部门）", 15)
    chart.add_series(
        {
            "name": "部门数",
            "categories": ["统计", r + 1, 0, r + 4, 0],
            "values": ["统计", r + 1, 1, r + 4, 1],
            "data_labels": {"value": True},
        }
    )
    chart.set_legend({"none": True})
    chart.set_y_axis({"min": 0, "num_format": "0", "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    ws.insert_chart(r, CHART_COL, chart)
    last_row = totals_row + 4
    last_row = max(last_row, _level1_chart(wb, w, result, r + 16, FIRST_PAGE_ROWS - 1 - (r + 16)))

    # the departments, by score from the highest (the score charts' data)
    scored = [d for d in result.departments if d.readable]
    scored.sort(key=lambda d: (d.total_score is None, -(d.total_score or 0.0)))
    dr = totals_row + 7
    ws.write_string(dr, 0, "部门名称", st.header)
    ws.write_string(dr, 1, "评价得分", st.header)
    ws.write_string(dr, 2, "预算执行率", st.header)
    ws.write_string(dr, 3, "资金到位率", st.header)
    for i, d in enumerate(scored):
        # the chart's category: a provisional score says so beside the name
        w.text(dr + 1 + i, 0, f"{d.name}（暂定）" if d.status is Status.PENDING else d.name, st.shrink)
        w.num(dr + 1 + i, 1, d.total_score)
        w.num(dr + 1 + i, 2, d.execution_rate, st.rate)
        w.num(dr + 1 + i, 3, d.arrival_rate, st.rate)
    last_row = max(last_row, dr + len(scored))

    # the departments by 预算执行率 from the highest (the 执行率 charts' data), and the reference
    # line's values (as many as one chart's bars: every chart's line takes them)
    executed = sorted((d for d in result.departments if d.execution_rate is not None), key=lambda d: -(d.execution_rate or 0.0))
    n_scored = sum(1 for d in scored if d.total_score is not None)
    small = max(n_scored, len(executed)) <= SMALL_BATCH
    chunk = SMALL_BATCH if small else WIDE_CHUNK
    er, ec = 3, DATA_COL + 6
    ws.write_string(er - 1, ec, "图表数据：各部门预算执行率（从高到低）", st.subtitle)
    for k, label in enumerate(("部门名称", "预算执行率", f"{EXECUTION_LINE:.0%} 基准")):
        ws.write_string(er, ec + k, label, st.header)
    ws.set_column(ec, ec, 24)
    ws.set_column(ec + 1, ec + 2, 11)
    for i, d in enumerate(executed):
        w.text(er + 1 + i, ec, d.name, st.shrink)
        w.num(er + 1 + i, ec + 1, d.execution_rate, st.rate)
        if i < chunk:
            w.num(er + 1 + i, ec + 2, EXECUTION_LINE, st.rate0)

    # the department charts, sorted bars, each within a page: up to SMALL_BATCH departments, both
    # on the second page beside the table, with the values on the bars; more, WIDE_CHUNK to a
    # chart, each chart on a page of its own across the printed width, after the tables
    chunks = [
        (kind, first, min(n, first + chunk) - 1, n)
        for kind, n in (("score", n_scored), ("execution", len(executed)))
        for first in range(0, n, chunk)
    ]
    breaks = [page_start(1)]  # the first page's charts stand whole
    # (a chart starts a row below its page's first row: a frame on the page break would also
    # print as a line at the foot of the page before)
    if small:
        col, width, height = CHART_COL, CHART_WIDTH, PAGE_ROWS // 2 - 2
        tops = [page_start(1) + 1 + (PAGE_ROWS // 2 if kind == "execution" else 0) for kind, *_ in chunks]
    else:
        col, width, height = 0, PRINT_WIDTH, PAGE_ROWS - 2
        start = max(last_row + 2, page_start(1))
        tops = [start + 1 + i * PAGE_ROWS for i in range(len(chunks))]
        breaks += [top - 1 for top in tops if top - 1 != breaks[0]]
    for (kind, first, last, n), top in zip(chunks, tops, strict=True):
        suffix = "" if n <= chunk else f"（第 {first + 1}–{last + 1} 个）"
        labels = (
            {"data_labels": {"value": True, "num_format": "General" if kind == "score" else "0%", "font": {"size": 8}}} if small else {}
        )
        if kind == "score":
            c = _chart(wb, "column", f"各部门评价得分（从高到低）{suffix}", height, width)
            c.add_series(
                {
                    "name": "评价得分",
                    "categories": ["统计", dr + 1 + first, 0, dr + 1 + last, 0],
                    "values": ["统计", dr + 1 + first, 1, dr + 1 + last, 1],
                    "fill": {"color": "#4472C4"},
                    **labels,
                }
            )
            c.set_y_axis({"min": 0, "max": 100, "major_unit": 20, "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        else:
            c = _chart(wb, "column", f"各部门预算执行率（从高到低；虚线为 {EXECUTION_LINE:.0%}）{suffix}", height, width)
            c.add_series(
                {
                    "name": "预算执行率",
                    "categories": ["统计", er + 1 + first, ec, er + 1 + last, ec],
                    "values": ["统计", er + 1 + first, ec + 1, er + 1 + last, ec + 1],
                    "fill": {"color": "#4472C4"},
                    **labels,
                }
            )
            line = wb.add_chart({"type": "line"})
            line.add_series(
                {
                    "name": f"{EXECUTION_LINE:.0%} 基准",
                    "categories": ["统计", er + 1 + first, ec, er + 1 + last, ec],
                    "values": ["统计", er + 1, ec + 2, er + 1 + last - first, ec + 2],
                    "line": {"color": "#C00000", "width": 1.5, "dash_type": "dash"},
                    "marker": {"type": "none"},
                }
            )
            c.combine(line)
            c.set_y_axis({"min": 0, "num_format": "0%", "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        c.set_legend({"none": True})
        c.set_x_axis({"num_font": {"rotation": -90 if last - first >= 12 else 0, "size": 8}})
        ws.insert_chart(top, col, c)
    if chunks:
        last_row = max(last_row, (page_start(2) if small else tops[-1] - 1 + PAGE_ROWS) - 1)
    ws.set_h_pagebreaks([b for b in breaks if b <= last_row])
    ws.print_area(0, 0, last_row, PRINT_COLS - 1)
    page_setup(ws, landscape=True, scale=STATS_SCALE, repeat=(0, 1))


def _level1_chart(wb: xlsxwriter.Workbook, w: Writer, result: RunResult, top: int, height: int) -> int:
    """The 得分率 of each 一级指标 in the batch (mean, highest, lowest of the departments that
    stand), its data beside the printed area; the chart at row `top`, `height` rows high. The
    last row it takes."""
    st, ws = w.st, w.ws
    standing = accepted(result.departments)
    level1 = level1_names(standing)
    rates = level1_rates(standing, level1)
    rows = [(name, rs) for name, rs in zip(level1, rates, strict=True) if rs]
    c0, r0 = DATA_COL, 3
    ws.write_string(r0 - 1, c0, "图表数据：各一级指标得分率（可受理部门）", st.subtitle)
    for k, label in enumerate(("一级指标", "平均得分率", "最高", "最低", "部门数")):
        ws.write_string(r0, c0 + k, label, st.header)
    ws.set_column(c0, c0, 16)
    ws.set_column(c0 + 1, c0 + 4, 10)
    for i, (name, rs) in enumerate(rows):
        r = r0 + 1 + i
        w.text(r, c0, name, st.shrink)
        w.num(r, c0 + 1, sum(v for v in rs if v is not None) / len(rs), st.rate)
        w.num(r, c0 + 2, max(v for v in rs if v is not None), st.rate)
        w.num(r, c0 + 3, min(v for v in rs if v is not None), st.rate)
        w.num(r, c0 + 4, len(rs), st.integer)
    if not rows:
        return top
    chart = _chart(wb, "column", "各一级指标得分率（可受理部门：平均、最高、最低）", height)
    for k, (name, color) in enumerate((("平均得分率", "#4472C4"), ("最高", "#A9D18E"), ("最低", "#F4B183")), start=1):
        series: dict[str, Any] = {
            "name": name,
            "categories": ["统计", r0 + 1, c0, r0 + len(rows), c0],
            "values": ["统计", r0 + 1, c0 + k, r0 + len(rows), c0 + k],
            "fill": {"color": color},
        }
        if k == 1:
            series["data_labels"] = {"value": True, "num_format": "0%", "font": {"size": 8}}
        chart.add_series(series)
    chart.set_y_axis({"min": 0, "max": 1, "num_format": "0%", "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_x_axis({"num_font": {"size": 8}})
    chart.set_legend({"position": "bottom"})
    ws.insert_chart(top, CHART_COL, chart)
    return top + height
