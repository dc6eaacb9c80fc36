"""Findings are values: a stable code, a severity, a place and a message in Chinese."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .model import a1


class Severity(Enum):
    ERROR = "错误"
    WARNING = "警告"
    INFO = "提示"

    @property
    def rank(self) -> int:
        return _RANK[self.value]


_RANK = {"错误": 0, "警告": 1, "提示": 2}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    department: str
    file: str
    sheet: str
    row: int
    col: int
    message: str
    filled: str = ""
    computed: str = ""

    @property
    def cell(self) -> str:
        return a1(self.row, self.col)

    @property
    def location(self) -> str:
        """`资金情况!E9`, or the sheet alone where no one cell is at fault."""
        if not self.sheet:
            return ""
        return f"{self.sheet}!{self.cell}" if self.cell else self.sheet

    def sort_key(self) -> tuple:
        return (self.file, self.severity.rank, self.code, self.sheet, self.row, self.col, self.message)

    def as_dict(self) -> dict[str, str | int]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "department": self.department,
            "file": self.file,
            "sheet": self.sheet,
            "cell": self.cell,
            "row": self.row,
            "col": self.col,
            "message": self.message,
            "filled": self.filled,
            "computed": self.computed,
        }


class FindingCounts:
    """Counts by severity for anything that holds `findings`."""

    findings: list[Finding]

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    @property
    def errors(self) -> int:
        return self.count(Severity.ERROR)

    @property
    def warnings(self) -> int:
        return self.count(Severity.WARNING)

    @property
    def infos(self) -> int:
        return self.count(Severity.INFO)
