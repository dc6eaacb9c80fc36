"""The data every stage shares, and that imports no stage: cells that remember where they were,
a department's read, the findings about it, and what is computed from it (`Department`)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import Enum
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

from .profiles import CONTRACT
from .schema import SOURCE_ROWS, TOTAL_ROW, USE_ROWS
from .values import clean_text, is_blank


def column_letter(col: int) -> str:
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def a1(row: int, col: int) -> str:
    if row <= 0:
        return ""
    if col <= 0:
        return str(row)
    return f"{column_letter(col)}{row}"


class Cell(tuple):
    """One value as typed, with its 1-based Excel position (0: no such cell in the file).

    Immutable: a tuple (sheet, row, col, raw, number, formula) with names. A batch creates
    millions of cells and sends them between processes and to the cache, so a cell pickles as
    a plain tuple and is rebuilt by `tuple.__new__`, with no Python code per cell."""

    __slots__ = ()

    def __new__(cls, sheet: str, row: int = 0, col: int = 0, raw: Any = None, number: float | None = None, formula: bool = False) -> Cell:
        return tuple.__new__(cls, (sheet, row, col, raw, number, formula))

    sheet: str = property(itemgetter(0))  # type: ignore[assignment]
    row: int = property(itemgetter(1))  # type: ignore[assignment]
    col: int = property(itemgetter(2))  # type: ignore[assignment]
    raw: Any = property(itemgetter(3))
    number: float | None = property(itemgetter(4))  # type: ignore[assignment]
    # the file holds a formula here: `raw` is its cached result
    formula: bool = property(itemgetter(5))  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (tuple.__new__, (Cell, tuple(self)))

    def __repr__(self) -> str:
        return f"Cell({self.sheet!r}, {self.row}, {self.col}, raw={self.raw!r}, number={self.number!r}, formula={self.formula})"

    def replace(self, **changes: Any) -> Cell:
        fields = dict(zip(("sheet", "row", "col", "raw", "number", "formula"), self, strict=True))
        fields.update(changes)
        return Cell(**fields)

    @property
    def blank(self) -> bool:
        return is_blank(self[3])

    @property
    def text(self) -> str:
        return clean_text(self[3])

    @property
    def ref(self) -> str:
        return a1(self[1], self[2])


@dataclass(frozen=True)
class Hit:
    """Where a rule found something, and what it says: a finding before it is stamped."""

    sheet: str
    row: int
    col: int
    message: str
    filled: str = ""
    computed: str = ""


@dataclass(frozen=True)
class Note:
    """A problem the reader met (S02, S03, S07, S08): turned into findings by the S rules."""

    code: str
    hit: Hit


Row = dict[str, Cell]


@dataclass(frozen=True)
class SkippedFile:
    """A file of the inbox that is not a workbook perfeval reads (B03 tells the user)."""

    file: str
    reason: str


class _NotLoaded:
    """Stands for a part of a read not decoded (see `WorkbookData.light`): any use of
    it is a bug, and fails loudly rather than reading as empty."""

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("这部分读取结果未加载：请先调用 Department.full_data()")

    __iter__ = __len__ = __bool__ = __contains__ = __getitem__ = get = items = values = keys = _fail

    def __reduce__(self) -> str:
        return "NOT_LOADED"


NOT_LOADED: Any = _NotLoaded()

# what the main process uses of a read once the worker has checked it: the summary, the
# batch rules, the results JSON and the department workbooks need no more
LIGHT_FIELDS = ("path", "file", "read_error", "sheets", "profile", "recognised_only", "info", "funds", "funds_sources")


@dataclass
class WorkbookData:
    """Everything read from one department's workbook."""

    path: Path
    file: str
    read_error: str | None = None
    sheets: list[str] = field(default_factory=list)
    # the layout (表样) it is in: profiles.CONTRACT where read as such, the id of another
    # layout it was recognised as, "" where it fits none
    profile: str = ""
    # recognised as that layout, but not read: a profile that only tells its layout apart
    recognised_only: bool = False
    info: Row = field(default_factory=dict)
    funds: dict[str, Row] = field(default_factory=dict)
    # the source rows of `funds` (中央资金 … in the contract; the form's own, such as 本年财政拨款)
    funds_sources: tuple[str, ...] = SOURCE_ROWS
    funds_fields: Row = field(default_factory=dict)
    funds_header_row: int = 0
    funds_columns: dict[str, int] = field(default_factory=dict)
    goals: list[Row] = field(default_factory=list)
    goals_columns: dict[str, int] = field(default_factory=dict)
    goals_header_row: int = 0
    scores: list[Row] = field(default_factory=list)
    scores_columns: dict[str, int] = field(default_factory=dict)
    scores_header_row: int = 0
    scores_total_row: int = 0
    conclusion: Row = field(default_factory=dict)
    items: list[Row] = field(default_factory=list)
    analysis: list[Row] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled with its cells as plain tuples. A Cell pickles through its own __reduce__, a
        Python call for each of the hundreds of cells of a read; plain tuples cost pickle no
        Python code at all (and unpickling makes the Cells again in one pass)."""
        state = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if value is NOT_LOADED:
                pass
            elif name in _ROW_FIELDS:
                value = _plain(value)
            elif name in _ROW_LIST_FIELDS:
                value = [_plain(row) for row in value]
            elif name == "funds":
                value = {label: _plain(row) for label, row in value.items()}
            state[name] = value
        return _workbook_data, (state,)

    @property
    def in_other_layout(self) -> bool:
        """Recognised as a layout (表样) other than the contract's that perfeval does not read:
        nothing of it was read."""
        return self.recognised_only

    @property
    def in_form(self) -> bool:
        """Read from another layout (表样) than the contract's, by its profile."""
        return self.profile not in ("", CONTRACT) and not self.recognised_only

    @property
    def funds_rows(self) -> tuple[str, ...]:
        """The rows `funds` may hold, in order: sources, 合计, uses."""
        return self.funds_sources + (TOTAL_ROW,) + USE_ROWS

    def light(self) -> WorkbookData:
        """A copy with only LIGHT_FIELDS: the rest NOT_LOADED."""
        heavy = {f: NOT_LOADED for f in self.__dataclass_fields__ if f not in LIGHT_FIELDS}
        return WorkbookData(**{f: getattr(self, f) for f in LIGHT_FIELDS}, **heavy)


