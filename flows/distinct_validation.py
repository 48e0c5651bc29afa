"""Validate a large frame by its distinct values: the same verdicts as validating every row, far less work.

A rule that judges one value at a time (not null, in a set, matches a pattern, between bounds)
gives the same verdict to every row holding that value. So Great Expectations is handed a small
frame: each column's distinct values (a column read together with another, such as a rule's
`skip_when_empty` column, keeps its distinct pairs), each repeated until the longest list ends,
which adds no new value. The uniqueness of a key is not a per-value rule: the rows whose key
appears more than once are appended as they are, and the distinct block gets a unique `file` so
that none of its keys repeat. Every failing value is then joined back to the rows that hold it,
so each refused cell is still reported with its file, row, column, value and problem.

A suite with any other kind of rule is validated row by row (`run_suite`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from flows.suite_in_sql import suite_document
from flows.validate import (
    Problem,
    certainly_passes_in_duckdb,
    failed_expectations,
    problems_at_rows,
    run_suite,
    suite_path,
    validate_frame,
)

VALUE_RULES = {
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_null",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_in_set",
    "expect_column_values_to_match_regex",
    "expect_column_values_to_not_match_regex",
    "expect_column_values_to_be_between",
}
KEY_RULES = {"expect_compound_columns_to_be_unique"}
EXISTENCE_RULES = {"expect_column_to_exist"}
POSITION = "__position"


@dataclass(frozen=True)
class Rule:
    """An expectation as stored in its suite's JSON, as much as choosing the distinct values needs (no GX)."""

    expectation_type: str
    kwargs: dict
    meta: dict

    @property
    def column(self) -> str | None:
        return self.kwargs.get("column")

    @property
    def column_list(self) -> list[str]:
        return self.kwargs.get("column_list", [])


def rules(suite_name: str) -> list[Rule]:
    return [
        Rule(e["type"], e["kwargs"], e.get("meta") or {})
        for e in suite_document(suite_path(suite_name))["expectations"]
    ]


def _units(expectations) -> dict[str, tuple[str, ...]]:
    """Column -> the group of columns whose distinct combinations decide its rules (merged when they overlap)."""
    groups: list[set[str]] = []
    for expectation in expectations:
        if expectation.expectation_type not in VALUE_RULES:
            continue
        columns = {expectation.column} | (
            {expectation.meta["skip_when_empty"]} if (expectation.meta or {}).get("skip_when_empty") else set()
        )
        touching = [group for group in groups if group & columns]
        merged = columns.union(*touching)
        groups = [group for group in groups if not group & columns] + [merged]
    return {column: tuple(sorted(group)) for group in groups for column in group}


def _by_values(expectations, cells: pl.DataFrame) -> dict[str, tuple[str, ...]] | None:
    """The units to validate by distinct values, or None when the suite or the frame needs row-by-row validation."""
    if any(e.expectation_type not in VALUE_RULES | KEY_RULES | EXISTENCE_RULES for e in expectations):
        return None
    units = _units(expectations)
    if cells.height == 0 or "file" in units or any(c not in cells.columns for c in units):
        return None
    return units


def _value_block(expectations, distinct: dict[tuple[str, ...], pl.DataFrame], schema: dict) -> tuple[pl.DataFrame, int]:
    """Each group's distinct values side by side, repeated up to the longest list, with a unique `file` per row."""
    units = _units(expectations)
    length = max([frame.height for frame in distinct.values()] + [1])
    block = [frame.select(pl.all().gather(pl.int_range(length) % frame.height)) for frame in distinct.values()]
    named = {e.column for e in expectations if e.expectation_type in EXISTENCE_RULES} | {
        c for e in expectations if e.expectation_type in KEY_RULES for c in e.column_list
    }
    other = [c for c in sorted(named) if c in schema and c not in units and c != "file"]
    values = pl.concat(
        [
            pl.DataFrame({"file": [f"#{i}" for i in range(length)]}),
            *block,
            pl.DataFrame({c: pl.Series(c, [None] * length, schema[c]) for c in other}),
        ],
        how="horizontal",
    ).with_columns(pl.lit(None, pl.Int64).alias(POSITION))
    return values, length


