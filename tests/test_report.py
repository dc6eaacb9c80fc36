from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from perfeval.config import Settings
from perfeval.names import safe_stem, unique_stems
from perfeval.outputs.department_book import write_department_book
from perfeval.outputs.report import default_template_bytes, write_report
from perfeval.outputs.report_template import build_report_template
from perfeval.pipeline import analyze, process

from .conftest import INBOX, SEED_FILE, clean_spec, needs_office, office_convert

GOLDEN = Path(__file__).parent / "golden" / "seed_report.txt"
RUN_DATE = date(2024, 3, 1)


def report_text(path: Path) -> str:
    """Paragraphs and tables of a .docx, in document order, as plain text."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    doc = docx.Document(str(path))
    lines = []
    for child in doc.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            p = Paragraph(child, doc)
            if p.text.strip():
                lines.append(f"[{p.style.name}] {p.text}")
        elif tag == "tbl":
            for row in Table(child, doc).rows:
                lines.append("| " + " | ".join(c.text for c in row.cells) + " |")
    return "\n".join(lines) + "\n"


def _dep(path: Path, name: str = "部门.xlsx"):
    deps, _ = analyze([(path, name)], Settings())
    return deps[0]


def test_seed_report_matches_golden(tmp_path):
    out = write_report(_dep(SEED_FILE, SEED_FILE.name), tmp_path / "seed.docx", RUN_DATE)
    text = report_text(out)
    if os.environ.get("PERFEVAL_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_seed_report_structure_and_computed_figures(tmp_path):
    text = report_text(write_report(_dep(SEED_FILE), tmp_path / "seed.docx", RUN_DATE))
    headings = [line.removeprefix("[Heading 1] ") for line in text.splitlines() if line.startswith("[Heading 1] ")]
    assert headings == [
        "一、部门整体基本情况",
        "二、部门整体绩效目标",
        "三、评价基本情况",
        "四、评价结论和绩效分析",
        "五、存在问题",
        "六、相关建议",
        "七、其他需要说明的事项",
    ]
    assert "经计算，资金到位率157.70%，预算执行率100.00%，结余率0.00%。" in text  # not the report's 157.7%
    assert "重新计算为100.00%（19,885.29 ÷ 19,885.29 × 100%）" in text
    assert "| 部门管理 | 20 | 17 | 85% |" in text  # not the printed 94%
    assert "共设一级指标5项、二级指标14项、三级指标24项" in text  # counted, not the report's 4
    assert "| 合计 | 100 | 91 | 91% |" in text
    assert "[Normal] 一是本级项目预算执行率不高" in text
    assert "审核发现的问题" not in text and "perfeval" not in text


def _east_asian_font(doc, run) -> str | None:
    from docx.oxml.ns import qn

    def from_rpr(rpr):
        if rpr is None:
            return None
        fonts = rpr.find(qn("w:rFonts"))
        return None if fonts is None else (fonts.get(qn("w:eastAsia")) or fonts.get(qn("w:eastAsiaTheme")))

    found = from_rpr(run._r.rPr)
    style = run.style if run.style is not None and run._r.rPr is not None and run._r.rPr.rStyle is not None else None
    while found is None and style is not None:
        found = from_rpr(style.element.rPr)
        style = style.base_style
    style = run._parent.style if hasattr(run._parent, "style") else None
    while found is None and style is not None:
        found = from_rpr(style.element.rPr)
        style = style.base_style
    if found is None:
        defaults = doc.styles.element.find(qn("w:docDefaults"))
        found = from_rpr(defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")))
    return found


def test_every_run_has_an_east_asian_font(tmp_path):
    import docx

    doc = docx.Document(str(write_report(_dep(SEED_FILE), tmp_path / "seed.docx", RUN_DATE)))
    runs = [r for p in doc.paragraphs for r in p.runs]
    runs += [r for t in doc.tables for row in t.rows for c in row.cells for p in c.paragraphs for r in p.runs]
    assert len(runs) > 50
    missing = [r.text for r in runs if not _east_asian_font(doc, r)]
    assert missing == []


def test_markup_characters_render_whole(tmp_path, make_workbook):
    spec = clean_spec()
    name = "研发&测试<中心>部\"甲\"'乙'"
    spec["基本信息"]["部门名称"] = name
    spec["评价结论"]["items"][0]["内容"] = "A&B<C>D{{ x }}{% if %}"
    text = report_text(write_report(_dep(make_workbook(spec)), tmp_path / "r.docx", RUN_DATE))
    assert f"[Title] {name}2023年度" in text
    assert "A&B<C>D{{ x }}{% if %}" in text


def test_committed_template_is_the_default(tmp_path):
    """The shipped template is what build_report_template makes (python -m
    perfeval.outputs.report_template refreshes it): every part, but the dates of the properties."""
    fresh = build_report_template(tmp_path / "t.docx")
    with zipfile.ZipFile(fresh) as a, zipfile.ZipFile(io.BytesIO(default_template_bytes())) as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        stale = [n for n in a.namelist() if n != "docProps/core.xml" and a.read(n) != b.read(n)]
    assert stale == [], "run python -m perfeval.outputs.report_template to refresh perfeval/data/report-template.docx"


@needs_office
def test_report_converts_to_pdf_with_name_and_score(tmp_path):
    out = write_report(_dep(SEED_FILE), tmp_path / "兰州新区科技发展局.docx", RUN_DATE)
    proc = office_convert([out], "pdf", tmp_path, tmp_path / "lo", timeout=240)
    pdf = tmp_path / "兰州新区科技发展局.pdf"
    assert proc.returncode == 0 and pdf.exists(), proc.stderr
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None and not os.environ.get("CI"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run([pdftotext or "pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    assert "兰州新区科技发展局" in flat and "91分" in flat and "优" in flat


def test_department_book(tmp_path):
    dep = _dep(SEED_FILE, SEED_FILE.name)
    path = write_department_book(dep, tmp_path / "d.xlsx", RUN_DATE)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["评价结果", "需要修改的问题"]
    fixes = wb["需要修改的问题"]
    rows = [r for r in fixes.iter_rows(min_row=5, values_only=True) if r[0]]
    assert len(rows) == len(dep.findings)
    assert ("F04", "资金情况", "C5") in {(r[2], r[3], r[4]) for r in rows}
    fills = {r[1].value: r[1].fill.fgColor.rgb for r in fixes.iter_rows(min_row=5) if r[1].value}
    assert fills["警告"].endswith("FFEB9C") and fills["提示"] == "00000000"  # the seed has no 错误
    # 评价结果 counts them and links to that sheet instead of listing them a second time
    results = wb["评价结果"]
    texts = [c for row in results.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any(t.startswith(f"四、发现的问题（{len(dep.findings)} 条：") and t.endswith("→ 逐条见“需要修改的问题”工作表") for t in texts)
    assert not any(f.message in texts for f in dep.findings)
    link = next(c.hyperlink for row in results.iter_rows() for c in row if c.hyperlink)
    assert link.location == "'需要修改的问题'!A5"


def test_process_writes_a_book_and_report_per_department(tmp_path):
    result = process(INBOX, tmp_path / "out", Settings(), RUN_DATE)
    books = sorted((tmp_path / "out" / "departments").iterdir())
    reports = sorted((tmp_path / "out" / "reports").iterdir())
    assert len(books) == len(reports) == len(result.departments) == 7
    assert all(d.outputs["report"].startswith("reports/") for d in result.departments)
    no_reports = process(INBOX, tmp_path / "out2", Settings(), RUN_DATE, reports=False)
    assert not (tmp_path / "out2" / "reports").exists() and all("report" not in d.outputs for d in no_reports.departments)


@pytest.mark.parametrize(
    "name, stem",
    [
        ("人力资源部/行政", "人力资源部_行政"),
        ("财务部[2024]", "财务部[2024]"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("../../etc", "_.._etc"),
        ('a:b*c?d"e<f>g|h\\i', "a_b_c_d_e_f_g_h_i"),
        ("", "部门"),
        ("...", "部门"),
    ],
)
def test_safe_stem(name, stem):
    assert safe_stem(name) == stem


def test_unique_stems_case_and_width():
    stems = unique_stems(["Ａ部", "A部", "a部", "长" * 150, "长" * 150])
    assert len({s.casefold() for s in stems}) == 5
    assert stems[:3] == ["Ａ部", "A部_2", "a部_3"]
    assert all(len(s) <= 100 for s in stems)


def test_hostile_names_land_inside_outdir(tmp_path, make_workbook):
    inbox = tmp_path / "inbox"
    names = ["人力资源部/行政", "财务部[2024]", "CON", "../../etc", "长" * 40, "Ａ部", "A部"]
    for i, name in enumerate(names):
        spec = clean_spec()
        spec["基本信息"].update({"部门名称": name, "部门编码": f"C{i}"})
        make_workbook(spec, name=f"{i}.xlsx", folder=inbox)
    out = tmp_path / "out"
    result = process(inbox, out, Settings(), RUN_DATE)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert all(out.resolve() in p.resolve().parents for p in files)
    assert len(list((out / "departments").iterdir())) == len(names) == len(result.departments)
    wb = openpyxl.load_workbook(out / "绩效评价汇总.xlsx")
    assert len(wb.sheetnames) == 4 + len(names) + 1  # and 分析
