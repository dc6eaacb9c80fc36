"""perfeval: batch processing of 部门整体支出绩效评价 workbooks."""

from .config import Settings, load_settings
from .model import Department, Finding, Severity
from .pipeline import check_files, process
from .read import read_workbook
from .results import RunResult
from .template import write_template
from .version import __version__

__all__ = [
    "Department",
    "Finding",
    "RunResult",
    "Settings",
    "Severity",
    "check_files",
    "load_settings",
    "process",
    "read_workbook",
    "write_template",
    "__version__",
]
