"""Read a one-sheet 自评表 (the national form, the provinces' exports) into the model, by its
profile's `Form`: which labels on the form stand for which of the model's figures.

The result is the same `WorkbookData` the contract's reader makes, its cells at their places
on the form, so that every rule and output works on it and every finding points at the cell
to fix. What a form does not have stays absent, never 0: without an 实际到位 column there is no
到位率 or 结余 (one S07 says so). The form's own ways of writing are read as it means them:
its funds rows (本年财政拨款 …) are the department's sources, its scored 执行率 block is a
scoring row, a target's direction and unit sit inside it ("≥50人次"), its 总分 is the score
the department reported, and a text cell still holding the form's printed instruction is empty.
"""

from __future__ import annotations

import re
from typing import Protocol

from . import schema as S
from .formulas import formula_cells
from .grid import Grid, stated_weights, value_right_of
from .model import Cell, Row, WorkbookData
from .profiles import Labels, Profile
from .values import clean_text, normalize_label, normalize_nature, parse_money, split_value


class Reader(Protocol):
    """What a form is read with: read.Reader's reading of cells and tables (a form's cells
    are parsed, and its problems noted, as the contract's are)."""

    data: WorkbookData

    def note(self, code: str, cell: Cell, message: str, filled: str = "") -> None: ...

    def typed(self, cell: Cell, kind: S.Kind, label: str) -> Cell: ...

    def indicator_rows(
        self,
        grid: Grid,
        table: S.Table,
        carry: tuple[str, ...],
        later: tuple[str, ...] = (),
        header: tuple[int, dict[str, int]] | None = None,
        totals: tuple[str, ...] = S.TOTAL_LABELS,
        label_ids: tuple[str, ...] = (),
    ) -> tuple[int, dict[str, int], list[Row], int] | None: ...


FLAT_LEVEL1 = "绩效指标"  # the 一级 of a flat list's indicators, as the forms head the block
# the scoring row a form's scored 执行率 block becomes (一级, 二级, 三级): W09 knows its name
EXECUTION_LEVELS = ("预算执行", "预算执行率", "预算执行率")
# the label of a funds row in a form: "其中：本年财政拨款" is the row 本年财政拨款
_SUB_ROW = re.compile(r"^(?:其中|按收入性质分|按支出性质分|按资金来源分)[:：]?")
# an unfilled indicator row of the national form: "指标1:" with "/" in every other cell
_PLACEHOLDER_NAME = re.compile(r"^指标\d+[:：]?$")
_YEAR_IN_TITLE = re.compile(r"((?:19|20)\d{2})\s*年度")  # "（2022年度）"; not a date such as "2024年3月"
_CODE_PREFIX = re.compile(r"^\s*(\d{3,})\s*[-－—_]\s*(\S.*)$")
TITLE_ROWS = 3  # rows where a form's title (and the year in it) may stand


