"""Settings: a frozen dataclass read from TOML; unknown keys are refused."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import catalogue
from .values import parse_rate


class SettingsError(Exception):
    """The settings file cannot be used (message in Chinese)."""


@dataclass(frozen=True)
class Settings:
    disabled: frozenset[str] = frozenset()
    # lower bounds of the grades 优, 良, 中 (差 below the last)
    grade_excellent: float = 90.0
    grade_good: float = 80.0
    grade_pass: float = 60.0
    execution_rate_min: float = 0.90  # F06, F10
    adjustment_rate_max: float = 0.30  # F07
    arrival_rate_max: float = 1.30  # F07
    money_tolerance: float = 0.01  # 万元
    rate_tolerance: float = 0.001  # 0.1 percentage points
    rounded_rate_tolerance: float = 0.005  # a rate typed as a whole percentage
    score_tolerance: float = 0.01
    # W09: 得分 against 预算执行率 × 分值. Evaluators commonly give such a score in whole or half
    # points (9.8 written as 10, or 9.5): half a point allows that rounding, and no more
    execution_score_tolerance: float = 0.5
    total_weight: float = 100.0
    overshoot: float = 0.20  # G05
    unit_factor: float = 10000.0  # F11
    max_file_mb: float = 50.0
    smtp: dict[str, Any] = field(default_factory=dict)
    organization: str = ""  # [report] organization: the 评价机构 signing the Word reports (落款)
    profiles: tuple[Any, ...] = ()  # the user's layouts (profiles.Profile): --profile, [profiles] files

    def typed_rate_tolerance(self, raw: Any, max_fraction: float = 10.0) -> float:
        """How far a rate typed in a report may be from the computed one: `rate_tolerance`, or
        `rounded_rate_tolerance` where it was typed as a whole percentage such as 94%."""
        if parse_rate(raw, max_fraction).decimals == 0:
            return max(self.rate_tolerance, self.rounded_rate_tolerance)
        return self.rate_tolerance

    def grade(self, score: float | None) -> str:
        if score is None:
            return ""
        if score >= self.grade_excellent:
            return "优"
        if score >= self.grade_good:
            return "良"
        if score >= self.grade_pass:
            return "中"
        return "差"


_KEYS = {
    "grades": {
        "优": "grade_excellent",
        "良": "grade_good",
        "中": "grade_pass",
        "excellent": "grade_excellent",
        "good": "grade_good",
        "pass": "grade_pass",
    },
    "thresholds": {
        "execution_rate_min": "execution_rate_min",
        "adjustment_rate_max": "adjustment_rate_max",
        "arrival_rate_max": "arrival_rate_max",
        "overshoot": "overshoot",
        "unit_factor": "unit_factor",
        "total_weight": "total_weight",
        "max_file_mb": "max_file_mb",
    },
    "tolerances": {
        "money": "money_tolerance",
        "rate": "rate_tolerance",
        "rounded_rate": "rounded_rate_tolerance",
        "score": "score_tolerance",
        "execution_score": "execution_score_tolerance",
    },
}
PERCENT_KEYS = {"execution_rate_min", "adjustment_rate_max", "arrival_rate_max", "overshoot"}


def _read_file(path: Path, values: dict[str, Any], disabled: set[str]) -> None:
    """The settings of one TOML file into `values` (Settings field → value) and `disabled`."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError("文件不存在") from None
    except IsADirectoryError:
        raise SettingsError("是文件夹，不是设置文件") from None
    except UnicodeDecodeError:
        raise SettingsError("不是 UTF-8 编码的文本文件（请用记事本等另存为 UTF-8）") from None
    except OSError as exc:
        raise SettingsError(f"无法读取（{exc.strerror or exc}）") from None
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"at line (\d+), column (\d+)", str(exc))
        at = f"第 {where.group(1)} 行第 {where.group(2)} 列" if where else "某处"
        raise SettingsError(f"TOML 格式错误（{at}）；写法如 [thresholds] 下一行 execution_rate_min = 0.9") from None
    for key, value in data.items():
        if key == "disable":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise SettingsError('设置项 disable 应为代码列表，如 disable = ["C09", "G03"]')
            disabled.update(v.strip().upper() for v in value)
        elif key == "smtp":
            if not isinstance(value, dict):
                raise SettingsError("设置项 [smtp] 应为表")
            values["smtp"] = dict(value)
        elif key in _KEYS:
            if not isinstance(value, dict):
                raise SettingsError(f"设置项 [{key}] 应为表")
            for sub, v in value.items():
                target = _KEYS[key].get(sub)
                if target is None:
                    raise SettingsError(f"未知设置项：{key}.{sub}{_did_you_mean(f'{key}.{sub}')}（[{key}] 可用：{'、'.join(_KEYS[key])}）")
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    raise SettingsError(f"设置项 {key}.{sub} 应为数字，而不是“{v}”")
                values[target] = float(v) / 100 if target in PERCENT_KEYS and v > 1 else float(v)
        elif key == "profiles":
            files = value.get("files") if isinstance(value, dict) else None
            if (
                not isinstance(value, dict)
                or set(value) != {"files"}
                or not isinstance(files, list)
                or not all(isinstance(f, str) for f in files)
            ):
                raise SettingsError('设置项 [profiles] 应为 files = ["表样文件.toml"]（相对于设置文件所在的文件夹）')
            values.setdefault("profile_files", []).extend(path.parent / f for f in files)
        elif key == "report":
            if not isinstance(value, dict):
                raise SettingsError("设置项 [report] 应为表")
            for sub, v in value.items():
                if sub != "organization":
                    raise SettingsError(f"未知设置项：report.{sub}{_did_you_mean(f'report.{sub}')}（[report] 可用：organization）")
                if not isinstance(v, str):
                    raise SettingsError(f"设置项 report.organization 应为文字（加引号），而不是“{v}”")
                values["organization"] = v.strip()
        else:
            raise SettingsError(
                f"未知设置项：{key}{_did_you_mean(key)}（可用：disable、grades、thresholds、tolerances、report、profiles、smtp）"
            )


