"""Fault injection: runs killed at each stage, interrupted, out of disk, racing each other, fed a
file that changes under them or a planted cache. Whatever happens, OUTDIR holds the previous
complete set or the new complete set (after `recover`, which every command does first), and the
inbox is byte-for-byte what it was."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from perfeval.cli import main
from perfeval.publish import JOURNAL, STAGING, FolderLock, recover

from .conftest import INBOX, ROOT

DATE = "2026-01-05"
V1 = ["01_兰州新区科技发展局.xlsx", "02_兰州新区文化和旅游局.xlsx", "03_兰州新区农业农村局.xlsx"]


def _fill(inbox: Path, version: int) -> None:
    """Version 1 of an inbox, or version 2: one file gone, one changed, one new."""
    shutil.rmtree(inbox, ignore_errors=True)
    inbox.mkdir(parents=True)
    samples = sorted(INBOX.glob("*.xlsx"))
    if version == 1:
        for name in V1:
            shutil.copy(INBOX / name, inbox / name)
    else:
        shutil.copy(INBOX / V1[0], inbox / V1[0])
        shutil.copy(samples[4], inbox / V1[2])  # same file name, another department's content
        shutil.copy(samples[3], inbox / samples[3].name)


def _snapshot(folder: Path) -> dict[str, str]:
    """Every visible file under `folder` → its SHA-256 (hidden files are perfeval's own state)."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(_content(p)).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


def _content(path: Path) -> bytes:
    """A file's bytes; the results JSON without the paths of the inbox and the history (each
    test has its own)."""
    if path.name != "perfeval-results.json":
        return path.read_bytes()
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("inbox")
    if data.get("history"):
        data["history"].pop("file")
    return json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")


def _cli(*args: str):
    return CliRunner().invoke(main, [*args], catch_exceptions=False)


def _process(inbox: Path, out: Path, *extra: str):
    return _cli("process", str(inbox), "-o", str(out), "--date", DATE, "-q", *extra)


@pytest.fixture(scope="module")
def sets(tmp_path_factory) -> dict[int, dict[str, str]]:
    """The complete set of each inbox version, each made by a clean run into a fresh folder."""
    base = tmp_path_factory.mktemp("sets")
    made = {}
    for version in (1, 2):
        inbox, out = base / f"inbox{version}", base / f"out{version}"
        _fill(inbox, version)
        assert _process(inbox, out).exit_code in (0, 1)
        made[version] = _snapshot(out)
    assert made[1] != made[2] and all(made.values())
    return made


@pytest.fixture
def previous(tmp_path, sets):
    """An OUTDIR holding version 1's complete set, and the inbox already at version 2."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    _fill(inbox, 1)
    assert _process(inbox, out).exit_code in (0, 1)
    assert _snapshot(out) == sets[1]
    _fill(inbox, 2)
    return inbox, out, _snapshot(inbox)


KILL = {
    # stage → the call the run dies in (where a stage calls it more than once, its second call,
    # so some work of the stage is done)
    "read": ("perfeval.pipeline", "read_workbook", 2),
    "outputs": ("perfeval.outputs.report", "report_bytes", 2),
    "summary": ("perfeval.outputs.summary", "write_summary", 1),
}


def _run_patched(inbox: Path, out: Path, patch: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """`perfeval process` in a process of its own, with `patch` (Python) run first."""
    script = textwrap.dedent(patch) + textwrap.dedent(
        f"""
        import sys
        from perfeval.cli import run
        sys.argv = ["perfeval", "process", {str(inbox)!r}, "-o", {str(out)!r}, "--date", {DATE!r}, "-q", *{list(extra)!r}]
        run()
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)


def _dies_on_call(module: str, name: str, call: int, how: str = "os.kill(os.getpid(), signal.SIGKILL)") -> str:
    return f"""
        import importlib, os, signal
        owner = importlib.import_module({module!r})
        real, calls = getattr(owner, {name!r}), []
        def dying(*args, **kwargs):
            calls.append(1)
            if len(calls) == {call}:
                {how}
            return real(*args, **kwargs)
        setattr(owner, {name!r}, dying)
    """


