"""The runs list: every run of the models folder, and the screen that shows it."""
