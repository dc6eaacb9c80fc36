"""Every command and option, given bad input, answers in Chinese and names the problem: no
English sentence from click or a library reaches the user."""

from __future__ import annotations

import re
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from perfeval.cli import main
from perfeval.clikit import PathType

from .conftest import CLEAN_FILE, INBOX

ENGLISH = re.compile(
    r"\b(?:Error|Usage|Invalid|Missing|No such|Try '|Got unexpected|requires an argument|does not exist|is a file|is a directory)\b"
)
SENTENCE = re.compile(r"\b[a-z]{2,} [a-z]{2,} [a-z]{2,}\b")  # three lowercase English words in a row


def _said(args: list[str]) -> tuple[int, str]:
    r = CliRunner().invoke(main, args)
    return r.exit_code, r.output


def _chinese_and_no_english(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text)) and not ENGLISH.search(text) and not SENTENCE.search(text)


def _commands() -> list[tuple[str, click.Command]]:
    assert isinstance(main, click.Group)
    return sorted(main.commands.items())


def _bad_inputs(tmp_path) -> list[list[str]]:
    """For each command: an unknown option, each option that takes a value given none, each
    path given the wrong kind, a missing required argument."""
    a_file, a_folder = CLEAN_FILE, tmp_path
    cases: list[list[str]] = [["--bogus"], ["nosuchcommand"], ["proces"]]
    for name, cmd in _commands():
        cases.append([name, "--bogus"])
        cases.append([name, "--stric"])  # a near miss of an option
        for param in cmd.params:
            if isinstance(param, click.Option) and not param.is_flag and not param.hidden:
                cases.append([name, param.opts[-1]])  # the value left out
                if isinstance(param.type, PathType) and not (param.type.file_okay and param.type.dir_okay):
                    wrong = a_file if not param.type.file_okay else a_folder  # the other kind of path
                    cases.append([name, param.opts[-1], str(wrong)])
            if isinstance(param, click.Argument) and param.required:
                cases.append([name])
    cases += [
        ["process", str(INBOX), "--date", "2024-02-30"],
        ["process", str(INBOX), "--date", "2024/03/01"],
        ["process", str(INBOX), "-o", str(a_file)],
        ["process", str(a_file)],
        ["check", str(tmp_path / "无此文件.xlsx")],
        ["rules", "X99"],
    ]
    return cases


def test_every_command_and_option_with_bad_input_answers_in_chinese(tmp_path):
    seen = 0
    for args in _bad_inputs(tmp_path):
        code, out = _said(args)
        assert code == 2, (args, code, out)
        assert _chinese_and_no_english(out), (args, out)
        seen += 1
    assert seen > 30


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["process", str(INBOX), "--date", "2024-02-30"], "日期不存在：2024-02-30"),
        (["process", str(INBOX), "--date", "2024/03/01"], "不是 YYYY-MM-DD 格式的日期"),
        (["process", str(INBOX), "-o", str(CLEAN_FILE)], "是文件，这里要的是文件夹"),
        (["process"], "缺少参数 INBOX"),
        (["process", str(INBOX), "--stric"], "您是不是要用 --strict？"),
        (["proces"], "没有命令 proces；您是不是要用 process？"),
        (["process", str(INBOX), "--date"], "选项 --date 后面需要一个值"),
    ],
)
def test_the_message_names_the_problem(args, said):
    code, out = _said(args)
    assert code == 2 and said in out and "错误：" in out, out
    if "--date" not in args:  # click knows the command only once the options are read
        assert out.startswith("用法：") and "查看帮助：" in out


def test_help_is_in_chinese_and_shows_the_date_format():
    for args in (["-h"], *([name, "-h"] for name, _ in _commands())):
        code, out = _said(args)
        assert code == 0 and out.startswith("用法："), (args, out)
        assert "Usage" not in out and "Options:" not in out and "Commands:" not in out
    _, out = _said(["process", "-h"])
    assert "--date YYYY-MM-DD" in out and "[%Y-%m-%d]" not in out and "选项：" in out


def test_the_installed_command_says_it_in_chinese_too(tmp_path):
    """Through `python -m perfeval` (cli.run), as a user types it."""
    r = subprocess.run(
        [sys.executable, "-m", "perfeval", "process", str(INBOX), "--date", "2024-13-01"], capture_output=True, text=True, cwd=tmp_path
    )
    assert r.returncode == 2 and "错误：选项 --date 的值不对：日期不存在：2024-13-01" in r.stderr, r.stderr
    assert _chinese_and_no_english(r.stderr)
