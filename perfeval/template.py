"""The v1 template: 填报说明 plus the five contract sheets, ready to fill in Excel or WPS."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_cell_to_rowcol, xl_rowcol_to_cell

from . import schema as S
from .atomic import atomic_path
from .values import NOT_APPLICABLE

GOAL_ROWS = 60
SCORE_ROWS = 60
ITEM_ROWS = 30
ANALYSIS_ROWS = 8
PINNED_DATE = datetime(2024, 1, 1)  # the template's document date never changes
INPUT_FILL = "#FFF8DC"  # pale yellow: the cells to fill in (nearly white on paper)
COMPUTED_FILL = "#F2F2F2"  # grey: labels and formulas, locked
# What the conditional formats and the checks while typing compare with: the rules' default tolerances.
MONEY_TOLERANCE = 0.01  # 万元
SCORE_TOLERANCE = 0.01
WEIGHT_TOTAL = 100
# A score row that does not apply (the national form's `/` rows): the reader skips it (values.NOT_APPLICABLE,
# compared after NFKC, so the full-width forms too).
NA_WORDS = tuple(dict.fromkeys((*NOT_APPLICABLE, "／", "－")))

# Where the template puts things (0-based). The reader does not depend on these.
HEADER_ROW = 1
FUNDS_FIRST = 2
FUNDS_FIELDS_FIRST = FUNDS_FIRST + len(S.FUNDS_ROWS) + 1
ITEMS_HEADER = 5
ANALYSIS_HEADER = ITEMS_HEADER + ITEM_ROWS + 2

INSTRUCTIONS = (
    ("填报说明", ""),
    ("适用范围", "部门整体支出绩效评价，一个部门一个工作簿。模板版本 perfeval-v1。"),
    (
        "必填项",
        "带 * 的栏目必须填写。浅黄底单元格为填写区；灰底单元格为标签或公式（合计等自动计算），已保护（无密码），请勿改动。",
    ),
    (
        "输入检查",
        "选中填写区单元格时会提示该填什么；填入不符合要求的内容（如得分超过本行分值、分值不大于 0、评价得分超出 0–100、年份不在 2000–2100、电子邮箱缺少 @）时，Excel、WPS 和 LibreOffice 会拒绝并说明原因（粘贴的内容不经检查）。结余资金不等于实际到位资金 − 实际支出资金、分值合计不等于 100、得分超过分值的单元格显示为红底，请核对。",
    ),
    (
        "金额单位",
        "所有金额以“万元”为单位，保留两位小数。请填写数值，不要写“万元”等文字。某一资金来源有金额时，它的各项金额都要填写，确实为零的填 0.00（留空表示不知道，相关合计和比率将无法计算）；没有资金的来源整行留空。",
    ),
    ("基本信息", "填写部门名称、部门编码、评价年度、评价类型（下拉选择）等；“报告一级/二级/三级指标数”填写报告正文中写明的指标个数。"),
    (
        "资金情况",
        "按资金来源（中央、省级、市级、县级、其他）填写预算安排资金（年初预算）、调整后预算（年中调整后的全年预算，未调整留空）、实际到位资金、实际支出资金、结余资金；“合计”行为公式，仅供查看，perfeval 会按各来源行重新计算。基本支出、项目支出两行按支出用途拆分。",
    ),
    (
        "资金情况（续）",
        "“报告预算执行率”填写报告中写的预算执行率（如 157.7%）；预算调整幅度较大时填写“调整说明”；预算执行率低于 90% 时填写“执行偏差原因”。",
    ),
    (
        "绩效目标",
        "每个三级指标一行。“年度绩效目标”写该指标服务的目标（可合并单元格）；目标下没有任何三级指标，视为目标未细化量化。指标性质为 ≥、≤、= 时，指标值和实际完成值填数字，单位写在“计量单位”列；定性指标填文字。",
    ),
    (
        "指标评分",
        "每个三级指标一行，一级、二级指标可合并单元格。分值为该三级指标的权重，全部分值之和应为 100；得分不得超过分值；有扣分时必须填写扣分原因。",
    ),
    (
        "评价结论",
        "评价得分、评价等级按报告填写（perfeval 会与指标评分表核对）；“存在问题”“相关建议”每条一行；报告中的绩效分析表（一级指标得分、得分率）按报告原样填写，最后一行为合计。",
    ),
    ("等级标准", "优：90–100 分；良：80–89 分；中：60–79 分；差：60 分以下（财预便〔2017〕44号）。"),
    ("自查", "提交前可运行 perfeval check 文件名.xlsx 自查，结果会列出需要修改的单元格。"),
)


class _Formats:
    cells: dict[tuple[str, int, int], Any]

    def __init__(self, wb: xlsxwriter.Workbook):
        self.cells = {}
        base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter", "border": 1}
        self.title = wb.add_format({**base, "bold": True, "font_size": 14, "border": 0})
        self.header = wb.add_format({**base, "bold": True, "bg_color": "#D9E1F2", "align": "center", "text_wrap": True, "locked": True})
        self.label = wb.add_format({**base, "bold": True, "bg_color": COMPUTED_FILL, "locked": True, "text_wrap": True})
        self.help = wb.add_format({**base, "font_color": "#7F7F7F", "text_wrap": True, "locked": True, "border": 0})
        self.locked_text = wb.add_format({**base, "bg_color": COMPUTED_FILL, "locked": True})
        fill = {**base, "locked": False, "bg_color": INPUT_FILL}
        self.input = wb.add_format({**fill, "text_wrap": True})
        self.input_text = wb.add_format({**fill, "text_wrap": True, "num_format": "@"})
        self.money = wb.add_format({**fill, "num_format": "#,##0.00"})
        self.money_total = wb.add_format({**base, "locked": True, "bold": True, "bg_color": COMPUTED_FILL, "num_format": "#,##0.00"})
        self.rate = wb.add_format({**fill, "num_format": "0.00%"})
        self.number = wb.add_format({**fill, "num_format": "0.00"})
        self.integer = wb.add_format({**fill, "num_format": "0"})
        self.total_number = wb.add_format({**base, "locked": True, "bold": True, "bg_color": COMPUTED_FILL, "num_format": "0.00"})
        # a conditional format: a figure that does not add up (Excel's "bad" style; readable in print)
        self.wrong = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})


def _label(f: S.Field) -> str:
    return ("*" if f.required else "") + f.label


def _protect(ws) -> None:
    ws.protect(
        "", {"format_columns": True, "format_rows": True, "insert_rows": True, "delete_rows": True, "autofilter": True, "sort": False}
    )


def _page(ws, landscape: bool = True) -> None:
    ws.set_paper(9)
    if landscape:
        ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(HEADER_ROW)


def _list(ws, first_row: int, col: int, last_row: int, choices: tuple[str, ...], title: str) -> None:
    ws.data_validation(
        first_row,
        col,
        last_row,
        col,
        {
            "validate": "list",
            "source": list(choices),
            "error_title": title,
            "error_message": f"请从下拉列表选择：{'、'.join(choices)}",
            "input_title": title,
            "input_message": "从下拉列表选择",
        },
    )


def _check(ws, cells: str, rule: dict[str, Any], title: str, prompt: str, error: str) -> None:
    """A check while typing on `cells` (A1 ranges, space-separated): `prompt` shows when a cell
    is selected, `error` (a stop: the entry is refused) when what is typed breaks `rule`. A
    custom formula is written for the first cell of the first range; Excel and LibreOffice
    shift its relative references to every other cell."""
    first, _, last = cells.split(" ")[0].partition(":")
    (r0, c0), (r1, c1) = xl_cell_to_rowcol(first), xl_cell_to_rowcol(last or first)
    options = {**rule, "input_title": title, "input_message": prompt, "error_title": title, "error_message": error}
    if " " in cells:
        options["multi_range"] = cells
    ws.data_validation(r0, c0, r1, c1, options)


def _rate_rule(cell: str) -> dict[str, Any]:
    """A rate as the reader takes it: a number (1.577, 157.7, or 157.7% typed into the percent
    format), or text such as `76%` / `76 ％`; never negative."""
    text = f'SUBSTITUTE(SUBSTITUTE({cell}," ",""),"％","%")'
    return {"validate": "custom", "value": f"=OR(AND(ISNUMBER({cell}),{cell}>=0),IFERROR(VALUE({text})>=0,FALSE))"}


def _not_applicable(cell: str) -> str:
    return ",".join(f'{cell}="{w}"' for w in NA_WORDS)


Cells = dict[tuple[str, int, int], Any]


def write_template(target: Path, cells: Cells | None = None, merges: list[tuple[str, int, int, int]] | None = None) -> Path:
    """The blank template; with `cells` ((sheet, row, col) → value, 1-based), a filled one."""
    with atomic_path(target) as tmp:
        _write(tmp, cells or {}, merges or [])
    return target


def _input(ws, fm: _Formats, r: int, c: int, fmt) -> None:
    """An input cell (0-based): blank in the template, the value where one is given."""
    value = fm.cells.get((ws.name, r + 1, c + 1))
    if value is None:
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, dict) and "formula" in value:
        ws.write_formula(r, c, value["formula"], fmt)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ws.write_number(r, c, value, fmt)
    else:
        ws.write_string(r, c, str(value), fmt)


def _write(path: Path, cells: Cells, merges: list[tuple[str, int, int, int]]) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False, "in_memory": True})
    wb.set_properties(
        {"title": "部门整体支出绩效评价填报模板", "subject": S.TEMPLATE_VERSION, "author": "perfeval", "created": PINNED_DATE}
    )
    fm = _Formats(wb)
    fm.cells = cells
    _instructions(wb.add_worksheet("填报说明"), fm)
    _info(wb.add_worksheet(S.SHEET_INFO), fm)
    _funds(wb.add_worksheet(S.SHEET_FUNDS), fm)
    _goals(wb.add_worksheet(S.SHEET_GOALS), fm)
    _scores(wb.add_worksheet(S.SHEET_SCORES), fm)
    _conclusion(wb.add_worksheet(S.SHEET_CONCLUSION), fm)
    by_name = {ws.name: ws for ws in wb.worksheets()}
    for sheet, col, r0, r1 in merges:
        value = cells.get((sheet, r0, col))
        by_name[sheet].merge_range(r0 - 1, col - 1, r1 - 1, col - 1, "" if value is None else str(value), fm.input)
    wb.worksheets()[1].activate()
    wb.close()


def _instructions(ws, fm: _Formats) -> None:
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 90)
    ws.write_string(0, 0, "部门整体支出绩效评价填报说明", fm.title)
    for i, (label, text) in enumerate(INSTRUCTIONS[1:], start=2):
        ws.write_string(i, 0, label, fm.label)
        ws.write_string(i, 1, text, fm.help)
        ws.set_row(i, max(32, 14 * -(-len(text) // 44) + 4))  # every line shows, on screen and on paper
    _page(ws, landscape=False)
    _protect(ws)


def _info(ws, fm: _Formats) -> None:
    ws.set_column(0, 0, 20)
    ws.set_column(1, 1, 60)
    ws.set_column(2, 2, 40)
    ws.write_string(0, 0, "基本信息", fm.title)
    ws.write_string(HEADER_ROW, 0, "栏目", fm.header)
    ws.write_string(HEADER_ROW, 1, "填写内容", fm.header)
    ws.write_string(HEADER_ROW, 2, "填写说明", fm.header)
    long_text = {"purpose", "scope", "basis", "method", "data_method", "process"}
    for i, f in enumerate(S.INFO_FIELDS, start=HEADER_ROW + 1):
        ws.write_string(i, 0, _label(f), fm.label)
        if f.id == "template_version":
            ws.write_string(i, 1, S.TEMPLATE_VERSION, fm.locked_text)
        elif f.kind is S.Kind.INTEGER:
            _input(ws, fm, i, 1, fm.integer)
        else:
            _input(ws, fm, i, 1, fm.input_text if f.id in ("code", "phone") else fm.input)
        ws.write_string(i, 2, f.help, fm.help)
        if f.choices:
            _list(ws, i, 1, i, f.choices, f.label)
        cell = xl_rowcol_to_cell(i, 1)
        if f.id == "year":
            _check(
                ws,
                cell,
                {"validate": "integer", "criteria": "between", "minimum": 2000, "maximum": 2100},
                f.label,
                "填写四位整数年份（2000–2100），如 2023",
                "评价年度应为 2000–2100 之间的整数年份，如 2023；请直接填写数字，不要写“年”字，也不要填日期",
            )
        elif f.id == "email":
            _check(
                ws,
                cell,
                {"validate": "custom", "value": f'=AND(ISNUMBER(FIND("@",{cell})),ISNUMBER(FIND(".",{cell},FIND("@",{cell})+2)))'},
                f.label,
                "评价结果的收件地址，如 name@example.gov.cn；多个地址用分号分隔",
                "电子邮箱格式不正确：应含 @，@ 后为域名（如 name@example.gov.cn）；多个地址用分号分隔",
            )
        elif f.kind is S.Kind.INTEGER:
            _check(
                ws,
                cell,
                {"validate": "integer", "criteria": ">=", "value": 0},
                f.label,
                f"{f.help}（非负整数）",
                f"“{f.label}”应为非负整数",
            )
        if f.id in long_text:
            ws.set_row(i, 48)
    ws.freeze_panes(HEADER_ROW + 1, 1)
    _page(ws, landscape=False)
    _protect(ws)


def _funds(ws, fm: _Formats) -> None:
    cols = S.FUNDS_TABLE.columns
    ws.write_string(0, 0, "资金情况（单位：万元）", fm.title)
    ws.set_column(0, 0, 14)
    ws.set_column(1, 5, 16)
    ws.set_column(6, 6, 36)
    for c, f in enumerate(cols):
        label = f.label + ("（万元）" if f.kind is S.Kind.MONEY else "")
        ws.write_string(HEADER_ROW, c, label, fm.header)
    ws.set_row(HEADER_ROW, 30)
    first_source = FUNDS_FIRST
    last_source = FUNDS_FIRST + len(S.SOURCE_ROWS) - 1
    for i, label in enumerate(S.FUNDS_ROWS):
        r = FUNDS_FIRST + i
        ws.write_string(r, 0, label, fm.label)
        for c, f in enumerate(cols[1:], start=1):
            if label == S.TOTAL_ROW and f.kind is S.Kind.MONEY and (ws.name, r + 1, c + 1) not in fm.cells:
                rng = f"{xl_rowcol_to_cell(first_source, c)}:{xl_rowcol_to_cell(last_source, c)}"
                ws.write_formula(r, c, f"=SUM({rng})", fm.money_total, 0)
            elif f.kind is S.Kind.MONEY:
                _input(ws, fm, r, c, fm.money)
            else:
                _input(ws, fm, r, c, fm.input)
    money = [c for c, f in enumerate(cols) if f.kind is S.Kind.MONEY]
    total = FUNDS_FIRST + S.FUNDS_ROWS.index(S.TOTAL_ROW)
    last_row = FUNDS_FIRST + len(S.FUNDS_ROWS) - 1
    blocks = [(first_source, last_source), (total + 1, last_row)]  # every row but the 合计 formulas

    def ranges(c0: int, c1: int) -> str:
        return " ".join(f"{xl_rowcol_to_cell(a, c0)}:{xl_rowcol_to_cell(b, c1)}" for a, b in blocks)

    _check(
        ws,
        ranges(money[0], money[-1]),
        {"validate": "decimal", "criteria": ">=", "value": 0},
        "金额（万元）",
        "填写数字，单位万元，保留两位小数；确实为零的填 0.00，没有该项资金的来源整行留空",
        "金额应为不小于 0 的数字（单位万元），请不要写“万元”等文字",
    )
    ids = [f.id for f in cols]
    bal, rec, spent = (ids.index(k) for k in ("balance", "received", "spent"))
    b, d, e = (xl_rowcol_to_cell(first_source, c, col_abs=True) for c in (bal, rec, spent))
    ws.conditional_format(
        first_source,
        bal,
        last_row,
        bal,
        {
            "type": "formula",
            "criteria": f"=AND(ISNUMBER({b}),ISNUMBER({d}),ISNUMBER({e}),ABS({b}-({d}-{e}))>{MONEY_TOLERANCE})",
            "format": fm.wrong,
            "multi_range": ranges(bal, bal),
        },
    )
    for i, f in enumerate(S.FUNDS_FIELDS):
        r = FUNDS_FIELDS_FIRST + i
        ws.write_string(r, 0, f.label, fm.label)
        fmt = fm.rate if f.kind is S.Kind.RATE else fm.input
        ws.merge_range(r, 1, r, 5, None, fmt)
        _input(ws, fm, r, 1, fmt)
        if f.kind is S.Kind.RATE:
            cell = xl_rowcol_to_cell(r, 1)
            _check(
                ws,
                cell,
                _rate_rule(cell),
                f.label,
                "按报告填写，如 157.7%（也可写作 1.577 或 157.7）",
                "请填写不小于 0 的百分比或数字，如 157.7%、1.577 或 157.7",
            )
        ws.write_string(r, 6, f.help, fm.help)
        ws.set_row(r, 30 if f.kind is not S.Kind.RATE else None)
    ws.freeze_panes(HEADER_ROW + 1, 1)
    _page(ws)
    _protect(ws)


def _table(ws, fm: _Formats, title: str, table: S.Table, widths: dict[str, int], rows: int) -> None:
    ws.write_string(0, 0, title, fm.title)
    for c, f in enumerate(table.columns):
        ws.write_string(HEADER_ROW, c, f.label, fm.header)
        ws.set_column(c, c, widths.get(f.id, 12))
    ws.set_row(HEADER_ROW, 30)
    for r in range(HEADER_ROW + 1, HEADER_ROW + 1 + rows):
        for c, f in enumerate(table.columns):
            fmt = fm.number if f.kind is S.Kind.NUMBER else fm.input
            _input(ws, fm, r, c, fmt)
    first, last = HEADER_ROW + 1, HEADER_ROW + rows
    for c, f in enumerate(table.columns):
        if f.choices:
            _list(ws, first, c, last, f.choices, f.label)
    ws.freeze_panes(HEADER_ROW + 1, 0)
    _page(ws)
    _protect(ws)


def _goals(ws, fm: _Formats) -> None:
    widths = {
        "seq": 6,
        "goal": 36,
        "level1": 12,
        "level2": 14,
        "level3": 24,
        "nature": 8,
        "target": 10,
        "unit": 9,
        "actual": 11,
        "deviation": 30,
    }
    _table(ws, fm, "绩效目标（每个三级指标一行）", S.GOALS_TABLE, widths, GOAL_ROWS)


def _scores(ws, fm: _Formats) -> None:
    widths = {"level1": 14, "level2": 16, "level3": 26, "weight": 8, "criteria": 40, "score": 8, "reason": 36}
    _table(ws, fm, "指标评分（每个三级指标一行，分值合计 100）", S.SCORES_TABLE, widths, SCORE_ROWS)
    ids = [c.id for c in S.SCORES_TABLE.columns]
    total = HEADER_ROW + 1 + SCORE_ROWS
    ws.write_string(total, 0, "合计", fm.label)
    for c, key in enumerate(ids):
        if key in ("weight", "score"):
            rng = f"{xl_rowcol_to_cell(HEADER_ROW + 1, c)}:{xl_rowcol_to_cell(total - 1, c)}"
            ws.write_formula(total, c, f"=SUM({rng})", fm.total_number, 0)
        elif c:
            _input(ws, fm, total, c, fm.locked_text)
    first, last = HEADER_ROW + 1, total - 1
    wc, sc = ids.index("weight"), ids.index("score")
    w, s = xl_rowcol_to_cell(first, wc), xl_rowcol_to_cell(first, sc)
    _check(
        ws,
        f"{w}:{xl_rowcol_to_cell(last, wc)}",
        {"validate": "custom", "value": f"=OR(AND(ISNUMBER({w}),{w}>0),{_not_applicable(w)})"},
        "分值",
        f"该三级指标的分值（权重），大于 0；全部分值之和应为 {WEIGHT_TOTAL}。不适用的行可填“/”",
        "分值应为大于 0 的数字（不适用的行填“/”）",
    )
    _check(
        ws,
        f"{s}:{xl_rowcol_to_cell(last, sc)}",
        # With blanks ignored (so that a 得分 may stay blank, and LibreOffice's 标记无效数据 leaves blank
        # rows alone), Excel and WPS skip this check while the row's 分值 is still blank: the
        # conditional format below marks such a 得分 once the 分值 is there.
        {"validate": "custom", "value": f"=OR(AND(ISNUMBER({s}),{s}>=0,OR(NOT(ISNUMBER({w})),{s}<={w})),{_not_applicable(s)})"},
        "得分",
        "填写 0 到本行分值之间的数字；有扣分时请填写扣分原因。不适用的行可填“/”",
        "得分应为不小于 0、且不超过本行分值的数字（不适用的行填“/”）",
    )
    # what a check while typing cannot see: a pasted 得分, a 分值 lowered or filled in later, and the sum of them all
    w_abs, s_abs = xl_rowcol_to_cell(first, wc, col_abs=True), xl_rowcol_to_cell(first, sc, col_abs=True)
    ws.conditional_format(
        first,
        sc,
        last,
        sc,
        {
            "type": "formula",
            "criteria": f"=AND(ISNUMBER({s_abs}),OR({s_abs}<0,AND(ISNUMBER({w_abs}),{s_abs}>{w_abs})))",
            "format": fm.wrong,
        },
    )
    weights = f"{xl_rowcol_to_cell(first, wc, True, True)}:{xl_rowcol_to_cell(last, wc, True, True)}"
    ws.conditional_format(
        total,
        wc,
        total,
        wc,
        {
            "type": "formula",
            "criteria": f"=AND(COUNT({weights})>0,ABS(SUM({weights})-{WEIGHT_TOTAL})>{SCORE_TOLERANCE})",
            "format": fm.wrong,
        },
    )


def _conclusion(ws, fm: _Formats) -> None:
    ws.write_string(0, 0, "评价结论", fm.title)
    ws.set_column(0, 0, 20)
    ws.set_column(1, 1, 70)
    ws.set_column(2, 2, 24)
    for i, f in enumerate(S.CONCLUSION_FIELDS):
        r = HEADER_ROW + i
        ws.write_string(r, 0, f.label, fm.label)
        _input(ws, fm, r, 1, fm.number if f.kind is S.Kind.NUMBER else fm.input)
        ws.write_string(r, 2, f.help, fm.help)
        if f.choices:
            _list(ws, r, 1, r, f.choices, f.label)
        if f.id == "reported_score":
            _check(
                ws,
                xl_rowcol_to_cell(r, 1),
                {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100},
                f.label,
                "按报告填写评价得分（0–100），perfeval 会与指标评分表的得分合计核对",
                "评价得分应为 0 到 100 之间的数字",
            )
    for c, f in enumerate(S.ITEMS_TABLE.columns):
        ws.write_string(ITEMS_HEADER, c, f.label, fm.header)
    for r in range(ITEMS_HEADER + 1, ITEMS_HEADER + 1 + ITEM_ROWS):
        for c in range(len(S.ITEMS_TABLE.columns)):
            _input(ws, fm, r, c, fm.input)
    _list(ws, ITEMS_HEADER + 1, 0, ITEMS_HEADER + ITEM_ROWS, S.ITEM_CATEGORIES, "类别")
    ws.write_string(ANALYSIS_HEADER, 3, "← 报告中的绩效分析表：按报告原样填写（可选），最后一行为合计", fm.help)
    for c, f in enumerate(S.ANALYSIS_TABLE.columns):
        ws.write_string(ANALYSIS_HEADER, c, f.label, fm.header)
    for r in range(ANALYSIS_HEADER + 1, ANALYSIS_HEADER + 1 + ANALYSIS_ROWS):
        _input(ws, fm, r, 0, fm.input)
        _input(ws, fm, r, 1, fm.number)
        _input(ws, fm, r, 2, fm.rate)
    total = ANALYSIS_HEADER + 1 + ANALYSIS_ROWS
    ws.write_string(total, 0, "合计", fm.label)
    _input(ws, fm, total, 1, fm.number)
    _input(ws, fm, total, 2, fm.rate)
    top = ANALYSIS_HEADER + 1
    _check(
        ws,
        f"{xl_rowcol_to_cell(top, 1)}:{xl_rowcol_to_cell(total, 1)}",
        {"validate": "decimal", "criteria": ">=", "value": 0},
        "报告得分",
        "按报告原样填写该一级指标的得分",
        "报告得分应为不小于 0 的数字",
    )
    rate = xl_rowcol_to_cell(top, 2)
    _check(
        ws,
        f"{rate}:{xl_rowcol_to_cell(total, 2)}",
        _rate_rule(rate),
        "报告得分率",
        "按报告原样填写，如 94%（也可写作 0.94 或 94）",
        "请填写不小于 0 的百分比或数字，如 94%、0.94 或 94",
    )
    ws.freeze_panes(HEADER_ROW, 0)
    _page(ws, landscape=False)
    _protect(ws)
