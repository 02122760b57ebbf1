"""The GPUs a run trains on: `run_started`'s `gpus` list, and how the UI names them ("0", "1,3").

An empty list means the run trains on the CPU; no list at all (a run from before the field) means
nobody recorded it. Indices are nvidia-smi's (the trainer sets CUDA_DEVICE_ORDER=PCI_BUS_ID).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cifar_tui.core.rundir.fields import text_or_none, whole_number

__all__ = ["RunGpu", "gpus_text", "run_gpus_from"]


@dataclass(frozen=True)
class RunGpu:
    """One GPU of a run; a part the trainer could not learn is None."""

    index: int | None
    """nvidia-smi's index; None where NVML could not say (TensorFlow saw a GPU NVML did not)."""
    name: str | None = None
    uuid: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """As `run_started` writes it."""
        return {"index": self.index, "name": self.name, "uuid": self.uuid}


def run_gpus_from(value: Any) -> tuple[RunGpu, ...] | None:
    """A `gpus` field as written (a list of tables); None where it is not a list."""
    if not isinstance(value, list):
        return None
    gpus = []
    for item in value:
        if isinstance(item, dict):
            index = whole_number(item.get("index"))
            gpus.append(
                RunGpu(index, text_or_none(item.get("name")), text_or_none(item.get("uuid")))
            )
    return tuple(gpus)


def gpus_text(gpus: Sequence[RunGpu] | None) -> str:
    """ "0", "1,3", "cpu" for none, "" when unrecorded; an index NVML did not give is "?"."""
    if gpus is None:
        return ""
    if not gpus:
        return "cpu"
    return ",".join("?" if gpu.index is None else str(gpu.index) for gpu in gpus)
