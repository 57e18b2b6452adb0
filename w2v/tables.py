"""Tables derived from the vocabulary counts: subsampling, noise distribution, Huffman tree."""

from typing import NamedTuple

import numba
import numpy as np

ONE = 1 << 32  # probabilities are stored as thresholds on a uniform 32-bit integer
ALIAS_ONE = 1 << 31  # the alias table's: on a uniform 31-bit integer, so that it fits in uint32


def keep_probabilities(counts, sample):
    """word2vec.c's probability of keeping each occurrence of a word under subsampling.

    ``p = (sqrt(c / t) + 1) * t / c`` with ``t = sample * total``, capped at 1; ``sample <= 0`` keeps all.
    """
    counts = np.asarray(counts, np.float64)
    if sample <= 0 or len(counts) == 0:
        return np.ones(len(counts))
    t = sample * counts.sum()
    return np.minimum(1.0, (np.sqrt(counts / t) + 1.0) * t / counts)


def keep_thresholds(counts, sample):
    """Keep probabilities as int64 thresholds: keep when ``rand32 < threshold``."""
    return np.minimum(np.round(keep_probabilities(counts, sample) * ONE), ONE).astype(np.int64)


def noise_distribution(counts, power=0.75):
    """The unigram^power noise distribution q(w)."""
    q = np.asarray(counts, np.float64) ** power
    return q / q.sum()


def alias_table(q):
    """Vose's alias method for exact O(1) sampling from ``q``.

    Returns a uint32 array of shape (V, 2): column 0 is the threshold (on a uniform 31-bit integer, out of
    ALIAS_ONE) for keeping the drawn slot, column 1 the alias taken otherwise. Both live in one cache line,
    and the table in half the bytes of int64 pairs: every draw reads a uniformly random slot, so the table's
    size decides how often a draw waits for memory (CBOW/NS ran 10-20% faster with it, bench/RESULTS.md).
    """
    return _alias_table(np.asarray(q, np.float64))


@numba.njit(cache=True)
def _alias_table(q):
    n = q.shape[0]
    table = np.zeros((n, 2), np.uint32)
    scaled = q * n
    small = np.empty(n, np.int64)
    large = np.empty(n, np.int64)
    ns = 0
    nl = 0
    for i in range(n):
        table[i, 1] = i
        if scaled[i] < 1.0:
            small[ns] = i
            ns += 1
        else:
            large[nl] = i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        g = large[nl - 1]
        table[s, 0] = np.uint32(scaled[s] * ALIAS_ONE)
        table[s, 1] = g
        scaled[g] = (scaled[g] + scaled[s]) - 1.0
        if scaled[g] < 1.0:
            nl -= 1
            small[ns] = g
            ns += 1
    for k in range(nl):
        table[large[k], 0] = ALIAS_ONE
    for k in range(ns):  # rounding leftovers: probability one
        table[small[k], 0] = ALIAS_ONE
    return table


def alias_probabilities(table):
    """The distribution an alias table samples from (for tests)."""
    n = len(table)
    keep = table[:, 0] / ALIAS_ONE
    p = keep / n
    np.add.at(p, table[:, 1], (1.0 - keep) / n)
    return p


class Huffman(NamedTuple):
    """Huffman codes as CSR arrays: word ``w``'s path is ``offsets[w]:offsets[w+1]`` of ``points``/``codes``.

    ``points`` are inner-node rows of the output matrix (V - 1 of them, the root is V - 2), from the
    root down; ``codes`` are the branch bits (word2vec.c: label of the logistic step is ``1 - code``).
    """

    offsets: np.ndarray
    points: np.ndarray
    codes: np.ndarray


def huffman(counts):
    """Build the tree in O(V) with word2vec.c's two queues; ``counts`` must be sorted descending."""
    counts = np.asarray(counts, np.int64)
    if len(counts) < 2:
        raise ValueError("hierarchical softmax needs at least two words")
    if np.any(np.diff(counts) > 0):
        raise ValueError("counts must be sorted in descending order")
    return Huffman(*_huffman(counts))


def huffman_unsorted(counts):
    """``huffman`` for counts in any order (the NPLM appends <unk> and </s> to the sorted vocabulary):
    the tree of the counts sorted descending (stable), its paths given back to the original ids."""
    counts = np.asarray(counts, np.int64)
    order = np.argsort(-counts, kind="stable")
    tree = huffman(counts[order])
    rank = np.empty(len(counts), np.int64)
    rank[order] = np.arange(len(counts))
    starts, lengths = tree.offsets[rank], np.diff(tree.offsets)[rank]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    take = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
    return Huffman(offsets, tree.points[take], tree.codes[take])


@numba.njit(cache=True)
def _huffman(counts):
    v = counts.shape[0]
    count = np.full(2 * v - 1, np.iinfo(np.int64).max, np.int64)
    for w in range(v):  # (an explicit loop: a slice assignment compiles Numba's shape-error path, ~1.5 s)
        count[w] = counts[w]
    parent = np.zeros(2 * v - 1, np.int64)
    binary = np.zeros(2 * v - 1, np.uint8)
    pos1 = v - 1
    pos2 = v
    for a in range(v - 1):
        mins = np.empty(2, np.int64)
        for k in range(2):
            if pos1 >= 0 and count[pos1] < count[pos2]:
                mins[k] = pos1
                pos1 -= 1
            else:
                mins[k] = pos2
                pos2 += 1
        count[v + a] = count[mins[0]] + count[mins[1]]
        parent[mins[0]] = v + a
        parent[mins[1]] = v + a
        binary[mins[1]] = 1
    root = 2 * v - 2
    depth = np.zeros(v, np.int64)
    for w in range(v):
        b = w
        while b != root:
            depth[w] += 1
            b = parent[b]
    offsets = np.zeros(v + 1, np.int64)
    for w in range(v):
        offsets[w + 1] = offsets[w] + depth[w]
    points = np.empty(offsets[v], np.int32)
    codes = np.empty(offsets[v], np.uint8)
    for w in range(v):
        i = offsets[w + 1] - 1  # fill from the leaf upwards
        b = w
        while b != root:
            codes[i] = binary[b]
            points[i] = parent[b] - v
            b = parent[b]
            i -= 1
    return offsets, points, codes
