"""The one exception type the library raises for problems a user can fix (bad input, bad options)."""


class W2VError(Exception):
    """A user-facing error: the CLI prints its message on one line and exits non-zero."""


class TrainingInterrupted(W2VError):
    """Training stopped on request (SIGINT, SIGTERM or a callback); ``exit_code`` is 130 or 143."""

    def __init__(self, message, exit_code=130):
        super().__init__(message)
        self.exit_code = exit_code
