"""The code is linted, formatted and type-checked as part of the tests, so CI runs all three."""

import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT

PATHS = ["perfeval", "tests", "samples", "benchmarks", "docs"]


def _tool(name: str) -> str:
    return shutil.which(name, path=str(ROOT / ".venv" / "bin")) or shutil.which(name) or name


def test_ruff_is_clean():
    proc = subprocess.run([_tool("ruff"), "check", *PATHS], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format_is_clean():
    proc = subprocess.run([_tool("ruff"), "format", "--check", *PATHS], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, "run `ruff format " + " ".join(PATHS) + "`\n" + proc.stdout + proc.stderr


@pytest.mark.slow
def test_mypy_is_clean():
    """The library type-checks (configuration in pyproject.toml)."""
    proc = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
