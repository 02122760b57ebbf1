"""The run folder: the contract between the trainer and everything that reads a run.

folder: file names and paths; events: writing and reading events.jsonl, one typed record per
event (event_types), untrusted values read once (fields); status: a run's status, one rule;
summary: a run's headline numbers; listing: finding runs; naming: new runs and their names;
runs_table: summaries as text; notes: what a reader skipped; live: a run as it trains (its
trainer's liveness, its log's tail); lock, atomic writes, checkpoints and the .npz artifacts.
Imports the standard library, NumPy and `cifar_tui.core` only: never TensorFlow, Textual or
Rich, so the app, the CLI and the trainer all share it.
"""
