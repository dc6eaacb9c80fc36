"""Build the default Word report template (perfeval/data/report-template.docx, package data).

The committed .docx is what perfeval uses and what users restyle in Word; this builds it from
scratch (a test checks the committed one is what this builds):
`python -m perfeval.outputs.report_template` rewrites it.
Its Jinja tags are filled by docxtpl (autoescape on) in `report.py`.

The layout is the official-document standard GB/T 9704-2012 (党政机关公文格式): A4, margins
37/35/28/26 mm, the title in 方正小标宋简体 二号, 一级 headings 黑体 三号, 二级 headings
楷体_GB2312 三号, the text 仿宋_GB2312 三号 on a 28.95 pt line (22 lines a page) with a
two-character first-line indent, and the page number "— 1 —" in 宋体 四号 centred under the text.
Every style names its East Asian font itself (w:eastAsia), never through the theme. A machine
without these fonts substitutes its own (see README: 仿宋_GB2312 → 仿宋 → FangSong → Noto Serif
CJK SC); the font table names the fallback each one has (w:altName) and its kind (serif, sans).
Tables: caption above, header row repeated on every page, rows never split across pages,
numbers right-aligned, columns wide enough for their labels in 五号.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..atomic import atomic_path

LATIN = "Times New Roman"
BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
HEADING1_FONT = "黑体"
HEADING2_FONT = "楷体_GB2312"
PAGE_NUMBER_FONT = "宋体"
# (font, the common font that stands in for it, serif or sans: the font table's family)
FALLBACKS = (
    (BODY_FONT, "仿宋", "roman"),
    (HEADING2_FONT, "楷体", "roman"),
    (TITLE_FONT, "宋体", "roman"),
    (HEADING1_FONT, "SimHei", "swiss"),
    (PAGE_NUMBER_FONT, "SimSun", "roman"),
)
BODY_SIZE = 16  # 三号
TITLE_SIZE = 22  # 二号
PAGE_NUMBER_SIZE = 14  # 四号
TABLE_SIZE = 10.5  # 五号
CAPTION_SIZE = 14  # 四号
LINE_PITCH = 579  # twentieths of a point: 28.95 pt, 22 lines in the 225 mm of text height
TEXT_WIDTH_CM = 15.6  # 210 − 28 − 26 mm

# custom paragraph styles (name: what the report uses them for)
TABLE_TEXT = "Table Text"
TABLE_HEADING = "Table Heading"
CAPTION = "Table Caption"
NOTICE = "Notice"
SIGNATURE = "Signature"
APPENDIX = "Appendix Label"


def _qn(tag: str) -> str:
    from docx.oxml.ns import qn

    return qn(tag)


def _el(tag: str, **attrs: str) -> Any:
    from docx.oxml import OxmlElement

    return OxmlElement(tag, {_qn(k): v for k, v in attrs.items()})


def _fonts(rpr: Any, east_asia: str, latin: str = LATIN) -> None:
    """rFonts with the fonts named directly, no theme font that would override them."""
    fonts = rpr.find(_qn("w:rFonts"))
    if fonts is None:
        fonts = _el("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(_qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(_qn(attr), latin)
    fonts.set(_qn("w:eastAsia"), east_asia)


def _style(
    doc: Any,
    name: str,
    east_asia: str,
    size: float,
    *,
    base: str | None = "Normal",
    bold: bool = False,
    align: str | None = None,
    indent: bool = True,
    exact: bool = True,
    keep_next: bool = False,
    outline: int | None = None,
) -> Any:
    """A paragraph style, made afresh (the properties python-docx's default template gives
    Title and the headings, theme fonts, colours and borders, are dropped)."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.shared import Pt

    try:
        style = doc.styles[name]
    except KeyError:
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.quick_style = True
    if base is not None and name != base:
        style.base_style = doc.styles[base]
    for tag in ("w:pPr", "w:rPr"):
        old = style.element.find(_qn(tag))
        if old is not None:
            style.element.remove(old)
    pf = style.paragraph_format
    pf.space_before = pf.space_after = Pt(0)
    if exact:
        pf.line_spacing = Pt(LINE_PITCH / 20)  # python-docx: a Length is an exact spacing
    else:
        pf.line_spacing = 1.0
    pf.keep_with_next = keep_next
    ppr = style.element.get_or_add_pPr()
    ind = _el("w:ind")
    if indent:  # two characters of the style's own size (firstLine for readers without Chars)
        ind.set(_qn("w:firstLineChars"), "200")
        ind.set(_qn("w:firstLine"), str(int(size * 2 * 20)))
    else:
        ind.set(_qn("w:firstLineChars"), "0")
        ind.set(_qn("w:firstLine"), "0")
    ppr.append(ind)
    jc = _el("w:jc", **{"w:val": align or "both"})
    ppr.append(jc)
    if outline is not None:
        ppr.append(_el("w:outlineLvl", **{"w:val": str(outline)}))
    _sort_ppr(ppr)
    font = style.font
    font.size = Pt(size)
    font.bold = bold
    font.color.rgb = None
    rpr = style.element.get_or_add_rPr()
    _fonts(rpr, east_asia)
    szcs = _el("w:szCs", **{"w:val": str(int(size * 2))})
    rpr.append(szcs)
    _sort_rpr(rpr)
    return style