@pytest.mark.parametrize("stage", sorted(KILL))
def test_a_kill_at_any_stage_before_publishing_leaves_the_previous_set(previous, sets, stage):
    inbox, out, inputs = previous
    done = _run_patched(inbox, out, _dies_on_call(*KILL[stage]))
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert _snapshot(out) == sets[1], "the previous set, complete and untouched"
    assert _snapshot(inbox) == inputs
    assert _process(inbox, out).exit_code in (0, 1)  # the next run cleans up and publishes
    assert _snapshot(out) == sets[2] and not (out / STAGING).exists()


def test_a_kill_of_a_pooled_run_leaves_the_previous_set(tmp_path):
    """A batch large enough for the worker pool: the main process is killed while it writes the
    summary and the workers write the department files."""
    from perfeval import pool

    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    samples = sorted(INBOX.glob("*.xlsx"))
    for i in range(pool.PARALLEL_MIN + 2):
        shutil.copy(samples[i % len(samples)], inbox / f"{i:02d}_{samples[i % len(samples)].name}")
    assert _process(inbox, out).exit_code in (0, 1)
    previous = _snapshot(out)
    (inbox / "00_01_兰州新区科技发展局.xlsx").unlink()
    inputs = _snapshot(inbox)
    done = _run_patched(inbox, out, _dies_on_call("perfeval.outputs.summary", "write_summary", 1))
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert _snapshot(out) == previous and _snapshot(inbox) == inputs
    assert _process(inbox, out).exit_code in (0, 1)
    assert _snapshot(out) != previous and not (out / STAGING).exists()


def test_a_kill_while_publishing_is_finished_by_the_next_command(previous, sets):
    inbox, out, inputs = previous
    patch = f"""
        import os, signal
        real, moved = os.replace, []
        def replace(src, dst, *args, **kwargs):
            if {STAGING!r} in str(src) and {STAGING!r} not in str(dst):  # a move out of staging
                moved.append(src)
                if len(moved) == 3:
                    os.kill(os.getpid(), signal.SIGKILL)
            return real(src, dst, *args, **kwargs)
        os.replace = replace
    """
    done = _run_patched(inbox, out, patch)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert (out / JOURNAL).exists(), "killed after the set was committed"
    recover(out)  # what `process` and `mail` do first
    assert _snapshot(out) == sets[2]
    assert _snapshot(inbox) == inputs


def test_ctrl_c_exits_130_in_one_line_and_leaves_the_previous_set(previous, sets):
    inbox, out, inputs = previous
    done = _run_patched(inbox, out, _dies_on_call(*KILL["outputs"], how="raise KeyboardInterrupt"))
    assert done.returncode == 130
    assert done.stderr.strip() == "已中断。", done.stderr
    assert _snapshot(out) == sets[1] and _snapshot(inbox) == inputs


