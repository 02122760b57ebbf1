"""NumPy arrays that TensorFlow can read in place, so the training set lives in memory once.

TensorFlow's CPU kernels require 64-byte-aligned buffers (EIGEN_MAX_ALIGN_BYTES); an unaligned
buffer handed over without a copy aborts the process in the first kernel that reads it. NumPy only
promises 16 bytes, so arrays meant for the pipeline are allocated here. This module imports NumPy
only: the data loader (which the app also uses) allocates through it.
"""

from __future__ import annotations

import numpy as np

ALIGNMENT = 64


def aligned_empty(shape: tuple[int, ...], dtype: np.dtype | type) -> np.ndarray:
    """An uninitialised C-contiguous array whose first byte is ALIGNMENT-aligned."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(nbytes + ALIGNMENT, dtype=np.uint8)
    start = -raw.ctypes.data % ALIGNMENT
    return raw[start : start + nbytes].view(dtype).reshape(shape)


def is_aligned(array: np.ndarray) -> bool:
    """True when TensorFlow may read `array`'s buffer in place."""
    return array.flags.c_contiguous and array.ctypes.data % ALIGNMENT == 0


def aligned(array: np.ndarray) -> np.ndarray:
    """`array` itself when it is C-contiguous and aligned, else an aligned copy."""
    if is_aligned(array):
        return array
    copy = aligned_empty(array.shape, array.dtype)
    copy[...] = array
    return copy


def take_aligned(array: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """`array[indices]` (along axis 0) written straight into an aligned array."""
    out = aligned_empty((len(indices), *array.shape[1:]), array.dtype)
    np.take(array, indices, axis=0, out=out)
    return out
