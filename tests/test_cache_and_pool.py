"""Unchanged work is not redone, and the process pool gives exactly the serial results."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest

from perfeval import pipeline, pool
from perfeval.cache import CACHE_DIR
from perfeval.config import Settings
from perfeval.model import NOT_LOADED
from perfeval.pipeline import process

from .conftest import INBOX, clean_spec

RUN_DATE = date(2024, 3, 1)


@pytest.fixture
def inbox(tmp_path) -> Path:
    target = tmp_path / "inbox"
    shutil.copytree(INBOX, target)
    return target


def _count_reads(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = pipeline.read_workbook

    def counting(path, name, max_bytes, content=None, **kwargs):
        calls.append(name)
        return real(path, name, max_bytes, content=content, **kwargs)

    monkeypatch.setattr(pipeline, "read_workbook", counting)
    return calls


def _pool_sized_inbox(inbox: Path, make_workbook, edit=None) -> int:
    """Enough departments for a worker pool, each of its own name and code and each losing a
    point somewhere; `edit(i, spec)` changes the i-th before it is written. Returns how many."""
    n = pool.PARALLEL_MIN + 2
    for i in range(n):
        spec = clean_spec()
        spec["基本信息"].update({"部门名称": f"第{i}局", "部门编码": f"P{i}"})
        spec["指标评分"][i % 20]["得分"] = 0
        if edit:
            edit(i, spec)
        make_workbook(spec, name=f"{i:02d}.xlsx", folder=inbox)
    return n


def _snapshot(out: Path) -> dict[str, tuple[int, bytes]]:
    return {
        p.relative_to(out).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
        for p in out.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(out).parts)  # perfeval's own state
    }


def test_rerun_reads_nothing_and_rewrites_nothing(inbox, tmp_path, monkeypatch):
    out = tmp_path / "out"
    first = process(inbox, out, Settings(), RUN_DATE)
    before = _snapshot(out)
    calls = _count_reads(monkeypatch)
    second = process(inbox, out, Settings(), RUN_DATE)
    assert calls == []
    after = _snapshot(out)
    for rel in before:
        if rel.startswith(("departments/", "reports/")) or rel == "绩效评价汇总.xlsx":
            assert after[rel][0] == before[rel][0], f"{rel} was rewritten"
        assert after[rel][1] == before[rel][1], rel
    assert [f.as_dict() for f in second.findings] == [f.as_dict() for f in first.findings]


def test_a_changed_file_is_read_again_and_its_outputs_rewritten(inbox, tmp_path, monkeypatch, make_workbook):
    out = tmp_path / "out"
    process(inbox, out, Settings(), RUN_DATE)
    before = _snapshot(out)
    spec = clean_spec()
    spec["指标评分"][0]["得分"] = 7  # 文化和旅游局 loses a point
    make_workbook(spec, name="02_兰州新区文化和旅游局.xlsx", folder=inbox)
    calls = _count_reads(monkeypatch)
    result = process(inbox, out, Settings(), RUN_DATE)
    assert calls == ["02_兰州新区文化和旅游局.xlsx"]
    dep = next(d for d in result.departments if d.file.startswith("02_"))
    assert dep.total_score == 90
    after = _snapshot(out)
    assert after["departments/兰州新区文化和旅游局.xlsx"][1] != before["departments/兰州新区文化和旅游局.xlsx"][1]
    assert after["绩效评价汇总.xlsx"][1] != before["绩效评价汇总.xlsx"][1]
    assert after["departments/兰州新区农业农村局.xlsx"][0] == before["departments/兰州新区农业农村局.xlsx"][0]


def test_a_text_no_figure_shows_is_in_the_outputs_of_the_next_run(inbox, tmp_path, make_workbook):
    """A 存在问题 reworded (no figure, score or finding changes): the report, which prints it,
    is written again; the other departments' outputs are not."""
    out = tmp_path / "out"
    process(inbox, out, Settings(), RUN_DATE)
    before = _snapshot(out)
    spec = clean_spec()
    spec["评价结论"]["items"][1]["内容"] = "部分绩效指标未量化，满意度指标缺少目标值"
    make_workbook(spec, name="02_兰州新区文化和旅游局.xlsx", folder=inbox)
    result = process(inbox, out, Settings(), RUN_DATE)
    dep = next(d for d in result.departments if d.file.startswith("02_"))
    report = out / dep.outputs["report"]
    assert "满意度指标缺少目标值" in zipfile.ZipFile(report).read("word/document.xml").decode("utf-8")
    after = _snapshot(out)
    assert after["reports/兰州新区农业农村局.docx"][0] == before["reports/兰州新区农业农村局.docx"][0]


