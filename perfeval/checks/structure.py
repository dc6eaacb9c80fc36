"""S: structure and input."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .. import schema as S
from ..config import Settings
from ..model import Cell, Department, Severity
from ..profiles import by_id
from ..values import EMAIL, normalize_label, normalize_nature, quote
from .registry import Hit, hit, notes, rule


@rule("S01", Severity.ERROR, needs_data=False, other_layouts=True)
def unreadable(dep: Department, s: Settings) -> Iterator[Hit]:
    """文件无法作为工作簿读取"""
    if dep.data.read_error:
        yield Hit("", 0, 0, f"无法读取文件“{dep.file}”：{dep.data.read_error}")


@rule("S02", Severity.ERROR, other_layouts=True)
def missing_sheet(dep: Department, s: Settings) -> Iterator[Hit]:
    """缺少合同规定的工作表"""
    yield from notes(dep, "S02")


@rule("S03", Severity.ERROR)
def missing_header(dep: Department, s: Settings) -> Iterator[Hit]:
    """表头行或表头中的某一列缺失"""
    yield from notes(dep, "S03")


def _has_sheet(dep: Department, sheet: str) -> bool:
    return not any(n.code == "S02" and n.hit.sheet == sheet for n in dep.data.notes)


@rule("S04", Severity.WARNING)
def template_version(dep: Department, s: Settings) -> Iterator[Hit]:
    """模板版本缺失或不是 perfeval-v1"""
    if dep.data.in_form or not _has_sheet(dep, S.SHEET_INFO):
        return  # a form of another layout (表样) has no 模板版本: its profile is shown instead
    cell = dep.data.info.get("template_version")
    if cell is None:
        yield Hit(S.SHEET_INFO, 0, 0, f"“基本信息”中没有“模板版本”，应为 {S.TEMPLATE_VERSION}；文件仍按 v1 读取，请改用最新模板")
    elif cell.text != S.TEMPLATE_VERSION:
        yield hit(
            cell, f"模板版本为“{cell.text}”，不是 {S.TEMPLATE_VERSION}；文件仍按 v1 读取，请改用最新模板", cell.text, S.TEMPLATE_VERSION
        )


@rule("S05", Severity.ERROR)
def required_blank(dep: Department, s: Settings) -> Iterator[Hit]:
    """必填项为空（部门名称、评价年度、评价类型）"""
    if not _has_sheet(dep, S.SHEET_INFO):
        return
    for f in S.INFO_FIELDS:
        if not f.required or f.id == "template_version":
            continue
        cell = dep.data.info.get(f.id)
        if cell is None and dep.data.in_form:
            layout = by_id(dep.data.profile, s.profiles)
            labels = layout.form.labels("info", f.id) if layout is not None and layout.form is not None else ()
            where = f"（应填在“{'”或“'.join(labels)}”右侧）" if labels else ""
            sheet = dep.data.sheets[0] if dep.data.sheets else ""
            yield Hit(sheet, 0, 0, f"表中找不到必填项“{f.label}”{where}，请补上")
        elif cell is None:
            yield Hit(S.SHEET_INFO, 0, 0, f"“基本信息”中没有必填项“{f.label}”，请按模板补上")
        elif cell.blank:
            yield hit(cell, f"必填项“{f.label}”为空，请填写")


def _choice(cell: Cell | None, label: str, choices: tuple[str, ...]) -> Iterator[Hit]:
    if cell is None or cell.blank:
        return
    if normalize_label(cell.raw) not in choices:
        yield hit(cell, f"“{label}”填写了“{quote(cell.text, 50)}”，应为以下之一：{'、'.join(choices)}", cell.text)


@rule("S06", Severity.ERROR)
def out_of_range(dep: Department, s: Settings) -> Iterator[Hit]:
    """字段取值不在规定的列表或范围内"""
    info = dep.data.info
    yield from _choice(info.get("eval_type"), "评价类型", S.EVALUATION_TYPES)
    year = info.get("year")
    if year is not None and year.number is not None:
        if not float(year.number).is_integer() or not 2000 <= year.number <= 2100:
            yield hit(year, f"评价年度“{year.text}”不是 2000–2100 之间的整数年份", year.text)
    for key in ("reported_level1_count", "reported_level2_count", "reported_level3_count"):
        c = info.get(key)
        if c is not None and c.number is not None and (c.number < 0 or not float(c.number).is_integer()):
            yield hit(c, f"指标数“{c.text}”应为非负整数", c.text)
    email = info.get("email")
    if email is not None and not email.blank:
        addresses = [a for a in re.split(r"[;；,，\s]+", email.text) if a]
        bad = [a for a in addresses if not EMAIL.match(a)]
        if bad:
            yield hit(email, f"电子邮箱“{quote(email.text, 80)}”格式不正确，请填写如 name@example.gov.cn 的地址", email.text)
    yield from _choice(dep.data.conclusion.get("reported_grade"), "评价等级", S.GRADES)
    for row in dep.data.goals:
        nature = row.get("nature")
        if nature is not None and not nature.blank and normalize_nature(nature.raw) not in S.NATURES:
            yield hit(nature, f"指标性质“{nature.text}”应为 ≥、≤、= 或 定性", nature.text)
    seen: set[tuple[int, int]] = set()
    for row in dep.data.goals:
        level1 = row.get("level1")
        if level1 is None or level1.blank or (level1.row, level1.col) in seen:
            continue
        seen.add((level1.row, level1.col))
        yield from _choice(level1, "一级指标", S.GOAL_LEVEL1)
    for row in dep.data.items:
        yield from _choice(row.get("category"), "类别", S.ITEM_CATEGORIES)


@rule("S07", Severity.INFO)
def number_as_text(dep: Department, s: Settings) -> Iterator[Hit]:
    """数字以文本形式填写，已按数字读取"""
    yield from notes(dep, "S07")


@rule("S08", Severity.ERROR)
def text_not_number(dep: Department, s: Settings) -> Iterator[Hit]:
    """应填数字处填写了文本"""
    yield from notes(dep, "S08")