class FormReader:
    """Fills `reader.data` from the grid of a one-sheet form in `profile`'s layout."""

    def __init__(self, reader: Reader, grid: Grid, profile: Profile):
        assert profile.form is not None
        self.reader, self.grid, self.profile, self.form = reader, grid, profile, profile.form
        self.data = reader.data
        self.execution_row: Row | None = None  # the scored 执行率 block, once read (_execution)

    def read(self) -> None:
        data, form = self.data, self.form
        data.profile = self.profile.id
        data.sheets = [self.grid.name]
        data.funds_sources = tuple(form.labels("funds", "sources"))
        self._info()
        indicators = self._header(dict(form.indicators), 0, 3, must="level3")
        goal = self._find(form.labels("goal", "planned"))
        # the funds block ends where the goals or the indicators begin
        stop = min(x[0] for x in (indicators, goal, (self.grid.height,)) if x is not None)
        self._funds(stop)
        self._indicators(indicators)
        self._conclusion()

    # --- where things are ---------------------------------------------------------------

    def _find(self, labels: Labels, start: int = 0) -> tuple[int, int] | None:
        """The first cell at or below row `start` whose text is one of `labels`."""
        at = self.grid.labels()
        found = [at[label] for label in labels if label in at and at[label][0] >= start]
        return min(found) if found else None

    def _value(self, labels: Labels) -> Cell | None:
        pos = self._find(labels)
        return None if pos is None else value_right_of(self.grid, *pos)

    def _header(
        self, mapping: dict[str, Labels], start: int, need: int, stop: int | None = None, must: str = ""
    ) -> tuple[int, dict[str, int]] | None:
        """The first row from `start` (before `stop`) holding at least `need` of the mapped
        labels, `must` among them: (row, {field: column}), the first column of a label where it
        appears twice."""
        for r in range(start, self.grid.height if stop is None else min(stop, self.grid.height)):
            found: dict[str, int] = {}
            for c, text in self.grid.row_labels(r):
                for key, labels in mapping.items():
                    if key not in found and text in labels:
                        found[key] = c
                        break
            if len(found) >= need and (not must or must in found):
                return r, found
        return None

    # --- the parts of a form ------------------------------------------------------------

    def _info(self) -> None:
        reader, grid, info = self.reader, self.grid, self.data.info
        for key, labels in self.form.info:
            cell = self._value(labels)
            if cell is None:
                continue
            field = next(f for f in S.INFO_FIELDS if f.id == key)
            info[key] = reader.typed(cell, field.kind, field.label)
        name = info.get("name")
        m = _CODE_PREFIX.match(name.text) if name is not None else None
        if name is not None and m is not None:
            # "219-某镇人民政府": the budget system's unit code before the name
            info["name"] = name.replace(raw=m.group(2))
            if "code" not in info or info["code"].blank:
                info["code"] = name.replace(raw=m.group(1))
        if "year" not in info or info["year"].blank:
            for r in range(min(TITLE_ROWS, grid.height)):
                for c, raw in enumerate(grid.rows[r]):
                    found = _YEAR_IN_TITLE.search(raw) if isinstance(raw, str) else None
                    if found:
                        info["year"] = Cell(grid.name, r + 1, c + 1, clean_text(raw), float(found.group(1)))
                        break
                if "year" in info and not info["year"].blank:
                    break
        if self.form.eval_type and ("eval_type" not in info or info["eval_type"].blank):
            info["eval_type"] = Cell(grid.name, 0, 0, self.form.eval_type)  # what the form is; no cell holds it

    def _funds(self, stop: int) -> None:
        """The funds block: its header, then its rows down to `stop` (0-based, exclusive)."""
        reader, grid, data = self.reader, self.grid, self.data
        columns = {k: v for k, v in self.form.funds if k not in ("total", "sources")}
        money = [k for k in columns if k in S.MONEY_COLUMNS]
        if not money:
            return  # a layout with no funds block (a user's profile may have none)
        header = self._header(columns, 0, 2, stop)
        if header is None or sum(k in money for k in header[1]) < 2:
            reader.note(
                "S03",
                Cell(grid.name),
                f"“{self.profile.name}”找不到资金表的表头行（应含：{'、'.join(v[0] for k, v in columns.items() if v and k in money)}）",
            )
            return
        hr, cols = header
        left = min(cols.values())
        labelled = next((c for c, _ in grid.row_labels(hr) if c < left), None)
        item = labelled if labelled is not None else (left - 1 if left > 0 else None)
        total_labels = self.form.labels("funds", "total")
        sources = {normalize_label(s): s for s in data.funds_sources}
        formulas = formula_cells(data.path, grid.source_name, grid.xml) if data.path.suffix.lower() in (".xlsx", ".xlsm", ".ods") else None
        positions = [(k, c) for k, c in cols.items()] + ([("item", item)] if item is not None else [])
        for r in range(hr + 1, stop):
            row = grid.row_cells(r, positions)
            label = _SUB_ROW.sub("", normalize_label(row["item"].raw)) if "item" in row else ""
            has_money = any(not row[k].blank for k in money if k in row)
            if item is None:
                if not has_money:
                    continue
                name = S.TOTAL_ROW  # no row labels: the block's one row is the whole budget
            elif label in total_labels:
                name = S.TOTAL_ROW
            elif label in sources:
                name = sources[label]
            elif label in S.USE_ROWS:
                name = label  # 按支出性质分：基本支出、项目支出
            else:
                if label and any(parse_money(row[k].raw).number for k in money if k in row):  # zeros: nothing left out
                    reader.note(
                        "S07",
                        row["item"],
                        f"资金行“{row['item'].text}”不是“{self.profile.name}”的资金来源（{'、'.join(data.funds_sources) or '无'}），"
                        "未计入合计；它若是某一来源的明细可不理会，否则请核对合计",
                        row["item"].text,
                    )
                continue
            if name in data.funds:
                continue
            cells: Row = {"item": row["item"]} if "item" in row else {}
            for k in money:
                if k not in row:
                    continue
                cell = row[k]
                what = f"{name}·{next(f.label for f in S.FUNDS_TABLE.columns if f.id == k)}"
                if formulas and (cell.row, cell.col) in formulas:
                    cells[k] = cell.replace(formula=True, number=parse_money(cell.raw).number)
                else:
                    cells[k] = reader.typed(cell, S.Kind.MONEY, what)
            data.funds[name] = cells
            if name == S.TOTAL_ROW:
                self._execution(hr, cols, row)
            if item is None:
                break
        data.funds_header_row = hr + 1
        data.funds_columns = {k: c + 1 for k, c in cols.items() if k in S.MONEY_COLUMNS}
        if item is not None:
            data.funds_columns["item"] = item + 1
        if "received" not in cols:
            at = Cell(grid.name, hr + 1, left + 1)
            reader.note(
                "S07",
                at,
                f"“{self.profile.name}”没有“实际到位资金”列：资金到位率、结余资金和结余率无法计算，留空（不按 0 计）",
            )

    def _execution(self, hr: int, cols: dict[str, int], row: dict[str, Cell]) -> None:
        """The 执行率 block of the funds' total row: the rate the department reported, and the
        score it gave itself for it, a scoring row of its own."""
        reader, data = self.reader, self.data
        if "reported_rate" in row and not row["reported_rate"].blank:
            data.funds_fields["reported_execution_rate"] = reader.typed(row["reported_rate"], S.Kind.RATE, "报告预算执行率")
        if not any(k in row and not row[k].blank for k in ("weight", "score")):
            return
        anchor = cols.get("reported_rate", cols.get("weight", cols.get("score", 0)))
        at = self.grid.cell(hr, anchor)
        scores: Row = {
            key: at.replace(raw=label, number=None) for key, label in zip(("level1", "level2", "level3"), EXECUTION_LEVELS, strict=True)
        }
        for key, label in (("weight", "分值"), ("score", "得分")):
            if key in row:
                scores[key] = reader.typed(row[key], S.Kind.NUMBER, f"预算执行率·{label}")
        self.execution_row = scores

    def _indicators(self, header: tuple[int, dict[str, int]] | None) -> None:
        reader, grid, data, form = self.reader, self.grid, self.data, self.form
        mapping = dict(form.indicators)
        execution = self.execution_row
        if header is None:
            reader.note("S03", Cell(grid.name), f"“{self.profile.name}”找不到指标表的表头行（应含：{'、'.join(_first(mapping))}）")
            if execution is not None:
                data.scores = [execution]
            return
        hr, cols = header
        for key in ("weight", "score"):
            if key not in cols and mapping.get(key):
                reader.note("S03", Cell(grid.name, hr + 1, 0), f"指标表表头（第 {hr + 1} 行）缺少列“{mapping[key][0]}”")
        table = S.Table(grid.name, tuple(S.Field(labels[0], key) for key, labels in mapping.items() if labels))
        carry = tuple(k for k in ("level1", "level2") if k in cols)
        got = reader.indicator_rows(grid, table, carry, header=(hr, cols), totals=form.total, label_ids=(*carry, "level3"))
        assert got is not None
        _, _, rows, total_row = got
        goal = self._goal()
        stated_weights(rows)
        goals, scores = [], []
        flat = "level1" not in cols and "level2" not in cols
        for row in rows:
            name = row.get("level3")
            if name is None or name.blank or _PLACEHOLDER_NAME.match(normalize_label(name.raw)):
                continue  # an upper label alone, or the form's unfilled "指标1:" row
            goals.append(self._goal_row(row, goal))
            if flat:
                # a flat list (Chongqing) has no 一级: its indicators score as one group, named
                # as the forms head the indicator block (its goals have none: G06 asks nothing)
                row["level1"] = Cell(grid.name, hr + 1, cols["level3"] + 1, FLAT_LEVEL1)
            scores.append(self._score_row(row))
        data.goals_header_row = data.scores_header_row = hr + 1
        data.goals_columns = {k: c + 1 for k, c in cols.items() if k in {f.id for f in S.GOALS_TABLE.columns}}
        if goal is not None:
            data.goals_columns["goal"] = goal.col
        data.scores_columns = {k: c + 1 for k, c in cols.items() if k in ("level1", "level2", "level3", "weight", "score")}
        if "deviation" in cols:
            data.scores_columns["reason"] = cols["deviation"] + 1
        data.goals = goals
        data.scores = ([execution] if execution is not None else []) + scores
        data.scores_total_row = total_row
        if total_row and "score" in cols:
            cell = grid.cell(total_row - 1, cols["score"])
            if not cell.blank:
                data.conclusion["reported_score"] = reader.typed(cell, S.Kind.NUMBER, "总分")

    def _goal(self) -> Cell | None:
        """The 年度总体目标's 预期目标 text: the cell under its label."""
        pos = self._find(self.form.labels("goal", "planned"))
        if pos is None:
            return None
        cell = self.grid.cell(pos[0] + 1, pos[1])
        return None if cell.blank else cell

    def _goal_row(self, row: Row, goal: Cell | None) -> Row:
        """A 绩效目标 row: the form's target split into 指标性质, 指标值 and 计量单位."""
        out: Row = {k: row[k] for k in ("level1", "level2", "level3", "deviation") if k in row}
        if goal is not None:
            out["goal"] = goal
        target = row.get("target")
        if (target is None or target.blank) and "target_initial" in row:
            target = row["target_initial"]  # no adjusted target: the initial one stands
        written = normalize_nature(row["nature"].raw) if "nature" in row else ""
        sign, number, unit = split_value(target.raw) if target is not None else ("", None, "")
        if written in ("≥", "≤", "=", "定性"):
            nature = row["nature"]
        elif target is None or target.blank:
            nature = row.get("nature") or Cell(self.grid.name)
        else:
            # 定量, or no 指标性质 column: the sign in the value, a plain number meaning "at least"
            at = target
            nature = at.replace(raw=(sign or "≥") if number is not None else "定性", number=None)
        numeric = normalize_nature(nature.raw) in ("≥", "≤", "=")
        if target is not None:
            # a number read out of "≥50人次" is the 指标值; its sign and unit are said apart
            keep = target.raw if number is None or not numeric or not isinstance(target.raw, str) else number
            out["target"] = target.replace(raw=keep, number=number if numeric else None)
            out["nature"] = nature
        if "unit" in row and not row["unit"].blank:
            out["unit"] = row["unit"]
        elif target is not None:
            out["unit"] = target.replace(raw=unit, number=None)
        actual = row.get("actual")
        if actual is not None:
            done = split_value(actual.raw)[1] if numeric else None
            out["actual"] = actual.replace(raw=actual.raw if done is None else done, number=done)
        return out

    def _score_row(self, row: Row) -> Row:
        out: Row = {k: row[k] for k in ("level1", "level2", "level3", "level1_weight", "level2_weight", "core") if k in row}
        if "coefficient" in row:  # 得分系数: the share of the weight earned (W10 checks the score by it)
            out["coefficient"] = self.reader.typed(row["coefficient"], S.Kind.RATE, "得分系数")
        for key, label in (("weight", "分值"), ("score", "得分")):
            if key in row:
                out[key] = self.reader.typed(row[key], S.Kind.NUMBER, label)
        if "deviation" in row:
            out["reason"] = row["deviation"]  # the form's 偏差原因 is why points were lost
        return out

    def _conclusion(self) -> None:
        reader, data = self.reader, self.data
        for key, category in (("problems", "存在问题"), ("suggestions", "相关建议")):
            cell = self._value(self.form.labels("conclusion", key))
            if cell is None:
                continue
            if key == "problems":
                data.conclusion["problems"] = cell  # where C03 asks for them, filled or not
            if cell.blank:
                continue
            if any(text in cell.text for text in self.form.instructions):
                reader.note("S07", cell, f"“{category}”处仍是表样印好的填写说明（“{cell.text[:30]}”），按未填写读取", cell.text[:200])
                continue
            data.items.append({"category": cell.replace(raw=category, number=None), "content": cell})
        for key in ("reported_score", "reported_grade"):
            cell = self._value(self.form.labels("conclusion", key))
            if cell is not None and not cell.blank:
                kind = S.Kind.NUMBER if key == "reported_score" else S.Kind.TEXT
                data.conclusion[key] = reader.typed(cell, kind, "评价得分" if key == "reported_score" else "评价等级")


def _first(mapping: dict[str, Labels]) -> list[str]:
    return [labels[0] for key, labels in mapping.items() if labels and key in ("level3", "weight", "score")]
