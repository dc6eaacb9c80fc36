"""How figures are written in words, the same in the report and the workbooks: amounts,
scores and rates rounded half up (as a reader rounds by hand), and the comparison with the
department's earlier year (比较法)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from ..model import Status

if TYPE_CHECKING:
    from ..model import Department


def _decimal(x: float) -> Decimal:
    """x as the decimal it stands for: the float's noise washed out first (2.3 / 20 is
    0.11499999999999999 as a float, 0.115 as a figure), then its shortest repr (0.965, not the
    binary 0.96499999999999996891), so that rounding half up gives what a reader gets by hand."""
    return Decimal(repr(round(float(x), 10)))


def round_half_up(x: float, places: int) -> Decimal:
    """x rounded half up to `places` decimals (2.675 → 2.68, 96.5 → 97 with 0 places)."""
    return _quantized(_decimal(x), places)


def rate_text(x: float | None, places: int = 2) -> str:
    """A rate (a fraction) as a percentage rounded half up: 0.965 → "97%" (places=0), 1.577
    → "157.70%". values.format_rate rounds the binary float half to even ("96%" for 0.965):
    what the report prints is what a reader gets rounding by hand."""
    if x is None or not math.isfinite(x):
        return ""
    return f"{_quantized(_decimal(x) * 100, places)}%"


_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(3)}


def _quantized(x: Decimal, places: int) -> Decimal:
    q = x.quantize(_QUANTA.get(places) or Decimal(1).scaleb(-places), ROUND_HALF_UP)
    return q if q else abs(q)  # never "-0.00"


def money_text(x: float | None) -> str:
    """万元 with two decimals, rounded half up, and thousands separators: 19,885.29."""
    if x is None or not math.isfinite(x):
        return ""
    return f"{round_half_up(x, 2):,}"


def number_text(x: float | None) -> str:
    """A score or weight: at most two decimals, rounded half up, no trailing zeros (9.8, 10)."""
    if x is None or not math.isfinite(x):
        return ""
    if float(x).is_integer() and abs(x) < 1e15:  # most of them: no Decimal needed
        return str(int(x))
    text = f"{round_half_up(x, 2):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def comparison_text(dep: Department) -> str:
    """How the department moved since its latest earlier year in the results history (比较法):
    "较上年提高3.5分，预算执行率由82.10%升至96.40%。"; "" where there is nothing to compare."""
    before = dep.previous
    if before is None:
        return ""
    than = "较上年" if dep.year is not None and before.year == dep.year - 1 else f"较{before.year}年度"
    parts = []
    if dep.total_score is not None and before.total_score is not None and dep.status is not Status.UNSCORED:
        change = round_half_up(dep.total_score - before.total_score, 2)
        if change > 0:
            parts.append(f"得分{than}提高{number_text(float(change))}分")
        elif change < 0:
            parts.append(f"得分{than}降低{number_text(float(-change))}分")
        else:
            parts.append(f"得分与{than.removeprefix('较')}持平")
    if dep.execution_rate is not None and before.execution_rate is not None:
        now, then = rate_text(dep.execution_rate), rate_text(before.execution_rate)
        if now == then:
            parts.append(f"预算执行率与{than.removeprefix('较')}持平（{now}）")
        else:
            verb = "升至" if dep.execution_rate > before.execution_rate else "降至"
            parts.append(f"预算执行率由{than.removeprefix('较')}的{then}{verb}{now}")
    return "，".join(parts) + "。" if parts else ""
