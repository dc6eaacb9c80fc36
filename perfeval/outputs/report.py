"""The Word report of one department, in the structure of the seed report.

Every figure comes from what perfeval computed, never from what the workbook claims where the
two differ. The layout is the package's `data/report-template.docx` (`perfeval template --report`
writes a copy to restyle in Word, used with `--report-template`), filled with docxtpl's tags and
autoescape on: prepared once per template and rendered per department by `docx_render`, or by
docxtpl itself (`write_report_docxtpl`) for a template that path does not cover. A user's
template is tried before a run (`check_report_template`), so that a broken one stops the run
before any work, with the reason, rather than after the department workbooks are written.
"""

from __future__ import annotations

import functools
import io
import re
import warnings
import zipfile
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from .. import schema as S
from ..atomic import write_bytes_atomic
from ..model import Cell, Department, Finding, LevelScore, Severity, Status, WorkbookData
from ..values import clean_text, format_money, format_number, format_rate, normalize_label
from . import docx_render

DEFAULT_TEMPLATE = "report-template.docx"  # package data (perfeval/data/), read with importlib.resources
CHECK_DATE = date(2024, 1, 1)  # the report date of the made-up departments a template is tried with
# Characters XML 1.0 cannot hold: Word refuses a file that has them.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@functools.cache
def default_template_bytes() -> bytes:
    """The default report template, as shipped in the package (read once per process)."""
    return resources.files("perfeval").joinpath("data", DEFAULT_TEMPLATE).read_bytes()


def _t(text: Any) -> str:
    return _XML_ILLEGAL.sub("", clean_text(text))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in _t(text).splitlines() if line.strip()]


def _info(dep: Department, key: str) -> str:
    cell = dep.data.info.get(key)
    return "" if cell is None else _t(cell.raw)


def _money(x: float | None) -> str:
    return format_money(x) or "—"


def _rate(x: float | None) -> str:
    return format_rate(x) or "—"


def report_context(dep: Department, run_date: date) -> dict[str, Any]:
    data = dep.full_data()  # a report tells of goals, items and conclusions: the whole read
    year_text = f"{dep.year}年度" if dep.year else ""
    fund_rows = []
    for label in S.SOURCE_ROWS + S.USE_ROWS:
        row = data.funds.get(label, {})
        values = {k: row[k].number if k in row else None for k in S.MONEY_COLUMNS}
        if all(v is None for v in values.values()):
            continue
        fund_rows.append({"label": label, **{k: format_money(v) for k, v in values.items()}})
    fund_rows.insert(
        sum(1 for r in fund_rows if r["label"] in S.SOURCE_ROWS),
        {
            "label": "合计",
            "budget": _money(dep.budget),
            "adjusted": format_money(dep.adjusted),
            "received": _money(dep.received),
            "spent": _money(dep.spent),
            "balance": _money(dep.balance),
        },
    )
    goals: list[str] = []
    indicators = []
    for row in data.goals:
        goal = row.get("goal")
        if goal is not None and not goal.blank and _t(goal.raw) not in goals:
            goals.append(_t(goal.raw))
        level3 = row.get("level3")
        if level3 is not None and not level3.blank:
            unit = _t(row["unit"].raw) if "unit" in row else ""
            nature = _t(row["nature"].raw) if "nature" in row else ""
            target = _t(row["target"].raw) if "target" in row else ""
            actual = _t(row["actual"].raw) if "actual" in row else ""
            indicators.append(
                {
                    "level1": _t(row["level1"].raw) if "level1" in row else "",
                    "level2": _t(row["level2"].raw) if "level2" in row else "",
                    "level3": _t(level3.raw),
                    "target": f"{nature if nature != '定性' else ''}{target}{unit if target else ''}",
                    "actual": f"{actual}{unit if actual else ''}",
                }
            )
    level1 = {normalize_label(x.name) for x in dep.level1} - {""}
    level2 = {(x.parent, x.name) for x in dep.level2 if x.name}
    problems, suggestions = _items(data.items, "存在问题"), _items(data.items, "相关建议")
    execution_formula = "实际支出资金 ÷ 调整后预算" if dep.adjusted is not None else "实际支出资金 ÷ 实际到位资金（预算未调整）"
    findings = [
        {"severity": f.severity.value, "code": f.code, "location": f.location or "—", "message": _t(f.message)} for f in dep.findings
    ]
    return {
        "name": _t(dep.name),
        "year_text": year_text,
        "run_date": f"{run_date.year}年{run_date.month}月{run_date.day}日",
        "project": _info(dep, "project") or f"{_t(dep.name)}{year_text}部门整体支出绩效评价",
        "eval_type": _t(dep.eval_type),
        "purpose": _info(dep, "purpose") or "—",
        "budget": _money(dep.budget),
        "received": _money(dep.received),
        "spent": _money(dep.spent),
        "balance": _money(dep.balance),
        "execution_rate": _rate(dep.execution_rate),
        "execution_formula": execution_formula,
        "arrival_rate": _rate(dep.arrival_rate),
        "adjustment_rate": _rate(dep.adjustment_rate) if dep.adjusted is not None else "—（未调整）",
        "balance_rate": _rate(dep.balance_rate),
        "basic_rate": _rate(dep.basic_rate),
        "project_rate": _rate(dep.project_rate),
        "fund_rows": fund_rows,
        "goals": goals,
        "indicators": indicators,
        "scope": _info(dep, "scope") or "—",
        "basis": _lines(_info(dep, "basis")) or ["—"],
        "level1_count": len(level1),
        "level2_count": len(level2),
        "level3_count": dep.level3_count,
        "total_weight": format_number(dep.total_weight) or "—",
        "method": _info(dep, "method") or "—",
        "data_method": _info(dep, "data_method") or "—",
        "process": _lines(_info(dep, "process")) or ["—"],
        "score": format_number(dep.total_score) or "—",
        "grade": dep.grade or "—",
        **_status_texts(dep, year_text),
        "score_rate": f"{dep.score_rate:.0%}" if dep.score_rate is not None else "—",
        "analysis": [
            {
                "name": _t(x.name),
                "weight": format_number(x.weight),
                "score": format_number(x.score),
                "rate": f"{x.rate:.0%}" if x.rate is not None else "—",
            }
            for x in dep.level1
        ],
        "problems": _first_second(problems) or ["无"],
        "suggestions": [f"{i}. {x}" for i, x in enumerate(suggestions, start=1)] or ["无"],
        "other_matters": _t(dep.data.conclusion["other_matters"].raw)
        if "other_matters" in dep.data.conclusion and not dep.data.conclusion["other_matters"].blank
        else "无",
        "findings": findings,
        "findings_summary": (
            f"perfeval 审核共发现 {len(findings)} 条问题（错误 {dep.errors} 条，警告 {dep.warnings} 条），位置指向原工作簿中需要修改的单元格。"
            if findings
            else "perfeval 审核未发现问题。"
        ),
    }


