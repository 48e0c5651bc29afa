"""Benchmark: national SitRep ingest throughput beside a bare DuckDB scan of the same files.

    .venv/bin/python bench/national.py [--months 12] [--seed 1]

Writes synthetic extracts in the real layout (about 20,000 rows a month, `flows/synth.py`), then
times (a) the floor: DuckDB reading the CSVs and grouping delayed days by month and council,
nothing checked; (b) ours: read with polars, validate every cell with the Great Expectations
suite, map council codes, load each file into the warehouse in its own transaction.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import polars as pl  # noqa: E402

from flows.synth import local_authorities_csv, write_synth_national  # noqa: E402


def floor(files: list[Path]) -> tuple[float, int]:
    started = time.perf_counter()
    con = duckdb.connect()
    rows = con.execute(f"""
        with cells as (
            select * from read_csv({[str(f) for f in files]}, auto_detect = false, delim = ',', quote = '"',
                                   header = false, strict_mode = false, null_padding = true,
                                   columns = {{{", ".join(f"'c{i}': 'VARCHAR'" for i in range(16))}}})
            where c0 similar to '[0-9]{{4}}-[0-9]{{2}}'
        )
        select c0, c1, c6,
               sum(coalesce(cast(replace(c11, ',', '') as double), 0) + coalesce(cast(replace(c13, ',', '') as double), 0)
                   + coalesce(cast(replace(c15, ',', '') as double), 0)) as delayed_days, count(*) as rows
        from cells group by all""").fetchall()
    return time.perf_counter() - started, sum(r[4] for r in rows)


def ours(files: list[Path], workdir: Path) -> tuple[float, int, float]:
    from flows.sitrep import check_extracts
    from flows.warehouse import open_warehouse, record_national_file

    started = time.perf_counter()
    import great_expectations  # noqa: F401  (imported once per run, whatever the number of files)
    import_seconds = time.perf_counter() - started
    las = pl.read_csv(io.StringIO(local_authorities_csv()), infer_schema=False)
    dh_to_ons = dict(las.select("dh_code", "la_code").iter_rows())
    loaded = 0
    with open_warehouse(workdir / "warehouse.duckdb", 5) as con:
        for checked in check_extracts(files, dh_to_ons):  # as the national flow does: all new files at once
            assert checked.accepted, checked.problems[:3]
            record_national_file(con, checked, datetime.now())
            loaded += checked.rows.height
    return time.perf_counter() - started, loaded, import_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="dtoc-bench-national-"))
    files = write_synth_national(scratch / "inbox", args.months, args.seed, first_index=80)
    floor_seconds, floor_rows = floor(files)
    our_seconds, our_rows, import_seconds = ours(files, scratch)
    assert floor_rows == our_rows, (floor_rows, our_rows)
    print(f"national ingest, {args.months} monthly extracts, {our_rows:,} rows:")
    print(f"  floor, bare DuckDB read_csv + group-by: {floor_seconds:6.2f} s  {floor_rows / floor_seconds:10,.0f} rows/s")
    print(f"  ours, read + validate + load:          {our_seconds:6.2f} s  {our_rows / our_seconds:10,.0f} rows/s"
          f"  (of which {import_seconds:.1f} s importing Great Expectations)")
    print(f"  ratio ours / floor: {our_seconds / floor_seconds:.1f}x")


if __name__ == "__main__":
    main()
