"""Widgets and rendering helpers that more than one view uses."""
