"""Generate the parts of docs/ that code already says.

    python docs/generate.py           rewrite docs/rules.md and the generated parts of docs/contract.md
    python docs/generate.py --check   exit 1 (and name the files) where they differ from what code makes

docs/rules.md is made whole from the rule catalogue (perfeval/data/rules.toml). docs/contract.md is
written by hand around blocks delimited by `<!-- BEGIN GENERATED name ... -->` and
`<!-- END GENERATED name -->`; each block is made from perfeval/schema.py (the contract as data)
and the default grade bands of perfeval/config.py. tests/test_docs.py runs the same comparison.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from perfeval import catalogue
from perfeval import schema as S
from perfeval.config import Settings

DOCS = Path(__file__).resolve().parent
RULES_MD = DOCS / "rules.md"
CONTRACT_MD = DOCS / "contract.md"
COMMAND = "python docs/generate.py"

# --- markdown ----------------------------------------------------------------------------------


def md(text: str) -> str:
    """Catalogue or schema text as markdown that shows it as written (no emphasis, no tags)."""
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("~", "\\~").replace("<", "&lt;").replace(">", "&gt;")


def cell(text: str) -> str:
    return md(text).replace("|", "\\|").replace("\n", " ")


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """A markdown table of cells already in markdown (see `cell`, `code`)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def code(text: str) -> str:
    return f"`{text}`" if text else ""


def number(x: float) -> str:
    return f"{x:g}"


# --- docs/rules.md -----------------------------------------------------------------------------


def render_rules() -> str:
    """docs/rules.md, whole, from the catalogue."""
    cat = catalogue.load()
    planned = [e.code for e in cat.entries.values() if not e.implemented]
    out = [
        "# 检查规则目录 v1",
        "",
        f"<!-- 本文件由 {COMMAND} 根据 perfeval/data/rules.toml 生成，请勿直接修改：改 rules.toml 后重新运行该命令。 -->",
        "",
        cat.intro,
        "",
        f"共 {len(cat.entries)} 条规则，"
        + (
            f"其中 {len(cat.entries) - len(planned)} 条已实现，{len(planned)} 条规划中（{'、'.join(planned)}）。"
            if planned
            else "全部已实现。"
        ),
        "",
        "- [通用约定](#通用约定)",
    ]
    out += [f"- [{f.letter} {f.name}](#{f.letter.lower()}-{f.name})" for f in cat.families]
    out += [
        "- [解读说明](#解读说明)",
        "- [种子报告在这些规则下的结果](#种子报告在这些规则下的结果)",
        "",
        "## 通用约定",
        "",
        cat.conventions,
    ]
    for family, entries in cat.by_family():
        out += ["", f"## {family.letter} {family.name}", "", f"检查范围：{family.scope}。", ""]
        out.append(table(("代码", "级别", "规则", "状态"), [(e.code, e.severity.value, cell(e.title), e.status) for e in entries]))
        for e in entries:
            out += [
                "",
                f"### {e.code} {md(e.title)}",
                "",
                f"级别：{e.severity.value} · 状态：{e.status}"
                + ("（代码和含义已确定，尚未检查；示例给出的说明为拟定写法）" if not e.implemented else ""),
                "",
                md(e.explanation),
                "",
                f"- **示例**：{md(e.example)}",
                f"- **{'给出的说明' if e.implemented else '拟定的说明'}**：{md(e.message)}",
                f"- **修改方法**：{md(e.fix)}",
            ]
    out += ["", "## 解读说明", "", cat.readings, "", "## 种子报告在这些规则下的结果", "", cat.seed, ""]
    return "\n".join(out)


# --- docs/contract.md --------------------------------------------------------------------------

KINDS = {
    S.Kind.TEXT: "文本",
    S.Kind.MONEY: "金额（万元，两位小数）",
    S.Kind.NUMBER: "数字",
    S.Kind.INTEGER: "整数",
    S.Kind.RATE: "比率（157.7%、1.577 或 157.7）",
    S.Kind.MIXED: "≥/≤/= 指标填数字，定性指标填文字",
}


def _choices(f: S.Field) -> str:
    if f.id == "template_version":
        return code(S.TEMPLATE_VERSION)
    return "、".join(code(c) for c in f.choices)


def _required(f: S.Field) -> str:
    if f.required:
        return "是"
    return "视情况" if "必填" in f.help else ""  # e.g. 调整说明: required when the budget was adjusted


def form_table(fields: tuple[S.Field, ...]) -> str:
    rows = [(cell(f.label), _required(f), KINDS[f.kind], _choices(f), cell(f.help), code(f.id)) for f in fields]
    return table(("标签", "必填", "类型", "取值", "填写说明", "字段名"), rows)


def column_table(t: S.Table) -> str:
    header = "表头标签：" + " | ".join(code(label) for label in t.labels)
    rows = [(cell(f.label), KINDS[f.kind], _choices(f), cell(f.help), code(f.id)) for f in t.columns]
    return header + "\n\n" + table(("列标签", "类型", "取值", "填写说明", "字段名"), rows)


