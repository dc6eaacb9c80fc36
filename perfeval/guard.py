"""Refuse hostile containers before any parser sees them: zip bombs, XML bombs, absurd sheets.

Everything here reads declared sizes and a few kilobytes; nothing is inflated in full except
worksheet parts that are already known to be small.
"""

from __future__ import annotations

import html
import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_TOTAL_UNCOMPRESSED = 300 * 1024 * 1024
MAX_ENTRY_UNCOMPRESSED = 150 * 1024 * 1024
MAX_RATIO = 100  # a part that inflates more than 100× and beyond 10 MB is a bomb
RATIO_FLOOR = 10 * 1024 * 1024
MAX_SHEET_XML = 40 * 1024 * 1024
MAX_CELLS = 5_000_000  # rows × columns of the used range a reader would allocate
# Cells with content outside this area are stray (no evaluation table reaches row 10,000, nor
# column IV, the last of an .xls): up to MAX_STRAY of them are taken out of the sheet and
# named in a finding (S07); more, and the sheet is read as it is if its range stays within
# MAX_CELLS, else the file is refused. SANE_ROWS × SANE_COLS is below MAX_CELLS, so what is
# left once they are taken out is always small.
SANE_ROWS = 10_000
SANE_COLS = 256
MAX_STRAY = 100
# a whole cell: self-closing (no content: a style at most), or with its content in group 3,
# which never runs past the next cell (an unclosed cell cannot make the scan quadratic)
_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"[^>]*?(?:/>|(?<!/)>((?:(?!<c\b|</c>).)*)</c>)', re.DOTALL)
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def column_number(letters: bytes) -> int:
    """b"A" → 1, b"AB" → 28."""
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def too_large(size: int, max_file_bytes: int) -> str:
    return f"文件过大（{size / 1024 / 1024:.1f} MB，上限 {max_file_bytes / 1024 / 1024:.0f} MB）"


class Inspection(NamedTuple):
    """What inspect_container found: a tuple, so `reason, sheets, *_ = …` and `[0]` work."""

    reason: str | None  # why the file must not be parsed, or None
    sheets: dict[str, bytes]  # the XML of the worksheets the reader will load (stray cells taken out)
    stray: tuple[tuple[str, int, int], ...] = ()  # (sheet, row, column) of each stray cell taken out (1-based)
    content: bytes | None = None  # the container without the stray cells, for the reader; None: as it was


def inspect_container(
    source: Path | bytes, max_file_bytes: int = MAX_FILE_BYTES, load: Callable[[str], bool] = lambda sheet: True
) -> Inspection:
    """Inspection(None, the XML of the worksheets the reader will `load`, …) if the file (its
    path, or its bytes) may be parsed; else Inspection(the reason, {}).

    Every part is inflated at most once here, and those worksheets are handed on, so that
    whoever needs a sheet's XML later (the formula scan) does not open the file again. A
    loaded sheet whose range is absurd only because of a few stray cells far outside the
    table is read without them: they are listed in `stray`, and `content` is the container
    rebuilt without them (in memory), which is what the reader must then parse."""
    sheets: dict[str, bytes] = {}
    stray: list[tuple[str, int, int]] = []
    replaced: dict[str, bytes] = {}
    try:
        if isinstance(source, bytes):
            buf = source
        else:
            size = source.stat().st_size
            if size > max_file_bytes:
                return Inspection(too_large(size, max_file_bytes), {})
            with source.open("rb") as fh:
                buf = fh.read(max_file_bytes + 1)  # never more: a file may grow while it is read
        if len(buf) > max_file_bytes:
            return Inspection(too_large(len(buf), max_file_bytes), {})
        if buf[:2] != b"PK":
            return Inspection(None, {})  # .xls and friends: the reader says what is wrong with them
        with zipfile.ZipFile(io.BytesIO(buf)) as z:
            read = _Members(z, buf).read
            infos = z.infolist()
            total = sum(i.file_size for i in infos)
            if total > MAX_TOTAL_UNCOMPRESSED:
                return Inspection(f"解压后过大（声明 {total / 1024 / 1024:.0f} MB），疑似压缩炸弹，已拒绝", {})
            for info in infos:
                if info.file_size > MAX_ENTRY_UNCOMPRESSED or (
                    info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1)
                ):
                    return Inspection(
                        f"“{info.filename}”压缩比异常（{info.compress_size} 字节解压为 {info.file_size} 字节），疑似压缩炸弹，已拒绝", {}
                    )
            names: dict[str, str] | None = None
            for info in infos:
                if not _parsed_part(info.filename):
                    continue
                title, loaded = "", False
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    if names is None:
                        names = sheet_parts(z, read)
                    title = names.get(info.filename, info.filename)
                    loaded = load(title)
                if loaded and info.file_size <= MAX_SHEET_XML:
                    data = read(info)
                    head = data[:4096]
                else:
                    data = b""
                    head = read(info, 4096)
                if _DTD.search(head):
                    return Inspection(f"“{info.filename}”含有 DTD/实体声明（XML 炸弹的写法），正常的工作簿不会有，已拒绝", {})
                if loaded:
                    # only sheets that will be loaded: a reader allocates their whole used range
                    reason, kept, far = _sheet_extent(info, data, title)
                    if reason:
                        return Inspection(reason, {})
                    if far:
                        replaced[info.filename] = kept
                        stray.extend((title, row, col) for row, col in far)
                    sheets[title] = kept
            content = _rebuilt(z, read, replaced) if replaced else None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        if "encrypted" in str(exc).lower() or "password" in str(exc).lower():
            return Inspection("文件已加密（设有打开密码），请去掉密码后重新提交", {})
        return Inspection(f"文件已损坏或不完整（{_damage(exc)}），请重新保存或重新发送原文件", {})
    except Exception as exc:  # noqa: BLE001 - zlib errors on truncated members and the like
        return Inspection(f"文件已损坏或不完整（{_damage(exc)}），请重新保存或重新发送原文件", {})
    return Inspection(None, sheets, tuple(stray), content)


