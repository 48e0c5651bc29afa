"""The workspace directory and its settings (README: "The workspace" and "Settings"; docs/data_dictionary.md).

Everything a run reads or writes lives under one directory. Missing folders, reference files
and `dtoc.toml` are created with the shipped defaults on first use, so a new analyst only has
to point `--workdir` at an empty folder.
"""

from __future__ import annotations

import difflib
import math
import os
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SHIPPED_REFERENCE = Path(__file__).parent / "reference"
REFERENCE_FILES = ("sites.csv", "local_authorities.csv", "population_18plus.csv", "bcf_trajectory.csv",
                   "national_rate_targets.csv")
DEFAULT_WORKDIR = "./dtoc-work"

# name -> (default, comment written into a new dtoc.toml)
SETTINGS: dict[str, tuple[Any, str]] = {
    "home_la": ("E10000016", "ONS code of the council whose residents are counted (Kent)"),
    "both_share_to_social_care": (0.5, "share of jointly attributable days given to social care"),
    "week_ending_weekday": ("thursday", "weekday every week_ending must fall on"),
    "month_rule": ("week_ending", "week_ending: a week belongs to the month it ends in; calendar: split by date"),
    "rag_target_pct_social_care": (30.0, "KPI target: % of delayed days attributable to social care"),
    "rag_red_pct_social_care": (0.0, "KPI RED ceiling in %; 0 means not set (above target is AMBER)"),
    "alert_webhook_url": ("", "where alerts are POSTed as JSON; empty means no webhook"),
    "alert_notification_block": ("", "a Prefect notification block (type-slug/name) to deliver alerts through instead"),
    "alert_tolerance": (0.0, "a trust breaches when projected > planned x (1 + tolerance)"),
    "alert_retries": (3, "delivery attempts per alert within one run (a whole number, at least 1)"),
    "alert_backoff_seconds": (1.0, "wait before the second attempt; doubles for each further attempt"),
    "alert_timeout_seconds": (10.0, "how long one delivery attempt may take"),
    "alert_on_spc_signals": (False, "also alert when a site's latest week shows a concerning special cause"),
    "return_due_days_after_week_end": (4.0, "days after a week ends that its return is due (4: the Monday after a "
                                       "Thursday); no missing-return alert before the due date has passed"),
    "lock_timeout_seconds": (120.0, "how long a run waits for another run to release the warehouse"),
}
# DTOC_<NAME> environment variables that are not settings (anything else starting DTOC_ is refused)
ENVIRONMENT_VARIABLES = {
    "DTOC_WORKDIR": "the default workspace folder",
    "DTOC_DASK_ADDRESS": "a Dask scheduler for backfills (tcp://host:8786)",
    "DTOC_DUCKDB_MEMORY_LIMIT": "DuckDB's memory limit (default 512MB)",
    "DTOC_CHROMIUM": "the Chromium used for dashboard screenshots",
}
# lowest allowed value and whether it may be equal to it; None: no upper bound
NUMBER_RANGES: dict[str, tuple[float, bool, float | None]] = {
    "both_share_to_social_care": (0.0, True, 1.0),
    "rag_target_pct_social_care": (0.0, True, 100.0),
    "rag_red_pct_social_care": (0.0, True, 100.0),
    "alert_tolerance": (0.0, True, None),
    "alert_retries": (1.0, True, None),
    "alert_backoff_seconds": (0.0, False, None),
    "alert_timeout_seconds": (0.0, False, None),
    "lock_timeout_seconds": (0.0, False, None),
}
MONTH_RULES = ("week_ending", "calendar")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class SettingsError(ValueError):
    """A setting in dtoc.toml or a DTOC_<NAME> variable that cannot be used."""


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def inbox_weekly(self) -> Path:
        return self.root / "inbox" / "weekly"

    @property
    def inbox_national(self) -> Path:
        return self.root / "inbox" / "national"

    @property
    def reference(self) -> Path:
        return self.root / "reference"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def publish(self) -> Path:
        return self.root / "publish"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def settings_file(self) -> Path:
        return self.root / "dtoc.toml"

    def settings(self) -> dict[str, Any]:
        return load_settings(self.settings_file)


def default_workdir() -> str:
    return os.environ.get("DTOC_WORKDIR", DEFAULT_WORKDIR)


def open_workspace(workdir: str | os.PathLike | None = None) -> Workspace:
    """Create the workspace layout and its defaults where they are missing; never overwrite."""
    ws = Workspace(Path(workdir or default_workdir()).resolve())
    for folder in (ws.inbox_weekly, ws.inbox_national, ws.reference, ws.quarantine, ws.publish):
        folder.mkdir(parents=True, exist_ok=True)
    for name in REFERENCE_FILES:
        if not (ws.reference / name).exists():
            shutil.copyfile(SHIPPED_REFERENCE / name, ws.reference / name)
    if not ws.settings_file.exists():
        ws.settings_file.write_text(default_settings_toml(), encoding="utf-8")
    return ws


