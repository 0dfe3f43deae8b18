"""Dependencies point one way: `app` knows no domain package except in its factory."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOMAIN_PACKAGES = {"ideas", "voting", "moderation"}


def imported_top_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_app_package_imports_no_domain_package_outside_the_factory():
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_top_modules(path) & DOMAIN_PACKAGES)
        for path in (ROOT / "app").rglob("*.py")
        if path.name != "factory.py" and imported_top_modules(path) & DOMAIN_PACKAGES
    }
    assert offenders == {}
