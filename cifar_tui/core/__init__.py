"""Plain Python and NumPy: everything but the terminal UI.

Never imports Textual, Rich, `cifar_tui.ui` or `cifar_tui.app`. Only `core.training` imports
TensorFlow. Subpackages: `rundir` (the run-folder contract), `data` (CIFAR-10 and user images),
`analysis` (predictions), `host` (processes, priority, device readings), `training`.
"""
