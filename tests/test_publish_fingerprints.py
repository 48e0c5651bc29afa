"""A month's reconciliation, gap table and report are written again only when something they show changed."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import date

import polars as pl
import pytest
from test_national import SUMMARY_HEADER, extract_text, row

from flows.national import run_national
from flows.weekly import run_weekly
from flows.workspace import open_workspace

AS_OF = date(2017, 11, 24)
MONTH_FILES = ("reconciliation_{}.csv", "gap_decomposition_{}.csv", "dtoc_report_{}.xlsx")


def month_files(ws, months):
    return [ws.publish / pattern.format(month) for month in months for pattern in MONTH_FILES]


def digests(paths):
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in paths}


def age(paths):
    for path in paths:
        os.utime(path, (1, 1))


def rewritten(paths):
    return sorted(path.name for path in paths if path.stat().st_mtime != 1)


@pytest.mark.long(47)
def test_unchanged_months_are_not_written_again_and_bytes_match_a_fresh_run(tmp_path, workspace):
    (workspace.inbox_weekly / "dvh.csv").write_text(f"{SUMMARY_HEADER}\nDVH,2017-09-07,12,6,2\n")
    (workspace.inbox_national / "aug.csv").write_text(extract_text([row(period="AUGUST")]))
    (workspace.inbox_national / "sept.csv").write_text(extract_text([row(nhs="25")]))
    run_weekly(workspace.root, AS_OF)
    run_national(workspace.root, AS_OF)
    first = month_files(workspace, ["2017-08", "2017-09"])
    age(first)
    again = run_national(workspace.root, AS_OF)
    assert again.reconciled_months == ["2017-08", "2017-09"]
    assert rewritten(first) == []  # nothing changed: nothing written

    (workspace.inbox_national / "oct.csv").write_text(extract_text([row(period="OCTOBER", nhs="7")]))
    run_national(workspace.root, AS_OF)
    assert rewritten(first) == []
    assert all(path.exists() for path in month_files(workspace, ["2017-10"]))

    (workspace.inbox_national / "sept_again.csv").write_text(extract_text([row(nhs="26")]))
    run_national(workspace.root, AS_OF)
    assert rewritten(first) == [
        "dtoc_report_2017-09.xlsx",
        "gap_decomposition_2017-09.csv",
        "reconciliation_2017-09.csv",
    ]

    # A month's report shows its own month (and the 12 weeks to its end), not the run's as-of: a later
    # run that changes nothing leaves every file alone. (Before, the report's title showed each run's
    # as-of and its weekly sheet the latest 12 weeks, so every run rewrote every month's report.)
    later = date(2017, 12, 1)
    age(first)
    run_national(workspace.root, later)
    assert rewritten(first) == []

    # the same inputs in one go, as of the run that last changed the files, give the same bytes
    fresh = open_workspace(tmp_path / "fresh")
    (fresh.inbox_weekly / "dvh.csv").write_text(f"{SUMMARY_HEADER}\nDVH,2017-09-07,12,6,2\n")
    run_weekly(fresh.root, AS_OF)
    for name in ("aug.csv", "sept.csv", "oct.csv", "sept_again.csv"):
        shutil.copy2(workspace.inbox_national / name, fresh.inbox_national / name)
    run_national(fresh.root, AS_OF)
    months = ["2017-08", "2017-09", "2017-10"]
    assert digests(month_files(fresh, months)) == digests(month_files(workspace, months))


# ---- a month's report and commentary are of that month: later runs leave past months alone --------

AUGUST_WEEKS = ["2017-08-03", "2017-08-10", "2017-08-17", "2017-08-24", "2017-08-31"]
REPORTS = ("dtoc_report_{}.xlsx", "commentary_{}.md")


def drop_week(ws, week: str, nhs: int = 12, sc: int = 6, name: str = "") -> None:
    (ws.inbox_weekly / (name or f"dvh_{week}.csv")).write_text(f"{SUMMARY_HEADER}\nDVH,{week},{nhs},{sc},0\n")


def report_files(ws, months):
    return [ws.publish / pattern.format(month) for month in months for pattern in REPORTS]


def weeks_shown(path) -> list[str]:
    weekly = pl.read_excel(path, sheet_name="Weekly (12 weeks)")
    return sorted({str(week)[:10] for week in weekly["Week ending"].to_list()})


def summary_title(path) -> str:
    return pl.read_excel(path, sheet_name="Summary", has_header=False, infer_schema_length=0).row(0)[0]


@pytest.fixture
def august_and_september(workspace):
    """DVH's weeks from August to mid September and both months' national extracts, as of 15 September."""
    for week in [*AUGUST_WEEKS, "2017-09-07", "2017-09-14"]:
        drop_week(workspace, week)
    (workspace.inbox_national / "aug.csv").write_text(extract_text([row(period="AUGUST")]))
    (workspace.inbox_national / "sept.csv").write_text(extract_text([row(nhs="25")]))
    run_weekly(workspace.root, date(2017, 9, 15))
    run_national(workspace.root, date(2017, 9, 15))
    return workspace


def test_a_later_weekly_run_leaves_an_earlier_month_alone_and_rewrites_the_current_one(august_and_september):
    ws = august_and_september
    august, september = report_files(ws, ["2017-08"]), report_files(ws, ["2017-09"])
    assert weeks_shown(ws.publish / "dtoc_report_2017-08.xlsx") == AUGUST_WEEKS  # not the September weeks loaded
    before = digests(august)
    age(august + september)

    drop_week(ws, "2017-09-21")
    run_weekly(ws.root, date(2017, 9, 22))
    assert rewritten(august + september) == ["commentary_2017-09.md", "dtoc_report_2017-09.xlsx"]
    assert digests(august) == before  # byte-identical, and not touched (mtime as it was)
    assert weeks_shown(ws.publish / "dtoc_report_2017-09.xlsx") == [
        *AUGUST_WEEKS,
        "2017-09-07",
        "2017-09-14",
        "2017-09-21",
    ]
    assert summary_title(ws.publish / "dtoc_report_2017-08.xlsx").endswith(
        "(as of 2017-09-15, the run that last changed this report)"
    )
    assert summary_title(ws.publish / "dtoc_report_2017-09.xlsx").endswith(
        "(as of 2017-09-22, the run that last changed this report)"
    )
    assert "as of 2017-09-15 (the run that last changed it)" in (ws.publish / "commentary_2017-08.md").read_text()


def test_a_published_file_damaged_or_edited_by_hand_is_written_again(august_and_september):
    """What a file shows is unchanged, but its bytes are not those the pipeline wrote: write it again."""
    ws = august_and_september
    report, reconciliation, table = (
        ws.publish / "dtoc_report_2017-08.xlsx",
        ws.publish / "reconciliation_2017-08.csv",
        ws.publish / "monthly_reasons.csv",
    )
    before = digests([report, reconciliation, table])
    report.write_text("garbage")  # saved over, or a copy cut short
    reconciliation.write_text("tampered\n")
    with table.open("a", encoding="utf-8") as handle:
        handle.write("x\n")
    run_weekly(ws.root, date(2017, 9, 15))
    assert digests([report, reconciliation, table]) == before
    untouched = ws.publish / "dtoc_report_2017-09.xlsx"
    age([untouched])
    run_weekly(ws.root, date(2017, 9, 15))
    assert rewritten([untouched]) == []  # an intact file is still left alone


def test_a_resubmission_in_an_old_month_rewrites_that_months_report(august_and_september):
    ws = august_and_september
    files = report_files(ws, ["2017-08", "2017-09"])
    age(files)
    drop_week(ws, "2017-08-17", nhs=40, name="dvh_2017-08-17_resubmitted.csv")
    summary = run_weekly(ws.root, date(2017, 9, 22))
    assert summary.resubmitted_keys == ["DVH 2017-08-17 (dvh_2017-08-17_resubmitted.csv)"]
    # September's report shows August's weeks in its 12 weeks and compares with August: rewritten too
    assert rewritten(files) == [
        "commentary_2017-08.md",
        "commentary_2017-09.md",
        "dtoc_report_2017-08.xlsx",
        "dtoc_report_2017-09.xlsx",
    ]
    weekly = pl.read_excel(ws.publish / "dtoc_report_2017-08.xlsx", sheet_name="Weekly (12 weeks)")
    assert weekly.filter(pl.col("Week ending").cast(pl.String).str.starts_with("2017-08-17"))["NHS days"].to_list() == [
        40
    ]
    assert summary_title(ws.publish / "dtoc_report_2017-08.xlsx").endswith(
        "(as of 2017-09-22, the run that last changed this report)"
    )


DETAIL_HEADER = "site_code,week_ending,la_code,care_type,responsible_org,reason_code,delayed_days,patients_delayed"


def test_a_change_to_the_previous_months_people_rewrites_the_commentary_that_names_them(workspace):
    """September's commentary names August's people for a site wholly social care in September; a correction of
    August's people alone changes no September row of any table (before, that commentary kept the old count)."""

    def august(nhs_people: int) -> str:
        return (
            f"{DETAIL_HEADER}\nDVH,2017-08-31,E10000016,acute,NHS,C,10,{nhs_people}\n"
            "DVH,2017-08-31,E10000016,acute,Social Care,DII,5,2\n"
        )

    (workspace.inbox_weekly / "dvh_aug.csv").write_text(august(3))
    (workspace.inbox_weekly / "dvh_sept.csv").write_text(
        f"{DETAIL_HEADER}\nDVH,2017-09-07,E10000016,acute,Social Care,DII,7,2\n"
    )
    run_weekly(workspace.root, date(2017, 9, 8))
    text = (workspace.publish / "commentary_2017-09.md").read_text()
    assert "against 15 delayed days (5 people) in August, 10 of them NHS delays (3 people)" in text
    (workspace.inbox_weekly / "dvh_aug_corrected.csv").write_text(august(4))
    run_weekly(workspace.root, date(2017, 9, 8))
    assert (
        "against 15 delayed days (6 people) in August, 10 of them NHS delays (4 people)"
        in (workspace.publish / "commentary_2017-09.md").read_text()
    )


