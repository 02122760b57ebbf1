"""Find and load CIFAR-10 offline (archive, extracted folder, Keras cache) with safe unpickling."""

from __future__ import annotations

import contextlib
import io
import math
import os
import pickle
import pickletools
import tarfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO

import numpy as np

from cifar_tui.core.data.host_memory import aligned_empty
from cifar_tui.core.errors import UserError

CLASS_NAMES: tuple[str, ...] = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip
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
_PIXELS = 32 * 32 * 3
_MAX_PICKLE_BYTES = 1 << 28  # 256 MiB: 8x a real batch (31 MB), so a huge file is refused early

# What an array element may be: plain numbers only (object arrays would hold arbitrary pickles).
_PLAIN_DTYPES = {"b1", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f2", "f4", "f8"}


class DataError(UserError):
    """CIFAR-10 or a user's images are missing or unreadable; the message says where and the fix."""


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


def download_hint() -> str:
    """One line telling the user how to get the archive onto a machine without internet."""
    return (
        f"download {DOWNLOAD_URL} (163 MB) where there is internet, copy it here, then pass "
        f"--data-dir pointing at it or at its folder, or set CIFAR10_DIR"
    )


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


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


class _Stub:
    """Inert stand-in for a numpy call in a pickle: records its arguments and BUILD state.

    numpy's own _reconstruct/__setstate__ trust their input: fuzzing them with mutated batches
    hit numpy internal errors and one interpreter segfault. So numpy only sees checked bytes.
    """

    def __init__(self, kind: str, *args: object) -> None:
        self.kind, self.args, self.state = kind, args, None

    def __setstate__(self, state: object) -> None:
        self.state = state


# The only globals a CIFAR-10 batch needs: numpy's array reconstruction (pickle protocols 2-5).
# Builtins like list/dict/bytes come from opcodes, never find_class.
_NDARRAY = partial(_Stub, "ndarray")
_ALLOWED = {("numpy", "ndarray"): _NDARRAY, ("numpy", "dtype"): partial(_Stub, "dtype")}
for _core in ("numpy.core", "numpy._core"):  # numpy 1.x and 2.x module names
    _ALLOWED[(f"{_core}.multiarray", "_reconstruct")] = partial(_Stub, "reconstruct")
    _ALLOWED[(f"{_core}.multiarray", "scalar")] = partial(_Stub, "scalar")
    _ALLOWED[(f"{_core}.numeric", "_frombuffer")] = partial(_Stub, "frombuffer")


class _BatchUnpickler(pickle.Unpickler):
    """Unpickler that resolves only numpy's array-rebuilding globals, to inert stubs."""

    def __init__(self, fileobj: IO[bytes], name: str) -> None:
        # encoding="bytes": the official archive is a Python 2 pickle; its str keys stay bytes.
        super().__init__(fileobj, encoding="bytes")
        self._name = name

    def find_class(self, module: str, name: str) -> object:
        found = _ALLOWED.get((module, name))
        if found is None:
            raise DataError(
                f"{self._name} tries to load {module}.{name}, which a CIFAR-10 batch never "
                f"needs; refusing to run code from it (re-download the archive from {DOWNLOAD_URL})"
            )
        return found


def _dtype(stub: object) -> np.dtype:
    if not (isinstance(stub, _Stub) and stub.kind == "dtype" and stub.args):
        raise ValueError("array without a numpy dtype")
    name, state = stub.args[0], stub.state
    name = name.decode("ascii") if isinstance(name, bytes) else name
    order = state[1] if isinstance(state, tuple) and len(state) > 1 else "|"
    order = order.decode("ascii") if isinstance(order, bytes) else order
    if name not in _PLAIN_DTYPES or order not in ("<", ">", "|", "="):
        raise ValueError(f"dtype {name!r} (byte order {order!r}) is not a plain number type")
    return np.dtype(name).newbyteorder(order) if order in ("<", ">") else np.dtype(name)


def _array(raw: object, dtype: np.dtype, shape: object, order: object) -> np.ndarray:
    """A numpy array over `raw`, once its length matches the shape and dtype exactly."""
    shape = tuple(shape) if isinstance(shape, list | tuple) else shape
    if not isinstance(raw, bytes | bytearray) or not isinstance(shape, tuple):
        raise ValueError("array data is not bytes with a shape")
    if not all(type(n) is int and n >= 0 for n in shape) or order not in ("C", "F"):
        raise ValueError(f"bad array shape {shape!r} or order {order!r}")
    if len(raw) != math.prod(shape) * dtype.itemsize:
        raise ValueError(f"{len(raw)} bytes of data for a {dtype} array of shape {shape}")
    return np.frombuffer(raw, dtype=dtype).reshape(shape, order=order)


def _rebuild(stub: _Stub) -> object:
    """The real array or scalar a stub stands for, built only from checked parts."""
    args, state = stub.args, stub.state
    if stub.kind == "reconstruct" and args and args[0] is _NDARRAY and isinstance(state, tuple):
        state = state[1:] if len(state) == 5 else state  # (version,) shape, dtype, fortran, raw
        if len(state) == 4:
            return _array(state[3], _dtype(state[1]), state[0], "F" if state[2] else "C")
    if stub.kind == "frombuffer" and len(args) == 4:  # protocol 5: (buffer, dtype, shape, order)
        return _array(args[0], _dtype(args[1]), args[2], args[3])
    if stub.kind == "scalar" and len(args) == 2:
        return _array(args[1], _dtype(args[0]), (), "C")[()]
    raise ValueError(f"unsupported numpy {stub.kind} in the pickle")


def _materialize(obj: object, depth: int = 0) -> object:
    # A batch is a dict of arrays and lists; deeper nesting is left alone and fails validation.
    if isinstance(obj, _Stub):
        return _rebuild(obj)
    if depth < 3 and isinstance(obj, dict):
        return {key: _materialize(value, depth + 1) for key, value in obj.items()}
    if depth < 3 and isinstance(obj, list | tuple):
        return type(obj)(_materialize(value, depth + 1) for value in obj)
    return obj


def _check_opcodes(data: bytes) -> None:
    """Walk the opcodes: genops checks each counted length against the bytes really there.

    The C unpickler would first allocate whatever length, frame or memo index a corrupt file
    claims (gigabytes, or a CPython error-path message on stderr), then find the data missing.
    """
    for index, (op, arg, pos) in enumerate(pickletools.genops(data)):
        if op.name == "FRAME" and isinstance(arg, int) and arg > len(data) - pos:
            raise ValueError(f"frame of {arg} bytes at offset {pos} runs past the end")
        if op.name in ("PUT", "BINPUT", "LONG_BINPUT") and isinstance(arg, int) and arg > index:
            raise ValueError(f"memo index {arg} at offset {pos} is out of sequence")


def safe_unpickle(fileobj: IO[bytes], name: str) -> object:
    """Unpickle a CIFAR-10 batch, refusing any global but numpy's array reconstruction.

    Args:
        fileobj: the open batch file or tar member (read whole, at most 256 MiB).
        name: how to name it in error messages (path or archive member).

    Returns:
        The unpickled object with real numpy arrays, not yet validated as a batch.
    """
    try:
        data = fileobj.read(_MAX_PICKLE_BYTES + 1)
        if len(data) > _MAX_PICKLE_BYTES:
            raise DataError(
                f"{name} is over {_MAX_PICKLE_BYTES >> 20} MiB, far larger than a CIFAR-10 "
                "batch (31 MB); point --data-dir at the real archive or its folder"
            )
        _check_opcodes(data)
        return _materialize(_BatchUnpickler(io.BytesIO(data), name).load())
    except DataError:
        raise
    except Exception as exc:  # corrupt pickles raise almost any type (pickle docs)
        raise DataError(
            f"{name} is not a readable CIFAR-10 batch ({_one_line(exc)}); "
            "re-download or re-extract the archive"
        ) from exc


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
        raise bad(f"b'labels' is not a list of integers ({_one_line(exc)})") from exc
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise bad(f"b'labels' is {labels.dtype} with shape {labels.shape}, not a list of ints")
    if len(labels) != len(data):
        raise bad(f"{len(labels)} labels for {len(data)} images")
    if labels.min() < 0 or labels.max() > 9:
        raise bad(f"labels run {labels.min()}..{labels.max()}, outside 0-9")
    return data, labels.astype(np.uint8)


def class_names_from_meta(meta: object, name: str) -> tuple[str, ...]:
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
) -> Iterator[tuple[str, object]]:
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
            raise DataError(f"cannot read {path} ({_one_line(exc)}); {fix}") from exc


def _read_archive(
    archive: Path, wanted: frozenset[str] = frozenset({*TRAIN_BATCHES, TEST_BATCH, META})
) -> Iterator[tuple[str, object]]:
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
            f"{archive} is not a readable {ARCHIVE_NAME} ({_one_line(exc)}); re-download it "
            f"from {DOWNLOAD_URL}"
        ) from exc


def _assemble(
    batches: list[tuple[np.ndarray, np.ndarray] | None], limit: int
) -> tuple[np.ndarray, np.ndarray]:
    """Stack (n, 3072) R/G/B-plane rows into one C-contiguous (N, 32, 32, 3) copy.

    Each source batch is dropped once copied and there is no concatenated intermediate: loading
    all 60,000 images peaks at about 350 MB RSS (the uint8 data itself is 184 MB).
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
            names = class_names_from_meta(obj, where)
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
