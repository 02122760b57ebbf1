"""User images: single files of any size and mode, and class-subfolder folders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cifar_tui.core.data.cifar10 import CLASS_NAMES
from cifar_tui.core.data.errors import DataError
from cifar_tui.core.data.images import ImageFolder, load_image, load_image_folder

RED = (255, 0, 0)


def _save(path: Path, image: Image.Image, **options: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **options)
    return path


def _png_bytes(tmp_path: Path) -> bytes:
    return _save(tmp_path / "ok.png", Image.new("RGB", (64, 64), RED)).read_bytes()


# Each case writes one solid-colour file; after resizing, every pixel must keep that colour.
SOLID: dict[str, tuple[str, Callable[[], Image.Image], dict, tuple[int, int, int]]] = {
    "rgb-png-large": ("a.png", lambda: Image.new("RGB", (640, 480), RED), {}, RED),
    "rgb-png-tiny": ("a.png", lambda: Image.new("RGB", (5, 7), RED), {}, RED),
    "rgba-png": (
        "a.png",
        lambda: Image.new("RGBA", (50, 40), (10, 200, 30, 128)),
        {},
        (10, 200, 30),
    ),
    "grey-l-png": ("a.png", lambda: Image.new("L", (33, 33), 128), {}, (128, 128, 128)),
    "palette-png": ("a.png", lambda: Image.new("RGB", (40, 40), RED).convert("P"), {}, RED),
    "palette-transparency": (
        "a.png",
        lambda: Image.new("RGB", (40, 40), RED).convert("P"),
        {"transparency": 0},
        RED,
    ),
    "grey-16-bit-png": (
        "a.png",
        lambda: Image.fromarray(np.full((40, 40), 30000, dtype=np.uint16)),
        {},
        (117, 117, 117),  # 30000 / 256: scaled down, not clipped to white
    ),
    "bmp": ("a.bmp", lambda: Image.new("RGB", (32, 32), RED), {}, RED),
    "gif": ("a.gif", lambda: Image.new("RGB", (20, 30), RED), {}, RED),
    "upper-case-ext": ("A.PNG", lambda: Image.new("RGB", (20, 30), RED), {}, RED),
}


@pytest.mark.parametrize("case", SOLID.values(), ids=SOLID.keys())
def test_load_image_gives_32x32_rgb_uint8(tmp_path: Path, case: tuple) -> None:
    name, make, options, colour = case
    path = _save(tmp_path / name, make(), **options)
    image = load_image(path)
    assert image.shape == (32, 32, 3) and image.dtype == np.uint8
    assert image.flags.c_contiguous and image.flags.writeable
    assert np.all(image == np.array(colour, dtype=np.uint8))


def test_load_image_reads_jpeg_close_to_its_colour(tmp_path: Path) -> None:
    path = _save(tmp_path / "photo.jpg", Image.new("RGB", (300, 200), (200, 100, 50)), quality=95)
    image = load_image(path).astype(int)
    assert image.shape == (32, 32, 3)
    assert np.abs(image - (200, 100, 50)).max() <= 4  # JPEG is lossy


def test_load_image_is_antialiased(tmp_path: Path) -> None:
    # A 1-pixel checkerboard shrunk 8x averages to mid-grey; nearest-neighbour would keep 0/255.
    board = ((np.indices((256, 256)).sum(axis=0) % 2) * 255).astype(np.uint8)
    image = load_image(_save(tmp_path / "board.png", Image.fromarray(board)))
    assert np.abs(image.astype(int) - 128).max() <= 2


def test_load_image_applies_exif_orientation(tmp_path: Path) -> None:
    # Stored landscape (left half red) with orientation 6 (rotate 90° clockwise to view).
    pixels = np.zeros((32, 64, 3), dtype=np.uint8)
    pixels[:, :32] = RED
    exif = Image.Exif()
    exif[0x0112] = 6
    path = _save(tmp_path / "phone.jpg", Image.fromarray(pixels), exif=exif, quality=95)
    image = load_image(path)
    assert image[2, 16, 0] > 200 and image[29, 16, 0] < 60  # red now on top


def _truncated_png(path: Path) -> Path:
    data = _png_bytes(path.parent)
    path.write_bytes(data[: len(data) // 2])
    return path


BAD_FILES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "missing": (lambda p: p, "not found"),
    "text-named-png": (lambda p: (p.write_text("not an image"), p)[1], "not an image Pillow"),
    "empty-file": (lambda p: (p.write_bytes(b""), p)[1], "not an image Pillow"),
    "truncated-png": (_truncated_png, "cannot decode image"),
    "folder": (lambda p: (p.mkdir(), p)[1], "is a folder"),
}


@pytest.mark.parametrize("case", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_load_image_errors_name_the_file(tmp_path: Path, case: tuple) -> None:
    make, pattern = case
    path = make(tmp_path / "bad.png")
    with pytest.raises(DataError, match=pattern) as info:
        load_image(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


# --- folders ---------------------------------------------------------------------------------


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    root = tmp_path / "mine"
    _save(root / "dog" / "b.png", Image.new("RGB", (100, 60), (0, 0, 255)))
    _save(root / "dog" / "a.jpg", Image.new("L", (31, 47), 200), quality=95)
    _save(root / "cat" / "x.png", Image.new("RGBA", (32, 32), (0, 255, 0, 255)))
    _save(root / "cat" / "nested" / "y.bmp", Image.new("RGB", (8, 8), RED))
    _save(root / "airplane" / "z.gif", Image.new("RGB", (64, 64), RED).convert("P"))
    (root / "cat" / "notes.txt").write_text("taken on holiday")
    (root / "cat" / ".DS_Store").write_bytes(b"\0\1")
    (root / "README.md").write_text("my images")
    return root


def test_folder_reads_every_image_with_its_cifar_label(image_folder: Path) -> None:
    result = load_image_folder(image_folder)
    assert isinstance(result, ImageFolder)
    assert result.images.shape == (5, 32, 32, 3) and result.images.dtype == np.uint8
    assert result.labels.dtype == np.uint8
    names = [CLASS_NAMES[i] for i in result.labels]
    assert names == ["airplane", "cat", "cat", "dog", "dog"]  # class order, then path order
    # airplane/z.gif, cat/nested/y.bmp, cat/x.png, dog/a.jpg, dog/b.png, told apart by colour
    colours = [tuple(int(c) for c in image[5, 5]) for image in result.images]
    assert colours[:3] == [RED, RED, (0, 255, 0)] and colours[4] == (0, 0, 255)
    assert all(abs(c - 200) <= 2 for c in colours[3])  # the grey JPEG
    assert sorted(p.name for p in result.skipped) == ["README.md", "notes.txt"]  # no .DS_Store


def test_folder_uses_the_given_class_names(tmp_path: Path) -> None:
    _save(tmp_path / "b" / "1.png", Image.new("RGB", (9, 9), RED))
    result = load_image_folder(tmp_path, class_names=("a", "b"))
    assert result.labels.tolist() == [1]


def test_corrupt_image_in_folder_names_the_file(image_folder: Path) -> None:
    bad = image_folder / "dog" / "c.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(DataError, match="c.png") as info:
        load_image_folder(image_folder)
    assert str(bad) in str(info.value)


def _flat(root: Path) -> Path:
    _save(root / "a.png", Image.new("RGB", (9, 9), RED))
    return root


def _bad_class(root: Path) -> Path:
    _save(root / "cat" / "a.png", Image.new("RGB", (9, 9), RED))
    _save(root / "kitten" / "b.png", Image.new("RGB", (9, 9), RED))
    return root


def _only_text(root: Path) -> Path:
    (root / "cat").mkdir(parents=True)
    (root / "cat" / "notes.txt").write_text("x")
    return root


BAD_FOLDERS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "missing": (lambda r: r, "image folder .* not found"),
    "a-file": (lambda r: (r.write_text("x"), r)[1], "is not a folder"),
    "empty": (lambda r: (r.mkdir(), r)[1], "no images"),
    "only-empty-class-folders": (lambda r: ((r / "cat").mkdir(parents=True), r)[1], "no images"),
    "only-non-images": (_only_text, "no images"),
    "images-directly-in-folder": (_flat, "holds images directly \\(a.png"),
    "subfolder-not-a-class": (_bad_class, "kitten is not a class name.*airplane, automobile"),
}


@pytest.mark.parametrize("case", BAD_FOLDERS.values(), ids=BAD_FOLDERS.keys())
def test_bad_folder_layout_explains_what_is_expected(tmp_path: Path, case: tuple) -> None:
    make, pattern = case
    root = make(tmp_path / "imgs")
    with pytest.raises(DataError, match=pattern) as info:
        load_image_folder(root)
    message = str(info.value)
    assert str(root) in message and "\n" not in message
    if "kitten" not in pattern:
        assert "one subfolder per class" in message
