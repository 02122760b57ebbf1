"""A form for every TrainConfig field, with presets, inline validation and sweeps.

A text field may hold several values, a sweep (core/sweeps.py): `0.05,0.1,0.2`, or for a list
field `0.2,0.3,0.4/0,0,0`; the line under the preset counts the runs they make.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, Switch

from cifar_tui.core.config import DEFAULT_PRESET, TrainConfig, config_fields
from cifar_tui.core.config_values import ConfigError, FieldProblem, FieldSpec
from cifar_tui.core.presets import PRESETS, preset
from cifar_tui.core.sweeps import MAX_RUNS, Sweep, parse_alternatives, takes_a_list

FieldWidget = Input | Select[str] | Switch


def as_text(value: object) -> str:
    """A value as a user types it: lists comma-separated, bools lower case."""
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def _hint(spec: FieldSpec) -> str:
    allowed = ""
    if spec.minimum is not None or spec.maximum is not None:
        low = "(" if spec.min_exclusive else "["
        high = ")" if spec.max_exclusive else "]"
        allowed = f" {low}{spec.minimum}, {spec.maximum}{high}"
    return spec.help + allowed


class ConfigForm(Widget):
    """One row per config field (but `preset`, which the preset selector sets)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.specs = [spec for spec in config_fields() if spec.name != "preset"]
        self.problems: list[FieldProblem] = []
        """The problems found by the last validation (none: the form holds a valid config)."""
        self._config = preset(DEFAULT_PRESET)
        self._sweep = Sweep(self._config, {})

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-row", id="row-preset"):
            yield Label("preset", classes="field-label")
            options = [(name, name) for name in PRESETS]
            yield Select(
                options, value=DEFAULT_PRESET, allow_blank=False, compact=True, id="field-preset"
            )
            yield Static("fills every field below", classes="field-hint", id="preset-hint")
            yield Static(id="sweep-count")
        with VerticalScroll(id="config-fields"):
            for spec in self.specs:
                with Horizontal(classes="field-row", id=f"row-{spec.name}"):
                    yield Label(spec.name, classes="field-label")
                    yield self._field_widget(spec)
                    if spec.type_name == "bool":  # a Switch is colour only: say it in words too
                        yield Static(classes="switch-state", id=f"state-{spec.name}")
                    yield Static(_hint(spec), classes="field-hint")
                yield Static(classes="field-error", id=f"error-{spec.name}")

    def _field_widget(self, spec: FieldSpec) -> FieldWidget:
        value = getattr(self._config, spec.name)
        field_id = f"field-{spec.name}"
        if spec.choices:
            options = [(choice, choice) for choice in spec.choices]
            return Select(options, value=value, allow_blank=False, compact=True, id=field_id)
        if spec.type_name == "bool":
            return Switch(value=bool(value), id=field_id)
        # Plain text, not type="number": a sweep's commas must be typeable; values are checked.
        several = "0.2,0.3,0.4/0,0,0" if takes_a_list(spec) else "0.05,0.1,0.2"
        tooltip = f"{spec.help}\nSeveral values queue a sweep, one run each: {several}"
        return Input(as_text(value), compact=True, id=field_id, tooltip=tooltip)

    def on_mount(self) -> None:
        self.validate_form()

    @property
    def preset_name(self) -> str:
        return str(self.query_one("#field-preset", Select).value)

    def fill(self, config: TrainConfig) -> None:
        """Show `config` in every field (and its preset in the selector), then validate."""
        with self.prevent(Input.Changed, Select.Changed, Switch.Changed):
            if config.preset in PRESETS:
                self.query_one("#field-preset", Select).value = config.preset
            for spec in self.specs:
                widget = self.query_one(f"#field-{spec.name}")
                value = getattr(config, spec.name)
                if isinstance(widget, Switch):
                    widget.value = bool(value)
                elif isinstance(widget, Select):
                    widget.value = value
                elif isinstance(widget, Input):
                    widget.value = as_text(value)
        self.validate_form()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.select.id == "field-preset" and event.value in PRESETS:
            self.fill(preset(str(event.value)))
        else:
            self.validate_form()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.validate_form()

    def on_switch_changed(self, event: Switch.Changed) -> None:
        event.stop()
        self.validate_form()

    def read(self) -> tuple[Sweep, list[FieldProblem]]:
        """The sweep the form holds (one run when no field has several values) and every
        problem with any of its runs (fields that do not parse keep the preset's value)."""
        values: dict[str, object] = {"preset": self.preset_name}
        several: dict[str, list[object]] = {}
        problems: list[FieldProblem] = []
        for spec in self.specs:
            widget = self.query_one(f"#field-{spec.name}")
            if isinstance(widget, Switch):
                values[spec.name] = widget.value
            elif isinstance(widget, Select):
                values[spec.name] = str(widget.value)
            elif isinstance(widget, Input):
                try:
                    alternatives = parse_alternatives(spec, widget.value)
                except ConfigError as error:
                    problems.append(FieldProblem(spec.name, str(error)))
                    continue
                values[spec.name] = alternatives[0]
                if len(alternatives) > 1:
                    several[spec.name] = alternatives
        base = PRESETS.get(self.preset_name, PRESETS[DEFAULT_PRESET])
        sweep = Sweep(TrainConfig.from_dict(values, base=base), several)
        if sweep.count > MAX_RUNS:  # checking every run would be slow, and it is surely a slip
            message = f"{sweep.summary()} is too many (at most {MAX_RUNS} in one sweep)"
            problems.append(FieldProblem(list(several)[-1], message))
        bad = {problem.field for problem in problems}
        checked = sweep.problems() if sweep.count <= MAX_RUNS else sweep.base.problems()
        problems += [problem for problem in checked if problem.field not in bad]
        return sweep, problems

    def validate_form(self) -> list[FieldProblem]:
        """Check every field, mark the invalid ones and show why; returns the problems."""
        self._sweep, self.problems = self.read()
        self._config = self._sweep.base
        count, swept = self.query_one("#sweep-count", Static), bool(self._sweep.values)
        count.update(f"{self._sweep.summary()} · ctrl+r queues" if swept else "")
        count.display = swept
        self.query_one("#preset-hint").display = not swept  # the line is too short for both
        messages = {problem.field: problem.message for problem in self.problems}
        for switch in self.query(Switch):
            state = self.query_one(f"#state-{(switch.id or '')[6:]}", Static)
            state.update("on" if switch.value else "off")
        for spec in self.specs:
            message = messages.get(spec.name)
            self.query_one(f"#row-{spec.name}").set_class(message is not None, "-invalid")
            self.query_one(f"#field-{spec.name}").set_class(message is not None, "-invalid")
            error = self.query_one(f"#error-{spec.name}", Static)
            error.update(f"✗ {message}" if message else "")
            error.display = message is not None
        return self.problems

    @property
    def config(self) -> TrainConfig:
        """The config as of the last validation (valid only if `problems` is empty); a sweep's
        first run."""
        return self._config

    @property
    def sweep(self) -> Sweep:
        """Every run the form holds, as of the last validation (a single run: count 1)."""
        return self._sweep

    def focus_field(self, name: str) -> None:
        """Focus the widget of field `name` and scroll it into view."""
        widget = self.query_one(f"#field-{name}")
        widget.focus()
        widget.scroll_visible(animate=False)
