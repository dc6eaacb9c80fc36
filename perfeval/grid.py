"""A sheet as the readers see it: rows of values, merged ranges filled from their top-left
cell, each value located at the cell a person would edit; and finding a form's fields in it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .model import Cell
from .values import normalize_label


class Grid:
    """A sheet as a list of rows, merged ranges filled from their top-left cell."""

    def __init__(self, name: str, rows: list[list[Any]], merged: Iterable[Any] = (), xml: bytes | None = None):
        self.name = name
        self.xml = xml  # the sheet's XML (xlsx only), for the formula scan
        self.source_name = name  # the sheet's name in the file, before label normalization
        self._labels: dict[str, tuple[int, int]] | None = None
        self._row_labels: dict[int, list[tuple[int, str]]] = {}
        self.rows = rows
        self.origin: dict[tuple[int, int], tuple[int, int]] = {}
        for (r0, c0), (r1, c1) in merged:
            if r0 >= len(rows):
                continue
            value = self._at(r0, c0)
            for r in range(r0, min(r1, len(rows) - 1) + 1):
                row = rows[r]
                for c in range(c0, c1 + 1):
                    if (r, c) == (r0, c0):
                        continue
                    if c >= len(row):
                        row.extend([""] * (c + 1 - len(row)))
                    row[c] = value
                    self.origin[(r, c)] = (r0, c0)
        # row → {column: 1-based (row, column) of its merge's top-left}, for rows holding a merged copy
        self._merged_rows: dict[int, dict[int, tuple[int, int]]] = {}
        for (r, c), (r0, c0) in self.origin.items():
            self._merged_rows.setdefault(r, {})[c] = (r0 + 1, c0 + 1)

    def _at(self, r: int, c: int) -> Any:
        row = self.rows[r] if r < len(self.rows) else []
        return row[c] if c < len(row) else ""

    def cell(self, r: int, c: int) -> Cell:
        """The cell at 0-based (r, c), located at the cell a person would edit."""
        return self.row_cells(r, ((None, c),))[None]

    def row_cells(self, r: int, positions: Iterable[tuple[Any, int]]) -> dict[Any, Cell]:
        """{key: cell} of row r for (key, 0-based column) positions: a table row in one go."""
        row = self.rows[r] if r < len(self.rows) else ()
        width, name, new = len(row), self.name, tuple.__new__
        # Cell(name, row, col, raw) without the call: every table cell is made here
        r1, merged = r + 1, self._merged_rows.get(r)
        if merged is None:
            return {key: new(Cell, (name, r1, c + 1, row[c] if c < width else "", None, False)) for key, c in positions}
        out = {}
        for key, c in positions:
            at = merged.get(c)
            rr, cc = at if at is not None else (r1, c + 1)
            out[key] = new(Cell, (name, rr, cc, row[c] if c < width else "", None, False))
        return out

    def labels(self) -> dict[str, tuple[int, int]]:
        """Normalized text → its first position, not counting merged copies; built once."""
        if self._labels is None:
            labels: dict[str, tuple[int, int]] = {}
            origin = self.origin
            for r, row in enumerate(self.rows):
                for c, raw in enumerate(row):
                    if raw and isinstance(raw, str) and not (origin and (r, c) in origin):
                        labels.setdefault(normalize_label(raw), (r, c))
            self._labels = labels
        return self._labels

    def row_labels(self, r: int) -> list[tuple[int, str]]:
        """(column, normalized text) of every text cell of row r, merged copies included."""
        found = self._row_labels.get(r)
        if found is None:
            row = self.rows[r]
            found = self._row_labels[r] = (
                []
                if row.count("") == len(row)
                else [(c, normalize_label(raw)) for c, raw in enumerate(row) if raw and isinstance(raw, str)]
            )
        return found

    def same_merge(self, a: tuple[int, int], b: tuple[int, int]) -> bool:
        return self.origin.get(a, a) == self.origin.get(b, b)

    @property
    def height(self) -> int:
        return len(self.rows)


def find_label(grid: Grid, label: str) -> tuple[int, int] | None:
    """The first cell (in reading order) whose text is `label`, not counting merged copies."""
    return grid.labels().get(label)


def value_right_of(grid: Grid, r: int, c: int) -> Cell:
    """The value of a form field: the first cell right of the label (and of its merge)."""
    row = grid.rows[r]
    cc = c + 1
    while cc < len(row) and grid.same_merge((r, c), (r, cc)):
        cc += 1
    if cc >= len(row):
        return Cell(grid.name, r + 1, cc + 1, None)
    return grid.cell(r, cc)


# a weight written in an indicator's label, at its end: "绩效目标合理性（3分）", "决策(20 分)"
WEIGHT_IN_LABEL = re.compile(r"[（(]\s*(\d+(?:\.\d+)?)\s*分\s*[)）]\s*$")


def weight_in_label(raw: Any) -> tuple[str, float, str] | None:
    """(the name, the weight, the bracket stating it) of a label that ends in its weight
    ("决策（20分）" → "决策", 20.0, "（20分）"); None for any other value."""
    if not isinstance(raw, str) or not raw.rstrip().endswith(("）", ")")):  # most labels: no search
        return None
    found = WEIGHT_IN_LABEL.search(raw)
    if found is None:
        return None
    return raw[: found.start()].rstrip(), float(found.group(1)), found.group(0).strip()


def stated_weights(rows: list[dict[str, Cell]], keys: tuple[str, ...] = ("level1", "level2")) -> None:
    """Upper-level labels that state their weight ("决策（20分）", "目标设定（5分）", as many score
    sheets write them): the label keeps its name ("决策"), and the weight it states becomes the
    row's `<key>_weight` cell, at the label (W11 checks it against the 三级 weights below it)."""
    for row in rows:
        for key in keys:
            cell = row.get(key)
            if cell is None:
                continue
            split = weight_in_label(cell[3])
            if split is None or not split[0].strip():
                continue
            name, weight, stated = split
            row[key] = cell.replace(raw=name)
            row[f"{key}_weight"] = cell.replace(raw=stated, number=weight)
