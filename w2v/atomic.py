"""Atomic file writes: write to a temporary file beside the target, then rename over it.

A large file written in order (a vectors file) can go past the page cache (``direct=True``: Linux's
O_DIRECT, through an aligned buffer): the run waits for the disk either way, since the file is synced before
it is renamed, and the page cache's copy of it (as large as the file) need not be made. On this project's
VM, 850 MB took 0.6-0.7 s against 2.9-3.2 s through the page cache (bench/RESULTS.md). Where a file
system refuses O_DIRECT (tmpfs), the file is written through the page cache as any other.
"""

import contextlib
import errno
import mmap
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


BLOCK = 4096  # O_DIRECT's alignment of memory, offsets and lengths (a multiple of every common block size)
STAGE = 8 << 20  # bytes gathered before each direct write


class DirectFile:
    """A write-only binary file that writes past the page cache: ``write`` gathers bytes in a page-aligned
    buffer, written a whole buffer at a time; ``finish`` pads the last block, truncates the file to the
    bytes written and syncs it. If the file system turns a direct write down (EINVAL), the file continues
    through the page cache."""

    def __init__(self, fd):
        import fcntl

        self.buf = mmap.mmap(-1, STAGE)  # (first: a failure here leaves the file as it was opened)
        self.view = memoryview(self.buf)
        self.fd = fd
        self.flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, self.flags | os.O_DIRECT)
        self.direct = True
        self.fill = 0
        self.length = 0

    def write(self, data):
        src = memoryview(data).cast("B")
        done = 0
        while done < len(src):
            k = min(STAGE - self.fill, len(src) - done)
            self.view[self.fill:self.fill + k] = src[done:done + k]
            self.fill += k
            done += k
            if self.fill == STAGE:
                self._flush(STAGE)
        self.length += done
        return done

    def _flush(self, nbytes):
        done = 0
        while done < nbytes:
            try:
                done += os.write(self.fd, self.view[done:nbytes])
            except OSError as e:
                if e.errno != errno.EINVAL or not self.direct:
                    raise
                import fcntl

                fcntl.fcntl(self.fd, fcntl.F_SETFL, self.flags)  # (the same bytes, through the page cache)
                self.direct = False
        self.fill = 0

    def finish(self):
        if self.fill:
            self._flush(-(-self.fill // BLOCK) * BLOCK)
        os.ftruncate(self.fd, self.length)
        os.fsync(self.fd)

    def close(self):
        self.view.release()
        self.buf.close()
        os.close(self.fd)


def _direct_file(fd):
    """A DirectFile on ``fd``, or None where this system has no O_DIRECT or refuses it for this file."""
    if not hasattr(os, "O_DIRECT"):
        return None
    try:
        return DirectFile(fd)
    except OSError:
        return None


@contextlib.contextmanager
def atomic_write(path, mode="wb", direct=False):
    """Yield a file object; on success it replaces ``path``, on any error ``path`` is left untouched.
    ``direct`` (mode "wb", a file written in order through ``write`` alone): past the page cache where the
    file system allows it (see the module's note).

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
        f = _direct_file(fd) if direct and mode == "wb" else None
        if f is not None:
            try:
                yield f
                f.finish()
            finally:
                f.close()
        else:
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
