"""docs/ against the code it documents, the rule catalogue against the registry, `perfeval rules`."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from perfeval import catalogue
from perfeval.checks import RULES
from perfeval.cli import main
from perfeval.config import SettingsError, load_settings

from .conftest import ROOT

DOCS = ROOT / "docs"
REGENERATE = "run `.venv/bin/python docs/generate.py` to regenerate it"

# Every code the catalogue v1 defines: a code is never removed, reused or renumbered.
CATALOGUE_V1 = {
    f"{family}{n:02d}" for family, last in (("S", 8), ("F", 15), ("G", 7), ("W", 9), ("C", 9), ("B", 3)) for n in range(1, last + 1)
}


def _generator():
    spec = importlib.util.spec_from_file_location("docs_generate", DOCS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generate():
    return _generator()


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# --- the docs are what the code makes ------------------------------------------------------------


def test_rules_md_is_generated_from_the_catalogue(generate):
    assert (DOCS / "rules.md").read_text(encoding="utf-8") == generate.render_rules(), f"docs/rules.md is stale: {REGENERATE}"


def test_contract_md_tables_are_generated_from_the_schema(generate):
    text = (DOCS / "contract.md").read_text(encoding="utf-8")
    assert generate.update_contract(text) == text, f"the generated tables of docs/contract.md are stale: {REGENERATE}"


def test_contract_md_has_every_generated_block_once(generate):
    text = (DOCS / "contract.md").read_text(encoding="utf-8")
    for name in generate.CONTRACT_PARTS:
        assert text.count(f"<!-- BEGIN GENERATED {name}:") == 1 and text.count(f"<!-- END GENERATED {name} -->") == 1, name
    with pytest.raises(ValueError, match="missing"):
        generate.update_contract(text.replace("<!-- END GENERATED grades -->", ""))


def test_the_generator_check_mode_agrees(generate):
    r = subprocess.run([sys.executable, str(DOCS / "generate.py"), "--check"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr


def test_contract_md_shows_every_label_of_the_schema():
    from perfeval import schema as S

    text = (DOCS / "contract.md").read_text(encoding="utf-8")
    fields = S.INFO_FIELDS + S.FUNDS_FIELDS + S.CONCLUSION_FIELDS
    tables = (S.FUNDS_TABLE, S.GOALS_TABLE, S.SCORES_TABLE, S.ITEMS_TABLE, S.ANALYSIS_TABLE)
    for f in fields + tuple(c for t in tables for c in t.columns):
        assert f"| {f.label} |" in text, f.label
    for label in S.CONTRACT_SHEETS + S.FUNDS_ROWS:
        assert f"`{label}`" in text, label


def test_every_code_of_the_catalogue_is_in_rules_md():
    text = (DOCS / "rules.md").read_text(encoding="utf-8")
    for entry in catalogue.load().entries.values():
        assert f"\n### {entry.code} " in text and f"\n| {entry.code} | {entry.severity.value} |" in text, entry.code
        assert ("| 规划中 |" in text.split(f"| {entry.code} |", 1)[1].split("\n", 1)[0]) is not entry.implemented, entry.code


def test_docs_readme_links_resolve():
    text = (DOCS / "README.md").read_text(encoding="utf-8")
    for name in ("contract.md", "rules.md", "perfeval-v1.xlsx", "seed-report.txt", "generate.py"):
        assert f"]({name})" in text and (DOCS / name).is_file(), name


def test_seed_report_is_in_the_repository():
    text = (DOCS / "seed-report.txt").read_text(encoding="utf-8")
    assert text.startswith("兰州新区科技发展局2023年度") and "12609.43" in text and "157.7%" in text


# --- the catalogue and the registry agree ------------------------------------------------------


def test_the_catalogue_keeps_every_code_of_v1():
    assert CATALOGUE_V1 <= set(catalogue.load().entries)


def test_every_registered_rule_is_in_the_catalogue_as_registered():
    entries = catalogue.load().entries
    for code, rule in RULES.items():
        entry = entries.get(code)
        assert entry is not None, f"{code} is registered but not in perfeval/data/rules.toml"
        assert entry.severity is rule.severity, code
        assert entry.title == rule.title, f"{code}: the catalogue's title must be the first line of {rule.func.__name__}'s docstring"
        assert entry.implemented, f"{code} is registered: set it implemented in perfeval/data/rules.toml"


def test_every_implemented_entry_is_registered():
    planned = {e.code for e in catalogue.load().entries.values() if not e.implemented}
    assert {e.code for e in catalogue.load().entries.values() if e.implemented} == set(RULES)
    assert not planned & set(RULES)


def test_the_catalogue_file_is_checked_when_read():
    text = (ROOT / "perfeval" / "data" / "rules.toml").read_text(encoding="utf-8")
    assert len(catalogue.parse(text).entries) == len(catalogue.load().entries)
    with pytest.raises(ValueError, match="twice"):
        catalogue.parse(text.replace('code = "F02"', 'code = "F01"'))
    with pytest.raises(ValueError, match="family"):
        catalogue.parse(text.replace('code = "F02"', 'code = "X02"'))
    with pytest.raises(ValueError, match="unknown keys"):
        catalogue.parse(text.replace('code = "F02"', 'code = "F02"\ncolour = "blue"'))
    with pytest.raises(ValueError):
        catalogue.parse(text.replace('severity = "警告"', 'severity = "严重"', 1))


def test_codes_are_normalized_and_unknown_ones_get_suggestions():
    assert catalogue.normalize(" f8 ") == "F08" and catalogue.get("w7").code == "W07"
    assert catalogue.get("F17") is None and catalogue.get("") is None
    assert [e.code for e in catalogue.suggest("F17")] == ["F16", "F15", "F14"]
    assert {e.code for e in catalogue.suggest("结余")} == {"F03", "F13"}


# --- settings ------------------------------------------------------------------------------------


def test_settings_accept_every_catalogue_code_and_refuse_an_unknown_one(tmp_path):
    assert "W09" in load_settings(disable=("w09",)).disabled
    cfg = tmp_path / "s.toml"
    cfg.write_text('disable = ["F14", "C09"]\n', encoding="utf-8")
    assert load_settings(cfg).disabled == {"F14", "C09"}
    with pytest.raises(SettingsError, match="Z99"):
        load_settings(disable=("Z99",))
    with pytest.raises(SettingsError, match="W09"):
        load_settings(disable=("W09",), known_codes=set(RULES) - {"W09"})  # the caller's own list still wins


def test_the_command_line_accepts_disabling_a_planned_code():
    from .conftest import SEED_FILE

    r = run("check", str(SEED_FILE), "--json", "--disable", "F15", "--disable", "F04")
    assert r.exit_code == 0
    assert "F04" not in {f["code"] for f in json.loads(r.stdout)["findings"]}
    assert run("check", str(SEED_FILE), "--disable", "F17").exit_code == 2


# --- perfeval rules ------------------------------------------------------------------------------


def test_rules_lists_every_rule_by_family():
    r = run("rules")
    assert r.exit_code == 0
    for heading in ("S 结构与输入", "F 资金", "G 绩效目标", "W 指标评分", "C 评价结论", "B 批次"):
        assert f"\n{heading}\n" in f"\n{r.output}", heading
    lines = r.output.splitlines()
    for entry in catalogue.load().entries.values():
        line = next(x for x in lines if x.strip().startswith(entry.code + " "))
        assert entry.severity.value in line and entry.title in line
        assert ("规划中" in line) is not entry.implemented, line
    assert lines.index("F 资金") < next(i for i, x in enumerate(lines) if x.strip().startswith("F01 "))


def test_rules_code_explains_one_rule():
    r = run("rules", "F08")
    assert r.exit_code == 0
    entry = catalogue.get("F08")
    for part in (entry.title, "级别：警告", entry.explanation, entry.example, entry.message, entry.fix, "已实现"):
        assert part in r.output, part
    assert run("rules", "f8").output == r.output
    for entry in [e for e in catalogue.load().entries.values() if not e.implemented][:1]:  # none today
        planned = run("rules", entry.code)
        assert planned.exit_code == 0 and "规划中" in planned.output


def test_rules_json():
    r = run("rules", "--json")
    assert r.exit_code == 0
    data = json.loads(r.output)
    assert [d["code"] for d in data] == list(catalogue.load().entries)
    assert {d["code"] for d in data if not d["implemented"]} == {"F14", "F15", "W07", "W08", "W09"} - set(RULES)
    one = json.loads(run("rules", "F08", "--json").output)
    assert one["code"] == "F08" and one["severity"] == "警告" and one["family_name"] == "资金" and one["implemented"] is True
    assert set(one) == set(data[0])


def test_rules_unknown_code_exits_2_and_suggests():
    r = run("rules", "F17")
    assert r.exit_code == 2
    assert "F17" in r.output and "F16" in r.output and "perfeval rules" in r.output
    r = run("rules", "结余", "--json")
    assert r.exit_code == 2 and "F13" in r.output


HEAVY = ("xlsxwriter", "python_calamine", "docx", "docxtpl", "openpyxl")

# Runs `perfeval rules` three ways in a fresh interpreter and prints, on stderr, the HEAVY
# libraries loaded once perfeval.cli is imported and once the commands have run.
RULES_SCRIPT = """
import sys
heavy = set({heavy!r})
loaded = lambda: sorted({{m.split('.')[0] for m in sys.modules}} & heavy)
from perfeval.cli import main
print('PACKAGE', loaded(), file=sys.stderr)
for args in (['rules'], ['rules', 'F08'], ['rules', '--json']):
    try:
        main(args)
    except SystemExit as exc:
        assert exc.code in (0, None), exc.code
print('RULES', loaded(), file=sys.stderr)
"""


def test_rules_command_imports_neither_readers_nor_writers():
    """`perfeval rules` needs the catalogue only: no workbook or document library, neither
    for the command nor for importing the package and its command line."""
    script = RULES_SCRIPT.format(heavy=HEAVY)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    loaded = dict(line.split(" ", 1) for line in r.stderr.splitlines() if line.startswith(("PACKAGE ", "RULES ")))
    assert loaded == {"PACKAGE": "[]", "RULES": "[]"}


def test_links_in_the_readme_and_docs_resolve_inside_the_repository():
    """A fresh clone holds everything the README and docs/ point to."""
    import re

    root = ROOT.resolve()
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        targets = re.findall(r"\]\(([^)\s]+)\)", text)
        for target in targets:
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = (page.parent / target.split("#", 1)[0]).resolve()
            assert path.is_relative_to(root), f"{page.name} links outside the repository: {target}"
            assert path.exists(), f"{page.name} links to a missing file: {target}"
        assert "../shared" not in text, page.name
