"""docs/data_dictionary.md describes every published column, every setting and every DTOC_ variable."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from flows.workspace import DTOC_VARIABLES

ROOT = Path(__file__).parent.parent
DICTIONARY = ROOT / "docs" / "data_dictionary.md"


def sections() -> dict[str, str]:
    """The text under each `### <name>` heading, up to the next heading of that level or above."""
    text = DICTIONARY.read_text(encoding="utf-8")
    found = {}
    for match in re.finditer(r"^### (\S+)\n(.*?)(?=^#{2,3} |\Z)", text, re.MULTILINE | re.DOTALL):
        found[match.group(1)] = match.group(2)
    return found


def documented_columns(section: str) -> set[str]:
    """Column names in the first cell of the section's table rows (one or more, each in backticks)."""
    columns = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            columns.update(re.findall(r"`([a-z0-9_]+)`", first_cell))
    return columns


def test_every_column_of_every_published_csv_is_in_the_dictionary(demo_run, demo_national):
    ws, _ = demo_national
    documented = sections()
    files = sorted(ws.publish.glob("*.csv"))
    tables = {}
    for path in files:
        table = re.sub(r"_\d{4}-\d{2}$", "", path.stem)  # reconciliation_2017-09 -> reconciliation
        header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        tables.setdefault(table, set()).update(header)
    assert len(files) == 22 and len(tables) == 22  # every published table of the demo, one month of national data
    missing_tables = sorted(set(tables) - set(documented))
    assert missing_tables == [], f"tables without a section in docs/data_dictionary.md: {missing_tables}"
    missing = {table: sorted(columns - documented_columns(documented[table])) for table, columns in tables.items()}
    assert {table: cols for table, cols in missing.items() if cols} == {}
    assert sum(len(columns) for columns in tables.values()) > 200


def test_every_setting_and_environment_variable_is_in_the_dictionary(demo_run):
    ws, _ = demo_run
    settings = tomllib.loads((ws.root / "dtoc.toml").read_text(encoding="utf-8"))
    text = DICTIONARY.read_text(encoding="utf-8")
    settings_section = text.split("## Settings", 1)[1].split("## Input layouts", 1)[0]
    assert len(settings) >= 15
    assert [name for name in settings if f"| `{name}` |" not in settings_section] == []
    variables = set(DTOC_VARIABLES)  # every variable the code reads is registered (tests/test_code_layout.py)
    assert "DTOC_WORKDIR" in variables and len(variables) >= 4
    assert sorted(name for name in variables if f"`{name}`" not in settings_section) == []


def test_the_input_layouts_are_in_the_dictionary():
    text = DICTIONARY.read_text(encoding="utf-8")
    layouts = text.split("## Input layouts", 1)[1]
    for column in (
        "site_code",
        "week_ending",
        "la_code",
        "care_type",
        "responsible_org",
        "reason_code",
        "delayed_days",
        "patients_delayed",
        "nhs_days",
        "social_care_days",
        "both_days",
    ):
        assert f"| `{column}` |" in layouts, column
    for header in ("Period Name", "Provider Org Code", "Local Authority Code", "Reason For Delay", "NHS B SUM"):
        assert header in layouts, header
    for reference in (
        "sites.csv",
        "local_authorities.csv",
        "population_18plus.csv",
        "bcf_trajectory.csv",
        "national_rate_targets.csv",
    ):
        assert f"| `{reference}` |" in layouts, reference
