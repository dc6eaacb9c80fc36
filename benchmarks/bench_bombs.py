"""How fast, and in how little memory, hostile workbooks are turned away.

    python benchmarks/bench_bombs.py

Builds the zip bomb and the XML bomb of the test corpus, then reads each with perfeval in a
fresh interpreter (five times) and prints the median time and the process's peak memory (VmHWM).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.corpus import xml_bomb, zip_bomb  # noqa: E402

PROBE = """
import statistics, time
from pathlib import Path
from perfeval.read import read_workbook
times = []
for _ in range(5):
    t = time.perf_counter()
    error = read_workbook(Path({path!r})).read_error
    times.append(time.perf_counter() - t)
hwm = next(int(line.split()[1]) for line in open('/proc/self/status') if line.startswith('VmHWM'))
print(f"{{statistics.median(times) * 1000:.2f}} ms median, peak {{hwm / 1024:.0f}} MB: {{error}}")
"""


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="perfeval-bombs-"))
    for name, build in (("zip bomb", zip_bomb), ("XML bomb", xml_bomb)):
        path = build(folder / f"{name.split()[0]}.xlsx")
        with zipfile.ZipFile(path) as z:
            inflated = sum(i.file_size for i in z.infolist())
        out = subprocess.run(
            [sys.executable, "-c", PROBE.format(path=str(path))], capture_output=True, text=True, cwd=ROOT, check=True
        ).stdout.strip()
        print(f"{name}: {path.stat().st_size / 1024:.0f} KiB on disk, {inflated / 1024 / 1024:.0f} MiB declared inflated → {out}")


if __name__ == "__main__":
    main()
