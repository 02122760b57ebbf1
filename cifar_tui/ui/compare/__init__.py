"""The comparison of marked runs: curves, differing settings, per-class accuracy."""
