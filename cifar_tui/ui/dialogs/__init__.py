"""Modal dialogs: help and quit."""
