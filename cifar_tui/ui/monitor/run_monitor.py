"""The training monitor: status, progress, curves and epoch table, following events.jsonl live."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import Worker, WorkerState, get_current_worker

from cifar_tui.core.rundir.event_types import Event, PredictionsSaved, RunStarted
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.rundir.run_gpus import gpus_text
from cifar_tui.core.rundir.runs_table import format_percent
from cifar_tui.core.rundir.status import run_status
from cifar_tui.ui.common.status_marks import STATUS_COLOURS, STATUS_MARKS
from cifar_tui.ui.monitor.curves_pane import CurvesPane
from cifar_tui.ui.monitor.epoch_table import EpochTable
from cifar_tui.ui.monitor.progress_panel import ProgressPanel
from cifar_tui.ui.monitor.run_status import Fact, RunStatus
from cifar_tui.ui.monitor.run_tail import follow_run
from cifar_tui.ui.monitor.tail_messages import (
    BatchProgress,
    EpochEnded,
    EventArrived,
    RunFailed,
    RunFinished,
    TrainerAlive,
)


class RunMonitor(Widget):
    """Everything about one run as it trains; `show_run` switches runs."""

    @dataclass
    class NotesRead(Message):
        """What `run_notes` found wrong with the files of the run followed."""

        notes: list[str]
        follow: int

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.run: RunFolder | None = None
        self._follow = 0
        self._started: RunStarted | None = None
        self._last: Event | None = None
        self._test_accuracy: float | None = None
        self._single_view: float | None = None  # beside a figure through test-time views
        self._notes: list[str] = []
        self._tail_worker: Worker[None] | None = None
        self._alive = False
        self.launching = False
        """The app just spawned this run's trainer and it has not written an event yet."""
        self.launch_error: str | None = None
        self.loaded = False
        """Whether the events already in the file when the run was opened are all shown."""

    def compose(self) -> ComposeResult:
        yield RunStatus(id="run-status")
        yield Static(id="run-failure")
        yield ProgressPanel(id="progress")
        yield CurvesPane(id="curves")
        yield EpochTable(id="epochs")

    def on_resize(self, event: events.Resize) -> None:
        # Under SHORT_SCREEN_ROWS a failed run's box and its epoch table need the curves' room
        # (cifar.tcss). Set here, on resize only: as an app VERTICAL_BREAKPOINTS class it cost
        # every `v` press a second repaint of the screen (BENCHMARKS.md, "The app through a pty").
        self.set_class(self.screen.size.height < SHORT_SCREEN_ROWS, "-short")

    def on_mount(self) -> None:
        self._show_status()

    @property
    def status(self) -> str:
        """created, starting, running, finished, stopped, failed or interrupted."""
        if self.launch_error:
            return "failed"
        # The worker decided `_alive` from the lock (trainer_running): no lock time needed here.
        status = run_status(self._last, self._alive)
        return "starting" if status == "created" and self.launching else status

    def show_run(self, run: RunFolder | None, launching: bool = False) -> None:
        """Follow `run` from the start of its events (None: show nothing)."""
        self.run = run
        self._follow += 1
        self._started, self._last, self._test_accuracy, self._single_view = None, None, None, None
        self._notes = []
        self._alive, self.launching, self.launch_error = False, launching, None
        self.loaded = False
        self.query_one(ProgressPanel).reset()
        self.query_one(CurvesPane).reset()
        self.query_one(EpochTable).reset()
        self._show_failure(None)
        self._show_status()
        if run is not None:
            self._tail_worker = self.follow(run, self._follow)
        else:
            self.workers.cancel_group(self, "tail")

    def show_launch_error(self, message: str) -> None:
        """The trainer died before writing an event; say why."""
        self.launch_error = message
        self._show_failure(Text(f"Launch failed: {message}", style="bold"))
        self._show_status()

    @work(
        thread=True, exclusive=True, group="tail", exit_on_error=False, description="Following run"
    )
    def follow(self, run: RunFolder, follow: int) -> None:
        """Post a message per event of `run` (those so far, then new ones) until cancelled."""
        follow_run(
            run,
            follow,
            post=self.post_message,
            notes_read=lambda notes: self.NotesRead(notes, follow),
            cancelled=get_current_worker().cancelled_event,
        )

    def _mine(self, message: Any) -> bool:
        return message.follow == self._follow

    def on_event_arrived(self, message: EventArrived) -> None:
        message.stop()  # only this widget needs the per-event messages (finished/failed bubble)
        if not self._mine(message):
            return
        event = self._last = message.event
        self.launching = False
        if isinstance(event, RunStarted):
            self._started = event
            self.launch_error = None
            self._show_failure(None)
            if event.initial_epoch is not None:
                self.query_one(CurvesPane).truncate(event.initial_epoch)
                self.query_one(EpochTable).truncate(event.initial_epoch)
            self.query_one(ProgressPanel).started(event)
        elif isinstance(event, PredictionsSaved):
            self._note_test_accuracy(event.test_accuracy, event.single_view_accuracy)
        self._show_status()

    def on_epoch_ended(self, message: EpochEnded) -> None:
        message.stop()
        if not self._mine(message):
            return
        event = self._last = message.event
        self.query_one(ProgressPanel).epoch_ended(event)
        self.query_one(CurvesPane).add_epoch(event)
        self.query_one(EpochTable).add_epoch(event)
        self._note_test_accuracy(event.test_accuracy)
        self._show_status()

    def on_batch_progress(self, message: BatchProgress) -> None:
        message.stop()
        if self._mine(message):
            self._last = message.event
            self.query_one(ProgressPanel).batch_progress(message.event)

    def on_run_finished(self, message: RunFinished) -> None:
        if self._mine(message):
            self._last = message.event
            event = message.event
            self._note_test_accuracy(event.test_accuracy, event.single_view_accuracy)
            self._show_status()

    def on_run_failed(self, message: RunFailed) -> None:
        if not self._mine(message):
            return
        event = self._last = message.event
        text = Text(f"Failed: {event.summary or 'unknown error'}")
        text.stylize("bold")
        lines = message.log_tail or list(event.log_tail or ())
        if lines:
            name = self.run.log_path.name if self.run else "trainer.log"
            text.append(f"\nlast lines of {name}:\n", style="dim")
            text.append("\n".join(lines))
        self._show_failure(text)
        self._show_status()

    def on_trainer_alive(self, message: TrainerAlive) -> None:
        message.stop()
        if self._mine(message):
            self.loaded = True  # the worker checks the lock first right after its first poll
            self._alive = message.alive
            self.query_one(ProgressPanel).set_active(message.alive)
            self._show_status()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A bug in following the run (bad files come back as notes): say so in one line."""
        if event.state == WorkerState.ERROR and event.worker is self._tail_worker:
            self._notes = [*self._notes, f"stopped following the run: {event.worker.error!r}"]
            self.loaded = True
            self._show_status()

    def on_run_monitor_notes_read(self, message: NotesRead) -> None:
        message.stop()
        if self._mine(message):
            self._notes = message.notes
            self._show_status()

    def _note_test_accuracy(self, value: float | None, single_view: float | None = None) -> None:
        """The latest test accuracy, and the single view beside it when it came through views."""
        if value is not None:
            self._test_accuracy, self._single_view = value, single_view

    def _show_failure(self, text: Text | None) -> None:
        failure = self.query_one("#run-failure", Static)
        failure.update(text or "")
        failure.display = text is not None
        self.set_class(text is not None, "-failure-shown")  # short screens hide the curves
        # A log that overflows the box shows its end: a traceback's last line names the error.
        self.call_after_refresh(failure.scroll_end, animate=False)

    def _show_status(self) -> None:
        status = self.query_one(RunStatus)
        if self.run is None:
            status.show_message(
                "No run selected: press 1 for the runs list, 4 to configure a new run."
            )
            return
        title = Text()
        title.append(self.run.name, style="bold")
        mark = STATUS_MARKS.get(self.status, "")
        title.append(f"  {mark} {self.status}", style=f"bold {STATUS_COLOURS.get(self.status, '')}")
        warnings = (self._started.warnings if self._started else None) or ()
        status.show(title, self._results(), self._setup(), self._notes, warnings)
        self.set_class(self.status == "running", "-running")
        self.screen.refresh_bindings()  # stop/resume apply to some statuses only

    def _results(self) -> list[Fact]:
        """How the run is doing: its best epoch (the table's star) and the latest test accuracy."""
        table = self.query_one(EpochTable)
        best = ""
        if table.best_epoch is not None and table.best_value is not None:
            best = f"best {format_percent(table.best_value, digits=2)} @{table.best_epoch}"
        test = ""
        if self._test_accuracy is not None:
            test = f"test acc {format_percent(self._test_accuracy, digits=2)}"
            if self._single_view is not None:
                test += f" (single view {format_percent(self._single_view, digits=2)})"
        # Room for "best 100.00% @125" and "test acc 100.00%" before the first epoch ends.
        return [Fact(best, "bold", room=17), Fact(test, room=16)]

    def _setup(self) -> list[Fact]:
        """What the run trains with, from its run_started event (a hand-edited one may hold
        anything), in the order facts are dropped when narrow: the last first."""
        started = self._started or RunStarted()
        config = started.config or {}
        strategy = _text(started.strategy)
        return [
            Fact(_text(config.get("preset"))),
            Fact(f"GPU {gpus_text(started.gpus)}" if started.gpus else _text(started.device)),
            Fact(_text(started.mixed_precision)),
            Fact(f"{strategy} x{_text(started.replicas) or '?'}" if strategy else ""),
        ]


def _text(value: object) -> str:
    """An event field as one line of text ("" for none, a list or a table)."""
    if value is None or isinstance(value, dict | list):
        return ""
    return " ".join(str(value).split())


SHORT_SCREEN_ROWS = 30