# the schema's order of the children of w:pPr and w:rPr (the ones used here)
_PPR_ORDER = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "widowControl", "spacing", "ind", "jc", "outlineLvl")
_RPR_ORDER = ("rStyle", "rFonts", "b", "bCs", "i", "color", "spacing", "kern", "sz", "szCs", "lang")


def _sort(parent: Any, order: tuple[str, ...]) -> None:
    children = list(parent)
    rank = {name: i for i, name in enumerate(order)}
    children.sort(key=lambda c: rank.get(c.tag.rsplit("}", 1)[-1], len(order)))
    for c in children:
        parent.remove(c)
        parent.append(c)


def _sort_ppr(ppr: Any) -> None:
    _sort(ppr, _PPR_ORDER)


def _sort_rpr(rpr: Any) -> None:
    _sort(rpr, _RPR_ORDER)


def _defaults(doc: Any) -> None:
    """East Asian font and Chinese language in the document defaults too, so no run is ever
    without a Chinese font and office suites pick Simplified Chinese glyphs to substitute."""
    styles = doc.styles.element
    defaults = styles.find(_qn("w:docDefaults"))
    rpr = defaults.find(_qn("w:rPrDefault")).find(_qn("w:rPr"))
    _fonts(rpr, BODY_FONT)
    for tag in ("w:sz", "w:szCs"):
        el = rpr.find(_qn(tag))
        if el is not None:
            el.set(_qn("w:val"), str(BODY_SIZE * 2))
    lang = rpr.find(_qn("w:lang"))
    if lang is None:
        lang = _el("w:lang")
        rpr.append(lang)
    lang.set(_qn("w:val"), "en-US")
    lang.set(_qn("w:eastAsia"), "zh-CN")
    ppr = defaults.find(_qn("w:pPrDefault")).find(_qn("w:pPr"))
    spacing = ppr.find(_qn("w:spacing"))
    if spacing is not None:
        ppr.remove(spacing)
    # every theme font reference in the styles: none may stand in for the fonts named
    for fonts in styles.iter(_qn("w:rFonts")):
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(_qn(attr), None)
        if fonts.get(_qn("w:eastAsia")) is None and fonts.get(_qn("w:ascii")) is not None:
            fonts.set(_qn("w:eastAsia"), BODY_FONT)


def _settings(doc: Any) -> None:
    settings = doc.settings.element
    lang = settings.find(_qn("w:themeFontLang"))
    if lang is not None:
        lang.set(_qn("w:eastAsia"), "zh-CN")


def _drop_parts(doc: Any) -> None:
    """What python-docx's own template brings that a report has no use for: its thumbnail
    (a picture of another document) and the Word 2010 copy of the styles (theme fonts)."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    package = doc.part.package
    for rid, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del package.rels[rid]
    for rid, rel in list(doc.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            del doc.part.rels[rid]


def _font_table(xml: bytes) -> bytes:
    """The font table (word/fontTable.xml) naming each Chinese font, with the common font
    standing in for it (w:altName) and whether it is serif (roman) or sans (swiss): what Word
    and LibreOffice fall back on where the font is not installed."""
    from docx.opc.oxml import serialize_part_xml
    from docx.oxml.parser import parse_xml

    root = parse_xml(xml)
    for name, alt, family in FALLBACKS:
        font = _el("w:font", **{"w:name": name})
        font.append(_el("w:altName", **{"w:val": alt}))
        font.append(_el("w:charset", **{"w:val": "86"}))  # GB2312
        font.append(_el("w:family", **{"w:val": family}))
        font.append(_el("w:pitch", **{"w:val": "variable"}))
        root.append(font)
    return serialize_part_xml(root)


def _rewrite(path: Path, name: str, edit: Any) -> None:
    """The .docx at `path` with its part `name` edited (bytes → bytes), entries kept in order."""
    import zipfile

    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info.filename)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, blob in entries:
            dst.writestr(info, edit(blob) if info.filename == name else blob)


def _footer(doc: Any, section: Any) -> None:
    """The page number, "— 1 —", centred: a PAGE field between em dashes, 宋体 四号."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    footer = section.footer
    footer.is_linked_to_previous = False
    p = footer.paragraphs[0]
    p.style = doc.styles["Footer"]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def run(text: str = "") -> Any:
        r = p.add_run(text)
        r.font.size = Pt(PAGE_NUMBER_SIZE)
        _fonts(r.element.get_or_add_rPr(), PAGE_NUMBER_FONT, PAGE_NUMBER_FONT)
        return r

    run("— ")
    run().element.append(_el("w:fldChar", **{"w:fldCharType": "begin"}))
    instr = _el("w:instrText")
    instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    instr.text = " PAGE "
    run().element.append(instr)
    run().element.append(_el("w:fldChar", **{"w:fldCharType": "separate"}))
    run("1")
    run().element.append(_el("w:fldChar", **{"w:fldCharType": "end"}))
    run(" —")


