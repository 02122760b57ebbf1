"""The config form that starts a training run."""
