"""B: the batch, across files."""

from __future__ import annotations

from collections import Counter, defaultdict

from .. import schema as S
from ..config import Settings
from ..model import Cell, Department, Severity, a1
from ..values import comparable_text, normalize_label, quote
from .registry import Batch, Hit, hit, rule


def identity(dep: Department) -> tuple[str, str] | None:
    """What identifies a department: its 部门编码 where given, else its 部门名称."""
    if dep.code:
        return ("编码", normalize_label(dep.code).upper())
    if dep.data.info.get("name") is not None and not dep.data.info["name"].blank:
        return ("名称", normalize_label(dep.name))
    return None


def _info(dep: Department, key: str) -> Cell:
    return dep.data.info.get(key) or Cell(S.SHEET_INFO)


@rule("B01", Severity.ERROR, batch=True)
def duplicate_department(batch: Batch, s: Settings):
    """同一部门同一年度出现在多个文件中"""
    groups: dict[tuple, list[Department]] = defaultdict(list)
    for dep in batch.departments:
        key = identity(dep)
        if dep.readable and key is not None:
            groups[(key, dep.year)].append(dep)
    for (key, year), deps in groups.items():
        if len(deps) < 2:
            continue
        files = "、".join(sorted(d.file for d in deps))
        for dep in deps:
            cell = _info(dep, "code" if key[0] == "编码" else "name")
            yield (
                dep,
                dep.file,
                hit(
                    cell,
                    f"部门“{dep.name}”（{key[0]} {key[1]}）{year or ''}年度出现在 {len(deps)} 个文件中：{files}；各文件均已处理，请确认保留哪一份",
                    dep.file,
                    files,
                ),
            )


@rule("B02", Severity.WARNING, batch=True)
def mixed_years(batch: Batch, s: Settings):
    """本批次混有多个评价年度"""
    years = Counter(d.year for d in batch.departments if d.readable and d.year is not None)
    if len(years) < 2:
        return
    main = sorted(years.items(), key=lambda kv: (-kv[1], -kv[0]))[0][0]
    listed = "、".join(str(y) for y in sorted(years))
    for dep in batch.departments:
        if dep.readable and dep.year is not None and dep.year != main:
            yield (
                dep,
                dep.file,
                hit(
                    _info(dep, "year"),
                    f"本批次混有多个评价年度（{listed}），多数为 {main} 年度，本文件为 {dep.year} 年度；请确认是否放错批次",
                    str(dep.year),
                    str(main),
                ),
            )


@rule("B03", Severity.INFO, batch=True, needs_data=False)
def skipped(batch: Batch, s: Settings):
    """收件箱中有文件被跳过（锁定文件、非工作簿）"""
    for item in batch.skipped:
        yield None, item.file, Hit("", 0, 0, f"已跳过“{item.file}”：{item.reason}")


@rule("B04", Severity.INFO, batch=True)
def copied_text(batch: Batch, s: Settings):
    """存在问题或相关建议的文字与本批次其他部门雷同"""
    seen: dict[str, list[tuple[Department, int]]] = defaultdict(list)  # the text as copies compare → where it stands
    for dep in batch.departments:
        if not dep.readable:
            continue
        mine: set[str] = set()
        for i, (_, content, *_) in enumerate(dep.texts):
            key = comparable_text(content, (dep.name,))
            if key and key not in mine:  # a department repeating itself is not a copy of another
                mine.add(key)
                seen[key].append((dep, i))
    who = {d.file: identity(d) or d.file for d in batch.departments}  # one department in two files is B01's
    for places in seen.values():
        if len({who[d.file] for d, _ in places}) < 2:
            continue
        for dep, i in places:
            category, content, sheet, row, col = dep.texts[i]
            others = [(d, j) for d, j in places if who[d.file] != who[dep.file]]
            if not others:
                continue
            first, j = others[0]
            _, _, their_sheet, their_row, their_col = first.texts[j]
            where = f"{their_sheet}!{a1(their_row, their_col)}"
            more = f"等 {len(others)} 个部门" if len(others) > 1 else ""
            yield (
                dep,
                dep.file,
                Hit(
                    sheet,
                    row,
                    col,
                    f"{category or '评价结论'}“{quote(content, 40)}”与{first.name or first.file}（{first.file}，{where}）{more}的文字雷同"
                    "（不计标点、数字和部门名称）；请确认是按本部门的实际情况写的，而不是照抄",
                    content,
                    "、".join(sorted(d.name or d.file for d, _ in others)),
                ),
            )


@rule("B05", Severity.INFO, batch=True)
def repeated_from_earlier_year(batch: Batch, s: Settings):
    """存在问题或相关建议的文字与本部门往年的评价雷同"""
    for dep in batch.departments:
        before = dep.previous  # from the results history: `perfeval check` has none
        if before is None or not dep.readable:
            continue
        names = (dep.name, before.name)
        told: dict[str, tuple[str, str]] = {}  # the text as copies compare → (类别, 内容) that year
        for category, content in before.texts:
            told.setdefault(comparable_text(content, names), (category, content))
        told.pop("", None)
        for category, content, sheet, row, col in dep.texts:
            earlier = told.get(comparable_text(content, names))
            if earlier is None:
                continue
            then, written = earlier
            if category == then == "存在问题":
                message = (
                    f"存在问题“{quote(content, 40)}”在 {before.year} 年度的评价中已经指出（文字雷同）：可能尚未整改；"
                    "请在本年的评价中写明整改情况，或写出本年的实际问题"
                )
            else:
                message = (
                    f"{category or '评价结论'}“{quote(content, 40)}”与 {before.year} 年度评价的{then}文字雷同（不计标点、数字和部门名称）；"
                    "请确认是按本年的实际情况写的，而不是沿用上年的文字"
                )
            yield dep, dep.file, Hit(sheet, row, col, message, content, f"{before.year} 年度：{written}")
