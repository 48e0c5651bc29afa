"""Benchmark: a run's Data Docs as a workspace ages, with GX's own site index builder and with ours.

    .venv/bin/python bench/data_docs.py [--runs 300] [--every 50]

A weekly run stores its validation results in the workspace's GX context and builds their pages
and the site's index (`flows/data_docs.py`). The index lists every stored validation; GX's own
index builder reads every stored result again to find its outcome, ours reads each once
(`flows/data_docs_views.SiteIndexBuilder`). Two workspaces are given the same sequence of runs (the
demo's first five returns, validated once: two results a run), one with each builder; printed is
the CPU time of one run's `document_validations` every `--every` runs, and whether the two index
pages are the same (but for the times and ids, which differ between the workspaces).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flows.data_docs as data_docs  # noqa: E402
from flows.demo import DEMO_AS_OF, write_sample  # noqa: E402
from flows.validate import Reference, check_submissions  # noqa: E402
from flows.workspace import open_workspace  # noqa: E402

GX_BUILDER = {"module_name": "great_expectations.render.renderer.site_builder", "class_name": "DefaultSiteIndexBuilder"}
OURS = data_docs.INDEX_BUILDER


def index_page(docs: Path) -> bytes:
    """The index without the times and ids, which differ between the two workspaces (each run is stamped when
    it ran, each GX context has an id of its own)."""
    volatile = rb"\d{8}T\d{6}\.\d{6}Z|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}( [A-Z]+)?|[0-9a-f]{8}-[0-9a-f-]{27}|'_run_time_sort': [\d.]+"
    return re.sub(volatile, b"~", (docs / "index.html").read_bytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="runs documented in each workspace (default 300)")
    parser.add_argument("--every", type=int, default=50, help="print every this many runs (default 50)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dtoc-bench-docs-") as scratch:
        sample = open_workspace(Path(scratch) / "sample")
        paths = write_sample(sample.inbox_weekly)[:5]
        journal: list = []
        check_submissions(paths, Reference.load(sample.reference), sample.settings(), DEMO_AS_OF, journal)
        roots = {"GX's builder": Path(scratch) / "gx", "ours": Path(scratch) / "ours"}
        builders = {"GX's builder": GX_BUILDER, "ours": OURS}
        print(f"CPU seconds of one run's Data Docs ({len(journal)} results a run), by results stored before it:")
        print(f"  {'stored':>6}  {'GX builder':>10}  {'ours':>6}  same index")
        for run in range(args.runs + 1):
            seconds = {}
            for name, root in roots.items():
                data_docs.INDEX_BUILDER = builders[name]
                started = time.process_time()
                data_docs.document_validations(root, root / "docs", journal, "weekly", DEMO_AS_OF + timedelta(days=run))
                seconds[name] = time.process_time() - started
            if run % args.every == 0:
                same = index_page(roots["ours"] / "docs") == index_page(roots["GX's builder"] / "docs")
                gx, ours = seconds["GX's builder"], seconds["ours"]
                print(f"  {run * len(journal):>6}  {gx:>10.3f}  {ours:>6.3f}  {same}")


if __name__ == "__main__":
    main()
