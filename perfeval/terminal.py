"""How results look on a terminal: the table of the departments that need action (after
`perfeval process`, and `perfeval show`), one department's figures and findings (`perfeval show
OUTDIR 部门`), and `perfeval check`'s blocks and closing line.

Pure functions, from results to lines of text: a run's departments (model.Department) or what a
finished run wrote in perfeval-results.json (the same keys, as results.department_json makes
them). The command line prints the lines; it decides where, and whether to colour them (only on
a terminal): `paint(text, role)` styles a piece of text that is already padded, so colour never
moves a column.
"""

from __future__ import annotations

import difflib
import os
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .model import Department, Severity, Status
from .profiles import CONTRACT, by_id
from .values import format_money, format_number, format_rate

Paint = Callable[[str, str], str]  # (text, role) → the text as shown; roles: the keys of STYLES

# the roles' looks, as keyword arguments of the command line's styling function (click.style)
STYLES: dict[str, dict[str, Any]] = {
    "error": {"fg": "red", "bold": True},
    "warning": {"fg": "yellow"},
    "ok": {"fg": "green"},
    "heading": {"bold": True},
    "dim": {"dim": True},
}
ROLE_OF_SEVERITY = {Severity.ERROR.value: "error", Severity.WARNING.value: "warning", Severity.INFO.value: "dim"}
ROLE_OF_STATUS = {Status.UNSCORED.value: "error", Status.PENDING.value: "warning", Status.ACCEPTED.value: "ok"}
ACTION_STATUSES = (Status.UNSCORED.value, Status.PENDING.value)
NAME_WIDTH = 28  # the 部门 column at most (14 Chinese characters); longer names are clipped
STRICT_NOTE = "因使用 --strict，警告也按不通过处理（退出码 1）"


def plain(text: str, role: str) -> str:
    return text


def painter(style: Callable[..., str] | None) -> Paint:
    """A Paint that styles each role with `style(text, **STYLES[role])`; plain if None."""
    if style is None:
        return plain
    return lambda text, role: style(text, **STYLES[role]) if text and role in STYLES else text


def use_colour(stream: Any, environ: Mapping[str, str]) -> bool:
    """Colour only where `stream` is a terminal, and NO_COLOR (no-color.org) is not set."""
    if environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):  # a closed stream
        return False


def text_width(text: str) -> int:
    """Columns `text` takes on a terminal: wide (CJK) characters 2, combining marks 0."""
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - text_width(text))


def pad_left(text: str, width: int) -> str:
    return " " * max(0, width - text_width(text)) + text


def clip(text: str, width: int) -> str:
    """`text` on one line, cut to `width` columns with "…" where it is longer."""
    text = " ".join(text.split())
    if text_width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = text_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def quote_path(path: object) -> str:
    """A path as typed back into a command: in quotes where it has spaces."""
    text = str(path)
    return f'"{text}"' if any(ch.isspace() for ch in text) else text


def location(finding: Mapping[str, Any]) -> str:
    """`资金情况!E9` (or the sheet alone) from a finding's JSON, as Finding.location."""
    sheet, cell = finding.get("sheet") or "", finding.get("cell") or ""
    if not sheet:
        return ""
    return f"{sheet}!{cell}" if cell else sheet


def _severity_rank(finding: Mapping[str, Any]) -> int:
    return {"错误": 0, "警告": 1, "提示": 2}.get(str(finding.get("severity")), 3)


