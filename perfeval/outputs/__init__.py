"""What a run writes into OUTDIR: the names (an interface: users' scripts open them) and, for the
files written per department, a registry `kind → writer`. A new per-department output is one
entry in DEPARTMENT_OUTPUTS; its kind is the key in the results JSON's "outputs".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..model import Department

SUMMARY_NAME = "绩效评价汇总.xlsx"
FINDINGS_NAME = "findings.csv"
RESULTS_NAME = "perfeval-results.json"  # what `perfeval mail` reads
DEPARTMENTS_DIR = "departments"
REPORTS_DIR = "reports"


@dataclass(frozen=True)
class OutputOptions:
    """What the user chose about the per-department outputs."""

    reports: bool = True
    report_template: Path | None = None  # None: the package's own
    organization: str = ""  # the 评价机构 signing the reports (落款); "": the workbook's, or a line to sign by hand


@dataclass(frozen=True)
class DepartmentOutput:
    kind: str  # the key in Department.outputs and in the results JSON
    folder: str  # inside OUTDIR
    suffix: str
    counted: str  # how the command's closing lines count them: "12 个部门结果工作簿"
    attachment: str  # the name of the attachment mailed to the department: "<部门>_评价结果.xlsx"
    make: Callable[[Department, date, OutputOptions], bytes]  # the file's bytes
    wanted: Callable[[OutputOptions], bool] = lambda options: True
    # what, besides the department's content and the run date, changes the file (for the cache)
    variant: Callable[[OutputOptions], str] = lambda options: ""


def _book(dep: Department, run_date: date, options: OutputOptions) -> bytes:
    from .department_book import department_book_bytes

    return department_book_bytes(dep, run_date)


def _report(dep: Department, run_date: date, options: OutputOptions) -> bytes:
    from .report import report_bytes  # docxtpl and python-docx: only where a report is written

    return report_bytes(dep, run_date, options.report_template, options.organization)


def _report_variant(options: OutputOptions) -> str:
    from ..publish import digest

    template = digest(options.report_template) if options.report_template else "default"
    return f"{template}\n{options.organization}" if options.organization else template


DEPARTMENT_OUTPUTS: tuple[DepartmentOutput, ...] = (
    DepartmentOutput("workbook", DEPARTMENTS_DIR, ".xlsx", "个部门结果工作簿", "评价结果", _book),
    DepartmentOutput("report", REPORTS_DIR, ".docx", "份 Word 报告", "评价报告", _report, lambda options: options.reports, _report_variant),
)
OUTPUTS_BY_KIND = {o.kind: o for o in DEPARTMENT_OUTPUTS}
