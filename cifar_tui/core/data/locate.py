"""Where CIFAR-10 lives on disk: its file names, the download URL, and find_cifar10.

Looks in --data-dir, then $CIFAR10_DIR, then the Keras cache (~/.keras/datasets), and never
downloads: the trainer's command may try Keras's downloader once this finds nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from cifar_tui.core.data.errors import DataError

ARCHIVE_NAME = "cifar-10-python.tar.gz"
BATCHES_DIR = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
META = "batches.meta"
DOWNLOAD_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"

# Names a folder may hold: ours, then what Keras's get_file() leaves in ~/.keras/datasets
# (Keras 2 saved "cifar-10-batches-py.tar.gz"; Keras 3.15 extracts into "...-target/").
_ARCHIVES = (ARCHIVE_NAME, "cifar-10-batches-py.tar.gz")
_KERAS_ENTRIES = (
    BATCHES_DIR, "cifar-10-batches-py-target", "cifar-10-batches-py_extracted", *_ARCHIVES,
    "cifar-10-batches-py-target_archive", "cifar-10-batches-py_archive",
)  # fmt: skip
_EXPECTED = f"{ARCHIVE_NAME}, a folder holding it, or an extracted {BATCHES_DIR}/ folder"


def download_hint() -> str:
    """One line telling the user how to get the archive onto a machine without internet."""
    return (
        f"download {DOWNLOAD_URL} (163 MB) where there is internet, copy it here, then pass "
        f"--data-dir pointing at it or at its folder, or set CIFAR10_DIR"
    )


def _is_batches_dir(path: Path) -> bool:
    # Any one batch file is enough to recognise it: load_cifar10 then names what is missing.
    return path.is_dir() and any((path / n).is_file() for n in (*TRAIN_BATCHES, TEST_BATCH))


def _resolve(path: Path) -> Path | None:
    """The usable CIFAR-10 source at or directly inside `path`, extracted folders first (faster)."""
    if path.is_file():
        return path
    if _is_batches_dir(path):
        return path
    if _is_batches_dir(path / BATCHES_DIR):
        return path / BATCHES_DIR
    return next((path / n for n in _ARCHIVES if (path / n).is_file()), None)


def _pretty(path: Path, home: Path) -> str:
    try:
        return "~/" + str(path.relative_to(home))
    except ValueError:
        return str(path)


def _expand_user(path: Path) -> Path:
    """`path` with a leading ~ or ~user expanded; left as it is when that user does not exist
    (Path.expanduser raises then), so the caller reports the path as not found."""
    try:
        return path.expanduser()
    except RuntimeError:
        return path


def find_cifar10(
    data_dir: str | Path | None = None,
    env: Mapping[str, str] = os.environ,
    home: Path | None = None,
) -> Path:
    """Find CIFAR-10 on disk without downloading.

    Args:
        data_dir: explicit --data-dir: the archive, its folder, or an extracted folder. When it
            holds nothing usable this fails at once instead of falling back to other places.
        env: where to read CIFAR10_DIR (same forms as data_dir) and KERAS_HOME.
        home: the home folder for the Keras cache (~/.keras/datasets); defaults to Path.home().

    Returns:
        The first hit: a .tar.gz archive or a folder holding data_batch_1..5 and test_batch.
    """
    home = Path.home() if home is None else home
    if data_dir is not None:
        path = _expand_user(Path(data_dir))
        if not path.exists():
            raise DataError(f"--data-dir {path} does not exist; point it at {_EXPECTED}")
        found = _resolve(path)
        if found is None:
            raise DataError(f"--data-dir {path} holds no CIFAR-10; expected {_EXPECTED} there")
        return found
    places = []
    env_dir = env.get("CIFAR10_DIR", "")
    if env_dir:
        found = _resolve(_expand_user(Path(env_dir)))
        if found is not None:
            return found
        # A stale CIFAR10_DIR should not hide a good Keras cache; the final message names it.
        places.append(f"$CIFAR10_DIR={env_dir} (no {ARCHIVE_NAME} or {BATCHES_DIR}/ there)")
    else:
        places.append("$CIFAR10_DIR (unset)")
    keras_home = Path(env["KERAS_HOME"]) if env.get("KERAS_HOME") else home / ".keras"
    datasets = _expand_user(keras_home) / "datasets"
    for name in _KERAS_ENTRIES:
        found = _resolve(datasets / name) if (datasets / name).exists() else None
        if found is not None:
            return found
    places.append(f"{_pretty(datasets, home)} (no {BATCHES_DIR})")
    raise DataError(
        f"CIFAR-10 not found: looked in {', '.join(places)}; pass --data-dir pointing at "
        f"{ARCHIVE_NAME} or its folder, or set CIFAR10_DIR (get it from {DOWNLOAD_URL})"
    )
