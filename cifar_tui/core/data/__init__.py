"""CIFAR-10 and user images, loaded offline into NumPy arrays.

Imports the standard library, NumPy, Pillow and `cifar_tui.core` only: never TensorFlow,
Textual or Rich (the app's prediction browser loads the test images through it).
"""
