"""A run's epoch metrics as TensorBoard event files (`cifar-tui export RUN --tensorboard DIR`).

One scalar tag per metric column of core/rundir/epoch_export (`epoch` itself is the step), each
event stamped with the wall time of its epoch_ended event, so TensorBoard's "relative" and
"wall" x-axes show the run's own times. Written with TensorFlow's public protos and its TFRecord
writer (tf.summary's writers stamp the time of writing instead); the `tensorboard` package is not
needed. The file is written under a temporary name and renamed, so a reader never sees half.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from cifar_tui.core.rundir.atomic import atomic_path
from cifar_tui.core.rundir.epoch_export import EpochRows
from cifar_tui.core.training import tfenv

__all__ = ["SKIPPED_TAGS", "write_scalars"]

SKIPPED_TAGS = frozenset({"epoch", "epochs", "time", "partial"})
"""Columns that are not metrics worth a chart: the step, the total, the wall time, a flag."""


def write_scalars(table: EpochRows, log_dir: Path, prefix: str = "epoch/") -> tuple[Path, int]:
    """Write `table` as one TensorBoard event file in `log_dir` (created if missing).

    Args:
        table: the run's epochs (epoch_rows).
        log_dir: the folder TensorBoard is pointed at (`tensorboard --logdir`).
        prefix: put before each tag ("epoch/val_accuracy"), grouping them in TensorBoard.

    Returns:
        The event file written and how many scalars it holds.
    """
    tf = tfenv.import_tensorflow_quietly()  # no CUDA probing lines on the user's terminal
    log_dir.mkdir(parents=True, exist_ok=True)
    now = time.time()
    times = table.column("time")
    epochs = table.column("epoch")
    tags = [(i, name) for i, name in enumerate(table.columns) if name not in SKIPPED_TAGS]
    # TensorBoard reads every file whose name holds "tfevents"; this is tf.summary's naming.
    path = log_dir / f"events.out.tfevents.{int(now)}.{socket.gethostname()}.{os.getpid()}.v2"
    written = 0
    with atomic_path(path) as temp:
        with tf.io.TFRecordWriter(str(temp)) as writer:
            start = next((t for t in times if t is not None), now)
            writer.write(
                tf.compat.v1.Event(
                    wall_time=start, file_version="brain.Event:2"
                ).SerializeToString()
            )
            for row, step, wall in zip(table.rows, epochs, times, strict=True):
                values = [
                    tf.compat.v1.Summary.Value(tag=prefix + name, simple_value=float(value))
                    for i, name in tags
                    if (value := row[i]) is not None
                ]
                if step is None or not values:
                    continue
                event = tf.compat.v1.Event(
                    wall_time=float(wall if wall is not None else now),
                    step=int(step),
                    summary=tf.compat.v1.Summary(value=values),
                )
                writer.write(event.SerializeToString())
                written += len(values)
    return path, written
