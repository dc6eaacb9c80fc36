"""A run's outputs become current as one set, and only one run writes into a folder at a time.

A run writes every new or changed output into OUTDIR/.perfeval-staging/, at the path it will
have in OUTDIR. Until the run is complete, the previous set in OUTDIR is complete and untouched
(a kill, Ctrl-C, a full disk or an error leave it as it was). Then one atomic rename — of the
publish journal, which lists what to move and what to remove — makes the new set current;
moving the staged files into place follows, and a run killed in the middle of that is finished
by the next command that opens the folder (`recover`). A manifest (OUTDIR/.perfeval-manifest.json)
records each published output's content hash: an output that is missing, or was changed since,
is written again; one that is not of the newest run is removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .atomic import write_bytes_atomic

STAGING = ".perfeval-staging"
JOURNAL = ".perfeval-publish.json"
MANIFEST = ".perfeval-manifest.json"
LOCK = ".perfeval.lock"
FORMAT = 1


class Busy(Exception):
    """Another run holds the folder's lock (message in Chinese)."""


def digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def safe_rel(rel: Any) -> bool:
    """A path inside the folder, made of plain names (no `..`, no hidden parts, not absolute)."""
    if not isinstance(rel, str) or not rel or "\\" in rel or "\x00" in rel or ":" in rel:
        return False
    return all(part and not part.startswith(".") for part in rel.split("/"))


@dataclass(frozen=True)
class Entry:
    """One published output: what it shows (`key`), and how to tell it is still what was written."""

    key: str
    sha256: str
    size: int
    mtime_ns: int

    @staticmethod
    def of(path: Path, key: str) -> Entry:
        st = path.stat()
        return Entry(key, digest(path), st.st_size, st.st_mtime_ns)

    @staticmethod
    def written(path: Path, data: bytes, key: str) -> Entry:
        """Write `data` to `path` (a file of the staging folder: private, so written in place)
        and make its entry from the bytes themselves, not read back."""
        path.write_bytes(data)
        return Entry(key, hashlib.sha256(data).hexdigest(), len(data), path.stat().st_mtime_ns)

    @staticmethod
    def streamed(path: Path, pieces: Iterable[bytes], key: str) -> Entry:
        """`Entry.written`, the data given in pieces: written and hashed one piece at a time,
        never joined in memory."""
        h, size = hashlib.sha256(), 0
        with path.open("wb") as fh:
            for piece in pieces:
                fh.write(piece)
                h.update(piece)
                size += len(piece)
        return Entry(key, h.hexdigest(), size, path.stat().st_mtime_ns)

    def plain(self) -> list[Any]:
        return [self.key, self.sha256, self.size, self.mtime_ns]


def load_manifest(outdir: Path) -> tuple[dict[str, Entry], dict[str, Any]]:
    """The published set's outputs (rel → Entry) and the run that published it ({} if none)."""
    try:
        plain = json.loads((outdir / MANIFEST).read_text(encoding="utf-8"))
        if not isinstance(plain, dict) or plain.get("format") != FORMAT:
            return {}, {}
        entries = {}
        for rel, e in plain["outputs"].items():
            if safe_rel(rel) and isinstance(e, list) and len(e) == 4 and all(isinstance(x, str) for x in e[:2]):
                if all(isinstance(x, int) and not isinstance(x, bool) for x in e[2:]):
                    entries[rel] = Entry(*e)
        run = plain.get("run")
        return entries, run if isinstance(run, dict) else {}
    except (OSError, ValueError, TypeError, AttributeError, KeyError):
        return {}, {}


class OutputSet:
    """The outputs of one run, staged until `commit` publishes them as one set."""

    def __init__(self, outdir: Path, owned: tuple[tuple[str, str], ...] = (), run: dict[str, Any] | None = None):
        """`owned`: (folder, suffix) of the outputs perfeval names per department: a file there
        that is not of this run is removed when the set is published."""
        self.outdir = outdir
        self.staging = outdir / STAGING
        self.previous, _ = load_manifest(outdir)
        self.owned = owned
        self.run = run or {}
        self.entries: dict[str, Entry] = {}
        self.staged: list[str] = []

    def current(self, rel: str, key: str) -> bool:
        """Whether the published `rel` shows `key` and is intact (then it is kept as it is)."""
        entry = self.previous.get(rel)
        if entry is None or entry.key != key:
            return False
        try:
            st = (self.outdir / rel).stat()
        except OSError:
            return False
        if st.st_size != entry.size:
            return False
        if st.st_mtime_ns != entry.mtime_ns:  # touched: intact only if its bytes are
            try:
                if digest(self.outdir / rel) != entry.sha256:
                    return False
            except OSError:
                return False
            entry = Entry(entry.key, entry.sha256, st.st_size, st.st_mtime_ns)
        self.entries[rel] = entry
        return True

    def path(self, rel: str) -> Path:
        """Where to write output `rel` for this run."""
        return self.staging / rel

    def add(self, rel: str, key: str) -> None:
        """Output `rel` was written to `path(rel)`."""
        self.entries[rel] = Entry.of(self.path(rel), key)
        self.staged.append(rel)

    def add_entry(self, rel: str, entry: Entry) -> None:
        """Output `rel` was written to `path(rel)` by another process, which made its entry."""
        self.entries[rel] = entry
        self.staged.append(rel)

    def stale(self) -> list[str]:
        """Outputs in OUTDIR that are not of this run: the previous set's, and any file in an
        owned folder with an owned suffix."""
        gone = {rel for rel in self.previous if rel not in self.entries}
        for folder, suffix in self.owned:
            with contextlib.suppress(OSError):
                for p in (self.outdir / folder).iterdir():
                    rel = f"{folder}/{p.name}"
                    if rel not in self.entries and p.name.endswith(suffix) and safe_rel(rel) and p.is_file():
                        gone.add(rel)
        return sorted(gone)

    def commit(self) -> None:
        """Publish: the journal's rename is the moment the new set becomes current."""
        journal = {
            "format": FORMAT,
            "staged": sorted(self.staged),
            "remove": self.stale(),
            "manifest": {"format": FORMAT, "run": self.run, "outputs": {r: e.plain() for r, e in sorted(self.entries.items())}},
        }
        write_bytes_atomic(self.outdir / JOURNAL, json.dumps(journal, ensure_ascii=False, allow_nan=False).encode("utf-8"))
        finish(self.outdir)

    def discard(self) -> None:
        """The run did not complete: nothing of it is published."""
        shutil.rmtree(self.staging, ignore_errors=True)