_ROW_FIELDS = ("info", "funds_fields", "conclusion")
_ROW_LIST_FIELDS = ("goals", "scores", "items", "analysis")
_INT_FIELDS = ("funds_header_row", "goals_header_row", "scores_header_row", "scores_total_row")
_COLUMN_FIELDS = ("funds_columns", "goals_columns", "scores_columns")


def _plain(row: Row) -> dict[str, tuple[Any, ...]]:
    return {key: tuple(cell) for key, cell in row.items()}


def _cells(row: dict[str, tuple[Any, ...]]) -> Row:
    new = tuple.__new__
    return {key: new(Cell, cell) for key, cell in row.items()}


def _workbook_data(state: dict[str, Any]) -> WorkbookData:
    """A WorkbookData from its pickled state (see WorkbookData.__reduce__)."""
    for name, value in state.items():
        if value is NOT_LOADED:
            continue
        if name in _ROW_FIELDS:
            state[name] = _cells(value)
        elif name in _ROW_LIST_FIELDS:
            state[name] = [_cells(row) for row in value]
        elif name == "funds":
            state[name] = {label: _cells(row) for label, row in value.items()}
    return WorkbookData(**state)


# --- a read as plain data ----------------------------------------------------------------
# The cache keeps reads on disk, and a worker sends its read back, as JSON made here: data
# that can only ever decode to data. Decoding checks every field and cell, so that a damaged
# or edited entry is refused (the file is then simply read again), never half used.

READ_FORMAT = 3  # bump whenever WorkbookData, Cell or Note change shape
_SCALARS = (str, int, float, bool, type(None))
_SCALAR_TYPES: frozenset[type] = frozenset(_SCALARS)


class BadRead(ValueError):
    """A plain-data read that is not one this version wrote."""


def _raw_out(value: Any) -> Any:
    """A cell's raw value of a type JSON does not have, tagged (json's `default` hook: a Cell
    is a tuple, which json's C encoder writes as an array with no Python code per cell)."""
    if isinstance(value, datetime):
        return {"t": "datetime", "v": value.isoformat()}
    if isinstance(value, date):
        return {"t": "date", "v": value.isoformat()}
    if isinstance(value, time):
        return {"t": "time", "v": value.isoformat()}
    if isinstance(value, timedelta):
        return {"t": "timedelta", "v": value.total_seconds()}
    return str(value)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return {"t": "float", "v": repr(value)}
    return value


_JSON_OUT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_raw_out)