def _sheets() -> str:
    parts = {
        S.SHEET_INFO: f"表单：{len(S.INFO_FIELDS)} 个字段（必填 {sum(f.required for f in S.INFO_FIELDS)} 个）",
        S.SHEET_FUNDS: f"表格：{len(S.FUNDS_TABLE.columns)} 列、{len(S.FUNDS_ROWS)} 个固定行；表格下方表单：{len(S.FUNDS_FIELDS)} 个字段",
        S.SHEET_GOALS: f"表格：{len(S.GOALS_TABLE.columns)} 列，每个三级指标一行",
        S.SHEET_SCORES: f"表格：{len(S.SCORES_TABLE.columns)} 列，每个三级指标一行",
        S.SHEET_CONCLUSION: (
            f"表单：{len(S.CONCLUSION_FIELDS)} 个字段；问题与建议表：{len(S.ITEMS_TABLE.columns)} 列；"
            f"绩效分析表（可选）：{len(S.ANALYSIS_TABLE.columns)} 列"
        ),
    }
    return table(("工作表", "内容"), [(code(sheet), parts[sheet]) for sheet in S.CONTRACT_SHEETS])


def _funds_table() -> str:
    rows = [
        ("按资金来源", "、".join(f"`{r}`" for r in S.SOURCE_ROWS)),
        ("合计行", f"`{S.TOTAL_ROW}`"),
        ("按支出用途", "、".join(f"`{r}`" for r in S.USE_ROWS)),
    ]
    listing = "\n".join(f"- {what}：{labels}" for what, labels in rows)
    return column_table(S.FUNDS_TABLE) + "\n\n“项目”列的固定行（按此顺序）：\n\n" + listing


def _goals_table() -> str:
    return column_table(S.GOALS_TABLE) + f"\n\n三级指标必须覆盖的一级指标：{'、'.join(code(x) for x in S.REQUIRED_GOAL_LEVEL1)}（G06）。"


def _scores_table() -> str:
    return (
        column_table(S.SCORES_TABLE)
        + f"\n\n一级指标（或二级指标）写为 {'、'.join(code(x) for x in S.TOTAL_LABELS)} 的行是合计行，表格到此结束；合计行的数字不读取，一律重新计算。"
    )


def _grades() -> str:
    s = Settings()
    bounds = (s.grade_excellent, s.grade_good, s.grade_pass)
    top = number(s.total_weight)
    rows = [
        (S.GRADES[0], f"{number(bounds[0])} ≤ 得分 ≤ {top}"),
        (S.GRADES[1], f"{number(bounds[1])} ≤ 得分 < {number(bounds[0])}"),
        (S.GRADES[2], f"{number(bounds[2])} ≤ 得分 < {number(bounds[1])}"),
        (S.GRADES[3], f"得分 < {number(bounds[2])}"),
    ]
    return table(("等级", "评价得分"), rows)


CONTRACT_PARTS: dict[str, Callable[[], str]] = {
    "sheets": _sheets,
    "info": lambda: form_table(S.INFO_FIELDS),
    "funds-table": _funds_table,
    "funds-fields": lambda: form_table(S.FUNDS_FIELDS),
    "goals-table": _goals_table,
    "scores-table": _scores_table,
    "conclusion-fields": lambda: form_table(S.CONCLUSION_FIELDS),
    "items-table": lambda: column_table(S.ITEMS_TABLE),
    "analysis-table": lambda: column_table(S.ANALYSIS_TABLE),
    "grades": _grades,
}

BLOCK = re.compile(r"(<!-- BEGIN GENERATED (?P<name>[\w-]+)\b[^>]*-->\n)(?P<body>.*?)(<!-- END GENERATED (?P=name) -->)", re.S)


def update_contract(text: str) -> str:
    """`text` (docs/contract.md) with every generated block made afresh; each block of
    CONTRACT_PARTS must be there exactly once, and no other."""
    seen: list[str] = []

    def fill(m: re.Match[str]) -> str:
        name = m.group("name")
        if name not in CONTRACT_PARTS:
            raise ValueError(f"docs/contract.md: unknown generated block {name!r}")
        seen.append(name)
        return m.group(1) + "\n" + CONTRACT_PARTS[name]() + "\n\n" + m.group(4)

    out = BLOCK.sub(fill, text)
    missing = [n for n in CONTRACT_PARTS if n not in seen]
    twice = sorted({n for n in seen if seen.count(n) > 1})
    if missing or twice:
        raise ValueError(f"docs/contract.md: generated blocks missing {missing}, repeated {twice}")
    return out


# --- command -----------------------------------------------------------------------------------


def generated() -> dict[Path, str]:
    """What each generated file should hold now."""
    return {
        RULES_MD: render_rules(),
        CONTRACT_MD: update_contract(CONTRACT_MD.read_text(encoding="utf-8")),
    }


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for path, text in generated().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not check:
            path.write_text(text, encoding="utf-8", newline="\n")
    for path in stale:
        print(f"{'stale' if check else 'written'}: {path.relative_to(DOCS.parent)}")
    if check and stale:
        print(f"run `{COMMAND}` to regenerate")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