def finish(outdir: Path) -> bool:
    """Complete a publish whose journal was written (again, if a kill interrupted it): move the
    staged files into place, remove the stale ones, write the manifest. False if there is none."""
    try:
        journal = json.loads((outdir / JOURNAL).read_text(encoding="utf-8"))
        staged, remove, manifest = journal["staged"], journal["remove"], journal["manifest"]
        if (
            journal.get("format") != FORMAT
            or not isinstance(staged, list)
            or not isinstance(remove, list)
            or not isinstance(manifest, dict)
        ):
            raise ValueError("not a journal of this format")
    except FileNotFoundError:
        return False
    except (OSError, ValueError, TypeError, KeyError):
        # a journal no run of this version wrote: the staged files cannot be trusted as a set
        (outdir / JOURNAL).unlink(missing_ok=True)
        shutil.rmtree(outdir / STAGING, ignore_errors=True)
        return False
    staging = outdir / STAGING
    made: set[Path] = set()
    for rel in staged:
        if not safe_rel(rel):
            continue
        source, target = staging / rel, outdir / rel
        if source.exists():  # else: moved already, by the run that was killed
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            os.replace(source, target)
    for rel in remove:
        if safe_rel(rel):
            with contextlib.suppress(IsADirectoryError, PermissionError):
                (outdir / rel).unlink(missing_ok=True)
    write_bytes_atomic(outdir / MANIFEST, json.dumps(manifest, ensure_ascii=False, allow_nan=False).encode("utf-8"))
    (outdir / JOURNAL).unlink()
    shutil.rmtree(staging, ignore_errors=True)
    return True


def recover(outdir: Path) -> None:
    """Leave the folder with one complete set: finish a publish that was interrupted, or throw
    away what a run that never published had staged. Call with the lock held."""
    if not finish(outdir):
        shutil.rmtree(outdir / STAGING, ignore_errors=True)


class FolderLock:
    """An exclusive lock on an output folder, held while a run writes into it.

    An OS lock on OUTDIR/.perfeval.lock (fcntl, or msvcrt on Windows): the system drops it when
    the process ends however it ends, so a killed run never leaves a lock that blocks the next."""

    def __init__(self, outdir: Path, wait: bool = False, on_wait: Any = None):
        self.path = outdir / LOCK
        self.wait, self.on_wait = wait, on_wait
        self.fh: IO[str] | None = None

    def __enter__(self) -> FolderLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held open while locked
        try:
            if not _try_lock(fh):
                holder = _holder(fh)
                if not self.wait:
                    raise Busy(
                        f"另一个 perfeval 运行（{holder}）正在写入输出文件夹 {self.path.parent}；请等它结束后再运行，或加 --wait 排队等待"
                    )
                if self.on_wait:
                    self.on_wait(f"另一个 perfeval 运行（{holder}）正在写入 {self.path.parent}，等待它结束…")
                while not _try_lock(fh):
                    time.sleep(0.2)
            fh.seek(0)
            fh.truncate()
            fh.write(f"PID {os.getpid()}，开始于 {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
            fh.flush()
        except BaseException:
            fh.close()
            raise
        self.fh = fh
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.fh is not None:
            with contextlib.suppress(OSError):
                self.fh.seek(0)
                self.fh.truncate()
            self.fh.close()  # closing the file releases the lock
            self.fh = None


def _try_lock(fh: IO[str]) -> bool:
    try:
        if sys.platform == "win32":
            import msvcrt

            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _holder(fh: IO[str]) -> str:
    with contextlib.suppress(OSError, ValueError):
        fh.seek(0)
        text = fh.read(200).strip()
        if text:
            return text
    return "进程号未知"