@dataclass(frozen=True)
class Row:
    """One department as the table shows it."""

    file: str
    name: str
    code: str
    status: str  # 可受理, 待补正, 未评分 ("" where not known)
    score: float | None
    grade: str
    errors: int
    warnings: int
    first: tuple[str, str, str, str] | None  # the most serious finding: severity, code, location, message

    @classmethod
    def of_json(cls, d: Mapping[str, Any]) -> Row:
        """From a department of perfeval-results.json."""
        findings = [f for f in d.get("findings") or [] if isinstance(f, Mapping)]
        errors = d.get("errors")
        warnings = d.get("warnings")
        top = min(findings, key=_severity_rank, default=None)  # min keeps the first of the most serious
        return cls(
            file=str(d.get("file") or ""),
            name=str(d.get("name") or d.get("file") or ""),
            code=str(d.get("code") or ""),
            status=str(d.get("status") or ""),
            score=d.get("total_score") if isinstance(d.get("total_score"), int | float) else None,
            grade=str(d.get("grade") or ""),
            errors=errors if isinstance(errors, int) else sum(1 for f in findings if f.get("severity") == "错误"),
            warnings=warnings if isinstance(warnings, int) else sum(1 for f in findings if f.get("severity") == "警告"),
            first=None
            if top is None
            else (str(top.get("severity") or ""), str(top.get("code") or ""), location(top), str(top.get("message") or "")),
        )

    @classmethod
    def of_department(cls, dep: Department) -> Row:
        """From a department of a run just finished."""
        top = min(dep.findings, key=lambda f: f.severity.rank, default=None)
        return cls(
            file=dep.file,
            name=dep.name or dep.file,
            code=dep.code,
            status=dep.status.value if dep.status else "",
            score=dep.total_score,
            grade=dep.grade,
            errors=dep.errors,
            warnings=dep.warnings,
            first=None if top is None else (top.severity.value, top.code, top.location, top.message),
        )

    def needs_action(self, strict: bool = False) -> bool:
        """Some 错误, or not scored, or (with --strict) some 警告."""
        return self.errors > 0 or self.status in ACTION_STATUSES or (strict and self.warnings > 0)


def department_table(
    rows: Sequence[Row],
    *,
    verbose: bool = False,
    strict: bool = False,
    limit: int | None = None,
    width: int = 120,
    paint: Paint = plain,
    more: str = "",
) -> list[str]:
    """The departments that need action (all of them with `verbose`), a line each: status, score,
    grade, counts and the most serious finding; then one line for the others. `limit`: at most
    this many rows (not with `verbose`), then `more` says how to see the rest."""
    if not rows:
        return []
    acting = [r for r in rows if r.needs_action(strict)]
    shown = list(rows) if verbose else acting
    lines: list[str] = []
    if shown:
        cut = shown if verbose or limit is None else shown[:limit]
        heading = f"全部 {len(rows)} 个部门：" if verbose else f"需要处理的部门（{len(acting)} 个）："
        lines.append(paint(heading, "heading"))
        lines += _table(cut, width, paint)
        if len(cut) < len(shown):
            lines.append(f"  …… 另有 {len(shown) - len(cut)} 个需要处理的部门未列出{('：' + more) if more else ''}")
    rest = [r for r in rows if not r.needs_action(strict)]
    if not verbose and rest:
        lead = "其余" if acting else "全部"
        if strict:
            lines.append(paint(f"{lead} {len(rest)} 个部门可受理，无错误、无警告", "ok"))
        else:
            warned = sum(1 for r in rest if r.warnings)
            lines.append(paint(f"{lead} {len(rest)} 个部门可受理，无错误", "ok") + (f"（其中 {warned} 个有警告）" if warned else ""))
    return lines


def _table(rows: Sequence[Row], width: int, paint: Paint) -> list[str]:
    header = ("部门", "状态", "得分", "等级", "错误", "警告", "首条问题")
    name_w = max(text_width(header[0]), min(NAME_WIDTH, max(text_width(r.name) for r in rows)))
    score_w = max(4, *(text_width(format_number(r.score)) for r in rows))
    # "  " + name + 2 + 状态 6 + 2 + score + 2 + 等级 4 + 2 + 错误 4 + 2 + 警告 4 + 2
    first_w = max(24, width - (2 + name_w + 2 + 6 + 2 + score_w + 2 + 4 + 2 + 4 + 2 + 4 + 2) - 1)
    lines = [
        paint(
            f"  {pad(header[0], name_w)}  {pad(header[1], 6)}  {pad_left(header[2], score_w)}  {pad(header[3], 4)}"
            f"  {pad_left(header[4], 4)}  {pad_left(header[5], 4)}  {header[6]}",
            "dim",
        )
    ]
    for r in rows:
        status = paint(pad(r.status or "—", 6), ROLE_OF_STATUS.get(r.status, ""))
        errors = paint(pad_left(str(r.errors), 4), "error" if r.errors else "")
        warnings = paint(pad_left(str(r.warnings), 4), "warning" if r.warnings else "")
        if r.first is None:
            first = "—"
        else:
            severity, code, where, message = r.first
            lead = f"{code} {where} " if where else f"{code} "
            first = paint(code, ROLE_OF_SEVERITY.get(severity, "")) + clip(lead + message, first_w)[len(code) :]
        lines.append(
            f"  {pad(clip(r.name, name_w), name_w)}  {status}  {pad_left(format_number(r.score) or '—', score_w)}"
            f"  {pad(r.grade or '—', 4)}  {errors}  {warnings}  {first}"
        )
    return lines


