"""Bad input through the command line: one line naming the input, exit code 2, nothing lost.

Each case runs `cifar_tui.cli.main(argv)` in this process, exactly what the `cifar-tui` console
script runs, and checks that stderr is a single line that names the bad input (a field, a flag,
a file or a folder), that there is no traceback, and that no run folder was created or changed.
The cases that need TensorFlow (a zip that is not a Keras model, a corrupt checkpoint) are
`slow`; the corrupt checkpoint runs as a real subprocess because the trainer takes over stderr.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import pickle
import signal
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from cifar_archives import cifar_batch, synthetic_images, write_cifar_archive
from PIL import Image
from run_fixtures import write_run

from cifar_tui.cli import main
from cifar_tui.core.config import config_fields
from cifar_tui.core.config_values import FieldSpec
from cifar_tui.core.rundir.event_types import Failed
from cifar_tui.core.rundir.events import read_events

# A valid tiny training config: a case only fails where it means to.
TINY = ["--preset", "quick", "--train-size", "0", "--batch-size", "50",
        "--batch-norm-momentum", "0.5", "--mixed-precision", "off", "--epochs", "1"]  # fmt: skip
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """cli(*argv) -> (exit code, stdout, stderr) of `cifar-tui ARGV`, run in this process."""
    monkeypatch.setenv("CIFAR_TUI_OFFLINE", "1")
    monkeypatch.delenv("CIFAR10_DIR", raising=False)
    monkeypatch.setenv("HOME", "/nonexistent-home")  # no Keras cache to fall back on
    saved = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}

    def run(*argv: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = main([str(arg) for arg in argv])
        except SystemExit as exit_:  # argparse errors
            code = exit_.code
        finally:
            for signum, handler in saved.items():  # `train` installs stop handlers
                signal.signal(signum, handler)
        out, err = capsys.readouterr()
        return code, out, err  # type: ignore[return-value]

    yield run


def assert_one_line_error(result: tuple[int, str, str], *names: str | Path) -> str:
    """Exit 2, one stderr line starting with `cifar-tui`, naming each of `names`."""
    code, out, err = result
    assert code == 2, (code, out, err)
    assert "Traceback" not in err + out
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("cifar-tui"), lines[0]
    for name in names:
        assert str(name) in lines[0], (name, lines[0])
    return lines[0]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` with a hash of its bytes."""
    if not folder.exists():
        return {}
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


# --- every config field, out of range and of the wrong type ---------------------------------------

WRONG_TYPE_TEXT = {"int": "1.5", "float": "fast", "list[int]": "75,x", "list[float]": "0.2,x"}
WRONG_TYPE_TOML = {"int": '"10"', "float": '"fast"', "bool": '"yes"', "str": "3",
                   "list[int]": '"75,100"', "list[float]": "0.2"}  # fmt: skip
WRONG_TYPE_FIELD_TOML = {"devices": "1.5"}
"""Fields whose type's generic wrong value is valid for them (`devices = 3` means GPU 3)."""


def _out_of_range(spec: FieldSpec) -> list[object]:
    """Values just outside the field's range (or not among its choices)."""
    if spec.choices:
        return ["nope"]
    values: list[object] = []
    step = 1 if spec.type_name in ("int", "list[int]") else 0.5
    if spec.minimum is not None:
        values.append(spec.minimum if spec.min_exclusive else spec.minimum - step)
    if spec.maximum is not None:
        values.append(spec.maximum if spec.max_exclusive else spec.maximum + step)
    if spec.type_name in ("float", "list[float]"):
        values = [float(v) for v in values]  # type: ignore[arg-type]
    return [[v] if spec.type_name.startswith("list[") else v for v in values]


