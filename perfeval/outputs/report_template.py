"""Build the default Word report template (perfeval/data/report-template.docx, package data).

The committed .docx is what perfeval uses and what users restyle in Word; this builds it from
scratch (a test checks the committed one is what this builds).
Its Jinja tags are filled by docxtpl (autoescape on) in `report.py`.
"""

from __future__ import annotations

from pathlib import Path

from ..atomic import atomic_path

BODY_FONT = ("Times New Roman", "仿宋")
HEADING_FONT = ("Times New Roman", "黑体")
TITLE_FONT = ("Times New Roman", "方正小标宋简体")


def _set_font(style_or_run, latin: str, east_asia: str, size: float | None = None, bold: bool | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    font = style_or_run.font
    font.name = latin
    if size:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east_asia)


def _defaults(doc) -> None:
    """East Asian font in the document defaults too, so no run is ever without one."""
    from docx.oxml.ns import qn

    styles = doc.styles.element
    rpr_default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr_default.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr_default.makeelement(qn("w:rFonts"), {})
        rpr_default.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), BODY_FONT[1])
    fonts.set(qn("w:ascii"), BODY_FONT[0])
    fonts.set(qn("w:hAnsi"), BODY_FONT[0])
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)


def build_report_template(target: Path) -> Path:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    doc = Document()
    _defaults(doc)
    _set_font(doc.styles["Normal"], *BODY_FONT, size=12)
    doc.styles["Normal"].paragraph_format.line_spacing = 1.5
    _set_font(doc.styles["Title"], *TITLE_FONT, size=20, bold=True)
    _set_font(doc.styles["Heading 1"], *HEADING_FONT, size=16, bold=True)
    _set_font(doc.styles["Heading 2"], *HEADING_FONT, size=14, bold=False)
    _set_font(doc.styles["Table Grid"], *BODY_FONT, size=10.5)
    for name in ("Title", "Heading 1", "Heading 2"):
        doc.styles[name].font.color.rgb = None
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.6))
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    doc.core_properties.title = "部门整体支出绩效评价报告模板"
    doc.core_properties.author = "perfeval"

    def para(text: str = "", style: str | None = None, center: bool = False):
        p = doc.add_paragraph(text, style=style)
        if center:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        return p

    def table(rows: list[list[str]], widths: list[float]):
        t = doc.add_table(rows=len(rows), cols=len(rows[0]))
        t.style = doc.styles["Table Grid"]
        t.autofit = False
        for c, w in enumerate(widths):
            t.columns[c].width = Cm(w)  # the grid LibreOffice and WPS follow
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                cell = t.cell(r, c)
                cell.width = Cm(widths[c])
                cell.paragraphs[0].text = text
                cell.paragraphs[0].paragraph_format.line_spacing = 1.0
        return t

    para("{{ name }}{{ year_text }}", "Title", center=True)
    para("部门整体支出绩效评价报告", "Title", center=True)
    para("报告日期：{{ run_date }}　　评价得分：{{ score_text }}　　评价等级：{{ grade_text }}", center=True)
    para("{%p if status_banner %}")
    para("{{ status_banner }}", center=True)
    para("{%p endif %}")

    para("一、部门整体基本情况", "Heading 1")
    table(
        [
            ["项目名称", "{{ project }}"],
            ["评价年度", "{{ year_text }}"],
            ["评价类型", "{{ eval_type }}"],
            ["评价对象名称", "{{ name }}"],
            ["实施目的", "{{ purpose }}"],
            [
                "资金情况",
                "预算安排资金 {{ budget }} 万元，实际到位资金 {{ received }} 万元，实际支出资金 {{ spent }} 万元，结余资金 {{ balance }} 万元",
            ],
            ["预算执行率", "{{ execution_rate }}（{{ execution_formula }}）"],
        ],
        [3.5, 12.3],
    )
    para("资金情况（万元）")
    table(
        [
            ["项目", "预算安排资金", "调整后预算", "实际到位资金", "实际支出资金", "结余资金"],
            ["{%tr for r in fund_rows %}", "", "", "", "", ""],
            ["{{ r.label }}", "{{ r.budget }}", "{{ r.adjusted }}", "{{ r.received }}", "{{ r.spent }}", "{{ r.balance }}"],
            ["{%tr endfor %}", "", "", "", "", ""],
        ],
        [3.1, 2.6, 2.6, 2.6, 2.6, 2.3],
    )
    para(
        "资金到位率 {{ arrival_rate }}，预算执行率 {{ execution_rate }}，预算调整率 {{ adjustment_rate }}，结余率 {{ balance_rate }}；基本支出执行率 {{ basic_rate }}，项目支出执行率 {{ project_rate }}。"
    )

    para("二、部门整体绩效目标", "Heading 1")
    para("{%p for g in goals %}")
    para("{{ loop.index }}. {{ g }}")
    para("{%p endfor %}")
    para("{%p if indicators %}")
    table(
        [
            ["一级指标", "二级指标", "三级指标", "指标值", "实际完成值"],
            ["{%tr for i in indicators %}", "", "", "", ""],
            ["{{ i.level1 }}", "{{ i.level2 }}", "{{ i.level3 }}", "{{ i.target }}", "{{ i.actual }}"],
            ["{%tr endfor %}", "", "", "", ""],
        ],
        [2.6, 2.8, 4.4, 3.0, 3.0],
    )
    para("{%p else %}")
    para("年度绩效目标未细化为可衡量的三级指标。")
    para("{%p endif %}")

    para("三、评价基本情况", "Heading 1")
    para("（一）评价范围", "Heading 2")
    para("{{ scope }}")
    para("（二）评价依据", "Heading 2")
    para("{%p for line in basis %}")
    para("{{ line }}")
    para("{%p endfor %}")
    para("（三）绩效评价指标体系", "Heading 2")
    para(
        "本次评价指标体系包括一级指标{{ level1_count }}项、二级指标{{ level2_count }}个、三级指标{{ level3_count }}个（按指标评分表统计），总分值{{ total_weight }}分。"
    )
    para("（四）评价方法", "Heading 2")
    para("{{ method }}")
    para("（五）数据采集及处理方法", "Heading 2")
    para("{{ data_method }}")
    para("（六）绩效评价工作过程", "Heading 2")
    para("{%p for line in process %}")
    para("{{ line }}")
    para("{%p endfor %}")

    para("四、评价结论和绩效分析", "Heading 1")
    para("{{ verdict }}")
    para("绩效分析")
    table(
        [
            ["一级指标", "分值", "得分", "得分率"],
            ["{%tr for x in analysis %}", "", "", ""],
            ["{{ x.name }}", "{{ x.weight }}", "{{ x.score }}", "{{ x.rate }}"],
            ["{%tr endfor %}", "", "", ""],
            ["合计", "{{ total_weight }}", "{{ score }}", "{{ score_rate }}"],
        ],
        [6.0, 3.2, 3.2, 3.4],
    )

    para("五、存在问题", "Heading 1")
    para("{%p for x in problems %}")
    para("{{ x }}")
    para("{%p endfor %}")
    para("六、相关建议", "Heading 1")
    para("{%p for x in suggestions %}")
    para("{{ x }}")
    para("{%p endfor %}")
    para("七、其他需要说明的事项", "Heading 1")
    para("{{ other_matters }}")

    para("附录：审核发现的问题", "Heading 1")
    para("{{ findings_summary }}")
    para("{%p if findings %}")
    table(
        [
            ["级别", "代码", "位置", "说明"],
            ["{%tr for f in findings %}", "", "", ""],
            ["{{ f.severity }}", "{{ f.code }}", "{{ f.location }}", "{{ f.message }}"],
            ["{%tr endfor %}", "", "", ""],
        ],
        [1.4, 1.4, 3.0, 10.0],
    )
    para("{%p endif %}")
    with atomic_path(target) as tmp:
        doc.save(str(tmp))
    return target
