"""The 分析 sheet's tables (perfeval.analysis): 雷同文字, 得分与执行率不相称, 一级指标得分率分布,
on the shipped samples and on departments made from them, each rule with its near miss."""

from __future__ import annotations

import dataclasses
import math
import statistics
import subprocess
import sys
from datetime import date

import pytest

from perfeval.analysis import SIMILAR_ROWS, AnalysisTable, analysis_tables
from perfeval.config import Settings
from perfeval.model import Department, Status
from perfeval.pipeline import analyze
from perfeval.results import RunResult
from perfeval.values import comparable_text, normalize_label

from .conftest import INBOX, ROOT

RUN_DATE = date(2024, 3, 1)


@pytest.fixture(scope="module")
def samples() -> tuple[list[Department], list]:
    return analyze([(p, p.name) for p in sorted(INBOX.glob("*.xlsx"))], Settings())


def tables(deps: list[Department], findings: list | None = None) -> dict[str, AnalysisTable]:
    made = analysis_tables(RunResult(None, RUN_DATE, deps, [], findings or []))
    return {t.title: t for t in made}


SIMILAR, MISMATCH, SPREAD = "一、雷同文字", "二、得分与执行率不相称", "三、一级指标得分率分布"


def base(samples: tuple[list[Department], list]) -> Department:
    """An accepted sample department with a score, rates and 一级指标: the model for the made ones."""
    deps, _ = samples
    return next(d for d in deps if d.status is Status.ACCEPTED and d.execution_rate is not None and d.grade == "优")


def make(d: Department, i: int, **changes) -> Department:
    """A copy of `d` as another department: its own name and file (files sort by `i`)."""
    name = changes.pop("name", f"测试部门{i:02d}")
    return dataclasses.replace(d, name=name, data=dataclasses.replace(d.data, file=f"{i:02d}_{name}.xlsx"), **changes)


def assert_plain(table: AnalysisTable) -> None:
    """Every value a plain str, int, float or None: never NaN, never a numpy scalar."""
    for row in table.rows:
        assert len(row) == len(table.columns)
        for value in row:
            assert value is None or type(value) in (str, int, float), (table.title, row)
            assert not (isinstance(value, float) and math.isnan(value)), (table.title, row)


# --- the samples ---------------------------------------------------------------------------


def test_the_tables_come_in_order_with_chinese_labels(samples):
    made = analysis_tables(RunResult(None, RUN_DATE, samples[0], [], samples[1]))
    assert [t.title for t in made] == [SIMILAR, MISMATCH, SPREAD]
    assert [c.header for c in made[0].columns] == ["类别", "文字（示例）", "部门数", "部门"]
    assert [c.header for c in made[1].columns] == ["部门名称", "评价得分", "预算执行率", "资金到位率", "说明"]
    assert [c.header for c in made[2].columns] == ["一级指标", "部门数", "平均", "最低", "下四分位", "中位数", "上四分位", "最高"]
    for t in made:
        assert t.note and t.empty and t.note.endswith("。")
        assert {c.kind for c in t.columns} <= {"text", "number", "rate", "integer"}
        assert all(c.width > 0 for c in t.columns)
        assert_plain(t)


def copying(deps: list[Department]) -> list[Department]:
    """The samples (whose texts are each their own), where three departments copy the clean
    department's 存在问题 (one with its figures and punctuation changed, one with its own name
    in it) and two share a short phrase."""
    clean = next(d for d in deps if d.file.startswith("02_"))
    problem = clean.texts[0]
    out = []
    for d in deps:
        if d.file.startswith(("03_", "05_")):
            d = dataclasses.replace(d, texts=(*d.texts, problem))
        elif d.file.startswith("07_"):
            d = dataclasses.replace(
                d, texts=(*d.texts, ("存在问题", f"{d.name}预算执行进度前松后紧；第四季度支出占比偏高！", "评价结论", 12, 2))
            )
        if d.file.startswith(("03_", "04_")):
            d = dataclasses.replace(d, texts=(*d.texts, ("存在问题", "部分绩效指标未量化", "评价结论", 13, 2)))
        out.append(d)
    return out


