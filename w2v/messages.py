"""Messages on standard error: ``log`` for what a run does (silenced by --quiet), ``notice`` for what a user
must see even with --quiet (warnings about the input, counts that became approximate)."""

import sys


def log(quiet, msg):
    """Print ``msg`` unless ``quiet`` (the run's --quiet)."""
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


def notice(msg):
    """Print ``msg`` whatever --quiet says: it changes what the run computes or costs."""
    print(msg, file=sys.stderr, flush=True)