def build_report_template(target: Path) -> Path:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
    from docx.shared import Cm

    doc = Document()
    body = doc.element.body
    _drop_parts(doc)
    _defaults(doc)
    _settings(doc)
    _style(doc, "Normal", BODY_FONT, BODY_SIZE, base=None)
    _style(doc, "Title", TITLE_FONT, TITLE_SIZE, align="center", indent=False, keep_next=True)
    _style(doc, "Heading 1", HEADING1_FONT, BODY_SIZE, keep_next=True, outline=0)
    _style(doc, "Heading 2", HEADING2_FONT, BODY_SIZE, keep_next=True, outline=1)
    _style(doc, NOTICE, BODY_FONT, BODY_SIZE, bold=True, align="center", indent=False)
    _style(doc, CAPTION, HEADING1_FONT, CAPTION_SIZE, align="center", indent=False, keep_next=True)
    _style(doc, TABLE_TEXT, BODY_FONT, TABLE_SIZE, align="left", indent=False, exact=False)
    _style(doc, TABLE_HEADING, HEADING1_FONT, TABLE_SIZE, align="center", indent=False, exact=False)
    _style(doc, SIGNATURE, BODY_FONT, BODY_SIZE, align="right", indent=False)
    _style(doc, APPENDIX, HEADING1_FONT, BODY_SIZE, align="left", indent=False, keep_next=True)
    _style(doc, "Footer", PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE, align="center", indent=False, exact=False)
    signature = doc.styles[SIGNATURE].element.get_or_add_pPr().find(_qn("w:ind"))
    signature.set(_qn("w:rightChars"), "400")  # 成文日期右空四字
    signature.set(_qn("w:right"), str(BODY_SIZE * 4 * 20))
    grid = doc.styles["Table Grid"].element
    for tag in ("w:pPr", "w:rPr"):  # the paragraph styles of the cells say it all
        old = grid.find(_qn(tag))
        if old is not None:
            grid.remove(old)
    margins = grid.find(_qn("w:tblPr")).find(_qn("w:tblCellMar"))
    for side, width in (("w:top", "28"), ("w:bottom", "28"), ("w:left", "57"), ("w:right", "57")):  # 0.05 cm, 0.1 cm
        margins.find(_qn(side)).set(_qn("w:w"), width)

    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    section.header_distance, section.footer_distance = Cm(1.5), Cm(2.3)
    _footer(doc, section)
    doc.core_properties.title = "部门整体支出绩效评价报告模板"
    doc.core_properties.author = "perfeval"
    doc.core_properties.comments = ""

    def para(text: str = "", style: str | None = None, page_break: bool = False, keep_next: bool = False) -> Any:
        p = doc.add_paragraph(text, style=style)
        if page_break:
            p.paragraph_format.page_break_before = True
        if keep_next:
            p.paragraph_format.keep_with_next = True
        return p

    def lead(bold_text: str, text: str) -> Any:
        """A paragraph that opens with a bold lead-in (三级 heading of 公文: "1.xxx。")."""
        p = doc.add_paragraph()
        p.add_run(bold_text).bold = True
        p.add_run(text)
        return p

    def table(rows: list[list[str]], widths: list[float], aligns: str, header_rows: int = 1) -> Any:
        """A table of fixed column widths (cm, summing to the text width); `aligns` one letter a
        column for its body cells: l(eft), c(entre) or r(ight, numbers)."""
        assert abs(sum(widths) - TEXT_WIDTH_CM) < 0.01, sum(widths)
        t = doc.add_table(rows=len(rows), cols=len(rows[0]))
        t.style = doc.styles["Table Grid"]
        t.autofit = False
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        for c, w in enumerate(widths):
            t.columns[c].width = Cm(w)  # the grid LibreOffice and WPS follow
        align = {"l": 0, "c": 1, "r": 2}
        tbl = body.findall(_qn("w:tbl"))[-1]  # its XML, for what python-docx has no property for
        for r, cells in enumerate(rows):
            trpr = tbl.findall(_qn("w:tr"))[r].get_or_add_trPr()
            trpr.append(_el("w:cantSplit"))
            if r < header_rows:
                trpr.append(_el("w:tblHeader"))
            for c, text in enumerate(cells):
                cell = t.cell(r, c)
                cell.width = Cm(widths[c])
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
                p = cell.paragraphs[0]
                p.text = text
                if r < header_rows:
                    p.style = doc.styles[TABLE_HEADING]
                else:
                    p.style = doc.styles[TABLE_TEXT]
                    p.paragraph_format.alignment = align[aligns[c]]
        return t, tbl

    def cell_xml(tbl: Any, row: int, col: int) -> Any:
        return tbl.findall(_qn("w:tr"))[row].findall(_qn("w:tc"))[col]

    def merge(tbl: Any, row: int, col: int, how: str) -> None:
        cell_xml(tbl, row, col).get_or_add_tcPr().vMerge_val = how

    def span(t: Any, tbl: Any, row: int, first: int, last: int) -> None:
        """Cells first..last of a row as one (gridSpan), keeping the first's text."""
        t.cell(row, first).merge(t.cell(row, last))
        tc = cell_xml(tbl, row, first)
        for p in tc.findall(_qn("w:p"))[1:]:
            tc.remove(p)

    para("{{ name }}{{ year_text }}", "Title")
    para("部门整体支出绩效评价报告", "Title")
    para()
    para("{%p if status_banner %}")
    para("{{ status_banner }}", NOTICE)
    para("{%p endif %}")

    para("一、部门整体基本情况", "Heading 1")
    para("（一）基本情况", "Heading 2")
    para("表1　基本情况", CAPTION)
    table(
        [
            ["项目名称", "{{ project }}"],
            ["评价年度", "{{ year_text }}"],
            ["评价类型", "{{ eval_type }}"],
            ["评价对象名称", "{{ name }}"],
            ["实施目的", "{{ purpose }}"],
        ],
        [3.0, 12.6],
        "cl",
        header_rows=0,
    )
    para("（二）资金情况", "Heading 2")
    para("{{ funds_text }}")
    para("表2　资金情况（单位：万元）", CAPTION)
    table(
        [
            ["项目", "预算安排资金", "调整后预算", "实际到位资金", "实际支出资金", "结余资金"],
            ["{%tr for r in fund_rows %}", "", "", "", "", ""],
            ["{{ r.label }}", "{{ r.budget }}", "{{ r.adjusted }}", "{{ r.received }}", "{{ r.spent }}", "{{ r.balance }}"],
            ["{%tr endfor %}", "", "", "", "", ""],
        ],
        [3.0, 2.6, 2.3, 2.6, 2.6, 2.5],  # the label column holds a form's 本年财政拨款 unbroken
        "lrrrrr",
    )
    para("{{ rates_text }}")
    para("{%p for x in funds_notes %}")
    para("{{ x }}")
    para("{%p endfor %}")

    para("二、部门整体绩效目标", "Heading 1")
    para("{{ goals_intro }}")
    para("{%p for g in goals %}")
    para("{{ loop.index }}.{{ g }}")
    para("{%p endfor %}")
    para("{%p if indicators %}")
    para("表{{ table_numbers.indicators }}　绩效指标完成情况", CAPTION)
    table(
        [
            ["一级指标", "二级指标", "三级指标", "指标值", "实际完成值"],
            ["{%tr for i in indicators %}", "", "", "", ""],
            ["{{ i.level1 }}", "{{ i.level2 }}", "{{ i.level3 }}", "{{ i.target }}", "{{ i.actual }}"],
            ["{%tr endfor %}", "", "", "", ""],
        ],
        [2.3, 2.7, 4.4, 3.1, 3.1],
        "lllrr",
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
    para("{{ system_text }}")
    para("{%p for x in system_notes %}")
    para("{{ x }}")
    para("{%p endfor %}")
    para("（四）评价方法", "Heading 2")
    para("{{ method }}")
    para("（五）数据采集及处理方法", "Heading 2")
    para("{{ data_method }}")
    para("（六）绩效评价工作过程", "Heading 2")
    para("{%p for line in process %}")
    para("{{ line }}")
    para("{%p endfor %}")

    para("四、评价结论和绩效分析", "Heading 1")
    para("（一）综合评价结论", "Heading 2")
    para("{{ verdict }}")
    para("{%p for x in score_notes %}")
    para("{{ x }}")
    para("{%p endfor %}")
    para("（二）绩效评价指标分析", "Heading 2")
    para("{{ analysis_intro }}")
    para("表{{ table_numbers.analysis }}　一级指标得分情况", CAPTION)
    table(
        [
            ["一级指标", "分值", "得分", "得分率"],
            ["{%tr for x in analysis %}", "", "", ""],
            ["{{ x.name }}", "{{ x.weight }}", "{{ x.score }}", "{{ x.rate }}"],
            ["{%tr endfor %}", "", "", ""],
            ["合计", "{{ total_weight }}", "{{ score }}", "{{ score_rate }}"],
        ],
        [6.0, 3.2, 3.2, 3.2],
        "lrrr",
    )
    para("{%p for x in analysis %}")
    lead("{{ loop.index }}.{{ x.name }}。", "{{ x.text }}")
    para("{%p endfor %}")

    para("五、存在问题", "Heading 1")
    para("{%p if problems_note %}")
    para("{{ problems_note }}")
    para("{%p endif %}")
    para("{%p for x in problems %}")
    para("{{ x }}")
    para("{%p endfor %}")
    para("六、相关建议", "Heading 1")
    para("{%p if suggestions_note %}")
    para("{{ suggestions_note }}")
    para("{%p endif %}")
    para("{%p for x in suggestions %}")
    para("{{ x }}")
    para("{%p endfor %}")
    para("七、其他需要说明的事项", "Heading 1")
    # the 落款 never stands alone on a page: the last lines of the text go with it
    para("{{ other_matters }}", keep_next=True)
    para(keep_next=True)
    para("附表：{{ scores_title }}", keep_next=True)  # 附件说明: the 附表 follows the 落款, on a page of its own
    ind = body.findall(_qn("w:p"))[-1].get_or_add_pPr().get_or_add_ind()  # a second line aligns after "附表："
    for attr, value in (("w:leftChars", "500"), ("w:left", "1600"), ("w:hangingChars", "300"), ("w:hanging", "960")):
        ind.set(_qn(attr), value)
    para(keep_next=True)
    para(keep_next=True)
    para("{{ organization }}", SIGNATURE, keep_next=True)
    para("{{ run_date }}", SIGNATURE)

    para("附表", APPENDIX, page_break=True)
    para("{{ scores_title }}", CAPTION)
    scores, scores_xml = table(
        [
            ["一级指标", "二级指标", "三级指标", "分值", "得分", "扣分原因"],
            ["{%tr for r in score_rows %}", "", "", "", "", ""],
            ["{%tr if r.first1 %}", "", "", "", "", ""],
            ["{{ r.level1 }}", "{{ r.level2 }}", "{{ r.level3 }}", "{{ r.weight }}", "{{ r.score }}", "{{ r.reason }}"],
            ["{%tr elif r.first2 %}", "", "", "", "", ""],
            ["", "{{ r.level2 }}", "{{ r.level3 }}", "{{ r.weight }}", "{{ r.score }}", "{{ r.reason }}"],
            ["{%tr else %}", "", "", "", "", ""],
            ["", "", "{{ r.level3 }}", "{{ r.weight }}", "{{ r.score }}", "{{ r.reason }}"],
            ["{%tr endif %}", "", "", "", "", ""],
            ["{%tr endfor %}", "", "", "", "", ""],
            ["合计", "", "", "{{ total_weight }}", "{{ score }}", ""],
        ],
        [2.8, 2.1, 3.6, 1.0, 1.0, 5.1],
        "lllrrl",
    )
    # the 一级 and 二级 cells of a group of rows as one cell: the row that opens a group starts
    # the merge, the others continue it (which row is which, the {%tr if %} above chooses)
    for row, first1, first2 in ((3, "restart", "restart"), (5, "continue", "restart"), (7, "continue", "continue")):
        merge(scores_xml, row, 0, first1)
        merge(scores_xml, row, 1, first2)
    span(scores, scores_xml, 10, 0, 2)
    scores.cell(10, 0).paragraphs[0].paragraph_format.alignment = 1
    with atomic_path(target) as tmp:
        doc.save(str(tmp))
        _rewrite(tmp, "word/fontTable.xml", _font_table)
    return target


if __name__ == "__main__":  # python -m perfeval.outputs.report_template: refresh the shipped template
    from importlib import resources

    build_report_template(Path(str(resources.files("perfeval").joinpath("data", "report-template.docx"))))
