"""Dependencies point one way: index <- qa <- api; eval uses index and qa, never api.

Every import statement of every module is read with ``ast`` (imports inside functions too),
so a lazy import cannot hide a dependency on a higher floor.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("index", "qa", "api", "eval", "train")
FORBIDDEN = {
    "index": {"qa", "api", "eval", "train"},
    "qa": {"api", "eval", "train"},
    "eval": {"api", "train"},
    "api": {"train"},
}


def imported_packages(path: Path, package: str) -> set[tuple[str, int]]:
    """The top-level project packages ``path`` imports, with the line of each import."""
    found: set[tuple[str, int]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [package] if node.level else [node.module or ""]
        else:
            continue
        found |= {(name.split(".")[0], node.lineno) for name in names if name.split(".")[0] in PACKAGES}
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_down(package: str) -> None:
    modules = sorted((ROOT / package).rglob("*.py"))
    assert modules, f"no modules under {package}/"
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in modules
        for name, line in sorted(imported_packages(path, package))
        if name in FORBIDDEN[package]
    ]
    assert not wrong, "imports against the layering: " + "; ".join(wrong)


def test_the_checker_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from eval.run import main\n    import api.app\nfrom . import sibling\n", encoding="utf-8")
    assert {name for name, _ in imported_packages(module, "qa")} == {"eval", "api", "qa"}
