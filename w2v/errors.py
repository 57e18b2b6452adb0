"""The exceptions the library raises for problems a user can fix. Every one is a ``W2VError``, whose
message the CLI prints on one line before exiting non-zero; catch a subclass to tell the cases apart."""


class W2VError(Exception):
    """A user-facing error: the CLI prints its message on one line and exits non-zero."""


class OptionError(W2VError, ValueError):
    """An option that is out of range, unknown, or contradicts another option."""


class CorpusError(W2VError):
    """A corpus that is missing, unreadable, empty, binary, or too small for the options."""


class FormatError(W2VError):
    """A file (vectors, vocabulary, model, checkpoint, co-occurrences, evaluation set) that cannot be read."""


class OutputError(W2VError):
    """An output path that cannot be written."""


class WordNotFound(W2VError, KeyError):
    """A word that the vectors do not contain."""

    def __str__(self):  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ResumeError(W2VError):
    """A checkpoint that does not fit the run it should continue (other corpus, contradicting options)."""


class MemoryLimitError(W2VError, MemoryError):
    """A run whose memory estimate exceeds ``max_memory`` or the memory available."""


class TrainingDiverged(W2VError, ArithmeticError):
    """The loss or a weight became NaN or infinite; no vectors are written, the last checkpoint is kept."""


class TrainingInterrupted(W2VError):
    """Training stopped on request (SIGINT, SIGTERM or a callback); ``exit_code`` is 130 or 143."""

    def __init__(self, message, exit_code=130):
        super().__init__(message)
        self.exit_code = exit_code