@pytest.mark.parametrize(
    ("month_rule", "weeks"), [("week_ending", ["2017-09-28"]), ("calendar", ["2017-09-28", "2017-10-05"])]
)
def test_the_reports_weeks_follow_the_month_rule(workspace, month_rule, weeks):
    """The week ending 5 October has 29 and 30 September in it: under the calendar rule it counts for September."""
    workspace.settings_file.write_text(f'month_rule = "{month_rule}"\n')
    for week in ("2017-09-28", "2017-10-05", "2017-10-12"):
        drop_week(workspace, week)
    (workspace.inbox_national / "sept.csv").write_text(extract_text([row()]))
    run_weekly(workspace.root, date(2017, 10, 13))
    run_national(workspace.root, date(2017, 10, 13))
    assert weeks_shown(workspace.publish / "dtoc_report_2017-09.xlsx") == weeks


def test_tables_unchanged_since_they_passed_are_not_checked_or_written_again(workspace):
    drop_week(workspace, "2017-09-07")
    first = run_weekly(workspace.root, AS_OF)
    assert first.output_checks and not any(check["unchanged"] for check in first.output_checks)
    tables = [workspace.publish / f"{check['table']}.csv" for check in first.output_checks]
    age(tables)
    again = run_weekly(workspace.root, AS_OF)  # nothing new: every table as it passed
    assert all(check["unchanged"] and check["success"] for check in again.output_checks)
    assert [check["expectations"] for check in again.output_checks] == [
        check["expectations"] for check in first.output_checks
    ]
    assert rewritten(tables) == []
    drop_week(workspace, "2017-09-14")
    later = run_weekly(workspace.root, AS_OF)
    checked = {check["table"] for check in later.output_checks if not check["unchanged"]}
    assert {"weekly_site_summary", "monthly_site_summary", "spc_signals"} <= checked
    assert "2017-09-14" in (workspace.publish / "weekly_site_summary.csv").read_text(encoding="utf-8")
    assert sorted(path.name for path in tables if path.stem in checked) == rewritten(tables)


