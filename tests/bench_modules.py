"""Load a bench/ script as a module, for tests of its pure functions (bench/ is no package)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[1] / "bench"


def load_bench(name: str) -> ModuleType:
    """bench/<name>.py as the module `<name>`, with bench/ on sys.path as when it runs.

    The scripts import their shared parts (`import benchkit`) the way `python bench/NAME.py`
    finds them: from the script's own folder.
    """
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)
