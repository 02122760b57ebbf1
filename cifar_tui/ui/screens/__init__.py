"""The app's screens: one per view (runs, monitor, browse, config), plus help and quit dialogs."""
