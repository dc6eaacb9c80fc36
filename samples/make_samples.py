"""Write the sample batch to samples/inbox/ (run from the repository root)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from specs import SAMPLES  # noqa: E402

from perfeval.fill import fill_template  # noqa: E402


def main() -> None:
    inbox = HERE / "inbox"
    inbox.mkdir(exist_ok=True)
    for name, spec in SAMPLES.items():
        fill_template(inbox / name, spec)
        print(inbox / name)


if __name__ == "__main__":
    main()
