"""The workbook layouts (表样) perfeval knows, as data (`data/profiles.toml`).

A profile names a layout, the sheets it has and the labels printed on it that identify it.
perfeval reads one of them (v1, the contract); the others are recognised, so that a workbook
in one of them is told which layout it is in, instead of being listed the five sheets it lacks.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .values import normalize_label

CONTRACT = "v1"
SIGNATURE_MIN = 3  # labels: fewer would tell one layout from another by chance
MATCH_MIN = 0.5  # of a profile's signature labels found: below, a workbook is not said to be in it
NEAREST_MIN = 2  # labels: with fewer, no layout is even named as the nearest


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
    name, signature; source and sheets optional). They are recognised, not read: a workbook in
    one is told which layout it is in (S02), never scored. ProfileError says what is wrong."""
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
        unknown = set(p) - {"id", "name", "source", "sheets", "signature", "readable"}
        if unknown:
            raise ProfileError(f"{where}：未知的项 {'、'.join(sorted(unknown))}（可用：id、name、source、sheets、signature）")
        if not isinstance(p.get("id"), str) or not p["id"].strip() or not isinstance(p.get("name"), str) or not p["name"].strip():
            raise ProfileError(f"{where}：缺少 id 或 name（文字）")
        if p["id"] in taken:
            raise ProfileError(f"{where}：id “{p['id']}”已被使用（perfeval profiles 列出已有的表样）")
        if p.get("readable"):
            raise ProfileError(f"{where}：readable 只能为 false（perfeval 目前只能读取 v1 模板，其他表样只能识别）")
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
        out.append(_profile({**p, "readable": False}))
    return tuple(out)


def _profile(p: dict) -> Profile:
    return Profile(
        str(p["id"]),
        str(p["name"]),
        str(p.get("source", "")),
        bool(p.get("readable", False)),
        tuple(str(s) for s in p.get("sheets", ())),
        tuple(normalize_label(str(s)) for s in p["signature"]),
        tuple((normalize_label(k), tuple(normalize_label(str(x)) for x in v)) for k, v in p.get("synonyms", {}).items()),
    )


@functools.cache
def header_synonyms() -> dict[str, str]:
    """Another form's header → the contract's header it stands for (v1's synonyms)."""
    contract = next(p for p in shipped() if p.id == CONTRACT)
    return {other: label for label, others in contract.synonyms for other in others}


def by_id(profile_id: str, extra: tuple[Profile, ...] = ()) -> Profile | None:
    return next((p for p in profiles(extra) if p.id == profile_id), None)


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
