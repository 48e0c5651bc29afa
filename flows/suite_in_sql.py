"""A published table's expectation suite answered in DuckDB, where the table already is: "certainly passes" or "ask GX".

Great Expectations spends about 15 ms of Python per expectation however small the table (it
builds a metric graph for each), so the ~160 expectations over the published tables cost
seconds per run. The same suite JSON is read here and each expectation becomes one count in a
single DuckDB query over the table's check rows: the rows that might fail it. When every count is
0 the table certainly passes and GX is not asked; otherwise, or when an expectation is of a type
or shape not translated here, GX validates the table as before and its verdict and sentences are
the ones published.

The translation is deliberately suspicious, never lenient: a row is counted when GX *might* fail
it. Where GX (on pandas) and SQL differ, the row counts: NaN (pandas treats it as blank, DuckDB as
a number) is always counted, blank pairs are counted, numbers are compared as DOUBLE, the value
pandas hands GX. So "0 rows might fail" implies GX passes, never the other way round
(`tests/test_suite_in_sql.py` checks this against GX on edge values, `tests/test_output_checks.py` on
broken tables).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import duckdb

NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")
FLOATING = ("FLOAT", "DOUBLE")


@functools.cache
def suite_document(path: Path) -> dict:
    """A suite file as stored (the rules change with a release, not mid-run)."""
    return json.loads(path.read_text(encoding="utf-8"))


def suite_expectations(path: Path) -> tuple[dict, ...]:
    return tuple(suite_document(path)["expectations"])


def certainly_passes(
    con: duckdb.DuckDBPyConnection,
    check_sql: str,
    suite: Path,
    expectation_parameters: dict | None = None,
    reported_only: bool = False,
) -> int | None:
    """The number of check rows when every expectation of `suite` certainly holds on them, else None (ask GX).

    `expectation_parameters` are the values of the suite's `{"$PARAMETER": name}` arguments, as GX is given them.
    `reported_only`: count only the rows a problem would be reported for, as `validate.problems_at_rows` does
    (a one-row rule whose `meta.skip_when_empty` column is blank in a row reports nothing there): "certainly
    passes" then means "no problem to report", not GX's verdict.
    """
    try:
        types = dict(con.execute(f"select column_name, column_type from (describe ({check_sql}))").fetchall())
        counts, parameters, judged = ["count(*)"], [], []
        for stored in suite_expectations(suite):
            expectation = _with_parameters(stored, expectation_parameters or {})
            if expectation is None:
                return None
            rows = "true"  # the rows judged: all of them, or those a problem would be reported for
            skip = expectation.get("meta", {}).get("skip_when_empty") if reported_only else None
            if skip and expectation["type"] in ONE_ROW_RULES:
                if skip not in types:
                    return None
                rows = f"{_name(skip)} is not null"
            probe = _rows_that_might_fail(expectation, types, parameters, rows)
            if probe is None:
                return None
            counts.append(probe)
            judged.append((expectation, rows))
        found = con.execute(
            f"with frame as materialized ({check_sql}) select {', '.join(counts)} from frame", parameters
        ).fetchone()
        if any(found[1:]):
            return None
        # regexes only once every count is 0 (each is a query of its own over the column's distinct values)
        frame_sql = f"select * from ({check_sql}) as frame"
        if any(_regex_might_fail(con, frame_sql, expectation, types, rows) for expectation, rows in judged):
            return None
    except (duckdb.Error, re.error):
        return None  # a rule that does not apply to these columns, or a regex Python refuses: GX says what is wrong
    return found[0]


def _with_parameters(expectation: dict, values: dict) -> dict | None:
    """The expectation with each `{"$PARAMETER": name}` argument replaced by its value; None when one has none."""
    kwargs = {}
    for key, value in expectation["kwargs"].items():
        if isinstance(value, dict) and set(value) == {"$PARAMETER"}:
            if value["$PARAMETER"] not in values:
                return None
            value = values[value["$PARAMETER"]]
        kwargs[key] = value
    return {**expectation, "kwargs": kwargs}


def _name(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _kind(column_type: str) -> str:
    base = column_type.split("(")[0]
    if base in FLOATING:
        return "floating"
    if base in NUMERIC or base == "DECIMAL":
        return "number"
    return "other"


def _as_pandas_compares(column: str, types: dict[str, str]) -> str:
    """Numbers as the float64 values pandas hands GX (two decimals may be one double); text as its UTF-8 bytes.

    Python compares text code point by code point; DuckDB compares it under a collation (a column's
    `collate nocase`, or the connection's default_collation) where 'Total' may equal 'total'. Bytes
    have no collation and sort as code points do.
    """
    if types[column] == "VARCHAR":
        return f"encode({_name(column)})"
    return f"{_name(column)}::double" if _kind(types[column]) != "other" else _name(column)


def _nan(column: str, types: dict[str, str]) -> str:
    """NaN is blank to pandas and a number to DuckDB: a NaN row always counts as one that might fail."""
    return f" or isnan({_name(column)})" if _kind(types[column]) == "floating" else ""


def _rows_that_might_fail(expectation: dict, types: dict[str, str], parameters: list, rows: str = "true") -> str | None:
    """One aggregate over `frame` counting the rows (of those `rows` holds for) that might fail the expectation,
    all of them computed in one scan; None: not translated."""
    kind, kwargs = expectation["type"], expectation["kwargs"]
    accepted = TRANSLATED.get(kind)
    if accepted is None or not set(kwargs) <= accepted or any(isinstance(v, dict) for v in kwargs.values()):
        return None  # an unknown type, `mostly`, a row_condition or a $PARAMETER: GX decides
    columns = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs] + list(
        kwargs.get("column_list", [])
    )
    if any(column not in types for column in columns):
        return None
    nan = "".join(_nan(c, types) for c in columns)
    if kind == "expect_column_to_exist":
        return "0"  # it is among the frame's columns (checked above)
    if kind == "expect_column_values_to_not_be_null":
        return _count(rows, f"{_name(kwargs['column'])} is null{nan}")
    if kind == "expect_column_values_to_be_null":
        return _count(rows, f"{_name(kwargs['column'])} is not null")
    if kind == "expect_column_values_to_be_between":
        return _between(kwargs, types, nan, rows)
    if kind == "expect_column_values_to_be_in_set":
        return _in_set(kwargs["column"], kwargs["value_set"], types, parameters, rows)
    if kind in ("expect_column_values_to_match_regex", "expect_column_values_to_not_match_regex"):
        return "0" if types[kwargs["column"]] == "VARCHAR" else None  # see _regex_might_fail
    if kind in ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"):
        keys = ", ".join(_as_pandas_compares(c, types) for c in columns)
        blank = f" where {_name(columns[0])} is not null" if kind == "expect_column_values_to_be_unique" else ""
        nan_rows = f" + {_count(rows, f'false{nan}')}" if nan else ""
        return f"((select count(*) from (select 1 from frame{blank} group by {keys} having count(*) > 1)){nan_rows})"
    a, b = (_as_pandas_compares(kwargs[k], types) for k in ("column_A", "column_B"))
    if (_kind(types[kwargs["column_A"]]) == "other" or _kind(types[kwargs["column_B"]]) == "other") and types[
        kwargs["column_A"]
    ] != types[kwargs["column_B"]]:
        return None
    both_blank = f"({_name(kwargs['column_A'])} is null and {_name(kwargs['column_B'])} is null)"
    operator = "=" if kind == "expect_column_pair_values_to_be_equal" else ">=" if kwargs.get("or_equal") else ">"
    holds = f"coalesce({a} {operator} {b}, false)"
    if _kind(types[kwargs["column_A"]]) != "other":
        # pandas keeps whole numbers (BIGINT, also with blanks) as exact integers, which doubles may round
        # together: both comparisons must hold
        holds += f" and coalesce({_name(kwargs['column_A'])} {operator} {_name(kwargs['column_B'])}, false)"
    return _count(rows, f"not {both_blank} and (not ({holds}){nan})")


def _in_set(column: str, values: list, types: dict[str, str], parameters: list, rows: str) -> str | None:
    """Text against text, true/false against true/false; any other pairing is left to GX."""
    wanted = {"VARCHAR": str, "BOOLEAN": bool}.get(types[column])
    if not isinstance(values, list | tuple | set | frozenset):
        return None  # text is not a set of its characters to GX: it refuses the rule
    if wanted is None or not all(type(value) is wanted for value in values):
        return None
    name = _name(column)
    if not values:
        return _count(rows, f"{name} is not null")
    parameters.extend(value.encode() if wanted is str else value for value in values)  # text as bytes: no collation
    marks = ", ".join("?" for _ in values)
    return _count(rows, f"{name} is not null and {_as_pandas_compares(column, types)} not in ({marks})")


def _between(kwargs: dict, types: dict[str, str], nan: str, rows: str) -> str | None:
    column = kwargs["column"]
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if _kind(types[column]) == "other" or (low is None and high is None):
        return None
    if any(
        bound is not None and (isinstance(bound, bool) or not isinstance(bound, int | float) or not abs(bound) < 2**53)
        for bound in (low, high)
    ):
        return None  # not a number, not finite, or past where a double holds every whole number
    if low is not None and high is not None and low > high:
        return None  # GX refuses the rule itself
    value = _as_pandas_compares(column, types)
    outside = []
    if low is not None:
        outside.append(f"{value} {'<=' if kwargs.get('strict_min') else '<'} {float(low)!r}")
    if high is not None:
        outside.append(f"{value} {'>=' if kwargs.get('strict_max') else '>'} {float(high)!r}")
    return _count(rows, f"{_name(column)} is not null and ({' or '.join(outside)}{nan})")


def _count(rows: str, condition: str) -> str:
    """The rows of `frame` (those `rows` holds for) where `condition` holds, counted in the query's one scan."""
    return f"count(*) filter (where ({rows}) and ({condition}))"


def _regex_might_fail(
    con: duckdb.DuckDBPyConnection, frame_sql: str, expectation: dict, types: dict, rows: str = "true"
) -> int:
    """Regexes are Python's (`re.search`, as GX on pandas): tried on the column's distinct values here."""
    kind, kwargs = expectation["type"], expectation["kwargs"]
    if kind not in ("expect_column_values_to_match_regex", "expect_column_values_to_not_match_regex"):
        return 0
    column = kwargs["column"]
    pattern = re.compile(kwargs["regex"])
    values = con.execute(  # distinct as bytes: under a collation 'A' and 'a' would be one value
        f"with frame as ({frame_sql}) select distinct encode({_name(column)}) from frame "
        f"where ({rows}) and {_name(column)} is not null"
    )
    wanted = kind == "expect_column_values_to_match_regex"
    return sum((pattern.search(text.decode()) is not None) != wanted for (text,) in values.fetchall())


# The rules judged row by row (a row's problem can be skipped); the uniqueness rules compare rows with each other.
ONE_ROW_RULES = {
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_null",
    "expect_column_values_to_be_between",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_match_regex",
    "expect_column_values_to_not_match_regex",
    "expect_column_pair_values_to_be_equal",
    "expect_column_pair_values_a_to_be_greater_than_b",
}
# The expectation types translated, each with the arguments it may carry (anything else: GX decides).
TRANSLATED: dict[str, set[str]] = {
    "expect_column_to_exist": {"column"},
    "expect_column_values_to_not_be_null": {"column"},
    "expect_column_values_to_be_null": {"column"},
    "expect_column_values_to_be_between": {"column", "min_value", "max_value", "strict_min", "strict_max"},
    "expect_column_values_to_be_in_set": {"column", "value_set"},
    "expect_column_values_to_be_unique": {"column"},
    "expect_compound_columns_to_be_unique": {"column_list"},
    "expect_column_pair_values_to_be_equal": {"column_A", "column_B"},
    "expect_column_pair_values_a_to_be_greater_than_b": {"column_A", "column_B", "or_equal"},
    "expect_column_values_to_match_regex": {"column", "regex"},
    "expect_column_values_to_not_match_regex": {"column", "regex"},
}
