"""Co-occurrence counting for GloVe, in bounded memory.

Counts X[i, j] (the weighted number of times context word j appears within ``window`` words of word
i, never across a sentence end) over the encoded corpus. Frequent pairs (both ids below ``dense_n``)
go to a dense block; the rest to an open-addressing hash map of int64 keys (``i * V + j``) and float64
values. When the map is full it is sorted and spilled to a run file; runs are merged two at a time
(three files open at most) through fixed buffers, so memory stays within the budget and the number of
open files stays bounded whatever the corpus size. A matrix too large to hold in the budget is expanded
block by block into shuffled buckets on disk (buckets.py), which GloVe's epochs then read in turn.

With ``symmetric`` a pair is stored once under (min, max) and expanded at the end: X[a, b] = X[b, a],
and a word co-occurring with itself counts from both sides (as GloVe's cooccur does).
"""

import os
from typing import NamedTuple

import numba
import numpy as np

from w2v.errors import CorpusError, FormatError, OptionError

_EMPTY = np.int64(-1)
MERGE_BLOCK = 1 << 20  # entries per buffer when merging runs and expanding them


class Cooccurrences(NamedTuple):
    """X as COO arrays (each stored pair once per direction), plus the options that made it."""

    rows: np.ndarray  # int32
    cols: np.ndarray  # int32
    vals: np.ndarray  # float64
    n_words: int
    window: int
    symmetric: bool
    distance_weighting: bool
    spills: int  # sorted runs written to disk while counting
    matrix: object = None  # buckets.Matrix when the nonzeros were left on disk (rows/cols/vals are then None)

    @property
    def nonzeros(self):
        return self.matrix.nonzeros if self.matrix is not None else len(self.vals)


