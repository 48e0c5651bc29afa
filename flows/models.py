"""The model graph: every model under `sql/` declares what it reads, and the declarations are checked.

A model is one SQL file (a plain SELECT) in a layer folder; its view takes the file's name. The
file starts with header lines, each `-- <key>: <value>`, before any SQL:

    -- depends_on: stg_weekly_returns, ref_sites      (required; `none` when it reads no table)
    -- materialized: table                             (optional: built as a table once per run)
    -- published: per month                            (optional, sql/published only: one file per month)

`depends_on` names every model and warehouse table the SQL reads, raw tables and reference
tables included. It is checked whenever the models are built (`check_graph`):

- a known model or table named in the SQL (as a whole word, outside comments and string
  literals) but not declared is an error, and so is a declared name that does not exist;
- layers are one-way (`LAYER_READS`): staging reads only warehouse tables, intermediate reads
  staging and intermediate, published reads any model layer below it and published, alerting
  reads anything. Warehouse tables (sql/warehouse/*.sql, and ref_bcf_trajectory) may be read
  from every layer.

Every file in sql/published is published under its own name: `publish/<model>.csv`, or, with
`-- published: per month`, one `publish/<model>_<month>.csv` per month with national data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from flows.resources import shipped

SQL_ROOT = shipped("sql")
# Model layers in build order: a model may read its own layer and those listed for it.
MODEL_LAYERS = ("staging", "intermediate", "published", "alerting")
LAYER_READS = {
    "staging": ("staging",),
    "intermediate": ("staging", "intermediate"),
    "published": ("staging", "intermediate", "published"),
    "alerting": ("staging", "intermediate", "published", "alerting"),
}
# Tables the warehouse holds besides those created in sql/warehouse/*.sql (made in Python at build time).
EXTRA_TABLES = ("ref_bcf_trajectory",)
HEADER_KEYS = ("depends_on", "materialized", "published")
PER_MONTH = "per month"

_HEADER = re.compile(r"--\s*([a-z_]+)\s*:(.*)")
_NOT_CODE = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", re.DOTALL)  # string literals and comments
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CREATES = re.compile(
    r"create\s+(?:or\s+replace\s+)?table\s+(?:if\s+not\s+exists\s+)?([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE
)


class ModelGraphError(RuntimeError):
    """A model's depends_on line disagrees with its SQL, or a model reads a layer above its own."""


@dataclass(frozen=True)
class Model:
    name: str
    layer: str
    path: Path
    depends_on: tuple[str, ...]
    materialized: str  # "view" or "table"
    per_month: bool  # sql/published only: one file per month

    @property
    def display_path(self) -> str:
        return f"{self.path.parent.parent.name}/{self.layer}/{self.path.name}"


def code_words(sql: str) -> set[str]:
    """Every identifier-like word of the SQL outside comments and string literals, lower-cased."""
    return {word.lower() for word in _WORD.findall(_NOT_CODE.sub(" ", sql))}


def warehouse_tables(root: Path = SQL_ROOT) -> tuple[str, ...]:
    """The raw and reference tables the warehouse holds (sql/warehouse/*.sql), which models may read."""
    names = {
        match.lower()
        for path in sorted((root / "warehouse").glob("*.sql"))
        for match in _CREATES.findall(_NOT_CODE.sub(" ", path.read_text(encoding="utf-8")))
    }
    return tuple(sorted(names | set(EXTRA_TABLES)))


def _read_model(path: Path, layer: str) -> Model:
    headers: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped.startswith("--"):
            break
        match = _HEADER.fullmatch(stripped)
        if match and match.group(1) in HEADER_KEYS:
            headers.setdefault(match.group(1), []).append(match.group(2).strip())
    shown = f"{path.parent.parent.name}/{layer}/{path.name}"
    if "depends_on" not in headers:
        raise ModelGraphError(
            f"{shown}: no `-- depends_on:` line at the top of the file; list every model and "
            "table it reads (comma separated), or `none`"
        )
    names = [name.strip().lower() for value in headers["depends_on"] for name in value.split(",") if name.strip()]
    if names == ["none"]:
        names = []
    materialized = (headers.get("materialized") or ["view"])[0].split()[0].lower()
    if materialized not in ("view", "table"):
        raise ModelGraphError(f"{shown}: `-- materialized: {materialized}` is neither view nor table")
    published = (headers.get("published") or [""])[0].split("(")[0].strip().lower()
    if published and (layer != "published" or published != PER_MONTH):
        raise ModelGraphError(
            f"{shown}: `-- published: {published}` is allowed only in sql/published, as `-- published: {PER_MONTH}`"
        )
    return Model(path.stem.lower(), layer, path, tuple(names), materialized, published == PER_MONTH)


