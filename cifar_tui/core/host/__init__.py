"""The machine the app runs on: trainer processes, CPU priority, GPU (NVML) and CPU/RAM readings.

Modules: `launcher` (trainer processes), `priority` (the app's CPU policy), `gpu` (NVML),
`system` (CPU/RAM through psutil).

Imports the standard library, psutil, nvidia-ml-py (lazily) and `cifar_tui.core` only: never
TensorFlow, Textual or Rich.
"""
