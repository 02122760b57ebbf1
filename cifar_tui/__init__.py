"""cifar-tui: train a Keras CNN on CIFAR-10 from the terminal and watch it without a browser."""

__version__ = "0.1.0"
