"""The workbook layouts (表样) perfeval knows, as data (`data/profiles.toml`).

A profile names a layout, the sheets it has and the labels printed on it that identify it.
v1 is the contract, read sheet by sheet (read.Reader). A one-sheet form is read by its `Form`:
which labels stand for which of the model's figures (forms.FormReader). A profile with no form
is only recognised, so that a workbook in it is told which layout it is in, instead of being
listed the five sheets it lacks. docs/profiles.md describes the keys.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .values import normalize_label

CONTRACT = "v1"
SIGNATURE_MIN = 3  # labels: fewer would tell one layout from another by chance
MATCH_MIN = 0.5  # of a profile's signature labels found: below, a workbook is not said to be in it
NEAREST_MIN = 2  # labels: with fewer, no layout is even named as the nearest


Labels = tuple[str, ...]
Mapping = tuple[tuple[str, Labels], ...]  # a model field → the form's labels for it, in order

# the keys of a [profile.form]'s tables, and what each label list stands for
FORM_TABLES: dict[str, tuple[str, ...]] = {
    "info": ("name", "code", "year", "project", "agency", "contact", "phone", "email"),
    "funds": ("budget", "adjusted", "received", "spent", "balance", "reported_rate", "weight", "score", "total", "sources"),
    "goal": ("planned",),
    "indicators": (
        "level1",
        "level2",
        "level3",
        "nature",
        "target",
        "target_initial",
        "unit",
        "actual",
        "weight",
        "score",
        "deviation",
        "coefficient",
        "core",
    ),
    "conclusion": ("problems", "suggestions", "reported_score", "reported_grade"),
}
FORM_KEYS = ("eval_type", "total", "instructions", *FORM_TABLES)


@dataclass(frozen=True)
class Form:
    """Where a one-sheet form holds the model's figures: for each table, a model field → the
    form's labels for it (normalized). `instructions`: texts printed in the form's empty text
    cells (an unfilled cell still says "结合自评情况，……"), never taken as content."""

    eval_type: str = ""
    total: Labels = ()
    instructions: tuple[str, ...] = ()
    info: Mapping = ()
    funds: Mapping = ()
    goal: Mapping = ()
    indicators: Mapping = ()
    conclusion: Mapping = ()

    def labels(self, table: str, key: str) -> Labels:
        return dict(getattr(self, table)).get(key, ())


@dataclass(frozen=True)
class Profile:
    id: str
    name: str
    source: str
    readable: bool
    sheets: tuple[str, ...]
    signature: tuple[str, ...]
    # a contract column's header → the other headers it is written as (normalized)
    synonyms: tuple[tuple[str, tuple[str, ...]], ...] = ()
    form: Form | None = None  # how a one-sheet form is read; None: v1 (read.Reader) or recognised only

    def found(self, labels: Iterable[str]) -> list[str]:
        """The signature labels among `labels` (normalized texts of a workbook's cells): a text
        that is a signature label, or starts with one ("全年预算数（A）", "年度资金总额：")."""
        labels = set(labels)
        return [s for s in self.signature if s in labels or any(label.startswith(s) for label in labels)]


class ProfileError(Exception):
    """A profile file cannot be used (message in Chinese)."""


@functools.cache
def shipped() -> tuple[Profile, ...]:
    """The shipped profiles, v1 first."""
    text = resources.files("perfeval").joinpath("data/profiles.toml").read_text(encoding="utf-8")
    return tuple(_profile(p) for p in tomllib.loads(text)["profile"])


def profiles(extra: tuple[Profile, ...] = ()) -> tuple[Profile, ...]:
    """The shipped profiles, then the user's (`extra`: see load_file)."""
    return shipped() + extra


def load_files(paths: Iterable[Path]) -> tuple[Profile, ...]:
    """The user's profiles of several files (load_file), no id given twice; ProfileError."""
    out: list[Profile] = []
    for path in paths:
        out.extend(load_file(path))
    ids = [p.id for p in out]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ProfileError(f"表样代号重复：{'、'.join(twice)}")
    return tuple(out)


def load_file(path: Path) -> tuple[Profile, ...]:
    """A user's profiles: a TOML file of [[profile]] tables as data/profiles.toml has them (id,
    name, signature; source, sheets and form optional). One with a [profile.form] is read as
    the shipped forms are; one without is recognised only: a workbook in it is told which
    layout it is in (S02), never scored. ProfileError says what is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(f"表样文件 {path} 不存在") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"无法读取表样文件 {path}（{exc}）；应为 UTF-8 编码的 TOML 文件") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"表样文件 {path} 不是有效的 TOML（{exc}）") from None
    entries = data.get("profile")
    if not isinstance(entries, list) or not entries or set(data) != {"profile"}:
        raise ProfileError(f"表样文件 {path} 应由一个或多个 [[profile]] 表组成")
    taken = {p.id for p in shipped()}
    out = []
    for i, p in enumerate(entries, start=1):
        where = f"表样文件 {path} 第 {i} 个 [[profile]]"
        if not isinstance(p, dict):
            raise ProfileError(f"{where} 应为表")
        unknown = set(p) - {"id", "name", "source", "sheets", "signature", "readable", "form"}
        if unknown:
            raise ProfileError(f"{where}：未知的项 {'、'.join(sorted(unknown))}（可用：id、name、source、sheets、signature、form）")
        if not isinstance(p.get("id"), str) or not p["id"].strip() or not isinstance(p.get("name"), str) or not p["name"].strip():
            raise ProfileError(f"{where}：缺少 id 或 name（文字）")
        if p["id"] in taken:
            raise ProfileError(f"{where}：id “{p['id']}”已被使用（perfeval profiles 列出已有的表样）")
        if "form" in p:
            problem = _form_problem(p["form"])
            if problem:
                raise ProfileError(f"{where}：{problem}")
        if p.get("readable") and "form" not in p:
            raise ProfileError(f"{where}：readable = true 需要 [profile.form] 说明怎样读取（没有它的表样只能识别）")
        signature = p.get("signature")
        if (
            not isinstance(signature, list)
            or len(signature) < SIGNATURE_MIN
            or not all(isinstance(s, str) and s.strip() for s in signature)
        ):
            raise ProfileError(f"{where}：signature 应为至少 {SIGNATURE_MIN} 个标签（文字）的列表")
        sheets = p.get("sheets", [])
        if not isinstance(sheets, list) or not all(isinstance(s, str) for s in sheets):
            raise ProfileError(f"{where}：sheets 应为工作表名称的列表")
        taken.add(p["id"])
        out.append(_profile({**p, "readable": "form" in p}))
    return tuple(out)


def _profile(p: dict) -> Profile:
    form = p.get("form")
    return Profile(
        str(p["id"]),
        str(p["name"]),
        str(p.get("source", "")),
        bool(p.get("readable", False)) or form is not None,
        tuple(str(s) for s in p.get("sheets", ())),
        tuple(normalize_label(str(s)) for s in p["signature"]),
        tuple((normalize_label(k), tuple(normalize_label(str(x)) for x in v)) for k, v in p.get("synonyms", {}).items()),
        None if form is None else _form(form),
    )


def _labels(values: Iterable[str]) -> Labels:
    return tuple(normalize_label(str(v)) for v in values)


def _form(f: dict) -> Form:
    return Form(
        str(f.get("eval_type", "")),
        _labels(f.get("total", ())),
        tuple(str(x) for x in f.get("instructions", ())),
        *(tuple((k, _labels(v)) for k, v in f.get(table, {}).items()) for table in FORM_TABLES),
    )


def _form_problem(f: Any) -> str:
    """What is wrong with a user's [profile.form] table, in Chinese; "" where nothing is."""
    if not isinstance(f, dict):
        return "form 应为表"
    unknown = set(f) - set(FORM_KEYS)
    if unknown:
        return f"form 中未知的项 {'、'.join(sorted(unknown))}（可用：{'、'.join(FORM_KEYS)}）"
    if not isinstance(f.get("eval_type", ""), str):
        return "form.eval_type 应为文字"
    for key in ("total", "instructions"):
        if not _strings(f.get(key, [])):
            return f"form.{key} 应为文字的列表"
    for table, keys in FORM_TABLES.items():
        t = f.get(table, {})
        if not isinstance(t, dict):
            return f"form.{table} 应为表"
        unknown = set(t) - set(keys)
        if unknown:
            return f"form.{table} 中未知的项 {'、'.join(sorted(unknown))}（可用：{'、'.join(keys)}）"
        bad = next((k for k, v in t.items() if not _strings(v)), None)
        if bad:
            return f"form.{table}.{bad} 应为标签（文字）的列表"
    indicators = dict(f.get("indicators", {}))
    missing = [k for k in ("level3", "weight", "score") if not indicators.get(k)]
    if missing:
        return f"form.indicators 至少要给出 {'、'.join(missing)} 的标签（指标名称、分值、得分）"
    return ""


def _strings(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) and x.strip() for x in v)


