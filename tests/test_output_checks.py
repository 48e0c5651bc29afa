"""Published tables are checked before they are written (an expectation suite per table), as dbt tests models."""

from __future__ import annotations

import asyncio
import hashlib
import json

import duckdb
import pytest
from conftest import demo_models_copy, drop_file

from flows.demo import DEMO_AS_OF, write_sample
from flows.models import shared_views
from flows.output_checks import CHECKS_SQL, OutputChecks, check_published_table, suite_name
from flows.validate import EXPECTATIONS_ROOT
from flows.warehouse import MONTHLY_TABLES, PUBLISHED_TABLES
from flows.weekly import run_weekly
from flows.workspace import open_workspace

ALL_TABLES = PUBLISHED_TABLES + MONTHLY_TABLES
SUITES = EXPECTATIONS_ROOT / "gx" / "expectations"


def suite_expectations(table: str) -> list[dict]:
    return json.loads((SUITES / f"{suite_name(table)}.json").read_text(encoding="utf-8"))["expectations"]


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("table", ALL_TABLES)
def test_every_published_table_has_a_suite_with_sentences(table):
    expectations = suite_expectations(table)
    assert expectations, f"{table}: empty suite"
    assert all(e["meta"].get("problem") for e in expectations), "every rule says what is wrong in words"
    key_rules = [
        e
        for e in expectations
        if e["type"] in ("expect_compound_columns_to_be_unique", "expect_column_values_to_be_unique")
    ]
    assert len(key_rules) == 1, f"{table}: its key is checked for uniqueness"


def test_demo_runs_pass_every_output_suite(demo_run, demo_national):
    _, weekly = demo_run
    _, national = demo_national
    assert [c["table"] for c in weekly.output_checks] == list(PUBLISHED_TABLES)  # no national month yet
    assert [c["table"] for c in national.output_checks] == list(ALL_TABLES)
    for check in weekly.output_checks + national.output_checks:
        assert check["success"], (check["table"], check["problems"])
        assert check["expectations"] == len(suite_expectations(check["table"])) > 0
    assert len(weekly.output_checks) == 20 and len(national.output_checks) == 22
    rows = {c["table"]: c["rows"] for c in national.output_checks}
    assert rows["weekly_site_summary"] == 120 and rows["reconciliation"] == 36 and rows["gap_decomposition"] == 4
    assert (
        rows["monthly_reasons"],
        rows["monthly_site_people"],
        rows["monthly_movers"],
        rows["monthly_completeness"],
        rows["suspicious_returns"],
        rows["monthly_headlines"],
    ) == (174, 120, 51, 30, 3, 3)
    assert weekly.not_published == [] and national.not_published == []
    assert (
        sum(c["expectations"] for c in national.output_checks)
        == sum(len(suite_expectations(table)) for table in ALL_TABLES)
        >= 130
    )


def test_a_later_snapshot_for_the_same_as_of_is_not_a_duplicate(demo_connection):
    """A late return seen by a second run for the same as-of adds snapshot 2 beside snapshot 1."""
    con = demo_connection
    con.begin()
    try:
        con.execute("create table original as select * from trajectory_status_history")
        con.execute("drop view trajectory_status_history")
        con.execute(
            "create view trajectory_status_history as select * from original union all "
            "select * replace (2 as snapshot, mtd_days + 10 as mtd_days) from original"
        )
        assert con.execute("select count(distinct snapshot) from trajectory_status_history").fetchone() == (2,)
        reasons = check_published_table(con, "trajectory_status_history")
    finally:
        con.rollback()
    assert reasons == []


@pytest.fixture(scope="module")
def demo_connection(demo_national, tmp_path_factory):
    """A copy of the demo warehouse with the run's variables and models, where a test may break a table."""
    ws, _ = demo_national
    con = demo_models_copy(ws, tmp_path_factory.mktemp("checks"))
    yield con
    con.close()


