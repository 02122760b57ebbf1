"""The run folder: the contract between the trainer and everything that reads a run.

Paths, atomic writes, the trainer lock, events.jsonl (typed), run summaries, checkpoints and
the .npz artifacts. Imports the standard library, NumPy and `cifar_tui.core` only: never
TensorFlow, Textual or Rich, so the app, the CLI and the trainer all share it.
"""