def reference_sites_result(frame, **options):
    """Great Expectations' result for a pandas frame validated against the reference_sites suite (`options`: those
    of GX's Batch.validate, e.g. result_format)."""
    from flows.validate import _GX_LOCK, frame_batch, gx_suite

    with _GX_LOCK:
        return frame_batch(frame).validate(gx_suite("reference_sites"), **options)


def test_data_docs_render_only_the_runs_own_pages_and_the_index_lists_every_run(tmp_path):
    """Each run used to re-render every earlier validation page: slower with every week the workspace ran."""

    import pandas as pd

    from flows.data_docs import document_validations

    result = reference_sites_result(pd.DataFrame({"site_code": ["DVH"]}))
    docs = tmp_path / "publish" / "data_docs"
    document_validations(tmp_path, docs, [("reference_sites", ["first.csv"], result)], "weekly", date(2017, 9, 8))
    [first_page] = (docs / "validations").rglob("*.html")
    first_written = first_page.stat().st_mtime_ns
    document_validations(tmp_path, docs, [("reference_sites", ["second.csv"], result)], "weekly", date(2017, 9, 15))
    pages = sorted((docs / "validations").rglob("*.html"))
    assert len(pages) == 2 and first_page.stat().st_mtime_ns == first_written
    index = (docs / "index.html").read_text(encoding="utf-8")
    assert "first.csv" in index and "second.csv" in index
    assert [page["files"] for page in json.loads((docs / "last_run.json").read_text())] == [["second.csv"]]