# table, the broken version of it (`original` holds its correct rows), words the reason must contain
# (parts separated by |)
BROKEN = [
    (
        "weekly_site_summary",
        "select * from original union all (select * from original where site_code = 'MED' "
        "and week_ending = date '2017-11-23')",
        "site MED appears more than once for the week ending 2017-11-23",
    ),
    (
        "weekly_site_summary",
        "select * replace (att_social_care_days + 1 as att_social_care_days) from original",
        "site DVH, week ending 2017-09-07: att_nhs_days 105 + att_social_care_days 110 does not add up to total_days 214 "
        "(off by 1) (120 rows fail this check; the first is shown)",
    ),
    (
        "weekly_site_summary",
        "select * replace (case when site_code = 'DVH' and week_ending = date '2017-11-23' "
        "then null else nhs_days end as nhs_days) from original",
        "site DVH, week ending 2017-11-23 has a return but nhs_days is blank",
    ),
    (
        "weekly_site_summary",
        "select * replace (case when site_code = 'DVH' then 'up' else direction end as direction) from original",
        "direction 'up' is not one of increased, decreased, same",
    ),
    (
        "monthly_site_summary",
        "select * replace (nhs_days + 1 as nhs_days) from original",
        "nhs_days|+ social_care_days|+ both_days|does not add up to total_days|(off by 1)",
    ),
    (
        "monthly_provider_summary",
        "select * from original where provider_code <> 'RPA'",
        "but the month's loaded returns hold",
    ),
    (
        "reconciliation",
        "select * replace (out_of_area_days + 1 as out_of_area_days) from original",
        "out_of_area_days|is not national_provider_days|- national_days",
    ),
    (
        "reconciliation",
        "select * replace (case when provider_code = 'RPA' and responsible_org = 'NHS' "
        "then local_days + 2 else local_days end as local_days) from original",
        "is not the sum of its parts (off by 2)",
    ),
    (
        "reconciliation",
        "select * replace (case when provider_code = 'RN7' then null else local_days end as local_days) from original",
        "2017-09: provider RN7, Both: local_days is blank",
    ),
    (
        "gap_decomposition",
        "select * replace (case when component = 'residual' then days + 1 else days end as days) from original",
        "2017-09, E10000016: local + national_only + residual does not equal national (off by 1)",
    ),
    (
        "gap_decomposition",
        "select * from original where component <> 'national_only'",
        "3 components instead of local, national_only, residual and national",
    ),
    (
        "trajectory_status",
        "select * replace (planned_days + 5 as planned_days) from original",
        "is not the sum of its rows in reference/bcf_trajectory.csv",
    ),
    (
        "trajectory_status",
        "select * replace ('late' as status) from original",
        "status 'late' is not one of on_track, breach, incomplete",
    ),
    ("kpi_monthly", "select * replace ('PURPLE' as rag) from original", "rag 'PURPLE' is not one of GREEN, AMBER, RED"),
    (
        "la_rates",
        "select * replace (case when source = 'local' then 'guess' else source end as source) from original",
        "source 'guess' is not one of local, national, bcf_target",
    ),
    (
        "la_rates",
        "select * replace (case when measure = 'nhs' then delayed_days + 1 else delayed_days end "
        "as delayed_days) from original",
        "is not the sum of the nhs, social_care and both rows (off by -1)",
    ),
    (
        "weekly_social_care_makeup",
        "select * replace (pct_of_social_care_days / 2 as pct_of_social_care_days) from original",
        "the sites' shares of social-care days do not add up to 100 %",
    ),
    (
        "spc_signals",
        "select * replace ('wobbly' as signal) from original",
        "signal 'wobbly' is not a ;-separated list of known XmR signals",
    ),
    (
        "spc_signals",
        "select * replace (lower_limit as upper_limit, upper_limit as lower_limit) from original",
        "is below lower_limit",
    ),
    (
        "alerts",
        "select * replace ('lost' as delivery_state) from original",
        "delivery_state 'lost' is not pending or delivered",
    ),
    ("trajectory_burnup", "select * replace (-cumulative_days - 1 as cumulative_days) from original", "is negative"),
    (
        "trajectory_status_history",
        "select * from original union all select * from original",
        "appears more than once for",
    ),
    (
        "trajectory_status",
        "select * replace (days_covered + 1 as days_covered) from original",
        "is not the days of the|period(s) counted (7 a week under month_rule week_ending, 1 a day under calendar; off by 1)",
    ),
    (
        "trajectory_status_history",
        "select * replace (days_covered + 1 as days_covered) from original",
        "is not the days of the|period(s) counted (7 a week, or 1 a calendar day)",
    ),
    (
        "trajectory_status_history",
        "select * replace (periods_in_month + 1 as periods_to_date) from original",
        "is more than periods_in_month",
    ),
    ("trajectory_burnup", "select * replace (0 as days_covered) from original", "days_covered 0 is not 1 to 35"),
    (
        "monthly_reasons",
        "select * replace (pct_of_org_days / 2 as pct_of_org_days) from original",
        "the reasons' shares of the organisation's days do not add up to 100 % (off by -50)",
    ),
    (
        "monthly_reasons",
        "select * replace (case when source = 'local' and site_code = 'MAID' then delayed_days + 1 "
        "else delayed_days end as delayed_days) from original",
        "2017-09, local RWF MAID, NHS: the reasons' delayed days add up to 199, not the 198 days in monthly_site_summary "
        "(off by 1)",
    ),
    (
        "monthly_reasons",
        "select * from original where not (source = 'local' and site_code = 'MAID')",
        "2017-09, local Total, |: the Total's delayed days add up to|days of the local site and provider rows (off by",
    ),
    (
        "monthly_reasons",
        "select * from original where not (source = 'national' and provider_code = 'RN7')",
        "2017-09, national Total, |days of the national site and provider rows (off by",
    ),
    (
        "monthly_reasons",
        "select * replace (case when rank_in_org = 1 then 2 when rank_in_org = 2 then 1 "
        "else rank_in_org end as rank_in_org) from original",
        "it has more days than the reason ranked above it",
    ),
    (
        "monthly_reasons",
        "select * replace (case when source = 'local' then 'guess' else source end as source) from original",
        "source 'guess' is not one of local, national",
    ),
    (
        "monthly_site_people",
        "select * replace (case when responsible_org = 'Total' then delayed_days + 1 "
        "else delayed_days end as delayed_days) from original",
        "the Total row's delayed_days|is not the sum of the NHS, Social Care and Both rows (off by 1)",
    ),
    (
        "monthly_site_people",
        "select * replace (case when responsible_org = 'NHS' then delayed_days - 2 "
        "else delayed_days end as delayed_days) from original",
        "in monthly_site_summary (off by -2)",
    ),
    (
        "monthly_site_people",
        "select * replace ('NHS' as wholly_attributable_to) from original",
        "wholly_attributable_to: it says NHS, but not every delayed day was an NHS delay",
    ),
    (
        "monthly_movers",
        "select * replace (change_total_days + 1 as change_total_days) from original",
        "change_total_days|is not total_days|- previous_total_days|(off by 1)",
    ),
    (
        "monthly_movers",
        "select * replace (coalesce(rank_improvement, 1) as rank_improvement) from original",
        "rank_improvement is wrong: only comparable rows are ranked",
    ),
    ("monthly_movers", "select * replace (month as previous_month) from original", "is not the month before"),
    (
        "monthly_completeness",
        "select * replace (weeks_missing + 1 as weeks_missing) from original",
        "weeks_returned 4 + weeks_missing 1 does not add up to weeks_due 4 (off by 1)",
    ),
    (
        "monthly_completeness",
        "select * replace (weeks_in_month + 1 as weeks_due, weeks_in_month + 1 - weeks_returned "
        "as weeks_missing) from original",
        "is more than the month's weeks_in_month",
    ),
    (
        "monthly_completeness",
        "select * replace (not complete as complete) from original",
        "complete means every week returned",
    ),
    (
        "suspicious_returns",
        "select * replace (total_days + 5 as total_days) from original",
        "the all_zero finding does not hold on the figures shown (total_days 5",
    ),
    (
        "suspicious_returns",
        "select * replace ('typo' as \"check\") from original",
        "check 'typo' is not one of all_zero, far_outside_limits",
    ),
    (
        "monthly_headlines",
        "select * replace (not target_met as target_met) from original",
        "target_met is true, but total_days is 3569 against bcf_target_days 3399.2",
    ),
    (
        "monthly_headlines",
        "select * replace (days_against_target + 1 as days_against_target) from original",
        "days_against_target|is not total_days|- bcf_target_days|(off by 1)",
    ),
    (
        "monthly_headlines",
        "select * replace ('complete' as coverage) from original",
        "2017-11: complete False and coverage 'complete' do not say whether all 10 sites are complete (0 are)",
    ),
    (
        "monthly_headlines",
        "select * from original union all select * from original",
        "2017-09 has more than one headline row",
    ),
]