@functools.cache
def header_synonyms() -> dict[str, str]:
    """Another form's header → the contract's header it stands for (v1's synonyms)."""
    contract = next(p for p in shipped() if p.id == CONTRACT)
    return {other: label for label, others in contract.synonyms for other in others}


def by_id(profile_id: str, extra: tuple[Profile, ...] = ()) -> Profile | None:
    return next((p for p in profiles(extra) if p.id == profile_id), None)


def form_has(profile_id: str, table: str, key: str, extra: tuple[Profile, ...] = ()) -> bool:
    """The form of layout `profile_id` has a place for `key` of `table` (its labels are given)."""
    p = by_id(profile_id, extra)
    return p is not None and p.form is not None and bool(p.form.labels(table, key))


def nearest(labels: Iterable[str], extra: tuple[Profile, ...] = ()) -> tuple[Profile, list[str]] | None:
    """The layout with the most of its signature among `labels` (at least NEAREST_MIN labels,
    however short of MATCH_MIN), with those found; None where none has so many."""
    labels = set(labels)
    best: tuple[int, Profile, list[str]] | None = None
    for p in profiles(extra):
        found = p.found(labels)
        if len(found) >= NEAREST_MIN and (best is None or len(found) > best[0]):
            best = (len(found), p, found)
    return (best[1], best[2]) if best else None


def closest(labels: Iterable[str], extra: tuple[Profile, ...] = ()) -> tuple[Profile, list[str]] | None:
    """The layout a workbook whose cells hold `labels` is in (most of its signature found, at
    least MATCH_MIN of it; the first such where two fit as well), with the signature labels
    found; None where none fits. `extra`: the user's profiles, after the shipped ones."""
    labels = set(labels)
    best: tuple[float, Profile, list[str]] | None = None
    for p in profiles(extra):
        found = p.found(labels)
        share = len(found) / len(p.signature)
        if share >= MATCH_MIN and (best is None or share > best[0]):
            best = (share, p, found)
    return (best[1], best[2]) if best else None
