"""Property-based tests: every loader of a user's or a run's file either loads or raises its one
one-line error, for any bytes (the CIFAR batch loader and the event reader have theirs in
test_data.py and test_events.py).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from cifar_tui.core.config import TrainConfig, config_fields
from cifar_tui.core.config_files import load_config
from cifar_tui.core.config_values import ConfigError
from cifar_tui.core.data.errors import DataError
from cifar_tui.core.data.images import load_image
from cifar_tui.core.errors import UserError
from cifar_tui.core.rundir.artifacts import PredictionsError, load_predictions
from cifar_tui.core.rundir.checkpoints import read_latest
from cifar_tui.core.rundir.lock import read_lock

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip


def _in_temp(folder: Path, name: str, data: bytes) -> Path:
    (folder / name).write_bytes(data)  # each example overwrites the last one's file
    return folder / name


def _one_line(error: Exception) -> None:
    assert "\n" not in str(error) and str(error)


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.arange(48, dtype=np.uint8).reshape(4, 4, 3)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _png_bytes()


@SETTINGS
@given(st.one_of(
    st.binary(max_size=512),
    st.tuples(st.integers(0, len(PNG)), st.binary(max_size=16)).map(
        lambda cut: PNG[: cut[0]] + cut[1]),  # a truncated or spliced real PNG
))  # fmt: skip
def test_load_image_reads_or_raises_data_error(tmp_path: Path, data: bytes) -> None:
    path = _in_temp(tmp_path, "image.png", data)
    try:
        image = load_image(path)
    except DataError as error:
        _one_line(error)
        assert str(path) in str(error)
    else:
        assert image.shape == (32, 32, 3) and image.dtype == np.uint8


_toml_value = st.one_of(
    st.integers(-(2**40), 2**40), st.floats(allow_nan=True), st.booleans(),
    st.text(max_size=8), st.lists(st.integers(-5, 200), max_size=4),
    st.lists(st.floats(-1, 2), max_size=4),
)  # fmt: skip
_field = st.sampled_from([spec.name for spec in config_fields()] + ["nonsense"])


def _toml(entries: dict[str, object]) -> str:
    import tomli_w

    return tomli_w.dumps(entries)


@SETTINGS
@given(st.one_of(
    st.dictionaries(_field, _toml_value, max_size=6).map(_toml),  # valid TOML, any values
    st.text(max_size=200),  # anything at all
))  # fmt: skip
def test_load_config_reads_or_raises_config_error(tmp_path: Path, text: str) -> None:
    path = _in_temp(tmp_path, "config.toml", text.encode("utf-8", errors="surrogatepass"))
    try:
        config = load_config(path)
    except ConfigError as error:
        _one_line(error)
        assert str(path) in str(error)
    else:
        assert isinstance(config, TrainConfig) and config.problems() == []


_latest = st.fixed_dictionaries(
    {},
    optional={
        "file": st.one_of(st.just("epoch-0001-step-000000.npz"), st.text(max_size=10),
                          st.integers()),
        "epoch": st.one_of(st.integers(-1, 5), st.text(max_size=3)),
        "step": st.integers(0, 5),
        "normalization_mean": st.lists(st.floats(0, 255), max_size=3),
        "normalization_std": st.lists(st.floats(0, 255), max_size=3),
        "extra": st.none(),
    },
)  # fmt: skip


@SETTINGS
@given(st.one_of(st.binary(max_size=200), _latest.map(lambda d: json.dumps(d).encode())))
def test_read_latest_reads_or_raises_user_error(tmp_path: Path, data: bytes) -> None:
    path = _in_temp(tmp_path, "latest.json", data)
    (path.parent / "epoch-0001-step-000000.npz").write_bytes(b"")
    try:
        info = read_latest(path.parent)
    except UserError as error:
        _one_line(error)
        assert "latest.json" in str(error)
    else:
        assert info is not None and (path.parent / info.file).is_file()


@SETTINGS
@given(st.one_of(
    st.binary(max_size=200),
    st.dictionaries(st.sampled_from(["pid", "host", "started"]),
                    st.one_of(st.integers(-5, 2**31), st.text(max_size=5), st.none(),
                              st.booleans(), st.floats()), max_size=3
                    ).map(lambda d: json.dumps(d).encode()),
))  # fmt: skip
def test_read_lock_gives_a_lock_or_none(tmp_path: Path, data: bytes) -> None:
    lock = read_lock(_in_temp(tmp_path, "trainer.lock", data))
    if lock is not None:
        assert isinstance(lock["pid"], int) and lock["pid"] > 0 and isinstance(lock["host"], str)


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


_arrays = st.dictionaries(
    st.sampled_from(["probabilities", "labels", "epoch", "other"]),
    st.one_of(
        st.integers(0, 6).map(lambda n: np.full((n, 10), 0.1, np.float32)),
        st.integers(0, 6).map(lambda n: np.zeros(n, np.int64)),
        st.integers(0, 6).map(lambda n: np.full((n, 3), 2.0)),
        st.just(np.int64(3)),
        st.just(np.array(["a", "b"])),
    ),
    max_size=4,
)


@SETTINGS
@given(st.one_of(
    st.binary(max_size=300),
    _arrays.map(_npz),
    _arrays.map(_npz).flatmap(lambda data: st.integers(0, len(data)).map(lambda n: data[:n])),
))  # fmt: skip
def test_load_predictions_reads_or_raises_predictions_error(tmp_path: Path, data: bytes) -> None:
    path = _in_temp(tmp_path, "predictions.npz", data)
    try:
        predictions = load_predictions(path)
    except PredictionsError as error:
        _one_line(error)
        assert str(path) in str(error)
    else:  # what loaded keeps the file's contract, so the browser can index it blindly
        probabilities, labels = predictions.probabilities, predictions.labels
        assert probabilities.ndim == 2 and probabilities.shape[1] >= 2
        assert probabilities.dtype.kind == "f"
        assert labels.dtype == np.int64 and labels.shape == (len(probabilities),)
        assert ((labels >= 0) & (labels < probabilities.shape[1])).all()
        assert predictions.epoch is None or isinstance(predictions.epoch, int)
        assert predictions.predicted.shape == labels.shape
        assert 0.0 <= predictions.accuracy <= 1.0


def test_a_zip_without_arrays_is_a_predictions_error(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("probabilities.npy", b"garbage")
    path = _in_temp(tmp_path, "predictions.npz", buffer.getvalue())
    try:
        load_predictions(path)
    except PredictionsError as error:
        _one_line(error)
    else:  # pragma: no cover - the file holds no valid array
        raise AssertionError("garbage loaded")
