"""The one exception type whose message a user sees as a single line (exit code 2 on the CLI)."""


class UserError(Exception):
    """Bad input or environment: the message names the input and the fix, in one line.

    The CLI prints it as `cifar-tui: error: <message>` and exits with code 2; the app shows
    it inline.
    Never raise it for a bug: those keep their tracebacks.
    """

    exit_code = 2
