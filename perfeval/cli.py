"""The `perfeval` command. Each command parses options, makes one library call, reports."""

from __future__ import annotations

import functools
import os
import sys
from datetime import date
from enum import IntEnum
from pathlib import Path
from typing import Any

import click

from .clikit import DateType, Group, PathType, explain
from .version import __version__


class Exit(IntEnum):
    OK = 0
    FINDINGS = 1  # some 错误 findings (or 警告 with --strict); outputs are still written
    USAGE = 2
    CANNOT_RUN = 3
    INTERRUPTED = 130  # Ctrl-C, as shells report it


CONTEXT = {"help_option_names": [], "max_content_width": 100}


def help_option(func):
    return click.help_option("-h", "--help", help="显示本帮助并退出")(func)


def profile_option(help: str):
    """--profile FILE (repeatable): the user's layouts, for check, process and profiles."""
    return click.option("--profile", "profile_files", multiple=True, type=PathType(dir_okay=False), metavar="文件", help=help)


def settings_options(func):
    @click.option(
        "--config",
        "config",
        type=PathType(dir_okay=False),
        help="设置文件（TOML），可关闭检查代码、修改等级分数线和阈值；也可用环境变量 PERFEVAL_CONFIG 指定",
    )
    @click.option("--disable", multiple=True, metavar="代码", help="关闭某条检查，如 --disable C09；可重复")
    @profile_option("另加表样文件（TOML，格式见 docs/profiles.md）：有读取说明的按它读取和计分，没有的认出并说明；可重复")
    @click.option("--strict", is_flag=True, help="把“警告”也算作不通过（影响退出码）")
    @click.option("--traceback", is_flag=True, hidden=True, help="出错时显示 Python 调用栈（调试用）")
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


def _settings(config: Path | None, disable: tuple[str, ...], profile_files: tuple[Path, ...] = ()):
    from .config import SettingsError, load_settings

    try:  # disabled codes are checked against the rule catalogue, planned rules included
        return load_settings(config, disable, profile_files=profile_files)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None


def _exit_code(result, strict: bool) -> int:
    if result.errors or (strict and result.warnings):
        return Exit.FINDINGS
    return Exit.OK


class _Interrupted(Exception):
    """Ctrl-C inside a command, carried past click (which would print a blank line first)."""


# commands kept in a module of their own, imported only when used (or listed by --help): a
# quick command does not pay for them
LAZY_COMMANDS = {"history": ("perfeval.history_cmd", "history_command")}


class _Group(Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS:
            import importlib

            module, attr = LAZY_COMMANDS[name]
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, name)


@click.group(cls=_Group, context_settings=CONTEXT)
@help_option
@click.version_option(__version__, "-V", "--version", prog_name="perfeval", message="%(prog)s %(version)s", help="显示版本号并退出")
def main() -> None:
    """perfeval：部门整体支出绩效评价工作簿批量处理工具。

    \b
    常用步骤：
      perfeval template -o 模板.xlsx      生成填报模板
      perfeval check 某部门.xlsx          提交前自查
      perfeval process 收件箱/            批量核对、计分并生成汇总
    """


def run() -> None:
    """The `perfeval` command (and `python -m perfeval`): main(), then, once the command has
    finished, the process ends without freeing its objects one by one. After a batch of 1000
    departments that freeing took ~0.4 s, with every output already written, renamed and
    closed, and the worker processes gone."""
    code: Any
    try:
        code = main(standalone_mode=False)  # --help and --version return their exit code
    except SystemExit as exc:  # how a command ends with its exit code
        code = exc.code
    except (_Interrupted, KeyboardInterrupt, click.Abort):  # Ctrl-C: the previous outputs stay as they were
        print("已中断。", file=sys.stderr)
        code = Exit.INTERRUPTED
    except click.ClickException as exc:  # a usage error outside the group's own handling
        click.echo(explain(exc), err=True)
        code = exc.exit_code
    if not isinstance(code, int):
        if code is not None:
            print(code, file=sys.stderr)
        code = 0 if code is None else 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`perfeval … | head`): nothing left to say
            pass
    os._exit(code)


