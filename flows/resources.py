"""Where the SQL models and the expectation suites are, in a source tree or an installed wheel.

In the repository they sit at the top level (`sql/`, `expectations/`); a wheel ships them inside
the package as `flows/sql` and `flows/expectations`.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def shipped(name: str) -> Path:
    """The folder `name` (`sql` or `expectations`) beside the package in a source tree, else inside it."""
    source_tree = PACKAGE.parent / name
    return source_tree if (PACKAGE.parent / "pyproject.toml").is_file() and source_tree.is_dir() else PACKAGE / name
