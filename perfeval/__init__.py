"""perfeval: batch processing of 部门整体支出绩效评价 workbooks.

The library API is re-exported here and imported on first use, so that `import perfeval.cli`
for a quick command (`perfeval rules`, `--help`) does not load the workbook libraries.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .version import __version__

_EXPORTS = {
    "Department": "model",
    "Finding": "model",
    "Severity": "model",
    "Settings": "config",
    "load_settings": "config",
    "check_files": "pipeline",
    "process": "pipeline",
    "read_workbook": "read",
    "RunResult": "results",
    "write_template": "template",
}

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

if TYPE_CHECKING:
    from .config import Settings, load_settings
    from .model import Department, Finding, Severity
    from .pipeline import check_files, process
    from .read import read_workbook
    from .results import RunResult
    from .template import write_template


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'perfeval' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