_RAW_IN: dict[str, Any] = {
    "float": float,
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
    "time": time.fromisoformat,
    "timedelta": lambda v: timedelta(seconds=float(v)),
}


def _raw_in(value: Any) -> Any:
    if isinstance(value, dict) and value.keys() == {"t", "v"} and value["t"] in _RAW_IN:
        try:
            return _RAW_IN[value["t"]](value["v"])
        except (TypeError, ValueError) as exc:
            raise BadRead(f"bad {value['t']}") from exc
    raise BadRead("bad raw value")


class _Cells:
    """All the cells of a read as one flat list, seven items a cell (key, sheet, row, column,
    raw, number, formula), each row standing as its number of cells. One flat list of scalars
    is what json writes and parses fastest, and it is checked column by column in one go."""

    def __init__(self, finite: Any = None):
        self.flat: list[Any] = []
        self.finite = finite  # tags infinite and NaN floats, which JSON cannot say

    def row(self, row: Row) -> int:
        flat, finite = self.flat, self.finite
        for key, c in row.items():
            flat.append(key)
            flat.extend(c if finite is None else (c[0], c[1], c[2], finite(c[3]), c[4], c[5]))
        return len(row)


def _rows_in(flat: Any, counts: list[int]) -> list[Row]:
    """The rows of `counts` cells each, from the flat list, every item's type checked."""
    if type(flat) is not list or len(flat) % 7 or sum(counts) * 7 != len(flat):
        raise BadRead("the cells do not add up")
    keys, sheets, rows, cols, raws, numbers, formulas = (flat[i::7] for i in range(7))
    if not (
        _only(keys, _STR)
        and _only(sheets, _STR)
        and _only(rows, _INT)
        and _only(cols, _INT)
        and _only(numbers, _NUMBER)
        and _only(formulas, _BOOL)
    ):
        raise BadRead("a cell of the wrong shape")
    if not _only(raws, _SCALAR_TYPES):
        raws = [raw if type(raw) in _SCALAR_TYPES else _raw_in(raw) for raw in raws]
    cells = list(map(tuple.__new__, repeat(Cell), zip(sheets, rows, cols, raws, numbers, formulas, strict=True)))
    out, at = [], 0
    for n in counts:
        out.append(dict(zip(keys[at : at + n], cells[at : at + n], strict=True)))
        at += n
    return out


_STR, _INT, _BOOL = frozenset({str}), frozenset({int}), frozenset({bool})
_NUMBER: frozenset[type] = frozenset({int, float, type(None)})


def _only(values: list[Any], types: frozenset[type]) -> bool:
    return set(map(type, values)) <= types


