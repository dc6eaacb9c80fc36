"""The results history: every department's results per 评价年度, kept in one SQLite file.

`perfeval process` records each department of a run under its key (部门编码, else its
normalized 部门名称) and 评价年度: the figures, the status, the 一级 scores and every finding.
Processing the same year again replaces that year's record of that department; every run is
logged. The next year's run reads the latest earlier year of each department from it (比较法).

The file holds data only (numbers and text, read back with SQL): nothing in it is executed.
Its schema is the list `MIGRATIONS`: a new file runs them all; a file written by an earlier
perfeval runs the ones it lacks, after a copy of it is left beside it (`*.v{N}.bak`). A file
written by a newer perfeval, a damaged file and a file another program holds locked are each
refused with a `HistoryError` saying so in Chinese; the run's other outputs do not depend on it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .values import normalize_label
from .version import __version__

if TYPE_CHECKING:
    from .model import Department, Finding
    from .results import RunResult

DEFAULT_NAME = "perfeval-history.sqlite"
LOCK_WAIT = 5.0  # seconds to wait for another program's lock before giving up

# Each step takes the file from version i to i + 1 (PRAGMA user_version). Never edit a step
# that has shipped: add one.
MIGRATIONS: tuple[str, ...] = (
    # 1: runs, each department-year's results, its 一级 scores and its findings
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started TEXT NOT NULL,          -- ISO time the run was recorded
        run_date TEXT NOT NULL,         -- the date the outputs carry (--date)
        inbox TEXT NOT NULL,
        outdir TEXT NOT NULL,
        departments INTEGER NOT NULL,   -- in the batch
        recorded INTEGER NOT NULL,      -- of them, recorded (the others had no 评价年度)
        errors INTEGER NOT NULL,
        warnings INTEGER NOT NULL,
        infos INTEGER NOT NULL,
        perfeval TEXT NOT NULL          -- perfeval's version
    );
    CREATE TABLE results (
        key TEXT NOT NULL,              -- 编码:<部门编码> or 名称:<normalized 部门名称>
        year INTEGER NOT NULL,          -- 评价年度
        name TEXT NOT NULL,
        code TEXT NOT NULL,
        file TEXT NOT NULL,
        file_sha256 TEXT NOT NULL,
        profile TEXT NOT NULL,
        status TEXT NOT NULL,
        status_reason TEXT NOT NULL,
        total_score REAL,
        total_weight REAL,
        grade TEXT NOT NULL,
        rank INTEGER,
        budget REAL,
        adjusted REAL,
        received REAL,
        spent REAL,
        balance REAL,
        arrival_rate REAL,
        execution_rate REAL,
        errors INTEGER NOT NULL,
        warnings INTEGER NOT NULL,
        infos INTEGER NOT NULL,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        PRIMARY KEY (key, year)
    );
    CREATE TABLE level1 (
        key TEXT NOT NULL,
        year INTEGER NOT NULL,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        weight REAL,
        score REAL,
        PRIMARY KEY (key, year, position)
    );
    CREATE TABLE findings (
        key TEXT NOT NULL,
        year INTEGER NOT NULL,
        position INTEGER NOT NULL,
        code TEXT NOT NULL,
        severity TEXT NOT NULL,
        sheet TEXT NOT NULL,
        cell TEXT NOT NULL,
        message TEXT NOT NULL,
        PRIMARY KEY (key, year, position)
    );
    """,
    # 2: the 评价结论 items' texts (存在问题, 相关建议): next year's are compared with them
    """
    CREATE TABLE texts (
        key TEXT NOT NULL,
        year INTEGER NOT NULL,
        position INTEGER NOT NULL,
        category TEXT NOT NULL,
        content TEXT NOT NULL,
        PRIMARY KEY (key, year, position)
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
_TABLES = ("results", "level1", "findings", "texts")  # a department-year's rows, replaced together


class HistoryError(Exception):
    """The history file cannot be used; the message says why and what to do, in Chinese."""


def department_key(code: str, name: str) -> str:
    """Whose record: the 部门编码 where there is one (names change, codes do not), else the
    部门名称 as labels are matched (no spaces)."""
    code = "".join(str(code or "").split())
    if code:
        return f"编码:{code}"
    name = normalize_label(name or "")
    return f"名称:{name}" if name else ""


@dataclass(frozen=True)
class YearRecord:
    """One department's recorded results for one 评价年度."""

    key: str
    year: int
    name: str
    code: str
    file: str
    status: str
    total_score: float | None
    grade: str
    rank: int | None
    budget: float | None
    spent: float | None
    arrival_rate: float | None
    execution_rate: float | None
    errors: int
    warnings: int
    level1: tuple[tuple[str, float | None, float | None], ...] = ()  # (name, weight, score)
    findings: tuple[tuple[str, str, str, str, str], ...] = field(default=(), repr=False)  # code, severity, sheet, cell, message
    texts: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # the 评价结论 items: (类别, 内容)


