"""The app never imports TensorFlow or Keras, and the core never imports Textual."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import cifar_tui


def _modules_after(code: str) -> set[str]:
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_the_app_does_not_import_tensorflow() -> None:
    modules = _modules_after(
        "import cifar_tui.app, cifar_tui.cli\n"
        "from pathlib import Path\n"
        "from cifar_tui.ui.common.gpu_settings import GpuSettings\n"
        "from cifar_tui.ui.views import VIEWS\n"
        "for new_view in VIEWS.values(): new_view(Path('models'), None, GpuSettings())"
    )
    assert "cifar_tui.app" in modules
    for screen in ("runs.runs_screen", "monitor.monitor_screen", "browser.browse_screen"):
        assert f"cifar_tui.ui.{screen}" in modules
    assert "cifar_tui.ui.config.config_screen" in modules
    assert "cifar_tui.ui.browser.prediction_browser" in modules
    for heavy in ("tensorflow", "keras"):
        assert heavy not in modules, f"the app imported {heavy}"


CORE = ["rundir.listing", "rundir.events", "config", "data.cifar10", "host.gpu", "host.launcher"]


@pytest.mark.parametrize("module", CORE)
def test_the_core_does_not_import_textual(module: str) -> None:
    modules = _modules_after(f"import cifar_tui.core.{module}")
    assert "textual" not in modules
    assert "tensorflow" not in modules


def test_no_view_imports_the_app() -> None:
    """Screens and widgets talk to the app by messages and watch its reactives: none imports it
    (not even for type checking), so the app is the one place that knows every view."""
    package = Path(cifar_tui.__file__).parent / "ui"
    importers = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            if any(name == "cifar_tui.app" or name.startswith("cifar_tui.app.") for name in names):
                importers.append(f"{path.relative_to(package)}:{node.lineno}")
    assert importers == []
