"""`python -m cifar_tui` is the same as the `cifar-tui` command."""

from cifar_tui.cli import main

raise SystemExit(main())