@pytest.mark.parametrize(
    ("table", "broken", "expected"), BROKEN, ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(BROKEN)]
)
def test_each_rule_names_what_is_wrong(demo_connection, table, broken, expected):
    con = demo_connection
    assert check_published_table(con, table) == [], "the demo's table passes before it is broken"
    con.begin()
    try:
        con.execute(f"create table original as select * from {table}")
        kind = con.execute("select table_type from information_schema.tables where table_name = ?", [table]).fetchone()[
            0
        ]
        con.execute(f"drop {'table' if kind == 'BASE TABLE' else 'view'} {table}")
        con.execute(f"create view {table} as {broken}")
        reasons = check_published_table(con, table)
    finally:
        con.rollback()
    assert any(all(part in reason for part in expected.split("|")) for reason in reasons), reasons


def test_a_whole_share_a_hair_over_100_passes(demo_connection):
    """Under month_rule = calendar a reason that is all of its organisation's days can come to
    100.00000000000001 % (days split at ten decimals); that is 100 %, not a failure."""
    con = demo_connection
    con.begin()
    try:
        con.execute("create table original as select * from monthly_reasons")
        con.execute("drop view monthly_reasons")
        con.execute(
            "create view monthly_reasons as select * replace (case when pct_of_org_days = 100 "
            "then 100.00000000000001 else pct_of_org_days end as pct_of_org_days) from original"
        )
        assert con.execute("select count(*) from monthly_reasons where pct_of_org_days > 100").fetchone()[0] > 0
        reasons = check_published_table(con, "monthly_reasons")
    finally:
        con.rollback()
    assert reasons == []


