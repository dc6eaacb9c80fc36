from __future__ import annotations

import copy
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
INBOX = SAMPLES / "inbox"
SEED_FILE = INBOX / "01_兰州新区科技发展局.xlsx"
CLEAN_FILE = INBOX / "02_兰州新区文化和旅游局.xlsx"


def _load_specs():
    spec = importlib.util.spec_from_file_location("sample_specs", SAMPLES / "specs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["sample_specs"] = module
    spec.loader.exec_module(module)
    return module


specs = _load_specs()


def clean_spec() -> dict[str, Any]:
    return copy.deepcopy(specs.CLEAN)


def seed_spec() -> dict[str, Any]:
    return copy.deepcopy(specs.SEED)


@pytest.fixture
def make_workbook(tmp_path: Path) -> Callable[..., Path]:
    """Fill the template from a spec; `post` edits the saved workbook with openpyxl."""
    from perfeval.fill import fill_template

    def make(spec: dict[str, Any], name: str = "部门.xlsx", post: Callable | None = None, folder: Path | None = None) -> Path:
        target = (folder or tmp_path) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        fill_template(target, spec)
        if post is not None:
            import openpyxl

            wb = openpyxl.load_workbook(target)
            post(wb)
            wb.save(target)
        return target

    return make


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


# In CI (.ci/run installs LibreOffice) a missing soffice is a failure, never a silent skip.
_office_installed = pytest.mark.skipif(
    soffice() is None and not os.environ.get("CI"),
    reason="LibreOffice (soffice) is not installed; .ci/run installs it",
)


def needs_office(test: Callable) -> Callable:
    """A test that opens an output in LibreOffice: seconds each, so outside the inner loop."""
    return pytest.mark.slow(_office_installed(test))


def office_convert(sources: list[Path], target: str, outdir: Path, profile: Path, timeout: int = 240) -> subprocess.CompletedProcess[bytes]:
    """LibreOffice, headless, converts `sources` to `target` (pdf, ods, xls …) into `outdir`,
    with a profile of its own (a shared one would lock when tests run side by side)."""
    return subprocess.run(
        [
            soffice() or "soffice",
            "--headless",
            f"-env:UserInstallation=file://{profile}",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            *map(str, sources),
        ],
        capture_output=True,
        timeout=timeout,
    )
