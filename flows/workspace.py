"""The workspace directory, its settings and the environment variables the pipeline reads
(README: "The workspace" and "Settings"; docs/data_dictionary.md).

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
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

SHIPPED_REFERENCE = Path(__file__).parent / "reference"
REFERENCE_FILES = (
    "sites.csv",
    "local_authorities.csv",
    "population_18plus.csv",
    "bcf_trajectory.csv",
    "national_rate_targets.csv",
)
DEFAULT_WORKDIR = "./dtoc-work"
MONTH_RULES = ("week_ending", "calendar")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class SettingsError(ValueError):
    """A setting in dtoc.toml or a DTOC_<NAME> variable that cannot be used."""


def setting(
    default: Any,
    meaning: str,
    *,
    at_least: float | None = None,
    above: float | None = None,
    at_most: float | None = None,
    wanted: str = "",
) -> Any:
    """A field of Settings: its default, the comment written above it in a new dtoc.toml, its range.

    `at_least`/`above` is the lowest allowed value (equal allowed or not), `at_most` the highest;
    `wanted` words the whole range in one phrase, used in place of the usual messages.
    """
    return field(
        default=default,
        metadata={"meaning": meaning, "at_least": at_least, "above": above, "at_most": at_most, "wanted": wanted},
    )


@dataclass(frozen=True)
class Settings:
    """A workspace's settings, checked and typed: defaults, then dtoc.toml, then DTOC_<NAME> variables.

    Each field is one `dtoc.toml` key and one `DTOC_<NAME>` override. Values given as text (an
    environment variable) or in the wrong numeric form (3.0 for a whole number) are converted and
    checked when the object is made, so a Settings is always usable and never changes.
    """

    home_la: str = setting("E10000016", "ONS code of the council whose residents are counted (Kent)")
    both_share_to_social_care: float = setting(
        0.5, "share of jointly attributable days given to social care", at_least=0.0, at_most=1.0
    )
    week_ending_weekday: str = setting("thursday", "weekday every week_ending must fall on")
    month_rule: str = setting(
        "week_ending", "week_ending: a week belongs to the month it ends in; calendar: split by date"
    )
    rag_target_pct_social_care: float = setting(
        30.0, "KPI target: % of delayed days attributable to social care", at_least=0.0, at_most=100.0
    )
    rag_red_pct_social_care: float = setting(
        0.0, "KPI RED ceiling in %; 0 means not set (above target is AMBER)", at_least=0.0, at_most=100.0
    )
    alert_webhook_url: str = setting("", "where alerts are POSTed as JSON; empty means no webhook")
    alert_notification_block: str = setting(
        "", "a Prefect notification block (type-slug/name) to deliver alerts through instead"
    )
    alert_tolerance: float = setting(0.0, "a trust breaches when projected > planned x (1 + tolerance)", at_least=0.0)
    alert_retries: int = setting(
        3, "delivery attempts per alert within one run (a whole number, at least 1)", at_least=1
    )
    alert_backoff_seconds: float = setting(
        1.0, "wait before the second attempt; doubles for each further attempt", above=0.0
    )
    alert_timeout_seconds: float = setting(10.0, "how long one delivery attempt may take", above=0.0)
    alert_on_spc_signals: bool = setting(False, "also alert when a site's latest week shows a concerning special cause")
    return_due_days_after_week_end: int = setting(
        4,
        "days after a week ends that its return is due (4: the Monday after a Thursday); no missing-return "
        "alert before the due date has passed",
        at_least=0,
        wanted="a whole number of days >= 0",
    )
    lock_timeout_seconds: float = setting(
        120.0, "how long a run waits for another run to release the warehouse", above=0.0
    )

    def __post_init__(self) -> None:
        for item in fields(self):
            object.__setattr__(
                self,
                item.name,
                _typed(item.name, SETTING_TYPES[item.name], getattr(self, item.name), item.metadata["wanted"]),
            )
        for item in fields(self):
            _check_range(item.name, getattr(self, item.name), item.metadata)
        red, target = self.rag_red_pct_social_care, self.rag_target_pct_social_care
        if red and red < target:
            raise SettingsError(
                f"setting rag_red_pct_social_care ({red:g}) must be at least "
                f"rag_target_pct_social_care ({target:g}), or 0 for no RED ceiling"
            )
        object.__setattr__(self, "week_ending_weekday", self.week_ending_weekday.lower())
        if self.week_ending_weekday not in WEEKDAYS:
            raise SettingsError(f"setting week_ending_weekday must be a day name, got {self.week_ending_weekday!r}")
        if self.month_rule not in MONTH_RULES:
            raise SettingsError(f"setting month_rule must be one of {', '.join(MONTH_RULES)}, got {self.month_rule!r}")
        if not self.home_la:
            raise SettingsError("setting home_la is empty: give the ONS code of the council (e.g. E10000016 for Kent)")


SETTING_TYPES: dict[str, type] = get_type_hints(Settings)
# name -> (default, comment written into a new dtoc.toml)
SETTINGS: dict[str, tuple[Any, str]] = {
    item.name: (item.default, item.metadata["meaning"]) for item in fields(Settings)
}


@dataclass(frozen=True)
class EnvironmentVariable:
    """An environment variable the pipeline reads that is not a setting: where it applies, not a workspace."""

    name: str
    type: type
    default: str
    meaning: str


# Every environment variable read anywhere in flows/ besides DTOC_<SETTING> (read through environment());
# any other DTOC_ variable is refused.
ENVIRONMENT_VARIABLES: dict[str, EnvironmentVariable] = {
    variable.name: variable
    for variable in (
        EnvironmentVariable("DTOC_WORKDIR", str, DEFAULT_WORKDIR, "the default workspace folder"),
        EnvironmentVariable(
            "DTOC_DASK_ADDRESS",
            str,
            "",
            "a Dask scheduler for backfills (tcp://host:8786); empty: two threads in the flow's process",
        ),
        EnvironmentVariable(
            "DTOC_DUCKDB_MEMORY_LIMIT", str, "512MB", "DuckDB's memory limit (it spills to disk beyond)"
        ),
        EnvironmentVariable("DTOC_CHROMIUM", str, "/usr/bin/chromium", "the Chromium used for dashboard screenshots"),
        EnvironmentVariable(
            "PREFECT_API_URL",
            str,
            "",
            "a running Prefect server's API (http://host:4200/api); empty: `dtoc` starts Prefect's temporary one",
        ),
        EnvironmentVariable(
            "PREFECT_SERVER_EPHEMERAL_ENABLED",
            str,
            "true",
            "false: no temporary Prefect server is started (PREFECT_API_URL must then name one)",
        ),
        EnvironmentVariable(
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS",
            float,
            120.0,
            "how long a run waits for the temporary Prefect server to answer",
        ),
        EnvironmentVariable(
            "TZ",
            str,
            "",
            "the machine's time zone (else /etc/localtime's), for an older warehouse's zoneless file times",
        ),
    )
}
DTOC_VARIABLES = [name for name in ENVIRONMENT_VARIABLES if name.startswith("DTOC_")]


def environment(name: str) -> Any:
    """A registered environment variable's value (its default when unset or empty)."""
    variable = ENVIRONMENT_VARIABLES[name]
    value = os.environ.get(name, "").strip()
    return variable.type(value) if value else variable.default


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

    def settings(self) -> Settings:
        return load_settings(self.settings_file)


