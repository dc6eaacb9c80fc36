"""What `pip install .` (not editable) installs is enough: the package data ships, reports are
written from it, and nothing is left in the temp folder."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import INBOX, ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (found,) = out.glob("perfeval-*.whl")
    return found


def test_the_wheel_holds_every_module_and_data_file(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    package = ROOT / "perfeval"
    wanted = {p.relative_to(ROOT).as_posix() for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert wanted - names == set()


def test_an_installed_copy_writes_reports_and_leaves_no_temp_folder(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "-q", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    temp = tmp_path / "temp"
    temp.mkdir()
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(site), "TMPDIR": str(temp)}
    code = "import perfeval.cli; print(perfeval.cli.__file__); perfeval.cli.run()"
    proc = subprocess.run(
        [sys.executable, "-c", code, "process", str(INBOX), "-o", str(out), "-q", "--date", "2024-03-01"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr  # the samples hold 错误 findings on purpose
    assert proc.stdout.startswith(str(site)), "the installed copy ran, not the checkout"
    assert len(list((out / "reports").glob("*.docx"))) == len(list(INBOX.glob("*.xlsx")))
    assert list(temp.iterdir()) == []