def _status_texts(dep: Department, year_text: str) -> dict[str, str]:
    """How the report states the result: as settled only where the status is 可受理."""
    score, grade = format_number(dep.total_score), dep.grade
    subject = f"{_t(dep.name)}{year_text}部门整体支出绩效评价"
    if dep.status is Status.UNSCORED or not score:
        reason = _t(dep.status_reason or dep.unscored)
        return {
            "score_text": "未评分",
            "grade_text": "—",
            "status_banner": f"【未评分】{reason}。本报告不给出得分和等级，补正后重新评价。",
            "verdict": f"{subject}暂无法评分：{reason}。",
        }
    if dep.status is Status.PENDING:
        return {
            "score_text": f"{score}分（暂定）",
            "grade_text": f"{grade}（暂定）",
            "status_banner": f"【待补正】{_t(dep.status_reason)}。",
            "verdict": f"经综合评价，{subject}暂定得分{score}分，暂定评价等级为“{grade}”；审核发现的错误补正后，得分和等级可能变化。",
        }
    return {
        "score_text": f"{score}分",
        "grade_text": grade or "—",
        "status_banner": "",
        "verdict": f"经综合评价，{subject}得分{score}分，评价等级为“{grade}”。",
    }


def _items(rows: list[dict[str, Any]], category: str) -> list[str]:
    """The 内容 of the 评价结论 rows of one 类别, in order."""
    out = []
    for r in rows:
        if "category" in r and normalize_label(r["category"].raw) == category and "content" in r and not r["content"].blank:
            out.append(_t(r["content"].raw))
    return out


ORDINALS = "一二三四五六七八九十"


def _first_second(items: list[str]) -> list[str]:
    """The seed report's style: 一是…；二是…"""
    if len(items) < 2:
        return items
    return [f"{ORDINALS[i]}是{x}" if i < len(ORDINALS) else x for i, x in enumerate(items)]


def write_report(dep: Department, target: Path, run_date: date, template: Path | None = None) -> Path:
    return write_bytes_atomic(target, report_bytes(dep, run_date, template))