def test_a_full_disk_fails_the_run_and_leaves_the_previous_set(previous, sets, monkeypatch):
    inbox, out, inputs = previous
    import perfeval.outputs.department_book as book

    real, calls = book.department_book_bytes, []

    def full(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(*args, **kwargs)

    monkeypatch.setattr(book, "department_book_bytes", full)
    r = _process(inbox, out)
    assert r.exit_code == 3 and "上一次的输出保持不变" in r.output
    assert _snapshot(out) == sets[1] and _snapshot(inbox) == inputs
    assert not (out / STAGING).exists()


def _usage(folder: Path) -> int:
    """Bytes a folder's files take on a tmpfs (whole pages)."""
    return sum(-(-p.stat().st_size // 4096) * 4096 for p in folder.rglob("*") if p.is_file())


def test_a_real_full_disk_fails_the_run_and_leaves_the_previous_set(tmp_path, sets, monkeypatch):
    """On a small tmpfs (where the machine lets a test mount one; else the disk's ENOSPC is
    injected): room for one complete set, not for the next one beside it."""
    inbox, probe = tmp_path / "inbox", tmp_path / "probe"
    _fill(inbox, 1)
    assert _process(inbox, probe).exit_code in (0, 1)
    visible = sum(-(-(probe / rel).stat().st_size // 4096) * 4096 for rel in _snapshot(probe))
    disk = tmp_path / "disk"
    disk.mkdir()
    size = _usage(probe) + visible // 3 + 64 * 1024
    try:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)], capture_output=True).returncode == 0
    except OSError:  # no mount command at all
        mounted = False
    history = ("--history", str(tmp_path / "history.sqlite"))  # off the small disk: its room is measured for the outputs
    try:
        out = disk / "out"
        assert _process(inbox, out, *history).exit_code in (0, 1)
        assert _snapshot(out) == sets[1]
        _fill(inbox, 2)
        inputs = _snapshot(inbox)
        if not mounted:  # no tmpfs for this user: the disk's answer, injected
            import perfeval.outputs.department_book as book

            def full(*args):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

            monkeypatch.setattr(book, "department_book_bytes", full)
        r = _process(inbox, out, *history)
        assert r.exit_code == 3 and "上一次的输出保持不变" in r.output, r.output
        assert _snapshot(out) == sets[1] and _snapshot(inbox) == inputs
        assert not (out / STAGING).exists()
    finally:
        if mounted:
            subprocess.run(["umount", str(disk)], check=True)


def test_a_second_run_is_refused_while_one_runs_and_waits_with_wait(previous, sets):
    inbox, out, inputs = previous
    with FolderLock(out):
        refused = _run_patched(inbox, out, "")
        assert refused.returncode == 3
        assert "另一个 perfeval 运行" in refused.stderr and "--wait" in refused.stderr
        assert _snapshot(out) == sets[1]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        argv = [sys.executable, "-m", "perfeval", "process", str(inbox), "-o", str(out), "--date", DATE, "-q", "--wait"]
        waiting = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        with pytest.raises(subprocess.TimeoutExpired):
            waiting.wait(2)  # it waits while the lock is held
    _, err = waiting.communicate(timeout=300)
    assert waiting.returncode in (0, 1) and "等待它结束" in err
    assert _snapshot(out) == sets[2] and _snapshot(inbox) == inputs


def test_two_real_runs_at_once_never_mix(previous, sets, tmp_path):
    """One run is slowed down in its summary; the other starts meanwhile and is refused."""
    inbox, out, inputs = previous
    slow = _dies_on_call("perfeval.outputs.summary", "write_summary", 1, how="time.sleep(3)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen(
        [sys.executable, "-c", "import time\n" + textwrap.dedent(slow) + _main_call(inbox, out)], env=env, cwd=ROOT, stderr=subprocess.PIPE
    )
    try:
        _wait_for_lock(out)
        second = _run_patched(inbox, out, "")
    finally:
        first.communicate(timeout=300)
    assert second.returncode == 3 and "另一个 perfeval 运行" in second.stderr
    assert first.returncode in (0, 1)
    assert _snapshot(out) == sets[2] and _snapshot(inbox) == inputs


def _main_call(inbox: Path, out: Path) -> str:
    return textwrap.dedent(
        f"""
        import sys
        from perfeval.cli import run
        sys.argv = ["perfeval", "process", {str(inbox)!r}, "-o", {str(out)!r}, "--date", {DATE!r}, "-q"]
        run()
        """
    )


def _wait_for_lock(out: Path) -> None:
    import time

    from perfeval.publish import Busy

    for _ in range(300):
        try:
            with FolderLock(out):
                pass
        except Busy:
            return
        time.sleep(0.05)
    raise AssertionError("the first run never took the lock")


def test_a_file_swapped_between_hashing_and_parsing_cannot_poison_the_cache(tmp_path, monkeypatch):
    import perfeval.pipeline as pipeline

    inbox, out = tmp_path / "inbox", tmp_path / "out"
    _fill(inbox, 1)
    target = inbox / V1[2]
    original, other = target.read_bytes(), sorted(INBOX.glob("*.xlsx"))[4].read_bytes()
    real = pipeline.read_bytes

    def swapping(path, max_bytes):
        got = real(path, max_bytes)
        if path == target:
            target.write_bytes(other)  # replaced the moment after it was read
        return got

    monkeypatch.setattr(pipeline, "read_bytes", swapping)
    assert _process(inbox, out).exit_code in (0, 1)
    monkeypatch.setattr(pipeline, "read_bytes", real)
    target.write_bytes(original)
    rerun = _cli("process", str(inbox), "-o", str(out), "--date", DATE, "-q", "--json")
    clean = _cli("process", str(inbox), "-o", str(tmp_path / "clean"), "--date", DATE, "-q", "--json")
    assert _departments(rerun.stdout) == _departments(clean.stdout)


def _departments(text: str) -> list[tuple]:
    start = text.index("{")
    data = json.loads(text[start:])
    return sorted((d["name"], d.get("total_score"), d.get("file")) for d in data["departments"])


def test_a_planted_cache_entry_is_never_executed_nor_used(tmp_path):
    import pickle

    from perfeval.cache import CACHE_DIR, Cache

    inbox, out = tmp_path / "inbox", tmp_path / "out"
    _fill(inbox, 1)
    inputs = _snapshot(inbox)
    clean = _cli("process", str(inbox), "-o", str(out), "--date", DATE, "-q", "--json")
    cache = Cache(out)
    keys = sorted(cache.index)
    assert len(keys) == 3
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    # an old-style pack (pickles), then a pack whose entries were edited after being written
    pack = out / CACHE_DIR / "reads.pack"
    blob = pickle.dumps(Payload())
    trailer = json.dumps({keys[0]: [0, len(blob)]}).encode()
    pack.write_bytes(blob + trailer + len(trailer).to_bytes(8, "little") + b"PFREADS1")
    again = _cli("process", str(inbox), "-o", str(out), "--date", DATE, "-q", "--json")
    assert not marker.exists()
    assert _departments(again.stdout) == _departments(clean.stdout)

    data = bytearray(pack.read_bytes())
    at = data.index("兰州新区".encode())
    data[at : at + 3] = "甘".encode()  # a department renamed inside the pack
    pack.write_bytes(bytes(data))
    edited = _cli("process", str(inbox), "-o", str(out), "--date", DATE, "-q", "--json")
    assert _departments(edited.stdout) == _departments(clean.stdout)
    assert _snapshot(inbox) == inputs


def test_a_zero_byte_output_is_repaired_and_a_stale_one_removed(previous, sets):
    inbox, out, _ = previous
    _fill(inbox, 1)
    summary = next(p for p in out.iterdir() if p.suffix == ".xlsx")
    summary.write_bytes(b"")
    (out / "reports" / "某个已不在收件箱的部门.docx").write_bytes(b"old")
    assert _process(inbox, out).exit_code in (0, 1)
    assert _snapshot(out) == sets[1]


def test_outdir_problems_are_found_before_any_work(tmp_path, monkeypatch):
    import perfeval.pipeline as pipeline

    inbox = tmp_path / "inbox"
    _fill(inbox, 1)
    monkeypatch.setattr(pipeline, "analyze", lambda *a, **k: pytest.fail("work began"))
    same = _cli("process", str(inbox), "-o", str(inbox), "-q")
    assert same.exit_code == 2 and "不能是收件箱本身" in same.output
    bad = tmp_path / "模板.docx"
    bad.write_text("not a docx", encoding="utf-8")
    template = _cli("process", str(inbox), "-o", str(tmp_path / "out"), "--report-template", str(bad), "-q")
    assert template.exit_code == 2 and "报告模板" in template.output and "不是 Word 文档" in template.output
    assert not (tmp_path / "out").exists()
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    unwritable = _cli("process", str(inbox), "-o", str(blocker / "out"), "-q")
    assert unwritable.exit_code == 3 and "无法写入输出文件夹" in unwritable.output


def test_the_default_outdir_of_another_inbox_is_not_overwritten(tmp_path, sets):
    first, second = tmp_path / "甲", tmp_path / "乙"
    _fill(first, 1)
    _fill(second, 2)
    assert _cli("process", str(first), "--date", DATE, "-q").exit_code in (0, 1)
    shared = tmp_path / "perfeval-output"
    assert _snapshot(shared) == sets[1]
    refused = _cli("process", str(second), "--date", DATE, "-q")
    assert refused.exit_code == 2 and "另一个收件箱" in refused.output and "-o" in refused.output
    assert _snapshot(shared) == sets[1]
    assert _cli("process", str(first), "--date", DATE, "-q").exit_code in (0, 1), "its own inbox may run again"
