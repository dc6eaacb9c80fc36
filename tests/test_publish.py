"""Outputs published as one set, and one run at a time per output folder (publish.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from perfeval.publish import JOURNAL, LOCK, MANIFEST, STAGING, Busy, FolderLock, OutputSet, finish, load_manifest, recover, safe_rel


def _stage(outputs: OutputSet, rel: str, text: str, key: str = "k") -> None:
    path = outputs.path(rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    outputs.add(rel, key)


def _files(folder) -> dict[str, str]:
    """Every visible file under `folder` and its text."""
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


def test_nothing_is_visible_until_commit_and_then_all_of_it(tmp_path):
    out = tmp_path / "out"
    first = OutputSet(out, owned=(("departments", ".xlsx"),))
    _stage(first, "summary.xlsx", "v1")
    _stage(first, "departments/a.xlsx", "a1")
    assert _files(out) == {}, "staged outputs are not published yet"
    first.commit()
    assert _files(out) == {"summary.xlsx": "v1", "departments/a.xlsx": "a1"}
    assert not (out / STAGING).exists() and not (out / JOURNAL).exists()

    second = OutputSet(out, owned=(("departments", ".xlsx"),))
    _stage(second, "summary.xlsx", "v2")
    _stage(second, "departments/b.xlsx", "b2")
    assert _files(out) == {"summary.xlsx": "v1", "departments/a.xlsx": "a1"}
    second.discard()  # a run that failed: the previous set stays whole
    assert _files(out) == {"summary.xlsx": "v1", "departments/a.xlsx": "a1"}
    assert not (out / STAGING).exists()


def test_outputs_not_of_this_run_are_removed_and_unchanged_ones_kept(tmp_path):
    out = tmp_path / "out"
    first = OutputSet(out, owned=(("departments", ".xlsx"),))
    for rel in ("summary.xlsx", "departments/a.xlsx", "departments/gone.xlsx"):
        _stage(first, rel, rel, key=rel)
    first.commit()
    (out / "departments" / "left-by-an-old-version.xlsx").write_text("old", encoding="utf-8")
    (out / "departments" / "notes.txt").write_text("the user's own", encoding="utf-8")

    second = OutputSet(out, owned=(("departments", ".xlsx"),))
    assert second.current("departments/a.xlsx", "departments/a.xlsx")
    assert not second.current("summary.xlsx", "another key"), "a different content key is not current"
    _stage(second, "summary.xlsx", "new", key="another key")
    second.commit()
    assert _files(out) == {"summary.xlsx": "new", "departments/a.xlsx": "departments/a.xlsx", "departments/notes.txt": "the user's own"}
    entries, _ = load_manifest(out)
    assert sorted(entries) == ["departments/a.xlsx", "summary.xlsx"]


def test_a_missing_emptied_or_edited_output_is_not_current(tmp_path):
    out = tmp_path / "out"
    first = OutputSet(out)
    for rel in ("a.xlsx", "b.xlsx", "c.xlsx", "d.xlsx"):
        _stage(first, rel, "content " + rel, key=rel)
    first.commit()
    (out / "a.xlsx").unlink()
    (out / "b.xlsx").write_bytes(b"")
    (out / "c.xlsx").write_text("content X.xlsx", encoding="utf-8")  # same size, other bytes
    os.utime(out / "d.xlsx", ns=(1, 1))  # touched only: its bytes are still what was written
    second = OutputSet(out)
    assert [second.current(rel, rel) for rel in ("a.xlsx", "b.xlsx", "c.xlsx", "d.xlsx")] == [False, False, False, True]


def test_a_publish_killed_halfway_is_finished_by_the_next_command(tmp_path):
    out = tmp_path / "out"
    first = OutputSet(out)
    _stage(first, "a.xlsx", "a1")
    _stage(first, "b.xlsx", "b1")
    first.commit()
    second = OutputSet(out)
    _stage(second, "a.xlsx", "a2")
    _stage(second, "b.xlsx", "b2")
    # what commit does, stopped after the journal and one move (a kill at that moment)
    journal = {
        "format": 1,
        "staged": ["a.xlsx", "b.xlsx"],
        "remove": [],
        "manifest": {"format": 1, "run": {}, "outputs": {r: e.plain() for r, e in second.entries.items()}},
    }
    (out / JOURNAL).write_text(json.dumps(journal), encoding="utf-8")
    os.replace(second.path("a.xlsx"), out / "a.xlsx")
    recover(out)
    assert _files(out) == {"a.xlsx": "a2", "b.xlsx": "b2"}
    assert not (out / JOURNAL).exists() and not (out / STAGING).exists()
    assert OutputSet(out).current("b.xlsx", "k")


def test_a_run_killed_before_publishing_leaves_nothing_behind(tmp_path):
    out = tmp_path / "out"
    first = OutputSet(out)
    _stage(first, "a.xlsx", "a1")
    first.commit()
    killed = OutputSet(out)
    _stage(killed, "a.xlsx", "half")
    recover(out)
    assert _files(out) == {"a.xlsx": "a1"} and not (out / STAGING).exists()


def test_a_tampered_journal_cannot_reach_outside_the_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep", encoding="utf-8")
    journal = {"format": 1, "staged": ["../x"], "remove": ["../victim.txt", "/etc/passwd", ".perfeval-cache/reads.pack"], "manifest": {}}
    (out / JOURNAL).write_text(json.dumps(journal), encoding="utf-8")
    (out / ".perfeval-cache").mkdir()
    (out / ".perfeval-cache" / "reads.pack").write_text("x", encoding="utf-8")
    recover(out)
    assert victim.read_text(encoding="utf-8") == "keep"
    assert (out / ".perfeval-cache" / "reads.pack").exists()
    assert [safe_rel(r) for r in ("a/b.xlsx", "../a", "/a", "a/../b", ".hidden", "a\\b", "")] == [
        True,
        False,
        False,
        False,
        False,
        False,
        False,
    ]
    assert not finish(out), "the journal is gone"


def test_a_damaged_manifest_means_everything_is_written_again(tmp_path):
    out = tmp_path / "out"
    first = OutputSet(out)
    _stage(first, "a.xlsx", "a1")
    first.commit()
    (out / MANIFEST).write_text("{not json", encoding="utf-8")
    assert not OutputSet(out).current("a.xlsx", "k")
    (out / MANIFEST).write_text(json.dumps({"format": 1, "outputs": {"a.xlsx": ["k", "x", "not a size", 0]}}), encoding="utf-8")
    assert not OutputSet(out).current("a.xlsx", "k")


def test_a_second_lock_is_refused_and_a_waiting_one_gets_it(tmp_path):
    out = tmp_path / "out"
    with FolderLock(out):
        with pytest.raises(Busy) as refused:
            FolderLock(out).__enter__()
        assert "另一个 perfeval 运行" in str(refused.value) and f"PID {os.getpid()}" in str(refused.value)
        got, said = [], []

        def waiter() -> None:
            with FolderLock(out, wait=True, on_wait=said.append):
                got.append(time.monotonic())

        thread = threading.Thread(target=waiter)
        released = time.monotonic()
        thread.start()
        time.sleep(0.5)
        assert not got, "it waits while the lock is held"
        released = time.monotonic()
    thread.join(10)
    assert got and got[0] >= released and "等待它结束" in said[0]


def test_a_killed_holder_leaves_no_lock_behind(tmp_path):
    out = tmp_path / "out"
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from perfeval.publish import FolderLock
        FolderLock(Path({str(out)!r})).__enter__()
        print("locked", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "locked" and done.returncode == -9
    assert (out / LOCK).exists()
    with FolderLock(out):  # the system dropped the dead process's lock
        pass