@numba.njit(cache=True, nogil=True)
def _add(key, weight, keys, vals, mask):
    j = np.int64((np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(20)) & mask
    while True:
        k = keys[j]
        if k == key:
            vals[j] += weight
            return 0
        if k == -1:
            keys[j] = key
            vals[j] = weight
            return 1
        j = (j + 1) & mask


@numba.njit(cache=True, nogil=True)
def count_block(ids, start, n, n_words, window, symmetric, distance_weighting, dense, dense_n, keys, vals,
                used, limit):
    """Add the co-occurrences of the sentences in ``ids[start:n]``; returns (stop position, used).

    Stops at a sentence start when the hash map could overflow ``limit`` entries within the next
    sentence, so the caller can spill and call again from there.
    """
    mask = np.int64(keys.shape[0] - 1)
    i = start
    while i < n:
        # one sentence: ids[i:e]
        e = i
        while ids[e] >= 0:
            e += 1
        if used + 2 * window * (e - i) > limit:
            return i, used
        for p in range(i, e):
            a = ids[p]
            lo = max(i, p - window)
            for q in range(lo, p):  # left context of p; the right side comes from symmetry
                b = ids[q]
                w = 1.0 / (p - q) if distance_weighting else 1.0
                if symmetric:
                    r, c = (a, b) if a <= b else (b, a)
                else:
                    r, c = a, b
                if r < dense_n and c < dense_n:
                    dense[r * dense_n + c] += w
                else:
                    used += _add(np.int64(r) * n_words + c, w, keys, vals, mask)
        i = e + 1
    return i, used


@numba.njit(cache=True, nogil=True)
def merge_blocks(ka, va, kb, vb, ko, vo, a_last, b_last):
    """Merge blocks of two key-sorted runs, summing equal keys, until a block that is not its run's last
    is used up (two whole runs: both last); returns (taken from a, taken from b, written)."""
    i = j = m = 0
    na, nb = ka.shape[0], kb.shape[0]
    while (i < na or a_last) and (j < nb or b_last) and (i < na or j < nb):
        if j >= nb or (i < na and ka[i] < kb[j]):
            k, v = ka[i], va[i]
            i += 1
        elif i >= na or kb[j] < ka[i]:
            k, v = kb[j], vb[j]
            j += 1
        else:
            k, v = ka[i], va[i] + vb[j]
            i += 1
            j += 1
        ko[m] = k
        vo[m] = v
        m += 1
    return i, j, m


@numba.njit(cache=True, nogil=True)
def expand(keys, vals, n_words, symmetric, rows, cols, out):
    """Keys to (row, col, value); with ``symmetric`` each stored pair (a, b), a < b, is listed both ways
    and a diagonal pair counts twice (a word next to itself is seen from both sides)."""
    m = 0
    for t in range(keys.shape[0]):
        a, b = keys[t] // n_words, keys[t] % n_words
        rows[m], cols[m], out[m] = a, b, vals[t]
        m += 1
        if symmetric:
            if a == b:
                out[m - 1] *= 2.0
            else:
                rows[m], cols[m], out[m] = b, a, vals[t]
                m += 1
    return m


def _budget(memory_gb, n_words):
    """Split the memory budget: dense block side, hash-map slots (a power of two) and its fill limit."""
    budget = int(memory_gb * (1 << 30))
    dense_n = int(min(n_words, max(0, np.sqrt(0.15 * budget / 8))))
    # the map (16 bytes a slot) and, when it spills, its sorted copy (24 bytes an entry at 0.7 load): 0.35 +
    # 0.37 of the budget, with the dense block 0.87 (the rest is left to the interpreter and the buffers)
    slots = 1 << max(10, int(np.log2(max(1024, 0.35 * budget / 16))))
    return dense_n, slots, int(0.7 * slots)


def _write_run(workdir, index, keys, vals):
    """Write a sorted run (raw int64 keys, raw float64 values); returns (base path, length)."""
    base = os.path.join(workdir, f"run{index}")
    keys.tofile(base + ".keys")
    vals.tofile(base + ".vals")
    return base, len(keys)


def _run_blocks(run, size=MERGE_BLOCK):
    """Yield (keys, vals, last) blocks of a run, read with plain reads (never mapped: bounded memory)."""
    base, length = run
    with open(base + ".keys", "rb") as fk, open(base + ".vals", "rb") as fv:
        left = length
        while left > 0:
            n = min(size, left)
            left -= n
            yield np.fromfile(fk, np.int64, n), np.fromfile(fv, np.float64, n), left == 0


def _remove_run(run):
    for suffix in (".keys", ".vals"):
        os.unlink(run[0] + suffix)


@numba.njit(cache=True, nogil=True)
def compact(keys, vals):
    """Move the occupied slots of the hash map to its front, in place; returns how many there are."""
    n = 0
    for j in range(keys.shape[0]):
        if keys[j] >= 0:
            keys[n] = keys[j]
            vals[n] = vals[j]
            n += 1
    return n


def _drain(keys, vals):
    """The occupied slots of the hash map, sorted by key; the map is emptied. Compacting in place first
    keeps the extra memory to the sort's index and the sorted copies (24 bytes an entry)."""
    n = compact(keys, vals)
    order = np.argsort(keys[:n], kind="stable")
    out_k, out_v = keys[:n][order], vals[:n][order]
    del order
    keys.fill(-1)
    return out_k, out_v


def _merge_two(a, b, base):
    """Merge the runs ``a`` and ``b`` into a run at ``base`` through buffers of MERGE_BLOCK entries."""
    empty = np.zeros(0, np.int64), np.zeros(0, np.float64), True
    blocks_a, blocks_b = _run_blocks(a), _run_blocks(b)
    ka, va, la = next(blocks_a, empty)
    kb, vb, lb = next(blocks_b, empty)
    ko, vo = np.empty(2 * MERGE_BLOCK, np.int64), np.empty(2 * MERGE_BLOCK, np.float64)
    m_total = 0
    with open(base + ".keys", "wb") as fk, open(base + ".vals", "wb") as fv:
        while len(ka) or len(kb):
            i, j, m = merge_blocks(ka, va, kb, vb, ko, vo, la, lb)
            ko[:m].tofile(fk)
            vo[:m].tofile(fv)
            m_total += m
            ka, va, kb, vb = ka[i:], va[i:], kb[j:], vb[j:]
            if not len(ka) and not la:
                ka, va, la = next(blocks_a)
            if not len(kb) and not lb:
                kb, vb, lb = next(blocks_b)
    return base, m_total


def _merge_all(runs, workdir):
    """Merge runs pairwise until one remains: two inputs and one output open at a time."""
    counter = len(runs)
    while len(runs) > 1:
        a, b = runs.pop(0), runs.pop(0)
        merged = _merge_two(a, b, os.path.join(workdir, f"run{counter}"))
        counter += 1
        _remove_run(a)
        _remove_run(b)
        runs.append(merged)
    return runs[0]


def in_memory_bytes(entries, symmetric):
    """Peak bytes of the matrix held in memory for training: the sorted entries (16 bytes each) and their
    expansion (int32 rows and cols, float64 values, then float32 values for training)."""
    return 16 * entries + 20 * (2 * entries if symmetric else entries)


def count(encoded, n_words, workdir, window=10, symmetric=True, distance_weighting=True, memory_gb=4.0,
          progress=None, dense_words=None, map_entries=None, on_disk=None, seed=1, tile=0):
    """Count co-occurrences over an EncodedCorpus; returns Cooccurrences (each direction listed).

    When the matrix held in memory would exceed ``memory_gb`` (or ``on_disk``), the nonzeros are left on
    disk in shuffled buckets (buckets.py, seeded by ``seed``, each bucket in tiles of ``tile`` words a side:
    glove_kernels.tiled_shuffle) and ``Cooccurrences.matrix`` holds them.
    ``dense_words`` and ``map_entries`` override the split of ``memory_gb`` (the tests use them to force
    many spills on a small corpus).
    """
    if n_words < 1:
        raise CorpusError("co-occurrence counting needs a non-empty vocabulary")
    dense_n, slots, limit = _budget(memory_gb, n_words)
    if dense_words is not None:
        dense_n = min(dense_words, n_words)
    if map_entries is not None:
        limit = map_entries
        slots = 1 << int(np.ceil(np.log2(map_entries / 0.7)))
    dense = np.zeros(dense_n * dense_n, np.float64)
    keys = np.full(slots, -1, np.int64)
    vals = np.zeros(slots, np.float64)
    used = 0
    runs = []
    for _, block in encoded.blocks():
        pos = 0
        while True:
            pos, used = count_block(block, pos, len(block), n_words, window, symmetric, distance_weighting,
                                    dense, dense_n, keys, vals, used, limit)
            if pos >= len(block):
                break
            if used == 0:
                raise OptionError(f"--memory {memory_gb} GB is too small to count one sentence with --window {window}")
            runs.append(_write_run(workdir, len(runs), *_drain(keys, vals)))
            used = 0
        if progress is not None:
            progress(len(block))
    spills = len(runs)
    dense_idx = np.flatnonzero(dense)
    dense_keys = (dense_idx // dense_n) * n_words + dense_idx % dense_n  # sorted: row-major in both
    dense_vals = dense[dense_idx]
    del dense
    map_keys, map_vals = _drain(keys, vals)
    del keys, vals
    if runs:
        runs.append(_write_run(workdir, len(runs), map_keys, map_vals))
        runs.append(_write_run(workdir, len(runs), dense_keys, dense_vals))
        del map_keys, map_vals, dense_keys, dense_vals
        final = _merge_all(runs, workdir)
        entries = final[1]
        blocks = _run_blocks(final)
    else:
        k = np.empty(len(map_keys) + len(dense_keys), np.int64)
        v = np.empty(len(k), np.float64)
        entries = merge_blocks(map_keys, map_vals, dense_keys, dense_vals, k, v, True, True)[2]
        del map_keys, map_vals, dense_keys, dense_vals
        blocks = iter([(k[:entries], v[:entries], True)])
        final = None
    budget = int(memory_gb * (1 << 30))
    if on_disk is None:
        on_disk = in_memory_bytes(entries, symmetric) > budget
    if on_disk:  # the nonzeros go to shuffled buckets on disk, each half the budget at most
        from w2v import buckets

        writer = buckets.Writer(workdir, buckets.bucket_count(2 * entries if symmetric else entries, budget), seed,
                                 tile)
        for k, v, _ in blocks:
            for a in range(0, len(k), MERGE_BLOCK):
                kk, vv = k[a:a + MERGE_BLOCK], v[a:a + MERGE_BLOCK]
                n_out = 2 * len(kk) if symmetric else len(kk)
                rows, cols, out = np.empty(n_out, np.int32), np.empty(n_out, np.int32), np.empty(n_out, np.float64)
                m = expand(kk, vv, n_words, symmetric, rows, cols, out)
                writer.add(rows[:m], cols[:m], out[:m])
        if final is not None:
            _remove_run(final)
        matrix = writer.finish()
        return Cooccurrences(None, None, None, n_words, window, symmetric, distance_weighting, spills, matrix)
    if final is not None:
        parts = list(blocks)
        k = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
        v = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.float64)
        del parts
        _remove_run(final)
    else:
        k, v = k[:entries], v[:entries]
    n_out = len(k) + (len(k) - int(np.count_nonzero(k // n_words == k % n_words)) if symmetric else 0)
    rows, cols, vals = np.empty(n_out, np.int32), np.empty(n_out, np.int32), np.empty(n_out, np.float64)
    expand(k, v, n_words, symmetric, rows, cols, vals)
    del k, v
    return Cooccurrences(rows, cols, vals, n_words, window, symmetric, distance_weighting, spills)


def save(cooc, vocab, path):
    """Write the matrix and its vocabulary to an .npz file (atomically)."""
    from w2v.atomic import atomic_write

    with atomic_write(path, "wb") as f:
        np.savez(f, rows=cooc.rows, cols=cooc.cols, vals=cooc.vals, words=np.array("\n".join(vocab.words)),
                 counts=vocab.counts, window=cooc.window, symmetric=cooc.symmetric,
                 distance_weighting=cooc.distance_weighting, format=np.array("w2v-cooccur-1"))


def load(path):
    """Read a co-occurrence file written by ``save``; returns (Cooccurrences, Vocab)."""
    from w2v.vocab import Vocab

    if not os.path.isfile(path):
        raise FormatError(f"co-occurrence file not found: {path}")
    try:
        z = np.load(path, allow_pickle=False)
        if str(z["format"]) != "w2v-cooccur-1":
            raise KeyError
        words = str(z["words"]).split("\n")
        vocab = Vocab(words, z["counts"])
        cooc = Cooccurrences(z["rows"], z["cols"], z["vals"], len(words), int(z["window"]),
                             bool(z["symmetric"]), bool(z["distance_weighting"]), 0)
    except (KeyError, ValueError, OSError, EOFError) as e:
        raise FormatError(f"{path} is not a co-occurrence file written by 'w2v cooccur' ({type(e).__name__})") from None
    if len(cooc.rows) and (cooc.rows.max() >= len(words) or cooc.cols.max() >= len(words)):
        raise FormatError(f"{path}: word ids exceed the vocabulary")
    return cooc, vocab
