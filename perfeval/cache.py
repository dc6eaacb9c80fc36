"""Work that does not change is not done again: reads keyed by content, outputs by what they show.

Everything lives in OUTDIR/.perfeval-cache/ and is safe to delete at any time; a damaged or
foreign entry is ignored and the work is simply done again.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path
from typing import Any

from . import __version__
from .model import WorkbookData

CACHE_DIR = ".perfeval-cache"
FORMAT = 4  # bump whenever WorkbookData, Cell or Note change shape: old pickles are then ignored


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Cache:
    def __init__(self, outdir: Path):
        self.folder = outdir / CACHE_DIR
        self.reads = self.folder / "reads"
        self.manifest_path = self.folder / "outputs.json"
        self._manifest: dict[str, str] | None = None

    # --- reads ---------------------------------------------------------------------------

    def read_key(self, path: Path, max_bytes: int) -> str:
        # the extension is part of what is read: the same bytes named .xls are a wrong-type file
        suffix = path.suffix.lower()
        return hashlib.sha256(f"{FORMAT}|{__version__}|{max_bytes}|{suffix}|{file_digest(path)}".encode()).hexdigest()

    def get_read(self, key: str) -> tuple[WorkbookData, bytes] | None:
        """The cached read and its pickled bytes, or None."""
        try:
            blob = (self.reads / f"{key}.pickle").read_bytes()
            data = pickle.loads(blob)  # written by us, into the user's own output folder
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError, IndexError):
            return None
        return (data, blob) if isinstance(data, WorkbookData) else None

    def put_read(self, key: str, blob: bytes) -> None:
        """Keep a read, pickled (see `pickle_read`)."""
        try:
            self.reads.mkdir(parents=True, exist_ok=True)
            tmp = self.reads / f".{key}.{os.getpid()}.tmp"
            tmp.write_bytes(blob)
            os.replace(tmp, self.reads / f"{key}.pickle")
        except OSError:
            pass  # a cache that cannot be written only costs time

    def prune_reads(self, keep: set[str]) -> None:
        """Remove the reads of files that are no longer in the batch (or have changed)."""
        try:
            entries = list(self.reads.iterdir())
        except OSError:
            return
        for entry in entries:
            stale_temp = entry.name.startswith(".") and entry.suffix == ".tmp"  # a killed run's
            if stale_temp or (entry.suffix == ".pickle" and entry.stem not in keep):
                entry.unlink(missing_ok=True)

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
