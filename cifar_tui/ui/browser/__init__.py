"""The prediction browser: test images as pixel art, filtered and sorted; the confusion matrix."""