def totals_lines(count: int, statuses: Mapping[str, int], grades: Mapping[str, int], errors: int, warnings: int, infos: int) -> list[str]:
    """A run's two counting lines: departments by status and grade, findings by severity."""
    by_status = "，".join(f"{s} {n}" for s, n in statuses.items())
    by_grade = "，".join(f"{g} {n}" for g, n in grades.items())
    return [
        f"部门：{count} 个（{by_status}）；可受理部门的等级：{by_grade}",
        f"问题：错误 {errors} 条，警告 {warnings} 条，提示 {infos} 条",
    ]


def strict_note(errors: int, warnings: int, strict: bool) -> str | None:
    """What to say when the exit code is 1 only because --strict counts the warnings."""
    if strict and not errors and warnings:
        return f"有 {warnings} 条警告、没有错误；{STRICT_NOTE}"
    return None


# ---- one department of a finished run (perfeval show OUTDIR 部门) ----


def _keys(d: Mapping[str, Any]) -> list[str]:
    file = str(d.get("file") or "")
    stem = file.rsplit(".", 1)[0] if "." in file else file
    return [_norm(x) for x in (d.get("name"), d.get("code"), file, stem) if x]


def _norm(text: object) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip().casefold()


def find_department(departments: Sequence[Mapping[str, Any]], query: str) -> tuple[list[Mapping[str, Any]], list[str]]:
    """The departments that `query` names (by 部门名称, 部门编码 or file name: the whole of one,
    else the start of one, else a part of one) and, where none does, the names it is close to."""
    q = _norm(query)
    keyed = [(d, _keys(d)) for d in departments]
    for match in (lambda k: k == q, lambda k: k.startswith(q), lambda k: q in k):
        found = [d for d, keys in keyed if any(match(k) for k in keys)]
        if found:
            return found, []
    labels: dict[str, str] = {}  # normalized → as shown
    for d in departments:
        for shown in (d.get("name"), d.get("file")):
            if shown:
                labels.setdefault(_norm(shown), str(shown))
    close = difflib.get_close_matches(q, list(labels), n=5, cutoff=0.4)
    names: list[str] = []
    for key in close:  # a department once, by name, however many of its labels were close
        d = next(d for d in departments if key in _keys(d))
        name = str(d.get("name") or d.get("file"))
        if name not in names:
            names.append(name)
    return [], names


def department_label(d: Mapping[str, Any]) -> str:
    name, file = str(d.get("name") or ""), str(d.get("file") or "")
    return f"{name}（{file}）" if name and file and name != file else name or file


def _f(x: Any, fmt: Callable[[float | None], str]) -> str:
    return (fmt(x) if isinstance(x, int | float) and not isinstance(x, bool) else "") or "—"