def report_bytes(dep: Department, run_date: date, template: Path | None = None) -> bytes:
    """The department's Word report, as the bytes of a .docx."""
    template_bytes = template.read_bytes() if template else default_template_bytes()
    prep, first = docx_render.prepare(template_bytes)
    name = str(template) if template else DEFAULT_TEMPLATE
    if isinstance(prep, docx_render.Broken):  # docxtpl would fail too (check_report_template says it before a run)
        raise ValueError(f"报告模板 {name}：{prep}")
    if isinstance(prep, docx_render.Unsupported):
        if first:
            warnings.warn(f"报告模板 {name} {prep}，快速生成不支持，改用 docxtpl 逐份渲染（较慢）。", stacklevel=2)
        return report_bytes_docxtpl(dep, run_date, template_bytes)
    document = docx_render.render_document(prep, report_context(dep, run_date))
    core = docx_render.render_core(prep, _title(dep), "perfeval", _datetime(run_date))
    return docx_render.write_docx(prep, document, core)


def write_report_docxtpl(dep: Department, target: Path, run_date: date, template_bytes: bytes | None = None) -> Path:
    return write_bytes_atomic(target, report_bytes_docxtpl(dep, run_date, template_bytes))


def report_bytes_docxtpl(dep: Department, run_date: date, template_bytes: bytes | None = None) -> bytes:
    """The report rendered by docxtpl itself: for templates the fast path does not cover."""
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(io.BytesIO(template_bytes if template_bytes is not None else default_template_bytes()))
    tpl.render(report_context(dep, run_date), autoescape=True)
    docx_render.stamp_properties(tpl.docx.core_properties, _title(dep), "perfeval", _datetime(run_date))
    saved = io.BytesIO()
    tpl.save(saved)
    return _pin_zip_times(saved.getvalue())


def _title(dep: Department) -> str:
    return f"{_t(dep.name)}部门整体支出绩效评价报告"[:255]  # the format's limit


def _datetime(d: date):
    from datetime import datetime

    return datetime(d.year, d.month, d.day)