@pytest.mark.slow
def test_cache_is_safe_to_delete_or_damage(inbox, tmp_path):
    out = tmp_path / "out"
    process(inbox, out, Settings(), RUN_DATE)
    reference = _snapshot(out)
    pack = out / CACHE_DIR / "reads.pack"
    whole = pack.read_bytes()
    (out / ".perfeval-manifest.json").write_text("{broken", encoding="utf-8")
    pack.write_bytes(b"not a pack")
    process(inbox, out, Settings(), RUN_DATE)
    assert {k: v[1] for k, v in _snapshot(out).items()} == {k: v[1] for k, v in reference.items()}
    assert pack.read_bytes() == whole, "the pack is written again, the same"
    pack.write_bytes(whole[: len(whole) // 2])  # cut short: no index at its end
    process(inbox, out, Settings(), RUN_DATE)
    assert {k: v[1] for k, v in _snapshot(out).items()} == {k: v[1] for k, v in reference.items()}
    shutil.rmtree(out / CACHE_DIR)
    process(inbox, out, Settings(), RUN_DATE)
    assert {k: v[1] for k, v in _snapshot(out).items()} == {k: v[1] for k, v in reference.items()}


@pytest.mark.slow
def test_pool_and_serial_give_the_same_bytes(tmp_path, monkeypatch, make_workbook):
    """fork (Linux), spawn (Windows, macOS) and no pool at all: the same findings and bytes."""
    inbox = tmp_path / "inbox"
    n = _pool_sized_inbox(inbox, make_workbook)
    forked = process(inbox, tmp_path / "fork", Settings(), RUN_DATE, use_cache=False)
    # the main process kept the workers' reads encoded: the reports were written from them
    assert all(d.packed is not None and d.data.goals is NOT_LOADED for d in forked.departments)
    monkeypatch.setattr(pool, "START_METHOD", "spawn")
    spawned = process(inbox, tmp_path / "spawn", Settings(), RUN_DATE, use_cache=False)
    monkeypatch.setattr(pool, "PARALLEL_MIN", 10**6)
    serial = process(inbox, tmp_path / "serial", Settings(), RUN_DATE, use_cache=False)
    assert all(d.packed is None for d in serial.departments)
    assert len(list((tmp_path / "serial" / "reports").glob("*.docx"))) == n
    expected = [f.as_dict() for f in serial.findings]
    assert len(expected) > 14  # every department lost a point somewhere
    for run, name in ((forked, "fork"), (spawned, "spawn")):
        assert [f.as_dict() for f in run.findings] == expected, name
        a, b = _snapshot(tmp_path / name), _snapshot(tmp_path / "serial")
        assert a.keys() == b.keys() and all(a[k][1] == b[k][1] for k in a), name


@pytest.mark.slow
def test_workers_really_run(tmp_path, monkeypatch):
    """The pool is not a formality: the reads happen in other processes."""
    import os

    work = pipeline.Work([], Settings())
    with pool.worker_pool(pool.PARALLEL_MIN, work) as workers:
        assert workers is not None
        pids = set(workers.map(_pid, range(64), chunksize=1))
    assert os.getpid() not in pids and len(pids) >= 1


def _pid(_: int) -> int:
    import os
    import time

    time.sleep(0.005)
    return os.getpid()


def test_same_bytes_under_another_extension_are_not_taken_from_the_cache(tmp_path):
    """A read depends on the file's extension too: an .xlsx saved as .xls is refused, twice."""
    from .conftest import CLEAN_FILE

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copyfile(CLEAN_FILE, inbox / "a.xlsx")
    shutil.copyfile(CLEAN_FILE, inbox / "b.xls")
    for _ in range(2):  # cold, then from the cache
        result = process(inbox, tmp_path / "out", Settings(), RUN_DATE, reports=False)
        s01 = {f.file for f in result.findings if f.code == "S01"}
        assert s01 == {"b.xls"}


def test_reads_of_files_that_left_the_inbox_are_dropped(inbox, tmp_path):
    """The cache keeps one read per file of the last batch, not every version ever seen."""
    from perfeval.cache import Cache

    out = tmp_path / "out"
    process(inbox, out, Settings(), RUN_DATE, reports=False)
    assert len(Cache(out).index) == 7
    (inbox / "07_兰州新区交通运输局.xlsx").unlink()
    process(inbox, out, Settings(), RUN_DATE, reports=False)
    assert len(Cache(out).index) == 6
    assert sorted(p.name for p in (out / CACHE_DIR).iterdir()) == ["reads.pack"]


def test_a_damaged_read_in_the_pack_is_read_again(inbox, tmp_path, monkeypatch):
    """One entry's bytes spoiled: that file alone is read again, the others come from the pack."""
    from perfeval.cache import Cache

    out = tmp_path / "out"
    process(inbox, out, Settings(), RUN_DATE, reports=False)
    reference = _snapshot(out)
    cache = Cache(out)
    path = inbox / "03_兰州新区农业农村局.xlsx"
    key = cache.read_key(path, hashlib.sha256(path.read_bytes()).digest(), int(Settings().max_file_mb * 1024 * 1024))
    offset, length, _ = cache.index[key]
    whole = bytearray(cache.pack_path.read_bytes())
    whole[offset : offset + length] = b"\x00" * length
    cache.pack_path.write_bytes(bytes(whole))
    calls = _count_reads(monkeypatch)
    process(inbox, out, Settings(), RUN_DATE, reports=False)
    assert calls == ["03_兰州新区农业农村局.xlsx"]
    assert {k: v[1] for k, v in _snapshot(out).items()} == {k: v[1] for k, v in reference.items()}
    calls.clear()
    process(inbox, out, Settings(), RUN_DATE, reports=False)
    assert calls == [], "the pack was written again with the entry mended"


def test_what_earlier_versions_kept_is_cleared(inbox, tmp_path):
    """Earlier versions kept one file per read in reads/; a killed run leaves a temp pack."""
    out = tmp_path / "out"
    old = out / CACHE_DIR / "reads"
    old.mkdir(parents=True)
    (old / ("ab" * 32 + ".pickle")).write_bytes(b"old")
    (old / ".cd.123.tmp").write_bytes(b"half")
    (out / CACHE_DIR / ".reads.999.tmp").write_bytes(b"half a pack")
    process(inbox, out, Settings(), RUN_DATE, reports=False)
    assert sorted(p.name for p in (out / CACHE_DIR).iterdir()) == ["reads.pack"]


def test_a_light_read_fails_loudly_where_it_holds_nothing():
    """The main process keeps a worker's read encoded beside a light copy: using a part the
    copy left out is an error, never an empty list; full_data() brings the whole read back."""
    import pickle

    from perfeval.model import encode_read
    from perfeval.read import read_workbook
    from perfeval.scoring import compute

    data = read_workbook(INBOX / "01_兰州新区科技发展局.xlsx")
    light = pickle.loads(pickle.dumps(data.light()))
    assert (light.info, light.funds, light.read_error, light.file) == (data.info, data.funds, None, data.file)
    assert light.goals is NOT_LOADED and light.notes is NOT_LOADED
    for use in (list, len, bool, lambda x: x[0], lambda x: x.get("a"), lambda x: "a" in x):
        with pytest.raises(RuntimeError, match="未加载"):
            use(light.scores)
    dep = compute(data, Settings())
    dep.data, dep.packed = light, encode_read(data)
    assert dep.full_data() == data and dep.packed is None
    assert dep.data.path == light.path


def test_a_read_encodes_and_pickles_to_an_equal_read_of_cells():
    """Reads travel and are cached as plain data (encode_read), and are pickled with plain
    tuples for cells (cheap): either way they come back as Cells, equal."""
    import pickle

    from perfeval.model import Cell, decode_read, encode_read
    from perfeval.read import read_workbook

    for path in sorted(INBOX.glob("*.xlsx")):
        data = read_workbook(path)
        for back in (
            pickle.loads(pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)),
            decode_read(encode_read(data), data.path, data.file),
        ):
            assert back == data and repr(back) == repr(data)
            rows = [
                back.info,
                back.funds_fields,
                back.conclusion,
                *back.funds.values(),
                *back.goals,
                *back.scores,
                *back.items,
                *back.analysis,
            ]
            assert rows and all(type(cell) is Cell for row in rows for cell in row.values())
            assert back.scores[0]["level1"].ref and back.scores[0]["level1"].raw


def test_a_plain_read_that_is_not_one_is_refused():
    """Whatever sits in the cache is data, checked field by field: anything else is refused."""
    import json
    from datetime import datetime

    from perfeval.model import BadRead, Cell, WorkbookData, decode_read, encode_read

    data = WorkbookData(Path("a.xlsx"), "a.xlsx", info={"date": Cell("基本信息", 3, 2, datetime(2024, 1, 2, 3, 4), None, False)})
    assert decode_read(encode_read(data), data.path, data.file) == data
    plain = json.loads(encode_read(data))
    cells = plain["cells"]
    assert cells == ["date", "基本信息", 3, 2, {"t": "datetime", "v": "2024-01-02T03:04:00"}, None, False]

    def with_cell(**changes):
        cell = dict(zip(("key", "sheet", "row", "col", "raw", "number", "formula"), cells, strict=True)) | changes
        return json.dumps({**plain, "cells": list(cell.values())}).encode()

    spoiled = [
        b"\x80\x04\x95 a pickle",
        json.dumps({**plain, "format": 0}).encode(),
        json.dumps({**plain, "extra": 1}).encode(),
        with_cell(row="3"),
        with_cell(raw={"t": "eval", "v": "1"}),
        with_cell(raw={"t": "datetime", "v": "not a date"}),
        with_cell(number="1"),
        with_cell(formula=0),
        json.dumps({**plain, "cells": cells[:-1]}).encode(),  # a cell short
        json.dumps({**plain, "info": 2}).encode(),  # rows that do not add up to the cells
        json.dumps({**plain, "info": -1, "conclusion": 2}).encode(),
        json.dumps({**plain, "funds_header_row": True}).encode(),
        json.dumps({**plain, "notes": [["S01", "x", 1, 1, "m", "", None]]}).encode(),
    ]
    for blob in spoiled:
        with pytest.raises(BadRead):
            decode_read(blob, data.path, data.file)


@pytest.mark.slow
def test_results_json_from_the_workers_pieces_is_the_json_made_afresh(tmp_path, make_workbook):
    """Each department's JSON is made in its worker, in pieces (results.EncodedDepartment);
    perfeval-results.json must be byte for byte what encoding the run afresh gives, also for
    departments the batch rules added findings to, an unreadable file and a skipped one."""
    import json

    from perfeval.outputs import RESULTS_NAME
    from perfeval.results import RunResult, result_json

    inbox = tmp_path / "inbox"

    def twice(i, spec):  # the same department twice: B01 on both
        if i in (3, 4):
            spec["基本信息"].update({"部门名称": "重复局", "部门编码": "DUP"})

    _pool_sized_inbox(inbox, make_workbook, twice)
    (inbox / "坏文件.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (inbox / "说明.txt").write_text("not a workbook", encoding="utf-8")
    out = tmp_path / "out"
    result = process(inbox, out, Settings(), RUN_DATE, reports=False)
    written = (out / RESULTS_NAME).read_text(encoding="utf-8")
    # the file lists the outputs made before it; made afresh, from department_json and as_dict
    afresh = RunResult(result.inbox, result.run_date, result.departments, result.skipped, result.findings, result.outputs[:-1])
    assert written == result_json(afresh)
    data = json.loads(written)
    codes = {f["code"] for d in data["departments"] for f in d["findings"]}
    assert "B01" in codes and any(not d["readable"] for d in data["departments"])
    assert [f["code"] for f in data["findings"]].count("B01") == 2
    # the pieces were made in the workers, and remade only where the batch rules added findings
    assert all(d.encoded is not None for d in result.departments)


def test_department_json_text_remakes_only_what_changed(monkeypatch):
    from perfeval import results
    from perfeval.checks import check_department
    from perfeval.model import Finding, Severity
    from perfeval.read import read_workbook
    from perfeval.results import JSON, department_json, department_json_text, encode_department
    from perfeval.scoring import compute

    dep = compute(read_workbook(INBOX / sorted(p.name for p in INBOX.glob("*.xlsx"))[0], "a.xlsx"), Settings())
    check_department(dep, Settings())
    dep.encoded = encode_department(dep)
    before = dep.encoded
    dep.rank, dep.outputs = 3, {"workbook": "departments/a.xlsx"}
    assert department_json_text(dep) == JSON.encode(department_json(dep))
    assert dep.encoded is before, "rank and outputs are put in, nothing is encoded again"
    dep.findings = sorted(
        [*dep.findings, Finding("B02", Severity.WARNING, dep.name, "a.xlsx", "基本信息", 3, 2, "年度")], key=Finding.sort_key
    )
    expected = JSON.encode(department_json(dep))
    for settled in ("_json_head", "_json_levels"):  # the pieces before the findings are kept (deflated)
        monkeypatch.setattr(results, settled, lambda d, name=settled: pytest.fail(f"{name} made again"))
    assert department_json_text(dep) == expected
    assert dep.encoded is not before and dep.encoded.pieces()[:2] == before.pieces()[:2]


@pytest.mark.slow
def test_a_pooled_rerun_takes_every_read_from_the_pack(tmp_path, monkeypatch, make_workbook):
    """The workers look reads up in the pack the main process wrote: a re-run reads nothing."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    _pool_sized_inbox(inbox, make_workbook)
    first = process(inbox, out, Settings(), RUN_DATE, reports=False)
    before = _snapshot(out)
    pack = (out / CACHE_DIR / "reads.pack").stat().st_mtime_ns

    def read_again(*args, **kwargs):  # the workers are forked after this: they would call it too
        raise AssertionError(f"read again: {args[1]}")

    monkeypatch.setattr(pipeline, "read_workbook", read_again)
    second = process(inbox, out, Settings(), RUN_DATE, reports=False)
    assert [f.as_dict() for f in second.findings] == [f.as_dict() for f in first.findings]
    after = _snapshot(out)
    assert {k: v[1] for k, v in after.items()} == {k: v[1] for k, v in before.items()}
    assert all(after[k][0] == before[k][0] for k in before if k.startswith("departments/")), "nothing rewritten"
    assert (out / CACHE_DIR / "reads.pack").stat().st_mtime_ns == pack, "an unchanged pack is not rewritten"


@pytest.mark.parametrize("pooled", [False, True], ids=["one process", "worker pool"])
def test_a_file_gone_after_listing_is_a_finding_not_a_stopped_batch(inbox, tmp_path, monkeypatch, pooled):
    """A file deleted (or locked) between listing the inbox and reading it: its cache key
    cannot be made; the reader's finding says why, and the rest of the batch goes on."""
    if pooled:
        monkeypatch.setattr(pool, "PARALLEL_MIN", 2)
    real = pipeline.discover

    def listed_then_gone(folder, exclude=()):
        found, skipped = real(folder, exclude)
        return [*found, (folder / "08_已删除.xlsx", "08_已删除.xlsx")], skipped

    monkeypatch.setattr(pipeline, "discover", listed_then_gone)
    result = process(inbox, tmp_path / "out", Settings(), RUN_DATE, reports=False)
    gone = next(d for d in result.departments if d.file == "08_已删除.xlsx")
    assert not gone.readable and "无法打开文件" in gone.data.read_error
    assert len(result.departments) == 8 and sum(d.readable for d in result.departments) == 7


@pytest.mark.slow
def test_a_pooled_run_keeps_references_into_the_pack_not_the_reads(tmp_path, make_workbook):
    """Once the pack holds the reads, a department keeps where its read is, not its bytes; a
    read changed in the pack since is refused when a report reads it back."""
    from perfeval.cache import PackRef

    inbox, out = tmp_path / "inbox", tmp_path / "out"
    _pool_sized_inbox(inbox, make_workbook)
    result = process(inbox, out, Settings(), RUN_DATE)
    refs = [d.packed for d in result.departments]
    assert all(isinstance(r, PackRef) for r in refs) and len({r.offset for r in refs}) == len(refs)
    dep = result.departments[0]
    assert dep.full_data().goals and dep.packed is None, "read back whole, from the pack"
    other = result.departments[1]
    whole = bytearray(refs[1].path.read_bytes())
    whole[refs[1].offset] ^= 1
    refs[1].path.write_bytes(bytes(whole))
    with pytest.raises(OSError, match="被改动"):
        other.full_data()


def _pooled_inbox(inbox: Path, copies: int = 2) -> Path:
    """The sample inbox, each workbook `copies` times: enough files for a process pool."""
    for path in sorted(inbox.glob("*.xlsx")):
        for k in range(1, copies):
            shutil.copy(path, inbox / f"{path.stem}_{k}.xlsx")
    assert len(list(inbox.glob("*.xlsx"))) >= pool.PARALLEL_MIN
    return inbox


def test_the_main_process_keeps_references_into_the_pack_not_reads(inbox, tmp_path):
    """Each read goes into the pack as it arrives from its worker: the main process ends the
    reading with a reference into the published pack for every department, cold and when a
    changed file mixes reads taken from the pack with one read afresh; the reports (which
    decode the whole read from there) come out the same."""
    from perfeval.cache import Cache, PackRef

    _pooled_inbox(inbox)
    out = tmp_path / "out"
    result = process(inbox, out, Settings(), RUN_DATE)
    reference = _snapshot(out)
    for dep in result.departments:
        assert isinstance(dep.packed, PackRef) and dep.packed.path == Cache(out).pack_path
        assert dep.packed.read() == Cache(out).ref(dep.read_key).read()  # type: ignore[union-attr]
    changed = sorted(inbox.glob("*_1.xlsx"))[0]
    with zipfile.ZipFile(changed, "a") as z:  # other bytes, the same workbook
        z.writestr("docProps/custom-extra.txt", "x")
    before = set(Cache(out).index)
    result = process(inbox, out, Settings(), RUN_DATE)
    index = Cache(out).index
    assert len(index) == len({d.read_key for d in result.departments}) == len(before) + 1  # the copies share a read
    for dep in result.departments:
        assert isinstance(dep.packed, PackRef) and dep.packed.path == Cache(out).pack_path
        assert (dep.packed.offset, dep.packed.length) == index[dep.read_key][:2]
    assert sorted(p.name for p in (out / CACHE_DIR).iterdir()) == ["reads.pack"]
    again = _snapshot(out)
    assert {k: v[1] for k, v in again.items() if "reports/" in k} == {k: v[1] for k, v in reference.items() if "reports/" in k}


def test_the_results_json_written_in_pieces_is_the_whole_text(inbox, tmp_path):
    """perfeval-results.json, written piece by piece by a worker, is the text result_json makes."""
    from perfeval.outputs import RESULTS_NAME
    from perfeval.results import result_json, result_json_pieces

    _pooled_inbox(inbox)
    out = tmp_path / "out"
    result = process(inbox, out, Settings(), RUN_DATE, reports=False)
    result.outputs.pop()  # the file lists the outputs written before it
    assert (out / RESULTS_NAME).read_text(encoding="utf-8") == result_json(result)
    assert "".join(result_json_pieces(result, [], [])) == result_json(result, [], [])
