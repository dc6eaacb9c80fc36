"""The container guard reads a workbook's parts from memory; whatever that fast path does not
vouch for is read by zipfile, so damaged files are judged exactly as zipfile judges them."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest

from perfeval import guard as G

from .conftest import CLEAN_FILE, INBOX

SHEET = "xl/worksheets/sheet3.xml"


def _members(path: Path) -> tuple[zipfile.ZipFile, G._Members]:
    buf = path.read_bytes()
    z = zipfile.ZipFile(io.BytesIO(buf))
    return z, G._Members(z, buf)


def _zipfile_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(G._Members, "_inflate", lambda self, info, limit: None)


def _restored(src: Path, dst: Path, compression: int) -> Path:
    """`src` written again with another compression."""
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w", compression) as out:
        for info in z.infolist():
            out.writestr(info.filename, z.read(info))
    return dst


@pytest.mark.parametrize("path", sorted(INBOX.glob("*.xlsx")), ids=lambda p: p.name[:2])
def test_every_part_reads_as_zipfile_reads_it(path):
    z, members = _members(path)
    for info in z.infolist():
        whole = z.read(info)
        assert members._inflate(info, None) == whole, info.filename  # the fast path, taken
        assert members.read(info) == whole
        assert members.read(info, 100) == whole[:100]
        assert members.read(info.filename, 4096) == whole[:4096]


def test_stored_parts_read_from_memory_too(tmp_path):
    path = _restored(CLEAN_FILE, tmp_path / "stored.xlsx", zipfile.ZIP_STORED)
    z, members = _members(path)
    for info in z.infolist():
        assert members._inflate(info, None) == z.read(info)
        assert members._inflate(info, 10) == z.read(info)[:10]


def test_other_compressions_are_left_to_zipfile(tmp_path):
    path = _restored(CLEAN_FILE, tmp_path / "bz2.xlsx", zipfile.ZIP_BZIP2)
    z, members = _members(path)
    info = z.getinfo(SHEET)
    assert members._inflate(info, None) is None
    assert members.read(info) == z.read(info)


def _patched(src: Path, dst: Path, edit) -> Path:
    buf = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as z:
        edit(buf, z.getinfo(SHEET))
    dst.write_bytes(bytes(buf))
    return dst


def _flip_data(buf: bytearray, info: zipfile.ZipInfo) -> None:
    name_len, extra_len = struct.unpack("<HH", buf[info.header_offset + 26 : info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len
    for k in range(info.compress_size // 3, info.compress_size // 3 + 8):
        buf[start + k] ^= 0x5A


def _central_record(buf: bytearray, info: zipfile.ZipInfo) -> int:
    at = buf.find(b"PK\x01\x02")
    while at >= 0:
        name_len = struct.unpack("<H", buf[at + 28 : at + 30])[0]
        if bytes(buf[at + 46 : at + 46 + name_len]) == info.filename.encode():
            return at
        at = buf.find(b"PK\x01\x02", at + 4)
    raise AssertionError(info.filename)


def _understate_size(buf: bytearray, info: zipfile.ZipInfo) -> None:
    at = _central_record(buf, info)
    buf[at + 24 : at + 28] = struct.pack("<I", info.file_size // 2)  # declares half of what it inflates to


def _wrong_crc(buf: bytearray, info: zipfile.ZipInfo) -> None:
    at = _central_record(buf, info)
    buf[at + 16 : at + 20] = struct.pack("<I", info.CRC ^ 1)


def _other_local_name(buf: bytearray, info: zipfile.ZipInfo) -> None:
    at = info.header_offset + 30
    buf[at + len(info.filename) - 5] = ord("9")  # sheet3.xml → sheet9.xml in the local header only


@pytest.mark.parametrize("edit", [_flip_data, _understate_size, _wrong_crc, _other_local_name])
def test_damaged_parts_are_judged_as_zipfile_judges_them(tmp_path, monkeypatch, edit):
    path = _patched(CLEAN_FILE, tmp_path / "damaged.xlsx", edit)
    fast = G.inspect_container(path)
    _zipfile_only(monkeypatch)
    assert fast == G.inspect_container(path)
    assert fast[0] and "损坏" in fast[0]