def _count(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise BadRead("bad row length")
    return value


def _typed(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise BadRead(f"bad {what}")
    return value


def _columns_in(value: Any, what: str) -> dict[str, int]:
    _typed(value, dict, what)
    for v in value.values():
        _typed(v, int, what)
    return value


def _notes_in(value: Any) -> list[Note]:
    notes = []
    for n in _typed(value, list, "notes"):
        if not (isinstance(n, list) and len(n) == 7 and all(isinstance(x, str) for x in (n[0], n[1], n[4], n[5], n[6]))):
            raise BadRead("bad note")
        row, col = _typed(n[2], int, "note row"), _typed(n[3], int, "note col")
        notes.append(Note(n[0], Hit(n[1], row, col, n[4], n[5], n[6])))
    return notes


def encode_read(data: WorkbookData) -> bytes:
    """The whole read (not its path and file name: the caller knows them) as JSON bytes."""
    try:
        return _JSON_OUT.encode(_plain_read(data)).encode("utf-8")
    except ValueError:  # an infinite or NaN raw value somewhere: tagged, the slow way
        return _JSON_OUT.encode(_plain_read(data, _finite)).encode("utf-8")


def _plain_read(data: WorkbookData, finite: Any = None) -> dict[str, Any]:
    cells = _Cells(finite)
    plain: dict[str, Any] = {
        "format": READ_FORMAT,
        "read_error": data.read_error,
        "sheets": data.sheets,
        "profile": data.profile,
        "recognised_only": data.recognised_only,
        "funds_sources": list(data.funds_sources),
        "notes": [[n.code, n.hit.sheet, n.hit.row, n.hit.col, n.hit.message, n.hit.filled, n.hit.computed] for n in data.notes],
        # rows as their numbers of cells, in this order: funds, _ROW_FIELDS, _ROW_LIST_FIELDS
        "funds": [[label, cells.row(row)] for label, row in data.funds.items()],
    }
    for name in _ROW_FIELDS:
        plain[name] = cells.row(getattr(data, name))
    for name in _ROW_LIST_FIELDS:
        plain[name] = [cells.row(row) for row in getattr(data, name)]
    for name in (*_INT_FIELDS, *_COLUMN_FIELDS):
        plain[name] = getattr(data, name)
    plain["cells"] = cells.flat
    return plain


_PLAIN_KEYS = frozenset(
    {
        "format",
        "read_error",
        "sheets",
        "profile",
        "recognised_only",
        "funds_sources",
        "funds",
        "notes",
        "cells",
        *_ROW_FIELDS,
        *_ROW_LIST_FIELDS,
        *_INT_FIELDS,
        *_COLUMN_FIELDS,
    }
)


def decode_read(blob: bytes, path: Path, file: str) -> WorkbookData:
    """The read `encode_read` made, checked field by field; BadRead if it is not one."""
    try:
        plain = json.loads(blob)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRead("not JSON") from exc
    if not isinstance(plain, dict) or plain.keys() != _PLAIN_KEYS or plain["format"] != READ_FORMAT:
        raise BadRead("not a read of this format")
    error = plain["read_error"]
    fields: dict[str, Any] = {
        "read_error": None if error is None else _typed(error, str, "read_error"),
        "sheets": [_typed(s, str, "sheet name") for s in _typed(plain["sheets"], list, "sheets")],
        "profile": _typed(plain["profile"], str, "profile"),
        "recognised_only": _typed(plain["recognised_only"], bool, "recognised_only"),
        "funds_sources": tuple(_typed(s, str, "funds source") for s in _typed(plain["funds_sources"], list, "funds_sources")),
        "notes": _notes_in(plain["notes"]),
    }
    funds = _typed(plain["funds"], list, "funds")
    if not all(type(f) is list and len(f) == 2 and type(f[0]) is str for f in funds):
        raise BadRead("bad funds")
    lists = {name: _typed(plain[name], list, name) for name in _ROW_LIST_FIELDS}
    counts = [_count(f[1]) for f in funds] + [_count(plain[name]) for name in _ROW_FIELDS]
    counts += [_count(n) for name in _ROW_LIST_FIELDS for n in lists[name]]
    rows = iter(_rows_in(plain["cells"], counts))
    fields["funds"] = {f[0]: next(rows) for f in funds}
    for name in _ROW_FIELDS:
        fields[name] = next(rows)
    for name in _ROW_LIST_FIELDS:
        fields[name] = [next(rows) for _ in lists[name]]
    for name in _INT_FIELDS:
        fields[name] = _typed(plain[name], int, name)
    for name in _COLUMN_FIELDS:
        fields[name] = _columns_in(plain[name], name)
    return WorkbookData(path=path, file=file, **fields)


# --- findings ---------------------------------------------------------------------------
class Severity(Enum):
    ERROR = "错误"
    WARNING = "警告"
    INFO = "提示"

    @property
    def rank(self) -> int:
        return _RANK[self.value]


_RANK = {"错误": 0, "警告": 1, "提示": 2}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    department: str
    file: str
    sheet: str
    row: int
    col: int
    message: str
    filled: str = ""
    computed: str = ""
    # 整改: the 评价年度 in which the department was told the same (rule and place), per the
    # results history; None where it was not (or there is no history)
    previously: int | None = None

    @property
    def cell(self) -> str:
        return a1(self.row, self.col)

    @property
    def location(self) -> str:
        """`资金情况!E9`, or the sheet alone where no one cell is at fault."""
        if not self.sheet:
            return ""
        return f"{self.sheet}!{self.cell}" if self.cell else self.sheet

    def sort_key(self) -> tuple:
        return (self.file, self.severity.rank, self.code, self.sheet, self.row, self.col, self.message)

    def as_dict(self) -> dict[str, str | int | None]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "department": self.department,
            "file": self.file,
            "sheet": self.sheet,
            "cell": self.cell,
            "row": self.row,
            "col": self.col,
            "message": self.message,
            "filled": self.filled,
            "computed": self.computed,
            "previously": self.previously,
        }


class FindingCounts:
    """Counts by severity for anything that holds `findings`."""

    findings: list[Finding]

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    @property
    def errors(self) -> int:
        return self.count(Severity.ERROR)

    @property
    def warnings(self) -> int:
        return self.count(Severity.WARNING)

    @property
    def infos(self) -> int:
        return self.count(Severity.INFO)


# --- a department: its read and what is computed from it -----------------------------------


@dataclass
class LevelScore:
    name: str
    parent: str = ""  # the 一级 of a 二级
    weight: float = 0.0
    score: float | None = 0.0  # None: the department cannot be scored (see Status.UNSCORED)
    count: int = 0

    @property
    def rate(self) -> float | None:
        return self.score / self.weight if self.weight and self.score is not None else None


class Status(Enum):
    """Where a department's result stands, settled once all its findings are known."""

    UNSCORED = "未评分"  # the score cannot be computed: no 得分, 等级 or 排名 anywhere, the reason instead
    PENDING = "待补正"  # some 错误: score and grade are provisional, and it is not ranked
    ACCEPTED = "可受理"  # no 错误: ranked


@dataclass
class Department(FindingCounts):
    """One workbook's data and everything computed from it."""

    data: WorkbookData
    name: str = ""
    code: str = ""
    year: int | None = None
    eval_type: str = ""
    budget: float | None = None
    adjusted: float | None = None  # None: no adjustment typed
    received: float | None = None
    spent: float | None = None
    balance: float | None = None  # computed: received − spent
    arrival_rate: float | None = None
    execution_rate: float | None = None
    adjustment_rate: float | None = None
    balance_rate: float | None = None
    basic_rate: float | None = None
    project_rate: float | None = None
    level1: list[LevelScore] = field(default_factory=list)
    level2: list[LevelScore] = field(default_factory=list)
    level3_count: int = 0
    total_weight: float | None = None
    total_score: float | None = None
    grade: str = ""
    rank: int | None = None  # among the ACCEPTED departments only
    # why the score cannot be computed from the workbook ("" where it can), found by scoring
    unscored: str = ""
    status: Status | None = None  # settled after every rule has run (scoring.settle_status)
    status_reason: str = ""
    findings: list[Finding] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)  # kind → path relative to OUTDIR
    # the whole read as plain data (encode_read), while `data` holds only its light copy (see
    # WorkbookData.light): a worker process sends a department back this way, and most runs
    # never need the rest. Once the cache holds the read, it is a reference into the cache
    # (anything with read() -> bytes) instead, so that the bytes of thousands of reads are
    # not kept in memory until the end of the run
    packed: Any = field(default=None, repr=False)
    read_key: str = field(default="", repr=False)  # the cache's key of the read
    # its JSON text in pieces made by its worker (pipeline.EncodedDepartment), or None
    encoded: Any = field(default=None, repr=False, compare=False)
    source_sha256: str = ""  # of the file's bytes as read ("" where it could not be read)
    # the 评价结论 items' texts, kept beside the light copy of the read (the batch compares
    # them): (类别, 内容, sheet, row, col) of each item with a 内容
    texts: tuple[tuple[str, str, str, int, int], ...] = ()
    # its earlier years in the results history (history.YearRecord), the earliest first: 比较法
    earlier: tuple[Any, ...] = ()

    def take_texts(self) -> None:
        """Keep the 评价结论 items' texts (`texts`) from the whole read."""
        data = self.full_data() if self.packed is not None else self.data
        texts = []
        for item in data.items if data.items is not NOT_LOADED else ():
            content = item.get("content")
            if content is None or not isinstance(content.raw, str) or not content.raw.strip():
                continue
            category = item.get("category")
            label = category.raw.strip() if category is not None and isinstance(category.raw, str) else ""
            texts.append((label, content.raw.strip(), content.sheet, content.row, content.col))
        self.texts = tuple(texts)

    @property
    def previous(self) -> Any:
        """Its latest earlier year in the results history (history.YearRecord), or None."""
        return self.earlier[-1] if self.earlier else None

    def full_data(self) -> WorkbookData:
        """`data` with every part, decoded on first use where only a light copy was kept."""
        if self.packed is not None:
            blob = self.packed if isinstance(self.packed, bytes) else self.packed.read()
            self.data, self.packed = decode_read(blob, self.data.path, self.data.file), None
        return self.data

    @property
    def file(self) -> str:
        return self.data.file

    @property
    def readable(self) -> bool:
        return self.data.read_error is None

    @property
    def score_rate(self) -> float | None:
        if self.total_score is None or not self.total_weight:
            return None
        return self.total_score / self.total_weight