def test_shared_texts_are_grouped(samples):
    """The groups are those the texts make: every text at least COMPARABLE_MIN long after
    comparable_text, typed by two or more departments."""
    deps = copying(samples[0])
    by_file = sorted(deps, key=lambda d: d.file)
    expected: dict[str, list[Department]] = {}
    for d in by_file:
        for _, content, *_ in d.texts:
            key = comparable_text(content, (d.name,))
            if key and d not in expected.setdefault(key, []):
                expected[key].append(d)
    shared = {key: ds for key, ds in expected.items() if len(ds) >= 2}
    assert len(shared) == 1 and len(next(iter(shared.values()))) == 4, "02 and the three copies of it"
    assert not [r for r in tables(samples[0])[SIMILAR].rows], "the samples as shipped: each department's own words"
    rows = tables(deps)[SIMILAR].rows
    assert len(rows) == len(shared)
    for category, text, count, names in rows:
        ds = shared[comparable_text(text)]
        first = next(t for t in ds[0].texts if comparable_text(t[1], (ds[0].name,)) == comparable_text(text))
        assert (category, text) == (first[0], first[1]), "the first department's (by file) own words"
        assert count == len(ds) and names == "、".join(d.name for d in ds)
    counts = [r[2] for r in rows]
    assert counts == sorted(counts, reverse=True)
    assert [r[1] for r in rows if r[2] == counts[0]] == sorted(r[1] for r in rows if r[2] == counts[0])


def test_a_short_shared_text_is_not_listed(samples):
    """“部分绩效指标未量化” is in several departments, but says too little to be a copy."""
    deps = copying(samples[0])
    short = [d for d in deps if any(t[1] == "部分绩效指标未量化" for t in d.texts)]
    assert len(short) >= 2 and comparable_text("部分绩效指标未量化") == ""
    assert all(r[1] != "部分绩效指标未量化" for r in tables(deps)[SIMILAR].rows)


def test_the_samples_mismatches(samples):
    """Among the samples, the 可受理/待补正 departments graded 优 with a 执行率 below 90%, and
    nothing else (fewer than 8 departments: no interquartile test)."""
    deps, _ = samples
    expected = sorted(
        (
            d
            for d in deps
            if d.status in (Status.ACCEPTED, Status.PENDING)
            and d.total_score is not None
            and d.execution_rate is not None
            and (d.grade == "优" or d.total_score >= 90)
            and d.execution_rate < 0.9
        ),
        key=lambda d: d.file,
    )
    assert expected, "a sample is graded 优 with a low 执行率"
    table = tables(deps)[MISMATCH]
    assert [r[0] for r in table.rows] == [d.name for d in expected]
    for row, d in zip(table.rows, expected, strict=True):
        assert row[1:4] == (d.total_score, d.execution_rate, d.arrival_rate)
        assert row[4] == f"得分 {d.total_score:g}（优）而预算执行率仅 {d.execution_rate * 100:.2f}%"
    assert "未作此项判断" in table.note
    unscored = [d.name for d in deps if d.status is Status.UNSCORED]
    assert unscored and not set(unscored) & {r[0] for r in table.rows}


def test_the_samples_level1_spread(samples):
    """Each 一级指标 of the 可受理 samples: count, mean, min, quartiles (linear), max."""
    deps, _ = samples
    accepted = [d for d in deps if d.status is Status.ACCEPTED]
    assert 2 <= len(accepted) < len(deps), "the samples hold other statuses too"
    rows = tables(deps)[SPREAD].rows
    names = list(dict.fromkeys(x.name for d in sorted(accepted, key=lambda d: d.file) for x in d.level1))
    assert [r[0] for r in rows] == names
    for row in rows:
        rates = [x.rate for d in accepted for x in d.level1 if normalize_label(x.name) == normalize_label(row[0])]
        q1, q2, q3 = statistics.quantiles(rates, n=4, method="inclusive")
        expected = (len(rates), statistics.fmean(rates), min(rates), q1, q2, q3, max(rates))
        assert row[1] == expected[0]
        assert row[2:] == pytest.approx(expected[1:])


# --- 雷同文字: near misses ---------------------------------------------------------------------


def with_texts(d: Department, i: int, *texts: str, category: str = "存在问题", **changes) -> Department:
    return make(d, i, texts=tuple((category, t, "评价结论", 7 + k, 2) for k, t in enumerate(texts)), **changes)


def test_texts_that_differ_in_substance_are_not_grouped(samples):
    d = base(samples)
    deps = [
        with_texts(d, 1, "本级项目预算执行率不高，主要是年初预算目标设定超实际预期值"),
        with_texts(d, 2, "本级项目绩效目标设置不明确，主要是年初预算目标设定超实际预期值"),
    ]
    t = tables(deps)[SIMILAR]
    assert t.rows == () and t.empty == "未发现雷同文字"


