"""A run ends cleanly: a bad --report-template is refused before any work, with the reason; the
worker processes end with the process that made them, however it ends."""

from __future__ import annotations

import io
import os
import select
import signal
import subprocess
import sys
import textwrap
import time
import warnings
import zipfile
from datetime import date
from pathlib import Path

import pytest

from perfeval import pool
from perfeval.outputs import docx_render
from perfeval.outputs.report import check_report_template, default_template_bytes, sample_departments, write_report

from .conftest import ROOT

RUN_DATE = date(2024, 3, 1)


def _with_document(edit) -> bytes:
    """The default template with its word/document.xml edited (a string edit of the XML)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(default_template_bytes())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            if info.filename == "word/document.xml":
                edited = edit(blob.decode("utf-8"))
                assert edited != blob.decode("utf-8")
                blob = edited.encode("utf-8")
            dst.writestr(info, blob)
    return out.getvalue()


def _template(tmp_path: Path, blob: bytes, name: str = "模板.docx") -> Path:
    path = tmp_path / name
    path.write_bytes(blob)
    return path


# --- check_report_template -----------------------------------------------------------------


def test_the_shipped_template_passes(tmp_path):
    assert check_report_template(_template(tmp_path, default_template_bytes())) is None


def test_a_customised_copy_passes_quickly(tmp_path):
    """Restyled and reworded, with filters, loops and jinja2's own names: fine, and found so
    before every run at little cost."""
    blob = _with_document(
        lambda xml: (
            xml.replace("{{ name }}{{ year_text }}", "{{ name|trim }}{{ year_text }}（{{ range(1)|list|length }}）", 1)
            .replace("{{ scope }}", "评价范围：{{ scope|default('—') }}", 1)
            .replace("{{ loop.index }}. {{ g }}", "{{ loop.index }}、{{ g }}", 1)
        )
    )
    path = _template(tmp_path, blob)
    started = time.perf_counter()
    assert check_report_template(path) is None
    assert time.perf_counter() - started < 1.0  # ~0.15 s; the run then finds it prepared


def test_a_missing_template(tmp_path):
    assert check_report_template(tmp_path / "没有.docx") == "文件不存在"
    assert "文件夹" in check_report_template(tmp_path)


@pytest.mark.parametrize("blob", [b"not a zip at all", b"PK\x03\x04 broken"])
def test_not_a_zip(tmp_path, blob):
    assert check_report_template(_template(tmp_path, blob)) == "不是 Word 文档（.docx）：无法作为 zip 压缩包打开"


def test_a_zip_without_a_document(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("hello.txt", "hello")
    message = check_report_template(_template(tmp_path, out.getvalue(), "a.docx"))
    assert message is not None and "不是 Word 文档" in message and "word/document.xml" in message


def test_an_unclosed_tag_names_its_paragraph(tmp_path):
    """`{{ purpose ` would run on to the next tag's `}}`: docxtpl would merge or drop the
    paragraphs in between, or jinja2 fail on them."""
    path = _template(tmp_path, _with_document(lambda xml: xml.replace("{{ purpose }}", "{{ purpose ", 1)))
    assert check_report_template(path) == "模板标签没有在本段内结束：“{{ purpose”（{{ 与 }}、{% 与 %} 须在同一段落里成对出现）"
    # where the tags that follow happen to make valid jinja2 (paragraphs silently lost)
    path = _template(tmp_path, _with_document(lambda xml: xml.replace("{{ scope }}", "{{ scope ", 1)), "b.docx")
    assert (check_report_template(path) or "").startswith("模板标签没有在本段内结束：“{{ scope”")


@pytest.mark.parametrize(
    "tag, said",
    [
        ("{{ purpose + }}", "unexpected 'end of print statement'（出错处：“{{ purpose + }}”）"),
        ("{{ purpose|nofilter }}", "No filter named 'nofilter'.（出错处：“{{ purpose|nofilter }}”）"),
        ("{% endif %}", "Encountered unknown tag 'endif'.（出错处：“{% endif %}”）"),
    ],
)
def test_a_syntax_error_says_what_jinja_says_and_where(tmp_path, tag, said):
    path = _template(tmp_path, _with_document(lambda xml: xml.replace("{{ purpose }}", tag, 1)))
    assert check_report_template(path) == "模板标签有语法错误：" + said


def test_an_unclosed_block(tmp_path):
    path = _template(tmp_path, _with_document(lambda xml: xml.replace("{%p endif %}", "", 1)))
    message = check_report_template(path)
    assert message is not None and message.startswith("模板标签有语法错误：") and "endif" in message


def test_an_unknown_variable(tmp_path):
    path = _template(tmp_path, _with_document(lambda xml: xml.replace("{{ purpose }}", "{{ purpos }}", 1)))
    message = check_report_template(path)
    assert message is not None and "不提供的变量 purpos（" in message


def test_a_template_that_fails_when_filled(tmp_path):
    path = _template(tmp_path, _with_document(lambda xml: xml.replace("{{ purpose }}", "{{ budget / 2 }}", 1)))
    message = check_report_template(path)
    assert message is not None and message.startswith("用示例部门试填时出错（TypeError")


def test_a_body_word_would_refuse(tmp_path):
    """An {% if %} from one table cell to a paragraph outside the table: the fast path would
    write what Word cannot open."""
    path = _template(
        tmp_path,
        _with_document(lambda xml: xml.replace("{{ purpose }}", "{% if score_text == '-' %}", 1).replace("{{ scope }}", "{% endif %}", 1)),
    )
    message = check_report_template(path)
    assert message is not None and message.startswith("填好的正文不是有效的 Word 文档")


def test_templates_docxtpl_renders_are_checked_too(tmp_path):
    """A RichText tag: rendered by docxtpl itself, and checked that way."""
    fine = _template(tmp_path, _with_document(lambda xml: xml.replace("{{ scope }}", "{{r scope }}", 1)), "a.docx")
    assert check_report_template(fine) is None
    typo = _template(tmp_path, _with_document(lambda xml: xml.replace("{{ name }}", "{{r nmae }}", 1)), "b.docx")
    assert "不提供的变量 nmae（" in (check_report_template(typo) or "")


def test_the_check_leaves_the_runs_warning_and_refusal(tmp_path):
    """The check prepares the template for the run, but the run still says once that it falls
    back to docxtpl; and a broken template is refused with the same reason, not docxtpl's."""
    dep = sample_departments()[0]
    rich = _template(tmp_path, _with_document(lambda xml: xml.replace("{{ scope }}", "{{r scope }}", 1)), "rich.docx")
    assert check_report_template(rich) is None
    with pytest.warns(UserWarning, match="docxtpl"):
        write_report(dep, tmp_path / "r1.docx", RUN_DATE, rich)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_report(dep, tmp_path / "r2.docx", RUN_DATE, rich)
    broken = _template(tmp_path, _with_document(lambda xml: xml.replace("{{ scope }}", "{{ scope ", 1)), "broken.docx")
    reason = check_report_template(broken)
    assert reason is not None
    with pytest.raises(ValueError) as raised:
        write_report(dep, tmp_path / "r3.docx", RUN_DATE, broken)
    assert str(raised.value) == f"报告模板 {broken}：{reason}"
    assert isinstance(docx_render.prepare(broken.read_bytes())[0], docx_render.Broken)


