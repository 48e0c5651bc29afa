"""The model graph: each SQL model declares what it reads (`-- depends_on:`), checked when models are built."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from flows.demo import DEMO_AS_OF
from flows.models import (
    MODEL_LAYERS,
    SQL_ROOT,
    ModelGraphError,
    describe_graph,
    model_build_order,
    model_graph,
    monthly_tables,
    published_tables,
)
from flows.trajectory import check_bcf_trajectory
from flows.validate import Reference
from flows.warehouse import (
    MONTHLY_TABLES,
    PUBLISHED_TABLES,
    build_models,
    open_warehouse,
    publish_months,
    publish_table,
    set_run_variables,
)


@pytest.fixture
def sql_copy(tmp_path):
    root = tmp_path / "sql"
    shutil.copytree(SQL_ROOT, root)
    return root


def edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_shipped_tree_builds_in_dependency_order():
    order = [name for name, _ in model_build_order()]
    files = sorted(path.stem for layer in MODEL_LAYERS for path in (SQL_ROOT / layer).glob("*.sql"))
    assert sorted(order) == files and len(files) == 39
    graph = model_graph()
    for name, model in graph.items():
        for dependency in model.depends_on:
            if dependency in graph:
                assert order.index(dependency) < order.index(name), (name, dependency)
    assert graph["reconciliation"].depends_on == (
        "int_local_org_days",
        "int_national_org_days",
        "int_providers",
        "ref_bcf_trajectory",
        "ref_sites",
    )
    assert graph["stg_loaded_returns"].depends_on == ("submission_files", "weekly_return_rows")
    assert graph["int_reason_names"].depends_on == ()
    assert graph["reconciliation"].materialized == "table" and graph["kpi_monthly"].materialized == "view"
    # the alert candidates read published models, so they sit in their own layer above published
    assert graph["alert_candidates"].layer == "alerting"
    assert {"trajectory_status", "spc_signals"} <= set(graph["alert_candidates"].depends_on)


def test_published_set_comes_from_the_folder():
    files = {path.stem for path in (SQL_ROOT / "published").glob("*.sql")}
    assert MONTHLY_TABLES == monthly_tables() == ("gap_decomposition", "reconciliation")
    assert set(PUBLISHED_TABLES) == files - set(MONTHLY_TABLES) and len(PUBLISHED_TABLES) == 20
    assert "alert_candidates" not in PUBLISHED_TABLES


def test_an_undeclared_read_is_an_error_naming_file_and_model(sql_copy):
    # a CTE named like a model would also be caught: the check is on whole words outside comments/strings
    edit(
        sql_copy / "published" / "kpi_monthly.sql",
        "from int_site_months",
        "from int_site_months where month not in (select month from int_week_months)",
    )
    with pytest.raises(ModelGraphError) as raised:
        model_build_order(sql_copy)
    assert (
        "sql/published/kpi_monthly.sql: reads int_week_months, which its `-- depends_on:` line does not declare"
    ) in str(raised.value)


def test_a_name_in_a_comment_or_string_is_not_a_read(sql_copy):
    edit(
        sql_copy / "published" / "kpi_monthly.sql",
        "from int_site_months",
        "from int_site_months /* not int_week_months */ where 'spc_signals' <> '' -- nor alert_log",
    )
    assert "kpi_monthly" in dict(model_build_order(sql_copy))


def test_a_declared_dependency_that_does_not_exist_is_an_error(sql_copy):
    edit(
        sql_copy / "published" / "kpi_monthly.sql",
        "-- depends_on: int_site_months",
        "-- depends_on: int_site_months, int_site_monthz",
    )
    with pytest.raises(ModelGraphError) as raised:
        model_build_order(sql_copy)
    assert (
        "sql/published/kpi_monthly.sql: declares int_site_monthz in `-- depends_on:`, but there is no model or "
        "warehouse table of that name"
    ) in str(raised.value)


def test_a_declared_dependency_the_sql_does_not_read_is_an_error(sql_copy):
    edit(
        sql_copy / "published" / "kpi_monthly.sql",
        "-- depends_on: int_site_months",
        "-- depends_on: int_site_months, ref_sites",
    )
    with pytest.raises(ModelGraphError, match=r"kpi_monthly.sql: declares ref_sites .* its SQL does not read it"):
        model_build_order(sql_copy)


def test_a_model_without_a_depends_on_line_is_an_error(sql_copy):
    edit(sql_copy / "intermediate" / "int_site_weeks.sql", "-- depends_on: stg_weekly_returns\n", "")
    with pytest.raises(ModelGraphError, match=r"sql/intermediate/int_site_weeks.sql: no `-- depends_on:` line"):
        model_build_order(sql_copy)


def test_an_upward_layer_read_is_an_error(sql_copy):
    # the old place of the alert candidates: an intermediate model reading published ones
    shutil.move(sql_copy / "alerting" / "alert_candidates.sql", sql_copy / "intermediate" / "int_alert_candidates.sql")
    with pytest.raises(ModelGraphError) as raised:
        model_build_order(sql_copy)
    message = str(raised.value)
    for name in ("spc_signals", "trajectory_status"):
        assert (
            f"sql/intermediate/int_alert_candidates.sql: reads {name} (sql/published/{name}.sql), a published "
            "model; a intermediate model may read only staging, intermediate models"
        ) in message
    # staging reads no intermediate model either
    edit(
        sql_copy / "staging" / "stg_weekly_returns.sql",
        "-- depends_on: stg_loaded_returns",
        "-- depends_on: stg_loaded_returns, int_week_months",
    )
    edit(
        sql_copy / "staging" / "stg_weekly_returns.sql",
        "from stg_loaded_returns",
        "from stg_loaded_returns where week_ending in (select week_ending from int_week_months)",
    )
    with pytest.raises(ModelGraphError, match=r"stg_weekly_returns.sql: reads int_week_months \(sql/intermediate/"):
        model_build_order(sql_copy)


def test_every_problem_is_listed_at_once(sql_copy):
    edit(sql_copy / "published" / "kpi_monthly.sql", "-- depends_on: int_site_months", "-- depends_on: nothing_here")
    with pytest.raises(ModelGraphError) as raised:
        model_build_order(sql_copy)
    lines = str(raised.value).splitlines()
    assert lines[0] == "the model graph in sql/ is not consistent:"
    assert [line.strip() for line in lines[1:]] == [
        "sql/published/kpi_monthly.sql: reads int_site_months, which its `-- depends_on:` line does not declare",
        "sql/published/kpi_monthly.sql: declares nothing_here in `-- depends_on:`, but there is no model or "
        "warehouse table of that name",
    ]


def test_a_wrong_graph_stops_the_build_before_anything_is_created(sql_copy, tmp_path):
    edit(
        sql_copy / "published" / "kpi_monthly.sql",
        "from int_site_months",
        "from int_site_months where month not in (select month from int_week_months)",
    )
    with open_warehouse(tmp_path / "w.duckdb", 5) as con, pytest.raises(ModelGraphError, match="kpi_monthly.sql"):
        build_models(con, pl.DataFrame(), root=sql_copy)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert (
            con.execute("select count(*) from information_schema.tables where table_type = 'VIEW'").fetchone()[0] == 0
        )


def test_a_new_file_in_published_is_published_without_editing_python(sql_copy, demo_run, tmp_path):
    (sql_copy / "published" / "site_count.sql").write_text(
        "-- depends_on: ref_sites\n-- How many sites the council monitors.\nselect count(*) as sites from ref_sites\n",
        encoding="utf-8",
    )
    assert "site_count" in published_tables(sql_copy) and "site_count" not in monthly_tables(sql_copy)
    assert "site_count" in dict(model_build_order(sql_copy))
    # built and written like every other published table, from a copy of the demo warehouse
    ws, _ = demo_run
    shutil.copyfile(ws.warehouse, tmp_path / "copy.duckdb")
    trajectory, problems = check_bcf_trajectory(ws.reference, Reference.load(ws.reference))
    assert not problems
    with duckdb.connect(str(tmp_path / "copy.duckdb")) as con:
        set_run_variables(con, ws.settings(), DEMO_AS_OF, ws.reference)
        assert "site_count" in build_models(con, trajectory, root=sql_copy)
        written = publish_table(con, "site_count", tmp_path)
    assert written.read_text(encoding="utf-8") == "sites\n10\n"


def test_months_published_together_are_the_bytes_of_each_month_published_alone(demo_national, tmp_path):
    """publish_months orders the months' rows once and copies each month from them: the files must be those
    publish_table writes month by month, also when the rows are stored in no order and span many of DuckDB's
    row groups, scanned in parallel."""
    ws, _ = demo_national
    shutil.copyfile(ws.warehouse, tmp_path / "copy.duckdb")
    alone, together = tmp_path / "alone", tmp_path / "together"
    alone.mkdir(), together.mkdir()
    with duckdb.connect(str(tmp_path / "copy.duckdb")) as con:
        set_run_variables(con, ws.settings(), DEMO_AS_OF, ws.reference)
        # the demo's reconciliation copied into four years of the month, each provider 2,000 times, stored
        # shuffled, seen in place of the model
        con.execute("""
            create temp table reconciliation as
            select recon.* replace (
                strftime(strptime(recon.month, '%Y-%m') - to_years((copy % 4)::integer), '%Y-%m') as month,
                recon.provider_code || '-' || lpad((copy // 4)::varchar, 4, '0') as provider_code
            )
            from main.reconciliation as recon, range(8000) as copies(copy)
            order by hash(copy, recon.provider_code, recon.responsible_org, recon.month)""")
        months = [m for (m,) in con.execute("select distinct month from reconciliation order by month desc").fetchall()]
        assert len(months) >= 2 and con.execute("select count(*) from reconciliation").fetchone()[0] > 250000
        written = publish_months(con, "reconciliation", together, months)
        gaps = publish_months(con, "gap_decomposition", together, months[:1])
        for month in months:
            publish_table(con, "reconciliation", alone, month)
        publish_table(con, "gap_decomposition", alone, months[0])
    assert [path.name for path in written + gaps] == [
        *(f"reconciliation_{month}.csv" for month in months),
        f"gap_decomposition_{months[0]}.csv",
    ]
    assert sorted(path.name for path in together.iterdir()) == sorted(path.name for path in alone.iterdir())
    for path in alone.iterdir():
        assert (together / path.name).read_bytes() == path.read_bytes(), path.name
    assert (alone / f"reconciliation_{months[0]}.csv").read_bytes().count(b"\n") > 10000


def test_months_published_together_keep_their_order_when_duckdb_may_reorder_rows(tmp_path):
    """A connection told DuckDB need not keep a table's rows in insertion order (`preserve_insertion_order =
    false`, DuckDB's own advice when it runs out of memory) must still get the files publish_table writes,
    not rows in whatever order the threads scanned them."""
    alone, together = tmp_path / "alone", tmp_path / "together"
    alone.mkdir(), together.mkdir()
    with duckdb.connect() as con:
        con.execute("""
            create table per_month_figures as
            select strftime(date '2017-01-01' + to_months((i % 3)::integer), '%Y-%m') as month,
                   lpad((i // 3)::varchar, 7, '0') as provider_code, (i % 97)::decimal(18, 1) as days
            from range(900000) as rows(i)
            order by hash(i)""")
        con.execute("set preserve_insertion_order = false")
        months = ["2017-01", "2017-02", "2017-03"]
        publish_months(con, "per_month_figures", together, months)
        for month in months:
            publish_table(con, "per_month_figures", alone, month)
    for path in alone.iterdir():
        assert (together / path.name).read_bytes() == path.read_bytes(), path.name


def test_dtoc_models_lists_every_model_with_its_layer_and_reads():
    result = subprocess.run([sys.executable, "-m", "flows.cli", "models"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == describe_graph().strip()
    rows = {
        line.split()[1]: line
        for line in result.stdout.splitlines()
        if line.split()[:1] and line.split()[0] in MODEL_LAYERS
    }
    assert set(rows) == set(dict(model_build_order()))
    assert re.fullmatch(
        r"published +reconciliation +<- int_local_org_days, int_national_org_days, int_providers, "
        r"ref_bcf_trajectory\*, ref_sites\*  \[table; published per month\]",
        rows["reconciliation"],
    )
    assert re.fullmatch(r"staging +stg_weekly_returns +<- stg_loaded_returns", rows["stg_weekly_returns"])
    assert rows["kpi_monthly"].endswith("[published]")


def test_dtoc_models_names_the_problem_in_a_broken_tree(sql_copy):
    edit(sql_copy / "published" / "kpi_monthly.sql", "-- depends_on: int_site_months", "-- depends_on: nothing_here")
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", "models", "--sql", str(sql_copy)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert "sql/published/kpi_monthly.sql: declares nothing_here in `-- depends_on:`" in result.stderr


def test_the_readme_shows_the_current_graph():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert f"```\n{describe_graph()}\n```" in readme, "README's model graph is out of date: paste `dtoc models`"


def test_a_view_is_created_again_only_when_its_sql_or_the_macros_changed(sql_copy, demo_run, tmp_path):
    ws, _ = demo_run
    shutil.copyfile(ws.warehouse, tmp_path / "copy.duckdb")
    trajectory, _ = check_bcf_trajectory(ws.reference, Reference.load(ws.reference))

    def built_from(con) -> dict[str, str]:
        views = (
            "select view_name, comment from duckdb_views() where database_name = current_database() and not internal"
        )
        return dict(con.execute(views).fetchall())

    with duckdb.connect(str(tmp_path / "copy.duckdb")) as con:
        set_run_variables(con, ws.settings(), DEMO_AS_OF, ws.reference)
        build_models(con, trajectory, root=sql_copy)
        first = built_from(con)
        sites = con.execute("select count(*) from weekly_site_summary").fetchone()[0]
        con.execute("create or replace view kpi_monthly as select 1 as stale")  # as an older version might leave it
        edit(sql_copy / "published" / "weekly_site_summary.sql", "\nselect", "\nselect -- edited\n")
        build_models(con, trajectory, root=sql_copy)
        second = built_from(con)
        changed = sorted(name for name in first if second[name] != first[name])
        assert changed == ["weekly_site_summary"] and second["kpi_monthly"] == first["kpi_monthly"]
        assert "stale" not in [c[0] for c in con.execute("select * from kpi_monthly limit 0").description]
        assert con.execute("select count(*) from weekly_site_summary").fetchone()[0] == sites
        (sql_copy / "macros" / "percentages.sql").write_text(
            (sql_copy / "macros" / "percentages.sql").read_text() + "\n-- a macro file edited\n"
        )
        build_models(con, trajectory, root=sql_copy)
        third = built_from(con)
        assert len(first) == 37 and all(third[name] != second[name] for name in first)
