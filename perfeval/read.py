"""Read one filled workbook by its labels, as the contract says (docs/contract.md).

python-calamine reads .xlsx/.xlsm/.xlsb/.xls/.ods; formulas are never evaluated and their
cached values are never relied on: every total is recomputed from the typed inputs later.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import stat
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

from . import schema as S
from .forms import FormReader
from .formulas import formula_cells
from .grid import Grid, find_label, stated_weights, value_right_of, weight_in_label
from .guard import MAX_FILE_BYTES, inspect_container, too_large
from .model import Cell, Hit, Note, Row, WorkbookData, a1
from .profiles import CONTRACT, Profile, closest, header_synonyms, nearest
from .values import (
    BLANK_CHARS,
    MAX_NUMBER,
    Parsed,
    clean_text,
    is_not_applicable,
    normalize_label,
    normalize_nature,
    parse_money,
    parse_number,
    parse_rate,
    quote,
)

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
HEADER_SCAN_ROWS = 20
# Words evaluators type in money cells to mean "nothing": read as blank, with a hint.
NIL_WORDS = ("—", "——", "-", "－", "/", "／", "无", "空")
# A percentage typed as text the way the template asks for it (`76%`, `157.7 ％`): read silently.
PLAIN_PERCENT = re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+) ?[%％]$")  # ASCII digits only


class Opened(NamedTuple):
    """A workbook opened: its contract sheets, or the reason it cannot be read."""

    grids: dict[str, Grid]  # the contract sheets to read, by their names in the file
    error: str | None
    names: list[str]  # every sheet of the workbook, in order
    candidates: dict[str, list[str]]  # contract sheet → the file's sheets that are it (see contract_sheets)
    stray: tuple[tuple[str, int, int], ...]  # (sheet, row, column): stray cells left unread (see guard)


def open_workbook(content: bytes, suffix: str, max_bytes: int = MAX_FILE_BYTES) -> Opened:
    """The contract's sheets of a workbook given as its bytes (`suffix`: its file's
    extension, as the file is named), or the reason (in Chinese) it cannot be read. Nothing is
    read from disk."""
    import python_calamine as pc

    reason = _wrong_file(content, suffix)
    if reason:
        return Opened({}, reason, [], {}, ())
    checked = inspect_container(content, max_bytes, load=lambda sheet: normalize_label(sheet) in S.CONTRACT_SHEETS)
    if checked.reason:
        return Opened({}, checked.reason, [], {}, ())
    try:
        # the guard's copy where it took stray cells out, else the bytes as they are
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(checked.content or content))
        names = list(wb.sheet_names)
        candidates = contract_sheets(names)
        grids: dict[str, Grid] = {}
        for found in candidates.values():
            name = found[0]  # instructions, covers, notes, a second 资金情况: never read, so never paid for
            sheet = wb.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False)  # fresh lists: Grid may fill merges in place
            merged = sheet.merged_cell_ranges or ()
            grids[name] = Grid(name, rows, merged, checked.sheets.get(name))
        stray = tuple(s for s in checked.stray if s[0] in grids)
        return Opened(grids, None, names, candidates, stray)
    except pc.PasswordError:
        return Opened({}, "文件已加密（设有打开密码），请去掉密码后重新提交", [], {}, ())
    except (pc.ZipError, pc.XmlError, pc.CalamineError) as exc:
        if str(exc).strip() == "Cannot detect file format":  # what calamine says of bytes no reader of it takes
            encrypted = "、设有打开密码" if content.startswith(b"\xd0\xcf\x11\xe0") else ""
            return Opened({}, f"文件已损坏{encrypted}或不是有效的工作簿（无法识别文件格式）", [], {}, ())
        # calamine says what it met in English: the finding says which kind of damage
        kind = (
            "不是完整的 xlsx/zip 文件"
            if isinstance(exc, pc.ZipError)
            else "工作表内容（XML）有误"
            if isinstance(exc, pc.XmlError)
            else "无法解析其中的工作表"
        )
        return Opened({}, f"文件已损坏或不是有效的工作簿（{kind}），请用 Excel 或 WPS 打开后重新保存", [], {}, ())
    except Exception as exc:  # noqa: BLE001 - a bad file is a finding, never a stopped batch
        return Opened({}, f"无法读取工作簿（内部错误 {type(exc).__name__}），请用 Excel 或 WPS 打开后重新保存", [], {}, ())


def contract_sheets(names: list[str]) -> dict[str, list[str]]:
    """Contract sheet → the workbook's sheets that are it once spaces, `*` and units are
    ignored, the one to read first: the sheet named exactly so, else the first of them in the
    workbook. More than one is S02 (see Reader.read): which is meant cannot be known."""
    found: dict[str, list[str]] = {}
    for name in names:
        label = normalize_label(name)
        if label in S.CONTRACT_SHEETS:
            found.setdefault(label, []).append(name)
    for label, same in found.items():
        if label in same[1:]:
            same.remove(label)
            same.insert(0, label)
    return found


_KINDS = (
    (stat.S_ISFIFO, "命名管道"),
    (stat.S_ISSOCK, "套接字"),
    (stat.S_ISCHR, "设备文件"),
    (stat.S_ISBLK, "设备文件"),
    (stat.S_ISDIR, "文件夹"),
)


def not_regular(mode: int) -> str | None:
    """Why a file of this `st_mode` is never read (a pipe, a socket, a device …), or None for a
    regular file. Such a file is never opened: opening a pipe waits for a writer forever,
    and a device such as /dev/zero never ends."""
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), "特殊文件")
    return f"不是普通文件（是{kind}），不读取；请提交工作簿文件本身"


# A pipe that takes the place of the file between the check and the open cannot block it.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def read_bytes(path: Path, max_bytes: int = MAX_FILE_BYTES) -> tuple[bytes | None, str | None]:
    """(The file's bytes, None), read with one open and never more than max_bytes + 1 bytes;
    or (None, the reason in Chinese it cannot be read: not a regular file, too large, cannot
    be opened). An empty file is b"" (the reader says it is empty)."""
    try:
        st = os.stat(path)
        reason = not_regular(st.st_mode)
        if reason:
            return None, reason
        if st.st_size > max_bytes:
            return None, too_large(st.st_size, max_bytes)
        with open(os.open(path, _OPEN_FLAGS), "rb") as fh:
            st = os.fstat(fh.fileno())  # the file opened, which may not be the one looked at
            reason = not_regular(st.st_mode)
            if reason:
                return None, reason
            data = fh.read(min(st.st_size, max_bytes) + 1)  # one byte more shows a file that grew
            if st.st_size < len(data) <= max_bytes:
                data += fh.read(max_bytes + 1 - len(data))
    except OSError as exc:
        return None, f"无法打开文件（{exc.strerror or exc}）"
    if len(data) > max_bytes:
        return None, too_large(max(st.st_size, len(data)), max_bytes)
    return data, None


def _wrong_file(content: bytes, suffix: str) -> str | None:
    """Why the file is not a workbook by its first bytes, or None."""
    head = content[:8]
    if not content:
        return "文件为空（0 字节）"
    suffix = suffix.lower()
    if head.startswith(b"\xd0\xcf\x11\xe0") and suffix in (".xlsx", ".xlsm", ".xlsb"):
        # An OOXML file wrapped in an OLE container is how Office stores an encrypted workbook.
        return "文件已加密（设有打开密码），请去掉密码后重新提交"
    if suffix in (".xlsx", ".xlsm", ".xlsb", ".ods") and not head.startswith(b"PK"):
        return "文件内容不是工作簿（扩展名与内容不符，可能是改了扩展名的其他文件）"
    if suffix == ".xls" and not head.startswith(b"\xd0\xcf\x11\xe0"):
        if head.startswith(b"PK"):
            return "文件实际是 .xlsx 格式却以 .xls 为扩展名，请改为 .xlsx 后重新提交"
        return "文件内容不是工作簿（扩展名与内容不符，可能是改了扩展名的其他文件）"
    return None


def find_header(grid: Grid, table: S.Table, start: int = 0, stop: int | None = None) -> tuple[int, dict[str, int]] | None:
    """The header row of `table` (the row holding most of its labels) and column positions."""
    best: tuple[int, dict[str, int]] | None = None
    labels = {c.label: c.id for c in table.columns}
    synonyms = {other: labels[label] for other, label in header_synonyms().items() if label in labels}
    end = grid.height if stop is None else min(stop, grid.height)
    for r in range(start, end):
        found: dict[str, int] = {}
        others: dict[str, int] = {}  # by another form's header: where the contract's is not in the row
        for c, text in grid.row_labels(r):
            key = labels.get(text)
            if key and key not in found:
                found[key] = c
            elif key is None and text in synonyms:
                others.setdefault(synonyms[text], c)
        for key, c in others.items():
            found.setdefault(key, c)
        if len(found) >= 2 and (best is None or len(found) > len(best[1])):
            best = (r, found)
    return best


LAYOUT_SHEETS = 3  # of a workbook in another layout, the sheets whose labels are compared
LAYOUT_ROWS = 200  # and their rows


def layout_grids(content: bytes, max_bytes: int, names: list[str]) -> list[Grid]:
    """The first sheets of a workbook, to tell its layout and read a one-sheet form: read
    only where it holds none of the contract's sheets, through the same guard."""
    import python_calamine as pc

    first = set(names[:LAYOUT_SHEETS])
    checked = inspect_container(content, max_bytes, load=lambda sheet: sheet in first)
    if checked.reason:
        return []
    grids: list[Grid] = []
    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(checked.content or content))
        for name in names[:LAYOUT_SHEETS]:
            sheet = wb.get_sheet_by_name(name)
            grids.append(Grid(name, sheet.to_python(skip_empty_area=False), sheet.merged_cell_ranges or (), checked.sheets.get(name)))
    except Exception:  # noqa: BLE001 - only a hint: a sheet that cannot be read tells nothing
        return grids
    return grids


