"""Which module may import what, read from the AST of every module of the package.

The rules (README, Development):
- TensorFlow and Keras only in `cifar_tui.core.training`, and lazily (inside a function) in
  `cifar_tui.commands`, the headless verbs that train, evaluate or predict.
- Textual, Rich and plotext only in `cifar_tui.ui` and `cifar_tui.app`.
- `cifar_tui.core` never imports the UI, the app, the CLI or the commands.
- The UI and the app never import `cifar_tui.core.training` (it imports TensorFlow), the CLI or
  the commands.
- No import cycle anywhere in the package, counting imports inside functions too: a cycle that
  only a lazy import hides is still one a reader has to untangle.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cifar_tui"
HEAVY = ("tensorflow", "keras")
TERMINAL = ("textual", "rich", "plotext", "textual_plotext")


@dataclass(frozen=True)
class Import:
    importer: str
    target: str
    lazy: bool
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(importer: str, source: str, known: set[str]) -> list[Import]:
    """Every import in `source`; `from pkg import sub` names the submodule when it is one."""
    tree = ast.parse(source)
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        lazy = id(node) not in top_level
        if isinstance(node, ast.Import):
            found += [Import(importer, alias.name, lazy, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                target = sub if sub in known else node.module
                found.append(Import(importer, target, lazy, node.lineno))
    return found


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def violations(imports: list[Import]) -> list[str]:
    """One line per import that breaks a rule of the module docstring."""
    bad = []
    for imp in imports:
        src, dst = imp.importer, imp.target
        where = f"{src}:{imp.line} imports {dst}"
        if any(within(dst, heavy) for heavy in HEAVY):
            lazy_command = within(src, "cifar_tui.commands") and imp.lazy
            if not (within(src, "cifar_tui.core.training") or lazy_command):
                bad.append(f"{where}: TensorFlow belongs in cifar_tui.core.training")
        if any(within(dst, term) for term in TERMINAL):
            if not (within(src, "cifar_tui.ui") or src == "cifar_tui.app"):
                bad.append(f"{where}: Textual/Rich belong in cifar_tui.ui and cifar_tui.app")
        if within(src, "cifar_tui.core"):
            for outer in ("cifar_tui.ui", "cifar_tui.app", "cifar_tui.cli", "cifar_tui.commands"):
                if within(dst, outer):
                    bad.append(f"{where}: the core never imports {outer}")
        if within(src, "cifar_tui.ui") or src == "cifar_tui.app":
            for below in ("cifar_tui.core.training", "cifar_tui.cli", "cifar_tui.commands"):
                if within(dst, below):
                    bad.append(f"{where}: the UI never imports {below}")
    return bad


def cycles(imports: list[Import]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if within(imp.target, "cifar_tui") and imp.target != imp.importer:
            graph.setdefault(imp.importer, set()).add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def package_imports() -> list[Import]:
    paths = sorted(PACKAGE.rglob("*.py"))
    known = {module_name(path) for path in paths}
    found = []
    for path in paths:
        found += imports_of(module_name(path), path.read_text(), known)
    return found


def test_every_module_of_the_package_is_read() -> None:
    modules = {module_name(path) for path in PACKAGE.rglob("*.py")}
    assert len(modules) > 60
    assert {"cifar_tui.app", "cifar_tui.core.training.trainer", "cifar_tui.cli"} <= modules


def test_no_module_breaks_a_layering_rule() -> None:
    assert violations(package_imports()) == []


def test_no_import_cycle() -> None:
    assert cycles(package_imports()) == []


KNOWN = {
    "cifar_tui.commands",
    "cifar_tui.core.training",
    "cifar_tui.ui.common",
    "cifar_tui.ui.common.pixels",
}


@pytest.mark.parametrize(
    ("importer", "source", "broken"),
    [
        ("cifar_tui.core.rundir.events", "import tensorflow as tf", "TensorFlow"),
        ("cifar_tui.core.rundir.events", "def f():\n    import keras", "TensorFlow"),
        ("cifar_tui.commands.train", "import keras", "TensorFlow"),
        ("cifar_tui.ui.monitor.curves", "def f():\n    import tensorflow", "TensorFlow"),
        ("cifar_tui.core.host.gpu", "from rich.text import Text", "Textual/Rich"),
        ("cifar_tui.cli", "import textual", "Textual/Rich"),
        ("cifar_tui.core.data.images", "from cifar_tui.ui.common import pixels", "core never"),
        ("cifar_tui.core.config", "def f():\n    import cifar_tui.app", "core never"),
        ("cifar_tui.app", "from cifar_tui.core.training import trainer", "UI never"),
        ("cifar_tui.ui.runs.list", "def f():\n    from cifar_tui import commands", "UI never"),
    ],
)
def test_a_broken_rule_is_reported(importer: str, source: str, broken: str) -> None:
    found = violations(imports_of(importer, source, KNOWN))
    assert len(found) == 1 and broken in found[0]


@pytest.mark.parametrize(
    ("importer", "source"),
    [
        ("cifar_tui.core.training.model", "import keras"),
        ("cifar_tui.commands.train", "def f():\n    import keras"),
        ("cifar_tui.ui.common.pixels", "from rich.text import Text"),
        ("cifar_tui.app", "from textual.app import App"),
        ("cifar_tui.commands.train", "from cifar_tui.core.training import trainer"),
    ],
)
def test_an_allowed_import_is_not_reported(importer: str, source: str) -> None:
    assert violations(imports_of(importer, source, KNOWN)) == []


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ([("a", "b"), ("b", "c")], []),
        ([("a", "b"), ("b", "a")], [["a", "b"]]),
        ([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")], [["a", "b", "c"]]),
    ],
)
def test_cycles_are_found(edges: list[tuple[str, str]], expected: list[list[str]]) -> None:
    imports = [Import(f"cifar_tui.{a}", f"cifar_tui.{b}", False, 1) for a, b in edges]
    assert cycles(imports) == [[f"cifar_tui.{m}" for m in group] for group in expected]
