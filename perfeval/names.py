"""File names made from department names: safe on Windows, macOS and Linux, unique, inside OUTDIR."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_FORBIDDEN = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_STEM = 100  # characters
# Bytes (UTF-8): a file system limits a name to 255 bytes, not characters, and a Chinese
# character takes 3; 150 leaves room for a suffix (`.xlsx`, a temp file's prefix and tail).
MAX_STEM_BYTES = 150


def safe_stem(name: str) -> str:
    """A file name stem for `name`: forbidden characters become `_`, never empty or reserved,
    at most MAX_STEM characters and MAX_STEM_BYTES bytes. A name cut short ends in `_` and six
    hex digits of the whole name's hash, so two long names that share a beginning stay
    distinct, whatever else the batch holds."""
    stem = _FORBIDDEN.sub("_", name).strip().strip(".").strip()
    stem = re.sub(r"\s+", " ", stem)
    if not stem or set(stem) <= {"_", "."}:
        stem = "部门"
    if stem.split(".")[0].upper() in _RESERVED:
        stem = "_" + stem
    if len(stem) > MAX_STEM or len(stem.encode("utf-8")) > MAX_STEM_BYTES:
        tag = "_" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:6]
        stem = _cut(stem, MAX_STEM - len(tag), MAX_STEM_BYTES - len(tag)).rstrip(". ") + tag
    return stem.rstrip(". ") or "部门"


def _cut(text: str, chars: int, size: int) -> str:
    """The longest beginning of `text` of at most `chars` characters and `size` bytes (UTF-8):
    cut between characters, never inside one."""
    text = text[:chars]
    while len(text.encode("utf-8", "surrogatepass")) > size:
        text = text[:-1]
    return text


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
            stem = _cut(base, MAX_STEM - len(suffix), MAX_STEM_BYTES - len(suffix)) + suffix
        used.add(_key(stem))
        out.append(stem)
    return out


def _key(stem: str) -> str:
    return unicodedata.normalize("NFKC", stem).casefold()