@main.command(context_settings=CONTEXT)
@help_option
@click.option(
    "-o",
    "--output",
    type=PathType(dir_okay=False),
    help="保存位置（默认：部门整体支出绩效评价模板.xlsx；--report 时为 评价报告模板.docx）",
)
@click.option(
    "--report", is_flag=True, help="导出 Word 评价报告模板（内置模板的副本），修改字体、页边距、标题样式后用 process --report-template 指定"
)
@click.option("--force", is_flag=True, help="保存位置已有文件时覆盖它（默认不覆盖，以免丢掉已填写的内容）")
def template(output: Path | None, report: bool, force: bool) -> None:
    """生成 perfeval-v1 填报模板（含填报说明、下拉列表和公式）；--report 导出 Word 报告模板。

    保存位置已有文件时不覆盖（退出码 2），加 --force 才覆盖。
    """
    output = output or Path("评价报告模板.docx" if report else "部门整体支出绩效评价模板.xlsx")
    if not force and (output.exists() or output.is_symlink()):  # it may be a template someone has filled in
        click.echo(f"错误：{output} 已存在，未覆盖；如确要覆盖，请加 --force（或用 -o 另选保存位置）", err=True)
        sys.exit(Exit.USAGE)
    try:
        if report:
            from .atomic import write_bytes_atomic
            from .outputs.report import default_template_bytes

            write_bytes_atomic(output, default_template_bytes())
        else:
            from .template import write_template

            write_template(output)
    except OSError as exc:
        click.echo(f"错误：无法写入 {output}：{exc.strerror or exc}", err=True)
        sys.exit(Exit.CANNOT_RUN)
    click.echo(f"已生成{'报告' if report else ''}模板：{output}")


@main.command(context_settings=CONTEXT)
@help_option
@click.argument("inbox", type=PathType())
@click.option("-o", "--outdir", type=PathType(file_okay=False), help="输出文件夹（默认：收件箱旁边的 perfeval-output）")
@click.option("--json", "as_json", is_flag=True, help="在标准输出打印完整结果（JSON），供程序使用")
@click.option("--date", "run_date", type=DateType(), help="报告日期（默认今天），用于生成可复现的输出")
@click.option("-q", "--quiet", is_flag=True, help="不显示进度条")
@click.option("-v", "--verbose", is_flag=True, help="结束时列出全部部门（默认只列出需要处理的部门：有错误、待补正或未评分）")
@click.option("--no-reports", is_flag=True, help="不生成各部门的 Word 评价报告")
@click.option("--no-cache", is_flag=True, help="不使用 OUTDIR/.perfeval-cache（重新读取全部文件、重写全部输出）")
@click.option("--wait", is_flag=True, help="另一个 perfeval 正在写入同一输出文件夹时，排队等它结束（默认立即退出）")
@click.option(
    "--history",
    "history_file",
    type=PathType(dir_okay=False),
    help="历史记录文件（SQLite），与往年比较并记录本年结果（默认：输出文件夹旁边的 perfeval-history.sqlite）",
)
@click.option("--no-history", is_flag=True, help="不读取、不记录历史记录（不与往年比较）")
@click.option(
    "--report-template",
    type=PathType(dir_okay=False),
    help="Word 报告模板（默认用内置模板；perfeval template --report 可导出一份修改）",
)
@settings_options
def process(
    inbox: Path,
    outdir: Path | None,
    as_json: bool,
    run_date,
    quiet: bool,
    verbose: bool,
    no_reports: bool,
    no_cache: bool,
    wait: bool,
    history_file: Path | None,
    no_history: bool,
    report_template: Path | None,
    config,
    disable,
    profile_files: tuple[Path, ...],
    strict: bool,
    traceback: bool,
) -> None:
    """处理收件箱文件夹中的全部工作簿，生成汇总表和问题清单。

    输出：OUTDIR/绩效评价汇总.xlsx、findings.csv、perfeval-results.json，
    以及每个部门的结果工作簿 departments/<部门名称>.xlsx 和 Word 报告 reports/<部门名称>.docx。
    全部输出在运行结束时一次性替换上一次的结果：中途中断、磁盘写满或出错时，上一次的结果原样保留。
    同一输出文件夹同时只允许一个运行写入。
    结束时在终端列出需要处理的部门（-v 列出全部部门）；之后可用 perfeval show OUTDIR 再次查看。
    每个部门的结果按评价年度记入历史记录（默认为输出文件夹旁边的 perfeval-history.sqlite），
    并与该部门最近一个较早年度比较（比较法）；同一年度重新处理时替换该年度的记录。
    退出码：0 无错误；1 有“错误”级问题（输出照常生成）；2 用法错误；3 无法运行，或历史记录无法读写（其他输出照常生成）；130 被中断。
    """
    from .historydb import default_path
    from .pipeline import process as run
    from .pool import batch_gc
    from .publish import Busy
    from .results import result_json

    if not inbox.is_dir():
        raise click.UsageError(f"收件箱文件夹不存在或不是文件夹：{inbox}")
    settings = _settings(config, disable, profile_files)
    if report_template is not None:  # before any work: a bad template would fail after the workbooks are written
        from .outputs.report import check_report_template

        reason = check_report_template(report_template)
        if reason is not None:
            click.echo(f"错误：报告模板 {report_template}：{reason}", err=True)
            sys.exit(Exit.USAGE)
    outdir = _outdir(inbox, outdir)
    if no_history and history_file is not None:
        raise click.UsageError("--history 与 --no-history 不能同时使用")
    history = None if no_history else (history_file or default_path(outdir))
    bar = _Progress(quiet)
    try:
        with batch_gc():  # this process is the command's own: tune its collector for the batch
            result = run(
                inbox,
                outdir,
                settings,
                run_date or date.today(),
                bar.step,
                bar.start,
                reports=not no_reports,
                report_template=report_template,
                use_cache=not no_cache,
                wait=wait,
                on_wait=lambda message: click.echo(message, err=True),
                history=history,
            )
    except Busy as exc:
        bar.close()
        click.echo(f"错误：{exc}", err=True)
        sys.exit(Exit.CANNOT_RUN)
    except OSError as exc:
        bar.close()
        if traceback:
            raise
        where = f"（{exc.filename}）" if exc.filename else ""
        click.echo(f"错误：无法写入输出文件夹 {outdir}{where}：{exc.strerror or exc}；上一次的输出保持不变", err=True)
        sys.exit(Exit.CANNOT_RUN)
    bar.close()
    if as_json:
        click.echo(result_json(result))
    _summary(result, outdir, verbose, strict)
    if result.history_error:  # after the outputs' summary: they are written all the same
        click.echo(f"错误：{result.history_error}", err=True)
        sys.exit(Exit.CANNOT_RUN)
    sys.exit(_exit_code(result, strict))


