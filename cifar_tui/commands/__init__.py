"""The headless verbs behind `cifar-tui VERB`; cli.py parses the command line and dispatches."""