def department_detail(d: Mapping[str, Any], paint: Paint = plain) -> list[str]:
    """One department of perfeval-results.json: who, status, score, funds and rates, the
    first-level scores, then every finding with where it is, what it says and, where the
    results carry them, the values and the fix."""
    status = str(d.get("status") or "")
    reason = str(d.get("status_reason") or "")
    head = [paint(f"== {department_label(d)}", "heading")]
    about = []
    if d.get("code"):
        about.append(f"部门编码 {d['code']}")
    if d.get("year"):
        about.append(f"{d['year']} 年度")
    if d.get("eval_type"):
        about.append(f"{d['eval_type']}")
    if about:
        head.append("   " + "，".join(about))
    if d.get("profile") not in (None, "", CONTRACT):
        layout = by_id(str(d["profile"]))
        head.append(f"   表样：{layout.name if layout else d['profile']}")
    if status:
        head.append(f"   状态：{paint(status, ROLE_OF_STATUS.get(status, ''))}" + (f"（{reason}）" if reason else ""))
    if d.get("readable") is False:
        head.append(f"   无法读取：{d.get('read_error') or '原因未知'}")
    else:
        score, grade, rank = _f(d.get("total_score"), format_number), d.get("grade") or "—", d.get("rank")
        if status == Status.UNSCORED.value:
            head.append("   未评分：不给出得分、等级和排名")
        elif status == Status.PENDING.value:
            head.append(f"   评价得分 {score}（暂定），等级 {grade}（暂定），不参与排名")
        else:
            head.append(f"   评价得分 {score}，等级 {grade}" + (f"，排名 {rank}" if isinstance(rank, int) else ""))
        head.append(
            f"   资金（万元）：预算安排 {_f(d.get('budget'), format_money)}，调整后预算 {_f(d.get('adjusted_budget'), format_money)}，"
            f"实际到位 {_f(d.get('received'), format_money)}，实际支出 {_f(d.get('spent'), format_money)}，结余 {_f(d.get('balance'), format_money)}"
        )
        head.append(
            f"   资金到位率 {_f(d.get('arrival_rate'), format_rate)}，预算执行率 {_f(d.get('execution_rate'), format_rate)}，"
            f"预算调整率 {_f(d.get('adjustment_rate'), format_rate)}，结余率 {_f(d.get('balance_rate'), format_rate)}"
        )
        before = d.get("previous")
        if isinstance(before, Mapping) and before.get("year"):  # 比较法: from the results history
            moved = [f"得分 {_f(before.get('total_score'), format_number)}，预算执行率 {_f(before.get('execution_rate'), format_rate)}"]
            if isinstance(before.get("score_change"), (int, float)):
                moved.append(f"得分变化 {before['score_change']:+.2f}")
            if isinstance(before.get("execution_rate_change"), (int, float)):
                moved.append(f"执行率变化 {before['execution_rate_change'] * 100:+.2f} 个百分点")
            head.append(f"   {before['year']} 年度：{'；'.join(moved)}")
        levels = [x for x in d.get("level1") or [] if isinstance(x, Mapping)]
        if levels:
            parts = [f"{x.get('name')} {_f(x.get('score'), format_number)}/{_f(x.get('weight'), format_number)}" for x in levels]
            head.append(f"   一级指标得分：{'，'.join(parts)}")
    findings = [f for f in d.get("findings") or [] if isinstance(f, Mapping)]
    if not findings:
        return [*head, "   未发现问题。"]
    counts = {s: sum(1 for f in findings if f.get("severity") == s) for s in ("错误", "警告", "提示")}
    head.append(f"   问题：错误 {counts['错误']} 条，警告 {counts['警告']} 条，提示 {counts['提示']} 条，共 {len(findings)} 条：")
    number_w = len(str(len(findings))) + 2
    for i, f in enumerate(findings, 1):
        severity = str(f.get("severity") or "")
        where = location(f) or "（整个工作簿）"
        told = f"  （{f['previously']} 年已指出）" if isinstance(f.get("previously"), int) else ""
        head.append(
            f"   {pad(f'[{i}]', number_w)} {paint(severity, ROLE_OF_SEVERITY.get(severity, ''))} {f.get('code') or ''}  {where}{told}"
        )
        indent = "   " + " " * (number_w + 1)
        head.append(f"{indent}{f.get('message') or ''}")
        values = []
        if f.get("filled"):
            values.append(f"填报值 {f['filled']}")
        if f.get("computed"):
            values.append(f"计算值 {f['computed']}")
        if values:
            head.append(f"{indent}{'；'.join(values)}")
        if f.get("fix"):
            head.append(f"{indent}修改方法：{f['fix']}")
    return head


