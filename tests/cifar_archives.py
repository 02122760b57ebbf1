"""Tiny, learnable CIFAR-10 archives in the real on-disk format, for tests and fixtures."""

from __future__ import annotations

import io
import pickle
import tarfile
from pathlib import Path

import numpy as np

from cifar_tui.core.data.cifar10 import CLASS_NAMES

# One clearly distinct mean colour per class; with noise (std 40) a tiny CNN separates them
# well above chance in 1-2 epochs, yet the images are not trivially constant.
CLASS_COLOURS = np.array(
    [
        [220, 40, 40], [40, 220, 40], [40, 40, 220], [220, 220, 40], [220, 40, 220],
        [40, 220, 220], [128, 128, 128], [250, 140, 20], [20, 90, 140], [140, 20, 90],
    ],
    dtype=np.float32,
)  # fmt: skip


def cifar_batch(images: np.ndarray, labels: np.ndarray | list[int], label: str = "batch") -> dict:
    """A batch dict as in the real archive from (n, 32, 32, 3) uint8 images."""
    n = len(images)
    return {
        b"batch_label": label.encode(),
        b"labels": [int(v) for v in labels],
        # Rows are the R plane, then G, then B: NHWC -> NCHW -> (n, 3072).
        b"data": np.ascontiguousarray(images.transpose(0, 3, 1, 2)).reshape(n, 3072),
        b"filenames": [f"img_{i:05d}.png".encode() for i in range(n)],
    }


def synthetic_images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n learnable images: balanced labels, each image its class colour plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % 10)
    noise = rng.normal(0.0, 40.0, size=(n, 32, 32, 3)).astype(np.float32)
    images = np.clip(CLASS_COLOURS[labels][:, None, None, :] + noise, 0, 255).astype(np.uint8)
    return images, labels.astype(np.uint8)


def write_cifar_archive(
    dest: Path,
    per_batch: int = 100,
    test_size: int = 100,
    seed: int = 0,
    *,
    extracted: bool = False,
) -> Path:
    """Write a tiny CIFAR-10 in the real format into the folder `dest`.

    Args:
        dest: folder to write into (created if needed).
        per_batch: images in each of data_batch_1..5 (5 x per_batch training images).
        test_size: images in test_batch.
        seed: fixes every pixel and label.
        extracted: write `dest/cifar-10-batches-py/` and return that folder instead of the archive.

    Returns:
        `dest/cifar-10-python.tar.gz`, or the extracted folder when `extracted`.
    """
    dest.mkdir(parents=True, exist_ok=True)
    members: dict[str, bytes] = {
        "batches.meta": pickle.dumps(
            {b"label_names": [n.encode() for n in CLASS_NAMES], b"num_cases_per_batch": per_batch},
            protocol=4,
        )
    }
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for i, name in enumerate(names):
        size = test_size if name == "test_batch" else per_batch
        images, labels = synthetic_images(size, seed * 1000 + i)
        members[name] = pickle.dumps(cifar_batch(images, labels, name), protocol=4)
    if extracted:
        folder = dest / "cifar-10-batches-py"
        folder.mkdir(exist_ok=True)
        for name, payload in members.items():
            (folder / name).write_bytes(payload)
        return folder
    archive = dest / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return archive