def test_texts_that_differ_in_digits_punctuation_and_own_name_are_grouped(samples):
    d = base(samples)
    deps = [
        with_texts(d, 2, "兰州新区乙局2023年本级项目预算执行率65.6%，执行率不高。", name="兰州新区乙局"),
        with_texts(d, 1, "兰州新区甲局 2022 年本级项目预算执行率 70%, 执行率不高", name="兰州新区甲局"),
        with_texts(d, 3, "兰州新区丙局本级项目预算执行率不高", name="兰州新区丙局"),  # one phrase fewer
    ]
    (row,) = tables(deps)[SIMILAR].rows
    assert row == ("存在问题", "兰州新区甲局 2022 年本级项目预算执行率 70%, 执行率不高", 2, "兰州新区甲局、兰州新区乙局")


def test_one_department_repeating_a_text_is_not_a_copy(samples):
    d = base(samples)
    deps = [with_texts(d, 1, "预算执行进度前松后紧，第四季度支出占比偏高", "预算执行进度前松后紧；第四季度支出占比偏高。")]
    deps.append(with_texts(d, 2, "加强预算执行进度管理，均衡全年支出进度"))
    assert tables(deps)[SIMILAR].rows == ()
    deps.append(with_texts(d, 3, "预算执行进度前松后紧、第四季度支出占比偏高", category="相关建议"))
    (row,) = tables(deps)[SIMILAR].rows
    assert row[0] == "存在问题" and row[2] == 2, "counted by department, the first one's category"


def test_the_shared_texts_are_capped(samples):
    d = base(samples)
    texts = [
        f"第{'一二三四五六七八九十'[k % 10]}项问题{'甲乙丙丁戊己庚辛壬癸'[k // 10 % 10]}{'子丑寅卯辰巳午未申酉'[k // 100]}类未整改到位"
        for k in range(SIMILAR_ROWS + 3)
    ]
    assert len({comparable_text(t) for t in texts}) == len(texts)
    t = tables([with_texts(d, 1, *texts), with_texts(d, 2, *texts)])[SIMILAR]
    assert len(t.rows) == SIMILAR_ROWS and f"共 {SIMILAR_ROWS + 3} 组" in t.note and "另有 3 组未列出" in t.note
    assert [r[1] for r in t.rows] == sorted(texts)[:SIMILAR_ROWS]


# --- 得分与执行率不相称: near misses -------------------------------------------------------------


def test_a_high_score_at_the_execution_line_is_not_listed(samples):
    d = base(samples)
    deps = [make(d, 1, execution_rate=0.9), make(d, 2, execution_rate=0.8999), make(d, 3, execution_rate=0.97)]
    rows = tables(deps)[MISMATCH].rows
    assert [r[0] for r in rows] == ["测试部门02"]
    assert rows[0][4] == f"得分 {d.total_score:g}（优）而预算执行率仅 89.99%"


def test_a_score_of_90_counts_as_high_without_the_grade(samples):
    d = base(samples)
    deps = [
        make(d, 1, total_score=90.0, grade="", execution_rate=0.85),
        make(d, 2, total_score=89.9, grade="良", execution_rate=0.5),
    ]
    rows = tables(deps)[MISMATCH].rows
    assert rows == (("测试部门01", 90.0, 0.85, d.arrival_rate, "得分 90 而预算执行率仅 85.00%"),)


def test_a_low_score_with_a_high_execution_rate(samples):
    d = base(samples)
    deps = [
        make(d, 1, total_score=59.5, grade="差", execution_rate=0.95),
        make(d, 2, total_score=59.5, grade="差", execution_rate=0.9499),
        make(d, 3, total_score=60.0, grade="中", execution_rate=1.0),
    ]
    rows = tables(deps)[MISMATCH].rows
    assert [(r[0], r[4]) for r in rows] == [("测试部门01", "得分 59.5（差）而预算执行率达 95.00%")]


def test_pending_departments_count_and_unscored_do_not(samples):
    d = base(samples)
    deps = [
        make(d, 1, status=Status.PENDING, execution_rate=0.5),
        make(d, 2, status=Status.UNSCORED, execution_rate=0.5),
        make(d, 3, status=Status.UNSCORED, total_score=None, grade="", execution_rate=0.5),
    ]
    assert [r[0] for r in tables(deps)[MISMATCH].rows] == ["测试部门01"]


def batch(d: Department, rates: list[float | None], scores: list[float] | None = None) -> list[Department]:
    scores = scores or [85.0] * len(rates)
    return [make(d, i, execution_rate=r, total_score=s, grade="良") for i, (r, s) in enumerate(zip(rates, scores, strict=True))]