def department_outputs(d: Mapping[str, Any], labels: Mapping[str, str], outdir: os.PathLike[str] | str) -> list[str]:
    """Where the department's own outputs are (`labels`: kind → what to call it)."""
    outputs = d.get("outputs")
    if not isinstance(outputs, Mapping):
        return []
    return [f"   {labels.get(kind, kind)}：{os.path.join(outdir, path)}" for kind, path in outputs.items() if isinstance(path, str)]


# ---- perfeval check ----


def check_block(dep: Department, paint: Paint = plain, layouts: tuple[Any, ...] = ()) -> str:
    """One checked workbook: its status, score and rates, and a table of its findings.
    `layouts`: the user's profiles, to name a layout of theirs."""
    head = f"== {dep.file}：{dep.name}"
    if dep.data.in_form:  # read by another layout's profile: which one, so the reading can be judged
        layout = by_id(dep.data.profile, layouts)
        head += f"\n   表样：{layout.name if layout else dep.data.profile}（按该表样读取）"
    if dep.status is not None:
        head += f"\n   状态：{paint(dep.status.value, ROLE_OF_STATUS[dep.status.value])}" + (
            f"（{dep.status_reason}）" if dep.status_reason else ""
        )
    if dep.readable:
        provisional = "（暂定）" if dep.status is Status.PENDING and dep.total_score is not None else ""
        head += (
            f"\n   评价得分 {format_number(dep.total_score) or '—'}{provisional}，等级 {dep.grade or '—'}；"
            f"资金到位率 {format_rate(dep.arrival_rate) or '—'}，预算执行率 {format_rate(dep.execution_rate) or '—'}；"
            f"实际支出 {format_money(dep.spent) or '—'} 万元"
        )
    if not dep.findings:
        return head + "\n   未发现问题。\n"
    rows = [("级别", "代码", "位置", "说明")]
    rows += [(f.severity.value, f.code, f.location or "—", f.message) for f in dep.findings]
    width = max(text_width(r[2]) for r in rows)
    lines = [head, f"   错误 {dep.errors} 条，警告 {dep.warnings} 条，共 {len(dep.findings)} 条："]
    for i, (sev, code, loc, msg) in enumerate(rows):
        role = "" if i == 0 else ROLE_OF_SEVERITY.get(sev, "")
        lines.append(f"   {paint(pad(sev, 4), role)} {pad(code, 4)} {pad(loc, width)}  {msg}")
    return "\n".join(lines) + "\n"


def check_summary(departments: Iterable[Department], skipped: int = 0) -> str:
    """`perfeval check`'s closing line: how many workbooks, and how they came out."""
    deps = list(departments)
    errors = sum(1 for d in deps if d.errors)
    warned = sum(1 for d in deps if not d.errors and d.warnings)
    hinted = sum(1 for d in deps if not d.errors and not d.warnings and d.findings)
    clean = len(deps) - errors - warned - hinted
    parts = [f"{n} 个{what}" for n, what in ((errors, "有错误"), (warned, "有警告"), (hinted, "只有提示"), (clean, "未发现问题")) if n]
    line = f"共检查 {len(deps)} 个工作簿：{'，'.join(parts)}" if deps else "没有检查任何工作簿"
    if skipped:
        line += f"；跳过 {skipped} 个文件"
    return line


def open_command(platform: str) -> list[str]:
    """The program that opens a file with the system's default application: `open` on macOS,
    `xdg-open` elsewhere; none on Windows, where os.startfile does it."""
    if platform == "win32":
        return []
    return ["open"] if platform == "darwin" else ["xdg-open"]


def terminal_width(stream: Any, environ: Mapping[str, str], default: int = 120) -> int:
    """Columns to fit a table in: the terminal's where `stream` is one (or $COLUMNS), else `default`."""
    columns = environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return max(60, int(columns))
    try:
        if stream.isatty():
            return max(60, os.get_terminal_size(stream.fileno()).columns)
    except (AttributeError, OSError, ValueError):
        pass
    return default