def _pin_zip_times(docx: bytes) -> bytes:
    """The zip again with fixed entry times, so the same inputs give the same bytes."""
    with zipfile.ZipFile(io.BytesIO(docx)) as src:
        entries = [(info, src.read(info.filename)) for info in src.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, blob in entries:
            dst.writestr(docx_render.zip_entry(info.filename, info.external_attr), blob)
    return out.getvalue()


# --- is a user's template fit to make the reports? ---------------------------------------


def check_report_template(path: Path) -> str | None:
    """Why the Word report template at `path` cannot make the reports (in Chinese, for the user:
    `错误：报告模板 <path>：<why>`), or None where it can. For the command, before any work: the
    template is prepared as the run prepares it (and stays prepared: the run, and its forked
    workers, find it in docx_render's cache) and filled, in memory, for a made-up department in
    each status. Names the template uses that perfeval does not give count too: jinja2 would
    fill them in silently as blanks."""
    if path.is_dir():
        return "是文件夹，不是 .docx 文件"
    try:
        template_bytes = path.read_bytes()
    except FileNotFoundError:
        return "文件不存在"
    except OSError as exc:
        return f"无法读取（{exc.strerror or exc}）"
    try:
        prep, _ = docx_render.prepare(template_bytes, look=True)
    except Exception as exc:  # what prepare does not foresee in a damaged file
        return f"无法作为 Word 文档（.docx）打开（{type(exc).__name__}：{exc}）"
    if isinstance(prep, docx_render.Broken):
        return str(prep)
    samples = sample_departments()
    contexts = [report_context(dep, CHECK_DATE) for dep in samples]
    if isinstance(prep, docx_render.Unsupported):
        return _check_docxtpl(template_bytes, contexts)
    unknown = prep.variables - contexts[0].keys() - prep.template.environment.globals.keys()
    if unknown:
        return _unknown(unknown)
    from docx.oxml.parser import parse_xml

    for dep, context in zip(samples, contexts, strict=True):
        try:
            document = docx_render.render_document(prep, context)
        except Exception as exc:  # a filter, a test or a call on what perfeval gives, failing
            return _failed(exc)
        try:
            parse_xml(document)  # docxtpl would repair the body; Word refuses what this path wrote
        except Exception:
            return "填好的正文不是有效的 Word 文档：{% if %}、{% for %} 等标签跨越段落或表格行时，应写作 {%p …%}、{%tr …%}"
        docx_render.write_docx(prep, document, docx_render.render_core(prep, _title(dep), "perfeval", _datetime(CHECK_DATE)))
    return None


def _check_docxtpl(template_bytes: bytes, contexts: list[dict[str, Any]]) -> str | None:
    """check_report_template for a template docxtpl renders itself (see docx_render)."""
    from docxtpl import DocxTemplate
    from jinja2 import Environment, TemplateSyntaxError

    try:
        unknown = DocxTemplate(io.BytesIO(template_bytes)).get_undeclared_template_variables(context=contexts[0])
    except TemplateSyntaxError as exc:  # in a header or footer (the body's was found by prepare)
        return f"模板标签有语法错误：{exc.message or exc}"
    except Exception as exc:
        return f"无法作为 Word 文档（.docx）打开（{type(exc).__name__}：{exc}）"
    unknown -= Environment().globals.keys()
    if unknown:
        return _unknown(unknown)
    for context in contexts:
        try:
            tpl = DocxTemplate(io.BytesIO(template_bytes))
            tpl.render(context, autoescape=True)
            tpl.save(io.BytesIO())
        except TemplateSyntaxError as exc:
            return f"模板标签有语法错误：{exc.message or exc}"
        except Exception as exc:
            return _failed(exc)
    return None


def _unknown(names: set[str] | frozenset[str]) -> str:
    return f"用了 perfeval 不提供的变量 {'、'.join(sorted(names))}（名字写错了？可对照 perfeval template --report 导出的内置模板）"


def _failed(exc: Exception) -> str:
    return f"用示例部门试填时出错（{type(exc).__name__}：{exc}）"


def sample_departments() -> list[Department]:
    """A made-up department in each status, with a row in every table of the report: what a
    template is tried with before a run."""
    info = {
        key: Cell(S.SHEET_INFO, row, 2, text)
        for row, (key, text) in enumerate(
            (
                ("project", "示例局2023年度部门整体支出绩效评价"),
                ("purpose", "了解资金使用效益"),
                ("scope", "2023年度部门整体支出"),
                ("basis", "《预算法》\n《项目支出绩效评价管理办法》"),
                ("method", "比较法"),
                ("data_method", "抽查凭证"),
                ("process", "前期准备\n组织实施"),
            ),
            start=2,
        )
    }
    funds = {
        label: {k: Cell(S.SHEET_FUNDS, row, col, 100.0, 100.0) for col, k in enumerate(S.MONEY_COLUMNS, start=2)}
        for row, label in enumerate(("市级资金", "基本支出", "项目支出"), start=3)
    }
    goal = {
        key: Cell(S.SHEET_GOALS, 3, col, text)
        for col, (key, text) in enumerate(
            (
                ("goal", "完成年度工作任务"),
                ("level1", "产出指标"),
                ("level2", "数量指标"),
                ("level3", "完成项目数"),
                ("nature", "≥"),
                ("target", "10"),
                ("unit", "个"),
                ("actual", "12"),
            ),
            start=1,
        )
    }
    items = [
        {"category": Cell(S.SHEET_CONCLUSION, row, 1, category), "content": Cell(S.SHEET_CONCLUSION, row, 2, text)}
        for row, (category, text) in enumerate(
            (("存在问题", "绩效目标不够细化"), ("存在问题", "资金支付进度偏慢"), ("相关建议", "细化绩效目标")), start=10
        )
    ]
    conclusion = {"other_matters": Cell(S.SHEET_CONCLUSION, 8, 2, "无")}
    out = []
    for status in Status:
        data = WorkbookData(
            path=Path("示例局.xlsx"), file="示例局.xlsx", info=info, funds=funds, goals=[goal], items=items, conclusion=conclusion
        )
        scored = status is not Status.UNSCORED
        out.append(
            Department(
                data,
                name="示例局",
                code="000001",
                year=2023,
                eval_type="部门评价",
                budget=300.0,
                adjusted=300.0,
                received=300.0,
                spent=270.0,
                balance=30.0,
                arrival_rate=1.0,
                execution_rate=0.9,
                adjustment_rate=0.0,
                balance_rate=0.1,
                basic_rate=0.95,
                project_rate=0.85,
                level1=[LevelScore("产出指标", weight=100.0, score=90.0 if scored else None, count=1)],
                level2=[LevelScore("数量指标", parent="产出指标", weight=100.0, score=90.0 if scored else None, count=1)],
                level3_count=1,
                total_weight=100.0,
                total_score=90.0 if scored else None,
                grade="优" if scored else "",
                unscored="" if scored else "指标评分表没有得分",
                status=status,
                status_reason={Status.ACCEPTED: "", Status.PENDING: "有 1 条错误", Status.UNSCORED: "指标评分表没有得分"}[status],
                findings=[Finding("F01", Severity.WARNING, "示例局", "示例局.xlsx", S.SHEET_FUNDS, 3, 2, "示例问题")],
            )
        )
    return out
