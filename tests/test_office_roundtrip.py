"""The seed sample saved by LibreOffice as .xlsx, .xls and .ods gives the same results."""

from __future__ import annotations

from collections import Counter

import pytest

from perfeval.config import Settings
from perfeval.pipeline import analyze
from perfeval.results import department_json

from .conftest import INBOX, SEED_FILE, needs_office, office_convert

FORMATS = {"xlsx": "xlsx:Calc MS Excel 2007 XML", "xls": "xls:MS Excel 97", "ods": "ods"}


def _results(path):
    deps, findings = analyze([(path, "部门")], Settings())
    figures = department_json(deps[0])
    figures.pop("file")
    return figures, Counter((f.code, f.location, f.severity) for f in findings)


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    out = tmp_path_factory.mktemp("office")
    profile = out / "profile"
    paths = {}
    for ext, target in FORMATS.items():
        folder = out / ext
        proc = office_convert([SEED_FILE], target, folder, profile)
        path = folder / f"{SEED_FILE.stem}.{ext}"
        assert proc.returncode == 0 and path.exists(), proc.stderr.decode(errors="replace")
        paths[ext] = path
    return paths


@needs_office
@pytest.mark.parametrize("ext", list(FORMATS))
def test_office_saved_copies_read_the_same(converted, ext):
    original = _results(SEED_FILE)
    assert _results(converted[ext]) == original


@needs_office
def test_every_sample_survives_an_office_round_trip(tmp_path):
    profile = tmp_path / "profile"
    proc = office_convert(sorted(INBOX.glob("*.xlsx")), "ods", tmp_path, profile, timeout=300)
    assert proc.returncode == 0
    for path in sorted(INBOX.glob("*.xlsx")):
        assert _results(tmp_path / f"{path.stem}.ods") == _results(path), path.name


@needs_office
@pytest.mark.parametrize("ext", ["xls", "ods"])
def test_the_sample_forms_read_the_same_saved_by_an_office_suite(tmp_path, ext):
    """The real-world forms come as .xls as often as .xlsx: samples/forms/ saved by LibreOffice."""
    forms = sorted((INBOX.parent / "forms").glob("*.xlsx"))
    proc = office_convert(forms, FORMATS[ext], tmp_path, tmp_path / "profile", timeout=300)
    assert proc.returncode == 0
    for path in forms:
        assert _results(tmp_path / f"{path.stem}.{ext}") == _results(path), path.name
