"""GloVe's nonzeros on disk, shuffled in bounded memory (the matrix need not fit in RAM).

Each nonzero (row int32, col int32, value float32: 12 bytes) goes to one of ``K`` bucket files chosen
uniformly at random (seeded); then each bucket, small enough for the memory budget, is loaded, shuffled
in place (Fisher-Yates, seeded by the bucket) and written back as three contiguous arrays. Reading the
buckets in order gives a uniformly random permutation of the nonzeros: every permutation is equally
likely, because for each split into bucket sizes exactly one assignment and one order per bucket
produce it. (GloVe's own shuffle, chunks shuffled and merged by turns, is only approximately uniform.)
With ``--pair-order tiled`` (the default) each bucket is shuffled in tiles instead
(glove_kernels.tiled_shuffle): its pairs grouped by the blocks of their two words' ids, the tiles in a
random order, each tile's pairs in a random order.

An epoch reads the buckets one by one, the next one in a thread while the kernel trains on the current,
so two buckets are in memory at a time.
"""

import os
import threading
from typing import NamedTuple

import numpy as np

RECORD = np.dtype([("row", np.int32), ("col", np.int32), ("val", np.float32)])
MAX_BUCKETS = 1000  # files open at once while distributing


def bucket_count(nonzeros, budget_bytes):
    """Buckets so that two of them (with room for the binomial spread of their sizes) take at most 0.6 of
    the budget, the rest being the interpreter's and the buffers'."""
    per_bucket = max(1, int(0.3 * budget_bytes / RECORD.itemsize / 1.1))
    return max(1, -(-nonzeros // per_bucket))


class Writer:
    """Distributes blocks of nonzeros into ``n`` bucket files under ``workdir``."""

    def __init__(self, workdir, n, seed, tile=0):
        if n > MAX_BUCKETS:
            from w2v.errors import OptionError

            raise OptionError(f"the co-occurrence matrix needs {n} buckets of --memory / 2 each; raise --memory")
        self.paths = [os.path.join(workdir, f"bucket{k}.bin") for k in range(n)]
        self.files = [open(p, "wb") for p in self.paths]
        self.sizes = np.zeros(n, np.int64)
        self.rng = np.random.Generator(np.random.PCG64([seed, 0x6C6F7665]))
        self.seed, self.tile = seed, tile

    def add(self, rows, cols, vals):
        n = len(self.files)
        block = np.empty(len(rows), RECORD)
        block["row"], block["col"], block["val"] = rows, cols, vals
        which = self.rng.integers(0, n, len(block)) if n > 1 else np.zeros(len(block), np.int64)
        order = np.argsort(which, kind="stable")
        block = block[order]
        bounds = np.searchsorted(which[order], np.arange(n + 1))
        for k in range(n):
            if bounds[k + 1] > bounds[k]:
                self.files[k].write(block[bounds[k]:bounds[k + 1]].tobytes())
        self.sizes += np.diff(bounds)

    def finish(self):
        """Close the files, shuffle each bucket and rewrite it as rows, cols, vals; returns a Matrix."""
        from w2v import glove_kernels

        for f in self.files:
            f.close()
        for k, path in enumerate(self.paths):
            block = np.fromfile(path, RECORD)
            rows, cols, vals = (np.ascontiguousarray(block[name]) for name in ("row", "col", "val"))
            del block
            glove_kernels.tiled_shuffle(rows, cols, vals, self.seed * 1_000_003 + k, self.tile)
            with open(path, "wb") as f:
                for a in (rows, cols, vals):
                    f.write(a.tobytes())
        return Matrix(tuple(self.paths), tuple(int(s) for s in self.sizes))


class Matrix(NamedTuple):
    """The shuffled buckets: ``paths[k]`` holds ``sizes[k]`` nonzeros as rows, cols, vals arrays."""

    paths: tuple
    sizes: tuple

    @property
    def nonzeros(self):
        return sum(self.sizes)

    def largest(self):
        """Bytes of the largest bucket in memory."""
        return max(self.sizes) * RECORD.itemsize if self.sizes else 0

    def load(self, k):
        n = self.sizes[k]
        data = np.fromfile(self.paths[k], np.uint8)
        return (data[:4 * n].view(np.int32), data[4 * n:8 * n].view(np.int32), data[8 * n:12 * n].view(np.float32))

    def buckets(self, first=0):
        """Yield ``(k, (rows, cols, vals))`` from bucket ``first`` on, reading the next while the caller works."""
        result = {}

        def read(k):
            result[k] = self.load(k)

        if first >= len(self.paths):
            return
        t = threading.Thread(target=read, args=(first,))
        t.start()
        for k in range(first, len(self.paths)):
            t.join()
            current = result.pop(k)
            if k + 1 < len(self.paths):
                t = threading.Thread(target=read, args=(k + 1,))
                t.start()
            yield k, current
            del current
