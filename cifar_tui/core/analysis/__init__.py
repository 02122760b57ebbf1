"""What a run's test-set predictions say: filters, sorting, confusions, per-class accuracy.

Imports the standard library, NumPy, `cifar_tui.core` and `cifar_tui.core.rundir` only.
"""
