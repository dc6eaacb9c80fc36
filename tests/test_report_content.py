"""The Word report as an evaluator writes it (issue #14): what it says, per 一级指标 and in full
in the 附表, with recalculated figures said so and problems never "无" where points were lost;
and how it looks, in the official-document typography of GB/T 9704-2012."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pytest

from perfeval.config import Settings
from perfeval.model import Status
from perfeval.outputs.report import (
    DRAFTED,
    PLACEHOLDER_ORGANIZATION,
    money_text,
    number_text,
    rate_text,
    report_context,
    write_report,
)
from perfeval.pipeline import analyze
from perfeval.values import format_rate

from .conftest import INBOX, SEED_FILE, clean_spec, needs_office, office_convert
from .test_report import report_text

RUN_DATE = date(2024, 3, 1)
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
SEVEN = (
    "一、部门整体基本情况",
    "二、部门整体绩效目标",
    "三、评价基本情况",
    "四、评价结论和绩效分析",
    "五、存在问题",
    "六、相关建议",
    "七、其他需要说明的事项",
)
CELL_REFERENCE = re.compile(r"[\u4e00-\u9fff]+![A-Z]{1,3}\d+")  # 资金情况!C5


def _deps(*paths: Path):
    deps, _ = analyze([(p, p.name) for p in paths], Settings())
    return deps


@pytest.fixture(scope="module")
def seed():
    return _deps(SEED_FILE)[0]


@pytest.fixture(scope="module")
def seed_docx(seed, tmp_path_factory) -> Path:
    return write_report(seed, tmp_path_factory.mktemp("seed") / "兰州新区科技发展局.docx", RUN_DATE)


def _paragraphs(text: str, style: str) -> list[str]:
    return [line.removeprefix(f"[{style}] ") for line in text.splitlines() if line.startswith(f"[{style}] ")]


def _scores(dep) -> list[dict]:
    rows = []
    for row in dep.full_data().scores:
        rows.append({k: (c.number if k in ("weight", "score") else str(c.raw or "").strip()) for k, c in row.items()})
    return rows


# --- what the report says -------------------------------------------------------------------


def test_seven_sections_in_order_and_nothing_of_the_tool(seed_docx):
    text = report_text(seed_docx)
    assert _paragraphs(text, "Heading 1") == list(SEVEN)
    assert "perfeval" not in text.lower()
    assert not CELL_REFERENCE.search(text), CELL_REFERENCE.search(text)
    assert "附录" not in text and "审核发现的问题" not in text  # the department workbook lists the findings


def test_a_paragraph_per_level1_with_every_deduction_and_its_reason(seed, seed_docx):
    text = report_text(seed_docx)
    body = _paragraphs(text, "Normal")
    for i, level1 in enumerate(seed.level1, start=1):
        paragraph = next(p for p in body if p.startswith(f"{i}.{level1.name}。"))
        assert (
            f"该指标分值{number_text(level1.weight)}分，得分{number_text(level1.score)}分，得分率{rate_text(level1.rate, 0)}" in paragraph
        )
        for row in _scores(seed):
            if row["level1"] == level1.name and row["score"] < row["weight"]:
                lost = number_text(row["weight"] - row["score"])
                assert f"“{row['level3']}”扣{lost}分" in paragraph
                assert (row["reason"] or "指标评分表未写明扣分原因") in paragraph
    assert "1.部门整体支出率。该指标分值10分，得分8分，得分率80%。其中，“预算执行率”扣2分，指标评分表未写明扣分原因。" in body
    assert "2.部门管理。该指标分值20分，得分17分，得分率85%。" in "".join(body)  # computed: not the printed 94%


def test_the_full_scoring_table_is_the_appendix(seed, seed_docx):
    text = report_text(seed_docx)
    lines = text.splitlines()
    # 七 … 附件说明, then the 落款 (评价机构, date), then the 附表 on a page of its own
    assert lines.index("[Heading 1] 七、其他需要说明的事项") < lines.index(
        "[Normal] 附表：兰州新区科技发展局2023年度部门整体支出绩效评价指标评分表"
    )
    signature = _paragraphs(text, "Signature")
    assert signature == [PLACEHOLDER_ORGANIZATION, "2024年3月1日"]
    at = lines.index("[Appendix Label] 附表")
    assert lines.index("[Signature] 2024年3月1日") == at - 1
    assert lines[at + 1] == "[Table Caption] 兰州新区科技发展局2023年度部门整体支出绩效评价指标评分表"
    table = lines[at + 2 :]
    assert table[0] == "| 一级指标 | 二级指标 | 三级指标 | 分值 | 得分 | 扣分原因 |"
    rows = _scores(seed)
    assert len(table) == 1 + len(rows) + 1 and table[-1].startswith("| 合计 | 合计 | 合计 | 100 | 91 |")
    for line, row in zip(table[1:], rows, strict=False):
        reason = row["reason"] or ("未写明扣分原因" if row["score"] < row["weight"] else "")
        cells = [row["level1"], row["level2"], row["level3"], number_text(row["weight"]), number_text(row["score"]), reason]
        assert line == "| " + " | ".join(cells) + " |"


def test_the_system_of_indicators_in_sentences(seed_docx):
    body = _paragraphs(report_text(seed_docx), "Normal")
    at = next(i for i, p in enumerate(body) if p.startswith("本次绩效评价指标体系"))
    assert body[at] == (
        "本次绩效评价指标体系共设一级指标5项、二级指标14项、三级指标24项，总分值100分。"
        "其中，部门整体支出率（10分）下设预算执行1项二级指标；"
        "部门管理（20分）下设预算编制、资金管理、采购管理、资产管理和绩效管理5项二级指标；"
        "履职效果（50分）下设规划编制、创新培育和信息化建设3项二级指标；"
        "能力建设（10分）下设制度建设、人员管理、档案管理和信息化管理4项二级指标；"
        "服务对象满意度（10分）下设满意度1项二级指标。"
    )
    assert body[at + 1] == "原填报的指标数为一级指标4项，按指标评分表统计为一级指标5项，本报告以指标评分表为准。"  # C08


def test_a_recalculated_figure_is_said_so_with_the_formula(seed_docx):
    text = report_text(seed_docx)
    assert (
        "[Normal] 原填报的预算执行率为157.70%（系按实际支出资金 ÷ 预算安排资金计算），与规定口径不符，"
        "本报告按预算执行率 = 实际支出资金 ÷ 调整后预算（预算未调整的为实际到位资金）× 100%"
        "重新计算为100.00%（19,885.29 ÷ 19,885.29 × 100%）。"
    ) in text  # F08
    assert "[Normal] 经计算，资金到位率157.70%，预算执行率100.00%，结余率0.00%。" in text
    assert "[Normal] 原填报的绩效分析表中“部门管理”的得分率为94%，本报告按得分 ÷ 分值重新计算为85%。" in text  # C06


def test_other_recalculated_figures(tmp_path):
    """资金 totals and balances (F01, F03) of the 待补正 sample."""
    dep = _deps(INBOX / "03_兰州新区农业农村局.xlsx")[0]
    notes = report_context(dep, RUN_DATE)["funds_notes"]
    assert "原填报的资金情况合计行预算安排资金为6,660.00万元，本报告按各资金来源相加重新计算为6,600.00万元。" in notes
    assert "原填报的“市级资金”结余资金为30.00万元，本报告按实际到位资金 − 实际支出资金重新计算为300.00万元。" in notes


def test_a_pending_department_has_the_banner_and_a_provisional_grade(tmp_path):
    dep = _deps(INBOX / "03_兰州新区农业农村局.xlsx")[0]
    assert dep.status is Status.PENDING
    text = report_text(write_report(dep, tmp_path / "r.docx", RUN_DATE))
    lines = text.splitlines()
    assert lines[2] == "[Notice] 【待补正】有 2 条“错误”需要补正，得分和等级为暂定，不参与排名。"
    assert "暂定得分92.8分，暂定评价等级为“优”；审核发现的错误补正后，得分和等级可能变化。" in text
    assert "评价等级为“优”。" not in text  # never as a fact
    assert "得分9.8分（暂定）" in text


def test_an_unscored_department_has_the_banner_and_no_score(tmp_path):
    dep = _deps(INBOX / "04_兰州新区卫生健康委员会.xlsx")[0]
    assert dep.status is Status.UNSCORED
    text = report_text(write_report(dep, tmp_path / "r.docx", RUN_DATE))
    assert text.splitlines()[2] == ("[Notice] 【未评分】无法计算得分：1 个指标有分值而得分为空。本报告不给出得分和等级，补正后重新评价。")
    assert "评价等级为" not in text and "得分暂无法计算" in text
    assert not CELL_REFERENCE.search(text)  # the reason named the cell: the workbook does that


def test_problems_are_drafted_from_the_deductions_where_none_are_listed(tmp_path, make_workbook):
    spec = clean_spec()
    spec["评价结论"]["items"] = []
    dep = _deps(make_workbook(spec))[0]
    text = report_text(write_report(dep, tmp_path / "r.docx", RUN_DATE))
    body = text.splitlines()
    five, six, seven = (body.index(f"[Heading 1] {h}") for h in SEVEN[4:])
    problems, suggestions = body[five + 1 : six], body[six + 1 : seven]
    assert problems[0] == f"[Normal] {DRAFTED}" and suggestions[0] == f"[Normal] {DRAFTED}"
    assert len(problems) == 1 + 5 and len(suggestions) == 1 + 5  # one per 一级指标 that lost points
    assert problems[2] == (
        "[Normal] 二是部门管理方面，“绩效目标合理性”“绩效监控开展情况”“预决算信息公开”3项指标共扣3分，"
        "主要是部分项目三级绩效目标设置不明确、不清晰；部分项目绩效目标未能全面体现项目的主要内容和目的；"
        "部分项目绩效信息未随预决算公开。"
    )
    assert suggestions[1].startswith("[Normal] 1.针对部门整体支出率方面“预算执行率”等指标扣分的问题")
    assert "无。" not in problems + suggestions


def test_a_rate_below_its_threshold_is_a_problem_too(tmp_path):
    """The 应急管理局 sample lists suggestions but no problems: its low rates (F06, F10) are."""
    dep = _deps(INBOX / "06_兰州新区应急管理局.xlsx")[0]
    context = report_context(dep, RUN_DATE)
    assert context["problems_note"] == DRAFTED and context["suggestions_note"] == ""
    assert "六是预算执行率为77.00%，低于90%，且未说明执行偏差原因。" in context["problems"]
    assert "七是项目支出执行率为69.09%，低于90%，项目资金支出进度偏慢。" in context["problems"]


def test_no_problems_where_nothing_was_lost(tmp_path, make_workbook):
    spec = clean_spec()
    spec["评价结论"]["items"] = []
    for row in spec["指标评分"]:
        row["得分"] = row["分值"]
        row.pop("扣分原因", None)
    dep = _deps(make_workbook(spec))[0]
    context = report_context(dep, RUN_DATE)
    assert context["problems"] == ["无。"] and context["problems_note"] == ""
    assert "各三级指标均未扣分" in context["analysis"][0]["text"]


def test_the_organization_signs_the_report(tmp_path, seed):
    text = report_text(write_report(seed, tmp_path / "r.docx", RUN_DATE, organization="甘肃某某绩效评价有限公司"))
    assert _paragraphs(text, "Signature") == ["甘肃某某绩效评价有限公司", "2024年3月1日"]
    later = report_text(write_report(seed, tmp_path / "s.docx", date(2024, 12, 31)))
    assert _paragraphs(later, "Signature") == [PLACEHOLDER_ORGANIZATION, "2024年12月31日"]


def test_rates_are_rounded_half_up():
    # values.format_rate rounds the binary float half to even: the report rounds as by hand
    assert rate_text(0.965, 0) == "97%" and f"{0.965:.0%}" == "96%"
    assert rate_text(57 / 200, 0) == "29%" and f"{57 / 200:.0%}" == "28%"
    assert rate_text(2.3 / 20, 0) == "12%"  # 0.11499999999999999 as a float
    assert rate_text(0.00015) == "0.02%" and format_rate(0.00015) == "0.01%"
    assert rate_text(1.577) == "157.70%" and rate_text(0.12345) == "12.35%" and rate_text(None) == ""
    assert money_text(0.125) == "0.13" and money_text(19885.289999999997) == "19,885.29" and money_text(-0.001) == "0.00"
    assert number_text(9.825) == "9.83" and number_text(10.0) == "10" and number_text(9.8) == "9.8"


def test_a_level1_rate_at_a_half_is_rounded_up_in_the_report(tmp_path, make_workbook):
    spec = clean_spec()
    rows = [r for r in spec["指标评分"] if r["一级指标"] == "部门管理"]
    assert sum(r["分值"] for r in rows) == 20
    for r in rows:
        r["得分"] = 0
    rows[0]["得分"] = 2.3  # 2.3 ÷ 20 = 11.5%
    dep = _deps(make_workbook(spec))[0]
    text = report_text(write_report(dep, tmp_path / "r.docx", RUN_DATE))
    assert "| 部门管理 | 20 | 2.3 | 12% |" in text and "得分2.3分（暂定），得分率12%" in text  # C01: 待补正


# --- how it looks: GB/T 9704-2012 in the docx's XML ------------------------------------------


def _xml(path: Path, part: str):
    from docx.oxml.parser import parse_xml

    with zipfile.ZipFile(path) as zf:
        return parse_xml(zf.read(part))


def _style(styles, style_id: str):
    return next(s for s in styles.iter(W + "style") if s.get(W + "styleId") == style_id)


def _val(el, path: str, attr: str = "val") -> str | None:
    found = el.find(path.replace("w:", W))
    return None if found is None else found.get(W + attr)


def test_page_size_and_margins(seed_docx):
    sect = _xml(seed_docx, "word/document.xml").find(f"{W}body/{W}sectPr")
    size, margins = sect.find(W + "pgSz"), sect.find(W + "pgMar")
    assert (size.get(W + "w"), size.get(W + "h")) == ("11906", "16838")  # A4, in twentieths of a point
    mm = {side: round(int(margins.get(W + side)) / 1440 * 25.4) for side in ("top", "bottom", "left", "right")}
    assert mm == {"top": 37, "bottom": 35, "left": 28, "right": 26}


@pytest.mark.parametrize(
    "style_id, east_asia, half_points, bold",
    [
        ("Title", "方正小标宋简体", "44", False),  # 二号
        ("Heading1", "黑体", "32", False),  # 三号
        ("Heading2", "楷体_GB2312", "32", False),
        ("Normal", "仿宋_GB2312", "32", False),
    ],
)
def test_fonts_of_the_styles(seed_docx, style_id, east_asia, half_points, bold):
    style = _style(_xml(seed_docx, "word/styles.xml"), style_id)
    fonts = style.find(f"{W}rPr/{W}rFonts")
    assert fonts.get(W + "eastAsia") == east_asia
    assert not [a for a in fonts.attrib if a.endswith("Theme") or a.endswith("theme")]  # no theme font overrides it
    assert _val(style, "w:rPr/w:sz") == half_points
    assert (_val(style, "w:rPr/w:b") not in ("0", "false", None)) is bold


def test_body_text_and_no_theme_fonts(seed_docx):
    styles = _xml(seed_docx, "word/styles.xml")
    normal = _style(styles, "Normal")
    assert _val(normal, "w:pPr/w:ind", "firstLineChars") == "200"  # two characters
    assert _val(normal, "w:pPr/w:spacing", "lineRule") == "exact"
    for heading in ("Heading1", "Heading2"):
        assert _val(_style(styles, heading), "w:pPr/w:ind", "firstLineChars") == "200"
    themed = [f.attrib for f in styles.iter(W + "rFonts") if any("heme" in a for a in f.attrib)]
    assert themed == []
    defaults = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr")
    assert _val(defaults, "w:rFonts", "eastAsia") == "仿宋_GB2312" and _val(defaults, "w:lang", "eastAsia") == "zh-CN"
    with zipfile.ZipFile(seed_docx) as zf:
        assert "word/stylesWithEffects.xml" not in zf.namelist()  # python-docx's copy, with theme fonts


def test_page_number_in_the_footer(seed_docx):
    with zipfile.ZipFile(seed_docx) as zf:
        footers = [n for n in zf.namelist() if re.fullmatch(r"word/footer\d*\.xml", n)]
    assert len(footers) == 1
    footer = _xml(seed_docx, footers[0])
    assert "".join(t.text for t in footer.iter(W + "instrText")).strip() == "PAGE"
    texts = [t.text for t in footer.iter(W + "t")]
    assert texts[0] == "— " and texts[-1] == " —"
    assert _val(footer, "w:p/w:pPr/w:jc") == "center"
    for run in footer.iter(W + "r"):
        assert _val(run, "w:rPr/w:rFonts", "eastAsia") == "宋体" and _val(run, "w:rPr/w:sz") == "28"  # 四号
    sect = _xml(seed_docx, "word/document.xml").find(f"{W}body/{W}sectPr")
    assert sect.find(W + "footerReference") is not None


def test_tables_repeat_their_header_never_split_rows_and_align_numbers(seed_docx):
    body = _xml(seed_docx, "word/document.xml").find(W + "body")
    tables = body.findall(W + "tbl")
    assert len(tables) == 4  # 基本情况, 资金情况, 一级指标得分, 附表
    for table in tables:
        rows = table.findall(W + "tr")
        assert all(r.find(f"{W}trPr/{W}cantSplit") is not None for r in rows)
        caption = table.getprevious()
        assert _val(caption, "w:pPr/w:pStyle") == "TableCaption"
    for table in tables[1:]:
        assert table.find(f"{W}tr/{W}trPr/{W}tblHeader") is not None
        for row in table.findall(W + "tr")[1:]:
            for cell in row.findall(W + "tc"):
                text = "".join(t.text or "" for t in cell.iter(W + "t"))
                if re.fullmatch(r"[\d,.]+%?", text):
                    assert _val(cell, "w:p/w:pPr/w:jc") == "right", text
    # columns wide enough for the header labels in 五号 (10.5 pt, 1 pt = 20 twips a character)
    for table in tables[1:]:
        widths = [int(c.get(W + "w")) for c in table.find(W + "tblGrid")]
        header = ["".join(t.text for t in c.iter(W + "t")) for c in table.find(W + "tr").findall(W + "tc")]
        for width, label in zip(widths, header, strict=True):
            assert width - 2 * 57 >= len(label) * 210, label
    assert sum(int(c.get(W + "w")) for c in tables[3].find(W + "tblGrid")) <= 8844  # the 156 mm of text width


def test_the_appendix_merges_its_level1_and_level2_cells(seed_docx):
    body = _xml(seed_docx, "word/document.xml").find(W + "body")
    rows = body.findall(W + "tbl")[3].findall(W + "tr")[1:-1]

    def merge(cell) -> str | None:  # <w:vMerge/> continues the merge above
        found = cell.find(f"{W}tcPr/{W}vMerge")
        return None if found is None else found.get(W + "val", "continue")

    merges = [tuple(merge(c) for c in r.findall(W + "tc")[:2]) for r in rows]
    assert merges[:3] == [("restart", "restart"), ("restart", "restart"), ("continue", "continue")]
    assert sum(1 for first, _ in merges if first == "restart") == 5  # the five 一级指标
    assert sum(1 for _, second in merges if second == "restart") == 14  # the 14 二级指标


# --- rendered: LibreOffice, read back as text ------------------------------------------------


def _pdf(docx: Path, tmp_path: Path, env: dict[str, str] | None = None) -> Path:
    saved = os.environ.copy()
    try:
        os.environ.update(env or {})
        proc = office_convert([docx], "pdf", tmp_path, tmp_path / "lo", timeout=240)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    pdf = tmp_path / (docx.stem + ".pdf")
    assert proc.returncode == 0 and pdf.exists(), proc.stderr
    return pdf


def _poppler(tool: str) -> str:
    found = shutil.which(tool)
    if found is None and not os.environ.get("CI"):
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    return found or tool


def _pdftotext(pdf: Path) -> str:
    """The text in the order it was drawn (-raw): a table cell's lines one after the other."""
    return subprocess.run([_poppler("pdftotext"), "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _pdffonts(pdf: Path) -> list[str]:
    out = subprocess.run([_poppler("pdffonts"), str(pdf)], capture_output=True, text=True, check=True).stdout
    return [line.split()[0] for line in out.splitlines()[2:] if line.strip()]


@needs_office
def test_the_seed_report_as_printed(seed, tmp_path):
    docx = write_report(seed, tmp_path / "兰州新区科技发展局.docx", RUN_DATE)
    pdf = _pdf(docx, tmp_path)
    text = _pdftotext(pdf)
    flat = "".join(text.split())
    positions = [flat.index(h) for h in SEVEN]
    assert positions == sorted(positions)
    for i, level1 in enumerate(seed.level1, start=1):
        assert f"{i}.{level1.name}。该指标分值" in flat
    appendix = flat[flat.index("附表兰州新区科技发展局") :]
    for row in _scores(seed):
        assert row["level3"] in appendix
        if row["reason"]:
            assert "".join(row["reason"].split()) in appendix, row["reason"]
    assert appendix.count("未写明扣分原因") == 1
    assert "评价机构（盖章）" in flat and "2024年3月1日" in flat
    assert "—1—" in flat and "—2—" in flat  # the page numbers
    assert not CELL_REFERENCE.search(flat) and "perfeval" not in flat.lower()
    fonts = _pdffonts(pdf)
    assert any("CJK" in f or "Song" in f or "Hei" in f or "Fang" in f or "Kai" in f for f in fonts), fonts


@needs_office
def test_a_fontconfig_alias_gives_the_serif_fallback(seed_docx, tmp_path):
    """Without 仿宋_GB2312, LibreOffice falls back on a sans CJK font; the fontconfig aliases
    README gives (仿宋_GB2312 → 仿宋 → FangSong → Noto Serif CJK SC) make the body serif."""
    fc_list = shutil.which("fc-list")
    if fc_list is None or "Noto Serif CJK SC" not in subprocess.run([fc_list], capture_output=True, text=True).stdout:
        pytest.skip("fontconfig and Noto Serif CJK SC are not installed")
    if not Path("/etc/fonts/fonts.conf").exists():
        pytest.skip("no system fontconfig configuration to include")
    conf = tmp_path / "fonts.conf"
    conf.write_text(FONTS_CONF, encoding="utf-8")
    fonts = _pdffonts(_pdf(seed_docx, tmp_path, {"FONTCONFIG_FILE": str(conf)}))
    assert any("NotoSerifCJK" in f for f in fonts), fonts  # 仿宋, 楷体, 小标宋
    assert any("NotoSansCJK" in f for f in fonts), fonts  # 黑体


FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <alias binding="same"><family>仿宋_GB2312</family><prefer><family>仿宋</family><family>FangSong</family><family>Noto Serif CJK SC</family></prefer></alias>
  <alias binding="same"><family>楷体_GB2312</family><prefer><family>楷体</family><family>KaiTi</family><family>Noto Serif CJK SC</family></prefer></alias>
  <alias binding="same"><family>方正小标宋简体</family><prefer><family>宋体</family><family>SimSun</family><family>Noto Serif CJK SC</family></prefer></alias>
  <alias binding="same"><family>黑体</family><prefer><family>SimHei</family><family>Noto Sans CJK SC</family></prefer></alias>
  <alias binding="same"><family>宋体</family><prefer><family>SimSun</family><family>Noto Serif CJK SC</family></prefer></alias>
</fontconfig>
"""


def test_reports_stay_on_the_fast_path(seed):
    """The default template is prepared once and filled per department in a few milliseconds
    (docxtpl itself takes about 90 ms a report)."""
    import time
    import warnings

    from perfeval.outputs.report import report_bytes

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback to docxtpl
        report_bytes(seed, RUN_DATE)
        started = time.perf_counter()
        for _ in range(20):
            report_bytes(seed, RUN_DATE)
    assert (time.perf_counter() - started) / 20 < 0.03


def test_the_organization_is_part_of_what_the_cache_compares():
    from perfeval.outputs import OUTPUTS_BY_KIND, OutputOptions

    variant = OUTPUTS_BY_KIND["report"].variant
    assert variant(OutputOptions()) == "default"  # as before: the reports of earlier runs stay valid
    assert variant(OutputOptions(organization="甲")) != variant(OutputOptions(organization="乙"))
