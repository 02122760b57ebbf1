"""The Textual UI: a package per view (runs, monitor, browser, config), dialogs, common widgets.

May import Textual, Rich, plotext and `cifar_tui.core` (never `core.training`, which imports
TensorFlow). Views talk to the app by posting messages, never by calling it.
"""