def _flag_cases() -> list[pytest.param]:
    cases = []
    for spec in config_fields():
        if spec.name == "preset":
            continue
        flag = "--" + spec.name.replace("_", "-")
        if spec.type_name == "bool":
            cases.append(pytest.param([f"{flag}=maybe"], flag, id=f"{spec.name}-type"))
            continue
        if spec.type_name in WRONG_TYPE_TEXT:
            text = WRONG_TYPE_TEXT[spec.type_name]
            cases.append(pytest.param([f"{flag}={text}"], spec.name, id=f"{spec.name}-type"))
        for index, value in enumerate(_out_of_range(spec)):
            text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
            case_id = f"{spec.name}-range{index}"
            cases.append(pytest.param([f"{flag}={text}"], spec.name, id=case_id))
    cases += [
        pytest.param(["--learning-rate=nan"], "learning_rate", id="learning_rate-nan"),
        pytest.param(["--epochs="], "epochs", id="epochs-empty"),
        pytest.param(["--dropout=0.1,0.2"], "dropout", id="dropout-two-values"),
        pytest.param(
            ["--lr-schedule=step", "--lr-step-epochs=100,75", "--lr-step-values=0.1,0.2"],
            "lr_step_epochs",
            id="lr_step_epochs-decreasing",
        ),  # fmt: skip
        pytest.param(
            ["--lr-schedule=step", "--lr-step-epochs=10", "--lr-step-values=0.1,0.2"],
            "lr_step_values",
            id="lr_step_values-count",
        ),  # fmt: skip
        pytest.param(["--epochs"], "--epochs", id="epochs-missing-value"),
        pytest.param(["--no-such-flag=1"], "--no-such-flag", id="unknown-flag"),
    ]
    return cases


def _toml_literal(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_literal(v) for v in value) + "]"
    return repr(value)


def _toml_cases() -> list[pytest.param]:
    cases = []
    for spec in config_fields():
        wrong = WRONG_TYPE_FIELD_TOML.get(spec.name, WRONG_TYPE_TOML[spec.type_name])
        cases.append(pytest.param(f"{spec.name} = {wrong}", spec.name, id=f"{spec.name}-type"))
        values = [] if spec.name == "preset" else _out_of_range(spec)
        for index, value in enumerate(values):
            cases.append(pytest.param(f"{spec.name} = {_toml_literal(value)}", spec.name,
                                      id=f"{spec.name}-range{index}"))  # fmt: skip
    cases += [
        pytest.param('preset = "nope"', "nope", id="unknown-preset"),
        pytest.param("learning_rate = nan", "learning_rate", id="learning_rate-nan"),
        pytest.param("learning_rate = inf", "learning_rate", id="learning_rate-inf"),
        pytest.param("epochs = true", "epochs", id="epochs-bool"),
        pytest.param("epochs = 1e3", "epochs", id="epochs-float"),
        pytest.param("dropout = [0.1, 0.2]", "dropout", id="dropout-two-values"),
        pytest.param("learning_rat = 0.1", "learning_rat", id="unknown-key"),
        pytest.param("[training]\nepochs = 3", "training", id="unknown-table"),
        pytest.param("epochs = ", "not valid TOML", id="syntax-error"),
        pytest.param('epochs = "3', "not valid TOML", id="unterminated-string"),
    ]
    return cases


@pytest.mark.parametrize(("flags", "name"), _flag_cases())
def test_a_bad_config_flag_is_one_line_naming_the_field(
    cli: Cli, tmp_path: Path, flags: list[str], name: str
) -> None:
    models = tmp_path / "models"
    result = cli("train", *TINY, *flags, "--data-dir", tmp_path / "none", "--models-dir", models)
    assert_one_line_error(result, name)
    assert not models.exists()


@pytest.mark.parametrize(("text", "name"), _toml_cases())
def test_a_bad_config_file_is_one_line_naming_file_and_field(
    cli: Cli, tmp_path: Path, text: str, name: str
) -> None:
    config = tmp_path / "my config.toml"
    config.write_text(text + "\n")
    models = tmp_path / "models"
    result = cli("train", "--config", config, "--data-dir", tmp_path / "none", "--models-dir",
                 models)  # fmt: skip
    assert_one_line_error(result, config, name)
    assert not models.exists()