def layout_labels(grids: list[Grid]) -> set[str]:
    """The labels (normalized texts) of the sheets' first rows, to tell their layout."""
    labels: set[str] = set()
    for grid in grids:
        labels.update(label for label, (r, _) in grid.labels().items() if r < LAYOUT_ROWS)
    return labels


def _other_layout(profile: Profile, found: list[str]) -> str:
    """S02's message for a workbook recognised as another layout than the contract's."""
    shown = "、".join(f"“{x}”" for x in found[:4]) + (f"等 {len(found)} 个" if len(found) > 4 else "")
    return (
        f"此工作簿是“{profile.name}”（含该表样的标签{shown}），perfeval 目前只能读取 perfeval-v1 模板"
        f"（工作表：{'、'.join(S.CONTRACT_SHEETS)}），不能直接读取这种表样，不计算得分；"
        "请把内容转填到模板（perfeval template 生成）后重新提交"
    )


def _missing_sheet(sheet: str, names: list[str]) -> str:
    """S02's message: the sheet is missing; where another sheet's name is close, it is named."""
    others = {normalize_label(n): clean_text(n) for n in names if normalize_label(n) not in S.CONTRACT_SHEETS}
    close = difflib.get_close_matches(sheet, list(others), n=1, cutoff=0.6)
    if close:
        return f"找不到工作表“{sheet}”；工作簿中有“{quote(others[close[0]], 40)}”，是否就是它？请改名为“{sheet}”"
    return f"缺少工作表“{sheet}”，请使用 {S.TEMPLATE_VERSION} 模板填报"


