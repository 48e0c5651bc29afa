"""How flows/ is put together: flow modules hold flows, every environment variable is registered."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import flows
from flows.workspace import ENVIRONMENT_VARIABLES, SETTINGS

FLOWS = Path(flows.__file__).parent
README = FLOWS.parent / "README.md"


def modules() -> dict[str, ast.Module]:
    return {
        f"flows.{path.stem}": ast.parse(path.read_text(encoding="utf-8"), str(path))
        for path in sorted(FLOWS.glob("*.py"))
    }


def defines_a_flow(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(target, ast.Name) and target.id == "flow":
                    return True
    return False


def imports(tree: ast.Module) -> list[tuple[str, str]]:
    """(module, name) for every import anywhere in the module, functions' bodies included."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found += [(node.module, alias.name) for alias in node.names]
            found += [(f"{node.module}.{alias.name}", "") for alias in node.names]  # from flows import weekly
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names]
    return found


def test_no_flow_module_imports_another():
    trees = modules()
    flow_modules = {name for name, tree in trees.items() if defines_a_flow(tree)}
    assert {"flows.weekly", "flows.national", "flows.backfill"} <= flow_modules
    crossings = sorted(
        (name, module, what)
        for name in flow_modules
        for module, what in imports(trees[name])
        if module in flow_modules - {name}
    )
    assert crossings == [], "a flow module imports another; shared steps belong in flows/pipeline.py"


def test_the_flow_import_check_sees_an_import_inside_a_function():
    tree = ast.parse("def run():\n    from flows.weekly import prepare_to_run\n")
    assert ("flows.weekly", "prepare_to_run") in imports(tree)


def test_every_dtoc_variable_named_in_flows_is_registered_and_documented():
    """A DTOC_ name in any string in flows/ is a setting's override or a registered variable (README lists them)."""
    settings = {f"DTOC_{name.upper()}" for name in SETTINGS}
    texts = [
        node.value
        for tree in modules().values()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]  # docstrings and f-strings too
    named = {match for text in texts for match in re.findall(r"\bDTOC_[A-Z][A-Z0-9_]*", text)}
    assert {"DTOC_WORKDIR", "DTOC_DUCKDB_MEMORY_LIMIT", "DTOC_CHROMIUM", "DTOC_DASK_ADDRESS"} <= named
    assert sorted(named - settings - set(ENVIRONMENT_VARIABLES)) == []
    readme = README.read_text(encoding="utf-8")
    assert [name for name in ENVIRONMENT_VARIABLES if name.startswith("DTOC_") and f"`{name}`" not in readme] == []


def environment_reads(tree: ast.Module) -> list[str]:
    """Every os.environ.get / os.environ[...] / os.getenv in a module (writes such as setdefault are not reads)."""
    reads = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = ast.unparse(node.func.value)
            if (owner == "os.environ" and node.func.attr == "get") or (owner == "os" and node.func.attr == "getenv"):
                reads.append(ast.unparse(node))
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)
            and ast.unparse(node.value) == "os.environ"
        ):
            reads.append(ast.unparse(node))
    return reads


def test_environment_variables_are_read_only_through_the_registry():
    trees = modules()
    outside = {name: environment_reads(tree) for name, tree in trees.items() if name != "flows.workspace"}
    assert {name: reads for name, reads in outside.items() if reads} == {}
    named = [
        node.args[0].value
        for tree in trees.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "environment"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]
    assert sorted(set(named)) == sorted(ENVIRONMENT_VARIABLES)  # each registered variable is read, and only those
