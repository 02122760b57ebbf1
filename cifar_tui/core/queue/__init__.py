"""The run queue: queued runs as files in the models folder, and the runner that starts them."""
