"""Atomic file writes: write to a temporary file beside the target, then rename over it."""

import contextlib
import os
import tempfile

from w2v.errors import OutputError


def _mode_for(path):
    """The permissions ``open(path, "w")`` would leave: an existing file's own, else 0666 less the umask
    (``mkstemp`` creates its file 0600, which colleagues on a shared machine could not read)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def check_target(path):
    """Refuse a path that cannot be written (a directory, a missing or read-only folder); returns the folder.
    atomic_write checks it again, and a trainer checks it before hours of training."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise OutputError(f"output path is a directory: {path}")
    if not os.path.isdir(directory):
        raise OutputError(f"output directory does not exist: {directory}")
    if not os.access(directory, os.W_OK):
        raise OutputError(f"cannot write to output directory {directory}")
    return directory


@contextlib.contextmanager
def atomic_write(path, mode="wb"):
    """Yield a file object; on success it replaces ``path``, on any error ``path`` is left untouched.

    The temporary file lives in the target's directory so the final ``os.replace`` is a rename on
    one file system (atomic on POSIX).
    """
    path = os.fspath(path)
    directory = check_target(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".w2v-", suffix=".part", dir=directory)
    except OSError as e:
        raise OutputError(f"cannot write to {directory}: {e.strerror}") from None
    try:
        os.chmod(tmp, _mode_for(path))
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise OutputError(f"cannot write {path}: {e.strerror or e}") from None
        raise
