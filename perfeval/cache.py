"""Work that does not change is not done again: reads keyed by content.

Reads live in OUTDIR/.perfeval-cache/, which is safe to delete at any time. They are stored as
plain data (JSON), checked field by field when loaded: an entry that is damaged, edited or not
of this version is refused and the file is simply read again; nothing in the cache can run code.
Which outputs are current is the publish manifest's business (see publish.py).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import READ_FORMAT, BadRead, WorkbookData, decode_read
from .version import code_fingerprint

CACHE_DIR = ".perfeval-cache"


@dataclass(frozen=True)
class PackRef:
    """One read in the pack: read back (and checked against its digest) when a report needs
    the whole read, instead of its bytes being held in memory until then."""

    path: Path
    offset: int
    length: int
    sha256: str

    def read(self) -> bytes:
        with self.path.open("rb") as fh:
            fh.seek(self.offset)
            blob = fh.read(self.length)
        if hashlib.sha256(blob).hexdigest() != self.sha256:  # only another process writing into OUTDIR does this
            raise OSError(f"缓存文件在本次运行中被改动：{self.path}")
        return blob


class Cache:
    """Reads live in one pack file, `reads.pack`: each read's JSON (model.encode_read) one after another,
    then an index (JSON: key → [offset, length, SHA-256 of the entry]), its length and a magic
    tag; an entry whose bytes do not match its digest (damaged, edited) is not used. A batch's worker
    processes look reads up in it; the main process, which receives every read's bytes
    anyway, writes the batch's pack in one go when the reads are done (one file, instead of
    creating, writing and renaming a file per workbook, which cost ~0.2–1.2 ms each)."""

    PACK_MAGIC = b"PFREADS2"  # 1: the pickles of earlier versions, never read

    def __init__(self, outdir: Path):
        self.folder = outdir / CACHE_DIR
        self.pack_path = self.folder / "reads.pack"
        self._index: dict[str, tuple[int, int, str]] | None = None
        self._pack: tuple[int, Any] | None = None  # (pid, open file): each process opens its own

    def __getstate__(self) -> dict[str, Any]:  # a spawned worker opens the pack itself
        return {**self.__dict__, "_pack": None}

    # --- reads ---------------------------------------------------------------------------

    @staticmethod
    def read_key(path: Path, digest: bytes, max_bytes: int, profiles: tuple[Any, ...] = ()) -> str:
        """The key of a read of the bytes whose SHA-256 is `digest` (the caller hashes them once:
        the history records the same digest): the code that reads them, and how, are part of it.
        The extension too: the same bytes named .xls are a wrong-type file; and the user's
        layouts (a workbook may be told it is in one)."""
        what = f"{READ_FORMAT}|{code_fingerprint()}|{max_bytes}|{path.suffix.lower()}|{profiles!r}|".encode()
        return hashlib.sha256(what + digest).hexdigest()

    @property
    def index(self) -> dict[str, tuple[int, int, str]]:
        """key → (offset, length, digest) of each read in the pack; {} if there is none, or it is damaged."""
        if self._index is None:
            self._index = self._load_index()
        return self._index

    def _load_index(self) -> dict[str, tuple[int, int, str]]:
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
                str(k): (int(v[0]), int(v[1]), str(v[2]))
                for k, v in loaded.items()
                if int(v[0]) >= 0 and int(v[1]) >= 0 and int(v[0]) + int(v[1]) <= end
            }
        except (OSError, ValueError, TypeError, AttributeError, IndexError, KeyError):
            return {}

    def get_read(self, key: str, path: Path, file: str) -> tuple[WorkbookData, bytes] | None:
        """The cached read and its JSON bytes, or None (none there, or not a valid one)."""
        where = self.index.get(key)
        if where is None:
            return None
        try:
            if self._pack is None or self._pack[0] != os.getpid():
                self._pack = (os.getpid(), self.pack_path.open("rb"))
            fh = self._pack[1]
            fh.seek(where[0])
            blob = fh.read(where[1])
            if hashlib.sha256(blob).hexdigest() != where[2]:
                return None
            return decode_read(blob, path, file), blob
        except (OSError, BadRead):
            return None

    def ref(self, key: str) -> PackRef | None:
        """Where the pack holds the read of `key` (after save_reads), or None."""
        where = self.index.get(key)
        return PackRef(self.pack_path, *where) if where else None

    def pack_writer(self) -> PackWriter:
        """A writer of this batch's pack, fed each read as it arrives (see PackWriter)."""
        return PackWriter(self)


