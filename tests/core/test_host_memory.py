"""Aligned host arrays: what lets the pipeline read the training set without copying it."""

from __future__ import annotations

import numpy as np
import pytest

from cifar_tui.core.data.host_memory import (
    ALIGNMENT,
    aligned,
    aligned_empty,
    is_aligned,
    take_aligned,
)


@pytest.mark.parametrize(
    ("shape", "dtype"),
    [((1,), np.uint8), ((7, 5), np.float32), ((3, 32, 32, 3), np.uint8)],
)
def test_aligned_empty_has_the_shape_and_an_aligned_start(shape: tuple, dtype: type) -> None:
    array = aligned_empty(shape, dtype)
    assert array.shape == shape and array.dtype == dtype
    assert array.flags.c_contiguous and array.ctypes.data % ALIGNMENT == 0


def _offset(array: np.ndarray, bytes_in: int) -> np.ndarray:
    """A C-contiguous copy of `array` that starts `bytes_in` bytes after an aligned address."""
    raw = aligned_empty((array.nbytes + bytes_in,), np.uint8)
    view = raw[bytes_in:].view(array.dtype).reshape(array.shape)
    view[...] = array
    return view


@pytest.mark.parametrize(("bytes_in", "expected"), [(0, True), (16, False), (32, False)])
def test_is_aligned_checks_the_start_address(bytes_in: int, expected: bool) -> None:
    assert is_aligned(_offset(np.arange(256, dtype=np.uint8), bytes_in)) is expected


def test_non_contiguous_is_not_aligned() -> None:
    assert not is_aligned(aligned_empty((8, 8), np.uint8)[:, ::2])


def test_aligned_returns_an_aligned_array_itself_and_copies_others() -> None:
    good = aligned_empty((4, 4), np.uint8)
    assert aligned(good) is good
    bad = _offset(np.arange(64, dtype=np.uint8).reshape(4, 16), 16)
    fixed = aligned(bad)
    assert fixed is not bad and is_aligned(fixed) and np.array_equal(fixed, bad)


def test_take_aligned_equals_fancy_indexing() -> None:
    images = np.random.default_rng(0).integers(0, 256, (20, 4, 4, 3), dtype=np.uint8)
    index = np.array([3, 0, 19, 7])
    taken = take_aligned(images, index)
    assert is_aligned(taken) and np.array_equal(taken, images[index])
