"""The trainer side: the only package that imports TensorFlow and Keras.

Modules import TensorFlow at module level or lazily; nothing outside this package imports
them, except the commands that train, evaluate or predict, lazily. May import everything else
in `cifar_tui.core`; never `cifar_tui.ui`, `cifar_tui.app` or Textual.
"""
