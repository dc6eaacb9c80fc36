"""Write the sample 自评表 of samples/forms.py to samples/forms/ (run from the repository root)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from forms import FORMS, WEIGHTS_IN_LABELS, weights_in_labels  # noqa: E402

from perfeval.fill import fill_template  # noqa: E402


def write_form(path: Path, rows: list[list], merges: list[tuple[int, int, int, int]]) -> Path:
    """One sheet, as the budget systems export it: values as typed, 一级/二级 merged down."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"created": datetime(2024, 3, 1)})  # byte-stable: no "now" in the file
    ws = wb.add_worksheet("自评表")
    wrap = wb.add_format({"text_wrap": True, "valign": "vcenter", "border": 1})
    ws.set_column(0, 0, 22)
    ws.set_column(1, 9, 14)
    merged = {(r0, c0) for r0, c0, _, _ in merges}
    inside = {(r, c) for r0, c0, r1, c1 in merges for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)} - merged
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if (r, c) in inside or (r, c) in merged or value is None:
                continue
            if isinstance(value, str):
                ws.write_string(r, c, value, wrap)
            else:
                ws.write_number(r, c, value, wrap)
    for r0, c0, r1, c1 in merges:
        value = rows[r0][c0] if c0 < len(rows[r0]) else None
        if isinstance(value, str) or value is None:
            ws.merge_range(r0, c0, r1, c1, value or "", wrap)
        else:
            ws.merge_range(r0, c0, r1, c1, None, wrap)
            ws.write_number(r0, c0, value, wrap)
    wb.close()
    return path


def write_weights_in_labels(path: Path) -> Path:
    """D: the template with the weights written in the 指标评分 labels and its 分值 column taken
    out, as a score sheet made elsewhere has it."""
    import openpyxl

    fill_template(path, weights_in_labels())
    wb = openpyxl.load_workbook(path)
    ws = wb["指标评分"]
    header = next(r for r in range(1, 10) if any(c.value == "分值" for c in ws[r]))
    ws.delete_cols(next(c.column for c in ws[header] if c.value == "分值"))
    wb.save(path)
    return path


def main() -> None:
    out = HERE / "forms"
    out.mkdir(exist_ok=True)
    for name, make in FORMS.values():
        print(write_form(out / name, *make()))
    print(write_weights_in_labels(out / WEIGHTS_IN_LABELS))


if __name__ == "__main__":
    main()
