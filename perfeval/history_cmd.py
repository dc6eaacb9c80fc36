"""`perfeval history`: the results history on the terminal, a department's years or one line
per department, and all of it as an .xlsx.

Registered by the command line (`main.add_command(history_command)`); it imports nothing from
perfeval.cli, which imports it. It reads the history with historydb.History and needs no pandas:
the analysts' DataFrame of the same rows is perfeval.history().
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from . import terminal
from .clikit import Command, PathType
from .historydb import DEFAULT_NAME, History, HistoryError, YearRecord, default_path
from .values import format_number, format_rate

USAGE, CANNOT_RUN = 2, 3  # the exit codes of cli.Exit
CONTEXT = {"help_option_names": [], "max_content_width": 100}  # as cli.CONTEXT


# --- the rows --------------------------------------------------------------------------


def by_department(records: Sequence[YearRecord]) -> dict[str, list[YearRecord]]:
    """Each department's recorded years (by its key), the earliest first."""
    out: dict[str, list[YearRecord]] = {}
    for r in sorted(records, key=lambda r: (r.key, r.year)):
        out.setdefault(r.key, []).append(r)
    return out


def _latest(years: Sequence[YearRecord]) -> YearRecord:
    return years[-1]


def find(departments: dict[str, list[YearRecord]], query: str) -> tuple[list[str], list[str]]:
    """The keys of the departments `query` names (by 部门名称, any year's, or 部门编码: the whole
    of one, else the start of one, else a part of one) and, where none, the names it is close to."""
    entries = [{"key": key, "name": name, "code": years[0].code} for key, years in departments.items() for name in _names(years)]
    found, close = terminal.find_department(entries, query)
    keys: list[str] = []
    for entry in found:
        if entry["key"] not in keys:
            keys.append(entry["key"])
    return keys, close


def _names(years: Sequence[YearRecord]) -> list[str]:
    """A department's names, the latest first (a name may change from one year to the next)."""
    names: list[str] = []
    for r in reversed(years):
        if r.name and r.name not in names:
            names.append(r.name)
    return names or [""]


def label(years: Sequence[YearRecord]) -> str:
    last = _latest(years)
    name = last.name or last.key.partition(":")[2]
    return f"{name}（编码 {last.code}）" if last.code else name


def _dash(text: str) -> str:
    return text or "—"


# --- the terminal ------------------------------------------------------------------------

YEAR_HEADER = ("评价年度", "评价得分", "评价等级", "预算执行率", "资金到位率", "评价状态", "错误数", "警告数")
RIGHT = {0, 1, 3, 4, 6, 7}  # columns of numbers, right-aligned


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int], paint: terminal.Paint) -> list[str]:
    """Columns as wide as their widest cell (CJK text two columns a character)."""
    widths = [max(terminal.text_width(x) for x in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = [(terminal.pad_left if i in right else terminal.pad)(x, w) for i, (x, w) in enumerate(zip(cells, widths, strict=True))]
        return "  " + "  ".join(padded).rstrip()

    return [paint(line(header), "dim"), *(line(r) for r in rows)]


def year_lines(years: Sequence[YearRecord], paint: terminal.Paint = terminal.plain) -> list[str]:
    """A department's years, one line each."""
    rows = [
        (
            str(r.year),
            _dash(format_number(r.total_score)),
            _dash(r.grade),
            _dash(format_rate(r.execution_rate)),
            _dash(format_rate(r.arrival_rate)),
            _dash(r.status),
            str(r.errors),
            str(r.warnings),
        )
        for r in years
    ]
    return [paint(f"== {label(years)}：记录 {len(years)} 个评价年度", "heading"), *_table(YEAR_HEADER, rows, RIGHT, paint)]


DEPARTMENT_HEADER = ("部门", "部门编码", "记录的评价年度", "最近年度", "最近得分", "等级")


def department_lines(departments: dict[str, list[YearRecord]], paint: terminal.Paint = terminal.plain) -> list[str]:
    """One line per department: its years recorded and its latest score."""
    rows = []
    for years in sorted(departments.values(), key=lambda ys: (_latest(ys).name, _latest(ys).key)):
        last = _latest(years)
        rows.append(
            (
                terminal.clip(_names(years)[0] or last.key.partition(":")[2], terminal.NAME_WIDTH),
                _dash(last.code),
                "、".join(str(r.year) for r in years),
                str(last.year),
                _dash(format_number(last.total_score)),
                _dash(last.grade),
            )
        )
    return _table(DEPARTMENT_HEADER, rows, {3, 4}, paint)


# --- the workbook ------------------------------------------------------------------------

# (header, width, value of a record, kind): kind "text", "number", "rate", "int"
XLSX_COLUMNS: tuple[tuple[str, int, Callable[[YearRecord], Any], str], ...] = (
    ("部门名称", 28, lambda r: r.name, "text"),
    ("部门编码", 14, lambda r: r.code, "text"),
    ("评价年度", 10, lambda r: r.year, "int"),
    ("评价得分", 10, lambda r: r.total_score, "number"),
    ("评价等级", 10, lambda r: r.grade, "text"),
    ("排名", 8, lambda r: r.rank, "int"),
    ("预算执行率", 12, lambda r: r.execution_rate, "rate"),
    ("资金到位率", 12, lambda r: r.arrival_rate, "rate"),
    ("评价状态", 10, lambda r: r.status, "text"),
    ("错误数", 8, lambda r: r.errors, "int"),
    ("警告数", 8, lambda r: r.warnings, "int"),
    ("文件", 36, lambda r: r.file, "text"),
)
SHEET = "历年结果"


def xlsx_bytes(records: Sequence[YearRecord]) -> bytes:
    """The records, one row each, as an .xlsx: text always as text (never a formula or a link),
    rates as percentages, blank where not known; the header bold and frozen, with filters."""
    import xlsxwriter  # here: the other commands never need it

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False, "in_memory": True})
    wb.set_properties({"title": "绩效评价历史记录", "author": "perfeval"})
    formats = {
        "header": wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "valign": "vcenter"}),
        "text": wb.add_format({"num_format": "@"}),
        "number": wb.add_format({"num_format": "0.00"}),
        "rate": wb.add_format({"num_format": "0.00%"}),
        "int": wb.add_format({"num_format": "0"}),
    }
    ws = wb.add_worksheet(SHEET)
    for col, (header, width, _, kind) in enumerate(XLSX_COLUMNS):
        ws.write_string(0, col, header, formats["header"])
        ws.set_column(col, col, width, formats[kind])
    for row, r in enumerate(records, start=1):
        for col, (_, _, value_of, kind) in enumerate(XLSX_COLUMNS):
            value = value_of(r)
            if value is None or (value == "" and kind != "text"):
                ws.write_blank(row, col, None, formats[kind])
            elif kind == "text":
                ws.write_string(row, col, str(value), formats[kind])
            else:
                ws.write_number(row, col, value, formats[kind])
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(records), 1), len(XLSX_COLUMNS) - 1)
    wb.close()
    return buf.getvalue()