def default_workdir() -> str:
    return environment("DTOC_WORKDIR")


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


def load_settings(path: Path) -> Settings:
    """Defaults, then dtoc.toml, then DTOC_<NAME> environment variables; checked and typed.

    A key that is not a setting (a misspelling, a table) is refused, naming the nearest known
    setting, and so is a DTOC_ environment variable that is neither a setting nor one of
    ENVIRONMENT_VARIABLES: a typo must never leave a default silently in force.
    """
    values: dict[str, Any] = {}
    if path.exists():
        try:
            from_file = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path} is not valid TOML: {exc}") from exc
        unknown = [_unknown_key(name, value, path) for name, value in from_file.items() if name not in SETTINGS]
        if unknown:
            raise SettingsError("; ".join(unknown))
        values.update(from_file)
    unknown_env = [
        _unknown_environment_variable(name)
        for name in sorted(os.environ)
        if name.upper().startswith("DTOC_")
        and name not in ENVIRONMENT_VARIABLES
        and name not in {f"DTOC_{setting.upper()}" for setting in SETTINGS}
    ]
    if unknown_env:
        raise SettingsError("; ".join(unknown_env))
    for name in SETTINGS:
        env = os.environ.get(f"DTOC_{name.upper()}")
        if env is not None:
            values[name] = env
    return Settings(**values)


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
        return (
            f"{path.name}: unknown table [{name}]; dtoc.toml has no tables, every setting is a plain "
            f"'name = value' line: {', '.join(SETTINGS)}"
        )
    return (
        f"{path.name}: unknown setting {name}{did_you_mean(name.lower(), list(SETTINGS))}; "
        f"the settings are {', '.join(SETTINGS)}"
    )


def _unknown_environment_variable(name: str) -> str:
    known = {setting: f"DTOC_{setting.upper()}" for setting in SETTINGS}
    known.update({variable[5:].lower(): variable for variable in DTOC_VARIABLES})
    close = _closest(name[5:].lower(), list(known))
    hint = f" (did you mean {known[close]}?)" if close else ""
    return (
        f"environment variable {name} is not a dtoc setting{hint}; unset it, or use one of DTOC_<SETTING> "
        f"or {', '.join(DTOC_VARIABLES)}"
    )


def _typed(name: str, kind: type, value: Any, wanted: str) -> Any:
    """A setting's value as its type: true/false, a whole number, a number or stripped text."""
    if kind is bool:
        if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "false", "no", "0"):
            value = value.strip().lower() in ("true", "yes", "1")
        if not isinstance(value, bool):
            raise SettingsError(f"setting {name} must be true or false, got {value!r}")
        return value
    if kind in (int, float):
        return _number(name, value, whole=kind is int, wanted=wanted)
    if not isinstance(value, str):
        raise SettingsError(f"setting {name} must be text in quotes, got {_toml_value(value)}")
    return value.strip()


def _number(name: str, value: Any, whole: bool, wanted: str = "") -> float | int:
    kind = wanted or ("a whole number" if whole else "a number")
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
            raise SettingsError(f"setting {name} must be {kind}, got {value!r}")
        return int(number)
    return number


def _check_range(name: str, value: float, limits: Any) -> None:
    """A number against its field's at_least/above/at_most (no limits: nothing to check)."""
    low = limits["above"] if limits["above"] is not None else limits["at_least"]
    high = limits["at_most"]
    if low is None and high is None:
        return
    equal_allowed = limits["above"] is None
    too_low = low is not None and (value < low or (value == low and not equal_allowed))
    if too_low or (high is not None and value > high):
        if limits["wanted"]:
            wanted = limits["wanted"]
        elif high is not None:
            wanted = f"between {low:g} and {high:g}"
        else:
            wanted = f"{'at least' if equal_allowed else 'more than'} {low:g}"
        raise SettingsError(f"setting {name} must be {wanted}, got {value:g}")
