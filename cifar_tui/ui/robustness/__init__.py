"""The robustness view: a run's accuracy on corrupted test images (corruptions.json)."""
