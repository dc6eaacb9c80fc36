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

from .values import normalize_label

CONTRACT = "v1"
MATCH_MIN = 0.5  # of a profile's signature labels found: below, a workbook is not said to be in it


@dataclass(frozen=True)
class Profile:
    id: str
    name: str
    source: str
    readable: bool
    sheets: tuple[str, ...]
    signature: tuple[str, ...]

    def found(self, labels: Iterable[str]) -> list[str]:
        """The signature labels among `labels` (normalized texts of a workbook's cells): a text
        that is a signature label, or starts with one ("全年预算数（A）", "年度资金总额：")."""
        labels = set(labels)
        return [s for s in self.signature if s in labels or any(label.startswith(s) for label in labels)]


@functools.cache
def profiles() -> tuple[Profile, ...]:
    """The shipped profiles, v1 first."""
    text = resources.files("perfeval").joinpath("data/profiles.toml").read_text(encoding="utf-8")
    return tuple(_profile(p) for p in tomllib.loads(text)["profile"])


def _profile(p: dict) -> Profile:
    return Profile(
        str(p["id"]),
        str(p["name"]),
        str(p.get("source", "")),
        bool(p.get("readable", False)),
        tuple(str(s) for s in p.get("sheets", ())),
        tuple(normalize_label(str(s)) for s in p["signature"]),
    )


def by_id(profile_id: str) -> Profile | None:
    return next((p for p in profiles() if p.id == profile_id), None)


def closest(labels: Iterable[str]) -> tuple[Profile, list[str]] | None:
    """The layout a workbook whose cells hold `labels` is in (most of its signature found, at
    least MATCH_MIN of it), with the signature labels found; None where none fits."""
    labels = set(labels)
    best: tuple[float, Profile, list[str]] | None = None
    for p in profiles():
        found = p.found(labels)
        share = len(found) / len(p.signature)
        if share >= MATCH_MIN and (best is None or share > best[0]):
            best = (share, p, found)
    return (best[1], best[2]) if best else None
