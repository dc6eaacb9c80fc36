"""The summary workbook a finance bureau opens: 总览, 指标得分, 异常清单, 统计, one sheet per department.

Every text that comes from an input is written with `write_string`, so it stays text: never a
formula, never a link. The only links are the ones we make to our own sheets.
"""

from __future__ import annotations

import functools
import math
import re
import zipfile
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import xlsxwriter
from xlsxwriter.exceptions import DuplicateWorksheetName
from xlsxwriter.url import Url

from .. import schema as S
from ..atomic import atomic_path
from ..model import Severity
from ..values import normalize_label
from .xlsxfast import FastWorkbook

if TYPE_CHECKING:
    from ..model import Department
    from ..results import RunResult

EXCEL_MAX_CELL = 32767
TRUNCATED = "…（内容过长，已截断）"
FIXED_SHEETS = ("总览", "指标得分", "异常清单", "统计")
SUMMARY_COMPRESSLEVEL = 1
OVERVIEW_COLUMNS = (
    ("部门名称", 24), ("部门编码", 12), ("评价年度", 9), ("评价类型", 11),
    ("预算安排资金", 14), ("调整后预算", 14), ("实际到位资金", 14), ("实际支出资金", 14), ("结余资金", 12),
    ("资金到位率", 11), ("预算执行率", 11), ("评价得分", 9), ("评价等级", 9), ("排名", 7),
    ("错误数", 8), ("警告数", 8), ("源文件", 30), ("明细", 10),
)
FINDING_COLUMNS = (
    ("部门名称", 22), ("文件", 26), ("工作表", 10), ("单元格", 8), ("代码", 7), ("级别", 7),
    ("说明", 70), ("填报值", 14), ("计算值", 14), ("明细", 10),
)
GRADE_COLORS = {"优": "#C6EFCE", "良": "#DDEBF7", "中": "#FFEB9C", "差": "#FFC7CE"}


def clip(text: str) -> str:
    if len(text) <= EXCEL_MAX_CELL:
        return text
    return text[: EXCEL_MAX_CELL - len(TRUNCATED)] + TRUNCATED


_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


def sheet_names(names: list[str], taken: tuple[str, ...] = FIXED_SHEETS) -> list[str]:
    """Valid, unique (case-insensitively, as Excel compares) sheet names of at most 31 UTF-16
    units (Excel's count: a character beyond U+FFFF, such as 𠀾, takes two)."""
    used = {t.casefold() for t in taken} | {"history"}
    out = []
    for name in names:
        base = _BAD_SHEET_CHARS.sub("_", name).strip().strip("'") or "部门"
        candidate, n = _clip_sheet_name(base, 31), 1
        while candidate.casefold() in used:
            n += 1
            suffix = f"({n})"
            candidate = _clip_sheet_name(base, 31 - len(suffix)) + suffix
        used.add(candidate.casefold())
        out.append(candidate)
    return out


def _clip_sheet_name(text: str, units: int) -> str:
    out, n = [], 0
    for ch in text:
        n += 2 if ord(ch) > 0xFFFF else 1
        if n > units:
            break
        out.append(ch)
    return "".join(out).rstrip("'") or "部门"


class _LeveledZipFile(zipfile.ZipFile):
    """A ZipFile whose `compresslevel` also holds for parts given as a ZipInfo (xlsxwriter
    gives them so; zipfile then takes each ZipInfo's own level, unset: zlib's default)."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):  # type: ignore[no-untyped-def]
        return super().writestr(zinfo_or_arcname, data, compress_type, self.compresslevel if compresslevel is None else compresslevel)


class _Workbook(FastWorkbook):
    """xlsxwriter compares each new sheet's name with every earlier one: O(n²), 1.5 s of a
    4000-department summary. The names given here come from `sheet_names` (valid and unique), so
    uniqueness is kept in a set; the other checks are xlsxwriter's own, run on a one-sheet list."""

    # zlib's level for the zip's parts; None: zipfile's default (6), as xlsxwriter writes them
    compresslevel: int | None = None

    def _store_workbook(self) -> None:
        import xlsxwriter.workbook as module

        kept = module.ZipFile
        if self.compresslevel is not None:
            module.ZipFile = functools.partial(_LeveledZipFile, compresslevel=self.compresslevel)  # type: ignore[misc]
        try:
            super()._store_workbook()
        finally:
            module.ZipFile = kept

    def _check_sheetname(self, sheetname, is_chartsheet=False):  # type: ignore[no-untyped-def]
        seen: set[str] = self.__dict__.setdefault("_perfeval_sheet_names", set())
        key = (sheetname or "").lower()
        if key and key in seen:
            raise DuplicateWorksheetName(f"Sheetname '{sheetname}', with case ignored, is already in use.")
        objs, self.worksheets_objs = self.worksheets_objs, []
        try:
            name = super()._check_sheetname(sheetname, is_chartsheet)  # length, characters, quotes
        finally:
            self.worksheets_objs = objs
        seen.add(name.lower())
        return name


