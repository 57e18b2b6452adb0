"""GloVe (Pennington et al. 2014): weighted least squares on log co-occurrence counts, by AdaGrad.

    J = sum over nonzero X[i, j] of  f(X[i, j]) * (w_i . c_j + b_i + b~_j - log X[i, j])^2 / 2
    f(x) = min(1, (x / x_max)^power)

This module holds the kernels (trainers/glove.py drives them). Word vectors ``W``, context vectors ``C``
and the two biases are separate arrays, each with its AdaGrad sum of squared gradients (initialised to 1,
as GloVe's C code does). One epoch visits every nonzero once in a seeded shuffled order, hogwild over
chunks of that order (``epoch``); with one thread the chunks run in order, so ``--threads 1 --seed S`` is
deterministic. The order is shuffled in tiles by default (``tiled_shuffle``): a tile's pairs share a few
hundred row words and column words, so their rows stay in the caches while the tile trains.
"""

import math

import numba
import numpy as np
from numba import prange

from w2v import jit
from w2v.jit import FASTMATH, cast_like, prefetch, renamed, rng_next, row_compiler

CHUNK = 65536  # nonzeros per hogwild chunk
SLICE = 64  # chunks per kernel call (one progress-bar step)
AHEAD = 6  # the update whose four rows are asked for while this one is trained (see _epoch)


@numba.njit(fastmath=FASTMATH, inline="always")
def adagrad_step(W, C, bw, bc, gW, gC, gbw, gbc, i, j, x, x_max, power, eta, clip):
    """One AdaGrad step on the pair (i, j) with count ``x``; returns its cost f(x) diff^2 / 2."""
    wi, cj, gwi, gcj = W[i], C[j], gW[i], gC[j]
    s = cast_like(0.0, wi)
    for k in range(wi.shape[0]):
        s += wi[k] * cj[k]
    diff = np.float64(s) + bw[i] + bc[j] - math.log(x)
    fx = 1.0 if x >= x_max else (x / x_max) ** power
    fdiff = fx * diff
    cost = 0.5 * fdiff * diff
    fdiff *= eta
    fd = cast_like(fdiff, wi)
    lim = cast_like(clip, wi)
    for k in range(wi.shape[0]):
        t1 = min(max(fd * cj[k], -lim), lim)  # gradient of w_i (times eta), clipped as in GloVe
        t2 = min(max(fd * wi[k], -lim), lim)
        wi[k] -= t1 / math.sqrt(gwi[k])
        cj[k] -= t2 / math.sqrt(gcj[k])
        gwi[k] += t1 * t1
        gcj[k] += t2 * t2
    bw[i] -= fdiff / math.sqrt(gbw[i])
    bc[j] -= fdiff / math.sqrt(gbc[j])
    gbw[i] += fdiff * fdiff
    gbc[j] += fdiff * fdiff
    return cost


def _epoch(rows, cols, vals, starts, ends, params, x_max, power, eta, clip, costs, done, stop):
    """The chunks ``starts[c]:ends[c]`` of the shuffled nonzeros, each chunk's cost into ``costs[c]`` and 1
    into ``done[c]``; once ``stop[0]`` is set (by a signal handler, from another thread) no chunk starts."""
    W, C, bw, bc, gW, gC, gbw, gbc = params
    for c in prange(starts.shape[0]):
        if stop[0] == 0:
            total = 0.0
            end = ends[c]
            for t in range(starts[c], end):
                if t + AHEAD < end:  # the shuffled pairs' rows are in no cache: ask for them ahead
                    i, j = rows[t + AHEAD], cols[t + AHEAD]
                    prefetch(W, i)
                    prefetch(gW, i)
                    prefetch(C, j)
                    prefetch(gC, j)
                total += adagrad_step(W, C, bw, bc, gW, gC, gbw, gbc, rows[t], cols[t], vals[t], x_max, power, eta,
                                      clip)
            costs[c] = total
            done[c] = 1


# Unlike the window loop (kernels.py), GloVe's epoch is a parallel=True kernel, for one thread too: it
# compiles in about a second, and its prange body runs 3-3.5x faster on one thread than the same loop in
# a plain function, whose AdaGrad update LLVM leaves scalar (vsqrtss in its assembly; splitting the update
# into loops that each write one row did not change that) while the gufunc's is vectorised. A plain-function
# twin for --threads 1 was dropped for it (bench/RESULTS.md, issue 26); the reference bits of GloVe changed.
# It releases the GIL: the trainer runs it in a thread, so the main thread takes signals at once. No
# reference counting (``_nrt=False``): the four row views of every update each took an atomic increment
# and decrement of a shared array's count (2 threads: 8-19% faster without, the same bits; RESULTS.md).
# Compiled in passes of 16 floats (jit.row_compiler): one thread, side by side, 4-17% faster than LLVM's own
# choice on the AVX-512 machine, 7% faster than one vector of 8 a pass on the AVX2 one.
# Its name carries a digest of jit.py as well as this file (jit.source_digest): Numba's disk cache checks
# only this file, and the epoch inlines jit.py's prefetch and random numbers.
epoch = numba.njit(cache=True, nogil=True, fastmath=FASTMATH, parallel=True, _nrt=False,
                   pipeline_class=row_compiler())(
    renamed(_epoch, f"glove_epoch_{jit.source_digest(jit.__file__, __file__)}"))


