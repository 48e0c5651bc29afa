"""The workspace directory and its settings (contract: "Workspace" and "Settings").

Everything a run reads or writes lives under one directory. Missing folders, reference files
and `dtoc.toml` are created with the shipped defaults on first use, so a new analyst only has
to point `--workdir` at an empty folder.
"""

from __future__ import annotations

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
    "alert_retries": (3.0, "delivery attempts per alert within one run"),
    "alert_backoff_seconds": (1.0, "wait before the second attempt; doubles for each further attempt"),
    "alert_timeout_seconds": (10.0, "how long one delivery attempt may take"),
    "alert_on_spc_signals": (False, "also alert when a site's latest week shows a concerning special cause"),
    "return_due_days_after_week_end": (4.0, "days after a week ends that its return is due (4: the Monday after a "
                                       "Thursday); no missing-return alert before the due date has passed"),
    "lock_timeout_seconds": (120.0, "how long a run waits for another run to release the warehouse"),
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
    """Defaults, then dtoc.toml, then DTOC_<NAME> environment variables; checked and typed."""
    settings = {name: default for name, (default, _) in SETTINGS.items()}
    if path.exists():
        try:
            from_file = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path} is not valid TOML: {exc}") from exc
        settings.update(from_file)
    for name in SETTINGS:
        env = os.environ.get(f"DTOC_{name.upper()}")
        if env is not None:
            settings[name] = env
    return _checked(settings)


def _checked(settings: dict[str, Any]) -> dict[str, Any]:
    for name, (default, _) in SETTINGS.items():
        value = settings[name]
        if isinstance(default, bool):
            if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "false", "no", "0"):
                value = value.strip().lower() in ("true", "yes", "1")
            if not isinstance(value, bool):
                raise SettingsError(f"setting {name} must be true or false, got {value!r}")
            settings[name] = value
        elif isinstance(default, float):
            try:
                settings[name] = float(value)
            except (TypeError, ValueError):
                raise SettingsError(f"setting {name} must be a number, got {value!r}") from None
        else:
            settings[name] = str(value).strip()
    settings["week_ending_weekday"] = settings["week_ending_weekday"].lower()
    if settings["week_ending_weekday"] not in WEEKDAYS:
        raise SettingsError(f"setting week_ending_weekday must be a day name, got {settings['week_ending_weekday']!r}")
    if settings["month_rule"] not in MONTH_RULES:
        raise SettingsError(f"setting month_rule must be one of {', '.join(MONTH_RULES)}, got {settings['month_rule']!r}")
    if not 0 <= settings["both_share_to_social_care"] <= 1:
        raise SettingsError("setting both_share_to_social_care must be between 0 and 1")
    return settings
