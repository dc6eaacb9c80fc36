"""The rule registry: the `@rule` decorator, RULES, and the runners over a department or a batch.

A rule takes one department (or the batch) and yields `Hit`s; the runner stamps the code,
severity, department and file. The first line of a rule's docstring is its title.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..config import Settings
from ..model import Cell, Department, Finding, Hit, Severity, SkippedFile


def hit(cell: Cell, message: str, filled: str = "", computed: str = "") -> Hit:
    return Hit(cell.sheet, cell.row, cell.col, message, filled, computed)


@dataclass(frozen=True)
class Batch:
    departments: list[Department]
    skipped: list[SkippedFile]


DeptRule = Callable[[Department, Settings], Iterable[Hit]]
BatchRule = Callable[[Batch, Settings], Iterable[tuple[Department | None, str, Hit]]]


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    func: Callable
    batch: bool = False
    needs_data: bool = True  # skipped for files that could not be read
    # also run on a workbook recognised as another layout than the contract's (only what
    # says so: the contract's rules have nothing of it to look at)
    other_layouts: bool = False

    @property
    def title(self) -> str:
        return (self.func.__doc__ or "").strip().splitlines()[0]


RULES: dict[str, Rule] = {}


def rule(code: str, severity: Severity, *, batch: bool = False, needs_data: bool = True, other_layouts: bool = False):
    def register(func: Callable) -> Callable:
        if code in RULES:
            raise ValueError(f"duplicate rule code {code}")
        RULES[code] = Rule(code, severity, func, batch, needs_data, other_layouts)
        return func

    return register


def _stamp(rule_: Rule, dep_name: str, file: str, h: Hit) -> Finding:
    return Finding(rule_.code, rule_.severity, dep_name, file, h.sheet, h.row, h.col, h.message, h.filled, h.computed)


_derived: dict[Any, Any] = {}  # what several rules derive from the department being checked (by `make`)


def derived(dep: Department, make: Callable[[Department], Any]) -> Any:
    """`make(dep)`: made once per department while check_department runs its rules (a rule
    called on its own makes it afresh)."""
    if _derived.get(None) is not dep:
        return make(dep)
    if make not in _derived:
        _derived[make] = make(dep)
    return _derived[make]


def check_department(dep: Department, settings: Settings) -> None:
    """Run the rules that look at one department alone; its findings are kept on it."""
    found: list[Finding] = []
    _derived.clear()
    _derived[None] = dep
    try:
        for code in sorted(RULES):
            r = RULES[code]
            if r.batch or code in settings.disabled or (r.needs_data and not dep.readable):
                continue
            if dep.data.in_other_layout and not r.other_layouts:
                continue
            found.extend(_stamp(r, dep.name, dep.file, h) for h in r.func(dep, settings))
    finally:
        _derived.clear()
    dep.findings = sorted(set(found), key=Finding.sort_key)


def run_checks(batch: Batch, settings: Settings, departments_checked: bool = False) -> list[Finding]:
    """Run every enabled rule; findings go to their departments; all are returned sorted.

    `departments_checked`: check_department already ran on each (in a worker process)."""
    out: list[Finding] = []
    if not departments_checked:
        for dep in batch.departments:
            check_department(dep, settings)
    by_file = {d.file: d for d in batch.departments}
    added: dict[str, list[Finding]] = {}
    for code in sorted(RULES):
        r = RULES[code]
        if not r.batch or code in settings.disabled:
            continue
        for dep, file, h in r.func(batch, settings):
            f = _stamp(r, dep.name if dep else "", file, h)
            if dep is not None:
                added.setdefault(dep.file, []).append(f)
            else:
                out.append(f)
    for file, more in added.items():  # a department's own findings are already sorted, once
        dep = by_file[file]
        dep.findings = sorted(set(dep.findings).union(more), key=Finding.sort_key)
    for dep in batch.departments:
        out.extend(dep.findings)
    return sorted(out, key=Finding.sort_key)


def notes(dep: Department, code: str) -> Iterator[Hit]:
    for n in dep.data.notes:
        if n.code == code:
            yield n.hit