def _ambiguous_sheet(sheet: str, same: list[str]) -> str:
    """S02's message where several sheets are `sheet` once spaces are ignored."""
    shown = "、".join(_shown_name(n) for n in same)
    others = "、".join(_shown_name(n) for n in same[1:])
    return (
        f"工作簿中有 {len(same)} 张工作表去掉空格后都是“{sheet}”：{shown}，无法确定哪一张是要填报的；"
        f"已读取{_shown_name(same[0])}，未读取{others}。请核对后删除多余的工作表，或把它改为其他名称"
    )


def _shown_name(name: str) -> str:
    """A sheet's name in quotes, with the spaces one cannot see in it said in words."""
    said = []
    if name[:1] in BLANK_CHARS:
        said.append("开头有空格")
    if name[-1:] in BLANK_CHARS:
        said.append("末尾有空格")
    if "\u3000" in name:
        said.append("含全角空格")
    elif any(ch in BLANK_CHARS for ch in name.strip(BLANK_CHARS)):
        said.append("中间有空格")
    return f"“{name}”" + (f"（{'，'.join(said)}）" if said else "")


def _not_applicable(row: Row, filled: set[str], content_ids: list[str]) -> bool:
    """Every filled content cell of an indicator row says it does not apply (`/`, `—`, `无` …)."""
    content = [k for k in content_ids if k in filled]
    return bool(content) and all(is_not_applicable(row[k].raw) for k in content)


