"""Load user images (single files or a folder of class subfolders) as 32x32 uint8 RGB arrays."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from cifar_tui.core.data.cifar10 import CLASS_NAMES
from cifar_tui.core.data.errors import DataError, one_line

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
"""What load_image_folder reads (any case); other files are skipped and counted."""
SIZE = 32


@dataclass(frozen=True, eq=False)
class ImageFolder:
    """The images of a class-subfolder folder, in class order then path order."""

    images: np.ndarray
    """(N, 32, 32, 3) uint8."""
    labels: np.ndarray
    """(N,) uint8 class indices into the class_names that were passed."""
    skipped: list[Path] = field(default_factory=list)
    """Files without an image extension (e.g. notes.txt), left out; hidden files not counted."""


def load_image(path: Path) -> np.ndarray:
    """Read one image of any size and mode and shrink it the way CIFAR-10 images look.

    Args:
        path: a PNG, JPEG, BMP, GIF or anything else Pillow reads (first frame if animated).

    Returns:
        (32, 32, 3) uint8 RGB; alpha is dropped as Keras's load_img does, and the EXIF
        orientation of phone photos is applied first.
    """
    path = Path(path)
    try:
        with warnings.catch_warnings():
            # Pillow warns about palette transparency even though we convert right after.
            warnings.simplefilter("ignore", UserWarning)
            with Image.open(path) as opened:
                opened.load()  # decode now, so truncation is reported here with the file name
                image: Image.Image = ImageOps.exif_transpose(opened)
                if image.mode == "P":
                    image = image.convert("RGBA")
                elif image.mode.startswith("I"):  # 16-bit grey PNG/TIFF: keep the top 8 bits
                    wide = np.asarray(image).astype(np.int64) >> 8  # convert("RGB") would clip
                    image = Image.fromarray(np.clip(wide, 0, 255).astype(np.uint8))
                rgb = image.convert("RGB")
    except FileNotFoundError as exc:
        raise DataError(f"image {path} not found; check the path") from exc
    except IsADirectoryError as exc:
        raise DataError(f"{path} is a folder, not an image; pass image files") from exc
    except UnidentifiedImageError as exc:
        raise DataError(f"{path} is not an image Pillow can read; pass a PNG or JPEG") from exc
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        # Pillow reports truncated or corrupt data as OSError, and some plugins as
        # SyntaxError or ValueError.
        reason = one_line(exc, limit=120)
        raise DataError(f"cannot decode image {path} ({reason}); re-save or replace it") from exc
    # Pillow's BILINEAR resize widens its kernel when shrinking, i.e. it is antialiased.
    small = rgb.resize((SIZE, SIZE), Image.Resampling.BILINEAR)
    return np.array(small, dtype=np.uint8)  # a writable copy, not a view of Pillow memory


def _layout_hint(folder: Path, class_names: Sequence[str]) -> str:
    return (
        f"expected one subfolder per class named after a class ({', '.join(class_names)}), "
        f"e.g. {folder / class_names[0] / 'img1.png'}"
    )


def _visible(entries: list[os.DirEntry[str]]) -> list[os.DirEntry[str]]:
    # Hidden entries (.DS_Store, .ipynb_checkpoints) are editor/OS litter, not data.
    return sorted((e for e in entries if not e.name.startswith(".")), key=lambda e: e.name)


def _class_files(class_dir: Path) -> tuple[list[Path], list[Path]]:
    """(image files, skipped files) under one class folder, nested folders included, sorted."""
    images: list[Path] = []
    skipped: list[Path] = []
    for root, dirs, files in os.walk(class_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(f for f in files if not f.startswith(".")):
            path = Path(root) / name
            (images if path.suffix.lower() in IMAGE_EXTENSIONS else skipped).append(path)
    return images, skipped


def load_image_folder(folder: Path, class_names: Sequence[str] = CLASS_NAMES) -> ImageFolder:
    """Read a folder laid out like Keras's image_dataset_from_directory: folder/<class>/*.png.

    Args:
        folder: holds one subfolder per class (any subset of the classes), named exactly as
            in class_names; images may sit in nested folders below those.
        class_names: the names whose index becomes the label (CIFAR-10's by default).

    Returns:
        An ImageFolder; files that are not images by extension are listed in `skipped`.
    """
    folder = Path(folder)
    if not folder.exists():
        raise DataError(f"image folder {folder} not found; {_layout_hint(folder, class_names)}")
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder; {_layout_hint(folder, class_names)}")
    with os.scandir(folder) as scan:
        entries = _visible(list(scan))
    loose = [
        e.name for e in entries if e.is_file() and Path(e.name).suffix.lower() in IMAGE_EXTENSIONS
    ]
    if loose:
        raise DataError(
            f"{folder} holds images directly ({loose[0]}, ...) instead of in class subfolders; "
            f"{_layout_hint(folder, class_names)}"
        )
    index = {name: i for i, name in enumerate(class_names)}
    found: list[tuple[Path, int]] = []
    skipped = [Path(e.path) for e in entries if not e.is_dir()]
    for entry in entries:
        if not entry.is_dir():
            continue
        if entry.name not in index:
            raise DataError(
                f"subfolder {Path(entry.path)} is not a class name; rename it to one of: "
                f"{', '.join(class_names)}"
            )
        images, extra = _class_files(Path(entry.path))
        found += [(path, index[entry.name]) for path in images]
        skipped += extra
    if not found:
        raise DataError(
            f"no images ({', '.join(IMAGE_EXTENSIONS)}) in {folder}; "
            f"{_layout_hint(folder, class_names)}"
        )
    found.sort(key=lambda item: (item[1], item[0]))  # class order, then path order
    pixels = np.empty((len(found), SIZE, SIZE, 3), dtype=np.uint8)
    for i, (path, _) in enumerate(found):
        pixels[i] = load_image(path)
    labels = np.array([label for _, label in found], dtype=np.uint8)
    return ImageFolder(pixels, labels, skipped)
