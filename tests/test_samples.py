"""The committed samples are what samples/specs.py describes (run samples/make_samples.py)."""

from __future__ import annotations

import pytest

from perfeval.fill import fill_template

from .conftest import INBOX, specs
from .dump import dump_workbook


@pytest.mark.parametrize("name", sorted(specs.SAMPLES))
def test_committed_sample_matches_its_spec(tmp_path, name):
    fresh = fill_template(tmp_path / name, specs.SAMPLES[name])
    assert dump_workbook(fresh) == dump_workbook(INBOX / name), f"run `python samples/make_samples.py` ({name} is stale)"


def test_inbox_holds_only_the_samples():
    assert sorted(p.name for p in INBOX.iterdir()) == sorted(specs.SAMPLES)


@pytest.mark.parametrize("name", sorted(specs.SAMPLES))
def test_xlsxwriter_filled_copy_reads_the_same(tmp_path, name):
    """write_filled (one pass, stale cached 合计 of 0) and the openpyxl-filled sample agree."""
    from perfeval.config import Settings
    from perfeval.fill import write_filled
    from perfeval.pipeline import analyze
    from perfeval.results import department_json

    fast = write_filled(tmp_path / name, specs.SAMPLES[name])
    results = []
    for path in (fast, INBOX / name):
        deps, findings = analyze([(path, name)], Settings())
        figures = department_json(deps[0])
        results.append((figures, sorted((f.code, f.location, f.message) for f in findings)))
    assert results[0] == results[1]