def default_settings_toml() -> str:
    lines = ["# DToC pipeline settings. Any of them can be overridden for one run by DTOC_<NAME>.", ""]
    for name, (default, comment) in SETTINGS.items():
        lines.append(f"# {comment}")
        lines.append(f"{name} = {_toml_value(default)}")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def load_settings(path: Path) -> dict[str, Any]:
    """Defaults, then dtoc.toml, then DTOC_<NAME> environment variables; checked and typed.

    A key that is not a setting (a misspelling, a table) is refused, naming the nearest known
    setting, and so is a DTOC_ environment variable that is neither a setting nor one of
    ENVIRONMENT_VARIABLES: a typo must never leave a default silently in force.
    """
    settings = {name: default for name, (default, _) in SETTINGS.items()}
    if path.exists():
        try:
            from_file = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path} is not valid TOML: {exc}") from exc
        unknown = [_unknown_key(name, value, path) for name, value in from_file.items() if name not in SETTINGS]
        if unknown:
            raise SettingsError("; ".join(unknown))
        settings.update(from_file)
    unknown_env = [_unknown_environment_variable(name) for name in sorted(os.environ)
                   if name.upper().startswith("DTOC_") and name not in ENVIRONMENT_VARIABLES
                   and name not in {f"DTOC_{setting.upper()}" for setting in SETTINGS}]
    if unknown_env:
        raise SettingsError("; ".join(unknown_env))
    for name in SETTINGS:
        env = os.environ.get(f"DTOC_{name.upper()}")
        if env is not None:
            settings[name] = env
    return _checked(settings)


def _closest(word: str, known: list[str]) -> str | None:
    """The known name closest to a misspelt one (a name it starts, or difflib's nearest), if any is close."""
    starts = [name for name in known if name.startswith(word) or word.startswith(name)]
    close = starts or difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, known: list[str]) -> str:
    close = _closest(word, known)
    return f" (did you mean {close}?)" if close else ""


def _unknown_key(name: str, value: Any, path: Path) -> str:
    if isinstance(value, dict):
        return (f"{path.name}: unknown table [{name}]; dtoc.toml has no tables, every setting is a plain "
                f"'name = value' line: {', '.join(SETTINGS)}")
    return (f"{path.name}: unknown setting {name}{did_you_mean(name.lower(), list(SETTINGS))}; "
            f"the settings are {', '.join(SETTINGS)}")


def _unknown_environment_variable(name: str) -> str:
    known = {setting: f"DTOC_{setting.upper()}" for setting in SETTINGS}
    known.update({variable[5:].lower(): variable for variable in ENVIRONMENT_VARIABLES})
    close = _closest(name[5:].lower(), list(known))
    hint = f" (did you mean {known[close]}?)" if close else ""
    return (f"environment variable {name} is not a dtoc setting{hint}; unset it, or use one of DTOC_<SETTING> "
            f"or {', '.join(ENVIRONMENT_VARIABLES)}")


def _number(name: str, value: Any, whole: bool) -> float | int:
    kind = "a whole number" if whole else "a number"
    if isinstance(value, bool) or value is None:
        raise SettingsError(f"setting {name} must be {kind}, got {_toml_value(value)}")
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise SettingsError(f"setting {name} must be {kind}, got {value!r}") from None
    if not math.isfinite(number):
        raise SettingsError(f"setting {name} must be {kind}, got {value!r}")
    if whole:
        if not number.is_integer():
            raise SettingsError(f"setting {name} must be a whole number, got {value!r}")
        return int(number)
    return number


def _checked(settings: dict[str, Any]) -> dict[str, Any]:
    for name, (default, _) in SETTINGS.items():
        value = settings[name]
        if isinstance(default, bool):
            if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "false", "no", "0"):
                value = value.strip().lower() in ("true", "yes", "1")
            if not isinstance(value, bool):
                raise SettingsError(f"setting {name} must be true or false, got {value!r}")
            settings[name] = value
        elif isinstance(default, (int, float)):
            settings[name] = _number(name, value, whole=isinstance(default, int))
        else:
            if not isinstance(value, str):
                raise SettingsError(f"setting {name} must be text in quotes, got {_toml_value(value)}")
            settings[name] = value.strip()
    for name, (low, equal_allowed, high) in NUMBER_RANGES.items():
        value = settings[name]
        too_low = value < low or (value == low and not equal_allowed)
        if too_low or (high is not None and value > high):
            if high is not None:
                wanted = f"between {low:g} and {high:g}"
            else:
                wanted = f"{'at least' if equal_allowed else 'more than'} {low:g}"
            raise SettingsError(f"setting {name} must be {wanted}, got {value:g}")
    red, target = settings["rag_red_pct_social_care"], settings["rag_target_pct_social_care"]
    if red and red < target:
        raise SettingsError(f"setting rag_red_pct_social_care ({red:g}) must be at least rag_target_pct_social_care "
                            f"({target:g}), or 0 for no RED ceiling")
    settings["week_ending_weekday"] = settings["week_ending_weekday"].lower()
    if settings["week_ending_weekday"] not in WEEKDAYS:
        raise SettingsError(f"setting week_ending_weekday must be a day name, got {settings['week_ending_weekday']!r}")
    if settings["month_rule"] not in MONTH_RULES:
        raise SettingsError(f"setting month_rule must be one of {', '.join(MONTH_RULES)}, got {settings['month_rule']!r}")
    if not settings["home_la"]:
        raise SettingsError("setting home_la is empty: give the ONS code of the council (e.g. E10000016 for Kent)")
    return settings
