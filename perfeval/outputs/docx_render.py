"""A docxtpl template, prepared once per process and filled many times.

docxtpl re-reads, re-patches and re-compiles its template for every document it renders. Here
the per-template work is done once (`prepare`, cached by the template's bytes): word/document.xml
is normalised the way docxtpl sees it, patched with docxtpl's own public `patch_xml` (so `{%p %}`,
`{%tr %}` and tags split across runs mean what they mean in docxtpl) and compiled by jinja2 with
autoescape on; every other part, already compressed, is kept as a zip to append to. A document
is then one jinja2 render, the core properties, and two zip entries.

A template using what this path does not reproduce (RichText runs, cell merges and column
changes that docxtpl repairs afterwards, tags in headers, footers, footnotes or properties, …)
is not prepared: `prepare` returns the reason, and the caller renders it with docxtpl. A
template that cannot make a document at all, with docxtpl either (not a .docx, tags jinja2
cannot parse), is `Broken`: the reason is then for the user.
"""

from __future__ import annotations

import hashlib
import html
import io
import posixpath
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
XML_HEADER = "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
RELS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
REL_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
REL_CORE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
CT_CORE = "application/vnd.openxmlformats-package.core-properties+xml"
# docxtpl renders these core properties as jinja2 templates too
RENDERED_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")
TAG = re.compile(r"\{[{%#]")
# what docxtpl does beyond patch_xml + render, or what needs a context object perfeval never gives
UNSUPPORTED = (
    (re.compile(r"[{][{%]\s*r\s"), "使用了 RichText（{{r …}} / {%r …%}）"),
    (re.compile(r"[{][{%#]\s*tc\s"), "使用了单元格级标签（{%tc …%}）"),
    (re.compile(r"\{%\s*(?:colspan|cellbg|vm|hm)\b"), "使用了 colspan / cellbg / vm / hm 单元格标签"),
)
DOCPR_ID = re.compile(r'(<wp:docPr\b[^>]*?\sid=")[^"]*(")')
LISTING = re.compile(r"<w:t(?: [^>]*)?>[^<]*[\t\a\n\f]")


class Unsupported(Exception):
    """The template needs docxtpl itself; the message says why (in Chinese, for the warning)."""


class Broken(Unsupported):
    """The template cannot make a report, by this path or docxtpl's: the message says why (in
    Chinese, for the user)."""


@dataclass(frozen=True)
class Prepared:
    """One template, ready to fill."""

    template: Any  # jinja2.Template of word/document.xml
    document_name: str
    core_name: str
    core_xml: bytes
    base_zip: bytes  # every other part, compressed once, to append the two rendered ones to
    modes: dict[str, int]  # external_attr of the two rendered entries, as in the template
    has_docpr: bool
    variables: frozenset[str]  # the names the template takes from its context (and jinja2's globals)


_CACHE: dict[str, Prepared | Unsupported] = {}
_FIRST_TAKEN: set[str] = set()  # templates some caller was told it was the first to use


def digest(template_bytes: bytes) -> str:
    return hashlib.sha256(template_bytes).hexdigest()


def prepare(template_bytes: bytes, look: bool = False) -> tuple[Prepared | Unsupported, bool]:
    """The template, prepared once per process (cached by its digest), or why it cannot be;
    and whether this call was the first use of this template (the caller says once what there
    is to say about it). `look=True`, a check before the run, is no use: the run's first call
    is still the first (and so is each forked worker's, which finds the template prepared)."""
    key = digest(template_bytes)
    if key not in _CACHE:
        try:
            found: Prepared | Unsupported = _prepare(template_bytes)
        except Unsupported as exc:
            found = exc
        if len(_CACHE) >= 16:
            _CACHE.clear()
            _FIRST_TAKEN.clear()
        _CACHE[key] = found
    first = not look and key not in _FIRST_TAKEN
    if first:
        _FIRST_TAKEN.add(key)
    return _CACHE[key], first


