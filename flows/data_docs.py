"""Great Expectations Data Docs of each run's validations, built into `publish/data_docs/`.

The rules stay in the repository's context (`expectations/`). Each workspace keeps its own small
file context (`validation/gx/`) that records the validation results of its runs, with copies of
the suites they were checked against, and builds the Data Docs site from them: one page per
validation, failed expectations with their unexpected values, linked from the dashboard.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import unquote

from flows.suite_in_sql import suite_document
from flows.validate import gx_suite, suite_path

SITE = "dtoc"
CHECKED_INPUTS = "dtoc_checked_inputs"  # a result's meta key: the digest of what was checked (flows/trajectory.py)
MAX_BATCH_LABEL = 180  # bytes of UTF-8: a result's file is named by it, and a file name may have 255 bytes
# GX's page views with their templates compiled once per process (flows/data_docs_views.py)
VIEWS = {name: {"module_name": "flows.data_docs_views", "class_name": name} for name in ("PageView", "IndexPageView")}
INDEX_BUILDER = {"module_name": "flows.data_docs_views", "class_name": "SiteIndexBuilder"}  # reads each result once


def _workspace_context(root: Path, docs_dir: Path):
    """The workspace's GX context, its Data Docs site pointing at `docs_dir` by a path relative to the context.

    Nothing in the workspace's GX configuration names an absolute path, so a workspace that is
    moved, renamed, copied or restored elsewhere writes its Data Docs into its own folder. A
    configuration written by an earlier version (an absolute path) is corrected on first use. The site
    draws its pages with the views of flows/data_docs_views.py (templates compiled once per process) and
    its index with the builder there (each stored result read once, not at every build).
    """
    import great_expectations as gx

    context = gx.get_context(mode="file", project_root_dir=str(root / "validation"))
    relative = os.path.relpath(docs_dir, context.root_directory).replace(os.sep, "/") + "/"
    site = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": relative},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }
    sites = context.get_config().data_docs_sites or {}
    if SITE not in sites:
        context.add_data_docs_site(SITE, site)
    elif sites[SITE] != site:
        context.update_data_docs_site(SITE, site)
    # The views are named in memory only: the file stays plain GX, which any GX (or an earlier release) opens.
    in_memory = context.config.data_docs_sites[SITE]
    in_memory["site_index_builder"].update(INDEX_BUILDER, view=VIEWS["IndexPageView"])
    in_memory["site_section_builders"] = {"validations": {"view": VIEWS["PageView"]}}
    return context


def document_validations(
    root: Path, docs_dir: Path, journal: list[tuple[str, list[str], object]], run_name: str, as_of: date
) -> Path:
    """Store this run's validation results and rebuild the Data Docs site.

    Keeps `last_run.json` beside the site's index: each validation of the latest run of each flow, with its suite,
    files, outcome and page, which the dashboard links (GX's own index page lists validations with
    scripts from the internet; the validation pages themselves work offline). A journal entry
    without a result (a check that passed before on the same inputs, see flows/trajectory.py) keeps
    the page of that earlier validation; a run whose every entry is such renders nothing.
    """
    manifest = docs_dir / "last_run.json"  # the latest weekly run's validations and the latest national run's
    earlier = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else []
    new_pages = iter(_render_pages(root, docs_dir, [item for item in journal if item[2] is not None], run_name, as_of))
    pages = []
    for suite_name, files, result in journal:
        if result is not None:
            pages.append(next(new_pages))
            continue
        kept = documented_page(docs_dir, suite_name, files, earlier)
        if kept is not None:
            pages.append({**kept, "flow": run_name})
    pages = [page for page in earlier if page["flow"] != run_name] + pages
    docs_dir.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps(pages, indent=1), encoding="utf-8")
    return docs_dir / "index.html"


def documented_page(
    docs_dir: Path, suite_name: str, files: list[str], earlier: list[dict] | None = None
) -> dict | None:
    """The latest Data Docs entry (last_run.json) of a validation of these files by this suite whose page exists."""
    if earlier is None:
        manifest = docs_dir / "last_run.json"
        earlier = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else []
    return next(
        (
            page
            for page in reversed(earlier)
            if page["suite"] == suite_name and page["files"] == files and (docs_dir / page["page"]).is_file()
        ),
        None,
    )


def _render_pages(
    root: Path, docs_dir: Path, journal: list[tuple[str, list[str], object]], run_name: str, as_of: date
) -> list[dict]:
    """Store the results in the workspace's GX context and render their pages (and the index)."""
    if not journal:
        return []
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    context = _workspace_context(root, docs_dir)
    run_id = RunIdentifier(run_name=f"{run_name} as of {as_of.isoformat()}", run_time=datetime.now(UTC))
    for suite_name in sorted({name for name, _, _ in journal}):
        if _stored_rules(context, suite_name) == _rules(suite_document(suite_path(suite_name))):
            continue  # the workspace's copy is the repository's suite already (writing it again took 50 ms)
        source = gx_suite(suite_name).to_json_dict()  # the repository's rules, as they are today
        context.suites.add_or_update(
            gx.ExpectationSuite(**{k: source[k] for k in ("name", "expectations", "meta", "notes") if k in source})
        )
    keys = []
    for suite_name, files, result in journal:
        label = f"{len(files)} file(s): {', '.join(files)}"
        key = ValidationResultIdentifier(
            ExpectationSuiteIdentifier(name=suite_name),
            run_id,
            batch_label(label),
        )
        result.meta["run_id"] = run_id
        result.meta.setdefault("batch_markers", {})["files"] = ", ".join(files)
        context.validation_results_store.set(key, result)
        keys.append((suite_name, files, result.success, key, result.meta.get(CHECKED_INPUTS)))
    # Only this run's pages are rendered (and the index, which lists every run's): rebuilding every
    # earlier page made each run slower than the last (2.4 s after 40 runs, growing by 50 ms a run).
    context.build_data_docs(site_names=[SITE], resource_identifiers=[key for _, _, _, key, _ in keys])
    return [
        {
            "flow": run_name,
            "suite": suite,
            "run": run_id.run_name,
            "files": files,
            "success": success,
            "page": _relative_page(context.get_docs_sites_urls(resource_identifier=key, site_name=SITE), docs_dir),
            **({"checked": checked} if checked else {}),
        }
        for suite, files, success, key, checked in keys
    ]