def test_outliers_of_a_batch_of_eight(samples):
    d = base(samples)
    rates = [0.91, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 1.577]
    q1, _, q3 = statistics.quantiles(rates, n=4, method="inclusive")
    high = q3 + 1.5 * (q3 - q1)
    t = tables(batch(d, rates))[MISMATCH]
    assert [(r[0], r[2], r[4]) for r in t.rows] == [
        ("测试部门07", 1.577, f"预算执行率 157.70% 高于本批次的上限 {high * 100:.2f}%（四分位距法）")
    ]
    assert "未作" not in t.note and "只判断" not in t.note


def test_no_outliers_from_seven(samples):
    d = base(samples)
    t = tables(batch(d, [0.91, 0.92, 0.93, 0.94, 0.95, 0.96, 1.577]))[MISMATCH]
    assert t.rows == () and t.empty == "未发现得分与执行率不相称的部门"


def test_a_low_score_outlier_and_both_reasons(samples):
    d = base(samples)
    scores = [80.0, 81.0, 82.0, 83.0, 84.0, 85.0, 86.0, 40.0]
    rates = [0.90, 0.91, 0.92, 0.93, 0.94, 0.95, 0.96, 0.99]
    q1, _, q3 = statistics.quantiles(scores, n=4, method="inclusive")
    low = q1 - 1.5 * (q3 - q1)
    deps = batch(d, rates, scores)
    deps[7] = dataclasses.replace(deps[7], grade="差")
    ((name, score, rate, _, said),) = tables(deps)[MISMATCH].rows
    assert (name, score, rate) == ("测试部门07", 40.0, 0.99)
    low_text = f"{low:.2f}".rstrip("0").rstrip(".")
    assert said == f"得分 40（差）而预算执行率达 99.00%；评价得分 40 低于本批次的下限 {low_text}（四分位距法）"


def test_unknown_rates_stay_unknown(samples):
    """A department with no 执行率 or 到位率: never judged on them, its cells None (not 0, not NaN),
    and the batch's 执行率 spread is left out where too few are known."""
    d = base(samples)
    scores = [80.0, 81.0, 82.0, 83.0, 84.0, 85.0, 86.0, 30.0]
    rates: list[float | None] = [0.90, 0.91, 0.92, 0.93, 0.94, 0.95, 0.96, None]
    deps = batch(d, rates, scores)
    deps[7] = dataclasses.replace(deps[7], arrival_rate=None, grade="优")
    t = tables(deps)[MISMATCH]
    ((name, score, rate, arrival, said),) = t.rows
    assert (name, score, rate, arrival) == ("测试部门07", 30.0, None, None)
    assert said.startswith("评价得分 30 低于本批次的下限") and "执行率" not in said
    assert "只判断了得分" in t.note
    for table in tables(deps).values():
        assert_plain(table)


# --- 一级指标得分率分布 --------------------------------------------------------------------------


def test_level1_names_match_as_labels_and_only_accepted_count(samples):
    d = base(samples)
    first = d.level1[0]
    spaced = [dataclasses.replace(first, name=" " + first.name + "（10分）", score=first.weight / 2), *d.level1[1:]]
    deps = [
        make(d, 2, level1=spaced),
        make(d, 1),
        make(d, 3, status=Status.PENDING, level1=[dataclasses.replace(first, score=0.0)]),
        make(d, 4, status=Status.UNSCORED, level1=[dataclasses.replace(x, score=None) for x in d.level1]),
    ]
    rows = tables(deps)[SPREAD].rows
    assert [r[0] for r in rows] == [x.name for x in d.level1], "named as first seen (by file)"
    rates = [first.rate, 0.5]  # by file: the 可受理 ones only
    q1, q2, q3 = statistics.quantiles(rates, n=4, method="inclusive")
    assert rows[0][1] == 2
    assert rows[0][2:] == pytest.approx((statistics.fmean(rates), min(rates), q1, q2, q3, max(rates)))
    assert all(r[1] == 2 for r in rows)


def test_an_indicator_without_any_rate(samples):
    d = base(samples)
    zero = [dataclasses.replace(d.level1[0], name="新增指标", weight=0.0, score=0.0), *d.level1]
    t = tables([make(d, 1, level1=zero)])[SPREAD]
    assert t.rows[0] == ("新增指标", 0, None, None, None, None, None, None)
    assert_plain(t)


def test_an_empty_batch():
    made = analysis_tables(RunResult(None, RUN_DATE, [], [], []))
    assert [t.rows for t in made] == [(), (), ()]
    assert made[2].empty == "没有可受理的部门，无一级指标得分率可统计"


# --- pandas only where it is used ------------------------------------------------------------


def test_importing_the_module_does_not_import_pandas():
    proc = subprocess.run(
        [sys.executable, "-c", "import sys, perfeval.analysis; print('pandas' in sys.modules)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.strip() == "False"