DEFAULT_OUTDIR = "perfeval-output"


def _outdir(inbox: Path, outdir: Path | None) -> Path:
    """The output folder: the one given, or perfeval-output beside the inbox. Never the inbox
    itself; and the default one only if it holds no other inbox's results (two inboxes in one
    folder would otherwise replace each other's)."""
    from .publish import load_manifest

    chosen = outdir or inbox.resolve().parent / DEFAULT_OUTDIR
    if chosen.resolve() == inbox.resolve():
        raise click.UsageError(f"输出文件夹不能是收件箱本身：{inbox}；请用 -o 指定另一个文件夹")
    if outdir is None:
        other = load_manifest(chosen)[1].get("inbox")
        if isinstance(other, str) and Path(other) != inbox.resolve():
            raise click.UsageError(
                f"默认输出文件夹 {chosen} 存放的是另一个收件箱（{other}）的结果；"
                f"请用 -o 为 {inbox} 指定自己的输出文件夹，例如 -o {inbox.resolve().parent / (inbox.resolve().name + '-' + DEFAULT_OUTDIR)}"
            )
    return chosen


class _Progress:
    """A progress bar on stderr, only where stderr is a terminal (and not --quiet)."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.bar: Any = None  # a click progress bar while a stage runs on a terminal

    def start(self, label: str, total: int) -> None:
        self.close()
        if self.quiet or total == 0:
            return
        if sys.stderr.isatty():
            self.bar = click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True, item_show_func=lambda x: x)
            self.bar.__enter__()
        else:
            click.echo(f"{label}：{total} 个……", err=True)

    def step(self, name: str) -> None:
        if self.bar is not None:
            self.bar.update(1, name)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _summary(result, outdir: Path, verbose: bool = False, strict: bool = False) -> None:
    from . import terminal

    if not result.departments:
        lines = ["收件箱中没有可处理的工作簿（.xlsx/.xlsm/.xlsb/.xls/.ods），未生成任何输出"]
        lines += [f"  已跳过 {s.file}：{s.reason}" for s in result.skipped]
        click.echo("\n".join(lines), err=True)
        return
    colour = terminal.use_colour(sys.stderr, os.environ)
    rows = [terminal.Row.of_department(d) for d in result.departments]
    lines = terminal.department_table(
        rows,
        verbose=verbose,
        strict=strict,
        limit=20,
        width=terminal.terminal_width(sys.stderr, os.environ),
        paint=terminal.painter(click.style if colour else None),
        more=f"perfeval show {terminal.quote_path(outdir)} 列出全部",
    )
    if any(d.findings for d in result.departments):
        lines.append(f"逐条查看某个部门的问题：perfeval show {terminal.quote_path(outdir)} 部门名称")
    lines += terminal.totals_lines(len(result.departments), result.statuses, result.grades, result.errors, result.warnings, result.infos)
    unreadable = [d.file for d in result.departments if not d.readable]
    if unreadable:
        lines.append(
            f"无法读取：{len(unreadable)} 个文件（已列入汇总，见 S01）：{'、'.join(unreadable[:10])}{' 等' if len(unreadable) > 10 else ''}"
        )
    if result.skipped:
        lines.append(f"跳过：{len(result.skipped)} 个文件（见 findings.csv 中的 B03）")
    if result.history is not None and not result.history_error:
        compared = sum(1 for d in result.departments if d.previous is not None)
        lines.append(f"历史记录：{result.history}（记录 {result.history_recorded} 个部门；{compared} 个部门与往年比较）")
    lines.append(f"输出：{outdir}")
    for p in result.outputs:
        lines.append(f"  {p.name}")
    from .outputs import DEPARTMENT_OUTPUTS

    for output in DEPARTMENT_OUTPUTS:
        written = sum(1 for d in result.departments if output.kind in d.outputs)
        if written:
            lines.append(f"  {output.folder}/（{written} {output.counted}）")
    note = terminal.strict_note(result.errors, result.warnings, strict)
    if note:  # after the closing lines: why the exit code is 1
        lines.append(note)
    click.echo("\n".join(lines), err=True)


@main.command(context_settings=CONTEXT)
@help_option
@click.argument("outdir", type=PathType())
@click.argument("department", required=False, metavar="[部门]")
@click.option("-v", "--verbose", is_flag=True, help="列出全部部门（默认只列出需要处理的部门：有错误、待补正或未评分）")
@click.option("--open", "open_summary", is_flag=True, help="再用系统默认程序打开汇总表（绩效评价汇总.xlsx）")
def show(outdir: Path, department: str | None, verbose: bool, open_summary: bool) -> None:
    """显示一次运行的结果：读取 OUTDIR/perfeval-results.json，不打开 Excel。

    \b
    perfeval show 输出文件夹/            需要处理的部门（-v 列出全部部门）
    perfeval show 输出文件夹/ 科技发展局  该部门的数字、状态和每一条问题（单元格、说明）
    部门可写部门名称、部门编码或文件名，写出其中唯一的一部分即可。
    退出码：0 已显示；2 用法错误（OUTDIR 中没有运行结果、没有这个部门）；3 无法打开汇总表。
    """
    import contextlib
    import json
    import subprocess

    from . import terminal
    from .outputs import RESULTS_NAME, SUMMARY_NAME
    from .publish import JOURNAL, Busy, FolderLock, recover

    where = terminal.quote_path(outdir)
    if not outdir.is_dir():
        raise click.UsageError(f"输出文件夹不存在：{outdir}；请先运行 perfeval process 收件箱/ -o {where}")
    if (outdir / JOURNAL).exists():  # a publish a killed run left half done: complete the set first, if it can be
        with contextlib.suppress(Busy, OSError), FolderLock(outdir):
            recover(outdir)
    path = outdir / RESULTS_NAME
    if not path.is_file():
        beside = outdir.resolve().parent / DEFAULT_OUTDIR  # OUTDIR may be the inbox, its results beside it
        hint = (
            f"是不是 perfeval show {terminal.quote_path(beside)}？"
            if (beside / RESULTS_NAME).is_file() and beside != outdir.resolve()
            else ""
        )
        raise click.UsageError(
            f"{outdir} 中没有运行结果（{RESULTS_NAME}）。请给出 perfeval process 的输出文件夹（-o 指定的，默认是收件箱旁边的 "
            f"{DEFAULT_OUTDIR}），或先运行 perfeval process 收件箱/。{hint}"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.UsageError(f"无法读取运行结果 {path}：{exc}") from None
    departments = data.get("departments") if isinstance(data, dict) else None
    if not isinstance(departments, list):
        raise click.UsageError(f"{path} 不是 perfeval 的运行结果（没有 departments）；请重新运行 perfeval process")
    deps = [d for d in departments if isinstance(d, dict)]
    paint = terminal.painter(click.style if terminal.use_colour(sys.stdout, os.environ) else None)
    if department is None:
        totals = data.get("totals") if isinstance(data.get("totals"), dict) else {}
        lines = [f"运行结果：{outdir}（{data.get('run_date') or '日期未知'}；收件箱 {data.get('inbox') or '未知'}）"]
        lines += terminal.department_table(
            [terminal.Row.of_json(d) for d in deps],
            verbose=verbose,
            width=terminal.terminal_width(sys.stdout, os.environ),
            paint=paint,
        )
        if any(d.get("findings") for d in deps):
            lines.append(f"逐条查看某个部门的问题：perfeval show {where} 部门名称")
        lines += terminal.totals_lines(
            len(deps),
            totals.get("statuses") or {},
            totals.get("grades") or {},
            totals.get("errors", 0),
            totals.get("warnings", 0),
            totals.get("infos", 0),
        )
        skipped = data.get("skipped") or []
        if skipped:
            lines.append(f"跳过：{len(skipped)} 个文件（见 findings.csv 中的 B03）")
        click.echo("\n".join(lines))
    else:
        found, close = terminal.find_department(deps, department)
        if len(found) != 1:
            if found:
                names = "、".join(terminal.department_label(d) for d in found[:10]) + (" 等" if len(found) > 10 else "")
                problem = f"“{department.strip()}”符合 {len(found)} 个部门：{names}；请写得更完整，或写文件名"
            else:
                hint = f"你要找的是不是：{'、'.join(close)}？" if close else ""
                problem = f"本次运行的结果中没有部门“{department.strip()}”。{hint}perfeval show {where} -v 列出全部部门"
            click.echo(f"错误：{problem}", err=True)
            sys.exit(Exit.USAGE)
        dep = found[0]
        lines = terminal.department_detail(dep, paint)
        lines += terminal.department_outputs(dep, {"workbook": "结果工作簿", "report": "Word 报告"}, outdir)
        if dep.get("findings"):
            lines.append("   各条规则的检查内容和修改方法：perfeval rules 代码（如 perfeval rules F04）")
        click.echo("\n".join(lines))
    if open_summary:
        summary = outdir / SUMMARY_NAME
        if not summary.is_file():
            click.echo(f"错误：{outdir} 中没有汇总表 {SUMMARY_NAME}；请重新运行 perfeval process", err=True)
            sys.exit(Exit.USAGE)
        program = terminal.open_command(sys.platform)
        try:
            if sys.platform == "win32":
                os.startfile(summary)
            else:
                opener = subprocess.Popen(
                    [*program, str(summary)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                try:
                    returned = opener.wait(timeout=10)
                except subprocess.TimeoutExpired:  # still starting the application: it is on its way
                    returned = 0
                if returned != 0:
                    raise OSError(f"{program[0]} 以退出码 {returned} 结束，可能没有与 .xlsx 文件关联的程序")
        except FileNotFoundError as exc:
            missing = f"找不到 {program[0]}（Linux 上由 xdg-utils 提供）" if program else (exc.strerror or str(exc))
            click.echo(f"错误：无法用默认程序打开汇总表 {summary}：{missing}；请手动打开它", err=True)
            sys.exit(Exit.CANNOT_RUN)
        except OSError as exc:
            click.echo(f"错误：无法用默认程序打开汇总表 {summary}：{exc.strerror or exc}；请手动打开它", err=True)
            sys.exit(Exit.CANNOT_RUN)
        click.echo(f"已用默认程序打开：{summary}", err=True)


@main.command(context_settings=CONTEXT)
@help_option
@click.argument("files", nargs=-1, type=PathType(), metavar="文件或文件夹...")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 打印结果")
@settings_options
def check(files: tuple[Path, ...], as_json: bool, config, disable, profile_files: tuple[Path, ...], strict: bool, traceback: bool) -> None:
    """提交前自查：按同样的规则检查工作簿，列出需要修改的单元格；不写任何文件。

    可同时给出多个工作簿和文件夹（文件夹：检查其中的全部工作簿，不进入子文件夹，跳过的文件说明原因），
    最后一行汇总各工作簿的结果。退出码：0 无错误；1 有“错误”级问题（--strict 时含“警告”）；2 用法错误。
    """
    from . import terminal
    from .inbox import discover
    from .pipeline import analyze
    from .pool import batch_gc
    from .results import RunResult, result_json

    if not files:
        raise click.UsageError("请指定要检查的工作簿或文件夹，如：perfeval check 某部门.xlsx，或 perfeval check 收件箱/")
    targets: list[tuple[Path, str]] = []
    skipped = []  # files of the folders given that are no workbooks, with why (as process says it)
    for f in files:  # a pipe or a device given by name is left to the reader, which says what it is (S01)
        if not f.exists():
            raise click.UsageError(f"文件不存在：{f}")
        if f.is_dir():
            found, passed = discover(f)
            targets += found
            skipped += [(f / s.file, s) for s in passed]
        else:
            targets.append((f, f.name))
    seen: set[Path] = set()
    unique = []
    for path, name in targets:  # a file given twice (by itself and in its folder) is checked once
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append((path, name))
    if not unique:
        for where, s in skipped:
            click.echo(f"  已跳过 {where}：{s.reason}", err=True)
        raise click.UsageError(f"没有可检查的工作簿（.xlsx/.xlsm/.xlsb/.xls/.ods）：{'、'.join(str(f) for f in files)}")
    settings = _settings(config, disable, profile_files)
    with batch_gc():
        departments, findings = analyze(unique, settings, [s for _, s in skipped])
    result = RunResult(None, date.today(), departments, [s for _, s in skipped], findings)
    if as_json:
        click.echo(result_json(result))
    else:
        paint = terminal.painter(click.style if terminal.use_colour(sys.stdout, os.environ) else None)
        for dep in result.departments:
            click.echo(terminal.check_block(dep, paint, settings.profiles))
        for where, s in skipped:
            click.echo(f"已跳过 {where}：{s.reason}")
        click.echo(terminal.check_summary(result.departments, len(skipped)))
    note = terminal.strict_note(result.errors, result.warnings, strict)
    if note:
        click.echo(note, err=True)
    sys.exit(_exit_code(result, strict))


def _mail(outdir: Path, roster: Path | None, send: bool, dry_run: bool, resend: tuple[str, ...], settings, quiet: bool):
    """The mail command's work, with the output folder locked (a run publishing into it would
    otherwise change the results under it); None where only drafts were written."""
    from .mail import MailError, build_outgoing, load_results, load_roster, send_all, unmatched_roster, write_drafts
    from .publish import FolderLock, recover

    if not outdir.is_dir():
        raise MailError(f"输出文件夹不存在：{outdir}（请先运行 perfeval process）")
    with FolderLock(outdir):
        recover(outdir)  # a publish a killed run left half done: the complete set first
        results = load_results(outdir)
        roster_map = load_roster(roster) if roster else None
        messages, missing = build_outgoing(outdir, results, roster_map)
        unmatched = unmatched_roster(roster_map, results) if roster_map else []
        if unmatched:
            click.echo(f"名单中以下 {len(unmatched)} 行的部门不在本批结果中（部门名称或编码有误，或该部门未提交），未使用：", err=True)
            for label in unmatched:
                click.echo(f"  {label}", err=True)
        if not send:
            if dry_run or resend:
                raise click.UsageError("--dry-run 和 --resend 需与 --send 一起使用")
            paths = write_drafts(outdir, messages, settings.smtp.get("sender"))
            click.echo(f"已生成 {len(paths)} 封邮件草稿：{outdir / 'mail'}", err=True)
            failed = [(m.name, m.problem) for m in messages if m.problem]
            if failed:
                click.echo(f"以下 {len(failed)} 个部门未生成草稿：", err=True)
                for name, reason in failed:
                    click.echo(f"  {name}：{reason}", err=True)
            if missing:
                click.echo(f"以下 {len(missing)} 个部门没有收件人地址，请在工作簿“电子邮箱”或 --roster 名单中补充：", err=True)
                for name in missing:
                    click.echo(f"  {name}", err=True)
            if failed:
                sys.exit(Exit.FINDINGS)
            return None
        bar = _Progress(quiet)
        bar.start("发送邮件", len(messages))
        try:
            report = send_all(outdir, messages, settings.smtp, resend=set(resend), dry_run=dry_run, progress=bar.step)
        finally:
            bar.close()
        return report


@main.command(context_settings=CONTEXT)
@help_option
@click.argument("outdir", type=PathType())
@click.option(
    "--roster",
    type=PathType(dir_okay=False),
    help="收件人名单（.xlsx 或 .csv：部门名称或部门编码、收件人、抄送），优先于工作簿中的电子邮箱",
)
@click.option("--send", is_flag=True, help="通过 SMTP 真正发送（默认只生成草稿 OUTDIR/mail/*.eml）")
@click.option("--dry-run", is_flag=True, help="与 --send 同用：只显示将要发送的邮件，不连接服务器")
@click.option("--resend", multiple=True, metavar="部门名称", help="即使已发送过也重新发送该部门；可重复")
@click.option(
    "--config",
    "config",
    type=PathType(dir_okay=False),
    help="设置文件（TOML），[smtp] 中填写 host、port、security、user、sender；密码用环境变量 PERFEVAL_SMTP_PASSWORD",
)
@click.option("-q", "--quiet", is_flag=True, help="不显示进度条")
def mail(outdir: Path, roster: Path | None, send: bool, dry_run: bool, resend: tuple[str, ...], config: Path | None, quiet: bool) -> None:
    """把评价结果（结果工作簿和 Word 报告）发给各部门：默认生成邮件草稿，--send 才发送，已发送的不会重发。

    退出码：0 全部完成；1 有部门未能发送（或没有收件人）；2 用法或设置错误；3 无法连接或登录邮件服务器（已停止发送），或另一个运行正在写入该文件夹。
    """
    from .mail import CannotSend, MailError
    from .publish import Busy

    settings = _settings(config, ())
    try:
        report = _mail(outdir, roster, send, dry_run, resend, settings, quiet)
    except CannotSend as exc:  # before MailError: it is one
        click.echo(f"错误：{exc}", err=True)
        sys.exit(Exit.CANNOT_RUN)
    except MailError as exc:
        raise click.UsageError(str(exc)) from None
    except Busy as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(Exit.CANNOT_RUN)
    if report is None:
        return
    for m in report.planned:
        names = "、".join(n for n, _ in m.attachments)
        click.echo(
            f"将发送：{m.name} → {', '.join(m.to)}{'（抄送 ' + ', '.join(m.cc) + '）' if m.cc else ''}；主题：{m.subject}；附件：{names}"
        )
    lines = [f"已发送 {len(report.sent)} 封，此前已发送而跳过 {len(report.skipped)} 封，失败 {len(report.failed)} 封"]
    if dry_run:
        lines = [f"演练：将发送 {len(report.planned)} 封，此前已发送 {len(report.skipped)} 封，无法发送 {len(report.failed)} 封"]
    for name, reason in report.failed:
        lines.append(f"  未发送：{name}：{reason}")
    click.echo("\n".join(lines), err=True)
    sys.exit(Exit.FINDINGS if report.failed else Exit.OK)


@main.command(context_settings=CONTEXT)
@help_option
@click.option("--json", "as_json", is_flag=True, help="以 JSON 打印")
@profile_option("连同这些表样文件中的表样一起列出（并检查它们）")
def profiles(as_json: bool, profile_files: tuple[Path, ...]) -> None:
    """列出 perfeval 认识的表样（工作簿的版式）：perfeval-v1 模板，和能直接读取的各地一表式自评表（财政部一表式、四川、重庆、天津式）。

    收件箱中的工作簿是其中一种一表式自评表时，perfeval 按该表样读取、核对和计分，总览的“表样”列注明是哪种；
    只能识别的表样（没有 [profile.form] 读取说明的）给出一条 S02 说明它是哪种表样，不计算得分。
    自己整理的表样写成同样格式的 TOML 文件（[[profile]]：id、name、signature 识别标签，可选 source、sheets，
    以及说明怎样读取的 [profile.form]，见 docs/profiles.md），用 --profile 文件 或设置文件的 [profiles] files 加入。
    """
    import json

    from .profiles import ProfileError, load_files
    from .profiles import profiles as known

    try:
        listed = known(load_files(profile_files))
    except ProfileError as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        rows = [
            {
                "id": p.id,
                "name": p.name,
                "source": p.source,
                "readable": p.readable,
                "sheets": list(p.sheets),
                "signature": list(p.signature),
                "form": None
                if p.form is None
                else {t: dict(getattr(p.form, t)) for t in ("info", "funds", "goal", "indicators", "conclusion")},
            }
            for p in listed
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    lines = []
    for p in listed:
        lines.append(f"{p.id}  {p.name}（{'可读取' if p.readable else '能识别，尚不能读取'}）")
        lines.append(f"    工作表：{'、'.join(p.sheets) if p.sheets else '一张表（前 3 张中标签最全的一张），名称不限'}")
        lines.append(f"    识别标签：{'、'.join(p.signature)}")
        if p.source:
            lines.append(f"    来源：{p.source}")
    click.echo("\n".join(lines))


@main.command(context_settings=CONTEXT)
@help_option
@click.argument("code", required=False, metavar="[代码]")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 打印（全部规则为列表，单条规则为对象）")
def rules(code: str | None, as_json: bool) -> None:
    """列出全部检查规则（代码、级别、标题，按族分组）；给出代码（如 F08）则显示该规则的说明、示例和修改方法。

    规划中的规则已有代码和含义，尚未检查；它们的代码同样可以在设置中关闭。完整目录见 docs/rules.md。
    """
    import json

    from . import catalogue

    cat = catalogue.load()
    if code is None:
        if as_json:
            click.echo(json.dumps([e.as_json(cat.family(e.family)) for e in cat.entries.values()], ensure_ascii=False, indent=2))
        else:
            click.echo(_rules_table(cat))
        return
    entry = catalogue.get(code)
    if entry is None:
        near = catalogue.suggest(code)
        hint = f"相近的规则：{'、'.join(f'{e.code}（{e.title}）' for e in near)}。" if near else ""
        click.echo(f"错误：没有检查代码“{code.strip()}”。{hint}运行 perfeval rules 查看全部规则。", err=True)
        sys.exit(Exit.USAGE)
    family = cat.family(entry.family)
    if as_json:
        click.echo(json.dumps(entry.as_json(family), ensure_ascii=False, indent=2))
        return
    lines = [
        f"{entry.code}  {entry.title}",
        f"级别：{entry.severity.value}    族：{family.letter} {family.name}（{family.scope}）    状态：{entry.status}",
    ]
    if not entry.implemented:
        lines.append("（规划中：代码和含义已确定，尚未检查；示例给出的说明为拟定写法）")
    said = "给出的说明" if entry.implemented else "拟定的说明"
    for heading, text in (("检查内容", entry.explanation), ("示例", entry.example), (said, entry.message), ("修改方法", entry.fix)):
        lines += ["", f"{heading}：", f"  {text}"]
    click.echo("\n".join(lines))


def _rules_table(cat) -> str:
    lines = []
    for family, entries in cat.by_family():
        lines.append(f"{family.letter} {family.name}")
        lines += [f"  {e.code}  {e.severity.value}  {e.title}{'' if e.implemented else '（规划中）'}" for e in entries]
        lines.append("")
    planned = sum(1 for e in cat.entries.values() if not e.implemented)
    lines.append(f"共 {len(cat.entries)} 条：已实现 {len(cat.entries) - planned} 条，规划中 {planned} 条。")
    lines.append("perfeval rules 代码（如 perfeval rules F08）显示某条规则的说明、示例和修改方法。")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    main()
