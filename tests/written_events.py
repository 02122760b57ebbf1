"""The events of a run exactly as the trainer wrote them (plain JSON), for tests of the writer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def raw_events(path: Path) -> list[dict[str, Any]]:
    """Every complete line of an events.jsonl as a dict; a torn last line is left out.

    Tests of the trainer check what it writes, field for field, so they read the lines as
    written rather than through the typed reader (rundir/events.py) that the app uses.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return []
    *complete, _partial = data.split(b"\n")
    return [json.loads(line) for line in complete if line.strip()]
