"""Configure a run: the config form, a config file to save or load, the Start and Queue keys."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from cifar_tui.core.config import TrainConfig
from cifar_tui.core.config_files import load_config, save_config
from cifar_tui.core.config_values import ConfigError
from cifar_tui.core.errors import UserError
from cifar_tui.core.queue.store import queued
from cifar_tui.core.rundir.naming import valid_run_name
from cifar_tui.core.sweeps import name_sweep
from cifar_tui.ui.common.gpu_settings import GpuSettings
from cifar_tui.ui.common.key_footer import KeyFooter
from cifar_tui.ui.common.mode_bar import ModeBar
from cifar_tui.ui.config.config_form import ConfigForm
from cifar_tui.ui.config.device_hint import DeviceHint
from cifar_tui.ui.trainers import Launches

QUEUE_HELP = (
    "Queue the run, or each run of a sweep: a field with several values, 0.05,0.1,0.2 (a list "
    "field: 0.2,0.3,0.4/0,0,0); each starts when a slot frees (a GPU, or the CPU)"
)


class ConfigScreen(Screen[None]):
    """Every field of a training config; ctrl+t asks the app to start a trainer with it, ctrl+r
    to queue it (or every run of a sweep: fields with several values).

    It watches the app's `launches`: a new run started (not resumed) is the one it asked for.
    """

    BINDINGS = [
        Binding("ctrl+t", "start", "Start", priority=True, tooltip="Start the run now"),
        Binding("ctrl+r", "queue", "Queue", priority=True, tooltip=QUEUE_HELP),
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+o", "load", "Load", priority=True),
        Binding("escape", "unfocus", "Unfocus", show=False),
    ]

    @dataclass
    class StartRequested(Message):
        """Start a trainer for `config` in run `name` (None: a fresh dated name)."""

        config: TrainConfig
        name: str | None
        data_dir: str | None

    @dataclass
    class QueueRequested(Message):
        """Queue these runs, in order (a sweep's runs, or one), and start the queue's runner."""

        entries: list[tuple[str, TrainConfig]]
        """(run name, validated config) per run."""
        data_dir: str | None

    def __init__(
        self, models_dir: Path, data_dir: str | None, gpu: GpuSettings | None = None
    ) -> None:
        super().__init__()
        self._models_dir = models_dir
        self._data_dir = data_dir
        self._gpu = gpu or GpuSettings()

    def compose(self) -> ComposeResult:
        yield ModeBar("config")
        yield ConfigForm(id="config-form")
        with Horizontal(classes="config-row"):
            yield Label("config file", classes="field-label")
            yield Input(
                placeholder="path/to/config.toml (ctrl+s save, ctrl+o load)",
                compact=True,
                id="config-path",
            )
        with Horizontal(classes="config-row"):
            yield Label("run name", classes="field-label")
            yield Input(
                placeholder="blank: date_time_preset (a sweep adds -lr0.1-seed1...)",
                compact=True,
                id="run-name",
            )
        with Horizontal(classes="config-row"):
            yield Label("data folder", classes="field-label")
            yield Input(
                self._data_dir or "",
                compact=True,
                id="data-dir",
                placeholder="blank: $CIFAR10_DIR, then ~/.keras/datasets",
            )
        yield Static(id="config-message")
        yield KeyFooter()

    @property
    def form(self) -> ConfigForm:
        return self.query_one(ConfigForm)

    def say(self, message: str, error: bool = False, full: str | None = None) -> None:
        """Show one line under the form, cut with an ellipsis if it is too long; an error also
        shows as a notification, in `full` if given (say, with the whole path)."""
        line = self.query_one("#config-message", Static)
        line.update(Text(message))
        line.set_class(error, "-error")
        if error:
            self.notify(full or message, severity="error")

    def _config_file(self) -> Path | None:
        """The path typed into 'config file', or None (and why) if there is none."""
        typed = self._value("#config-path")
        if not typed:
            self.say("Type a file path into 'config file' first.", error=True)
            self.query_one("#config-path").focus()
            return None
        try:
            return Path(typed).expanduser()
        except RuntimeError:  # "~nosuchuser/..." names a home folder that does not exist
            self.say(f"config file {typed}: no such user's home folder", error=True)
            return None

    def _file_error(self, doing: str, error: ConfigError, path: Path) -> None:
        # The line names the file and the field; its whole path is in the box above (and in
        # the notification), and would push the field out of a narrow line.
        short = str(error).replace(f"config file {path}", path.name).replace(str(path), path.name)
        self.say(f"{doing}: {short}", error=True, full=f"{doing}: {error}")

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value.strip()

    def _refused(self, doing: str) -> bool:
        """Validate the form; on a problem say the first (focusing its field) and return True."""
        problems = self.form.validate_form()
        if problems:
            count = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            self.say(f"Cannot {doing}: {problems[0].message}{count}", error=True)
            self.form.focus_field(problems[0].field)
        return bool(problems)

    def action_start(self) -> None:
        if self._refused("start"):
            return
        sweep = self.form.sweep
        if sweep.count > 1:
            self.say(f"Cannot start {sweep.summary()} at once: ctrl+r queues them", error=True)
            return
        name = self._value("#run-name") or None
        if name is not None and not valid_run_name(name):
            self.say(f"Cannot start: run name {name!r} is not a plain folder name", error=True)
            return
        if name is not None and (self._models_dir / name).exists():
            self.say(f"Cannot start: run {name} already exists; pick another name", error=True)
            return
        data_dir = self._value("#data-dir") or None
        self.post_message(self.StartRequested(self.form.config, name, data_dir))

    def action_queue(self) -> None:
        if self._refused("queue"):
            return
        name = self._value("#run-name") or None
        try:
            taken = {run.name for run in queued(self._models_dir)}
            entries = name_sweep(self.form.sweep, self._models_dir, name, taken)
        except UserError as error:
            self.say(f"Cannot queue: {error}", error=True)
            return
        data_dir = self._value("#data-dir") or None
        self.say("")  # the app's notice says what was queued, or why nothing was
        self.post_message(self.QueueRequested(entries, data_dir))

    def on_mount(self) -> None:
        self.watch(self.app, "launches", self._launches_changed, init=False)
        # Each GPU's free memory and load under the `devices` row.
        devices = self.form.query_one("#field-devices", Input)
        hint = DeviceHint(self._gpu.monitor, self._gpu.interval, devices, id="devices-hint")
        self.form.query_one("#config-fields").mount(hint, after="#row-devices")

    def _launches_changed(self, old: Launches, new: Launches) -> None:
        for name, launch in new.items():
            if not launch.resumed and launch != old.get(name) and launch.error is None:
                self.say(f"Started {name} (pid {launch.pid}).")
                self.query_one("#run-name", Input).value = ""

    def action_save(self) -> None:
        path = self._config_file()
        if path is None:
            return
        problems = self.form.validate_form()
        if problems:
            self.say(f"Cannot save: {problems[0].message}", error=True)
            return
        try:
            save_config(self.form.config, path)
        except ConfigError as error:
            self._file_error("Not saved", error, path)
            return
        self.say(f"Saved {path}.")

    def action_load(self) -> None:
        path = self._config_file()
        if path is None:
            return
        if path.exists() and not (path.is_file() or path.is_dir()):
            # /dev/zero never ends and a FIFO may never answer: reading would hang the app.
            self.say(f"Not loaded: {path.name} is not a regular file", error=True)
            return
        try:
            config = load_config(path)
        except ConfigError as error:  # the form keeps what it holds
            self._file_error("Not loaded", error, path)
            return
        self.form.fill(config)
        self.say(f"Loaded {path} (preset {config.preset}).")

    def action_unfocus(self) -> None:
        self.set_focus(None)
