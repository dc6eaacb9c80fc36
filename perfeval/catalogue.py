"""The rule catalogue (perfeval/data/rules.toml): every rule code with its severity, title,
explanation, an example and the fix, implemented or planned.

It sits low in the layering: the settings validate disabled codes against it, `perfeval rules`
prints it, docs/generate.py renders docs/rules.md from it, and tests check that the `@rule`
registry (perfeval.checks) agrees with it. It imports nothing of perfeval but `Severity`.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass

from .model import Severity

DATA_FILE = "rules.toml"  # package data, perfeval/data/
CODE = re.compile(r"^([A-Z])(\d{2})$")
_LOOSE_CODE = re.compile(r"^([A-Za-z])0*(\d{1,2})$")


@dataclass(frozen=True)
class Family:
    letter: str  # the code prefix: S, F, G, W, C, B
    name: str  # Chinese heading, e.g. 资金
    scope: str  # where its rules look, e.g. 资金情况


@dataclass(frozen=True)
class Entry:
    code: str
    severity: Severity
    title: str  # for an implemented rule: the first docstring line of its function
    explanation: str  # what it checks and why
    example: str  # an input that makes it fire
    message: str  # what it says on that input
    fix: str  # how to fix the workbook or the report
    implemented: bool = True  # False: planned (规划中); disabling the code is still accepted

    @property
    def family(self) -> str:
        return self.code[0]

    @property
    def status(self) -> str:
        return "已实现" if self.implemented else "规划中"

    def as_json(self, family: Family) -> dict[str, object]:
        return {
            "code": self.code,
            "family": family.letter,
            "family_name": family.name,
            "severity": self.severity.value,
            "title": self.title,
            "implemented": self.implemented,
            "explanation": self.explanation,
            "example": self.example,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass(frozen=True, eq=False)
class Catalogue:
    families: tuple[Family, ...]
    entries: dict[str, Entry]  # by code, in catalogue order (family, then number)
    intro: str  # prose for docs/rules.md
    conventions: str
    readings: str
    seed: str

    def family(self, letter: str) -> Family:
        return next(f for f in self.families if f.letter == letter)

    def by_family(self) -> list[tuple[Family, list[Entry]]]:
        return [(f, [e for e in self.entries.values() if e.family == f.letter]) for f in self.families]


_ENTRY_KEYS = {"code", "severity", "title", "explanation", "example", "message", "fix", "implemented"}
_TEXT_KEYS = ("intro", "conventions", "readings", "seed")


@functools.cache
def load() -> Catalogue:
    """The catalogue, read once per process; a malformed file raises ValueError."""
    from importlib import resources  # here, not at the top: every start of perfeval imports this module

    text = resources.files("perfeval").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    return parse(text)


def parse(text: str) -> Catalogue:
    data = tomllib.loads(text)
    unknown = set(data) - {"family", "rule", "text"}
    if unknown:
        raise ValueError(f"{DATA_FILE}: unknown keys {sorted(unknown)}")
    families = tuple(Family(f["letter"], f["name"], f["scope"]) for f in data["family"])
    letters = [f.letter for f in families]
    if len(set(letters)) != len(letters):
        raise ValueError(f"{DATA_FILE}: a family letter twice")
    entries: dict[str, Entry] = {}
    for raw in data["rule"]:
        extra = set(raw) - _ENTRY_KEYS
        missing = _ENTRY_KEYS - {"implemented"} - set(raw)
        code = raw.get("code", "?")
        if extra or missing:
            raise ValueError(f"{DATA_FILE}: {code}: unknown keys {sorted(extra)}, missing keys {sorted(missing)}")
        if not CODE.match(code) or code[0] not in letters:
            raise ValueError(f"{DATA_FILE}: {code} is not a code of a listed family")
        if code in entries:
            raise ValueError(f"{DATA_FILE}: {code} twice")
        values = {k: raw[k].strip() if isinstance(raw[k], str) else raw[k] for k in raw}
        if not all(values[k] for k in _ENTRY_KEYS - {"implemented"}):
            raise ValueError(f"{DATA_FILE}: {code}: an empty field")
        values["severity"] = Severity(values["severity"])
        entries[code] = Entry(**values)
    order = {letter: i for i, letter in enumerate(letters)}
    entries = dict(sorted(entries.items(), key=lambda kv: (order[kv[0][0]], kv[0])))
    texts = data.get("text", {})
    if set(texts) - set(_TEXT_KEYS):
        raise ValueError(f"{DATA_FILE}: unknown keys of [text] {sorted(set(texts) - set(_TEXT_KEYS))}")
    return Catalogue(families, entries, *(texts.get(k, "").strip() for k in _TEXT_KEYS))


def codes() -> frozenset[str]:
    """Every code of the catalogue, planned ones included: the codes that may be disabled."""
    return frozenset(load().entries)


def normalize(code: str) -> str:
    """`f8`, `F8`, ` f008 ` → `F08`; anything else upper-cased and trimmed."""
    text = code.strip()
    m = _LOOSE_CODE.match(text)
    if m:
        return f"{m.group(1).upper()}{int(m.group(2)):02d}"
    return text.upper()


def get(code: str) -> Entry | None:
    return load().entries.get(normalize(code))


def suggest(code: str, limit: int = 3) -> list[Entry]:
    """Entries close to an unknown code: its neighbours in the family it names, codes spelled
    alike, or, for words (e.g. 结余), the rules whose title holds them."""
    entries = load().entries
    text = code.strip()
    wanted = normalize(text)
    if not text:
        return []
    m = CODE.match(wanted)
    if m:
        family = [e for e in entries.values() if e.family == m.group(1)]
        if family:
            number = int(m.group(2))
            return sorted(family, key=lambda e: (abs(int(e.code[1:]) - number), e.code))[:limit]
    if not text.isascii():
        found = [e for e in entries.values() if text in e.title]
        if found:
            return found[: limit + 2]
    import difflib

    return [entries[c] for c in difflib.get_close_matches(wanted, list(entries), n=limit, cutoff=0.5)]
