"""The one exception type the library raises for problems a user can fix (bad input, bad options)."""


class W2VError(Exception):
    """A user-facing error: the CLI prints its message on one line and exits non-zero."""