def test_the_data_docs_index_reads_each_stored_result_once_and_is_the_index_gx_builds(tmp_path, monkeypatch):
    """GX's index builder read every stored validation result again at every build to list its outcome: after
    three years of weekly runs, hundreds a run. The workspace's builder reads a result once, keeps what the
    index shows of it, and draws the same index as GX's: also when its summaries are lost, damaged or of
    another shape, when a result was changed, damaged or removed after it was summarised, and when the
    summaries cannot be kept."""
    import re

    import pandas as pd
    from great_expectations.data_context.data_context.abstract_data_context import AbstractDataContext

    import flows.data_docs as data_docs
    from flows.data_docs_views import INDEX_SUMMARIES

    site = pd.DataFrame({"site_code": ["DVH"], "site_name": ["Darent"], "provider_code": ["RN7"]})
    site = site.assign(provider_name="Dartford", care_type="acute", beds="480", closed_from="2030-01-01")
    passed = reference_sites_result(site.assign(closed_from_date=pd.Timestamp("2030-01-01")))
    failed = reference_sites_result(site.assign(closed_from_date=pd.NaT, beds="many"))
    assert passed.success and not failed.success
    read = []
    original_read = AbstractDataContext.get_validation_result

    def read_counted(context, *args, **kwargs):
        read.append(kwargs["batch_identifier"])
        return original_read(context, *args, **kwargs)

    monkeypatch.setattr(AbstractDataContext, "get_validation_result", read_counted)
    docs = tmp_path / "publish" / "data_docs"
    for week in range(4):
        journal = [("reference_sites", [f"week{week}.csv"], passed)]
        journal += [("reference_sites", [f"week{week}_bad.csv"], failed)] if week % 2 else []
        read.clear()
        data_docs.document_validations(tmp_path, docs, journal, "weekly", date(2017, 9, 8 + 7 * week))
        assert sorted(read) == sorted(f"1 file(s): {files[0]}" for _, files, _ in journal)  # this run's only

    def index() -> bytes:  # but for the time of the build, which GX writes into its logo's address
        return re.sub(
            rb"logo-long.png\?d=\d{8}T\d{6}\.\d{6}Z", b"logo-long.png?d=~", (docs / "index.html").read_bytes()
        )

    ours = index()
    assert ours.count(b"ge-success-icon") == 4 and ours.count(b"ge-failed-icon") == 2

    def index_drawn_by(builder: dict) -> bytes:
        with monkeypatch.context() as patched:
            patched.setattr(data_docs, "INDEX_BUILDER", builder)
            context = data_docs._workspace_context(tmp_path, docs)
            [*_, latest] = sorted(context.validation_results_store.list_keys(), key=lambda key: key.run_id.run_time)
            context.build_data_docs(site_names=[data_docs.SITE], resource_identifiers=[latest])  # as a run does
        return index()

    gx_builder = {
        "module_name": "great_expectations.render.renderer.site_builder",
        "class_name": "DefaultSiteIndexBuilder",
    }
    read.clear()
    assert index_drawn_by(gx_builder) == ours and len(read) == 6  # GX's builder reads all six results
    summaries = tmp_path / "validation" / "gx" / INDEX_SUMMARIES
    kept = json.loads(summaries.read_text(encoding="utf-8"))
    for damage in ("not json", "{}", "[]", "null", json.dumps({name: [True, None, {}, {}] for name in kept})):
        summaries.write_text(damage, encoding="utf-8")
        read.clear()
        assert index_drawn_by(data_docs.INDEX_BUILDER) == ours and len(read) == 6, damage
        read.clear()
        assert index_drawn_by(data_docs.INDEX_BUILDER) == ours and read == [], damage

    results = tmp_path / "validation" / "gx" / "uncommitted" / "validations"
    [week2] = results.rglob("*week2.csv.json")
    stored = json.loads(week2.read_text(encoding="utf-8"))
    week2.write_text(json.dumps({**stored, "success": False}), encoding="utf-8")  # changed after it was summarised
    read.clear()
    changed = index_drawn_by(data_docs.INDEX_BUILDER)
    assert read == ["1 file(s): week2.csv"] and changed.count(b"ge-failed-icon") == 3
    assert index_drawn_by(gx_builder) == changed
    [week1] = results.rglob("*week1.csv.json")
    week1.write_text("{trunc", encoding="utf-8")  # damaged: GX leaves it out of the index, and so do we
    [week0] = results.rglob("*week0.csv.json")
    week0.unlink()  # removed from the store: likewise
    without = index_drawn_by(data_docs.INDEX_BUILDER)
    assert b"week0.csv" not in without and b"week1.csv" not in without and b"week1_bad.csv" in without
    assert index_drawn_by(gx_builder) == without
    summaries.unlink()
    summaries.mkdir()  # the summaries cannot be kept: the index is still drawn, from the results
    assert index_drawn_by(data_docs.INDEX_BUILDER) == without


