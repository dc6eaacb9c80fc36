"""Write a file completely or not at all: a temp file beside it, then one rename."""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
_serial = itertools.count()


def _create_temp(target: Path) -> tuple[int, Path]:
    """An open descriptor of a new, empty file beside `target`, and its path.

    Named `.<stem>.<pid>-<n>.tmp`, so that a later run can tell a leftover of a killed one; made
    with the mode of an ordinary file (0666 less the umask). A batch writes thousands of these:
    one open, where tempfile.mkstemp plus a chmod and a reopen cost four system calls more."""
    name = f".{target.stem[:40]}.{os.getpid()}-{next(_serial)}.tmp"
    tmp = target.parent / name
    try:
        return os.open(tmp, _FLAGS, 0o666), tmp
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # another process of the same pid (a container's) left it
        pass
    fd, made = tempfile.mkstemp(prefix=f".{target.stem[:40]}.", suffix=".tmp", dir=target.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(made, 0o666 & ~umask)  # mkstemp makes 0600; outputs are ordinary files
    return fd, Path(made)


def temp_beside(target: Path) -> Path:
    """A new, empty temp file beside `target`, for os.replace to move onto it later; named
    `.<stem>.*.tmp`, so that a later run can tell a leftover of a killed one."""
    fd, tmp = _create_temp(target)
    os.close(fd)
    return tmp


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temp path in the target's folder; on success it replaces `target`."""
    tmp_path = temp_beside(target)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_atomic(target: Path, write: Callable[[Path], None]) -> Path:
    with atomic_path(target) as tmp:
        write(tmp)
    return target


def write_bytes_atomic(target: Path, data: bytes) -> Path:
    """`data` into a temp file beside `target` (written through the descriptor that created
    it), then renamed onto `target`; on any failure the temp file is removed."""
    fd, tmp = _create_temp(target)
    try:
        with open(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target