def _rebuilt(z: zipfile.ZipFile, read: Callable[[zipfile.ZipInfo], bytes], replaced: dict[str, bytes]) -> bytes:
    """The container again, in memory, with the `replaced` parts' new XML: what the reader
    parses instead of the file. Only for a file with stray cells, so speed matters little."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as new:
        for info in z.infolist():
            data = replaced.get(info.filename)
            new.writestr(zipfile.ZipInfo(info.filename, info.date_time), read(info) if data is None else data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _damage(exc: BaseException) -> str:
    """What is wrong with a damaged container, in Chinese (zipfile and zlib say it in English)."""
    text = str(exc)
    if isinstance(exc, zipfile.BadZipFile) and "not a zip file" in text:
        return "不是完整的 xlsx/zip 文件，可能在下载或复制时被截断"
    if isinstance(exc, zipfile.BadZipFile) and ("CRC" in text or "Bad magic" in text):
        return "文件内部的部件校验不符，内容已被破坏"
    if isinstance(exc, (EOFError, zlib.error)) or "truncated" in text.lower():
        return "文件内部的部件不完整"
    if isinstance(exc, NotImplementedError):
        return "使用了不支持的压缩方式"
    return f"内部错误 {type(exc).__name__}"


class _Members:
    """The parts of a zip held in memory, inflated straight from its bytes: zipfile's
    per-part machinery (a file object per part, read in chunks) costs more than inflating
    the small parts of a workbook. Whatever is unusual (encrypted, another compression,
    a header that does not match, a CRC or length that does not) is read by zipfile, which
    then says what is wrong with it in its own words."""

    def __init__(self, z: zipfile.ZipFile, buf: bytes):
        self.z, self.buf = z, buf

    def read(self, member: zipfile.ZipInfo | str, limit: int | None = None) -> bytes:
        """The part (its first `limit` bytes, if given)."""
        info = member if isinstance(member, zipfile.ZipInfo) else self.z.getinfo(member)
        data = self._inflate(info, limit)
        if data is not None:
            return data
        if limit is None:
            return self.z.read(info)
        with self.z.open(info) as fh:
            return fh.read(limit)

    def _inflate(self, info: zipfile.ZipInfo, limit: int | None) -> bytes | None:
        buf, at = self.buf, info.header_offset
        header = buf[at : at + 30]
        if len(header) < 30 or header[:4] != b"PK\x03\x04" or info.flag_bits & 1 or info.compress_type not in (0, 8):
            return None
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        name = buf[at + 30 : at + 30 + name_len].decode("utf-8" if info.flag_bits & 0x800 else "cp437", "replace")
        if name != info.orig_filename:
            return None
        start = at + 30 + name_len + extra_len
        raw = buf[start : start + info.compress_size]
        if len(raw) < info.compress_size:
            return None
        # the whole part: one byte more than it declares would show a lying size
        want = info.file_size + 1 if limit is None else min(limit, info.file_size)
        try:
            data = zlib.decompressobj(-15).decompress(raw, want) if info.compress_type == 8 else raw[:want]
        except zlib.error:
            return None
        if limit is None:
            return data if len(data) == info.file_size and zlib.crc32(data) == info.CRC else None
        return data if len(data) == want else None


def _parsed_part(name: str) -> bool:
    """The parts a reader parses: workbook, relationships, strings, sheets (ods: content)."""
    lower = name.lower()
    if lower in ("content.xml", "[content_types].xml"):
        return True
    return lower.startswith("xl/") and lower.endswith((".xml", ".rels")) and not lower.startswith(("xl/theme/", "xl/media/"))


_TAG = {name: re.compile(rb"<(?:[\w.-]+:)?" + name + rb"\b([^>]*)>") for name in (b"sheet", b"Relationship")}
_ATTR = re.compile(rb"""([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _tags(xml: bytes, tag: bytes) -> list[dict[bytes, str]]:
    """The attributes of every `tag` element (any namespace prefix), XML escapes undone."""
    out = []
    for m in _TAG[tag].finditer(xml):
        attrs = {}
        for a in _ATTR.finditer(m.group(1)):
            value = a.group(2) if a.group(2) is not None else a.group(3)
            attrs[a.group(1)] = html.unescape(value.decode("utf-8", "replace"))
        out.append(attrs)
    return out


def sheet_parts(z: zipfile.ZipFile, read: Callable[[str], bytes] | None = None) -> dict[str, str]:
    """Worksheet part → the sheet's name, for messages a person can act on.

    Read with a regular scan rather than an XML parser: these two parts are tiny, the scan is
    ~10× faster than parsing them, and it expands nothing whatever a hostile file declares."""
    read = read or z.read
    try:
        wb = read("xl/workbook.xml")
        rels = read("xl/_rels/workbook.xml.rels")
    except Exception:  # noqa: BLE001 - names are a courtesy; the reader reports a broken file
        return {}
    targets = {r.get(b"Id"): r.get(b"Target", "") for r in _tags(rels, b"Relationship")}
    out = {}
    for sheet in _tags(wb, b"sheet"):
        rid = next((v for k, v in sheet.items() if k.endswith(b":id")), None)
        target = targets.get(rid, "")
        if not target:
            continue
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        out[part] = sheet.get(b"name", part)
    return out


def _sheet_extent(info: zipfile.ZipInfo, data: bytes, name: str) -> tuple[str | None, bytes, list[tuple[int, int]]]:
    """(Why the sheet must not be read, or None; its XML to read; the (row, column) of the
    stray cells taken out of it)."""
    if info.file_size > MAX_SHEET_XML:
        return f"工作表“{name}”过大（{info.file_size / 1024 / 1024:.0f} MB），请删除多余内容后重新提交", data, []
    last = data.rfind(b"<row ")
    last_row = re.search(rb'\br="([0-9]{1,7})"', data[last : last + 200]) if last >= 0 else None
    # rows are in order, so the last one bounds the range; rows without `r` count one by one
    rows = int(last_row.group(1)) if last_row else data.count(b"<row ") + data.count(b"<row>")
    if rows * 16384 <= MAX_CELLS:
        return None, data, []  # even at the widest column the range stays small
    # cells that hold nothing (a style at most) are skipped by the reader: only cells with
    # content make its range grow; those far out of any table are stray
    max_row = max_col = 0
    far: list[re.Match[bytes]] = []
    for m in _CELL.finditer(data):
        if not m.group(3):
            continue
        row, col = int(m.group(2)), column_number(m.group(1))
        max_row, max_col = max(max_row, row), max(max_col, col)
        if row > SANE_ROWS or col > SANE_COLS:
            far.append(m)
    if not far:
        return None, data, []  # all within SANE_ROWS × SANE_COLS: a range a reader can hold
    if len(far) > MAX_STRAY:
        if max_row * max_col <= MAX_CELLS:
            return None, data, []  # not a few stray cells, but a range a reader can hold: read as it is
        return (
            f"工作表“{name}”的内容一直延伸到第 {max_row} 行、第 {max_col} 列（远超评价表的范围），"
            f"表格以外有 {len(far)} 个单元格有内容，读取会占用大量内存；请删除表格以外的多余内容后重新提交",
            data,
            [],
        )
    kept, at = [], 0
    for m in far:
        kept.append(data[at : m.start()])
        at = m.end()
    kept.append(data[at:])
    return None, b"".join(kept), [(int(m.group(2)), column_number(m.group(1))) for m in far]
