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
