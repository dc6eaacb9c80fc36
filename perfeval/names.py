"""File names made from department names: safe on Windows, macOS and Linux, unique, inside OUTDIR."""

from __future__ import annotations

import re
import unicodedata

_FORBIDDEN = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_STEM = 100


def safe_stem(name: str) -> str:
    """A file name stem for `name`: forbidden characters become `_`, never empty or reserved."""
    stem = _FORBIDDEN.sub("_", name).strip().strip(".").strip()
    stem = re.sub(r"\s+", " ", stem)
    if not stem or set(stem) <= {"_", "."}:
        stem = "部门"
    if stem.split(".")[0].upper() in _RESERVED:
        stem = "_" + stem
    return stem[:MAX_STEM].rstrip(". ") or "部门"


def unique_stems(names: list[str]) -> list[str]:
    """Safe stems, distinct even where names differ only in case or full-width letters."""
    used: set[str] = set()
    out = []
    for name in names:
        base = safe_stem(name)
        stem, n = base, 1
        while _key(stem) in used:
            n += 1
            suffix = f"_{n}"
            stem = base[: MAX_STEM - len(suffix)] + suffix
        used.add(_key(stem))
        out.append(stem)
    return out


def _key(stem: str) -> str:
    return unicodedata.normalize("NFKC", stem).casefold()
