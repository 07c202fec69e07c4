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


def imported_modules(path: Path) -> set[str]:
    """Every absolute module name ``path`` imports (``from a.b import c`` counts as ``a.b``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize(("reader", "other"), [("span", "evidence"), ("evidence", "span")])
def test_each_reader_is_one_folder_that_never_reaches_into_the_other(reader: str, other: str) -> None:
    modules = sorted((ROOT / "qa" / "readers" / reader).rglob("*.py"))
    assert modules, f"no modules under qa/readers/{reader}/"
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules
        for name in sorted(imported_modules(path))
        if name == f"qa.readers.{other}" or name.startswith(f"qa.readers.{other}.")
    ]
    assert not wrong, "one reader reaching into the other: " + "; ".join(wrong)


def test_the_pipeline_knows_readers_only_through_the_protocol() -> None:
    imported = imported_modules(ROOT / "qa" / "pipeline.py")
    concrete = sorted(name for name in imported if name.startswith("qa.readers."))
    assert "qa.readers" in imported and not concrete, f"qa/pipeline.py imports a concrete reader: {concrete}"


def test_nothing_reader_specific_is_left_flat_in_qa() -> None:
    flat = {path.name for path in (ROOT / "qa").glob("*.py")}
    moved = {"reader.py", "model_reader.py", "span_model.py", "span_runtime.py", "evidence.py", "sentence_vectors.py", "analysis.py"}
    assert not flat & moved, f"reader modules still flat in qa/: {sorted(flat & moved)}"