def test_a_monthly_table_withholds_only_the_months_that_fail(demo_connection):
    con = demo_connection
    con.begin()
    try:
        con.execute("create table original as select * from reconciliation")
        con.execute("drop table reconciliation")
        con.execute(
            "create view reconciliation as select * from original union all "
            "select * replace ('2017-10' as month, out_of_area_days + 1 as out_of_area_days) from original"
        )
        checks = OutputChecks(con)
        september, october = checks("reconciliation", "2017-09"), checks("reconciliation", "2017-10")
        assert len(checks.results) == 1  # one validation for the table, all months together
    finally:
        con.rollback()
    assert september == []
    assert october and all(reason.startswith("2017-10: ") for reason in october), october


def test_check_sql_reads_only_published_models():
    assert sorted(p.stem for p in CHECKS_SQL.glob("*.sql")) == sorted(
        {
            "weekly_site_summary",
            "monthly_site_summary",
            "monthly_provider_summary",
            "la_rates",
            "trajectory_status",
            "trajectory_status_history",
            "weekly_social_care_makeup",
            "reconciliation",
            "gap_decomposition",
            "monthly_reasons",
            "monthly_site_people",
            "monthly_movers",
            "monthly_completeness",
            "suspicious_returns",
            "monthly_headlines",
            "weekly_headlines",
            "gap_waterfall",
            "spc_chart_sites",
        }
    )
    assert all(p.stem in ALL_TABLES for p in CHECKS_SQL.glob("*.sql"))


def run_summary_markdown(summary) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    async def read():
        async with get_client() as client:
            [found] = await client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    key=ArtifactFilterKey(any_=["weekly-dtoc-run-summary"]),
                    flow_run_id=ArtifactFilterFlowRunId(any_=[summary.flow_run_id]),
                )
            )
            return found.data

    return asyncio.run(read())