def _part_name(base: str, target: str) -> str:
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target)).lstrip("/")


def _rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _relationships(zf: zipfile.ZipFile, part: str) -> list[tuple[str, str, bool]]:
    """(type, part name or URL, external) of the relationships of `part` ("" for the package)."""
    from docx.oxml.parser import parse_xml

    name = "_rels/.rels" if not part else _rels_name(part)
    if name not in zf.namelist():
        return []
    out = []
    for rel in parse_xml(zf.read(name)).iter(RELS_NS + "Relationship"):
        external = rel.get("TargetMode") == "External"
        target = rel.get("Target", "")
        out.append((rel.get("Type", ""), target if external else _part_name(part or "/", target), external))
    return out


def _prepare(template_bytes: bytes) -> Prepared:
    from docx.opc.oxml import serialize_part_xml
    from docx.opc.packuri import PackURI
    from docx.opc.parts.coreprops import CorePropertiesPart
    from docx.oxml.parser import parse_xml
    from docxtpl import DocxTemplate
    from jinja2 import Environment, TemplateSyntaxError, meta

    try:
        zf = zipfile.ZipFile(io.BytesIO(template_bytes))
    except zipfile.BadZipFile as exc:
        raise Broken("不是 Word 文档（.docx）：无法作为 zip 压缩包打开") from exc
    with zf:
        package_rels = _relationships(zf, "")
        documents = [t for kind, t, ext in package_rels if kind == REL_DOCUMENT and not ext]
        cores = [t for kind, t, ext in package_rels if kind == REL_CORE and not ext]
        names = zf.namelist()
        if len(documents) != 1 or documents[0] not in names:
            raise Broken("不是 Word 文档（.docx）：找不到正文部件 word/document.xml")
        document_name = documents[0]
        try:
            root = parse_xml(zf.read(document_name))
        except Exception as exc:  # lxml's XMLSyntaxError, zlib's error for a damaged entry, …
            raise Broken(f"正文部件 {document_name} 已损坏（{exc}）") from exc
        body = root.find(W + "body")
        if body is None:
            raise Broken(f"正文部件 {document_name} 没有正文（w:body）")
        _check_paragraph_tags(body)
        if len(cores) != 1 or cores[0] not in names:
            raise Unsupported("没有文档属性部件（docProps/core.xml）")
        core_name = cores[0]
        if len(set(names)) != len(names):
            raise Unsupported("压缩包里有重名的部件")
        # parts docxtpl renders besides the body: headers, footers, footnotes
        for name in names:
            if name.endswith(".xml") and name not in (document_name, core_name) and name.startswith("word/"):
                text = zf.read(name).decode("utf-8", "replace")
                if TAG.search(text) and re.search(r"<w:(?:hdr|ftr|footnotes)\b", text):
                    raise Unsupported(f"页眉、页脚或脚注（{name}）里有模板标签")

        # docxtpl sees the body as lxml writes it: the same text, entities and quoting
        document_xml = serialize_part_xml(root).decode("utf-8").split("?>", 1)[1].lstrip()
        for pattern, why in UNSUPPORTED:
            if pattern.search(document_xml):
                raise Unsupported(why)
        _check_table_grids(body)
        source = DocxTemplate(io.BytesIO(template_bytes)).patch_xml(document_xml)
        if "<wp:docPr" not in source and re.search(r":docPr\b", source):
            raise Unsupported("图片的 docPr 用了不常见的命名空间前缀")
        env = Environment(autoescape=True)
        try:
            parsed = env.parse(source)
            template = env.from_string(parsed)  # an unknown filter or test is found here
        except TemplateSyntaxError as exc:  # docxtpl would stop at it too
            raise Broken(_syntax_error(env, source, exc)) from exc

        core = CorePropertiesPart.load(PackURI("/" + core_name), CT_CORE, zf.read(core_name), None)  # type: ignore[arg-type]
        props = core.core_properties
        for prop in RENDERED_PROPERTIES:
            value = getattr(props, prop)
            if TAG.search(value):
                raise Unsupported(f"文档属性 {prop} 里有模板标签")
            setattr(props, prop, value)  # as docxtpl's render_properties leaves it

        base = io.BytesIO()
        with zipfile.ZipFile(base, "w", zipfile.ZIP_DEFLATED) as out:
            for info in zf.infolist():
                if info.filename in (document_name, core_name):
                    continue
                out.writestr(zip_entry(info.filename, info.external_attr), zf.read(info.filename))
        modes = {i.filename: i.external_attr for i in zf.infolist() if i.filename in (document_name, core_name)}
    return Prepared(
        template=template,
        document_name=document_name,
        core_name=core_name,
        core_xml=core.blob,
        base_zip=base.getvalue(),
        modes=modes,
        has_docpr="<wp:docPr" in source,
        variables=frozenset(meta.find_undeclared_variables(parsed)),
    )


