"""The training monitor: live curves, progress, epoch table and status of one run."""