@pytest.mark.parametrize(
    ("make", "names"),
    [
        (lambda d: ["--config", d / "missing.toml"], ["missing.toml", "not found"]),
        (lambda d: ["--config", d], ["--config", "is a folder, not a file"]),
        (lambda d: ["--config", (d / "l1.toml", (d / "l1.toml").write_bytes(b"x = '\xff'"))[0]],
         ["l1.toml"]),
        (lambda d: ["--config", (d / "c.toml", (d / "c.toml").write_text("epochs = 2"))[0],
                    "--preset", "fast"], ["--config or --preset"]),
        (lambda d: ["--preset", "nope"], ["--preset", "nope"]),
        (lambda d: ["--name", "a/b"], ["--name", "a/b"]),
        (lambda d: ["--name", ".."], ["--name", ".."]),
    ],
    ids=["missing-file", "folder-as-file", "not-utf8", "config-and-preset", "unknown-preset",
         "name-with-slash", "name-dotdot"],
)  # fmt: skip
def test_other_bad_train_arguments(
    cli: Cli, tmp_path: Path, make: Callable[[Path], list], names: list[str]
) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    extra = make(folder)
    args = TINY if "--config" not in extra else []
    models = tmp_path / "models"
    result = cli("train", *args, *extra, "--data-dir", tmp_path / "none", "--models-dir", models)
    assert_one_line_error(result, *names)
    assert not models.exists()


@pytest.mark.parametrize(
    ("flags", "names"),
    [(["--batch-size", "600"], ["batch_size 600", "500 training images"]),
     (["--validation-split", "0.5", "--batch-size", "300"], ["batch_size 300", "250"])],
    ids=["batch-over-data", "batch-over-data-after-split"],
)  # fmt: skip
def test_a_batch_larger_than_the_data_is_refused(
    cli: Cli, cifar_archive: Path, tmp_path: Path, flags: list[str], names: list[str]
) -> None:
    models = tmp_path / "models"
    result = cli("train", *TINY, *flags, "--data-dir", cifar_archive, "--models-dir", models)
    assert_one_line_error(result, *names)
    assert snapshot(models) == {}


# --- archives and batches through `cifar-tui train --data-dir` -----------------------------------


def _tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return path


class _Evil:
    """Pickles to a call of `func(*args)`: unpickling it with plain pickle runs the call."""

    def __init__(self, func: Callable, *args: object) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple:
        return self.func, self.args


