"""B: the batch, across files."""

from __future__ import annotations

from collections import Counter, defaultdict

from .. import schema as S
from ..config import Settings
from ..model import Cell, Department, Severity
from ..values import normalize_label
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