def load_models(root: Path = SQL_ROOT) -> dict[str, Model]:
    """Every model under the layer folders of `root`, by name, with its declared header."""
    models: dict[str, Model] = {}
    for layer in MODEL_LAYERS:
        for path in sorted((root / layer).glob("*.sql")):
            model = _read_model(path, layer)
            if model.name in models:
                raise ModelGraphError(
                    f"{model.display_path}: a model named {model.name} is already "
                    f"{models[model.name].display_path}; model names must be unique"
                )
            models[model.name] = model
    return models


def check_graph(models: dict[str, Model], tables: tuple[str, ...]) -> None:
    """Raise ModelGraphError listing every undeclared read, missing dependency and upward layer read."""
    known = set(models) | set(tables)
    problems: list[str] = []
    for model in models.values():
        declared = set(model.depends_on)
        read = (code_words(model.path.read_text(encoding="utf-8")) & known) - {model.name}
        for name in sorted(read - declared):
            problems.append(f"{model.display_path}: reads {name}, which its `-- depends_on:` line does not declare")
        for name in model.depends_on:
            if name == model.name:
                problems.append(f"{model.display_path}: declares itself ({name}) in `-- depends_on:`")
            elif name not in known:
                problems.append(
                    f"{model.display_path}: declares {name} in `-- depends_on:`, but there is no model "
                    f"or warehouse table of that name"
                )
            elif name in models and models[name].layer not in LAYER_READS[model.layer]:
                problems.append(
                    f"{model.display_path}: reads {name} ({models[name].display_path}), a "
                    f"{models[name].layer} model; a {model.layer} model may read only "
                    f"{', '.join(LAYER_READS[model.layer])} models and warehouse tables"
                )
            elif name not in read:
                problems.append(
                    f"{model.display_path}: declares {name} in `-- depends_on:`, but its SQL does not read it"
                )
    if problems:
        raise ModelGraphError("the model graph in sql/ is not consistent:\n  " + "\n  ".join(problems))


def model_graph(root: Path = SQL_ROOT) -> dict[str, Model]:
    """The checked models of `root`, in build order (each after everything it reads)."""
    models = load_models(root)
    check_graph(models, warehouse_tables(root))
    order: list[str] = []
    while len(order) < len(models):
        ready = sorted(
            name
            for name, model in models.items()
            if name not in order and all(dep in order or dep not in models for dep in model.depends_on)
        )
        if not ready:
            raise ModelGraphError(f"circular references between models: {sorted(set(models) - set(order))}")
        order.extend(ready)
    return {name: models[name] for name in order}


def model_build_order(root: Path = SQL_ROOT) -> list[tuple[str, Path]]:
    """(model, file) in the order the views are created; checks the graph first."""
    return [(name, model.path) for name, model in model_graph(root).items()]


def shared_views(root: Path = SQL_ROOT) -> list[str]:
    """The staging and intermediate views that two or more other views read, in build order: computed once
    per publication (flows/output_checks.py) instead of once for each view that reads them."""
    models = model_graph(root)
    readers = [dep for model in models.values() if model.materialized == "view" for dep in model.depends_on]
    return [
        name
        for name, model in models.items()
        if model.layer in ("staging", "intermediate") and model.materialized == "view" and readers.count(name) >= 2
    ]


def published_tables(root: Path = SQL_ROOT) -> tuple[str, ...]:
    """Every model in sql/published written as one file, `publish/<model>.csv`, by name."""
    return tuple(
        sorted(name for name, model in load_models(root).items() if model.layer == "published" and not model.per_month)
    )


def monthly_tables(root: Path = SQL_ROOT) -> tuple[str, ...]:
    """The models in sql/published marked `-- published: per month`, written once per month."""
    return tuple(
        sorted(name for name, model in load_models(root).items() if model.layer == "published" and model.per_month)
    )


def describe_graph(root: Path = SQL_ROOT) -> str:
    """The graph as text: each model in build order, its layer and what it reads."""
    models = model_graph(root)
    tables = set(warehouse_tables(root))
    width = max(len(name) for name in models)
    lines = []
    for layer in MODEL_LAYERS:
        for name, model in models.items():
            if model.layer != layer:
                continue
            marks = [
                mark
                for mark, on in (
                    ("table", model.materialized == "table"),
                    ("published", layer == "published" and not model.per_month),
                    ("published per month", model.per_month),
                )
                if on
            ]
            reads = ", ".join(dep + ("*" if dep in tables else "") for dep in model.depends_on) or "(nothing)"
            lines.append(f"{layer:<12} {name:<{width}}  <- {reads}" + (f"  [{'; '.join(marks)}]" if marks else ""))
    return "\n".join(
        lines + ["", "* a warehouse table (sql/warehouse/, or ref_bcf_trajectory from bcf_trajectory.csv)"]
    )
