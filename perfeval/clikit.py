"""The command line in Chinese: click's help headings, its parameter types and its usage errors.

click writes its own words in English ("Usage:", "Options:", "Missing argument 'INBOX'.",
"Directory 'x.xlsx' is a file."). Here its public extension points are used instead: command
classes whose help sections and usage errors are worded in Chinese (from the exceptions'
attributes, not by rewriting English text), and parameter types that check a path or a date
and say what is wrong in Chinese.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

USAGE_PREFIX = "用法："
OPTIONS_METAVAR = "[选项]"


class DateType(click.ParamType):
    """A date written YYYY-MM-DD; one that does not exist (2024-02-30) is said to not exist."""

    name = "date"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        text = str(value).strip()
        found = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
        if not found:
            self.fail(f"“{text}”不是 YYYY-MM-DD 格式的日期（如 2024-03-01）", param, ctx)
        try:
            year, month, day = map(int, found.groups())
            return date(year, month, day)
        except ValueError:
            self.fail(f"日期不存在：{text}", param, ctx)


class PathType(click.ParamType):
    """A file or folder path (checked only for its kind where it exists: a file where a folder
    is wanted, or the other way round), as a Path."""

    name = "path"

    def __init__(self, file_okay: bool = True, dir_okay: bool = True):
        self.file_okay, self.dir_okay = file_okay, dir_okay

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str | None:
        if isinstance(param, click.Argument):
            return None  # an argument is shown by its name: INBOX, OUTDIR
        return "DIR" if not self.file_okay else "FILE" if not self.dir_okay else "PATH"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        path = Path(os.fsdecode(value)) if not isinstance(value, Path) else value
        if not self.dir_okay and path.is_dir():
            self.fail(f"{path} 是文件夹，这里要的是文件", param, ctx)
        if not self.file_okay and path.exists() and not path.is_dir():
            self.fail(f"{path} 是文件，这里要的是文件夹", param, ctx)
        return path


class HelpFormatter(click.HelpFormatter):
    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")  # a Chinese colon after Chinese words


class Context(click.Context):
    formatter_class = HelpFormatter


class Command(click.Command):
    """A command whose help reads 用法/选项 and whose options placeholder is [选项]."""

    context_class = Context

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("options_metavar", OPTIONS_METAVAR)
        super().__init__(*args, **kwargs)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix=USAGE_PREFIX)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        records = [r for r in (p.get_help_record(ctx) for p in self.get_params(ctx)) if r is not None]
        if records:
            with formatter.section("选项"):
                formatter.write_dl(records)


class Group(click.Group):
    """The command group: help in Chinese, its commands made as `Command`, and every usage
    error said in Chinese (from the exception's attributes) with the exit code click gives it."""

    command_class = Command
    context_class = Context

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("options_metavar", OPTIONS_METAVAR)
        kwargs.setdefault("subcommand_metavar", "命令 [参数]...")
        super().__init__(*args, **kwargs)

    format_usage = Command.format_usage

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        Command.format_options(self, ctx, formatter)  # type: ignore[arg-type]
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit=formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("命令"):
                formatter.write_dl(rows)

    def main(
        self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None, standalone_mode: bool = True, **extra: Any
    ) -> Any:
        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:  # help asked for by giving nothing
            click.echo(exc.ctx.get_help() if exc.ctx else "", err=True)
            code = exc.exit_code
        except click.ClickException as exc:
            click.echo(explain(exc), err=True)
            code = exc.exit_code
        except click.Abort:
            if standalone_mode:
                click.echo("已中断。", err=True)
                sys.exit(130)
            raise
        if standalone_mode:
            sys.exit(code)
        return code


def explain(exc: click.ClickException) -> str:
    """The error in Chinese: the usage line and where to find help (for usage errors), then
    what is wrong, naming the value and what is expected."""
    lines = []
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError) and ctx is not None:
        lines.append(f"{USAGE_PREFIX}{ctx.command_path} {' '.join(ctx.command.collect_usage_pieces(ctx))}")
        lines.append(f"查看帮助：{ctx.command_path} -h")
    lines.append(f"错误：{_message(exc)}")
    return "\n".join(lines)


def _name(param: click.Parameter | None, ctx: click.Context | None) -> str:
    if param is None:
        return "参数"
    if isinstance(param, click.Option):
        return "选项 " + " / ".join(param.opts)
    return f"参数 {param.make_metavar(ctx) if ctx is not None else (param.name or '').upper()}"


def _message(exc: click.ClickException) -> str:
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.exceptions.NoSuchOption):
        near = difflib.get_close_matches(exc.option_name, exc.possibilities or [], n=1) or list(exc.possibilities or [])[:1]
        return f"没有选项 {exc.option_name}" + (f"；您是不是要用 {near[0]}？" if near else "")
    command = re.match(r"No such command '(.*)'", exc.message)  # click < 8.4 has no NoSuchCommand
    if command:
        names = list(ctx.command.list_commands(ctx)) if ctx is not None and isinstance(ctx.command, click.Group) else []
        near = difflib.get_close_matches(command.group(1), names, n=1)
        return f"没有命令 {command.group(1)}" + (f"；您是不是要用 {near[0]}？" if near else "；perfeval -h 列出全部命令")
    if isinstance(exc, click.exceptions.BadOptionUsage):
        if "requires" in exc.message:
            return f"选项 {exc.option_name} 后面需要一个值"
        if "does not take" in exc.message:
            return f"选项 {exc.option_name} 不带值"
        return f"选项 {exc.option_name} 用法不对"
    if isinstance(exc, click.MissingParameter):
        if exc.param is None:
            return "缺少参数"
        return f"缺少{_name(exc.param, ctx)}"
    if isinstance(exc, click.BadParameter):
        return f"{_name(exc.param, ctx)} 的值不对：{exc.message}"
    if isinstance(exc, click.UsageError):
        extra = re.match(r"Got unexpected extra arguments? \((.*)\)", exc.message)
        if extra:
            return f"多余的参数：{extra.group(1)}"
        if exc.message.startswith("Missing command"):
            return "缺少命令；perfeval -h 列出全部命令"
    if isinstance(exc, click.FileError):
        return f"无法打开文件 {exc.ui_filename}"
    return exc.message if _chinese(exc.message) else f"命令行有误（{exc.message}）"


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
