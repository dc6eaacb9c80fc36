"""perfeval: batch processing of 部门整体支出绩效评价 workbooks.

The library API is re-exported here and imported on first use, so that `import perfeval.cli`
for a quick command (`perfeval rules`, `--help`) does not load the workbook libraries (nor
pandas, which only `load` and `history` use).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .version import __version__

# public name → "module" (the same name in it) or "module:name"
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
    "load": "api",  # a run's results as pandas DataFrames
    "history": "api:history_frame",  # the results history as a DataFrame (the module is perfeval.historydb)
}

__all__ = [
    "Department",
    "Finding",
    "RunResult",
    "Settings",
    "Severity",
    "check_files",
    "history",
    "load",
    "load_settings",
    "process",
    "read_workbook",
    "write_template",
    "__version__",
]

if TYPE_CHECKING:
    from .api import history_frame as history
    from .api import load
    from .config import Settings, load_settings
    from .model import Department, Finding, Severity
    from .pipeline import check_files, process
    from .read import read_workbook
    from .results import RunResult
    from .template import write_template


def __getattr__(name: str) -> Any:
    where = _EXPORTS.get(name)
    if where is None:
        raise AttributeError(f"module 'perfeval' has no attribute {name!r}")
    module, _, attribute = where.partition(":")
    value = getattr(importlib.import_module(f".{module}", __name__), attribute or name)
    globals()[name] = value
    return value
