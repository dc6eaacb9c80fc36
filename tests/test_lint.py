import shutil
import subprocess
import sys

from .conftest import ROOT


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(ROOT / ".venv" / "bin" / "ruff")
    proc = subprocess.run([ruff, "check", "perfeval", "tests", "samples"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_samples_script_is_importable():
    proc = subprocess.run([sys.executable, "-c", "import ast,sys; ast.parse(open(sys.argv[1]).read())", str(ROOT / "samples" / "make_samples.py")])
    assert proc.returncode == 0
