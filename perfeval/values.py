"""Turning what people type into cells into labels, numbers and rates."""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from datetime import date, datetime
from typing import Any, NamedTuple

EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")
# Spaces people paste into labels: ordinary, full-width, non-breaking, zero-width, BOM.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_SPACES = re.compile(r"[\s\u00a0\u3000]+")
_UNIT_IN_BRACKETS = re.compile(r"[（(][^（）()]*[）)]$")


def clean_text(raw: Any) -> str:
    """Text of a cell with invisible characters removed and spaces trimmed."""
    if isinstance(raw, str):
        # the rules ask for the same short texts again and again: worth remembering
        return _clean_short(raw) if len(raw) <= 256 else _clean(raw)
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer() and -MAX_NUMBER <= raw <= MAX_NUMBER:
        raw = int(raw)  # 3200.0 → "3200"; 1e308 stays "1e+308", not its 309 digits
    return _clean(str(raw))


def _clean(text: str) -> str:
    return text.translate(_INVISIBLE).strip().strip("\u00a0\u3000").strip()


_clean_short = functools.lru_cache(maxsize=8192)(_clean)


def normalize_label(raw: Any) -> str:
    """A label as the contract matches it: no spaces, no leading `*`, no unit in brackets."""
    if isinstance(raw, str):
        return _normalize_text_label(raw)
    return _normalize_label(raw)


@functools.lru_cache(maxsize=8192)
def _normalize_text_label(raw: str) -> str:
    # labels repeat across rows and files: worth remembering
    return _normalize_label(raw)


def _normalize_label(raw: Any) -> str:
    text = _SPACES.sub("", clean_text(raw))
    text = text.lstrip("*＊")
    text = text.rstrip(":：")
    while True:
        stripped = _UNIT_IN_BRACKETS.sub("", text)
        if stripped == text or not stripped:
            break
        text = stripped
    return text


BLANK_CHARS = " \t\n\r\v\f\u3000\u00a0\u200b\u200c\u200d\u2060\ufeff"


def is_blank(raw: Any) -> bool:
    if isinstance(raw, str):
        return not raw.strip(BLANK_CHARS)
    return raw is None


class Parsed(NamedTuple):
    """A value read from a cell: the number (or None), and how it was typed (a named tuple:
    tens of thousands are made per batch)."""

    number: float | None
    status: str  # "blank", "number", "text_number", "not_number", "out_of_range"
    decimals: int | None = None  # digits after the point as typed, when known
    suffix: str = ""  # unit or comparator typed with the number


_NUMBER = re.compile(
    r"^(?P<prefix>[≥≤<>=＞＜]=?|不低于|不少于|不高于|不超过|大于等于|小于等于|约)?"
    r"(?P<num>(?:[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+)(?P<exp>[eE][-+]?\d+)?)"
    r"(?P<suffix>[^\d]*)$"
)
# Words for a number beyond any range, typed or written by a program ("inf", "-Infinity", "∞"):
# read as out of range (S08), never as a number.
_INFINITE = re.compile(r"^[-+]?(?:inf|infinity|∞)$", re.IGNORECASE)
_MONEY_SUFFIXES = ("", "万元", "万")
PLACEHOLDERS = ("*", "X", "XX", "XXX", "待定", "/", "-", "—", "－", "——")
# The largest magnitude of a number any cell can mean: 10^15 (万元, 10^19 元) is some 80,000
# times China's yearly GDP (about 1.3 × 10^10 万元), so no budget reaches it even typed in 元
# (F11's mistake), nor any score, rate, year or count. Beyond it a number is a slip of the
# keyboard, and a few of them added up overflow to inf: it is read as not a number (S08).
MAX_NUMBER = 1e15


def _to_ascii(text: str) -> str:
    # NFKC turns full-width digits, points, commas and signs into ASCII.
    return unicodedata.normalize("NFKC", text).replace("，", ",").replace("。", ".")


def parse_number(raw: Any, suffixes: tuple[str, ...] | None = None) -> Parsed:
    """Read a number. `suffixes` limits the units allowed after it (None: any unit)."""
    if isinstance(raw, bool):
        return Parsed(None, "not_number")
    if isinstance(raw, (int, float)):
        # nan and ±inf (a reader gives them for a cell stored as "NaN", "inf" or "1e999") fail
        # this test too: no number that is not finite is ever returned
        if not -MAX_NUMBER <= raw <= MAX_NUMBER:  # an int of any size too, before float() overflows
            return Parsed(None, "not_number" if isinstance(raw, float) and math.isnan(raw) else "out_of_range")
        return Parsed(float(raw), "number", _decimals_of(float(raw)))
    if isinstance(raw, (datetime, date)):
        return Parsed(None, "not_number")
    text = clean_text(raw)
    if not text:
        return Parsed(None, "blank")
    ascii_text = _SPACES.sub("", _to_ascii(text))
    m = _NUMBER.match(ascii_text)
    if not m:
        return Parsed(None, "out_of_range" if _INFINITE.match(ascii_text) else "not_number")
    suffix = m.group("suffix")
    if suffixes is not None and suffix not in suffixes:
        return Parsed(None, "not_number")
    num = m.group("num").replace(",", "")
    value = float(num)
    if not -MAX_NUMBER <= value <= MAX_NUMBER:  # inf where the digits overflow ("1e999")
        return Parsed(None, "out_of_range")
    if m.group("exp"):
        decimals = _decimals_of(value)  # "1.25E+3": as the number shows, 1250
    else:
        decimals = len(num.split(".", 1)[1]) if "." in num else 0
    return Parsed(value, "text_number", decimals, (m.group("prefix") or "") + suffix)