@numba.njit(inline="always")
def _swap(rows, cols, vals, i, j):
    """Swap nonzeros ``i`` and ``j`` of the three arrays."""
    rows[i], rows[j] = rows[j], rows[i]
    cols[i], cols[j] = cols[j], cols[i]
    vals[i], vals[j] = vals[j], vals[i]


@numba.njit(inline="always")
def _fisher_yates(rows, cols, vals, a, b, state):
    """Fisher-Yates shuffle of the nonzeros ``a:b`` in place, with the random stream ``state``; returns it."""
    for i in range(b - 1, a, -1):
        state, r = rng_next(state)
        _swap(rows, cols, vals, i, a + np.int64(r % np.uint64(i - a + 1)))
    return state


@numba.njit(inline="always")
def _seeded(seed):
    return np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(1)


@jit.cached(jit)  # (the shuffle draws with jit.rng_next)
def shuffle(rows, cols, vals, seed):
    """Seeded Fisher-Yates shuffle of the three arrays together, in place (no extra memory)."""
    _fisher_yates(rows, cols, vals, 0, rows.shape[0], _seeded(seed))


TILE_BYTES = 1 << 20  # a tile's rows (W and gW of its row words, C and gC of its column words) at about this size
MAX_TILES = 1 << 20  # tiles at most (their order and counters: 24 bytes each)


def tile_words(n_words, dim, itemsize=4):
    """Words per side of a tile (``tiled_shuffle``): the largest power of two (16 at least) whose tile holds
    its four arrays' rows in TILE_BYTES (512 for dim 100 in float32, whose tile is 800 KB), doubled while
    the tiles would exceed MAX_TILES."""
    side = 16
    while 2 * side * 4 * dim * itemsize <= TILE_BYTES:
        side *= 2
    while (-(-n_words // side)) ** 2 > MAX_TILES:
        side *= 2
    return side


@jit.cached(jit)  # (the shuffle draws with jit.rng_next)
def tiled_shuffle(rows, cols, vals, seed, side):
    """Seeded shuffle of the nonzeros in tiles, in place: the pairs whose words fall in the same ``side`` x
    ``side`` block of the (frequency-ranked) ids are together, the tiles in a random order, each tile's pairs
    in a random order. An epoch then trains one block of rows at a time from the caches instead of four
    rows from memory per update (bench/RESULTS.md, "GloVe in tiles": 2.5x the updates per second on one
    thread and 2.8x on two, on bench-en); ``side`` 0 is ``shuffle``'s plain order.

    The tiles: a seeded Fisher-Yates order of them; the pairs moved to their tiles in place (an in-place
    counting sort); then each tile's slice shuffled (Fisher-Yates), so within a tile every order is equally
    likely."""
    if side <= 0:
        shuffle(rows, cols, vals, seed)
        return
    n = rows.shape[0]
    words = 0
    for t in range(n):
        words = max(words, rows[t] + 1, cols[t] + 1)
    per = (words + side - 1) // side
    n_tiles = per * per
    state = _seeded(seed)
    rank = np.arange(n_tiles)
    for i in range(n_tiles - 1, 0, -1):
        state, r = rng_next(state)
        j = np.int64(r % np.uint64(i + 1))
        rank[i], rank[j] = rank[j], rank[i]
    start = np.zeros(n_tiles + 1, np.int64)
    for t in range(n):
        start[rank[(rows[t] // side) * per + cols[t] // side] + 1] += 1
    for k in range(n_tiles):
        start[k + 1] += start[k]
    nxt = start[:-1].copy()
    for k in range(n_tiles):
        while nxt[k] < start[k + 1]:
            t = nxt[k]
            key = rank[(rows[t] // side) * per + cols[t] // side]
            if key == k:
                nxt[k] += 1
            else:  # to the next free place of its tile; the pair that was there is looked at next
                _swap(rows, cols, vals, t, nxt[key])
                nxt[key] += 1
    for k in range(n_tiles):
        state = _fisher_yates(rows, cols, vals, start[k], start[k + 1], state)


def init_params(n_words, dim, seed):
    """GloVe's initialisation: vectors and biases uniform in [-0.5, 0.5) / dim, AdaGrad sums 1."""
    rng = np.random.Generator(np.random.PCG64(seed))

    def uniform(*shape):
        return ((rng.random(shape) - 0.5) / dim).astype(np.float32)

    W, C = uniform(n_words, dim), uniform(n_words, dim)
    bw, bc = uniform(n_words).astype(np.float64), uniform(n_words).astype(np.float64)
    return (W, C, bw, bc, np.ones_like(W), np.ones_like(C), np.ones(n_words), np.ones(n_words))


PARAMS = ("W", "C", "bw", "bc", "gW", "gC", "gbw", "gbc")
