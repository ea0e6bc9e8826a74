"""The tree follows the data flow: packages import only downwards, one name per module.

The layers, lowest first, as the README's tree lists them: a package imports only packages
before it in `PACKAGES`. The graph is read from the source with `ast`, imports inside
functions and under TYPE_CHECKING included, so a cycle cannot hide behind a late import.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (
    "contract",
    "ingest",
    "sources",
    "synthetic",
    "expectations",
    "publish",
    "pipelines",
    "api",
    "cli",
)


def _modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _graph() -> dict[str, set[str]]:
    return {
        package: {
            other
            for path in _modules(package)
            for other in _imports(path)
            if other in PACKAGES and other != package
        }
        for package in PACKAGES
    }


def test_no_import_cycle_between_packages():
    graph = _graph()
    done: set[str] = set()

    def visit(package: str, path: tuple[str, ...]) -> None:
        assert package not in path, "import cycle: " + " → ".join((*path, package))
        if package in done:
            return
        for other in sorted(graph[package]):
            visit(other, (*path, package))
        done.add(package)

    for package in PACKAGES:
        visit(package, ())


def test_each_package_imports_only_the_layers_below_it():
    graph = _graph()
    for depth, package in enumerate(PACKAGES):
        assert graph[package] <= set(PACKAGES[:depth]), package


def test_the_api_only_reads_releases():
    """The API serves published releases: it never imports the pipeline or the warehouse."""
    assert _graph()["api"] <= {"publish"}
    for path in _modules("api"):
        assert "duckdb" not in _imports(path), path


def test_no_two_modules_share_a_name():
    """A newcomer can name a module by its file name alone (packages' `__init__` aside)."""
    names = Counter(
        path.stem
        for package in PACKAGES
        for path in _modules(package)
        if path.name != "__init__.py"
    )
    assert [name for name, count in names.items() if count > 1] == []


def test_no_script_hides_a_package():
    """`python benchmarks/ingest.py` puts benchmarks/ first on the path, where `import ingest`
    then finds the script: a benchmark or script named as a package breaks every script of
    its folder that imports that package."""
    scripts = {p.stem for folder in ("benchmarks", "scripts") for p in (ROOT / folder).glob("*.py")}
    assert scripts & {*PACKAGES, "tests"} == set()
