"""Atomic writes: the target holds the old bytes or the new ones, and no temp file is left."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cifar_tui.core.rundir import atomic
from cifar_tui.core.rundir.atomic import atomic_path, atomic_write_bytes, atomic_write_text


def _names(folder: Path) -> list[str]:
    return sorted(entry.name for entry in folder.iterdir())


def test_write_bytes_creates_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    atomic_write_bytes(target, b"first")
    assert target.read_bytes() == b"first"
    atomic_write_bytes(target, b"second, longer")
    assert target.read_bytes() == b"second, longer"
    assert _names(tmp_path) == ["config.toml"]


def test_write_text_encodes_utf8(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    atomic_write_text(target, "température ✓\n")
    assert target.read_bytes() == "température ✓\n".encode()


def test_new_file_gets_umask_permissions_not_mkstemp_0600(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "a", b"x")
    finally:
        os.umask(umask)
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o644


def test_temp_file_is_hidden_in_same_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources: list[Path] = []
    real_replace = os.replace

    def spy(source: str | Path, destination: str | Path) -> None:
        sources.append(Path(source))
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", spy)
    atomic_write_bytes(tmp_path / "events.json", b"{}")
    (source,) = sources
    assert source.parent == tmp_path
    assert source.name.startswith(".") and source.name.endswith(".tmp")


def test_directory_is_fsynced_after_replace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[Path] = []
    monkeypatch.setattr(atomic, "fsync_directory", synced.append)
    atomic_write_bytes(tmp_path / "a", b"x")
    assert synced == [tmp_path]


@pytest.mark.parametrize("failing", ["write", "fsync", "replace"])
def test_failure_keeps_old_file_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    target = tmp_path / "model.json"
    target.write_bytes(b"old contents")

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    if failing == "write":
        # The write dies midway: half the bytes reach the temp file, then the disk fills.
        real_fdopen = os.fdopen

        def half_writing_fdopen(fd: int, mode: str = "r", *args: object) -> object:
            file = real_fdopen(fd, mode)

            class HalfWriter:
                def __enter__(self) -> HalfWriter:
                    return self

                def __exit__(self, *exc: object) -> None:
                    file.close()

                def write(self, data: bytes) -> int:
                    file.write(data[: len(data) // 2])
                    file.flush()
                    boom()
                    return 0

            return HalfWriter()

        monkeypatch.setattr(os, "fdopen", half_writing_fdopen)
    else:
        monkeypatch.setattr(os, failing, boom)
    with pytest.raises(OSError, match="No space left"):
        atomic_write_bytes(target, b"new contents that never land")
    monkeypatch.undo()
    assert target.read_bytes() == b"old contents"
    assert _names(tmp_path) == ["model.json"]


def test_keyboard_interrupt_also_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(tmp_path / "a", b"x")
    monkeypatch.undo()
    assert _names(tmp_path) == []


def test_atomic_path_replaces_on_clean_exit(tmp_path: Path) -> None:
    target = tmp_path / "model.keras"
    target.write_bytes(b"old model")
    with atomic_path(target) as temporary:
        assert temporary.parent == tmp_path
        assert temporary.name.startswith(".")
        assert temporary.suffix == ".keras"  # Keras refuses to save to any other suffix
        assert target.read_bytes() == b"old model"  # untouched while the library writes
        temporary.write_bytes(b"new model")
    assert target.read_bytes() == b"new model"
    assert _names(tmp_path) == ["model.keras"]


def test_atomic_path_keeps_old_file_when_block_raises(tmp_path: Path) -> None:
    target = tmp_path / "model.keras"
    target.write_bytes(b"old model")
    with pytest.raises(RuntimeError, match="save failed"):
        with atomic_path(target) as temporary:
            temporary.write_bytes(b"half a mod")
            raise RuntimeError("save failed")
    assert target.read_bytes() == b"old model"
    assert _names(tmp_path) == ["model.keras"]


def test_atomic_path_block_that_writes_nothing_is_an_error(tmp_path: Path) -> None:
    target = tmp_path / "predictions.npz"
    with pytest.raises(FileNotFoundError):
        with atomic_path(target):
            pass
    assert _names(tmp_path) == []
