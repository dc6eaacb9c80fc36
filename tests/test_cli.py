from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from perfeval import __version__
from perfeval.cli import main

from .conftest import CLEAN_FILE, INBOX, ROOT, SEED_FILE


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_version():
    r = run("--version")
    assert r.exit_code == 0 and r.output.strip() == f"perfeval {__version__}"


def test_python_dash_m():
    r = subprocess.run([sys.executable, "-m", "perfeval", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and __version__ in r.stdout


def test_the_command_process_keeps_its_exit_code_and_output(tmp_path):
    """`perfeval` ends with os._exit once a command is done (cli.run): the exit code, what it
    printed and every output must still all be there."""
    out = tmp_path / "out"
    r = subprocess.run(
        [sys.executable, "-m", "perfeval", "process", str(INBOX), "-o", str(out), "-q", "--no-reports", "--date", "2024-03-01"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1 and "部门：7 个" in r.stderr and r.stderr.rstrip().endswith("（7 个部门结果工作簿）")
    assert json.loads((out / "perfeval-results.json").read_text(encoding="utf-8"))["totals"]["departments"] == 7
    r = subprocess.run([sys.executable, "-m", "perfeval", "check", str(CLEAN_FILE)], capture_output=True, text=True)
    assert r.returncode == 0 and "未发现问题" in r.stdout
    r = subprocess.run([sys.executable, "-m", "perfeval", "process", str(tmp_path / "无此文件夹")], capture_output=True, text=True)
    assert r.returncode == 2 and "收件箱文件夹不存在" in r.stderr


@pytest.mark.parametrize(
    ("raised", "code", "stderr"),
    [
        (None, 0, ""),
        (3, 3, ""),
        ("出错了", 1, "出错了\n"),
        (KeyboardInterrupt(), 130, "已中断。\n"),
        (click.UsageError("用法不对"), 2, "错误：用法不对\n"),
    ],
)
def test_run_turns_every_exit_into_the_process_exit_code(monkeypatch, capsys, raised, code, stderr):
    import perfeval.cli as cli

    class Exited(Exception):
        pass

    def fake_exit(status):
        raise Exited(status)

    def command(standalone_mode=True):
        if isinstance(raised, BaseException):
            raise raised
        sys.exit(raised)

    monkeypatch.setattr(cli, "main", command)
    monkeypatch.setattr(cli.os, "_exit", fake_exit)
    with pytest.raises(Exited) as exited:
        cli.run()
    assert exited.value.args == (code,) and capsys.readouterr().err == stderr


def _commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, prefix + (name,))


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_every_command_and_option_has_chinese_help():
    assert _has_chinese(main.help or "")
    for path, cmd in _commands(main):
        assert cmd.help and _has_chinese(cmd.help), path
        for p in cmd.params:
            if isinstance(p, click.Option) and not p.hidden:
                assert p.help and _has_chinese(p.help), (path, p.name)
        r = run(*path, "--help")
        assert r.exit_code == 0 and _has_chinese(r.output)
        assert "Show this message" not in r.output


def test_process_writes_outputs_and_exits_1_on_errors(tmp_path):
    r = run("process", str(INBOX), "-o", str(tmp_path / "out"), "--date", "2024-03-01")
    assert r.exit_code == 1
    assert (tmp_path / "out" / "绩效评价汇总.xlsx").exists() and (tmp_path / "out" / "findings.csv").exists()
    assert "部门：7 个" in r.output and "错误" in r.output


def test_process_exit_0_without_errors_and_strict(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / CLEAN_FILE.name).write_bytes(CLEAN_FILE.read_bytes())
    assert run("process", str(inbox), "-q").exit_code == 0
    assert (tmp_path / "perfeval-output" / "绩效评价汇总.xlsx").exists(), "default OUTDIR is beside the inbox"
    (inbox / SEED_FILE.name).write_bytes(SEED_FILE.read_bytes())
    assert run("process", str(inbox), "-q").exit_code == 0, "the seed has warnings only"
    assert run("process", str(inbox), "-q", "--strict").exit_code == 1


def test_process_json(tmp_path):
    r = CliRunner().invoke(main, ["process", str(INBOX), "-o", str(tmp_path), "--json", "-q"])
    data = json.loads(r.stdout)
    assert data["totals"]["departments"] == 7
    seed = next(d for d in data["departments"] if d["name"] == "兰州新区科技发展局")
    assert seed["total_score"] == 91 and seed["grade"] == "优" and seed["execution_rate"] == 1.0
    assert {f["code"] for f in data["findings"] if f["department"] == "兰州新区科技发展局"} >= {"F04", "F08", "F13", "G01"}


def test_usage_errors_exit_2(tmp_path):
    r = run("process", str(tmp_path / "missing"))
    assert r.exit_code == 2 and "收件箱文件夹不存在" in r.output
    r = run("check", str(tmp_path / "missing.xlsx"))
    assert r.exit_code == 2 and "文件不存在" in r.output
    assert run("check").exit_code == 2
    assert run("frobnicate").exit_code == 2
    bad = tmp_path / "bad.toml"
    bad.write_text("colour = 'blue'\n", encoding="utf-8")
    r = run("process", str(INBOX), "-o", str(tmp_path / "o"), "--config", str(bad))
    assert r.exit_code == 2 and "未知设置项" in r.output
    assert run("check", str(SEED_FILE), "--disable", "Z99").exit_code == 2


def test_unwritable_outdir_exits_3(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = run("process", str(INBOX), "-o", str(blocker / "out"), "-q")
    assert r.exit_code == 3 and "无法写入" in r.output


def test_check_prints_a_table_and_writes_nothing(tmp_path):
    before = sorted(p.name for p in INBOX.parent.iterdir())
    r = run("check", str(SEED_FILE))
    assert r.exit_code == 0
    assert "资金情况!C5" in r.output and "F04" in r.output and "G01" in r.output
    assert "评价得分 91，等级 优" in r.output
    assert sorted(p.name for p in INBOX.parent.iterdir()) == before
    r = run("check", str(CLEAN_FILE))
    assert r.exit_code == 0 and "未发现问题" in r.output


def test_check_exit_codes_and_json():
    bad = INBOX / "03_兰州新区农业农村局.xlsx"
    assert run("check", str(bad)).exit_code == 1
    r = CliRunner().invoke(main, ["check", str(bad), "--json"])
    assert {f["code"] for f in json.loads(r.stdout)["findings"]} >= {"F01", "F02", "F03"}


def test_settings_file_disables_codes_and_moves_grades(tmp_path):
    cfg = tmp_path / "s.toml"
    cfg.write_text('disable = ["F04", "G01"]\n[grades]\n"优" = 95\ngood = 85\n"中" = 60\n', encoding="utf-8")
    r = CliRunner().invoke(main, ["check", str(SEED_FILE), "--json", "--config", str(cfg)])
    data = json.loads(r.stdout)
    codes = {f["code"] for f in data["findings"]}
    assert "F04" not in codes and "G01" not in codes and "F08" in codes
    assert data["departments"][0]["grade"] == "良"


def test_thresholds_in_percent_or_fraction(tmp_path):
    from perfeval.config import load_settings

    a = tmp_path / "a.toml"
    a.write_text("[thresholds]\nexecution_rate_min = 80\n", encoding="utf-8")
    b = tmp_path / "b.toml"
    b.write_text("[thresholds]\nexecution_rate_min = 0.8\n", encoding="utf-8")
    assert load_settings(a).execution_rate_min == pytest.approx(0.8) == load_settings(b).execution_rate_min


def test_template_command(tmp_path):
    r = run("template", "-o", str(tmp_path / "t.xlsx"))
    assert r.exit_code == 0 and (tmp_path / "t.xlsx").exists()


def test_template_report_exports_the_report_template_to_restyle(tmp_path):
    """The exported copy is the package's own template, and works as --report-template."""
    from perfeval.outputs.report import default_template_bytes

    target = tmp_path / "我的模板.docx"
    r = run("template", "--report", "-o", str(target))
    assert r.exit_code == 0 and target.read_bytes() == default_template_bytes()
    r = run("process", str(INBOX), "-o", str(tmp_path / "out"), "-q", "--report-template", str(target))
    assert r.exit_code == 1 and len(list((tmp_path / "out" / "reports").glob("*.docx"))) == len(list(INBOX.glob("*.xlsx")))


def test_empty_inbox(tmp_path):
    inbox = tmp_path / "empty"
    inbox.mkdir()
    r = run("process", str(inbox), "-o", str(tmp_path / "out"))
    assert r.exit_code == 0 and "没有可处理的工作簿" in r.output


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0].strip() for b in readme.split("```bash")[1:3]]
    assert "perfeval process samples/inbox" in blocks[0]
    assert blocks[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_no_click_or_pandas_in_stages():
    for path in (ROOT / "perfeval").rglob("*.py"):
        if path.name in ("cli.py", "clikit.py", "history_cmd.py"):  # the command line, its words, and a command of its own
            continue
        text = path.read_text(encoding="utf-8")
        assert "import click" not in text, path


def test_readme_settings_example_loads(tmp_path):
    from perfeval.config import load_settings

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [block.split("```", 1)[0] for block in readme.split("```toml")[1:]]
    examples = [b for b in blocks if not b.lstrip().startswith("[[profile]]")]
    assert len(examples) == 2
    for i, example in enumerate(examples):
        path = tmp_path / f"example{i}.toml"
        path.write_text(example, encoding="utf-8")
        s = load_settings(path)
        if "disable" in example:
            assert s.disabled == {"C09", "G03"} and s.grade_excellent == 90 and s.execution_rate_min == pytest.approx(0.9)
        else:
            assert s.smtp["security"] == "starttls" and s.smtp["port"] == 587


def test_readme_profile_example_loads(tmp_path):
    from perfeval.profiles import load_file

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (example,) = [b.split("```", 1)[0] for b in readme.split("```toml")[1:] if b.lstrip().startswith("[[profile]]")]
    path = tmp_path / "p.toml"
    path.write_text(example, encoding="utf-8")
    (profile,) = load_file(path)
    assert profile.id == "gansu" and len(profile.signature) == 6 and not profile.readable


def test_rounded_rate_tolerance_is_a_setting(tmp_path, make_workbook):
    from perfeval.config import load_settings
    from perfeval.pipeline import analyze

    from .conftest import clean_spec

    spec = clean_spec()
    spec["资金情况"]["fields"]["报告预算执行率"] = "97%"  # computed 97.99%: 0.99 points off
    path = make_workbook(spec)
    assert "F08" in {f.code for f in analyze([(path, path.name)], load_settings())[1]}
    cfg = tmp_path / "s.toml"
    cfg.write_text("[tolerances]\nrounded_rate = 0.01\n", encoding="utf-8")
    assert "F08" not in {f.code for f in analyze([(path, path.name)], load_settings(cfg))[1]}


def test_a_settings_error_names_the_file_its_source_and_the_key_meant(tmp_path, monkeypatch):
    cfg = tmp_path / "设置.toml"
    cfg.write_text("[thresholds]\nexecuton_rate_min = 0.8\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["check", str(CLEAN_FILE), "--config", str(cfg)])
    assert r.exit_code == 2 and f"设置文件 {cfg}（由 --config 指定）" in r.output
    assert "thresholds.executon_rate_min，您是不是要写 thresholds.execution_rate_min？" in r.output
    monkeypatch.setenv("PERFEVAL_CONFIG", str(cfg))
    r = CliRunner().invoke(main, ["check", str(CLEAN_FILE)])
    assert r.exit_code == 2 and "由 环境变量 PERFEVAL_CONFIG 指定" in r.output
    cfg.write_text("[thresholds\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["check", str(CLEAN_FILE), "--config", str(cfg)])
    assert r.exit_code == 2 and "TOML 格式错误（第 1 行" in r.output and "Expected" not in r.output


def test_the_report_organization_comes_from_the_settings_file(tmp_path):
    from perfeval.config import SettingsError, load_settings

    cfg = tmp_path / "设置.toml"
    cfg.write_text('[report]\norganization = " 甘肃某某绩效评价有限公司 "\n', encoding="utf-8")
    assert load_settings(cfg).organization == "甘肃某某绩效评价有限公司"
    cfg.write_text("[report]\norganisation = 1\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="您是不是要写 report.organization"):
        load_settings(cfg)
    cfg.write_text("[report]\norganization = 1\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="应为文字"):
        load_settings(cfg)
