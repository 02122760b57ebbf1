"""The `devices` setting's grammar: `auto`, `cpu`, or distinct GPU indices such as `0` or `1,3`.

Indices are nvidia-smi's (and the GPU pane's): the trainer sets CUDA_DEVICE_ORDER=PCI_BUS_ID so
TensorFlow numbers GPUs the same way (core/host/gpu_choice.py). Whether an index exists on this
machine is checked when a run starts, not here: a config file stays valid on any machine.
"""

from __future__ import annotations

DEVICES_FORMS = "auto, cpu, or GPU indices like 0 or 1,3"
"""The allowed forms, as every message about the setting says them."""


def parse_devices(text: str) -> str | tuple[int, ...]:
    """ "auto", "cpu", or the GPU indices in the order given.

    Raises:
        ValueError: anything else, with the reason (an empty item, a repeated index, a sign).
    """
    value = text.strip()
    if value in ("auto", "cpu"):
        return value
    items = [item.strip() for item in value.split(",")]
    if not value or any(not item.isdecimal() or not item.isascii() for item in items):
        raise ValueError("")
    indices = tuple(int(item) for item in items)
    repeated = sorted({index for index in indices if indices.count(index) > 1})
    if repeated:
        raise ValueError(f"GPU {repeated[0]} given twice")
    return indices


def devices_problem(value: object) -> str | None:
    """One line naming the field and its allowed forms when `value` is not one; None if it is."""
    if not isinstance(value, str):
        return f"devices must be {DEVICES_FORMS} (got {value!r})"
    try:
        parse_devices(value)
    except ValueError as error:
        why = f"; {error}" if str(error) else ""
        return f"devices must be {DEVICES_FORMS} (got {value!r}{why})"
    return None


def devices_text(indices: list[int] | tuple[int, ...]) -> str:
    """Indices as the setting writes them: "1,3"; none is "cpu"."""
    return ",".join(str(index) for index in indices) if indices else "cpu"


def devices_from_plain(value: object) -> object:
    """A TOML `devices = 1` or `devices = [1, 3]` as the text "1" or "1,3"; others unchanged."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list) and all(type(item) is int for item in value):
        return ",".join(str(item) for item in value)
    return value
