"""Readable dumps of workbooks, for golden comparisons that do not depend on zip bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def dump_workbook(path: Path, styles: bool = True) -> dict[str, Any]:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    out: dict[str, Any] = {"sheets": wb.sheetnames}
    for ws in wb.worksheets:
        sheet: dict[str, Any] = {
            "cells": {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None},
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "validations": sorted(
                (str(dv.sqref), dv.type, dv.formula1, dv.formula2, dv.operator) for dv in ws.data_validations.dataValidation
            ),
            "freeze": ws.freeze_panes,
            "protected": bool(ws.protection.sheet),
            "state": ws.sheet_state,
        }
        if styles:
            sheet["widths"] = {k: round(v.width, 2) for k, v in sorted(ws.column_dimensions.items()) if v.width}
            sheet["paper"] = (ws.page_setup.paperSize, ws.page_setup.orientation)
            sheet["unlocked"] = sorted(
                c.coordinate for row in ws.iter_rows() for c in row if c.protection is not None and c.protection.locked is False
            )
            sheet["formats"] = {c.coordinate: c.number_format for row in ws.iter_rows() for c in row if c.number_format != "General"}
        out[ws.title] = sheet
    return out
