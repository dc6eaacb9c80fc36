"""Which files of an inbox folder are workbooks to read, and which are skipped (and why)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .model import SkippedFile
from .read import WORKBOOK_SUFFIXES, not_regular

IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


def discover(inbox: Path, exclude: Iterable[Path] = ()) -> tuple[list[tuple[Path, str]], list[SkippedFile]]:
    """The workbooks of a folder (sorted by name) and the files skipped, with why."""
    excluded = {p.resolve() for p in exclude}
    found: list[tuple[Path, str]] = []
    skipped: list[SkippedFile] = []
    for path in sorted(inbox.iterdir(), key=lambda p: p.name):
        name = path.name
        is_dir = path.is_dir()
        if is_dir and path.resolve() in excluded:  # only a folder can be the output folder
            continue
        if is_dir:
            skipped.append(SkippedFile(name, "是文件夹，不处理子文件夹中的文件"))
        elif name.startswith("~$") or name.startswith(".~lock."):
            skipped.append(SkippedFile(name, "是 Office/WPS 打开文件时生成的锁定文件"))
        elif name in IGNORED_NAMES or name.startswith("._"):
            skipped.append(SkippedFile(name, "是操作系统生成的文件"))
        elif path.suffix.lower() not in WORKBOOK_SUFFIXES:
            skipped.append(SkippedFile(name, f"不是工作簿（只处理 {'、'.join(WORKBOOK_SUFFIXES)}）"))
        elif reason := _not_regular(path):
            skipped.append(SkippedFile(name, reason))  # never opened: a pipe would wait forever
        else:
            found.append((path, name))
    return found, skipped


def _not_regular(path: Path) -> str | None:
    """Why `path` (a link: what it points to) is no regular file, or None. A file that cannot
    even be looked at is listed: the reader then says why it cannot be read (S01)."""
    try:
        return not_regular(os.stat(path).st_mode)
    except OSError:
        return None
