"""Great Expectations' Data Docs page views, with their Jinja templates compiled once per process, and
its site index, drawn without reading every validation result again.

GX builds a new view, and so a new Jinja environment, for every Data Docs build, and compiles each
of the templates a page uses (about 35) again: most of the time a build takes. These views are
GX's own, named in the workspace's Data Docs site configuration (`flows/data_docs.py`); their
environments share compiled templates through a cache kept for the process. Jinja checks each
template's source against the code it kept, so a changed template is compiled again.

GX's index page lists every validation the workspace stored, with its outcome, and its builder
reads each stored result again to find that outcome: a run after three years of weekly runs read
hundreds of results (about 5 ms each) to list them. `SiteIndexBuilder` keeps, beside the results,
what the index shows of each (`INDEX_SUMMARIES`) and reads only the results it has not read before.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from pathlib import Path

from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult
from great_expectations.data_context.store.tuple_store_backend import TupleFilesystemStoreBackend
from great_expectations.render.renderer.site_builder import (
    FALSEY_YAML_STRINGS,
    DefaultSiteIndexBuilder,
    _resolve_asset_name,
)
from great_expectations.render.util import resource_key_passes_run_name_filter
from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

INDEX_SUMMARIES = Path("uncommitted") / "data_docs_index.json"  # in the workspace's GX context
SUMMARY_FIELDS = {"file", "success", "asset_name", "batch_kwargs", "batch_spec"}
logger = logging.getLogger(__name__)


class CompiledTemplates(BytecodeCache):
    """Compiled templates by Jinja's cache key, each with the checksum of the source it was compiled from."""

    def __init__(self) -> None:
        self._compiled: dict[str, tuple[str, object]] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            checksum, code = self._compiled.get(bucket.key, (None, None))
        if checksum == bucket.checksum:
            bucket.code = code

    def dump_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            self._compiled[bucket.key] = (bucket.checksum, bucket.code)


COMPILED_TEMPLATES = CompiledTemplates()


class _TemplatesCompiledOnce:
    """A GX view whose Jinja environment keeps its compiled templates in COMPILED_TEMPLATES."""

    # the parameters named, not *args: GX passes a view only the settings its signature names
    def __init__(self, custom_styles_directory=None, custom_views_directory=None) -> None:
        super().__init__(custom_styles_directory, custom_views_directory)
        self.env.bytecode_cache = COMPILED_TEMPLATES


class PageView(_TemplatesCompiledOnce, DefaultJinjaPageView):
    """A validation's page, as GX draws it."""


class IndexPageView(_TemplatesCompiledOnce, DefaultJinjaIndexPageView):
    """The site's index page, as GX draws it."""


def compile_templates() -> None:
    """Compile every template of GX's page views into COMPILED_TEMPLATES (about 0.14 s), as a run starts:
    the run's first Data Docs build then draws its pages at once."""
    env = PageView().env
    for name in env.list_templates():
        env.get_template(name)


class SiteIndexBuilder(DefaultSiteIndexBuilder):
    """GX's index builder, reading what it lists of each stored validation from `INDEX_SUMMARIES` when it can.

    What the index shows of a stored result (outcome, asset name, batch kwargs and spec) is read from the
    result once and kept with the size and modification time of the result's file; it is read from the
    result again when the file differs, or the summary is missing or not one this builder wrote. A result
    that cannot be read is left out of the index with a warning, as GX's builder does. Keeping the summaries
    is best effort: when they cannot be written the index is still built, and the next build reads again.
    """

    def _add_validations_to_index_links(self, index_links_dict, validation_and_profiling_result_site_keys) -> None:
        validations = self.site_section_builders_config.get("validations", "None")
        if not validations or validations in FALSEY_YAML_STRINGS:
            return
        run_name_filter = self.site_section_builders_config["validations"]["run_name_filter"]
        keys = sorted(
            (
                key
                for key in validation_and_profiling_result_site_keys
                if resource_key_passes_run_name_filter(key, run_name_filter)
            ),
            key=lambda key: key.run_id.run_time,
            reverse=True,
        )[: self.validation_results_limit or None]
        path = Path(self.data_context.root_directory) / INDEX_SUMMARIES
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            kept = {}
        kept = kept if isinstance(kept, dict) else {}
        store = self.data_context.stores.get(self.source_stores.get("validations") or "")
        backend = (store or self.data_context.validation_results_store).store_backend
        listed = {}
        for key in keys:
            name = json.dumps(key.to_tuple())
            try:
                stamp = _result_file_stamp(backend, key)
                summary = kept.get(name)
                if not (
                    stamp and isinstance(summary, dict) and set(summary) == SUMMARY_FIELDS and summary["file"] == stamp
                ):
                    summary = self._summary(key, stamp)
                self.add_resource_info_to_index_links_dict(
                    index_links_dict=index_links_dict,
                    expectation_suite_name=key.expectation_suite_identifier.name,
                    section_name="validations",
                    batch_identifier=key.batch_identifier,
                    run_id=key.run_id,
                    validation_success=summary["success"],
                    run_time=key.run_id.run_time,
                    run_name=key.run_id.run_name,
                    asset_name=summary["asset_name"],
                    batch_kwargs=summary["batch_kwargs"],
                    batch_spec=summary["batch_spec"],
                )
            except Exception:  # as GX's builder: left out of the index, with a warning
                logger.warning("Validation result not found: %s - skipping", key.to_tuple())
                continue
            listed[name] = summary
        if listed != kept:
            partial = path.with_name(path.name + ".partial")
            try:
                partial.write_text(json.dumps(listed), encoding="utf-8")
                os.replace(partial, path)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    partial.unlink(missing_ok=True)
                logger.warning(
                    "Data Docs index summaries not kept in %s (read from the results again next time): %s", path, exc
                )

    def _summary(self, key, stamp: list[int] | None) -> dict:
        """What the index shows of one stored result, read from it as GX's builder reads it (raises when it cannot)."""
        validation = self.data_context.get_validation_result(
            batch_identifier=key.batch_identifier,
            expectation_suite_name=key.expectation_suite_identifier.name,
            run_id=key.run_id,
            validation_results_store_name=self.source_stores.get("validations"),
        )
        if not isinstance(validation, ExpectationSuiteValidationResult):  # GX answers {} when there is none
            raise LookupError(key.to_tuple())
        return {
            "file": stamp,
            "success": validation.success,
            "asset_name": _resolve_asset_name(validation),
            "batch_kwargs": json.loads(json.dumps(validation.meta.get("batch_kwargs", {}))),
            "batch_spec": json.loads(json.dumps(validation.meta.get("batch_spec", {}))),
        }


def _result_file_stamp(backend, key) -> list[int] | None:
    """The size and modification time of the stored result's file (None: not a file, or not a file store)."""
    if not isinstance(backend, TupleFilesystemStoreBackend):
        return None
    try:
        found = (Path(backend.full_base_directory) / backend._convert_key_to_filepath(key.to_tuple())).stat()
    except OSError:
        return None
    return [found.st_size, found.st_mtime_ns]
