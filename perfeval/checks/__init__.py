"""The rules (docs/rules.md): one module per family, each rule a plain function registered
with `@rule` in `registry`. Importing this package registers them all."""

from . import conclusion, crossfile, funds, goals, scores, structure  # noqa: F401  (each registers its rules)
from .registry import RULES, Batch, Rule, check_department, run_checks

__all__ = ["RULES", "Batch", "Rule", "check_department", "run_checks"]