def test_a_failing_table_keeps_its_previous_file_and_the_run_says_why(tmp_path):
    ws = open_workspace(tmp_path / "work")
    write_sample(ws.inbox_weekly)
    first = run_weekly(ws.root, DEMO_AS_OF)
    assert first.not_published == [] and all(c["success"] for c in first.output_checks)
    kept = ("weekly_site_summary.csv", "trajectory_burnup.csv", "site/index.html")
    before = {name: digest(ws.publish / name) for name in kept}
    spc_before, monthly_before = digest(ws.publish / "spc_signals.csv"), digest(ws.publish / "monthly_site_summary.csv")

    # someone "fixes" Medway's stored return in the warehouse by hand (bypassing the inbox's checks)
    # and keys its NHS days as negative; a corrected DVH return arrives the ordinary way
    edit = (
        "update weekly_return_rows set delayed_days = -delayed_days where site_code = 'MED' "
        "and week_ending = date '2017-09-07' and responsible_org = 'NHS'"
    )
    with duckdb.connect(str(ws.warehouse)) as con:
        con.execute(edit)
    drop_file(
        ws,
        "DVH_week_2017-11-23_corrected.csv",
        "site_code,week_ending,nhs_days,social_care_days,both_days\nDVH,2017-11-23,80,14,7\n",
    )
    second = run_weekly(ws.root, DEMO_AS_OF)

    withheld = {item["file"]: item for item in second.not_published}
    assert sorted(withheld) == [
        "commentary_<YYYY-MM>.md",
        "site/index.html",
        "trajectory_burnup.csv",
        "weekly_site_summary.csv",
    ]
    assert withheld["weekly_site_summary.csv"]["table"] == "weekly_site_summary"
    assert (
        "site MED, week ending 2017-09-07 has a negative day count (-33)"
        in withheld["weekly_site_summary.csv"]["reasons"]
    )
    assert withheld["trajectory_burnup.csv"]["reasons"] == [
        "provider RPA, week ending 2017-09-07: cumulative_days -9 is negative"
    ]
    for name in kept:
        assert digest(ws.publish / name) == before[name], f"{name} must stay as it was"
    assert str(ws.publish / "weekly_site_summary.csv") not in second.published
    # the other tables are published with the corrected return
    assert digest(ws.publish / "spc_signals.csv") != spc_before
    assert digest(ws.publish / "monthly_site_summary.csv") != monthly_before
    assert "DVH,2017-11-23,101" in (ws.publish / "spc_signals.csv").read_text(encoding="utf-8")
    failed = {c["table"] for c in second.output_checks if not c["success"]}
    assert failed == {"weekly_site_summary", "trajectory_burnup"}
    markdown = run_summary_markdown(second)
    assert "## Not published: failed their output checks (the previous file is kept)" in markdown
    assert (
        "- `weekly_site_summary.csv` (weekly_site_summary): site MED, week ending 2017-09-07 has a negative" in markdown
    )
    assert "Output checks: 18 of 20 published tables passed" in markdown

    with duckdb.connect(str(ws.warehouse)) as con:  # the edit is undone: the next run publishes again
        con.execute(edit)
    third = run_weekly(ws.root, DEMO_AS_OF)
    assert third.not_published == [] and all(c["success"] for c in third.output_checks)
    assert digest(ws.publish / "weekly_site_summary.csv") != before["weekly_site_summary.csv"]
    assert ",DVH,Darent Valley Hospital,acute,80,14,7," in (ws.publish / "weekly_site_summary.csv").read_text(
        encoding="utf-8"
    )


def test_publishing_reads_the_checked_rows_then_the_models_again(demo_connection):
    con = demo_connection
    temporary = "select table_name from duckdb_tables() where temporary order by all"
    months = "select count(*), sum(total_days) from int_site_months"
    expected = con.execute(months).fetchone()
    with OutputChecks(con) as checks:
        # the views several views read are computed once, from the start of publishing
        assert [name for (name,) in con.execute(temporary).fetchall()] == sorted(shared_views())
        assert {"int_site_months", "int_attributed_site_weeks", "stg_weekly_returns"} <= set(shared_views())
        assert "stg_national_rows" not in shared_views()  # one view reads it (the other reader is a table)
        assert con.execute(months).fetchone() == expected
        assert checks("weekly_site_summary") == []
        assert ("weekly_site_summary",) in con.execute(temporary).fetchall()  # the file, report, dashboard read these
        assert con.execute("select count(*) from weekly_site_summary").fetchone() == (120,)
    assert con.execute(temporary).fetchall() == []
    assert con.execute("select count(*) from weekly_site_summary").fetchone() == (120,)
    assert con.execute(months).fetchone() == expected
