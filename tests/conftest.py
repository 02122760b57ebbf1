"""Fixtures shared by all tests: tiny, learnable CIFAR-10 archives in the real on-disk format."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cifar_archives import write_cifar_archive


@pytest.fixture(scope="session")
def make_cifar_archive(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Factory: make_cifar_archive(per_batch=..., test_size=..., seed=..., extracted=...) -> Path,
    each call in a fresh temporary folder."""

    def make(**kwargs: object) -> Path:
        return write_cifar_archive(tmp_path_factory.mktemp("cifar"), **kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture(scope="session")
def cifar_archive(make_cifar_archive: Callable[..., Path]) -> Path:
    """A tiny cifar-10-python.tar.gz: 5 x 100 training and 100 test images (600 in all)."""
    return make_cifar_archive()
