"""What the reader produces: cells that remember where they were, grouped by sheet."""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

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

    def __new__(
        cls, sheet: str, row: int = 0, col: int = 0, raw: Any = None, number: float | None = None, formula: bool = False
    ) -> Cell:
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


class _NotLoaded:
    """Stands for a part of a read that stayed pickled (see `WorkbookData.light`): any use of
    it is a bug, and fails loudly rather than reading as empty."""

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("这部分读取结果未加载：请先调用 Department.full_data()")

    __iter__ = __len__ = __bool__ = __contains__ = __getitem__ = get = items = values = keys = _fail

    def __reduce__(self) -> str:
        return "NOT_LOADED"


NOT_LOADED: Any = _NotLoaded()

# what the main process uses of a read once the worker has checked it: the summary, the
# batch rules, the results JSON and the department workbooks need no more
LIGHT_FIELDS = ("path", "file", "read_error", "sheets", "info", "funds")


@dataclass
class WorkbookData:
    """Everything read from one department's workbook."""

    path: Path
    file: str
    read_error: str | None = None
    sheets: list[str] = field(default_factory=list)
    info: Row = field(default_factory=dict)
    funds: dict[str, Row] = field(default_factory=dict)
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

    def light(self) -> WorkbookData:
        """A copy with only LIGHT_FIELDS: the rest NOT_LOADED."""
        heavy = {f: NOT_LOADED for f in self.__dataclass_fields__ if f not in LIGHT_FIELDS}
        return WorkbookData(**{f: getattr(self, f) for f in LIGHT_FIELDS}, **heavy)


_ROW_FIELDS = ("info", "funds_fields", "conclusion")
_ROW_LIST_FIELDS = ("goals", "scores", "items", "analysis")


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
