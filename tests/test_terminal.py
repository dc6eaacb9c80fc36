"""Results on the terminal (issue #18): the table of departments that need action after
`process` and in `show`, one department in `show OUTDIR 部门`, `check` over files and folders,
the --strict note, and `template` keeping an existing file."""

from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from perfeval import terminal
from perfeval.cli import main

from .conftest import CLEAN_FILE, INBOX, SEED_FILE

PENDING_FILE = INBOX / "03_兰州新区农业农村局.xlsx"
ACTION_STATUSES = ("未评分", "待补正")


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    """The samples processed once (no reports): the command's result and its results JSON."""
    outdir = tmp_path_factory.mktemp("run") / "out"
    r = run("process", INBOX, "-o", outdir, "-q", "--no-reports", "--date", "2024-03-01")
    data = json.loads((outdir / "perfeval-results.json").read_text(encoding="utf-8"))
    return outdir, r, data


def needing_action(data) -> set[str]:
    return {d["name"] for d in data["departments"] if d["errors"] or d["status"] in ACTION_STATUSES}


def table_names(text: str, heading: str) -> list[str]:
    """The 部门 column of the table under the line starting with `heading`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    assert lines[start + 1].split()[:2] == ["部门", "状态"], "a header row under the heading"
    names = []
    for line in lines[start + 2 :]:
        if not line.startswith("  ") or line.startswith("  ……"):
            break
        names.append(line.split()[0])
    return names


# ---- after process ----


def test_process_table_lists_exactly_the_departments_that_need_action(processed):
    outdir, r, data = processed
    assert r.exit_code == 1
    listed = table_names(r.stderr, "需要处理的部门")
    assert set(listed) == needing_action(data) == {"兰州新区农业农村局", "兰州新区卫生健康委员会"}
    assert f"需要处理的部门（{len(listed)} 个）：" in r.stderr
    assert f"其余 {7 - len(listed)} 个部门可受理，无错误" in r.stderr
    by_name = {d["name"]: d for d in data["departments"]}
    for line in r.stderr.splitlines():
        name = line.split()[0] if line.startswith("  ") and line.split() else ""
        if name in listed:  # status, counts and the first (most serious) finding's code and cell
            dep = by_name[name]
            first = next(f for f in dep["findings"] if f["severity"] == "错误")
            assert dep["status"] in line and f"{first['code']} {first['sheet']}!{first['cell']}" in line
            assert line.split()[1:6] == [dep["status"], *(str(dep[k] or "—") for k in ("total_score", "grade", "errors", "warnings"))]
    # the closing lines stay as they were
    assert "部门：7 个（可受理 5，待补正 1，未评分 1）" in r.stderr
    assert r.stderr.rstrip().endswith("（7 个部门结果工作簿）")
    assert f"perfeval show {outdir} 部门名称" in r.stderr
    assert "\x1b[" not in r.output, "no colour where stderr is no terminal"


def test_process_verbose_lists_every_department(tmp_path):
    r = run("process", INBOX, "-o", tmp_path / "out", "-q", "--no-reports", "-v")
    assert r.exit_code == 1
    assert len(table_names(r.stderr, "全部 7 个部门")) == 7
    assert "其余" not in r.stderr and r.stderr.rstrip().endswith("（7 个部门结果工作簿）")


def test_rows_of_a_run_and_of_its_results_json_agree():
    """`process` builds its table from the run, `show` from the JSON: the same rows."""
    from perfeval.config import load_settings
    from perfeval.pipeline import check_files
    from perfeval.results import department_json

    result = check_files(sorted(INBOX.glob("*.xlsx")), load_settings())
    for dep in result.departments:
        assert terminal.Row.of_department(dep) == terminal.Row.of_json(json.loads(json.dumps(department_json(dep))))


# ---- show ----


def test_show_lists_the_same_departments(processed):
    outdir, _, data = processed
    r = run("show", outdir)
    assert r.exit_code == 0
    assert set(table_names(r.stdout, "需要处理的部门")) == needing_action(data)
    assert "其余 5 个部门可受理，无错误" in r.stdout and "部门：7 个" in r.stdout
    r = run("show", outdir, "--verbose")
    assert r.exit_code == 0 and set(table_names(r.stdout, "全部 7 个部门")) == {d["name"] for d in data["departments"]}


def test_show_department_gives_its_figures_and_every_finding_with_its_cell(processed):
    outdir, _, data = processed
    r = run("show", outdir, "科技发展局")
    assert r.exit_code == 0
    out = r.stdout
    assert "== 兰州新区科技发展局（01_兰州新区科技发展局.xlsx）" in out
    assert "状态：可受理" in out and "评价得分 91，等级 优" in out
    assert "资金到位率 157.70%，预算执行率 100.00%" in out and "预算安排 12,609.43" in out
    seed = next(d for d in data["departments"] if d["name"] == "兰州新区科技发展局")
    assert f"共 {len(seed['findings'])} 条" in out
    for f in seed["findings"]:
        assert f"{f['code']}  {f['sheet']}!{f['cell']}" in out and f["message"] in out
    assert "资金情况!C5" in out and "F04" in out
    assert str(outdir / "departments" / "兰州新区科技发展局.xlsx") in out


def test_show_finds_a_department_by_code_or_file_name(processed):
    outdir, _, _ = processed
    for query in ("LZXQ-0405", "lzxq-0405", "03_兰州新区农业农村局.xlsx", "03", "农业农村"):
        r = run("show", outdir, query)
        assert r.exit_code == 0, query
        assert "== 兰州新区农业农村局" in r.stdout and "状态：待补正" in r.stdout and "（暂定）" in r.stdout
        assert "F02  资金情况!E3" in r.stdout


def test_show_unknown_department_suggests_close_names(processed):
    outdir, _, _ = processed
    r = run("show", outdir, "科技发展据")
    assert r.exit_code == 2
    assert "没有部门“科技发展据”" in r.stderr and "兰州新区科技发展局" in r.stderr and "-v" in r.stderr
    r = run("show", outdir, "财政厅")
    assert r.exit_code == 2 and "没有部门“财政厅”" in r.stderr
    r = run("show", outdir, "局")  # a part of six names
    assert r.exit_code == 2 and "符合 6 个部门" in r.stderr


def test_show_a_folder_without_results_is_a_usage_error(tmp_path, processed):
    r = run("show", tmp_path)
    assert r.exit_code == 2
    assert "没有运行结果" in r.output and "perfeval process" in r.output
    r = run("show", tmp_path / "无此文件夹")
    assert r.exit_code == 2 and "输出文件夹不存在" in r.output and "perfeval process" in r.output
    # the inbox given instead of its output folder: the results beside it are pointed to
    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    beside = tmp_path / "perfeval-output"
    beside.mkdir()
    (beside / "perfeval-results.json").write_bytes((processed[0] / "perfeval-results.json").read_bytes())
    r = run("show", inbox)
    assert r.exit_code == 2 and f"perfeval show {beside}" in r.output
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "perfeval-results.json").write_text("[1, 2", encoding="utf-8")
    r = run("show", tmp_path / "bad")
    assert r.exit_code == 2 and "无法读取运行结果" in r.output


def test_show_gives_the_fix_where_the_results_carry_it(tmp_path, processed):
    data = json.loads((processed[0] / "perfeval-results.json").read_text(encoding="utf-8"))
    seed = next(d for d in data["departments"] if d["name"] == "兰州新区科技发展局")
    for f in seed["findings"]:
        f["fix"] = f"按 {f['code']} 的要求改正"
    (tmp_path / "perfeval-results.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    r = run("show", tmp_path, "兰州新区科技发展局")
    assert r.exit_code == 0 and "修改方法：按 F04 的要求改正" in r.stdout
    plain = run("show", processed[0], "兰州新区科技发展局").stdout
    assert not any(line.strip().startswith("修改方法：") for line in plain.splitlines()), "none where the results carry none"


@pytest.mark.skipif(sys.platform == "win32", reason="os.startfile there")
def test_show_open_opens_the_summary_with_the_default_application(processed, monkeypatch, tmp_path):
    import subprocess

    outdir = processed[0]
    opened = []

    class Opener:
        def __init__(self, argv, **kwargs):
            opened.append(argv)

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(subprocess, "Popen", Opener)
    r = run("show", outdir, "--open")
    assert r.exit_code == 0 and opened == [[*terminal.open_command(sys.platform), str(outdir / "绩效评价汇总.xlsx")]]
    assert run("show", outdir).exit_code == 0 and len(opened) == 1, "only when asked"

    def missing(argv, **kwargs):
        raise FileNotFoundError(2, "No such file or directory", argv[0])

    monkeypatch.setattr(subprocess, "Popen", missing)
    r = run("show", outdir, "--open")
    assert r.exit_code == 3 and "无法用默认程序打开汇总表" in r.stderr and "请手动打开" in r.stderr
    (tmp_path / "perfeval-results.json").write_bytes((outdir / "perfeval-results.json").read_bytes())
    r = run("show", tmp_path, "--open")  # results without the summary workbook
    assert r.exit_code == 2 and "没有汇总表" in r.stderr
    assert terminal.open_command("darwin") == ["open"] and terminal.open_command("linux") == ["xdg-open"]
    assert terminal.open_command("win32") == []


# ---- check ----


def _expected_summary(data) -> str:
    errors = sum(1 for d in data["departments"] if d["errors"])
    warned = sum(1 for d in data["departments"] if not d["errors"] and d["warnings"])
    clean = sum(1 for d in data["departments"] if not d["findings"])
    assert errors + warned + clean == len(data["departments"]), "the samples have no workbook with 提示 only"
    return f"共检查 {len(data['departments'])} 个工作簿：{errors} 个有错误，{warned} 个有警告，{clean} 个未发现问题"


def test_check_a_folder_checks_every_workbook_and_sums_up():
    r = run("check", INBOX)
    assert r.exit_code == 1
    assert r.stdout.count("\n== ") + r.stdout.startswith("== ") == 7
    data = json.loads(run("check", INBOX, "--json").stdout)
    assert len(data["departments"]) == 7
    assert r.stdout.rstrip().endswith(_expected_summary(data))
    assert _expected_summary(data) == "共检查 7 个工作簿：2 个有错误，4 个有警告，1 个未发现问题"


def test_check_files_and_a_folder_together(tmp_path):
    folder = tmp_path / "收件箱"
    (folder / "子文件夹").mkdir(parents=True)
    (folder / CLEAN_FILE.name).write_bytes(CLEAN_FILE.read_bytes())
    (folder / "~$锁定.xlsx").write_bytes(b"")
    (folder / "说明.txt").write_text("x", encoding="utf-8")
    r = run("check", SEED_FILE, PENDING_FILE, folder)
    assert r.exit_code == 1
    heads = [line for line in r.stdout.splitlines() if line.startswith("== ")]
    assert heads == [f"== {p.name}：{p.stem.split('_', 1)[1]}" for p in (SEED_FILE, PENDING_FILE, CLEAN_FILE)]
    assert f"已跳过 {folder / '~$锁定.xlsx'}：是 Office/WPS 打开文件时生成的锁定文件" in r.stdout
    assert f"已跳过 {folder / '子文件夹'}：是文件夹" in r.stdout and f"已跳过 {folder / '说明.txt'}：不是工作簿" in r.stdout
    assert r.stdout.rstrip().endswith("共检查 3 个工作簿：1 个有错误，1 个有警告，1 个未发现问题；跳过 3 个文件")
    # a file named by itself and within its folder is checked once
    r = run("check", SEED_FILE, INBOX)
    assert r.stdout.count("== 01_兰州新区科技发展局.xlsx") == 1 and "共检查 7 个工作簿" in r.stdout
    # a folder with no workbook at all, or a path that does not exist
    r = run("check", folder / "子文件夹")
    assert r.exit_code == 2 and "没有可检查的工作簿" in r.output
    r = run("check", tmp_path / "无此文件.xlsx")
    assert r.exit_code == 2 and "文件不存在" in r.output


def test_check_json_covers_the_folder_and_its_skipped_files(tmp_path):
    folder = tmp_path / "box"
    folder.mkdir()
    (folder / CLEAN_FILE.name).write_bytes(CLEAN_FILE.read_bytes())
    (folder / "readme.md").write_text("x", encoding="utf-8")
    r = run("check", folder, "--json")
    data = json.loads(r.stdout)
    assert r.exit_code == 0 and [d["file"] for d in data["departments"]] == [CLEAN_FILE.name]
    assert data["skipped"] == [{"file": "readme.md", "reason": "不是工作簿（只处理 .xlsx、.xlsm、.xlsb、.xls、.ods）"}]


# ---- --strict ----


def test_strict_says_when_warnings_alone_fail_the_run(tmp_path):
    r = run("check", SEED_FILE, "--strict")
    assert r.exit_code == 1 and terminal.STRICT_NOTE in r.stderr
    r = run("check", SEED_FILE)
    assert r.exit_code == 0 and "--strict" not in r.stderr
    r = run("check", PENDING_FILE, "--strict")  # errors fail it anyway: nothing to explain
    assert r.exit_code == 1 and "--strict" not in r.stderr
    r = run("check", CLEAN_FILE, "--strict")
    assert r.exit_code == 0 and "--strict" not in r.stderr
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / SEED_FILE.name).write_bytes(SEED_FILE.read_bytes())
    (inbox / CLEAN_FILE.name).write_bytes(CLEAN_FILE.read_bytes())
    r = run("process", inbox, "-o", tmp_path / "out", "-q", "--no-reports", "--strict")
    assert r.exit_code == 1 and terminal.STRICT_NOTE in r.stderr
    assert table_names(r.stderr, "需要处理的部门") == ["兰州新区科技发展局"], "with --strict, warnings need action"
    assert "其余 1 个部门可受理，无错误、无警告" in r.stderr
    r = run("process", inbox, "-o", tmp_path / "out", "-q", "--no-reports")
    assert r.exit_code == 0 and "--strict" not in r.stderr and "全部 2 个部门可受理，无错误（其中 1 个有警告）" in r.stderr


# ---- template ----


@pytest.mark.parametrize("report", [False, True])
def test_template_keeps_an_existing_file_unless_forced(tmp_path, report):
    target = tmp_path / ("我的模板.docx" if report else "已填写.xlsx")
    target.write_bytes(b"filled in")
    extra = ["--report"] if report else []
    r = run("template", *extra, "-o", target)
    assert r.exit_code == 2 and str(target) in r.stderr and "--force" in r.stderr
    assert target.read_bytes() == b"filled in"
    r = run("template", *extra, "-o", target, "--force")
    assert r.exit_code == 0 and zipfile.is_zipfile(target)


# ---- the formatting itself ----


def test_widths_pad_and_clip_count_chinese_as_two_columns():
    assert terminal.text_width("部门ab") == 6 and terminal.text_width("e\u0301") == 1
    assert terminal.pad("部门", 6) == "部门  " and terminal.pad_left("12", 4) == "  12"
    clipped = terminal.clip("兰州新区科技发展局", 9)
    assert clipped == "兰州新区…" and terminal.text_width(clipped) <= 9
    assert terminal.clip("一\n二", 10) == "一 二"


def test_colour_only_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    assert terminal.use_colour(Tty(), {}) is True
    assert terminal.use_colour(Tty(), {"NO_COLOR": "1"}) is False
    assert terminal.use_colour(io.StringIO(), {}) is False
    paint = terminal.painter(lambda text, **kw: f"<{kw.get('fg', '')}>{text}")
    assert paint("错误", "error") == "<red>错误" and paint("x", "") == "x"
    assert terminal.painter(None) is terminal.plain


def test_the_table_is_aligned_and_cut_at_the_limit():
    rows = [
        terminal.Row(f"{i}.xlsx", "部门" * (i + 1), "", "待补正", 80.5, "良", 1, 0, ("错误", "F01", "资金情况!B8", "说明" * 50))
        for i in range(5)
    ]
    rows.append(terminal.Row("ok.xlsx", "好部门", "", "可受理", 95, "优", 0, 0, None))
    lines = terminal.department_table(rows, limit=3, width=100, more="perfeval show 输出 列出全部")
    assert lines[0] == "需要处理的部门（5 个）："
    body = lines[1:5]
    assert len({terminal.text_width(line[: line.index("F01") if "F01" in line else len(line)]) for line in body[1:]}) == 1
    assert all(terminal.text_width(line) <= 100 for line in body)
    assert lines[5] == "  …… 另有 2 个需要处理的部门未列出：perfeval show 输出 列出全部"
    assert lines[6] == "其余 1 个部门可受理，无错误"
    assert terminal.department_table([]) == []


def test_find_department_prefers_whole_names_then_beginnings_then_parts():
    deps = [
        {"name": "交通局", "code": "A1", "file": "1_交通局.xlsx"},
        {"name": "交通局机关服务中心", "code": "A2", "file": "2_交通局机关服务中心.xlsx"},
    ]
    assert terminal.find_department(deps, "交通局") == ([deps[0]], [])
    assert terminal.find_department(deps, "ａ２") == ([deps[1]], [])  # full-width, either case
    assert terminal.find_department(deps, "1_交通局") == ([deps[0]], [])
    assert terminal.find_department(deps, "服务")[0] == [deps[1]]
    assert terminal.find_department(deps, "交通")[0] == deps
    assert terminal.find_department(deps, "交通居") == ([], ["交通局"])
    assert terminal.find_department(deps, "财政") == ([], [])


def test_check_summary_and_strict_note():
    assert terminal.strict_note(0, 3, True) == f"有 3 条警告、没有错误；{terminal.STRICT_NOTE}"
    assert terminal.strict_note(1, 3, True) is None and terminal.strict_note(0, 3, False) is None
    assert terminal.strict_note(0, 0, True) is None
    assert terminal.check_summary([]) == "没有检查任何工作簿"


def test_a_path_with_spaces_is_quoted_for_the_command_to_type():
    assert terminal.quote_path(Path("/tmp/my out")) == '"/tmp/my out"' and terminal.quote_path("输出") == "输出"


def test_an_unreadable_file_is_listed_and_shown(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / CLEAN_FILE.name).write_bytes(CLEAN_FILE.read_bytes())
    (inbox / "坏文件.xlsx").write_text("不是工作簿", encoding="utf-8")
    outdir = tmp_path / "out"
    r = run("process", inbox, "-o", outdir, "-q", "--no-reports")
    assert r.exit_code == 1 and table_names(r.stderr, "需要处理的部门") == ["坏文件"]
    assert "S01" in r.stderr and "全部" not in r.stderr and "其余 1 个部门可受理，无错误" in r.stderr
    r = run("show", outdir, "坏文件")
    assert r.exit_code == 0 and "== 坏文件（坏文件.xlsx）" in r.stdout and "无法读取：" in r.stdout and "S01" in r.stdout


def test_show_tells_how_a_department_moved_and_what_was_pointed_out_before():
    from perfeval.terminal import department_detail

    d = {
        "file": "a.xlsx",
        "name": "甲局",
        "status": "可受理",
        "total_score": 92.5,
        "grade": "优",
        "previous": {"year": 2022, "total_score": 90.0, "execution_rate": 0.8821, "score_change": 2.5, "execution_rate_change": 0.098},
        "findings": [
            {"severity": "警告", "code": "W04", "sheet": "指标评分", "cell": "G9", "message": "有扣分但未填写扣分原因", "previously": 2022},
            {
                "severity": "警告",
                "code": "W04",
                "sheet": "指标评分",
                "cell": "G10",
                "message": "有扣分但未填写扣分原因",
                "previously": None,
            },
        ],
    }
    lines = department_detail(d)
    assert "   2022 年度：得分 90，预算执行率 88.21%；得分变化 +2.50；执行率变化 +9.80 个百分点" in lines
    marked = [line for line in lines if "W04" in line]
    assert marked[0].endswith("（2022 年已指出）") and not marked[1].endswith("已指出）")
    assert not any("年度：" in line for line in department_detail({**d, "previous": None}))
