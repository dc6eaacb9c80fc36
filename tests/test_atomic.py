"""Outputs are written whole or not at all, as ordinary files, and leave no temp file behind."""

from __future__ import annotations

import os
import stat

import pytest

from perfeval import atomic


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_bytes_land_whole_with_an_ordinary_files_mode(tmp_path):
    umask = os.umask(0o022)
    try:
        target = tmp_path / "新文件夹" / "部门.xlsx"  # the folder does not exist yet
        atomic.write_bytes_atomic(target, b"one")
        atomic.write_bytes_atomic(target, b"two")
        with atomic.atomic_path(tmp_path / "汇总.xlsx") as tmp:
            tmp.write_bytes(b"three")
    finally:
        os.umask(umask)
    assert target.read_bytes() == b"two" and (tmp_path / "汇总.xlsx").read_bytes() == b"three"
    assert _mode(target) == 0o644 and _mode(tmp_path / "汇总.xlsx") == 0o644
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["新文件夹", "汇总.xlsx", "部门.xlsx"]


def test_a_leftover_with_the_same_temp_name_is_not_overwritten(tmp_path, monkeypatch):
    """Another process of the same pid (in another container) may hold the name: a fresh one is made."""
    target = tmp_path / "部门.xlsx"
    monkeypatch.setattr(atomic, "_serial", iter([7, 7]))
    taken = tmp_path / f".部门.{os.getpid()}-7.tmp"
    taken.write_bytes(b"someone else's")
    atomic.write_bytes_atomic(target, b"mine")
    assert target.read_bytes() == b"mine" and taken.read_bytes() == b"someone else's"
    assert _mode(target) == 0o666 & ~_umask()


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "部门.xlsx"
    target.write_bytes(b"old")

    def full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", full)
    with pytest.raises(OSError, match="No space"):
        atomic.write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["部门.xlsx"]


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask
