"""Finding and loading CIFAR-10: every accepted layout, every refusal, and safe unpickling."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import pickle
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from cifar_archives import cifar_batch, synthetic_images, write_cifar_archive
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cifar_tui.core.data.cifar10 import CLASS_NAMES, Cifar10, _check_batch, load_cifar10
from cifar_tui.core.data.errors import DataError
from cifar_tui.core.data.locate import download_hint, find_cifar10
from cifar_tui.core.data.safe_pickle import safe_unpickle
from cifar_tui.core.errors import UserError

SHARED_DATA = Path(__file__).parents[2].parent / "shared" / "data"
NO_ENV: dict[str, str] = {}


def _tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return path


def _folder_members(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# --- find_cifar10 -----------------------------------------------------------------------------

# Each case builds a layout under tmp_path and returns (what to pass, what find should return).
LAYOUTS: dict[str, Callable[[Path], tuple[Path, Path]]] = {
    "archive-file": lambda d: (a := write_cifar_archive(d), a),
    "folder-holding-archive": lambda d: (d, write_cifar_archive(d)),
    "folder-holding-extracted": lambda d: (d, write_cifar_archive(d, extracted=True)),
    "batches-folder-itself": lambda d: (f := write_cifar_archive(d, extracted=True), f),
    "extracted-beats-archive": lambda d: (
        d, (write_cifar_archive(d), write_cifar_archive(d, extracted=True))[1]
    ),
}  # fmt: skip


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_find_accepts_each_form_of_data_dir(tmp_path: Path, layout: Callable) -> None:
    data_dir, expected = layout(tmp_path)
    assert find_cifar10(data_dir, env=NO_ENV, home=tmp_path) == expected
    assert find_cifar10(str(data_dir), env=NO_ENV, home=tmp_path) == expected


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_find_accepts_each_form_of_cifar10_dir(tmp_path: Path, layout: Callable) -> None:
    data_dir, expected = layout(tmp_path / "data")
    env = {"CIFAR10_DIR": str(data_dir)}
    assert find_cifar10(env=env, home=tmp_path / "home") == expected


def test_data_dir_wins_over_cifar10_dir(tmp_path: Path) -> None:
    mine = write_cifar_archive(tmp_path / "mine")
    env = {"CIFAR10_DIR": str(write_cifar_archive(tmp_path / "env"))}
    assert find_cifar10(tmp_path / "mine", env=env, home=tmp_path) == mine


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda d: d / "nowhere", "does not exist"),
        (lambda d: (d / "empty").mkdir() or d / "empty", "holds no CIFAR-10"),
        (
            lambda d: (d / "other").mkdir() or (d / "other" / "x.txt").touch() or d / "other",
            "holds no",
        ),
    ],
    ids=["missing-path", "empty-folder", "unrelated-folder"],
)
def test_explicit_data_dir_with_nothing_fails_without_falling_back(
    tmp_path: Path, make: Callable[[Path], Path], why: str
) -> None:
    bad = make(tmp_path)
    env = {"CIFAR10_DIR": str(write_cifar_archive(tmp_path / "env"))}  # usable, yet not used
    with pytest.raises(DataError, match=why) as info:
        find_cifar10(bad, env=env, home=tmp_path)
    assert str(bad) in str(info.value) and "cifar-10-python.tar.gz" in str(info.value)


KERAS_LAYOUTS: dict[str, Callable[[Path], Path]] = {
    "keras2-extracted-folder": lambda ds: write_cifar_archive(ds, extracted=True),
    "keras3-target-folder": lambda ds: write_cifar_archive(
        ds / "cifar-10-batches-py-target", extracted=True
    ),
    "cifar-10-python.tar.gz": lambda ds: write_cifar_archive(ds),
    "cifar-10-batches-py.tar.gz": lambda ds: write_cifar_archive(ds).rename(
        ds / "cifar-10-batches-py.tar.gz"
    ),
}


@pytest.mark.parametrize("layout", KERAS_LAYOUTS.values(), ids=KERAS_LAYOUTS.keys())
def test_find_uses_the_keras_cache_in_a_fake_home(tmp_path: Path, layout: Callable) -> None:
    expected = layout(tmp_path / ".keras" / "datasets")
    assert find_cifar10(env=NO_ENV, home=tmp_path) == expected


def test_find_honours_keras_home(tmp_path: Path) -> None:
    expected = write_cifar_archive(tmp_path / "kh" / "datasets", extracted=True)
    assert find_cifar10(env={"KERAS_HOME": str(tmp_path / "kh")}, home=tmp_path) == expected


def test_cifar10_dir_wins_over_keras_cache(tmp_path: Path) -> None:
    write_cifar_archive(tmp_path / ".keras" / "datasets")
    expected = write_cifar_archive(tmp_path / "env")
    assert find_cifar10(env={"CIFAR10_DIR": str(tmp_path / "env")}, home=tmp_path) == expected


def test_stale_cifar10_dir_falls_back_to_keras_cache(tmp_path: Path) -> None:
    expected = write_cifar_archive(tmp_path / ".keras" / "datasets")
    env = {"CIFAR10_DIR": str(tmp_path / "gone")}
    assert find_cifar10(env=env, home=tmp_path) == expected


@pytest.mark.parametrize(
    ("env", "mentions"),
    [
        ({}, "$CIFAR10_DIR (unset)"),
        ({"CIFAR10_DIR": "/no/such/dir"}, "$CIFAR10_DIR=/no/such/dir (no cifar-10-python.tar.gz"),
    ],
    ids=["env-unset", "env-stale"],
)
def test_nothing_found_lists_every_place_looked(
    tmp_path: Path, env: dict[str, str], mentions: str
) -> None:
    with pytest.raises(DataError) as info:
        find_cifar10(env=env, home=tmp_path)
    message = str(info.value)
    assert isinstance(info.value, UserError) and "\n" not in message
    assert message.startswith("CIFAR-10 not found: looked in ")
    for part in (
        mentions,
        "~/.keras/datasets (no cifar-10-batches-py)",
        "--data-dir",
        "CIFAR10_DIR",
    ):
        assert part in message


def test_download_hint_is_one_line_with_the_url() -> None:
    hint = download_hint()
    assert "\n" not in hint and "cifar-10-python.tar.gz" in hint and "--data-dir" in hint


@pytest.mark.skipif(not (SHARED_DATA / "cifar-10-python.tar.gz").exists(), reason="no shared data")
def test_find_locates_the_real_shared_archive() -> None:
    found = find_cifar10(str(SHARED_DATA), env=NO_ENV)
    assert found == SHARED_DATA / "cifar-10-python.tar.gz"


# --- load_cifar10: the happy path ----------------------------------------------------------------


@pytest.mark.parametrize("extracted", [False, True], ids=["archive", "folder"])
def test_load_gives_uint8_nhwc_images_and_labels(tmp_path: Path, extracted: bool) -> None:
    source = write_cifar_archive(tmp_path, per_batch=20, test_size=30, seed=3, extracted=extracted)
    data = load_cifar10(source)
    assert isinstance(data, Cifar10) and data.source == source
    assert data.x_train.shape == (100, 32, 32, 3) and data.x_test.shape == (30, 32, 32, 3)
    assert data.x_train.dtype == data.x_test.dtype == np.uint8
    assert data.x_train.flags.c_contiguous and data.x_test.flags.c_contiguous
    assert data.y_train.shape == (100,) and data.y_train.dtype == np.uint8
    assert data.class_names == CLASS_NAMES
    first, first_labels = synthetic_images(20, 3 * 1000 + 0)  # data_batch_1, as conftest seeds it
    np.testing.assert_array_equal(data.x_train[:20], first)
    np.testing.assert_array_equal(data.y_train[:20], first_labels)
    test, test_labels = synthetic_images(30, 3 * 1000 + 5)
    np.testing.assert_array_equal(data.x_test, test)
    np.testing.assert_array_equal(data.y_test, test_labels)


def test_session_fixture_archive_has_600_images(cifar_archive: Path) -> None:
    data = load_cifar10(cifar_archive)
    assert len(data.x_train) == 500 and len(data.x_test) == 100
    assert np.bincount(data.y_train).tolist() == [50] * 10


def test_rgb_planes_land_in_the_last_axis(tmp_path: Path) -> None:
    folder = write_cifar_archive(tmp_path, per_batch=2, test_size=2, extracted=True)
    rows = np.zeros((2, 3072), dtype=np.uint8)
    rows[:, :1024] = 255  # R plane only
    rows[1, 2048 + 5] = 7  # B plane, row 0, column 5
    batch = {b"data": rows, b"labels": [1, 2], b"batch_label": b"x", b"filenames": [b"a", b"b"]}
    (folder / "data_batch_1").write_bytes(pickle.dumps(batch, protocol=4))
    data = load_cifar10(folder)
    assert tuple(data.x_train[0, 0, 0]) == (255, 0, 0)
    assert tuple(data.x_train[0, 31, 31]) == (255, 0, 0)
    assert tuple(data.x_train[1, 0, 5]) == (255, 0, 7)
    assert data.y_train[:2].tolist() == [1, 2]


@pytest.mark.parametrize(
    ("train_size", "expected"),
    [(0, 100), (7, 7), (20, 20), (35, 35), (100, 100), (10_000, 100)],
    ids=["all", "inside-batch-1", "exactly-batch-1", "across-batches", "exactly-all", "too-many"],
)
def test_train_size_keeps_the_first_images(tmp_path: Path, train_size: int, expected: int) -> None:
    source = write_cifar_archive(tmp_path, per_batch=20, test_size=10)
    full = load_cifar10(source)
    subset = load_cifar10(source, train_size=train_size)
    assert subset.x_train.shape == (expected, 32, 32, 3) and subset.x_train.flags.c_contiguous
    np.testing.assert_array_equal(subset.x_train, full.x_train[:expected])
    np.testing.assert_array_equal(subset.y_train, full.y_train[:expected])
    assert len(subset.x_test) == 10


def test_negative_train_size_is_refused(cifar_archive: Path) -> None:
    with pytest.raises(DataError, match="train_size"):
        load_cifar10(cifar_archive, train_size=-1)


def test_missing_meta_falls_back_to_standard_names_and_custom_meta_is_used(tmp_path: Path) -> None:
    folder = write_cifar_archive(tmp_path, per_batch=10, test_size=10, extracted=True)
    names = [f"c{i}".encode() for i in range(10)]
    (folder / "batches.meta").write_bytes(pickle.dumps({b"label_names": names}, protocol=4))
    assert load_cifar10(folder).class_names == tuple(f"c{i}" for i in range(10))
    (folder / "batches.meta").unlink()
    assert load_cifar10(folder).class_names == CLASS_NAMES


def test_str_keys_and_numpy_labels_are_accepted(tmp_path: Path) -> None:
    folder = write_cifar_archive(tmp_path, per_batch=10, test_size=10, extracted=True)
    images, labels = synthetic_images(10, 9)
    batch = cifar_batch(images, labels)
    batch = {"data": batch[b"data"], "labels": np.asarray(labels, dtype=np.int64)}
    (folder / "test_batch").write_bytes(pickle.dumps(batch, protocol=4))
    np.testing.assert_array_equal(load_cifar10(folder).x_test, images)


# --- load_cifar10: refusals --------------------------------------------------------------------


def _truncate(archive: Path) -> None:
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])


def _drop_member(archive: Path) -> None:
    with tarfile.open(archive) as tar:
        members = {
            m.name.split("/")[-1]: tar.extractfile(m).read()
            for m in tar
            if m.isfile()  # type: ignore[union-attr]
        }
    del members["data_batch_3"]
    _tar(archive, members)


ARCHIVE_DAMAGE: dict[str, tuple[Callable[[Path], object], str]] = {
    "truncated-gzip": (_truncate, "not a readable|is not a readable CIFAR-10 batch"),
    "empty-file": (lambda a: a.write_bytes(b""), "not a readable"),
    "not-a-tar": (lambda a: a.write_text("hello, I am a text file\n"), "not a readable"),
    "gzip-of-text": (lambda a: a.write_bytes(gzip.compress(b"not a tar" * 100)), "not a readable"),
    "missing-member": (_drop_member, "has no data_batch_3"),
}


@pytest.mark.parametrize("damage", ARCHIVE_DAMAGE.values(), ids=ARCHIVE_DAMAGE.keys())
def test_damaged_archive_raises_data_error(tmp_path: Path, damage: tuple) -> None:
    archive = write_cifar_archive(tmp_path, per_batch=50, test_size=50)
    spoil, pattern = damage
    spoil(archive)
    with pytest.raises(DataError, match=pattern) as info:
        load_cifar10(archive)
    message = str(info.value)
    assert str(archive) in message and "re-download" in message and "\n" not in message


@pytest.mark.parametrize("member", ["data_batch_5", "test_batch"])
def test_folder_missing_a_batch_names_it(tmp_path: Path, member: str) -> None:
    folder = write_cifar_archive(tmp_path, per_batch=5, test_size=5, extracted=True)
    (folder / member).unlink()
    with pytest.raises(DataError, match=f"has no {member}.*re-extract"):
        load_cifar10(folder)


def test_missing_source_raises_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load_cifar10(tmp_path / "nope.tar.gz")


def _rows(n: int, dtype: type = np.uint8, width: int = 3072) -> np.ndarray:
    return np.zeros((n, width), dtype=dtype)


BAD_BATCHES: dict[str, tuple[object, str]] = {
    "not-a-dict": ([1, 2, 3], "holds a list, not a dict"),
    "no-data": ({b"labels": [0]}, "no b'data'"),
    "no-labels": ({b"data": _rows(1)}, "no b'labels'"),
    "data-not-array": ({b"data": b"\0" * 3072, b"labels": [0]}, "not a uint8 array"),
    "data-float": ({b"data": _rows(2, np.float32), b"labels": [0, 1]}, "float32, not a uint8"),
    "data-1d": ({b"data": np.zeros(3072, np.uint8), b"labels": [0]}, "shape \\(3072,\\)"),
    "data-wrong-width": ({b"data": _rows(2, width=1024), b"labels": [0, 1]}, "\\(2, 1024\\)"),
    "data-empty": ({b"data": _rows(0), b"labels": []}, "with n > 0"),
    "label-10": ({b"data": _rows(2), b"labels": [0, 10]}, "outside 0-9"),
    "label-negative": ({b"data": _rows(2), b"labels": [-1, 3]}, "outside 0-9"),
    "label-count": ({b"data": _rows(3), b"labels": [0, 1]}, "2 labels for 3 images"),
    "labels-strings": ({b"data": _rows(2), b"labels": ["a", "b"]}, "not a list of ints"),
    "labels-floats": ({b"data": _rows(2), b"labels": [0.5, 1.0]}, "not a list of ints"),
    "labels-ragged": ({b"data": _rows(2), b"labels": [[0], [1, 2]]}, "not a list of integers"),
    "labels-huge-int": ({b"data": _rows(1), b"labels": [2**80]}, "not a list of"),
}


@pytest.mark.parametrize(("batch", "why"), BAD_BATCHES.values(), ids=BAD_BATCHES.keys())
def test_wrong_format_batch_in_folder_raises_data_error(
    tmp_path: Path, batch: object, why: str
) -> None:
    folder = write_cifar_archive(tmp_path, per_batch=5, test_size=5, extracted=True)
    (folder / "data_batch_2").write_bytes(pickle.dumps(batch, protocol=4))
    with pytest.raises(DataError, match=why) as info:
        load_cifar10(folder)
    assert str(folder / "data_batch_2") in str(info.value) and "re-extract" in str(info.value)


def test_wrong_format_batch_in_archive_names_the_member(tmp_path: Path) -> None:
    members = _folder_members(write_cifar_archive(tmp_path, per_batch=5, extracted=True))
    members["test_batch"] = pickle.dumps({b"data": _rows(2), b"labels": [0, 99]}, protocol=4)
    archive = _tar(tmp_path / "cifar-10-python.tar.gz", members)
    with pytest.raises(DataError, match="outside 0-9") as info:
        load_cifar10(archive)
    assert f"{archive}:test_batch" in str(info.value) and "re-download" in str(info.value)


@pytest.mark.parametrize(
    "meta",
    [[b"cat"], {b"label_names": [b"a"] * 9}, {b"label_names": [b""] * 10}, {b"x": 1}],
    ids=["not-a-dict", "nine-names", "empty-names", "no-label-names"],
)
def test_bad_meta_raises_data_error(tmp_path: Path, meta: object) -> None:
    folder = write_cifar_archive(tmp_path, per_batch=5, test_size=5, extracted=True)
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=4))
    with pytest.raises(DataError, match="batches.meta does not hold 10 class names"):
        load_cifar10(folder)


# --- safe unpickling ---------------------------------------------------------------------------


class _Evil:
    """Pickles to a call of `func(*args)`, the classic pickle code-execution trick."""

    def __init__(self, func: Callable, *args: object) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple:
        return self.func, self.args


def _evil_payloads(marker: Path) -> dict[str, object]:
    touch = f"open({str(marker)!r}, 'w').close()"
    return {
        "os.system": _Evil(os.system, f"touch {marker}"),
        "builtins.eval": _Evil(eval, touch),
        "builtins.exec": _Evil(exec, touch),
        "shutil.copy": _Evil(shutil.copy, __file__, str(marker)),
    }


@pytest.mark.parametrize("payload", ["os.system", "builtins.eval", "builtins.exec", "shutil.copy"])
@pytest.mark.parametrize("extracted", [True, False], ids=["folder", "archive"])
def test_pickle_that_runs_code_is_refused(tmp_path: Path, payload: str, extracted: bool) -> None:
    marker = tmp_path / "pwned"
    evil = _evil_payloads(marker)[payload]
    members = _folder_members(write_cifar_archive(tmp_path / "d", per_batch=5, extracted=True))
    members["data_batch_1"] = pickle.dumps({b"data": evil, b"labels": [0]}, protocol=4)
    if extracted:
        source = tmp_path / "d" / "cifar-10-batches-py"
        (source / "data_batch_1").write_bytes(members["data_batch_1"])
    else:
        source = _tar(tmp_path / "cifar-10-python.tar.gz", members)
    with pytest.raises(DataError, match="refusing to run code from it") as info:
        load_cifar10(source)
    assert "data_batch_1" in str(info.value) and "which a CIFAR-10 batch never needs" in str(
        info.value
    )
    assert not marker.exists()


def test_safe_unpickle_allows_numpy_arrays_and_scalars() -> None:
    obj = {b"a": np.arange(6, dtype=np.uint8).reshape(2, 3), b"s": np.int64(4), b"l": [1, "x"]}
    for protocol in (3, 4, 5):  # Python 3 protocol 2 needs _codecs.encode: refused, unneeded
        loaded = safe_unpickle(io.BytesIO(pickle.dumps(obj, protocol=protocol)), "t")
        assert isinstance(loaded, dict) and loaded[b"s"] == 4 and loaded[b"l"] == [1, "x"]
        np.testing.assert_array_equal(loaded[b"a"], obj[b"a"])


def test_safe_unpickle_reads_python2_str_as_bytes() -> None:
    # Protocol-2 STRING/BINSTRING opcodes, as the official Python 2 archive uses for its keys.
    py2 = b"\x80\x02}q\x00U\x06labelsq\x01]q\x02(K\x01K\x02es."
    assert safe_unpickle(io.BytesIO(py2), "py2") == {b"labels": [1, 2]}


def test_claimed_huge_lengths_are_refused_before_allocating(capfd: pytest.CaptureFixture) -> None:
    # BYTEARRAY8 claiming ~6 EB: the C unpickler would try to allocate it (and CPython 3.11
    # prints a SystemError from that error path); the opcode walk refuses it first.
    claim = b"\x80\x05\x96" + (6 * 10**18).to_bytes(8, "little") + b"x."
    with pytest.raises(DataError, match="not a readable CIFAR-10 batch"):
        safe_unpickle(io.BytesIO(claim), "claim")
    assert capfd.readouterr().err == ""


def test_oversized_batch_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("cifar_tui.core.data.safe_pickle._MAX_PICKLE_BYTES", 1000)
    big = pickle.dumps({b"data": b"x" * 2000}, protocol=4)
    with pytest.raises(DataError, match="far larger than a CIFAR-10 batch"):
        safe_unpickle(io.BytesIO(big), "big")


@pytest.fixture(scope="module")
def small_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_cifar_archive(tmp_path_factory.mktemp("small"), 4, 4, extracted=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(garbage=st.binary(max_size=4096))
def test_random_garbage_batch_only_ever_raises_data_error(
    small_folder: Path, garbage: bytes
) -> None:
    (small_folder / "data_batch_3").write_bytes(garbage)
    try:
        load_cifar10(small_folder)
    except DataError as exc:
        assert "\n" not in str(exc)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_mutated_valid_batch_loads_or_raises_data_error(data: st.DataObject) -> None:
    images, labels = synthetic_images(2, 0)
    valid = pickle.dumps(cifar_batch(images, labels), protocol=4)
    mutated = bytearray(valid)
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        position = data.draw(st.integers(0, len(mutated) - 1), label="position")
        mutated[position] = data.draw(st.integers(0, 255), label="byte")
    cut = data.draw(st.integers(0, len(mutated)), label="cut")
    try:
        result = safe_unpickle(io.BytesIO(bytes(mutated[:cut])), "mutated")
    except DataError as exc:
        assert "\n" not in str(exc)
        return
    # Whatever survives unpickling must pass or fail validation cleanly too.
    with contextlib.suppress(DataError):
        _check_batch(result, "mutated", "fix")


@pytest.fixture(scope="module")
def small_archive_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return write_cifar_archive(tmp_path_factory.mktemp("archive"), 4, 4).read_bytes()


@pytest.mark.parametrize("length", [1, 2, 3, 9, 10, 11, 40])
def test_an_archive_cut_inside_its_gzip_header_is_a_data_error(
    small_archive_bytes: bytes, tmp_path: Path, length: int
) -> None:
    # Cut to 3 bytes, tarfile's header parser raised TypeError (found by the property below).
    path = tmp_path / "cifar-10-python.tar.gz"
    path.write_bytes(small_archive_bytes[:length])
    with pytest.raises(DataError, match="is not a readable cifar-10-python.tar.gz"):
        load_cifar10(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_damaged_whole_archive_loads_or_raises_data_error(
    small_archive_bytes: bytes, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    # The .tar.gz as a user's disk or download could leave it: bytes flipped, then cut short.
    damaged = bytearray(small_archive_bytes)
    for _ in range(data.draw(st.integers(0, 3), label="edits")):
        position = data.draw(st.integers(0, len(damaged) - 1), label="position")
        damaged[position] = data.draw(st.integers(0, 255), label="byte")
    cut = data.draw(st.integers(0, len(damaged)), label="cut")
    path = tmp_path_factory.mktemp("damaged") / "cifar-10-python.tar.gz"
    path.write_bytes(bytes(damaged[:cut]))
    try:
        loaded = load_cifar10(path)
    except DataError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
        return
    assert loaded.x_train.dtype == np.uint8 and loaded.x_train.shape[1:] == (32, 32, 3)


@pytest.mark.parametrize("download", ["fails", "succeeds"])
def test_keras_download_is_the_last_resort(
    download: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing local: no --data-dir, no $CIFAR10_DIR, an empty home. Only then Keras downloads.
    import socket

    import keras

    from cifar_tui.commands.train import load_data

    for name in ("CIFAR10_DIR", "KERAS_HOME", "CIFAR_TUI_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(socket, "setdefaulttimeout", lambda seconds: None)
    calls = []

    def fake_keras_download() -> None:
        calls.append(download)
        if download == "fails":
            raise OSError("URL fetch failure:\n [Errno -3] Temporary failure in name resolution")
        write_cifar_archive(tmp_path / ".keras" / "datasets", per_batch=20, extracted=True)

    monkeypatch.setattr(keras.datasets.cifar10, "load_data", fake_keras_download)
    if download == "fails":
        with pytest.raises(DataError) as error:
            load_data(None)
        message = str(error.value)
        assert "\n" not in message
        assert "Keras's download failed too (URL fetch failure: [Errno -3]" in message
        assert "looked in $CIFAR10_DIR (unset), ~/.keras/datasets" in message  # where, first
    else:
        assert len(load_data(None).x_train) == 100  # what Keras left in its cache is read
    assert calls == [download]


@pytest.mark.parametrize("why", ["--data-dir", "CIFAR_TUI_OFFLINE"])
def test_no_download_with_data_dir_or_offline(
    why: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keras

    from cifar_tui.commands.train import load_data

    monkeypatch.delenv("CIFAR10_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(keras.datasets.cifar10, "load_data", lambda: pytest.fail("downloaded"))
    if why == "CIFAR_TUI_OFFLINE":
        monkeypatch.setenv("CIFAR_TUI_OFFLINE", "1")
    with pytest.raises(DataError):
        load_data(str(tmp_path / "missing") if why == "--data-dir" else None)


def test_an_unknown_users_home_is_reported_not_raised(tmp_path: Path) -> None:
    # Path.expanduser raises RuntimeError for "~nosuchuser": that must stay a one-line DataError.
    with pytest.raises(DataError, match="--data-dir ~nosuchuser-cifar/data does not exist"):
        find_cifar10("~nosuchuser-cifar/data", env={}, home=tmp_path)
    with pytest.raises(DataError, match=r"\$CIFAR10_DIR=~nosuchuser-cifar"):
        find_cifar10(None, env={"CIFAR10_DIR": "~nosuchuser-cifar"}, home=tmp_path)