# --- the command -------------------------------------------------------------------------


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"错误：{message}", err=True)
    sys.exit(code)


@click.command("history", cls=Command, context_settings=CONTEXT)
@click.help_option("-h", "--help", help="显示本帮助并退出")
@click.argument("department", required=False, metavar="[部门]")
@click.option(
    "--history",
    "history_file",
    type=PathType(dir_okay=False),
    help=f"历史记录文件（默认：-o 指定的输出文件夹旁边的 {DEFAULT_NAME}，未指定 -o 时为当前文件夹中的 {DEFAULT_NAME}）",
)
@click.option("-o", "--outdir", type=PathType(file_okay=False), help="perfeval process 的输出文件夹：读取它旁边的历史记录")
@click.option("--xlsx", "xlsx", type=PathType(dir_okay=False), help="另把历年结果导出为 Excel 工作簿（给出部门时只导出该部门）")
def history_command(department: str | None, history_file: Path | None, outdir: Path | None, xlsx: Path | None) -> None:
    """显示历史记录中各部门历年的评价结果（perfeval process 按评价年度记录）。

    \b
    perfeval history                     每个部门一行：记录的评价年度、最近得分
    perfeval history 科技发展局           该部门历年的得分、等级、执行率、到位率、状态和问题数
    perfeval history --xlsx 历年结果.xlsx  另导出为 Excel 工作簿
    部门可写部门名称或部门编码，写出其中唯一的一部分即可。
    退出码：0 已显示；2 用法错误（找不到历史记录文件、没有这个部门）；3 历史记录无法读取（损坏、被占用或由更新版本写入），或无法写入 --xlsx。
    """
    path = history_file or (default_path(outdir) if outdir is not None else Path(DEFAULT_NAME))
    if not path.is_file():  # History() would create an empty one
        how = (
            "" if history_file else "请用 --history 指定历史记录文件，或用 -o 指定 perfeval process 的输出文件夹（历史记录默认在它旁边）。"
        )
        _fail(f"找不到历史记录文件 {path}。perfeval process 运行时把各部门的结果按评价年度记入历史记录。{how}", USAGE)
    try:
        with History(path) as h:
            records = h.years()
    except HistoryError as exc:
        _fail(str(exc), CANNOT_RUN)
    departments = by_department(records)
    paint = terminal.painter(click.style if terminal.use_colour(sys.stdout, os.environ) else None)
    if department is not None:
        keys, close = find(departments, department)
        if len(keys) != 1:
            if keys:
                names = "、".join(label(departments[k]) for k in keys[:10]) + (" 等" if len(keys) > 10 else "")
                _fail(f"“{department.strip()}”符合 {len(keys)} 个部门：{names}；请写得更完整，或写部门编码", USAGE)
            hint = f"你要找的是不是：{'、'.join(close)}？" if close else ""
            _fail(f"历史记录 {path} 中没有部门“{department.strip()}”。{hint}perfeval history 列出全部部门", USAGE)
        chosen = departments[keys[0]]
        click.echo("\n".join(year_lines(chosen, paint)))
        exported: Sequence[YearRecord] = chosen
    elif not departments:
        click.echo(f"历史记录 {path} 中还没有任何部门的结果。")
        exported = []
    else:
        lines = [paint(f"历史记录：{path}（{len(departments)} 个部门，{len(records)} 条年度记录）", "heading")]
        lines += department_lines(departments, paint)
        lines.append("查看某个部门历年的结果：perfeval history 部门名称")
        click.echo("\n".join(lines))
        exported = records
    if xlsx is not None:
        from .atomic import write_bytes_atomic

        try:
            write_bytes_atomic(xlsx, xlsx_bytes(sorted(exported, key=lambda r: (r.name, r.key, r.year))))
        except OSError as exc:
            _fail(f"无法写入 {xlsx}：{exc.strerror or exc}", CANNOT_RUN)
        click.echo(f"已导出：{xlsx}（{len(exported)} 行）", err=True)
