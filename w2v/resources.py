"""Memory and disk: what a run will take (estimates), what the machine has, the checks before any work
starts, and giving freed memory back."""

import os

from w2v.errors import CorpusError, MemoryLimitError
from w2v.messages import log


def available_memory_gb():
    """MemAvailable from /proc/meminfo, or None where it cannot be read."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / (1 << 20)
    except (OSError, ValueError):
        pass
    return None


def release_free_memory():
    """Hand the C heap's free pages back to the system (glibc's malloc_trim, as Dask's workers do): the
    counting pass frees many arrays below glibc's mmap threshold, whose pages would otherwise stay resident
    under the weights allocated next (200 MB at 100M tokens). Elsewhere a no-op."""
    _glibc("malloc_trim", 0)


def keep_freed_heap():
    """glibc: serve large allocations from the heap too, and keep freed pages there (no mmap per array, no
    trim). For a process that allocates and frees arrays of the same sizes again and again, as a Dask
    replica does every round (the changed rows it sends, the combined rows it receives), the pages are then
    faulted in once rather than every round (cbow on bench-en, `--dask local:2`: 1.04M minor page faults
    -> 0.43M). Only for processes w2v owns (a local:N cluster's workers); elsewhere a no-op."""
    _glibc("mallopt", -4, 0)  # M_MMAP_MAX: no allocation by mmap
    _glibc("mallopt", -1, 1 << 30)  # M_TRIM_THRESHOLD: keep up to 1 GB free at the heap's top


def plain_copy(a):
    """A copy of the array ``a`` in memory mapped for it alone, of ordinary pages. numpy asks the kernel for
    huge pages for every array of 4 MB or more (madvise), and where the kernel then compacts memory to
    make them (Linux's default ``defrag`` setting, ``madvise``), each fresh such array takes 5-8x as long to
    fill: 55 ms against 7 for 23 MB on the development machine. The weights that kernels read at random
    want huge pages; a copy read and written in row order, as the Dask replicas' snapshots, does not."""
    import mmap

    import numpy as np

    out = np.frombuffer(mmap.mmap(-1, max(a.nbytes, 1)), a.dtype, count=a.size).reshape(a.shape)
    np.copyto(out, a)
    return out


def _glibc(name, *args):
    """Call the C library's function ``name`` where it has one (glibc's malloc_trim, mallopt)."""
    import ctypes
    import ctypes.util

    try:
        getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), name)(*args)
    except (OSError, AttributeError):
        pass


def memory_estimate(weights, tables, buffers, runtime=200 << 20):
    """Bytes a run will allocate, by kind (``runtime``: Numba's and the interpreter's own)."""
    return {"weights": weights, "tables": tables, "buffers": buffers, "runtime": runtime,
            "total": weights + tables + buffers + runtime}


def check_memory(estimate, run, remedy):
    """Print the estimate; refuse (MemoryLimitError) beyond --max-memory or the memory available."""
    gb = estimate["total"] / (1 << 30)
    limit = run.max_memory if run.max_memory is not None else available_memory_gb()
    disk, counting, spilled = estimate.get("disk"), estimate.get("counting") or 0, estimate.get("spilled") or 0
    peak = max(estimate["total"], counting + estimate["runtime"]) / (1 << 30)
    log(run.quiet, f"memory estimate: {gb:.2f} GB (weights {estimate['weights'] / (1 << 30):.2f} GB, tables "
                   f"{estimate['tables'] / (1 << 20):.0f} MB, buffers and runtime "
                   f"{(estimate['buffers'] + estimate['runtime']) / (1 << 20):.0f} MB)"
                   + (f"; counting the words took {counting / (1 << 20):.0f} MB (peak of the run {peak:.2f} GB)"
                      if counting else "")
                   + (f"; temporary disk {disk / (1 << 30):.2f} GB" if disk is not None else "")
                   + (f" (the counts spilled while counting took {spilled / (1 << 30):.2f} GB)" if spilled else ""))
    if limit is not None and gb > limit:
        which = "--max-memory" if run.max_memory is not None else "the available memory"
        raise MemoryLimitError(f"training needs about {gb:.2f} GB, more than {which} ({limit:.2f} GB): {remedy}")


def disk_used(workdir):
    """Bytes of the files in a run's work directory."""
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(workdir) for f in files)


def disk_estimate(corpus, cfg):
    """Temporary disk a run needs at its peak, from the input files' sizes, or None when they are not known
    (standard input, an iterable). Counting writes 4 bytes per token, encoding 4 more (both exist at the
    end of the encoding); plain text averages about 6 bytes per token, compressed text 3-4x fewer; GloVe
    adds its spilled runs, at most twice its --memory. Counting beyond corpus.LIVE_TYPES types spills its
    table (6 bytes a token of Zipf text, bench/RESULTS.md), deleted before the second read writes the two
    streams, so those 8 bytes cover it."""
    from w2v.corpus import file_size, input_paths

    paths = input_paths(corpus)
    if paths is None:
        return None
    ratio = {".gz": 3.5, ".bz2": 4.5, ".xz": 4.5, ".lzma": 4.5}
    text = 0.0
    for p in paths:
        try:
            text += file_size(p) * ratio.get(os.path.splitext(p)[1].lower(), 1.0)
        except (OSError, CorpusError):
            return None
    need = 8 * text / 6
    if cfg.model == "glove":
        need += 2 * cfg.memory * (1 << 30)
    return need


def check_disk(corpus, cfg, workdir):
    """Refuse before reading when the work directory's disk lacks the estimated temporary space."""
    import shutil

    need = disk_estimate(corpus, cfg)
    if need is None:
        return
    free = shutil.disk_usage(workdir).free
    if need > free:
        raise MemoryLimitError(f"the temporary files need about {need / (1 << 30):.2f} GB but "
                               f"{os.path.dirname(workdir)} has {free / (1 << 30):.2f} GB free: give --tmp-dir "
                               "on a larger disk")
