"""No module of the package over 300 lines and no function over 80: each reads on a screen."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "cifar_tui"
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 80


def long_functions(source: str, max_lines: int) -> list[tuple[str, int]]:
    """(name, lines) of every function or method longer than `max_lines`, decorators included."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            lines = (node.end_lineno or node.lineno) - first + 1
            if lines > max_lines:
                found.append((node.name, lines))
    return found


def test_no_module_is_too_long() -> None:
    too_long = {
        str(path.relative_to(PACKAGE)): count
        for path in sorted(PACKAGE.rglob("*.py"))
        if (count := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}


def test_no_function_is_too_long() -> None:
    too_long = {
        f"{path.relative_to(PACKAGE)}:{name}": lines
        for path in sorted(PACKAGE.rglob("*.py"))
        for name, lines in long_functions(path.read_text(), MAX_FUNCTION_LINES)
    }
    assert too_long == {}


def test_a_long_function_is_found() -> None:
    body = "\n".join(f"    x = {i}" for i in range(80))
    assert long_functions(f"def short():\n{body[:-12]}\n", 80) == []
    assert long_functions(f"@decorated\ndef long():\n{body}\n", 80) == [("long", 82)]
    method = "\n".join("    " + line for line in body.splitlines())
    assert long_functions(f"class A:\n    async def m(self):\n{method}\n", 80) == [("m", 81)]