def test_data_docs_of_files_with_long_non_ascii_names_are_kept(tmp_path):
    """A validation's label (its files' names) names its result's file: cut at 180 characters, five names of sixty
    accented letters made a name of more than 255 bytes, and the run stopped on storing the result."""
    import pandas as pd

    from flows.data_docs import MAX_BATCH_LABEL, document_validations

    result = reference_sites_result(pd.DataFrame({"site_code": ["DVH"]}))
    files = [f"{letter * 60}.csv" for letter in "éèêëà"]
    docs = tmp_path / "publish" / "data_docs"
    document_validations(tmp_path, docs, [("reference_sites", files, result)], "weekly", date(2017, 9, 8))
    [page] = json.loads((docs / "last_run.json").read_text(encoding="utf-8"))
    assert page["files"] == files and (docs / page["page"]).is_file()
    [stored] = (tmp_path / "validation" / "gx" / "uncommitted" / "validations").rglob("*.json")
    assert stored.name.startswith("5 file(s): " + "é" * 60) and stored.name.endswith("....json")
    assert len(stored.stem.encode("utf-8")) <= MAX_BATCH_LABEL


def test_data_docs_compile_their_templates_once_and_draw_gxs_own_pages(tmp_path, monkeypatch):
    """GX compiled each page's Jinja templates again for every Data Docs build (most of a build's time): the
    workspace's site draws with views that keep them compiled for the process. The pages are GX's (but for
    times and random ids), each workspace's own custom styles included, and the workspace's GX
    configuration stays plain GX (it names no module of this package)."""
    import re

    import jinja2
    import pandas as pd

    import flows.data_docs as data_docs

    sites = pd.DataFrame({"site_code": ["DVH", "XX1"], "site_name": ["a", "b"], "provider_code": ["P1", None]})
    sites = sites.assign(provider_name=["p", "q"], care_type=["Acute", "BOGUSCARE"], beds=["12", "twelve"])
    result = reference_sites_result(sites.assign(closed_from_date=""), result_format="COMPLETE")

    def build(root, week):
        docs = root / "publish" / "data_docs"
        journal = [("reference_sites", [f"week{week}.csv"], result)]
        data_docs.document_validations(root, docs, journal, "weekly", date(2017, 9, 8 + 7 * week))
        return docs

    def pages(docs):
        volatile = (
            r"\d{8}T\d{6}\.\d{6}Z|\d{4}-\d{2}-\d{2}[T ][\d:.]+|[0-9a-f]{8}-[0-9a-f-]{27}|'_run_time_sort': [\d.]+"
        )
        return [re.sub(volatile, "~", path.read_text(encoding="utf-8")) for path in sorted(docs.rglob("*.html"))]

    def own_styles(root, marker):
        styles = root / "validation" / "gx" / "plugins" / "custom_data_docs" / "styles"
        (styles / "data_docs_custom_styles.css").write_text(f".ge-breadcrumbs {{}} /* {marker} */", encoding="utf-8")

    gx_views = {name: {"module_name": "great_expectations.render.view", "class_name": f"DefaultJinja{name}"}
                for name in ("PageView", "IndexPageView")}  # fmt: skip
    with monkeypatch.context() as gx_own:
        gx_own.setattr(data_docs, "VIEWS", gx_views)
        build(tmp_path / "gx", 0)
        own_styles(tmp_path / "gx", "STYLE-GX")
        drawn_by_gx = pages(build(tmp_path / "gx", 1))
    for name in ("a", "b"):
        build(tmp_path / name, 0)
        own_styles(tmp_path / name, f"STYLE-{name.upper()}")

    compiled = []
    original_compile = jinja2.Environment.compile

    def compile_counted(env, source, name=None, *args):
        compiled.append(name)
        return original_compile(env, source, name, *args)

    monkeypatch.setattr(jinja2.Environment, "compile", compile_counted)
    drawn = {name: pages(build(tmp_path / name, 1)) for name in ("a", "b")}
    assert [page.replace("STYLE-A", "STYLE-GX") for page in drawn["a"]] == drawn_by_gx
    assert all("BOGUSCARE" in page for page in drawn_by_gx[1:])  # the failing values, on the validation pages
    index, _, this_week = drawn["b"]  # the first week's page was drawn before the workspace had its own styles
    assert "STYLE-B" in index and "STYLE-B" in this_week and not any("STYLE-A" in page for page in drawn["b"])
    assert "page.j2" not in compiled and "index_page.j2" not in compiled  # compiled by the first builds only
    assert [page.replace("STYLE-A", "STYLE-B") for page in drawn["a"]] == drawn["b"]
    settings = (tmp_path / "a" / "validation" / "gx" / "great_expectations.yml").read_text(encoding="utf-8")
    assert "flows" not in settings and "../../publish/data_docs/" in settings