def parse_money(raw: Any) -> Parsed:
    return parse_number(raw, _MONEY_SUFFIXES)


def parse_rate(raw: Any, max_fraction: float = 10.0) -> Parsed:
    """A rate as a fraction: `157.7%` → 1.577, `1.577` → 1.577, `157.7` → 1.577.

    A number typed without `%` is a fraction when its size is at most `max_fraction`,
    otherwise a percentage (nobody means 1000% by 10, nor 5% by 5.0 in these reports).
    `decimals` is the number of decimals of the rate as a percentage.
    """
    p = parse_number(raw, ("", "%", "％"))
    if p.number is None:
        return p
    if p.suffix in ("%", "％") or abs(p.number) > max_fraction:
        return Parsed(p.number / 100, p.status, p.decimals, p.suffix)
    pct_decimals = _decimals_of(round(p.number * 100, 9))
    return Parsed(p.number, p.status, pct_decimals, p.suffix)


def _decimals_of(x: float) -> int:
    text = repr(x)
    if "e" in text or "." not in text:
        return 0
    frac = text.split(".", 1)[1].rstrip("0")
    return len(frac)


def is_placeholder(raw: Any) -> bool:
    if not isinstance(raw, str):
        return False  # a number, date or nothing is never one of the PLACEHOLDERS
    text = _to_ascii(clean_text(raw)).upper()
    return text in PLACEHOLDERS


def format_money(x: float | None) -> str:
    return "" if x is None else f"{x:,.2f}"


def format_rate(x: float | None) -> str:
    return "" if x is None else f"{x * 100:.2f}%"


def format_number(x: float | None) -> str:
    if x is None:
        return ""
    if float(x).is_integer():
        return str(int(x))
    return f"{x:.2f}".rstrip("0").rstrip(".")


NATURE_ALIASES = {">=": "≥", "≧": "≥", "<=": "≤", "≦": "≤", "＝": "=", "==": "="}


# the words and signs a form writes before a target ("≥50人次", "不低于90%"): as 指标性质. A
# strict > or < is read as ≥ or ≤: the model has no strict sign, and only the bound itself differs.
_SIGNS = {
    "≥": "≥",
    ">=": "≥",
    ">": "≥",
    "不低于": "≥",
    "不少于": "≥",
    "大于等于": "≥",
    "≤": "≤",
    "<=": "≤",
    "<": "≤",
    "不高于": "≤",
    "不超过": "≤",
    "小于等于": "≤",
    "=": "=",
    "==": "=",
}


def split_value(raw: Any) -> tuple[str, float | None, str]:
    """A form's value with its direction and unit inside it ("≥50人次", "≤90万元", "=100%",
    "62人次"): (≥ ≤ = or "" where none is written, the number or None, the unit after it)."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return "", parse_number(raw).number, ""
    text = clean_text(raw)
    m = _NUMBER.match(_SPACES.sub("", _to_ascii(text))) if text else None
    if m is None:
        return "", None, ""
    sign = _SIGNS.get(m.group("prefix") or "", "")
    number = parse_number(m.group("num") + (m.group("exp") or "")).number
    return sign, number, m.group("suffix").strip()


def normalize_nature(raw: Any) -> str:
    """指标性质 as one of ≥ ≤ = 定性 where a common spelling of it was typed."""
    text = _SPACES.sub("", clean_text(raw))
    return NATURE_ALIASES.get(text, text)


_PHRASE_ENDS = "，、；。,;：:）)」”"


def quote(text: str, limit: int) -> str:
    """Typed text to quote in a message: whole where it is at most `limit` characters, else cut
    (at the end of a phrase where one ends in its second half) and marked with “…”."""
    text = clean_text(text)
    if len(text) <= limit:
        return text
    head = text[:limit]
    cut = max(head.rfind(p) for p in _PHRASE_ENDS)
    if cut >= limit // 2:
        head = head[:cut]
    return head.rstrip(_PHRASE_ENDS + " ") + "…"


# What a row of an indicator table holds in every cell where it does not apply: the national
# form's rows "指标1:/" with "/" in every other cell.
NOT_APPLICABLE = ("/", "-", "—", "——", "无")
_NOT_APPLICABLE_LABEL = re.compile(r"^指标\d+:(?:/|-|—{1,2}|无)$")


def is_not_applicable(raw: Any) -> bool:
    """A cell saying "does not apply": `/`, `—`, `-`, `无`, or `指标1:/` (full-width too)."""
    if not isinstance(raw, str):
        return False
    text = _SPACES.sub("", _to_ascii(clean_text(raw)))
    return text in NOT_APPLICABLE or bool(_NOT_APPLICABLE_LABEL.match(text))


COMPARABLE_MIN = 10  # characters: a shorter text (“无”, “加强管理”) says too little to be copied


def comparable_text(text: str, names: tuple[str, ...] = ()) -> str:
    """A text as two copies of it compare: the department `names` in it, spaces, punctuation,
    digits and letter case left out ("执行率65.6%，偏低。" and "执行率 70%,偏低" are one text).
    "" where what is left is shorter than COMPARABLE_MIN characters."""
    for name in names:
        if name:
            text = text.replace(name, "")
    kept = "".join(
        ch for ch in unicodedata.normalize("NFKC", text).casefold() if not (unicodedata.category(ch)[0] in "PZSC" or ch.isdigit())
    )
    return kept if len(kept) >= COMPARABLE_MIN else ""