class PackWriter:
    """The batch's reads into a new pack as they arrive, so that the main process, which
    receives every read, never holds them all (at thousands of workbooks, a hundred megabytes
    of bytes that, once let go, the process keeps). `add` says what a department keeps of its
    read; `finish` makes the pack the cache's and says where each read is now.

    The pack keeps exactly the batch's reads: those of files that left the inbox, or changed,
    are not kept forever. It is not written again when it already holds exactly these keys
    and none was read afresh (one was, where its entry in the pack was damaged). A pack that
    cannot be written only costs time: the reads it could not take stay in memory."""

    def __init__(self, cache: Cache):
        self.cache = cache
        self.tmp = cache.folder / f".reads.{os.getpid()}.tmp"
        self.fh: Any = None
        self.fresh: dict[str, tuple[int, int, str]] = {}  # key → entry in the new pack, in order of arrival
        self.kept: dict[str, None] = {}  # keys taken from the current pack (cache hits), in order
        self.offset = 0
        self.failed = False

    def add(self, key: str, blob: bytes, cached: bool) -> Any:
        """The read of `key`: a reference into a pack (PackRef), or `blob` itself where no pack
        can take it."""
        if cached and key in self.cache.index:
            self.kept[key] = None
            return self.cache.ref(key)
        if key in self.fresh:  # the same bytes in two files: one entry
            return PackRef(self.tmp, *self.fresh[key])
        if self.failed:
            return blob
        try:
            if self.fh is None:
                self.cache.folder.mkdir(parents=True, exist_ok=True)
                self.fh = self.tmp.open("wb", buffering=0)  # unbuffered: an entry given out is in the file
            if self.fh.write(blob) != len(blob):
                raise OSError("short write")
        except OSError:
            self.failed = True  # and an entry cut short is refused by its digest
            return blob
        entry = self.fresh[key] = (self.offset, len(blob), hashlib.sha256(blob).hexdigest())
        self.offset += len(blob)
        return PackRef(self.tmp, *entry)

    def finish(self) -> dict[str, PackRef]:
        """The pack now holds exactly the batch's reads: where each is (key → PackRef). Empty
        where it could not be written (then each department keeps what `add` gave it: the
        references into the temp file stay good until the next batch removes it)."""
        cache = self.cache
        if cache._pack is not None:  # the pack may be replaced (Windows replaces no open file)
            cache._pack[1].close()
            cache._pack = None
        try:
            if self.failed:
                return {}
            if not self.fresh and self.kept.keys() == cache.index.keys():
                _remove_old_reads(cache.folder / "reads")
                return {key: PackRef(cache.pack_path, *cache.index[key]) for key in self.kept}
            if self.fh is None:
                cache.folder.mkdir(parents=True, exist_ok=True)
                self.fh = self.tmp.open("wb", buffering=0)
            index = dict(self.fresh)
            for key in self.kept:  # the reads taken from the current pack, copied into the new one
                ref = cache.ref(key)
                if ref is None:
                    raise OSError(f"no read of {key} in the pack")
                blob = ref.read()
                if self.fh.write(blob) != len(blob):
                    raise OSError("short write")
                index[key] = (self.offset, len(blob), ref.sha256)
                self.offset += len(blob)
            trailer = json.dumps(index, separators=(",", ":")).encode("utf-8")
            self.fh.write(trailer + len(trailer).to_bytes(8, "little") + cache.PACK_MAGIC)
            self.fh.close()
            os.replace(self.tmp, cache.pack_path)
            cache._index = index
            _remove_old_reads(cache.folder / "reads")
            return {key: PackRef(cache.pack_path, *entry) for key, entry in index.items()}
        except OSError:
            return {}
        finally:
            if self.fh is not None and not self.fh.closed:
                self.fh.close()


def _remove_old_reads(folder: Path) -> None:
    """What earlier versions and killed runs left: a folder of one file per read, temp files."""
    if folder.is_dir():
        for entry in folder.iterdir():
            entry.unlink(missing_ok=True)
        folder.rmdir()
    for entry in folder.parent.glob(".reads.*.tmp"):
        entry.unlink(missing_ok=True)


def output_key(*parts: Any) -> str:
    """A digest of what an output shows, and of the code that draws it. Texts are hashed as
    they are (an output's content is a long JSON text: writing it into JSON again would escape
    every quote of it), anything else as JSON; each part tagged and length-prefixed, so parts
    cannot run into each other."""
    h = hashlib.sha256()
    for part in (code_fingerprint(), *parts):
        if isinstance(part, str):
            tag, data = b"s", part.encode("utf-8")
        else:
            tag, data = b"j", json.dumps(part, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
        h.update(b"%s%d:" % (tag, len(data)))
        h.update(data)
    return h.hexdigest()