def test_data_docs_keep_the_workspaces_copy_of_a_suite_until_it_differs_from_the_repositorys(tmp_path):
    """Each Data Docs build stores the suites its validations used in the workspace's GX context (its index
    lists them): a copy equal to the repository's rules (ids aside) is left as it is; one that differs (an
    older release's rules, a hand edit) is replaced with the repository's."""

    import pandas as pd

    import flows.data_docs as data_docs
    from flows.validate import suite_path

    frame = pd.DataFrame({"site_code": ["DVH"], "site_name": ["a"], "provider_code": ["P1"], "beds": ["12"]})
    frame = frame.assign(provider_name="p", care_type="Acute", closed_from_date="")
    result = reference_sites_result(frame, result_format="BASIC")
    root, docs = tmp_path / "w", tmp_path / "w" / "publish" / "data_docs"
    stored = root / "validation" / "gx" / "expectations" / "reference_sites.json"
    repository = json.loads(suite_path("reference_sites").read_text(encoding="utf-8"))

    def build(week: int) -> None:
        journal = [("reference_sites", [f"week{week}.csv"], result)]
        data_docs.document_validations(root, docs, journal, "weekly", date(2017, 9, 8 + 7 * week))

    def rules(suite: dict) -> list:
        return [(e["type"], e["kwargs"], e.get("meta")) for e in suite["expectations"]]

    build(0)
    assert rules(json.loads(stored.read_text(encoding="utf-8"))) == rules(repository)
    written = stored.stat().st_mtime_ns
    build(1)
    assert stored.stat().st_mtime_ns == written  # the same rules: not written again
    edited = json.loads(stored.read_text(encoding="utf-8"))
    edited["expectations"] = edited["expectations"][1:]
    edited["expectations"][0]["kwargs"]["column"] = "renamed_by_hand"
    stored.write_text(json.dumps(edited), encoding="utf-8")
    build(2)
    assert rules(json.loads(stored.read_text(encoding="utf-8"))) == rules(repository)
    assert "reference_sites" in (docs / "index.html").read_text(encoding="utf-8")
