"""What a run's test-set predictions say, and reading them for the prediction browser.

Modules: `predictions` (filters, sorting, confusions, per-class accuracy), `captions` (the text
for narrow terminals), `run_data` (a run's predictions, preview and test images, read together).
Imports the standard library, NumPy, `cifar_tui.core`, `cifar_tui.core.rundir` and
`cifar_tui.core.data` only: never TensorFlow, Textual or Rich.
"""