def display_width(text: str) -> int:
    """Width in Excel character units, about: a Chinese character (3 bytes in UTF-8) takes two."""
    return len(text) + (len(text.encode("utf-8")) - len(text)) // 2


def fit_row(ws: Any, row: int, text: str, width: float, line_height: float = 14.0) -> None:
    """Set the height of a row holding wrapped `text` in a column `width` characters wide.

    Excel grows such rows by itself; LibreOffice and WPS keep the default height unless told.
    """
    lines = sum(max(1, math.ceil(display_width(part) / max(width - 2, 1))) for part in text.split("\n"))
    if lines > 1:
        ws.set_row(row, min(line_height * lines, 409))


def internal_link(sheet: str, cell: str = "A1") -> str:
    return "internal:'" + sheet.replace("'", "''") + "'!" + cell


_BASE = {"font_name": "宋体", "font_size": 10, "valign": "vcenter"}
_CELL = {**_BASE, "border": 1}
STYLE_SPECS: dict[str, dict[str, Any]] = {
    "title": {**_BASE, "bold": True, "font_size": 14},
    "subtitle": {**_BASE, "font_color": "#595959"},
    "header": {**_CELL, "bold": True, "bg_color": "#D9E1F2", "text_wrap": True, "align": "center"},
    "text": _CELL,
    "wrap": {**_CELL, "text_wrap": True},
    "money": {**_CELL, "num_format": "#,##0.00"},
    "rate": {**_CELL, "num_format": "0.00%"},
    "rate0": {**_CELL, "num_format": "0%"},
    "number": {**_CELL, "num_format": "0.##"},
    "integer": {**_CELL, "num_format": "0"},
    "link": {**_CELL, "font_color": "#0563C1", "underline": 1},
    "section": {**_BASE, "bold": True, "font_size": 12},
    "label": {**_CELL, "bold": True, "bg_color": "#F2F2F2"},
    # a finding's 级别 cell, filled by its severity
    "error_cell": {**_CELL, "bg_color": "#FFC7CE", "font_color": "#9C0006"},
    "warning_cell": {**_CELL, "bg_color": "#FFEB9C", "font_color": "#9C5700"},
    # conditional formats (differential: only what changes)
    "red": {"bg_color": "#FFC7CE", "font_color": "#9C0006"},
    "yellow": {"bg_color": "#FFEB9C", "font_color": "#9C5700"},
    **{f"grade_{g}": {"bg_color": c} for g, c in GRADE_COLORS.items()},
}


# formats of conditional formatting (differential): never a cell's own
CONDITIONAL_STYLES = frozenset(("red", "yellow", *(f"grade_{g}" for g in GRADE_COLORS)))
CELL_STYLES = tuple(name for name in STYLE_SPECS if name not in CONDITIONAL_STYLES)


class Styles:
    """A workbook's cell formats, each added to the workbook the first time it is used (a
    department's own workbook needs half of them, and every format costs at every write)."""

    def __init__(self, wb: xlsxwriter.Workbook):
        self._wb = wb

    def __getattr__(self, name: str) -> Any:
        spec = STYLE_SPECS.get(name)
        if spec is None:
            raise AttributeError(name)
        fmt = self._wb.add_format(spec)
        setattr(self, name, fmt)
        return fmt

    def pin(self) -> None:
        """Give every cell format its style index now, in one fixed order, rather than in the
        order of first use: all workbooks of a layout then share one styles part."""
        for name in CELL_STYLES:
            getattr(self, name)._get_xf_index()

    def severity(self, value: str) -> Any:
        """The format of a finding's 级别 cell."""
        if value == Severity.ERROR.value:
            return self.error_cell
        if value == Severity.WARNING.value:
            return self.warning_cell
        return self.text