class Reader:
    def __init__(
        self, path: Path, file: str, max_bytes: int = MAX_FILE_BYTES, content: bytes | None = None, profiles: tuple[Profile, ...] = ()
    ):
        self.data = WorkbookData(path=path, file=file)
        self.max_bytes = max_bytes
        self.content = content
        self.profiles = profiles  # the user's layouts (profiles.load_file), after the shipped ones

    def note(self, code: str, cell: Cell, message: str, filled: str = "") -> None:
        self.data.notes.append(Note(code, Hit(cell.sheet, cell.row, cell.col, message, filled)))

    def typed(self, cell: Cell, kind: S.Kind, label: str) -> Cell:
        """Parse a cell of a numeric kind, noting S07/S08 on the way."""
        if kind is S.Kind.TEXT or kind is S.Kind.MIXED:
            return cell
        raw = cell[3]
        if raw.__class__ is float and kind is not S.Kind.RATE and -MAX_NUMBER <= raw <= MAX_NUMBER:
            # a number typed as a number, as nearly all are: nothing to parse, nothing to note
            return tuple.__new__(Cell, (cell[0], cell[1], cell[2], raw, raw, False))
        if cell.blank:
            return cell
        if kind is S.Kind.MONEY:
            p = parse_money(raw)
            if p.status == "not_number" and clean_text(raw) in NIL_WORDS:
                self.note("S07", cell, f"“{label}”填写了“{clean_text(raw)}”，按空白读取；没有金额请填 0.00", clean_text(raw))
                return Cell(cell.sheet, cell.row, cell.col, None, None)
        elif kind is S.Kind.RATE:
            p = parse_rate(raw)
        elif kind is S.Kind.INTEGER and isinstance(raw, (datetime, date)):
            # a year typed as a date (Excel turns "2023-1" into one): its year is meant
            self.note("S07", cell, f"“{label}”填写的是日期（{raw:%Y-%m-%d}），已按 {raw.year} 读取；请直接填写年份数字", str(raw))
            return Cell(cell.sheet, cell.row, cell.col, cell.raw, float(raw.year))
        else:
            p = parse_number(raw)
        return self._record(cell, p, label, kind)

    def _record(self, cell: Cell, p: Parsed, label: str, kind: S.Kind) -> Cell:
        if p.status == "out_of_range":
            # no real figure is this large, and a few of them would add up to inf: not a number
            text = clean_text(cell.raw)
            unit = "（金额以万元为单位）" if kind is S.Kind.MONEY else ""
            self.note(
                "S08",
                cell,
                f"“{label}”填写的“{quote(text, 50)}”数值超出可能范围（绝对值超过 10 的 15 次方），无法参与计算；请核对并改为正确的数字{unit}",
                text,
            )
            return Cell(cell.sheet, cell.row, cell.col, cell.raw, None)
        if p.status == "not_number":
            text = clean_text(cell.raw)
            self.note("S08", cell, f"“{label}”应填数字，但填写了“{quote(text, 50)}”，请改为数字", text)
            return Cell(cell.sheet, cell.row, cell.col, cell.raw, None)
        if p.status == "text_number" and p.number is not None:
            text = clean_text(cell.raw)
            if kind is S.Kind.RATE and PLAIN_PERCENT.match(text):
                return Cell(cell.sheet, cell.row, cell.col, cell.raw, p.number)
            shown = f"{p.number * 100:g}%" if kind is S.Kind.RATE else f"{p.number:g}"
            self.note("S07", cell, f"“{label}”的数字以文本形式填写（“{quote(text, 50)}”），已按 {shown} 读取；建议改为数值格式", text)
        return Cell(cell.sheet, cell.row, cell.col, cell.raw, p.number)

    # --- sheets -------------------------------------------------------------------------

    def read(self) -> WorkbookData:
        content = self.content
        if content is None:
            content, reason = read_bytes(self.data.path, self.max_bytes)
            if content is None:
                self.data.read_error = reason
                return self.data
        opened = open_workbook(content, self.data.path.suffix, self.max_bytes)
        if opened.error:
            self.data.read_error = opened.error
            return self.data
        grids = opened.grids
        self.data.sheets = list(grids)
        if not opened.candidates:  # none of the contract's sheets: perhaps another layout
            layout = layout_grids(content, self.max_bytes, opened.names)
            labels = layout_labels(layout)
            match = closest(labels, self.profiles)
            if match is not None and match[0].form is not None:
                profile = match[0]
                grid = max(layout, key=lambda g: len(profile.found(layout_labels([g]))))  # the first of the best
                FormReader(self, grid, profile).read()
                return self.data
            if match is not None and not match[0].readable:
                profile, found = match
                self.data.profile = profile.id
                self.data.recognised_only = True
                self.note("S02", Cell(opened.names[0] if opened.names else ""), _other_layout(profile, found))
                return self.data
            near = nearest(labels, self.profiles)
            if near is not None and near[0].id != CONTRACT:  # too little of it to say: named, with what it lacks
                profile, found = near
                missing = [s for s in profile.signature if s not in found]
                self.note(
                    "S02",
                    Cell(opened.names[0] if opened.names else ""),
                    f"工作簿不是 {S.TEMPLATE_VERSION} 模板；最接近的表样是“{profile.name}”，但只找到它的 {len(found)} 个标签"
                    f"（缺{'、'.join(f'“{x}”' for x in missing[:5])}{'等' if len(missing) > 5 else ''}），无法确定，不计算得分；"
                    f"请使用 {S.TEMPLATE_VERSION} 模板填报，或使用该表样的完整格式",
                )
        else:
            self.data.profile = CONTRACT
        for sheet in S.CONTRACT_SHEETS:
            same = opened.candidates.get(sheet)
            if not same:
                self.note("S02", Cell(sheet), _missing_sheet(sheet, opened.names))
                continue
            grid = grids[same[0]]
            if len(same) > 1:
                # located at a sheet not read, never at `sheet`: S02 there would mean it is missing
                self.note("S02", Cell(same[1]), _ambiguous_sheet(sheet, same))
            self._stray(grid, [(r, c) for name, r, c in opened.stray if name == grid.name])
            grid.name = sheet if sheet == same[0] else grid.name
            getattr(
                self,
                "_read_"
                + {
                    S.SHEET_INFO: "info",
                    S.SHEET_FUNDS: "funds",
                    S.SHEET_GOALS: "goals",
                    S.SHEET_SCORES: "scores",
                    S.SHEET_CONCLUSION: "conclusion",
                }[sheet],
            )(grid)
        return self.data

    def _stray(self, grid: Grid, cells: list[tuple[int, int]]) -> None:
        """S07 for the stray cells the guard took out of a sheet (far outside its tables)."""
        if not cells:
            return
        refs = [a1(r, c) for r, c in cells]
        shown = "、".join(refs[:10]) + (f" 等 {len(refs)} 个单元格" if len(refs) > 10 else "")
        self.note(
            "S07",
            Cell(grid.name, *cells[0]),
            f"工作表“{grid.name}”表格以外远处的 {shown} 有内容，已忽略、未读取（远超评价表的范围，读取会占用大量内存）；请删除表格以外的多余内容",
        )

    def _form(self, grid: Grid, fields: Iterable[S.Field]) -> Row:
        out: Row = {}
        for f in fields:
            pos = find_label(grid, f.label)
            if pos is None:
                continue
            out[f.id] = self.typed(value_right_of(grid, *pos), f.kind, f.label)
        return out

    def _read_info(self, grid: Grid) -> None:
        self.data.info = self._form(grid, S.INFO_FIELDS)

    def _table(
        self, grid: Grid, table: S.Table, start: int = 0, stop: int | None = None, optional: bool = False, later: tuple[str, ...] = ()
    ) -> tuple[int, dict[str, int]] | None:
        """The header of `table` (S03 where it, or a column of it, is missing; the columns in
        `later` are the caller's to report, see _missing_column)."""
        header = find_header(grid, table, start, stop)
        if header is None:
            if not optional:
                self.note("S03", Cell(grid.name), f"“{grid.name}”找不到表头行（应含：{'、'.join(table.labels)}）")
            return None
        r, cols = header
        for col in table.columns:
            if col.id not in cols and col.id not in later:
                self._missing_column(grid, r, col.label)
        return header

    def _missing_column(self, grid: Grid, r: int, label: str) -> None:
        self.note("S03", Cell(grid.name, r + 1, 0), f"“{grid.name}”表头（第 {r + 1} 行）缺少列“{label}”")

    def _rows(self, grid: Grid, table: S.Table, cols: dict[str, int], first: int, stop: int) -> list[tuple[int, Row, set[str]]]:
        """The rows of a table between `first` and `stop` (0-based, stop exclusive) that hold
        anything: (row, {column id: cell}, the ids of its cells that are not blank)."""
        out = []
        positions = [(col.id, cols[col.id]) for col in table.columns if col.id in cols]
        rows = grid.rows
        for r in range(first, min(stop, grid.height)):
            values = rows[r]
            width = len(values)
            if values.count("") == width:
                continue  # one of the template's empty rows (calamine gives "" for an empty cell)
            # not is_blank(value), spelled out: this runs for every cell of every table
            filled = {
                k for k, c in positions if c < width and (v := values[c]) is not None and (not isinstance(v, str) or v.strip(BLANK_CHARS))
            }
            if filled:  # else a row of blanks (spaces, …) in the table's columns: nothing to keep
                out.append((r, grid.row_cells(r, positions), filled))
        return out

    def _read_funds(self, grid: Grid) -> None:
        header = self._table(grid, S.FUNDS_TABLE, 0, HEADER_SCAN_ROWS)
        self.data.funds_fields = self._form(grid, S.FUNDS_FIELDS)
        if header is None:
            return
        hr, cols = header
        self.data.funds_header_row, self.data.funds_columns = hr + 1, {k: v + 1 for k, v in cols.items()}
        if "item" not in cols:
            return
        kinds = {c.id: c for c in S.FUNDS_TABLE.columns}
        formulas = (
            formula_cells(self.data.path, grid.source_name, grid.xml)
            if self.data.path.suffix.lower() in (".xlsx", ".xlsm", ".ods")
            else None  # .xls, .xlsb: which cells hold formulas cannot be told (formula_cells says None)
        )
        for _, row, _ in self._rows(grid, S.FUNDS_TABLE, cols, hr + 1, grid.height):
            label = normalize_label(row["item"].raw)
            if label not in S.FUNDS_ROWS or label in self.data.funds:
                continue
            cells = {}
            for k, cell in row.items():
                if formulas and (cell.row, cell.col) in formulas:
                    # a formula's cached value is not an input: keep it, marked, unparsed
                    cells[k] = cell.replace(formula=True, number=parse_money(cell.raw).number)
                else:
                    cells[k] = self.typed(cell, kinds[k].kind, f"{label}·{kinds[k].label}")
            self.data.funds[label] = cells
        for label in S.FUNDS_ROWS:
            if label not in self.data.funds and label != S.TOTAL_ROW:
                self.note("S03", Cell(grid.name, 0, cols["item"] + 1), f"“资金情况”缺少“{label}”行")

    def indicator_rows(
        self,
        grid: Grid,
        table: S.Table,
        carry: tuple[str, ...],
        later: tuple[str, ...] = (),
        header: tuple[int, dict[str, int]] | None = None,
        totals: tuple[str, ...] = S.TOTAL_LABELS,
        label_ids: tuple[str, ...] = (),
    ) -> tuple[int, dict[str, int], list[Row], int] | None:
        """Rows of an indicator table; blank upper-level cells (`carry`) inherit the label
        above them. It ends at a row whose labels (`label_ids`, else `carry`) are one of
        `totals`. `header`: found by the caller (else the contract's, in the first rows)."""
        header = header or self._table(grid, table, 0, HEADER_SCAN_ROWS, later=later)
        if header is None:
            return None
        hr, cols = header
        rows: list[Row] = []
        last: dict[str, Cell] = {}
        total_row = 0
        label_ids = label_ids or carry
        content_ids = [c.id for c in table.columns if c.id not in label_ids and c.id != "seq"]
        for r, row, filled in self._rows(grid, table, cols, hr + 1, grid.height):
            first_label = next((normalize_label(row[k].raw) for k in label_ids if k in filled), "")
            if first_label in totals and all(normalize_label(row[k].raw) in totals for k in label_ids if k in filled):
                total_row = r + 1
                break
            if not any(k in filled for k in content_ids) and not any(k in filled for k in label_ids):
                continue
            applies = not _not_applicable(row, filled, content_ids)
            if not applies:
                # "does not apply" in every cell (the national form's "指标1:/" rows): not an
                # indicator, so no rule sees its cells; a real upper-level label on it still counts
                for k in [k for k in filled if k in content_ids or is_not_applicable(row[k].raw)]:
                    cell = row[k]
                    row[k] = Cell(cell.sheet, cell.row, cell.col, None)
                    filled.discard(k)
            for k in carry:
                if k in row:
                    if k not in filled and k in last:
                        row[k] = last[k]
                    elif k in filled:
                        prev = last.get(k)
                        if prev is None or (prev.row, prev.col) != (row[k].row, row[k].col):
                            # a new upper-level cell starts afresh below it
                            for lower in carry[carry.index(k) + 1 :]:
                                last.pop(lower, None)
                        last[k] = row[k]
            if applies or any(k in filled for k in carry):
                rows.append(row)
        return hr, cols, rows, total_row

    def _read_goals(self, grid: Grid) -> None:
        got = self.indicator_rows(grid, S.GOALS_TABLE, ("goal", "level1", "level2"))
        if got is None:
            return
        hr, cols, rows, _ = got
        self.data.goals_header_row, self.data.goals_columns = hr + 1, {k: v + 1 for k, v in cols.items()}
        for row in rows:
            if normalize_nature(row["nature"].raw if "nature" in row else "") in ("≥", "≤", "="):
                for key, label in (("target", "指标值"), ("actual", "实际完成值")):
                    cell = row.get(key)
                    if cell is None or cell.blank:
                        continue
                    p = parse_number(cell.raw)
                    if p.status in ("text_number", "out_of_range"):
                        self._record(cell, p, label, S.Kind.NUMBER)
                    row[key] = Cell(cell.sheet, cell.row, cell.col, cell.raw, p.number)
        self.data.goals = rows

    def _read_scores(self, grid: Grid) -> None:
        got = self.indicator_rows(grid, S.SCORES_TABLE, ("level1", "level2"), later=("weight",))
        if got is None:
            return
        hr, cols, rows, total_row = got
        if "weight" not in cols and not self._weights_in_labels(grid, cols, rows):
            self._missing_column(grid, hr, "分值")
        self.data.scores_header_row, self.data.scores_columns = hr + 1, {k: v + 1 for k, v in cols.items()}
        self.data.scores_total_row = total_row
        stated_weights(rows)
        for row in rows:
            for key, label in (("weight", "分值"), ("score", "得分")):
                if key in row:
                    row[key] = self.typed(row[key], S.Kind.NUMBER, label)
        # a row with only a level label carried in and nothing else is not an indicator
        self.data.scores = [
            row for row in rows if any(not row[k].blank for k in ("level3", "weight", "score", "criteria", "reason") if k in row)
        ]

    def _weights_in_labels(self, grid: Grid, cols: dict[str, int], rows: list[Row]) -> bool:
        """No 分值 column: the weights written in the 三级 labels ("绩效目标合理性（3分）", as
        many score sheets have them), where every indicator's label has one. They become its
        分值 cells (at the label), with one S07 saying so; False where any label lacks one."""
        if "level3" not in cols:
            return False
        weights: list[tuple[Row, Cell, str, float]] = []
        for row in rows:
            label = row.get("level3")
            split = weight_in_label(label.raw) if label is not None else None
            if label is None or split is None:
                if label is not None and not label.blank or any(not row[k].blank for k in ("score", "criteria") if k in row):
                    return False
                continue  # an upper-level label alone on its row
            weights.append((row, label, split[0], split[1]))
        if not weights:
            return False
        for row, label, name, weight in weights:
            row["weight"] = Cell(label.sheet, label.row, label.col, weight, weight)
            # the label keeps its name: "绩效目标合理性（3分）" is the indicator 绩效目标合理性
            row["level3"] = label.replace(raw=name)
        cols["weight"] = cols["level3"]
        first = weights[0][1]
        self.note(
            "S07",
            first,
            f"“{grid.name}”没有“分值”列，分值按三级指标名称中的“（N分）”读取（如 {first.ref}“{clean_text(first.raw)}”）；"
            "建议按模板填在“分值”列",
            clean_text(first.raw),
        )
        return True

    def _read_conclusion(self, grid: Grid) -> None:
        self.data.conclusion = self._form(grid, S.CONCLUSION_FIELDS)
        items = self._table(grid, S.ITEMS_TABLE)
        analysis = self._table(grid, S.ANALYSIS_TABLE, optional=True)
        if items is not None:
            hr, cols = items
            stop = analysis[0] if analysis is not None and analysis[0] > hr else grid.height
            self.data.items += [row for _, row, _ in self._rows(grid, S.ITEMS_TABLE, cols, hr + 1, stop)]
        if analysis is not None:
            hr, cols = analysis
            stop = items[0] if items is not None and items[0] > hr else grid.height
            for _, row, _ in self._rows(grid, S.ANALYSIS_TABLE, cols, hr + 1, stop):
                label = normalize_label(row["level1"].raw) if "level1" in row else ""
                if "reported_score" in row:
                    row["reported_score"] = self.typed(row["reported_score"], S.Kind.NUMBER, f"{label}·报告得分")
                if "reported_rate" in row:
                    row["reported_rate"] = self.typed(row["reported_rate"], S.Kind.RATE, f"{label}·报告得分率")
                self.data.analysis.append(row)


def read_workbook(
    path: Path, file: str | None = None, max_bytes: int = MAX_FILE_BYTES, content: bytes | None = None, profiles: tuple[Profile, ...] = ()
) -> WorkbookData:
    """Read one workbook; problems become notes or `read_error`, never exceptions.

    `content`: the file's bytes, already read (see read_bytes): then nothing is read from
    disk, so that a caller can hash and parse the very same bytes. Without it the file is
    read once, with read_bytes. `profiles`: the user's layouts, to tell a workbook in one."""
    return Reader(path, file or path.name, max_bytes, content, profiles).read()