def _syntax_error(env: Any, source: str, exc: Any) -> str:
    """What jinja2 says of the tags of a part (`source`, patched as docxtpl patches it), and the
    text of the paragraph it stopped at (found docxtpl's way: parsed again with each paragraph
    on a line of its own)."""
    message = exc.message or str(exc)
    if "end of template" in message.lower():
        message += "（有标签没有结束：{{ 少了 }}，或 {% if %}、{% for %} 少了 {% endif %}、{% endfor %}）"
    lines = re.sub(r"<w:p([ >])", r"\n<w:p\1", source)
    try:
        env.compile(lines)
    except Exception as again:
        lineno = getattr(again, "lineno", None) or 0
        # at the end of the template, the last paragraph is not where anything went wrong
        if 0 < lineno <= lines.count("\n") + 1 and "end of template" not in message.lower():
            text = html.unescape(re.sub(r"<[^>]+>", "", lines.splitlines()[lineno - 1])).strip()
            if text:
                message += f"（出错处：“{text if len(text) <= 60 else text[:60] + '…'}”）"
    return f"模板标签有语法错误：{message}"


def _check_paragraph_tags(body: Any) -> None:
    """Each {{ … }} and {% … %} begins and ends in one paragraph. One left open runs on to the
    next tag's end, wherever that is: docxtpl then drops or merges whole paragraphs, or jinja2
    fails on the text in between ({# … #} may span paragraphs: it only comments them out)."""
    for paragraph in body.iter(W + "p"):
        text = "".join(t.text or "" for t in paragraph.iter(W + "t"))
        if text.count("{{") != text.count("}}") or text.count("{%") != text.count("%}"):
            shown = text.strip() if len(text.strip()) <= 60 else text.strip()[:60] + "…"
            raise Broken(f"模板标签没有在本段内结束：“{shown}”（{{{{ 与 }}}}、{{% 与 %}} 须在同一段落里成对出现）")


def _check_table_grids(body: Any) -> None:
    """docxtpl's fix_tables rewrites a table grid whose columns do not match its widest row."""
    for tbl in body.iter(W + "tbl"):
        grid = tbl.find(W + "tblGrid")
        if grid is None:
            raise Unsupported("表格没有 tblGrid")
        columns = len(grid.findall(W + "gridCol"))
        widest = 0
        for row in tbl.iter(W + "tr"):
            cells = row.findall(W + "tc")
            if len(cells) > columns:
                raise Unsupported("表格的列数与 tblGrid 不一致")
            span = 0
            for cell in cells:
                pr = cell.find(W + "tcPr")
                gs = None if pr is None else pr.find(W + "gridSpan")
                span += int(gs.get(W + "val")) if gs is not None else 1
            widest = max(widest, span)
        if widest < columns:
            raise Unsupported("表格的列数与 tblGrid 不一致")


