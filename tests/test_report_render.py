"""The fast report path (perfeval.outputs.docx_render) gives what docxtpl gives."""

from __future__ import annotations

import io
import warnings
import zipfile

import pytest

from perfeval.config import Settings
from perfeval.outputs import docx_render
from perfeval.outputs.report import default_template_bytes, write_report, write_report_docxtpl
from perfeval.pipeline import analyze

from .conftest import INBOX, clean_spec
from .test_report import RUN_DATE, report_text


def _core(path):
    import docx

    props = docx.Document(str(path)).core_properties
    return (props.title, props.author, props.created, props.modified, props.last_printed, props.revision)


def _same(dep, tmp_path, stem):
    fast = write_report(dep, tmp_path / f"{stem}-fast.docx", RUN_DATE)
    slow = write_report_docxtpl(dep, tmp_path / f"{stem}-docxtpl.docx", RUN_DATE)
    assert report_text(fast) == report_text(slow)
    assert _core(fast) == _core(slow)
    with zipfile.ZipFile(fast) as a, zipfile.ZipFile(slow) as b:
        assert set(a.namelist()) >= set(b.namelist())
        assert all(i.date_time == docx_render.FIXED_ZIP_TIME for i in a.infolist())
        assert a.testzip() is None


def test_fast_path_is_prepared_for_the_default_template():
    prep, _ = docx_render.prepare(default_template_bytes())
    assert isinstance(prep, docx_render.Prepared)


def test_fast_and_docxtpl_agree_on_the_inbox(tmp_path):
    files = sorted(p for p in INBOX.rglob("*.xlsx"))
    deps, _ = analyze([(p, p.name) for p in files], Settings())
    assert len(deps) >= 7
    for i, dep in enumerate(deps):
        _same(dep, tmp_path, str(i))


@pytest.mark.parametrize(
    "name, content",
    [
        ("研发&测试<中心>部\"甲\"'乙'", "A&B<C>D{{ x }}{% if %}"),
        ("控制\x01字符\x0b部\x1f\x07\x0c\ufffe", "行一\n行二\t制表\r\n回车 {_{ y }_} {_% z %_}"),
        ("]]><w:p>注入</w:p>", "</w:t></w:r>&amp;&#x1;"),
    ],
)
def test_fast_and_docxtpl_agree_on_hostile_texts(tmp_path, make_workbook, name, content):
    spec = clean_spec()
    spec["基本信息"]["部门名称"] = "部门"
    spec["评价结论"]["items"][0]["内容"] = content
    deps, _ = analyze([(make_workbook(spec), "部门.xlsx")], Settings())
    deps[0].name = name  # control characters cannot even be typed into a workbook
    _same(deps[0], tmp_path, "h")


def test_same_inputs_give_the_same_bytes(tmp_path, make_workbook):
    deps, _ = analyze([(make_workbook(clean_spec()), "部门.xlsx")], Settings())
    a = write_report(deps[0], tmp_path / "a.docx", RUN_DATE).read_bytes()
    b = write_report(deps[0], tmp_path / "b.docx", RUN_DATE).read_bytes()
    assert a == b


def _with_document(template: bytes, edit) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(template)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            if info.filename == "word/document.xml":
                blob = edit(blob.decode("utf-8")).encode("utf-8")
            dst.writestr(info, blob)
    return out.getvalue()


def test_unsupported_template_falls_back_with_a_warning(tmp_path, make_workbook):
    # a RichText run tag: docxtpl's own business
    template = _with_document(default_template_bytes(), lambda xml: xml.replace("{{ name }}", "{{r name }}", 1))
    assert template != default_template_bytes()
    path = tmp_path / "我的模板.docx"
    path.write_bytes(template)
    deps, _ = analyze([(make_workbook(clean_spec()), "部门.xlsx")], Settings())
    with pytest.warns(UserWarning, match="我的模板.docx.*RichText.*docxtpl"):
        out = write_report(deps[0], tmp_path / "r.docx", RUN_DATE, path)
    assert out.exists()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once per run, not once per department
        write_report(deps[0], tmp_path / "r2.docx", RUN_DATE, path)


def test_user_template_copy_takes_the_fast_path(tmp_path, make_workbook):
    path = tmp_path / "t.docx"
    path.write_bytes(default_template_bytes())
    deps, _ = analyze([(make_workbook(clean_spec()), "部门.xlsx")], Settings())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = write_report(deps[0], tmp_path / "r.docx", RUN_DATE, path)
    assert report_text(out) == report_text(write_report(deps[0], tmp_path / "d.docx", RUN_DATE))