def _members(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _batch(data: object, labels: object) -> bytes:
    return pickle.dumps({b"data": data, b"labels": labels}, protocol=4)


def _rows(n: int, dtype: type = np.uint8, width: int = 3072) -> np.ndarray:
    return np.zeros((n, width), dtype=dtype)


def _archive_with(name: str, payload: bytes) -> Callable[[Path], tuple[Path, str]]:
    def make(d: Path) -> tuple[Path, str]:
        members = _members(write_cifar_archive(d / "src", extracted=True))
        members[name] = payload
        return _tar(d / "cifar-10-python.tar.gz", members), name

    return make


def _folder_with(name: str, payload: bytes | None) -> Callable[[Path], tuple[Path, str]]:
    def make(d: Path) -> tuple[Path, str]:
        folder = write_cifar_archive(d, extracted=True)
        if payload is None:
            (folder / name).unlink()
        else:
            (folder / name).write_bytes(payload)
        return folder, name

    return make


def _spoiled_archive(spoil: Callable[[bytes], bytes]) -> Callable[[Path], tuple[Path, str]]:
    def make(d: Path) -> tuple[Path, str]:
        archive = write_cifar_archive(d)
        archive.write_bytes(spoil(archive.read_bytes()))
        return archive, "cifar-10-python.tar.gz"

    return make


def _zip_archive(d: Path) -> tuple[Path, str]:
    path = d / "cifar-10-python.tar.gz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("cifar-10-batches-py/data_batch_1", b"x")
    return path, "cifar-10-python.tar.gz"


def _text_file(d: Path) -> tuple[Path, str]:
    (d / "notes.txt").write_text("the data is somewhere else\n")
    return d / "notes.txt", "notes.txt"


def _empty_folder(d: Path) -> tuple[Path, str]:
    (d / "empty").mkdir()
    return d / "empty", "empty"


GOOD_ROWS = cifar_batch(*synthetic_images(10, 1))[b"data"]
VALID_BATCH = pickle.dumps(cifar_batch(*synthetic_images(10, 1)), protocol=4)
DATA_CASES: dict[str, Callable[[Path], tuple[Path, str]]] = {
    "archive-empty": _spoiled_archive(lambda data: b""),
    "archive-truncated": _spoiled_archive(lambda data: data[: len(data) // 2]),
    "archive-garbage": _spoiled_archive(lambda data: os.urandom(4096)),
    "archive-corrupt-middle": _spoiled_archive(
        lambda data: data[:2000] + bytes(b ^ 0xFF for b in data[2000:2400]) + data[2400:]
    ),
    "archive-text": _spoiled_archive(lambda data: b"I am not an archive\n" * 10),
    "archive-gzip-of-text": _spoiled_archive(lambda data: gzip.compress(b"not a tar" * 100)),
    "archive-is-a-zip": _zip_archive,
    "archive-without-batches": lambda d: (
        _tar(d / "cifar-10-python.tar.gz", {"README": b"hello"}),
        "cifar-10-python.tar.gz",
    ),
    "data-dir-is-text": _text_file,
    "data-dir-empty-folder": _empty_folder,
    "data-dir-missing": lambda d: (d / "missing", "missing"),
    "archive-batch-not-a-pickle": _archive_with("data_batch_2", b"hello world"),
    "archive-batch-truncated": _archive_with("data_batch_2", VALID_BATCH[: len(VALID_BATCH) // 2]),
    "archive-batch-float-data": _archive_with("data_batch_2", _batch(_rows(2, np.float32), [0])),
    "archive-test-batch-bad-labels": _archive_with("test_batch", _batch(_rows(2), [0, 99])),
    "folder-batch-empty": _folder_with("data_batch_3", b""),
    "folder-batch-truncated": _folder_with("data_batch_3", VALID_BATCH[:-100]),
    "folder-batch-json": _folder_with("data_batch_3", b'{"data": [], "labels": []}'),
    "folder-batch-a-list": _folder_with("data_batch_3", pickle.dumps([1, 2, 3], protocol=4)),
    "folder-batch-no-data": _folder_with("data_batch_3", pickle.dumps({b"labels": [0]})),
    "folder-batch-wrong-width": _folder_with("data_batch_3", _batch(_rows(2, width=1024), [0, 1])),
    "folder-batch-label-count": _folder_with("data_batch_3", _batch(GOOD_ROWS, [0, 1])),
    "folder-batch-label-strings": _folder_with("data_batch_3", _batch(_rows(2), ["a", "b"])),
    "folder-batch-pickle-protocol-0": _folder_with(
        "data_batch_3", pickle.dumps({b"data": _rows(1), b"labels": [0]}, protocol=0)[:50]
    ),
    "folder-missing-test-batch": _folder_with("test_batch", None),
    "folder-meta-garbage": _folder_with("batches.meta", b"\x80\x04garbage"),
    "folder-meta-nine-names": _folder_with(
        "batches.meta", pickle.dumps({b"label_names": [b"a"] * 9}, protocol=4)
    ),
}


@pytest.mark.parametrize("make", DATA_CASES.values(), ids=DATA_CASES.keys())
def test_bad_data_is_one_line_naming_the_file(
    cli: Cli, tmp_path: Path, make: Callable[[Path], tuple[Path, str]]
) -> None:
    source, name = make(tmp_path)
    models = tmp_path / "models"
    result = cli("train", *TINY, "--data-dir", source, "--models-dir", models)
    assert_one_line_error(result, source, name)
    assert snapshot(models) == {}  # no run folder for a run that never started


EVIL = {
    "os.system": lambda marker: _Evil(os.system, f"touch {marker}"),
    "builtins.exec": lambda marker: _Evil(exec, f"open({str(marker)!r}, 'w').close()"),
    "builtins.eval": lambda marker: _Evil(eval, f"open({str(marker)!r}, 'w')"),
    "subprocess.call": lambda marker: _Evil(subprocess.call, ["touch", str(marker)]),
}


@pytest.mark.parametrize("where", ["archive-batch", "folder-batch", "folder-meta"])
@pytest.mark.parametrize("payload", EVIL)
def test_a_pickle_that_runs_code_is_refused_and_does_not_run(
    cli: Cli, tmp_path: Path, where: str, payload: str
) -> None:
    marker = tmp_path / "pwned"
    evil = EVIL[payload](marker)
    if where == "folder-meta":
        blob = pickle.dumps({b"label_names": evil}, protocol=4)
        source, name = _folder_with("batches.meta", blob)(tmp_path)
    else:
        blob = _batch(evil, [0])
        maker = _archive_with if where == "archive-batch" else _folder_with
        source, name = maker("data_batch_1", blob)(tmp_path)
    models = tmp_path / "models"
    line = assert_one_line_error(cli("train", *TINY, "--data-dir", source, "--models-dir", models),
                                 source, name, "refusing to run code")  # fmt: skip
    assert "tries to load" in line
    assert not marker.exists()
    assert snapshot(models) == {}


def test_a_pickle_that_runs_code_does_not_run_in_a_real_process(tmp_path: Path) -> None:
    """The same through the console entry point in a fresh interpreter: exit 2, no marker."""
    marker = tmp_path / "pwned"
    source, _ = _folder_with("data_batch_4", _batch(_Evil(os.system, f"touch {marker}"), [0]))(
        tmp_path
    )
    result = subprocess.run(
        [sys.executable, "-m", "cifar_tui", "train", *TINY, "--data-dir", str(source),
         "--models-dir", str(tmp_path / "models")],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        env={**os.environ, "CIFAR_TUI_OFFLINE": "1"},
    )  # fmt: skip
    assert result.returncode == 2 and not marker.exists()
    assert_one_line_error((2, result.stdout, result.stderr), "data_batch_4", "refusing to run")


# --- model files: evaluate and predict ------------------------------------------------------------


def _not_a_model_zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a model")


def _fake_keras_zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", '{"keras_version": "3.15.0"}')
        archive.writestr("config.json", '{"class_name": "Functional", "config": {}}')
        archive.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n" + b"\0" * 100)


def _truncated_zip(path: Path) -> None:
    _fake_keras_zip(path)
    path.write_bytes(path.read_bytes()[:-30])  # the end-of-central-directory record is gone


MODEL_FILES: dict[str, Callable[[Path], object]] = {
    "text": lambda p: p.write_text("not a model\n"),
    "empty": lambda p: p.write_bytes(b""),
    "random-bytes": lambda p: p.write_bytes(os.urandom(2048)),
    "png-renamed": lambda p: Image.new("RGB", (8, 8)).save(p, format="PNG"),
    "truncated-zip": _truncated_zip,
    "missing": lambda p: None,
    "a-folder": lambda p: p.mkdir(),
}


@pytest.mark.parametrize("verb", ["evaluate", "predict"])
@pytest.mark.parametrize("make", MODEL_FILES.values(), ids=MODEL_FILES.keys())
def test_a_model_file_that_is_not_a_model(
    cli: Cli, tmp_path: Path, verb: str, make: Callable[[Path], object]
) -> None:
    model = tmp_path / "model.keras"
    make(model)
    image = tmp_path / "cat.png"
    Image.new("RGB", (40, 30), (200, 100, 50)).save(image)
    extra = [image] if verb == "predict" else ["--data-dir", tmp_path / "none"]
    assert_one_line_error(cli(verb, model, *extra), model)


@pytest.mark.slow
@pytest.mark.parametrize("verb", ["evaluate", "predict"])
@pytest.mark.parametrize(
    "make", [_not_a_model_zip, _fake_keras_zip], ids=["zip-not-a-model", "keras-like-garbage"]
)
def test_a_zip_that_is_not_a_keras_model(
    cli: Cli, tmp_path: Path, cifar_archive: Path, verb: str, make: Callable[[Path], object]
) -> None:
    model = tmp_path / "model.keras"
    make(model)
    image = tmp_path / "cat.png"
    Image.new("RGB", (40, 30), (200, 100, 50)).save(image)
    extra = [image] if verb == "predict" else ["--data-dir", cifar_archive]
    line = assert_one_line_error(cli(verb, model, *extra), model)
    assert "cannot load model" in line


@pytest.fixture(scope="module")
def real_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real model.keras (untrained), as the trainer writes it."""
    from cifar_tui.core.presets import preset
    from cifar_tui.core.training import model as model_lib

    path = tmp_path_factory.mktemp("model") / "model.keras"
    model_lib.build_model(preset("quick"), model_lib.Normalization((120.0,), (64.0,))).save(path)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("verb", ["evaluate", "predict"])
@pytest.mark.parametrize("damage", ["truncated", "bytes-flipped"])
def test_a_damaged_real_model(
    cli: Cli, tmp_path: Path, real_model: Path, cifar_archive: Path, verb: str, damage: str
) -> None:
    data = real_model.read_bytes()
    model = tmp_path / "model.keras"
    if damage == "truncated":
        model.write_bytes(data[: len(data) * 2 // 3])
    else:  # the zip directory is intact, the weights are not (their CRC no longer matches)
        middle = len(data) // 2
        model.write_bytes(data[:middle] + bytes(b ^ 0x5A for b in data[middle : middle + 64])
                          + data[middle + 64 :])  # fmt: skip
    image = tmp_path / "cat.png"
    Image.new("RGB", (40, 30), (200, 100, 50)).save(image)
    extra = [image] if verb == "predict" else ["--data-dir", cifar_archive]
    assert_one_line_error(cli(verb, model, *extra), model)


# --- image folders and image files ----------------------------------------------------------------


def _png(path: Path, colour: tuple[int, int, int] = (200, 40, 40)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (40, 30), colour).save(path, format="PNG")


def _only_non_images(d: Path) -> str:
    (d / "cat").mkdir(parents=True)
    (d / "cat" / "notes.txt").write_text("no images here")
    return "no images"


def _loose_images(d: Path) -> str:
    _png(d / "cat1.png")
    return "cat1.png"


def _not_a_class(d: Path) -> str:
    _png(d / "kitten" / "a.png")
    return "kitten"


def _corrupt_png(d: Path) -> str:
    _png(d / "cat" / "good.png")
    (d / "cat" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    return "bad.png"


def _truncated_png(d: Path) -> str:
    _png(d / "dog" / "cut.png")
    data = (d / "dog" / "cut.png").read_bytes()
    (d / "dog" / "cut.png").write_bytes(data[: len(data) // 2])
    return "cut.png"


def _text_named_jpg(d: Path) -> str:
    (d / "ship").mkdir(parents=True)
    (d / "ship" / "photo.jpg").write_text("I am text")
    return "photo.jpg"


def _empty_folder_of_images(d: Path) -> str:
    d.mkdir(parents=True)
    return "no images"


IMAGE_FOLDERS: dict[str, Callable[[Path], str]] = {
    "only-non-images": _only_non_images,
    "images-not-in-class-folders": _loose_images,
    "subfolder-not-a-class": _not_a_class,
    "corrupt-png": _corrupt_png,
    "truncated-png": _truncated_png,
    "text-named-jpg": _text_named_jpg,
    "empty": _empty_folder_of_images,
}


@pytest.mark.parametrize("make", IMAGE_FOLDERS.values(), ids=IMAGE_FOLDERS.keys())
def test_a_bad_image_folder(cli: Cli, tmp_path: Path, make: Callable[[Path], str]) -> None:
    model = tmp_path / "model.keras"
    _fake_keras_zip(model)  # the folder is read before the model is loaded
    folder = tmp_path / "images"
    name = make(folder)
    assert_one_line_error(cli("evaluate", model, "--images", folder), name)


@pytest.mark.parametrize("kind", ["missing", "a-file"])
def test_images_that_is_not_a_folder(cli: Cli, tmp_path: Path, kind: str) -> None:
    model = tmp_path / "model.keras"
    _fake_keras_zip(model)
    target = tmp_path / "images"
    if kind == "a-file":
        _png(target)
    assert_one_line_error(cli("evaluate", model, "--images", target), target)


PREDICT_IMAGES: dict[str, Callable[[Path], Path]] = {
    "missing": lambda d: d / "missing.png",
    "text-file": lambda d: (d / "notes.png", (d / "notes.png").write_text("hi"))[0],
    "folder": lambda d: (d / "pics", (d / "pics").mkdir())[0],
    "truncated-jpeg": lambda d: _truncated_jpeg(d / "half.jpg"),
    "empty-file": lambda d: (d / "empty.jpg", (d / "empty.jpg").write_bytes(b""))[0],
}


def _truncated_jpeg(path: Path) -> Path:
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)).save(path)
    path.write_bytes(path.read_bytes()[:300])
    return path


@pytest.mark.parametrize("make", PREDICT_IMAGES.values(), ids=PREDICT_IMAGES.keys())
def test_predict_on_a_bad_image(cli: Cli, tmp_path: Path, make: Callable[[Path], Path]) -> None:
    model = tmp_path / "model.keras"
    _fake_keras_zip(model)  # images are read before the model is loaded
    image = make(tmp_path)
    assert_one_line_error(cli("predict", model, image), image)


# --- run folders with missing or garbage files ----------------------------------------------------


@pytest.fixture
def models(tmp_path: Path) -> Path:
    """A models folder holding a stopped run with a checkpoint (fake arrays, real layout)."""
    models = tmp_path / "models"
    run = write_run(models, "r1", "stopped", epochs_done=2, epochs_total=10)
    # A config the trainer accepts (the fixture's is minimal).
    (run.path / "config.toml").write_text('preset = "quick"\nepochs = 10\n')
    run.checkpoint_dir.mkdir()
    np.savez(run.checkpoint_dir / "epoch-0002-step-000000.npz", model_0000=np.zeros(3))
    (run.checkpoint_dir / "latest.json").write_text(json.dumps({
        "file": "epoch-0002-step-000000.npz", "epoch": 2, "step": 0,
        "normalization_mean": [120.0], "normalization_std": [64.0],
    }))  # fmt: skip
    return models


RUN_DAMAGE: dict[str, tuple[Callable[[Path], object], list[str], list[str]]] = {
    # case: (damage the run "r1", command after the verb and run, what the line must name)
    "resume-garbage-latest": (
        lambda r: (r / "checkpoint" / "latest.json").write_text("{not json"),
        ["train", "--resume"], ["latest.json", "not a valid checkpoint index"]),
    "resume-latest-wrong-fields": (
        lambda r: (r / "checkpoint" / "latest.json").write_text('{"file": 3}'),
        ["train", "--resume"], ["latest.json"]),
    "resume-latest-names-a-file-elsewhere": (  # a save would delete "the previous" file
        lambda r: (r / "checkpoint" / "latest.json").write_text(json.dumps({
            "file": str(r / "config.toml"), "epoch": 2, "step": 0,
            "normalization_mean": [1.0], "normalization_std": [1.0]})),
        ["train", "--resume"], ["latest.json", "not a checkpoint file name"]),
    "resume-latest-is-a-folder": (
        lambda r: ((r / "checkpoint" / "latest.json").unlink(),
                   (r / "checkpoint" / "latest.json").mkdir()),
        ["train", "--resume"], ["latest.json"]),
    "resume-latest-names-missing-file": (
        lambda r: (r / "checkpoint" / "epoch-0002-step-000000.npz").unlink(),
        ["train", "--resume"], ["epoch-0002-step-000000.npz", "missing"]),
    "resume-garbage-config": (
        lambda r: (r / "config.toml").write_text("epochs = = 3"),
        ["train", "--resume"], ["config.toml", "not valid TOML"]),
    "resume-config-out-of-range": (
        lambda r: (r / "config.toml").write_text("epochs = 0"),
        ["train", "--resume"], ["config.toml", "epochs"]),
    "resume-missing-config": (
        lambda r: (r / "config.toml").unlink(),
        ["train", "--resume"], ["config.toml", "not found"]),
    "resume-config-is-a-folder": (
        lambda r: ((r / "config.toml").unlink(), (r / "config.toml").mkdir()),
        ["train", "--resume"], ["config.toml"]),
    "resume-epochs-below-checkpoint": (
        lambda r: None, ["train", "--epochs", "1", "--resume"], ["already has 2 of 1 epochs"]),
    "evaluate-no-model": (lambda r: None, ["evaluate"], ["r1", "model.keras"]),
    "evaluate-garbage-model": (
        lambda r: (r / "model.keras").write_bytes(b"\0" * 100), ["evaluate"], ["model.keras"]),
    "predict-garbage-model": (
        lambda r: (r / "model.keras").write_text("{}"), ["predict"], ["model.keras"]),
    "export-no-model": (lambda r: None, ["export"], ["r1", "model.keras"]),
    "stop-garbage-lock": (
        lambda r: (r / "trainer.lock").write_text("garbage"), ["stop"], ["r1", "not training"]),
    "stop-dead-lock": (
        lambda r: (r / "trainer.lock").write_text(json.dumps(
            {"pid": 2**22 + 12345, "host": os.uname().nodename, "started": 1.0})),
        ["stop"], ["r1", "not training"]),
}  # fmt: skip


@pytest.mark.parametrize(("damage", "command", "names"), RUN_DAMAGE.values(), ids=RUN_DAMAGE)
def test_a_run_folder_with_missing_or_garbage_files(
    cli: Cli, models: Path, tmp_path: Path, damage: Callable[[Path], object],
    command: list[str], names: list[str],
) -> None:  # fmt: skip
    run = models / "r1"
    damage(run)
    before = snapshot(run)
    image = tmp_path / "x.png"
    _png(image)
    verb, *flags = command
    tail = [image] if verb == "predict" else []
    result = cli(verb, *flags, "r1", *tail, "--models-dir", models, "--data-dir",
                 tmp_path / "none")  # fmt: skip
    assert_one_line_error(result, *names)
    assert snapshot(run) == before  # nothing lost, nothing changed


@pytest.mark.parametrize("spec", ["nope", "", "../models", "/nonexistent/run"])
@pytest.mark.parametrize("verb", ["evaluate", "export", "stop", "train --resume"])
def test_a_run_that_does_not_exist(cli: Cli, models: Path, spec: str, verb: str) -> None:
    result = cli(*verb.split(), spec, "--models-dir", models)
    assert_one_line_error(result, f"no run named {spec!r}", "r1")


def test_runs_lists_runs_with_garbage_files_and_torn_events(cli: Cli, models: Path) -> None:
    write_run(models, "torn", "running", epochs_done=3, epochs_total=10)
    (models / "torn" / "trainer.lock").unlink()  # its trainer was killed
    with open(models / "torn" / "events.jsonl", "ab") as events:
        events.write(b'{"type": "epoch_ended", "epoch": 4, "val_acc')  # torn by the kill
    garbage = write_run(models, "garbage", "finished", epochs_done=2, epochs_total=2)
    garbage.config_path.write_bytes(b"\xff\xfe not toml")
    garbage.events_path.write_bytes(b'\x00garbage\n[1, 2]\n{"no": "type"}\n{torn')
    garbage.predictions_path.write_bytes(b"not an npz")
    garbage.lock_path.write_text("{")
    (models / "empty-events").mkdir()
    (models / "empty-events" / "events.jsonl").write_bytes(b"")
    before = snapshot(models)
    code, out, err = cli("runs", "--models-dir", models, "--json")
    assert code == 0 and err == "", err
    listed = {run["name"]: run for run in json.loads(out)}
    assert set(listed) == {"r1", "torn", "garbage", "empty-events"}
    assert listed["torn"]["status"] == "interrupted" and listed["torn"]["epochs_done"] == 3
    assert listed["garbage"]["status"] == "created"
    code, out, err = cli("runs", "--models-dir", models)
    assert code == 0 and "torn" in out and "interrupted" in out and err == ""
    assert snapshot(models) == before
    assert len(read_events(models / "torn" / "events.jsonl")) == len(
        (models / "torn" / "events.jsonl").read_bytes().splitlines()) - 1  # fmt: skip


@pytest.mark.slow
def test_resume_from_a_corrupt_checkpoint_file(cifar_archive: Path, models: Path) -> None:
    """The .npz that latest.json names is garbage: a `failed` event, exit 2, the file kept."""
    checkpoint = models / "r1" / "checkpoint" / "epoch-0002-step-000000.npz"
    checkpoint.write_bytes(b"PK\x03\x04 this is not a whole npz")
    result = subprocess.run(
        [sys.executable, "-m", "cifar_tui", "train", "--resume", "r1", "--models-dir",
         str(models), "--data-dir", str(cifar_archive)],
        capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL,
        env={**os.environ, "CIFAR_TUI_OFFLINE": "1"},
    )  # fmt: skip
    assert_one_line_error((result.returncode, "", result.stderr), checkpoint, "unreadable")
    assert checkpoint.read_bytes() == b"PK\x03\x04 this is not a whole npz"
    failed = read_events(models / "r1" / "events.jsonl")[-1]
    assert isinstance(failed, Failed) and str(checkpoint) in (failed.message or "")
    assert not (models / "r1" / "trainer.lock").exists()