_RECORD_COLUMNS = (
    "key, year, name, code, file, status, total_score, grade, rank, budget, spent, arrival_rate, execution_rate, errors, warnings"
)

_RECORD_FIELDS = tuple(name.strip() for name in _RECORD_COLUMNS.split(","))


class History:
    """An open history file. Use as a context manager, or call close()."""

    def __init__(self, path: Path, timeout: float | None = None):
        self.path = path
        self.timeout = LOCK_WAIT if timeout is None else timeout
        self.backup: Path | None = None  # where the file was copied before it was migrated
        if path.exists() and not path.is_file():
            raise HistoryError(f"历史记录文件 {path} 不是普通文件。请用 --history 指定另一个文件，或用 --no-history 不记录历史。")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, timeout=self.timeout, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise HistoryError(f"无法打开历史记录文件 {path}（{exc}）。请检查文件夹是否可写，或用 --no-history 不记录历史。") from None
        try:
            self._upgrade()
        except BaseException:
            self.db.close()
            raise

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    # --- errors ---------------------------------------------------------------------------

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """sqlite3's errors as a HistoryError that says, in Chinese, what is wrong."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise HistoryError(
                    f"历史记录文件 {self.path} 正被另一个程序占用（等待 {self.timeout:g} 秒后仍未释放）。"
                    "请待其结束后重新运行，或用 --no-history 不记录历史。"
                ) from None
            raise HistoryError(self._damaged(exc)) from None
        except sqlite3.DatabaseError as exc:
            raise HistoryError(self._damaged(exc)) from None

    def _damaged(self, exc: Exception) -> str:
        return (
            f"历史记录文件 {self.path} 已损坏或不是 perfeval 的历史记录（{exc}）。"
            "请从备份恢复；或把它改名保存后重新运行，将新建历史记录；或用 --no-history 不记录历史。"
        )

    # --- schema ---------------------------------------------------------------------------

    def _upgrade(self) -> None:
        with self._guard():
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise HistoryError(
                    f"历史记录文件 {self.path} 由更新版本的 perfeval 写入（格式版本 {version}，本版本只能读写 {SCHEMA_VERSION} 及以下）。"
                    "请升级 perfeval，或用 --history 指定另一个文件。"
                )
            if version == SCHEMA_VERSION:
                return
            if version == 0 and self._has_tables():
                raise HistoryError(self._damaged(sqlite3.DatabaseError("没有格式版本号")))
            if version > 0:  # an earlier perfeval's file: keep a copy as it was
                self.backup = self.path.with_name(f"{self.path.name}.v{version}.bak")
                with sqlite3.connect(self.backup) as copy:
                    self.db.backup(copy)
                copy.close()
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for step in MIGRATIONS[version:]:
                    for statement in step.split(";"):
                        if statement.strip():
                            self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def _has_tables(self) -> bool:
        return self.db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0

    # --- reading --------------------------------------------------------------------------

    def earlier(self, key: str, year: int) -> list[YearRecord]:
        """The years before `year` recorded for `key`, the earliest first."""
        if not key:
            return []
        with self._guard():
            rows = self.db.execute(f"SELECT {_RECORD_COLUMNS} FROM results WHERE key = ? AND year < ? ORDER BY year", (key, year))
            return [self._record(row) for row in rows.fetchall()]

    def years(self, key: str | None = None) -> list[YearRecord]:
        """Every recorded department-year (of `key` only, if given), by key then year."""
        with self._guard():
            if key is None:
                rows = self.db.execute(f"SELECT {_RECORD_COLUMNS} FROM results ORDER BY key, year").fetchall()
            else:
                rows = self.db.execute(f"SELECT {_RECORD_COLUMNS} FROM results WHERE key = ? ORDER BY year", (key,)).fetchall()
            return [self._record(row) for row in rows]

    def _record(self, row: tuple[Any, ...]) -> YearRecord:
        key, year = row[0], row[1]
        level1 = self.db.execute("SELECT name, weight, score FROM level1 WHERE key = ? AND year = ? ORDER BY position", (key, year))
        findings = self.db.execute(
            "SELECT code, severity, sheet, cell, message FROM findings WHERE key = ? AND year = ? ORDER BY position", (key, year)
        )
        texts = self.db.execute("SELECT category, content FROM texts WHERE key = ? AND year = ? ORDER BY position", (key, year))
        fields: dict[str, Any] = dict(zip(_RECORD_FIELDS, row, strict=True))
        return YearRecord(**fields, level1=tuple(level1.fetchall()), findings=tuple(findings.fetchall()), texts=tuple(texts.fetchall()))

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """The rows of a read-only query (for analysis: see perfeval.api); sqlite3's errors come
        as a HistoryError."""
        with self._guard():
            return self.db.execute(sql, params).fetchall()

    def runs(self) -> list[dict[str, Any]]:
        with self._guard():
            cursor = self.db.execute("SELECT * FROM runs ORDER BY id")
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # --- writing --------------------------------------------------------------------------

    def record(self, result: RunResult, outdir: Path) -> int:
        """Record a run: each department with a key and a 评价年度 replaces what was recorded
        for it and that year. One transaction: all or nothing. Returns how many were recorded."""
        deps = [d for d in result.departments if d.year is not None and department_key(d.code, d.name)]
        # two files of one department and year: the first by file name stands (the batch
        # rules report the pair)
        seen: dict[tuple[str, int], Department] = {}
        for d in sorted(deps, key=lambda d: d.file):
            seen.setdefault((department_key(d.code, d.name), int(d.year or 0)), d)
        with self._guard():
            self.db.execute("BEGIN IMMEDIATE")
            try:
                cursor = self.db.execute(
                    "INSERT INTO runs (started, run_date, inbox, outdir, departments, recorded, errors, warnings, infos, perfeval)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        datetime.now().astimezone().isoformat(timespec="seconds"),
                        result.run_date.isoformat(),
                        str(result.inbox.resolve()) if result.inbox else "",
                        str(outdir.resolve()),
                        len(result.departments),
                        len(seen),
                        result.errors,
                        result.warnings,
                        result.infos,
                        __version__,
                    ),
                )
                run_id = cursor.lastrowid
                for (key, year), d in seen.items():
                    self._replace(key, year, d, run_id)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        return len(seen)

    def _replace(self, key: str, year: int, d: Department, run_id: int | None) -> None:
        for table in _TABLES:
            self.db.execute(f"DELETE FROM {table} WHERE key = ? AND year = ?", (key, year))  # noqa: S608 - fixed names
        self.db.execute(
            "INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                year,
                d.name,
                d.code,
                d.file,
                d.source_sha256,
                d.data.profile,
                d.status.value if d.status else "",
                d.status_reason,
                d.total_score,
                d.total_weight,
                d.grade,
                d.rank,
                d.budget,
                d.adjusted,
                d.received,
                d.spent,
                d.balance,
                d.arrival_rate,
                d.execution_rate,
                d.errors,
                d.warnings,
                d.infos,
                run_id,
            ),
        )
        self.db.executemany(
            "INSERT INTO level1 VALUES (?, ?, ?, ?, ?, ?)", ((key, year, i, x.name, x.weight, x.score) for i, x in enumerate(d.level1))
        )
        self.db.executemany(
            "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ((key, year, i, f.code, f.severity.value, f.sheet, f.cell, f.message) for i, f in enumerate(d.findings)),
        )
        self.db.executemany(
            "INSERT INTO texts VALUES (?, ?, ?, ?, ?)",
            ((key, year, i, category, content) for i, (category, content, *_) in enumerate(d.texts)),
        )


def default_path(outdir: Path) -> Path:
    """Beside OUTDIR: one history for the outputs of every year written next to each other."""
    return outdir.resolve().parent / DEFAULT_NAME


def attach_earlier(history: History, departments: Iterable[Department]) -> None:
    """Give each department its earlier years from the history (比较法): those recorded under
    its key, and those recorded under its name before it had a 部门编码 (a department that
    gains a code is still compared with its earlier years)."""
    for d in departments:
        if d.year is None:
            continue
        key = department_key(d.code, d.name)
        years = {y.year: y for y in history.earlier(department_key("", d.name), d.year)} if d.code else {}
        years.update({y.year: y for y in history.earlier(key, d.year)})  # the code's own records win
        d.earlier = tuple(years[y] for y in sorted(years))


def mark_repeats(result: RunResult) -> None:
    """整改: each finding the department was also given in its latest earlier year (the same
    rule at the same place) is marked with that year (Finding.previously)."""
    marked: dict[int, Finding] = {}
    for d in result.departments:
        before = d.previous
        if before is None:
            continue
        told = {(code, sheet, cell) for code, _, sheet, cell, _ in before.findings}
        mine = {id(f): replace(f, previously=before.year) for f in d.findings if (f.code, f.sheet, f.cell) in told}
        if mine:
            d.findings = [mine.get(id(f), f) for f in d.findings]
            marked.update(mine)
    if marked:
        result.findings = [marked.get(id(f), f) for f in result.findings]