class Writer:
    def __init__(self, ws: Any, st: Styles):
        self.ws, self.st = ws, st

    def text(self, r: int, c: int, value: Any, fmt: Any = None) -> None:
        if value is None or value == "":
            self.ws.write_blank(r, c, None, fmt or self.st.text)
        else:
            self.ws.write_string(r, c, clip(str(value)), fmt or self.st.text)

    def num(self, r: int, c: int, value: float | int | None, fmt: Any = None) -> None:
        if value is None:
            self.ws.write_blank(r, c, None, fmt or self.st.number)
        else:
            self.ws.write_number(r, c, value, fmt or self.st.number)

    def header(self, r: int, columns: tuple[tuple[str, int], ...], c0: int = 0) -> None:
        for i, (label, width) in enumerate(columns):
            self.ws.write_string(r, c0 + i, label, self.st.header)
            self.ws.set_column(c0 + i, c0 + i, width)


def write_summary(result: RunResult, target: Path) -> Path:
    with atomic_path(target) as tmp:
        _write(result, tmp)
    return target


def _write(result: RunResult, path: Path) -> None:
    wb = new_workbook(path, "绩效评价汇总", result.run_date)
    # ~17 MB of XML for 1000 departments, deflated while the other cores wait for this last
    # output: level 1 takes 0.13 s where level 6 takes 0.35 s, for a file ~20 % larger
    wb.compresslevel = SUMMARY_COMPRESSLEVEL
    st = Styles(wb)
    deps = result.departments
    names = sheet_names([d.name for d in deps])
    sheet_of = {d.file: n for d, n in zip(deps, names, strict=True)}
    overview = wb.add_worksheet("总览")
    scores = wb.add_worksheet("指标得分")
    findings = wb.add_worksheet("异常清单")
    stats = wb.add_worksheet("统计")
    _overview(Writer(overview, st), result, sheet_of)
    _scores(Writer(scores, st), result)
    _findings(Writer(findings, st), result, sheet_of)
    _stats(wb, Writer(stats, st), result)
    rows = finding_rows(result)
    for dep in deps:
        first, last = rows.get(dep.file, (FINDINGS_HEADER + 2, FINDINGS_HEADER + 2))
        where = f"第 {first} 行" if first == last else f"第 {first}–{last} 行"
        department_sheet(Writer(wb.add_worksheet(sheet_of[dep.file]), st), dep, ("异常清单", f"A{first}", where))
    print_setup(wb)
    overview.activate()
    wb.close()


def print_setup(wb: xlsxwriter.Workbook) -> None:
    for ws in wb.worksheets():
        ws.set_paper(9)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)


