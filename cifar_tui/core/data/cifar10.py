"""Load CIFAR-10 into arrays: validate every batch, then stack them as uint8 NHWC images.

Reads an archive in place (not extracted) or an extracted folder, whatever locate.find_cifar10
returned; each batch goes through safe_pickle first.
"""

from __future__ import annotations

import contextlib
import tarfile
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cifar_tui.core.data.errors import DataError, one_line
from cifar_tui.core.data.host_memory import aligned_empty
from cifar_tui.core.data.locate import (
    ARCHIVE_NAME,
    BATCHES_DIR,
    DOWNLOAD_URL,
    META,
    TEST_BATCH,
    TRAIN_BATCHES,
    download_hint,
)
from cifar_tui.core.data.safe_pickle import safe_unpickle

CLASS_NAMES: tuple[str, ...] = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip
_PIXELS = 32 * 32 * 3


@dataclass(frozen=True, eq=False)
class Cifar10:
    """The dataset as uint8 NHWC images and uint8 labels 0-9 (eq=False: arrays don't compare)."""

    x_train: np.ndarray
    """(N, 32, 32, 3) uint8, C-contiguous."""
    y_train: np.ndarray
    """(N,) uint8 class indices."""
    x_test: np.ndarray
    y_test: np.ndarray
    source: Path
    """The archive or folder it was loaded from."""
    class_names: tuple[str, ...] = CLASS_NAMES


