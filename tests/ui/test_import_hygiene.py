"""The app never imports TensorFlow or Keras, and the core never imports Textual."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


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