def batch_label(label: str) -> str:
    """The label cut to MAX_BATCH_LABEL bytes of UTF-8, on a whole character, ending "..." when it was cut."""
    if len(label.encode("utf-8")) <= MAX_BATCH_LABEL:
        return label
    return label.encode("utf-8")[: MAX_BATCH_LABEL - 3].decode("utf-8", errors="ignore") + "..."


def _rules(suite: dict) -> dict:
    """A suite as stored (JSON), without the ids GX gives each context's copy of it and of its expectations."""
    return {
        **{key: value for key, value in suite.items() if key != "id"},
        "expectations": [{k: v for k, v in e.items() if k != "id"} for e in suite.get("expectations", [])],
    }


def _stored_rules(context, suite_name: str) -> dict | None:
    """The workspace context's copy of a suite, as `_rules` (None when it has none or it cannot be read)."""
    try:
        stored = json.loads((Path(context.root_directory) / "expectations" / f"{suite_name}.json").read_bytes())
    except (OSError, ValueError):
        return None
    try:
        return _rules(stored)
    except (AttributeError, TypeError):  # not a suite: GX is asked to store the repository's (and says why it cannot)
        return None


def _relative_page(urls: list[dict], docs_dir: Path) -> str:
    """The validation page's path inside the Data Docs folder, from GX's file:// URL for it.

    GX writes the site's folder into the URL as it is (only the page's own name is %-escaped), so
    the URL is not parsed as a URL: a workspace folder named with ? or # would be cut short.
    """
    url = urls[0]["site_url"]
    path = os.path.normpath(url.removeprefix("file://"))
    relative = Path(os.path.relpath(path, os.path.normpath(docs_dir.resolve())))
    if relative.parts[:1] == ("..",):
        raise ValueError(f"Data Docs page {url} is outside the workspace's Data Docs folder {docs_dir}")
    return unquote(relative.as_posix())