def zip_entry(name: str, external_attr: int) -> zipfile.ZipInfo:
    """A deflated entry dated 1980-01-01: the same inputs give the same bytes."""
    info = zipfile.ZipInfo(name, FIXED_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = external_attr
    return info


def _resolve_listing(xml: str) -> str:
    """docxtpl's resolve_listing: tab, line break, new paragraph and page break in a text."""

    def resolve_text(run_properties: str, paragraph_properties: str, m: re.Match[str]) -> str:
        xml = m.group(0).replace(
            "\t",
            f'</w:t></w:r><w:r>{run_properties}<w:tab/></w:r><w:r>{run_properties}<w:t xml:space="preserve">',
        )
        xml = xml.replace(
            "\a",
            f'</w:t></w:r></w:p><w:p>{paragraph_properties}<w:r>{run_properties}<w:t xml:space="preserve">',
        )
        xml = xml.replace("\n", '</w:t><w:br/><w:t xml:space="preserve">')
        return xml.replace(
            "\f",
            '</w:t></w:r></w:p><w:p><w:r><w:br w:type="page"/></w:r></w:p>'
            f'<w:p>{paragraph_properties}<w:r>{run_properties}<w:t xml:space="preserve">',
        )

    def resolve_run(paragraph_properties: str, m: re.Match[str]) -> str:
        found = re.search(r"<w:rPr>.*?</w:rPr>", m.group(0))
        run_properties = found.group(0) if found else ""
        return re.sub(
            r"<w:t(?: [^>]*)?>.*?</w:t>", lambda x: resolve_text(run_properties, paragraph_properties, x), m.group(0), flags=re.DOTALL
        )

    def resolve_paragraph(m: re.Match[str]) -> str:
        found = re.search(r"<w:pPr>.*?</w:pPr>", m.group(0))
        paragraph_properties = found.group(0) if found else ""
        return re.sub(r"<w:r(?: [^>]*)?>.*?</w:r>", lambda x: resolve_run(paragraph_properties, x), m.group(0), flags=re.DOTALL)

    return re.sub(r"<w:p(?: [^>]*)?>.*?</w:p>", resolve_paragraph, xml, flags=re.DOTALL)


def render_document(prep: Prepared, context: dict[str, Any]) -> bytes:
    """word/document.xml of one document, as docxtpl would render it."""
    xml = prep.template.render(context)
    xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
    if LISTING.search(xml):
        xml = _resolve_listing(xml)
    if prep.has_docpr:  # docxtpl numbers the drawings' ids from 1001, in document order
        counter = iter(range(1001, 1 << 31))
        xml = DOCPR_ID.sub(lambda m: f"{m.group(1)}{next(counter)}{m.group(2)}", xml)
    return (XML_HEADER + xml).encode("utf-8")


def render_core(prep: Prepared, title: str, author: str, when: datetime) -> bytes:
    """docProps/core.xml as python-docx writes it after setting these properties."""
    from docx.opc.packuri import PackURI
    from docx.opc.parts.coreprops import CorePropertiesPart

    core = CorePropertiesPart.load(PackURI("/" + prep.core_name), CT_CORE, prep.core_xml, None)  # type: ignore[arg-type]
    stamp_properties(core.core_properties, title, author, when)
    return core.blob


def stamp_properties(props: Any, title: str, author: str, when: datetime) -> None:
    """The core properties every report carries (python-docx's CoreProperties), dated by the run."""
    props.title = title
    props.author = author
    props.created = props.modified = props.last_printed = when
    props.revision = 1


def write_docx(prep: Prepared, document_xml: bytes, core_xml: bytes) -> bytes:
    """The whole .docx: the template's other parts as they are, plus the two rendered ones."""
    buf = io.BytesIO(prep.base_zip)
    buf.seek(0, io.SEEK_END)
    with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED) as out:
        out.writestr(zip_entry(prep.document_name, prep.modes[prep.document_name]), document_xml)
        out.writestr(zip_entry(prep.core_name, prep.modes[prep.core_name]), core_xml)
    return buf.getvalue()