def _did_you_mean(key: str) -> str:
    """ "，您是不是要写 thresholds.execution_rate_min？" for the nearest valid key, or ""."""
    import difflib

    valid = [
        "disable",
        "smtp",
        "report",
        "report.organization",
        "profiles",
        "profiles.files",
        *_KEYS,
        *(f"{k}.{sub}" for k, subs in _KEYS.items() for sub in subs),
    ]
    if "." not in key:  # a key written without its table: execution_rate_min for thresholds.execution_rate_min
        valid += [sub for subs in _KEYS.values() for sub in subs]
    near = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    if not near:
        return ""
    meant = (
        near[0]
        if "." in near[0] or near[0] in ("disable", "smtp", "report", *_KEYS)
        else next(f"{k}.{near[0]}" for k, subs in _KEYS.items() if near[0] in subs)
    )
    return f"，您是不是要写 {meant}？"


def load_settings(
    path: Path | None = None,
    disable: tuple[str, ...] = (),
    known_codes: Collection[str] | None = None,
    profile_files: tuple[Path, ...] = (),
) -> Settings:
    """Defaults < file (`--config`, else $PERFEVAL_CONFIG) < options.

    `known_codes`: the rule codes that may be disabled, or None: every code of the rule
    catalogue (perfeval/data/rules.toml), planned rules included, so a setting written for a
    rule not implemented yet keeps working once it is. Settings sit below the rules (every
    rule reads them): the catalogue is data, the registry of rule functions is never imported."""
    source = "--config"
    if path is None and os.environ.get("PERFEVAL_CONFIG"):
        path, source = Path(os.environ["PERFEVAL_CONFIG"]), "环境变量 PERFEVAL_CONFIG"
    values: dict[str, Any] = {}
    disabled: set[str] = set()
    if path is not None:
        try:
            _read_file(path, values, disabled)
        except SettingsError as exc:  # which file, and where it was named
            raise SettingsError(f"设置文件 {path}（由 {source} 指定）：{exc}") from None
    disabled.update(d.strip().upper() for d in disable)
    known = catalogue.codes() if known_codes is None else known_codes
    unknown = sorted(d for d in disabled if d not in known)
    if unknown:
        raise SettingsError(f"未知的检查代码：{'、'.join(unknown)}（perfeval rules 列出全部代码）")
    files = [*values.pop("profile_files", []), *profile_files]
    if files:
        from .profiles import ProfileError, load_files

        try:
            values["profiles"] = load_files(files)
        except ProfileError as exc:
            raise SettingsError(str(exc)) from None
    settings = replace(Settings(), **values, disabled=frozenset(disabled))
    if not settings.grade_excellent > settings.grade_good > settings.grade_pass:
        raise SettingsError("等级分数线应满足 优 > 良 > 中")
    return settings
