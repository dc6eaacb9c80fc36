"""Work that does not change is not done again: reads keyed by content, outputs by what they show.

Everything lives in OUTDIR/.perfeval-cache/ and is safe to delete at any time; a damaged or
foreign entry is ignored and the work is simply done again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
from pathlib import Path
from typing import Any

from .model import WorkbookData
from .version import __version__

CACHE_DIR = ".perfeval-cache"
FORMAT = 4  # bump whenever WorkbookData, Cell or Note change shape: old pickles are then ignored


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Cache:
    """Reads live in one pack file, `reads.pack`: each read's pickled bytes one after another,
    then an index (JSON: key → [offset, length]), its length and a magic tag. A batch's worker
    processes look reads up in it; the main process, which receives every read's bytes
    anyway, writes the batch's pack in one go when the reads are done (one file, instead of
    creating, writing and renaming a file per workbook, which cost ~0.2–1.2 ms each)."""

    PACK_MAGIC = b"PFREADS1"

    def __init__(self, outdir: Path):
        self.folder = outdir / CACHE_DIR
        self.pack_path = self.folder / "reads.pack"
        self.manifest_path = self.folder / "outputs.json"
        self._manifest: dict[str, str] | None = None
        self._index: dict[str, tuple[int, int]] | None = None
        self._pack: tuple[int, Any] | None = None  # (pid, open file): each process opens its own

    def __getstate__(self) -> dict[str, Any]:  # a spawned worker opens the pack itself
        return {**self.__dict__, "_pack": None}

    # --- reads ---------------------------------------------------------------------------

    def read_key(self, path: Path, max_bytes: int) -> str:
        # the extension is part of what is read: the same bytes named .xls are a wrong-type file
        suffix = path.suffix.lower()
        return hashlib.sha256(f"{FORMAT}|{__version__}|{max_bytes}|{suffix}|{file_digest(path)}".encode()).hexdigest()

    @property
    def index(self) -> dict[str, tuple[int, int]]:
        """key → (offset, length) of each read in the pack; {} if there is none, or it is damaged."""
        if self._index is None:
            self._index = self._load_index()
        return self._index

    def _load_index(self) -> dict[str, tuple[int, int]]:
        try:
            with self.pack_path.open("rb") as fh:
                size = fh.seek(0, os.SEEK_END)
                if size < 16:
                    return {}
                fh.seek(size - 16)
                tail = fh.read(16)
                length = int.from_bytes(tail[:8], "little")
                if tail[8:] != self.PACK_MAGIC or length > size - 16:
                    return {}
                fh.seek(size - 16 - length)
                loaded = json.loads(fh.read(length).decode("utf-8"))
            end = size - 16 - length
            return {
                str(k): (int(v[0]), int(v[1]))
                for k, v in loaded.items()
                if int(v[0]) >= 0 and int(v[1]) >= 0 and int(v[0]) + int(v[1]) <= end
            }
        except (OSError, ValueError, TypeError, AttributeError, IndexError, KeyError):
            return {}

    def get_read(self, key: str) -> tuple[WorkbookData, bytes] | None:
        """The cached read and its pickled bytes, or None."""
        where = self.index.get(key)
        if where is None:
            return None
        try:
            if self._pack is None or self._pack[0] != os.getpid():
                self._pack = (os.getpid(), self.pack_path.open("rb"))
            fh = self._pack[1]
            fh.seek(where[0])
            blob = fh.read(where[1])
            data = pickle.loads(blob)  # written by us, into the user's own output folder
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError, IndexError):
            return None
        return (data, blob) if isinstance(data, WorkbookData) else None

    def save_reads(self, reads: dict[str, bytes], fresh: bool = True) -> None:
        """Keep exactly these reads (key → pickled read, see `pickle_read`): those of files that
        left the inbox, or changed, are not kept forever. `fresh`: some were read afresh, not
        taken from the pack. The pack is not written again when it already holds exactly
        these keys and none was read afresh (one was, where its entry in the pack was damaged)."""
        if self._pack is not None:
            self._pack[1].close()
            self._pack = None
        tmp = self.folder / f".reads.{os.getpid()}.tmp"
        try:
            if fresh or reads.keys() != self.index.keys():
                self.folder.mkdir(parents=True, exist_ok=True)
                index, offset = {}, 0
                with tmp.open("wb") as fh:
                    for key in sorted(reads):
                        blob = reads[key]
                        fh.write(blob)
                        index[key] = (offset, len(blob))
                        offset += len(blob)
                    trailer = json.dumps(index, separators=(",", ":")).encode("utf-8")
                    fh.write(trailer)
                    fh.write(len(trailer).to_bytes(8, "little") + self.PACK_MAGIC)
                os.replace(tmp, self.pack_path)
                self._index = index
            _remove_old_reads(self.folder / "reads")
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            # a cache that cannot be written only costs time

    # --- outputs -------------------------------------------------------------------------

    @property
    def manifest(self) -> dict[str, str]:
        if self._manifest is None:
            try:
                loaded = json.loads(self.manifest_path.read_text(encoding="utf-8"))
                self._manifest = {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}
            except (OSError, ValueError):
                self._manifest = {}
        return self._manifest

    def unchanged(self, output: Path, rel: str, key: str) -> bool:
        return self.manifest.get(rel) == key and output.exists()

    def record(self, rel: str, key: str) -> None:
        self.manifest[rel] = key

    def save_manifest(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".outputs.{os.getpid()}.tmp"
            tmp.write_text(json.dumps(self.manifest, ensure_ascii=False, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.manifest_path)
        except OSError:
            pass


def _remove_old_reads(folder: Path) -> None:
    """What earlier versions and killed runs left: a folder of one file per read, temp files."""
    if folder.is_dir():
        for entry in folder.iterdir():
            entry.unlink(missing_ok=True)
        folder.rmdir()
    for entry in folder.parent.glob(".reads.*.tmp"):
        entry.unlink(missing_ok=True)


def output_key(*parts: Any) -> str:
    """A digest of what an output shows. Texts are hashed as they are (an output's content is
    a long JSON text: writing it into JSON again would escape every quote of it), anything
    else as JSON; each part tagged and length-prefixed, so parts cannot run into each other."""
    h = hashlib.sha256()
    for part in (__version__, *parts):
        if isinstance(part, str):
            tag, data = b"s", part.encode("utf-8")
        else:
            tag, data = b"j", json.dumps(part, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
        h.update(b"%s%d:" % (tag, len(data)))
        h.update(data)
    return h.hexdigest()


def pickle_read(data: WorkbookData) -> bytes:
    return pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
