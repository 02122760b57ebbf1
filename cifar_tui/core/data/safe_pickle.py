"""Unpickle a CIFAR-10 batch without running code from it.

Three guards, in the order a file meets them: a size cap, a scan of the opcodes (counted lengths,
frames and memo indices must fit the bytes really there), and an allow-list of globals that
resolves numpy's array-rebuilding calls to inert stubs. Arrays are then rebuilt with
np.frombuffer from checked dtypes, shapes and byte counts, so numpy never sees unchecked input.
"""

from __future__ import annotations

import io
import math
import pickle
import pickletools
from functools import partial
from typing import IO

import numpy as np

from cifar_tui.core.data.errors import DataError, one_line
from cifar_tui.core.data.locate import DOWNLOAD_URL

_MAX_PICKLE_BYTES = 1 << 28  # 256 MiB: 8x a real batch (31 MB), so a huge file is refused early

# What an array element may be: plain numbers only (object arrays would hold arbitrary pickles).
_PLAIN_DTYPES = {"b1", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f2", "f4", "f8"}


class _Stub:
    """Inert stand-in for a numpy call in a pickle: records its arguments and BUILD state.

    numpy's own _reconstruct/__setstate__ trust their input: fuzzing them with mutated batches
    hit numpy internal errors and one interpreter segfault. So numpy only sees checked bytes.
    """

    def __init__(self, kind: str, *args: object) -> None:
        self.kind, self.args = kind, args
        self.state: object = None

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
    if order == "<":
        return np.dtype(name).newbyteorder("<")
    return np.dtype(name).newbyteorder(">") if order == ">" else np.dtype(name)


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
        if op.name == "FRAME" and isinstance(arg, int) and arg > len(data) - (pos or 0):
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
            f"{name} is not a readable CIFAR-10 batch ({one_line(exc)}); "
            "re-download or re-extract the archive"
        ) from exc