# --- worker processes end with the process that made them -----------------------------------

POOL_SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    from perfeval import pool

    def task(i):
        print(os.getpid(), flush=True)
        time.sleep(float(sys.argv[1]))
        return i

    if __name__ == "__main__":
        try:
            with pool.worker_pool(pool.PARALLEL_MIN, None) as workers:
                assert workers is not None
                list(pool.run_tasks(workers, task, pool.PARALLEL_MIN))
                time.sleep(float(sys.argv[2]))  # the workers wait for work meanwhile
        except KeyboardInterrupt:  # as perfeval's run() does
            print("已中断。", file=sys.stderr)
            sys.exit(130)
    """
)

needs_pool = pytest.mark.skipif(
    os.name != "posix" or "fork" not in __import__("multiprocessing").get_all_start_methods() or (os.cpu_count() or 1) < 2,
    reason="a forked pool of two workers (POSIX signals, two CPUs)",
)


def _start(tmp_path: Path, sleep: float, idle: float = 0) -> tuple[subprocess.Popen[bytes], set[int]]:
    """The script above, in a session of its own, once both its workers have been at a task:
    each task sleeps `sleep` s; after them, the pool is left idle for `idle` s."""
    script = tmp_path / "pool_script.py"
    script.write_text(POOL_SCRIPT, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(sleep), str(idle)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    pids: set[int] = set()
    pending = b""
    deadline = time.monotonic() + 20
    while len(pids) < 2:
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            proc.kill()
        chunk = os.read(proc.stdout.fileno(), 4096) if ready else b""
        assert chunk, f"the pool did not start: {proc.communicate()[1].decode(errors='replace')}"
        *lines, pending = (pending + chunk).split(b"\n")
        pids.update(int(line) for line in lines if line.strip())
    return proc, pids


def _gone(pid: int) -> bool:
    """Ended: no such process, or a zombie (adopted by an init that may never reap it)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    except OSError:  # no /proc here
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False
    return any(line.startswith("State:") and "Z" in line.split()[1] for line in status.splitlines())


def _wait_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    left = set(pids)
    while left and time.monotonic() < deadline:
        left = {p for p in left if not _gone(p)}
        time.sleep(0.05)
    return left


@pytest.mark.slow
@needs_pool
def test_workers_end_when_their_parent_is_killed(tmp_path):
    proc, workers = _start(tmp_path, sleep=60)  # at a task far longer than the test
    try:
        assert not {p for p in workers if _gone(p)}
        proc.kill()  # SIGKILL: the pool is never shut down
        proc.wait(5)
        assert _wait_gone(workers, pool.PARENT_POLL + 2) == set()  # noticed at once, not after the task
    finally:
        for pid in workers:
            if not _gone(pid):
                os.kill(pid, signal.SIGKILL)
        proc.communicate()


@pytest.mark.slow
@needs_pool
@pytest.mark.parametrize("sleep, idle", [(0.3, 0), (0.05, 30)], ids=["at-work", "idle"])
def test_ctrl_c_reaches_the_parent_only(tmp_path, sleep, idle):
    """Ctrl-C in a terminal signals the whole process group: the workers, at a task or waiting
    for one, say nothing (an idle one would print a KeyboardInterrupt traceback); the parent
    shuts the pool down and says it once."""
    proc, workers = _start(tmp_path, sleep, idle)
    if idle:
        time.sleep(0.6)  # the other tasks done: both workers wait for work
    try:
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=10)
        assert proc.returncode == 130
        assert err.decode() == "已中断。\n"  # no worker said "Traceback … KeyboardInterrupt"
        assert _wait_gone(workers, 3) == set()
    finally:
        for pid in workers:
            if not _gone(pid):
                os.kill(pid, signal.SIGKILL)