def new_workbook(path: Path | BinaryIO, title: str, run_date: date) -> xlsxwriter.Workbook:
    """A workbook that writes strings as strings, dated by the run (byte-stable output), into
    a file or a buffer."""
    wb = _Workbook(
        str(path) if isinstance(path, Path) else path,
        # in_memory: no temp file per XML part (they cost more than the XML itself)
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False, "in_memory": True},
    )
    wb.set_properties({"title": title, "author": "perfeval", "created": datetime.combine(run_date, time(0, 0))})
    return wb


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
    last = hr + max(len(deps), 1)
    ws.autofilter(hr, 0, last, len(OVERVIEW_COLUMNS) - 1)
    ws.freeze_panes(hr + 1, 1)
    if deps:
        for col in (9, 10):
            ws.conditional_format(hr + 1, col, last, col, {"type": "cell", "criteria": ">", "value": 1, "format": st.red})
            ws.conditional_format(hr + 1, col, last, col, {"type": "cell", "criteria": "between", "minimum": 0, "maximum": 0.8999999, "format": st.yellow})
        for grade in GRADE_COLORS:
            fmt = getattr(st, f"grade_{grade}")
            ws.conditional_format(hr + 1, 12, last, 12, {"type": "cell", "criteria": "==", "value": f'"{grade}"', "format": fmt})
        ws.conditional_format(hr + 1, 14, last, 14, {"type": "cell", "criteria": ">", "value": 0, "format": st.red})


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
        ws.merge_range(hr, c, hr, c + 2, clip(name) or "（未填一级指标）", st.header)
        for k, sub in enumerate(("得分", "分值", "得分率")):
            ws.write_string(hr + 1, c + k, sub, st.header)
        ws.set_column(c, c + 2, 9)
    for i, d in enumerate(deps):
        r = hr + 2 + i
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
        ws.autofilter(hr + 1, 0, hr + 1 + len(deps), 1 + len(groups) * 3)


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
    links: dict[str, Url] = {}  # a department's findings all link to its sheet: one parsed link
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
            link = links.get(sheet)
            if link is None:
                link = links[sheet] = Url(internal_link(sheet))
                link.text = "查看"
            ws.write_url(r, 9, link, st.link)
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
    for i, (label, value) in enumerate((
        ("部门数", len(result.departments)),
        ("错误数", result.errors),
        ("警告数", result.warnings),
        ("提示数", result.count(Severity.INFO)),
        ("跳过的文件", len(result.skipped)),
    )):
        w.text(totals_row + i, 0, label, st.label)
        w.num(totals_row + i, 1, value, st.integer)
    chart = wb.add_chart({"type": "column"})
    chart.add_series({
        "name": "部门数", "categories": ["统计", r + 1, 0, r + 4, 0], "values": ["统计", r + 1, 1, r + 4, 1],
        "data_labels": {"value": True},
    })
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
        w.text(dr + 1 + i, 0, d.name)
        w.num(dr + 1 + i, 1, d.total_score)
        w.num(dr + 1 + i, 2, d.execution_rate, st.rate)
        w.num(dr + 1 + i, 3, d.arrival_rate, st.rate)
    if not scored:
        return
    last = dr + len(scored)
    height = max(1.0, len(scored) / 12)
    for k, (col, title, fmt) in enumerate(((1, "各部门评价得分", "0"), (2, "各部门预算执行率", "0%"))):
        c = wb.add_chart({"type": "bar"})
        c.add_series({
            "name": title, "categories": ["统计", dr + 1, 0, last, 0], "values": ["统计", dr + 1, col, last, col],
            "data_labels": {"value": True, "num_format": fmt},
        })
        c.set_title({"name": title})
        c.set_legend({"none": True})
        c.set_y_axis({"reverse": True})
        c.set_x_axis({"num_format": fmt, "min": 0, **({"max": 100} if col == 1 else {})})
        ws.insert_chart(19 + k * int(16 * height + 2), 5, c, {"x_scale": 1.4, "y_scale": height})


def department_sheet(w: Writer, d: Department, findings_at: tuple[str, str, str]) -> None:
    """One department's results: basic information, funds with rates, 绩效分析, and how many
    findings, linked to where they are listed: `findings_at` = (sheet, first cell, "第 m–n 行")."""
    st, ws = w.st, w.ws
    ws.set_column(0, 0, 18)
    ws.set_column(1, 8, 14)
    ws.write_string(0, 0, clip(f"{d.name} 评价结果"), st.title)
    ws.write_string(1, 0, clip(f"源文件：{d.file}"), st.subtitle)
    r = 3
    ws.write_string(r, 0, "一、基本情况", st.section)
    r += 1
    info = d.data.info
    rows: list[tuple[str, Any]] = [
        ("部门名称", d.name), ("部门编码", d.code), ("评价年度", d.year), ("评价类型", d.eval_type),
        ("项目名称", info["project"].text if "project" in info and not info["project"].blank else (f"{d.name}{d.year or ''}年度部门整体支出绩效评价")),
        ("评价机构", info["agency"].text if "agency" in info else ""),
        ("评价得分", d.total_score), ("评价等级", d.grade), ("批次排名", d.rank),
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
        ("资金到位率", d.arrival_rate), ("预算执行率", d.execution_rate), ("预算调整率", d.adjustment_rate),
        ("结余率", d.balance_rate), ("基本支出执行率", d.basic_rate), ("项目支出执行率", d.project_rate),
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
        ws.write_url(r, 0, internal_link(sheet, cell), st.section, f"四、发现的问题（{len(d.findings)} 条：{counts}）→ 逐条见“{sheet}”{where}")
    else:
        ws.write_string(r, 0, "四、发现的问题（无）", st.section)
