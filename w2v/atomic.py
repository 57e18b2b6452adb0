"""Atomic file writes: write to a temporary file beside the target, then rename over it."""

import contextlib
import os
import tempfile

from w2v.errors import W2VError


@contextlib.contextmanager
def atomic_write(path, mode="wb"):
    """Yield a file object; on success it replaces ``path``, on any error ``path`` is left untouched.

    The temporary file lives in the target's directory so the final ``os.replace`` is a rename on
    one file system (atomic on POSIX).
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise W2VError(f"output path is a directory: {path}")
    if not os.path.isdir(directory):
        raise W2VError(f"output directory does not exist: {directory}")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".w2v-", suffix=".part", dir=directory)
    except OSError as e:
        raise W2VError(f"cannot write to {directory}: {e.strerror}") from None
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise W2VError(f"cannot write {path}: {e.strerror or e}") from None
        raise
