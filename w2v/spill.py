"""Exact counts in bounded memory: the counting table's types spilled to disk and merged by hash range.

When the live table of token types (corpus.Table) reaches its limit, word2vec.c and gensim prune its
rare types, which makes the counts, and the choice of words at the vocabulary's edge, approximate. Here
the table is written instead to a *run* on disk (its entries sorted by hash, their words' bytes in the
same order) and starts again empty. At the end the runs are merged one range of hash values at a time:
a range's entries from every run go into a small open-addressing table that sums the counts of equal
words; the words counted ``min_count`` times stay as bytes, and only those that can be chosen (at most
``max_vocab`` and ties) become Python strings. Every count is exact, whatever the number of types; memory
is bounded by the limit (the table, then one range), disk holds the runs.

A type that comes back after a spill gets a new provisional id, so the scan stops writing the id stream
at the first spill and the caller encodes the corpus by a second read with the chosen words fixed
(prepare.py), as after pruning.
"""

import os

import numpy as np

from w2v import jit, scan
from w2v.scan import ST_ARENA, ST_N, find_entry

# per run, one raw file each: hashes (sorted), counts, word lengths, offsets into the run's words
_ARRAYS = (("hash", np.uint64), ("count", np.int64), ("len", np.int32), ("off", np.int64))


@jit.cached(scan, nogil=True)
def gather_words(order, e_off, e_len, arena, out, out_off):
    """Copy the words of entries ``order`` (each followed by ``\\n``) into ``out``; their offsets to ``out_off``."""
    a = 0
    for k in range(order.shape[0]):
        e = order[k]
        o = e_off[e]
        length = e_len[e]
        out_off[k] = a
        for i in range(length + 1):
            out[a + i] = arena[o + i]
        a += length + 1
    return a


@jit.cached(scan, nogil=True)
def _sum_equal(h, off, length, count, arena, slots, u_hash, u_off, u_len, u_count):
    """Sum the counts of equal words among entries ``i`` (hash ``h[i]``, bytes ``arena[off[i]:off[i] +
    length[i]]``): distinct words go to ``u_*`` (the first entry's bytes); returns how many there are."""
    slots[:] = -1
    n = 0
    for i in range(h.shape[0]):
        j, e = find_entry(arena, off[i], length[i], h[i], slots, u_hash, u_off, u_len, arena)
        if e < 0:
            e = n
            n += 1
            slots[j] = e
            u_hash[e] = h[i]
            u_off[e] = off[i]
            u_len[e] = length[i]
            u_count[e] = 0
        u_count[e] += count[i]
    return n


def distinct(h, off, length, count, arena):
    """The distinct words among entries ``i`` (hash ``h[i]``, bytes ``arena[off[i]:off[i] + length[i]]``)
    with their counts summed: ``(offsets, lengths, counts)`` (each word's first entry's bytes), and the
    bytes the table took."""
    m = len(h)
    slots = np.empty(1 << int(2 * m).bit_length(), np.int32)
    u_hash, u_off, u_len, u_count = (np.empty(m, t) for t in (np.uint64, np.int64, np.int32, np.int64))
    n = _sum_equal(h, off, length, count, arena, slots, u_hash, u_off, u_len, u_count)
    return u_off[:n], u_len[:n], u_count[:n], sum(a.nbytes for a in (slots, u_hash, u_off, u_len, u_count))


