"""A corpus of bad and strange inputs, generated (no binaries in the repository).

`build_corpus(folder)` writes every case and returns what each must produce: a finding
(code and a fragment of its message) or "reads like the clean sample".
"""

from __future__ import annotations

import copy
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .conftest import CLEAN_FILE, clean_spec


@dataclass
class Expect:
    code: str | None  # None: must read exactly like the clean sample
    fragment: str = ""


def _rewrite(src: Path, dst: Path, edit) -> Path:
    """Copy an xlsx, passing each member through `edit(name, data) -> data`."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, edit(info.filename, zin.read(info.filename)))
    return dst


def zip_bomb(dst: Path, inflated_mb: int = 400) -> Path:
    """A workbook whose first sheet inflates from ~400 KiB to `inflated_mb` MB of zeros."""
    with zipfile.ZipFile(CLEAN_FILE) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                bomb = zipfile.ZipInfo(info.filename, info.date_time)
                bomb.compress_type = zipfile.ZIP_DEFLATED
                with zout.open(bomb, "w", force_zip64=True) as fh:
                    block = b"\0" * (1024 * 1024)
                    for _ in range(inflated_mb):
                        fh.write(block)
            else:
                zout.writestr(info, zin.read(info.filename))
    return dst


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>"""


def xml_bomb(dst: Path) -> Path:
    """Billion laughs in sharedStrings.xml of a workbook that uses it."""
    import xlsxwriter

    tmp = dst.with_suffix(".src.xlsx")
    wb = xlsxwriter.Workbook(str(tmp))
    wb.add_worksheet("基本信息").write_string(0, 0, "部门名称")
    wb.close()
    _rewrite(tmp, dst, lambda name, data: BILLION_LAUGHS if name == "xl/sharedStrings.xml" else data)
    tmp.unlink()
    return dst


def wrong_dimension(dst: Path) -> Path:
    """What WPS writes: a <dimension> that says A1:A1 whatever the sheet holds."""
    return _rewrite(
        CLEAN_FILE,
        dst,
        lambda name, data: (
            re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:A1"', data) if name.startswith("xl/worksheets/") else data
        ),
    )


def far_styled_cell(dst: Path) -> Path:
    """A formatted but empty cell at the last row of the sheet (a used range of a million rows)."""
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.load_workbook(CLEAN_FILE)
    wb["指标评分"].cell(row=1048576, column=200).font = Font(bold=True)
    wb.save(dst)
    return dst


def far_value(dst: Path) -> Path:
    """A stray value at the last row and column 60: a reader would allocate 60 million cells."""
    import openpyxl

    wb = openpyxl.load_workbook(CLEAN_FILE)
    wb["指标评分"].cell(row=1048576, column=60, value="x")
    wb.save(dst)
    return dst


def hidden_rows(dst: Path) -> Path:
    import openpyxl

    wb = openpyxl.load_workbook(CLEAN_FILE)
    for sheet in ("资金情况", "指标评分"):
        for r in (4, 5, 6):
            wb[sheet].row_dimensions[r].hidden = True
    wb.save(dst)
    return dst


def encrypted(dst: Path) -> Path | None:
    try:
        from msoffcrypto.format.ooxml import OOXMLFile
    except ImportError:
        return None
    with CLEAN_FILE.open("rb") as src, dst.open("wb") as out:
        OOXMLFile(src).encrypt("口令123", out)
    return dst


def messy_values_spec() -> dict:
    """The clean department typed the way people really type."""
    s = clean_spec()
    rows = s["资金情况"]["rows"]
    rows["省级资金"].update({"预算安排资金": "800.00万元", "实际到位资金": "８００．００", "实际支出资金": "776", "结余资金": " 24.00 "})
    rows["市级资金"].update(
        {"预算安排资金": "3,200.00", "调整后预算": "3,350", "实际到位资金": "3350", "实际支出资金": "3,290.50", "结余资金": "59.5"}
    )
    rows["中央资金"] = {"预算安排资金": "—", "实际到位资金": "/", "实际支出资金": "无"}
    s["资金情况"]["fields"]["报告预算执行率"] = "97.99%"
    s["基本信息"]["部门名称"] = "\u200b兰州新区文化和旅游局\u00a0"
    s["基本信息"]["评价年度"] = "2023年"
    s["评价结论"]["fields"]["评价得分"] = "92.8分"
    s["绩效目标"][0]["指标值"] = "≥12项"
    for row in s["评价结论"]["analysis"]:
        if isinstance(row.get("报告得分率"), float):
            row["报告得分率"] = f"{row['报告得分率'] * 100:.0f}%"
    return s


CLEAN_LIKE = Expect(None)


def build_corpus(folder: Path, make_workbook) -> dict[str, Expect]:
    folder.mkdir(parents=True, exist_ok=True)
    cases: dict[str, Expect] = {}

    def add(name: str, expect: Expect, data: bytes | None = None) -> Path:
        if data is not None:
            (folder / name).write_bytes(data)
        cases[name] = expect
        return folder / name

    add("空文件.xlsx", Expect("S01", "文件为空"), b"")
    add("改名的文本.xlsx", Expect("S01", "扩展名与内容不符"), "部门名称,评价年度\n甲局,2023\n".encode())
    add("截断.xlsx", Expect("S01", "损坏"), CLEAN_FILE.read_bytes()[: CLEAN_FILE.stat().st_size // 2])
    add("改名的xlsx.xls", Expect("S01", "扩展名"), CLEAN_FILE.read_bytes())
    add("~$锁定文件.xlsx", Expect("B03", "锁定文件"), b"\x00lock")
    add(".DS_Store", Expect("B03", "操作系统"), b"\x00\x00\x00\x01Bud1")
    add("说明.docx", Expect("B03", "不是工作簿"), b"PK")
    (folder / "子文件夹").mkdir(exist_ok=True)
    ((folder / "子文件夹") / "其他.xlsx").write_bytes(CLEAN_FILE.read_bytes())
    cases["子文件夹"] = Expect("B03", "文件夹")
    if encrypted(folder / "加密.xlsx"):
        cases["加密.xlsx"] = Expect("S01", "文件已加密")
    zip_bomb(folder / "压缩炸弹.xlsx")
    cases["压缩炸弹.xlsx"] = Expect("S01", "压缩炸弹")
    xml_bomb(folder / "XML炸弹.xlsx")
    cases["XML炸弹.xlsx"] = Expect("S01", "XML 炸弹")
    far_value(folder / "远处有值.xlsx")
    cases["远处有值.xlsx"] = Expect("S01", "第 1048576 行")
    for name, build in (("WPS维度.xlsx", wrong_dimension), ("远处有格式.xlsx", far_styled_cell), ("隐藏行.xlsx", hidden_rows)):
        build(folder / name)
        cases[name] = CLEAN_LIKE
    make_workbook(messy_values_spec(), name="乱填的数字.xlsx", folder=folder)
    cases["乱填的数字.xlsx"] = Expect("S07", "已按")
    shutil.copyfile(CLEAN_FILE, folder / "原样副本.xlsx")
    cases["原样副本.xlsx"] = Expect("B01", "个文件中：")
    shutil.copyfile(CLEAN_FILE, folder / "正常.xlsx")
    cases["正常.xlsx"] = Expect("B01", "个文件中：")
    old = copy.deepcopy(clean_spec())
    old["基本信息"].update({"评价年度": 2022, "部门编码": "LZXQ-9999", "部门名称": "兰州新区旧年度局"})
    make_workbook(old, name="上一年度.xlsx", folder=folder)
    cases["上一年度.xlsx"] = Expect("B02", "混有多个评价年度")
    return cases
