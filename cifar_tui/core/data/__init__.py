"""CIFAR-10 and user images, loaded offline into NumPy arrays.

Modules: `locate` (where CIFAR-10 is on disk), `safe_pickle` (unpickling a batch without running
code), `cifar10` (loading it into arrays), `images` (a user's image files), `host_memory`
(arrays TensorFlow reads in place), `errors` (DataError).

Imports the standard library, NumPy, Pillow and `cifar_tui.core` only: never TensorFlow,
Textual or Rich (the app's prediction browser loads the test images through it).
"""