def _check_batch(obj: object, name: str, fix: str) -> tuple[np.ndarray, np.ndarray]:
    """(rows (n, 3072) uint8, labels (n,) uint8) from one unpickled batch, or DataError."""

    def bad(what: str) -> DataError:
        return DataError(f"{name} is not a CIFAR-10 batch: {what}; {fix}")

    if not isinstance(obj, dict):
        raise bad(f"it holds a {type(obj).__name__}, not a dict")
    batch = {k.encode() if isinstance(k, str) else k: v for k, v in obj.items()}
    for key in (b"data", b"labels"):
        if key not in batch:
            raise bad(f"no {key!r} entry")
    data = batch[b"data"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8:
        raise bad(f"b'data' is {getattr(data, 'dtype', type(data).__name__)}, not a uint8 array")
    if data.ndim != 2 or data.shape[1] != _PIXELS or data.shape[0] == 0:
        raise bad(f"b'data' has shape {data.shape}, expected (n, {_PIXELS}) with n > 0")
    try:
        labels = np.asarray(batch[b"labels"])
    except (ValueError, TypeError, OverflowError) as exc:
        raise bad(f"b'labels' is not a list of integers ({one_line(exc)})") from exc
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise bad(f"b'labels' is {labels.dtype} with shape {labels.shape}, not a list of ints")
    if len(labels) != len(data):
        raise bad(f"{len(labels)} labels for {len(data)} images")
    if labels.min() < 0 or labels.max() > 9:
        raise bad(f"labels run {labels.min()}..{labels.max()}, outside 0-9")
    return data, labels.astype(np.uint8)


def _class_names_from_meta(meta: object, name: str) -> tuple[str, ...]:
    """The ten class names held in an unpickled batches.meta, validated.

    Args:
        meta: the unpickled batches.meta.
        name: how to name it in error messages.

    Returns:
        Ten non-empty class names, in label order.
    """
    names = meta.get(b"label_names", meta.get("label_names")) if isinstance(meta, dict) else None
    if isinstance(names, list) and len(names) == 10:
        try:
            decoded = tuple(n.decode() if isinstance(n, bytes) else n for n in names)
        except UnicodeDecodeError:
            decoded = ()
        if len(decoded) == 10 and all(isinstance(n, str) and n.strip() for n in decoded):
            return decoded
    raise DataError(
        f"{name} does not hold 10 class names under b'label_names'; re-download or re-extract "
        "the archive (or delete batches.meta to use the standard CIFAR-10 names)"
    )


def _read_folder(
    folder: Path, members: tuple[str, ...] = (*TRAIN_BATCHES, TEST_BATCH, META)
) -> Generator[tuple[str, object]]:
    fix = f"re-extract {ARCHIVE_NAME} (its {BATCHES_DIR}/ folder needs all six batches)"
    for member in members:
        path = folder / member
        if member == META and not path.exists():
            continue
        try:
            with path.open("rb") as fileobj:
                yield member, safe_unpickle(fileobj, str(path))
        except FileNotFoundError as exc:
            raise DataError(f"{folder} has no {member}; {fix}") from exc
        except OSError as exc:
            raise DataError(f"cannot read {path} ({one_line(exc)}); {fix}") from exc


def _read_archive(
    archive: Path, wanted: frozenset[str] = frozenset({*TRAIN_BATCHES, TEST_BATCH, META})
) -> Generator[tuple[str, object]]:
    # Stream mode ("r|*"): one pass over the gzip in archive order. Random access would
    # re-decompress from the start for every member that lies before the previous one.
    try:
        with tarfile.open(archive, "r|*") as tar:
            for member in tar:
                base = member.name.rsplit("/", 1)[-1]
                if member.isfile() and base in wanted:
                    fileobj = tar.extractfile(member)
                    assert fileobj is not None  # isfile() members always have data
                    yield base, safe_unpickle(fileobj, f"{archive}:{member.name}")
    # TypeError: tarfile's gzip header parser calls ord() on a byte a truncated file lacks
    # (an archive cut to 3 bytes; found by the property test of whole archives).
    except (tarfile.TarError, OSError, EOFError, TypeError) as exc:
        raise DataError(
            f"{archive} is not a readable {ARCHIVE_NAME} ({one_line(exc)}); re-download it "
            f"from {DOWNLOAD_URL}"
        ) from exc


def _assemble(
    batches: list[tuple[np.ndarray, np.ndarray] | None], limit: int
) -> tuple[np.ndarray, np.ndarray]:
    """Stack (n, 3072) R/G/B-plane rows into one C-contiguous (N, 32, 32, 3) copy.

    Each source batch is dropped once copied and there is no concatenated intermediate, so the
    peak stays near the data itself (BENCHMARKS.md, "Input pipeline vs the recipe's way").
    """
    total = sum(len(b[0]) for b in batches if b is not None)
    n = min(limit, total) if limit > 0 else total
    # Aligned so the training pipeline reads these images in place (core/data/host_memory.py).
    images = aligned_empty((n, 32, 32, 3), np.uint8)
    labels = np.empty((n,), dtype=np.uint8)
    start = 0
    for i, batch in enumerate(batches):
        assert batch is not None
        rows, batch_labels = batch
        batches[i] = None  # release the pickled rows as soon as they are copied
        take = min(len(rows), n - start)
        images[start : start + take] = rows[:take].reshape(take, 3, 32, 32).transpose(0, 2, 3, 1)
        labels[start : start + take] = batch_labels[:take]
        start += take
        if start == n:
            break
    return images, labels


def load_cifar10(source: Path, train_size: int = 0) -> Cifar10:
    """Load CIFAR-10 from a .tar.gz (read in place, not extracted) or an extracted folder.

    Args:
        source: what find_cifar10 returned.
        train_size: keep only the first N training images (a fixed subset); 0 keeps all, and a
            number above the images available keeps all of them.

    Returns:
        uint8 (N, 32, 32, 3) images and uint8 labels; every batch is validated first.
    """
    source = Path(source)
    if train_size < 0:
        raise DataError(f"train_size must be 0 (all) or a positive count, not {train_size}")
    if source.is_dir():
        members, fix = _read_folder(source), f"re-extract {ARCHIVE_NAME}"
    elif source.is_file():
        members, fix = _read_archive(source), f"re-download {ARCHIVE_NAME} from {DOWNLOAD_URL}"
    else:
        raise DataError(f"CIFAR-10 source {source} does not exist; {download_hint()}")
    batches: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    names = CLASS_NAMES
    in_archive = source.is_file()
    for member, obj in members:
        where = f"{source}:{member}" if in_archive else str(source / member)
        if member == META:
            names = _class_names_from_meta(obj, where)
        else:
            batches[member] = _check_batch(obj, where, fix)
        del obj  # the dict would otherwise keep each batch's rows alive twice
    missing = [m for m in (*TRAIN_BATCHES, TEST_BATCH) if m not in batches]
    if missing:
        raise DataError(f"{source} has no {', '.join(missing)}; {fix}")
    train: list[tuple[np.ndarray, np.ndarray] | None] = [batches.pop(m) for m in TRAIN_BATCHES]
    x_train, y_train = _assemble(train, train_size)
    x_test, y_test = _assemble([batches.pop(TEST_BATCH)], 0)
    return Cifar10(x_train, y_train, x_test, y_test, source, names)


def load_test_set(source: Path) -> tuple[np.ndarray, np.ndarray]:
    """Load only CIFAR-10's test batch (what the prediction browser shows), nothing else.

    An archive is read up to its test_batch member and no further; the training batches are
    never unpickled.

    Args:
        source: what find_cifar10 returned (archive or extracted folder).

    Returns:
        (uint8 (N, 32, 32, 3) images, uint8 (N,) labels) of the test batch.
    """
    source = Path(source)
    if source.is_dir():
        members, fix = _read_folder(source, (TEST_BATCH,)), f"re-extract {ARCHIVE_NAME}"
        where = str(source / TEST_BATCH)
    elif source.is_file():
        members = _read_archive(source, frozenset({TEST_BATCH}))
        fix, where = f"re-download {ARCHIVE_NAME} from {DOWNLOAD_URL}", f"{source}:{TEST_BATCH}"
    else:
        raise DataError(f"CIFAR-10 source {source} does not exist; {download_hint()}")
    with contextlib.closing(members):  # stop reading the archive once the test batch is in
        for _member, obj in members:
            return _assemble([_check_batch(obj, where, fix)], 0)
    raise DataError(f"{source} has no {TEST_BATCH}; {fix}")