def validate_distinct(
    suite_name: str, cells: pl.DataFrame, parameters: dict, message_parameters: dict, journal: list | None = None
) -> list[Problem]:
    """`run_suite`'s problems, in its order, found by validating distinct values (see the module's notes)."""
    expectations = rules(suite_name)
    units = _by_values(expectations, cells)
    if units is None:
        return run_suite(suite_name, cells, parameters, message_parameters, journal)
    distinct = {group: cells.select(group).unique(maintain_order=True) for group in set(units.values())}
    values, length = _value_block(expectations, distinct, cells.schema)
    keys = [e.column_list for e in expectations if e.expectation_type in KEY_RULES]
    positioned = cells.with_row_index(POSITION).with_columns(pl.col(POSITION).cast(pl.Int64))
    repeated = [positioned.filter(pl.len().over(key) > 1).select(values.columns) for key in keys]
    frame = pl.concat([values, *repeated], how="vertical_relaxed")

    results = validate_frame(frame.drop(POSITION).to_pandas(), suite_name, parameters)
    if journal is not None:
        journal.append((suite_name, sorted(set(cells["file"].to_list())), results))
    problems: list[Problem] = []
    for outcome in failed_expectations(suite_name, results):
        config = outcome.expectation_config
        indexes = outcome.result.get("unexpected_index_list") or []
        if config.type in KEY_RULES:
            positions = sorted(frame[POSITION][i] for i in indexes if i >= length)
        elif config.type in VALUE_RULES:
            group = units[config.kwargs["column"]]
            failing = frame[:length].select(group)[sorted({i for i in indexes if i < length})].unique()
            positions = (
                positioned.select(POSITION, *group)
                .join(failing, on=list(group), nulls_equal=True)[POSITION]
                .sort()
                .to_list()
            )
        else:  # a missing column: checked per file before validation, reported there
            continue
        problems += problems_at_rows(cells, positions, config, message_parameters)
    return problems


@dataclass
class ValueSummary:
    """What one batch of files holds, small enough to keep for a whole backfill: each unit's distinct
    values, the files with a repeated key, and the column types. None of the rows."""

    files: list[str] = field(default_factory=list)
    distinct: dict[tuple[str, ...], pl.DataFrame] = field(default_factory=dict)
    repeated_keys: set[str] = field(default_factory=set)
    schema: dict = field(default_factory=dict)
    by_rows: bool = False  # the suite or these files need row-by-row validation: every file is a suspect


def summarise_values(suite_name: str, cells: pl.DataFrame) -> ValueSummary:
    """The distinct values and the files with repeated keys of `cells`, for `files_with_failures`."""
    expectations = rules(suite_name)
    files = cells["file"].unique(maintain_order=True).to_list() if "file" in cells.columns else []
    units = _by_values(expectations, cells)
    if units is None:
        return ValueSummary(files, by_rows=True)
    groups = sorted(set(units.values()))
    keys = [e.column_list for e in expectations if e.expectation_type in KEY_RULES]
    lazy = cells.lazy()
    found = pl.collect_all(
        [lazy.select(group).unique() for group in groups]
        + [lazy.group_by(key).len().filter(pl.col("len") > 1).select("file") for key in keys]
    )
    repeated = {file for frame in found[len(groups) :] for file in frame["file"].to_list()}
    return ValueSummary(files, dict(zip(groups, found[: len(groups)])), repeated, dict(cells.schema))


def files_with_failures(
    suite_name: str, summaries: list[ValueSummary], parameters: dict, journal: list | None = None
) -> set[str]:
    """The files that may fail the suite, found with one validation of every batch's distinct values.

    A batch holding a value that fails a rule, or a file with a repeated key, makes its files
    suspects; `validate_distinct` on their rows then names each problem (file, row, column, value,
    problem) or finds none. The files of every other batch passed every rule.
    """
    suspects = {file for s in summaries if s.by_rows for file in s.files}
    suspects |= {file for s in summaries for file in s.repeated_keys}
    summaries = [s for s in summaries if not s.by_rows]
    if not summaries:
        return suspects
    expectations = rules(suite_name)
    units = _units(expectations)
    distinct = {
        group: pl.concat([s.distinct[group] for s in summaries], how="vertical_relaxed").unique(maintain_order=True)
        for group in summaries[0].distinct
    }
    schema = {}
    for s in summaries:
        schema.update({c: t for c, t in s.schema.items() if c not in schema or t != pl.Null})
    values, length = _value_block(expectations, distinct, schema)
    if journal is None and certainly_passes_in_duckdb(suite_name, values.drop(POSITION), parameters):
        return suspects
    results = validate_frame(values.drop(POSITION).to_pandas(), suite_name, parameters)
    if journal is not None:
        journal.append((suite_name, sorted(file for s in summaries for file in s.files), results))
    for outcome in failed_expectations(suite_name, results):
        config = outcome.expectation_config
        if config.type not in VALUE_RULES:  # keys are unique in the block; a missing column is checked per file
            continue
        group = units[config.kwargs["column"]]
        failing = values.select(group)[sorted(set(outcome.result.get("unexpected_index_list") or []))].unique()
        suspects |= {
            file
            for s in summaries
            if not s.distinct[group].join(failing, on=list(group), nulls_equal=True).is_empty()
            for file in s.files
        }
    return suspects
