"""The package layout holds: no import circles, a pure engine, store and engine apart, a library
that never reaches into the app, and a ``storyfit --help`` that loads none of the heavy parts.

Imports are read from the source with ``ast``, at every level (function-level and
``TYPE_CHECKING`` imports included), so a circle hidden inside a function is caught too.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from functools import cache
from pathlib import Path

from tests.conftest import REPO

PACKAGES = ("bot", "retrieval")
HEAVY = ("chromadb", "onnxruntime", "openai", "matplotlib", "slack_bolt")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _sources() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
    }


def _imported(module: str, path: Path) -> set[str]:
    """Every module ``module`` imports (absolute names), wherever the import statement is."""
    modules = _sources()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            submodules = {f"{base}.{alias.name}" for alias in node.names} & modules.keys()
            found.update(submodules or {base})
    return found


@cache
def _graph() -> dict[str, set[str]]:
    """Project modules -> the project modules they import."""
    modules = _sources()
    return {
        module: {name for name in _imported(module, path) if name in modules}
        for module, path in modules.items()
    }


def _imports_of(module: str) -> set[str]:
    return _imported(module, _sources()[module])


def _inside(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_the_import_reader_sees_function_level_and_relative_imports(tmp_path: Path) -> None:
    # The circle this layout removed was hidden this way: bot.app imported inside a function.
    module = tmp_path / "example.py"
    module.write_text(
        "import json\n"
        "def post() -> None:\n"
        "    from bot.app import build_app\n"
        "    from . import kit\n"
        "    from .limits import MAX_BLOCKS_PER_MESSAGE\n",
        encoding="utf-8",
    )
    found = _imported("bot.blocks.example", module)
    assert found == {"json", "bot.app", "bot.blocks.kit", "bot.blocks.limits"}


def test_no_import_circles() -> None:
    graph = _graph()
    circles: list[list[str]] = []
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = "open"
        path.append(module)
        for imported in sorted(graph[module]):
            if state.get(imported) == "open":
                circles.append([*path[path.index(imported) :], imported])
            elif imported not in state:
                visit(imported)
        path.pop()
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert circles == [], "import circles: " + "; ".join(" -> ".join(c) for c in circles)


def test_the_engine_is_pure() -> None:
    forbidden = ("chromadb", "onnxruntime", "openai", "sqlite3", "retrieval.store", "bot")
    engine = [module for module in _sources() if _inside(module, "retrieval.engine")]
    assert len(engine) > 5
    reaches = {
        module: sorted(
            name
            for name in _imports_of(module)
            if any(_inside(name, package) for package in forbidden)
        )
        for module in engine
    }
    assert {module: names for module, names in reaches.items() if names} == {}


def test_the_store_does_not_import_the_engine() -> None:
    store = [module for module in _sources() if _inside(module, "retrieval.store")]
    assert len(store) > 3
    reaches = {
        module: sorted(name for name in _graph()[module] if _inside(name, "retrieval.engine"))
        for module in store
    }
    assert {module: names for module, names in reaches.items() if names} == {}


def test_retrieval_never_imports_bot() -> None:
    reaches = {
        module: sorted(name for name in _graph()[module] if _inside(name, "bot"))
        for module in _sources()
        if _inside(module, "retrieval")
    }
    assert {module: names for module, names in reaches.items() if names} == {}


def test_only_the_service_wires_the_store_to_the_engine() -> None:
    wiring = {
        module
        for module, imported in _graph().items()
        if _inside(module, "bot")
        and any(_inside(name, "retrieval.store") for name in imported)
        and any(_inside(name, "retrieval.engine") for name in imported)
    }
    assert wiring == {"bot.service"}


HELP_PROBE = f"""
import json, sys
from bot.cli import app
try:
    app(["--help"])
except SystemExit:
    pass
print(json.dumps(sorted(name for name in {HEAVY!r} if name in sys.modules)))
"""


def test_storyfit_help_loads_none_of_the_heavy_libraries() -> None:
    result = subprocess.run(
        [sys.executable, "-c", HELP_PROBE],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "Usage" in result.stdout and "recommend" in result.stdout
    assert json.loads(result.stdout.splitlines()[-1]) == []
