"""Plain Python + NumPy core: never imports Textual; only trainer-side modules import TensorFlow."""