class Runs:
    """The runs a scan spilled to ``workdir``; ``spill(table)`` writes one and empties the table. The runs
    are read back with plain reads, range by range (a memory map's pages would count as resident)."""

    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "spill")
        self.n = 0
        self.entries = 0  # entries over all runs
        self.bytes = 0  # disk the runs take
        self.peak = 0  # bytes a spill held at its peak, the table's included

    def _path(self, k, name):
        return os.path.join(self.dir, f"run{k}.{name}")

    def _read(self, k, name, dtype, lo, hi):
        return np.fromfile(self._path(k, name), dtype, count=hi - lo, offset=lo * np.dtype(dtype).itemsize)

    def spill(self, table):
        os.makedirs(self.dir, exist_ok=True)
        n = int(table.st[ST_N])
        order = np.argsort(table.e_hash[:n], kind="stable")
        words = np.empty(int(table.st[ST_ARENA]), np.uint8)
        off = np.empty(n, np.int64)
        used = gather_words(order, table.e_off, table.e_len, table.arena, words, off)
        self.peak = max(self.peak, table.nbytes() + order.nbytes + words.nbytes + 2 * off.nbytes)
        for name, a in (("off", off), ("words", words[:used]), ("hash", table.e_hash), ("count", table.e_count),
                        ("len", table.e_len)):
            a = a if name in ("off", "words") else a[order]  # (one sorted copy at a time)
            a.tofile(self._path(self.n, name))
            self.bytes += a.nbytes
        self.n += 1
        self.entries += n
        table.st[ST_N] = 0
        table.st[ST_ARENA] = 0
        table.slots[:] = -1

    def merge(self, min_count=1, max_vocab=None, range_entries=1 << 21):
        """Every word counted at least ``min_count`` times over all runs, with its exact count:
        ``(words, counts, types, peak bytes)``. The hash values are cut into ranges of about
        ``range_entries / 2`` entries. With ``max_vocab`` words that cannot be among the ``max_vocab`` most
        frequent are left out as the merge goes. The runs are deleted."""
        bits = max(0, int(np.ceil(np.log2(max(1, 2 * self.entries / range_entries)))))
        bounds = np.array([np.uint64(r) << np.uint64(64 - bits) for r in range(1, 1 << bits)] if bits else [],
                          np.uint64)
        cuts = []
        for k in range(self.n):
            h = np.fromfile(self._path(k, "hash"), np.uint64)
            cuts.append(np.concatenate([[0], np.searchsorted(h, bounds), [len(h)]]).astype(np.int64))
        del h
        chunks = []  # the candidates of each range: a _Chunk
        types = peak = 0
        for g in range(1 << bits):
            parts = [(k, int(c[g]), int(c[g + 1])) for k, c in enumerate(cuts) if c[g + 1] > c[g]]
            if not parts:
                continue
            cols = {name: [self._read(k, name, dtype, lo, hi) for k, lo, hi in parts] for name, dtype in _ARRAYS}
            off, blobs, base = [], [], 0
            for (k, _, _), o, n in zip(parts, cols["off"], cols["len"]):
                start, end = int(o[0]), int(o[-1]) + int(n[-1]) + 1
                off.append(o - start + base)
                blobs.append(self._read(k, "words", np.uint8, start, end))
                base += end - start
            h, count, length = (np.concatenate(cols[name]) for name in ("hash", "count", "len"))
            del cols
            off, arena = np.concatenate(off), np.concatenate(blobs)
            del blobs
            u_off, u_len, u_count, work = distinct(h, off, length, count, arena)
            peak = max(peak, work + sum(a.nbytes for a in (h, count, length, off, arena)))
            types += len(u_count)
            chunks.append(_Chunk.of(np.flatnonzero(u_count >= min_count), arena, u_off, u_len, u_count))
            if max_vocab is not None and sum(len(c.count) for c in chunks) > 2 * max_vocab:
                chunks = _top(chunks, max_vocab)
        for k in range(self.n):
            for name in [a for a, _ in _ARRAYS] + ["words"]:
                os.unlink(self._path(k, name))
        os.rmdir(self.dir)
        if max_vocab is not None:
            chunks = _top(chunks, max_vocab)
        # only now are the words decoded: a Python str each (the scan stored valid UTF-8 only)
        words = [w for c in chunks for w in bytes(c.words).decode("utf-8").split("\n")[:-1]]
        counts = np.concatenate([c.count for c in chunks]) if chunks else np.zeros(0, np.int64)
        return words, counts, types, peak


class _Chunk:
    """Candidate words in compact form: their bytes (each followed by ``\n``) and counts."""

    def __init__(self, words, off, length, count):
        self.words, self.off, self.len, self.count = words, off, length, count

    @classmethod
    def of(cls, keep, arena, off, length, count):
        """The entries ``keep`` of words at ``arena[off:off + length]``."""
        words = np.empty(int(length[keep].sum()) + len(keep), np.uint8)
        new_off = np.empty(len(keep), np.int64)
        used = gather_words(keep, off, length, arena, words, new_off)
        return cls(words[:used], new_off, length[keep], count[keep])

    def take(self, keep):
        return _Chunk.of(keep, self.words, self.off, self.len, self.count)


def _top(chunks, k):
    """The candidates the ``k`` most frequent words could be among: a count at least the k-th largest
    (ties included)."""
    counts = np.concatenate([c.count for c in chunks])
    if len(counts) <= k:
        return chunks
    edge = np.partition(counts, len(counts) - k)[len(counts) - k]
    return [c.take(np.flatnonzero(c.count >= edge)) for c in chunks]
