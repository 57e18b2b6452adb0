"""Numba sentence kernels of fastText's subword model (Bojanowski et al. 2017): skip-gram and CBOW whose
input is a bag of rows, a word's own row and its character n-grams' (subwords.py), instead of one row.

A word's input vector is the mean of its rows (``ptr``/``rows``: word ``w``'s are
``rows[ptr[w]:ptr[w + 1]]``); CBOW's hidden vector is the mean over every row of every context word. As
in fastText, every input row receives the whole ``grad_h`` (``row -= alpha * grad_h``), not the true
gradient ``grad_h / n`` of a mean: fastText's step, which the tests check beside the gradient itself.

What costs is the rows: a word of 6 letters has 19 (its own and 18 n-grams of 3-6 characters), and
fastText reads and writes them all for every prediction. Here each position of a sentence composes its
rows once (``compose``: their sum, into a ring of the window's positions) when it enters the window,
collects the gradients of every prediction it takes part in, and sends them back once (``release``)
when the window has passed it. So each row is read and written once per occurrence, whatever the
window; the cost is a delay of at most one window between a row's use and its update (as a mini-batch).
Most n-gram rows are in no cache, so a position asks for its rows (``jit.prefetch``) two positions before
it is composed (``_slide``; without it CBOW ran 0.79x). CBOW's centres have their output rows, the
target's and the noise words' drawn then, asked for two centres ahead, as the window models do
(``kernels.ask_next``; 1.07x side by side); skip-gram asks for the target's row only (drawing its noise
ahead ran 0.79x side by side: those rows' misses then compete with the n-grams').

Skip-gram keeps w2v's orientation: the window's context words predict the word at its centre, in one
block step sharing the noise words (Ji et al. 2016; ``--classic``: one pair at a time). Every (input,
output) pair of a window is also a pair the other way round in its neighbour's window, so this trains
the pairs fastText's direction (the centre predicts its contexts) trains. The output layers are the
window models' (output/kernels.py), reached through ``output_block`` / ``output_step``.

Numba's inlining needed care here: when ``compose`` took the ring (a NamedTuple holding the window
models' Scratch) and was inlined two levels deep in the lane loop, its store into the ring's row counts
was lost (Numba 0.68; the count read back 0 in the next statement), and a variant crashed. The row
loops now take plain arrays (``_compose``, ``_release``) and are inlined, as are both models' centres, which
take the ring's arrays (skip-gram's inlined ran 1.165x side by side, on Zen 4). A test checks that
the lane loop trains a sentence exactly as this module's sentence kernel compiled on its own.
"""

from typing import NamedTuple

import numba
import numpy as np

from w2v.jit import FASTMATH, cast_like, prefetch, renamed
from w2v.kernels import (NO_LOCK, OUT_AHEAD, architecture, ask_first, ask_next, dynamic_window, make_scratch,
                         window_finish, window_start)
from w2v.output.kernels import output_ask, output_block, output_step


AHEAD = 2  # positions between asking for a word's input rows and composing them (see _slide)


class SubwordWeights(NamedTuple):
    """kernels.Weights with each word's input rows: ``W_in`` holds V word rows then the n-gram buckets'."""

    W_in: np.ndarray  # (V + buckets, dim)
    W_out: np.ndarray
    W_hid: np.ndarray  # (0 x 0: no hidden layer, as kernels.Weights.word2vec)
    b_hid: np.ndarray
    lock: np.ndarray  # (unused: empty)
    ptr: np.ndarray  # int64[V + 1]
    rows: np.ndarray  # int32: each word's input rows, its own first

    @classmethod
    def make(cls, W_in, W_out, ptr, rows):
        return cls(W_in, W_out, np.zeros((0, 0), W_in.dtype), np.zeros(0, W_in.dtype), NO_LOCK, ptr, rows)

    @classmethod
    def first_use(cls, W_in, W_out, ptr, rows):
        """(weights, order): SubwordWeights over a copy of the rows the words use, in the order the row lists
        first use them (row ``i`` of the copy is row ``order[i]`` of ``W_in``; put them back with ``W_in[order]
        = weights.W_in``). Where the hash puts a bucket's row its neighbours are unrelated, so a word's rows lie
        scattered over the whole matrix; in the copy they lie side by side and the frequent words' rows together,
        the same arithmetic on fewer cache misses. Where the words use more than half of ``W_in``'s rows, the
        copy would cost more memory than it saves time: the weights are ``W_in``'s own and ``order`` None."""
        order, local = _first_use(rows, W_in.shape[0])
        if 2 * len(order) > W_in.shape[0]:
            return cls.make(W_in, W_out, ptr, rows), None
        return cls.make(np.take(W_in, order, axis=0), W_out, ptr, local), order


@numba.njit(cache=True, nogil=True)
def _first_use(rows, n_rows):
    """The rows ``rows`` uses, in the order of their first use, and ``rows`` as places in that order."""
    place = np.full(n_rows, -1, np.int64)
    order = np.empty(len(rows), np.int64)
    local = np.empty_like(rows)
    n = 0
    for j in range(len(rows)):
        r = rows[j]
        if place[r] < 0:
            place[r] = n
            order[n] = r
            n += 1
        local[j] = place[r]
    return order[:n].copy(), local


class Ring(NamedTuple):
    """A chunk's scratch: the window models' Scratch, and for each position in the window (slot ``q %
    slots``) the sum of its rows (``S``), their number (``count``) and the gradient it has collected
    (``G``)."""

    sc: tuple  # kernels.Scratch
    S: np.ndarray  # (slots, dim)
    G: np.ndarray  # (slots, dim)
    count: np.ndarray  # (slots,) int64: rows per position


def ring_alloc(weights, cfg):
    """A lane's Ring (kernels.architecture's ``alloc``)."""
    slots = 2 * cfg.window + 2  # a centre's window and the next position, with room to spare
    dim = weights.W_in.shape[1]
    return Ring(make_scratch(weights, cfg), np.empty((slots, dim), weights.W_in.dtype),
                np.empty((slots, dim), weights.W_in.dtype), np.zeros(slots, np.int64))


@numba.njit(inline="always")
def ring_start(ring, weights, cfg):
    """A chunk starts with no position in its window (and the window models' start)."""
    ring.count.fill(0)
    window_start(ring.sc, weights, cfg)


@numba.njit(inline="always")
def ring_finish(weights, out, cfg, ring, loss, predictions, state, alpha):
    """The window models' finish, on the Ring's Scratch."""
    return window_finish(weights, out, cfg, ring.sc, loss, predictions, state, alpha)


@numba.njit(inline="always")
def compose(ring, weights, w, q):
    """Position ``q`` (word ``w``) enters the window: the sum of its rows into its slot, its gradient 0."""
    _compose(ring.S, ring.G, ring.count, weights.W_in, weights.ptr, weights.rows, w, q)


@numba.njit(fastmath=FASTMATH, inline="always")
def _compose(S, G, count, W_in, ptr, rows, w, q):
    slot = q % S.shape[0]
    s, g = S[slot], G[slot]
    s.fill(0)
    g.fill(0)
    for j in range(ptr[w], ptr[w + 1]):
        row = W_in[rows[j]]
        for k in range(s.shape[0]):
            s[k] += row[k]
    count[slot] = ptr[w + 1] - ptr[w]


@numba.njit(inline="always")
def release(ring, weights, w, q, alpha):
    """Position ``q`` (word ``w``) leaves the window: every row of it takes the gradient it collected."""
    _release(ring.G, weights.W_in, weights.ptr, weights.rows, w, q, alpha)


@numba.njit(fastmath=FASTMATH, inline="always")
def _release(G, W_in, ptr, rows, w, q, alpha):
    g = G[q % G.shape[0]]
    step = cast_like(alpha, g)
    for j in range(ptr[w], ptr[w + 1]):
        row = W_in[rows[j]]
        for k in range(row.shape[0]):
            row[k] -= step * g[k]


def _sg_subword_centre(sc, S, G_ring, count, sen, p, lo, hi, W_out, out, cfg, state, alpha):
    """The composed context positions ``lo:hi`` but ``p`` (each the mean of its rows) predict ``sen[p]``;
    each collects its dL/dh. Returns (loss, predictions, rng state). ``SHARED`` (a compile-time constant, as
    kernels.sg_sentence's): one block step sharing the targets, else one pair at a time. Takes the Ring's
    arrays and is inlined, as CBOW's centre."""
    slots = S.shape[0]
    H, G = sc.H, sc.G
    loss = 0.0
    n_ctx = 0
    for q in range(lo, hi):
        if q != p:
            slot = q % slots
            inv = cast_like(1.0 / count[slot], H)
            s = S[slot]
            h = H[n_ctx]
            for k in range(h.shape[0]):
                h[k] = s[k] * inv
            sc.context[n_ctx] = slot
            n_ctx += 1
    if n_ctx == 0:
        return loss, 0, state
    if SHARED:
        loss, state = output_block(H, n_ctx, sen[p], W_out, out, cfg, sc, state, alpha)
        for i in range(n_ctx):
            g, gi = G_ring[sc.context[i]], G[i]
            for k in range(g.shape[0]):
                g[k] += gi[k]
    else:  # one pair at a time, each its own noise words
        for i in range(n_ctx):
            sc.grad_h.fill(0)
            l, state = output_step(H[i], sen[p], W_out, out, cfg, sc, state, alpha)
            loss += l
            g = G_ring[sc.context[i]]
            for k in range(g.shape[0]):
                g[k] += sc.grad_h[k]
    return loss, n_ctx, state


SHARED = True  # placeholder: the specialised copies set it
sg_subword_centre = numba.njit(fastmath=FASTMATH, inline="always")(
    renamed(_sg_subword_centre, "sg_subword_centre", SHARED=True))
sg_subword_classic_centre = numba.njit(fastmath=FASTMATH, inline="always")(
    renamed(_sg_subword_centre, "sg_subword_classic_centre", SHARED=False))


@numba.njit(fastmath=FASTMATH, inline="always")
def cbow_subword_centre(sc, S, G, count, sen, p, lo, hi, W_out, out, cfg, state, alpha):
    """Every row of the composed context positions ``lo:hi`` but ``p`` (their mean, or with --cbow-sum
    their sum) predicts ``sen[p]``; each position collects grad_h. Returns (loss, rng state). Takes the
    Ring's arrays, not the Ring, and is inlined (see the module's note on inlining)."""
    slots = S.shape[0]
    h = sc.h
    h.fill(0)
    n_rows = 0
    for q in range(lo, hi):
        if q != p:
            s = S[q % slots]
            for k in range(h.shape[0]):
                h[k] += s[k]
            n_rows += count[q % slots]
    if cfg.cbow_mean:
        inv = cast_like(1.0 / n_rows, h)
        for k in range(h.shape[0]):
            h[k] *= inv
    sc.grad_h.fill(0)
    loss, state = output_step(h, sen[p], W_out, out, cfg, sc, state, alpha)
    for q in range(lo, hi):
        if q != p:
            g = G[q % slots]
            for k in range(g.shape[0]):
                g[k] += sc.grad_h[k]
    return loss, state


@numba.njit(inline="always")
def _ask(W_in, ptr, rows, w):
    """Ask the caches for word ``w``'s input rows (see ``_slide``)."""
    for j in range(ptr[w], ptr[w + 1]):
        prefetch(W_in, rows[j])


@numba.njit(inline="always")
def _slide(ring, weights, sen, n, hi, composed):
    """Before a centre whose window ends at ``hi``: compose the positions up to it; returns how many are.
    Each asks for the rows of the position AHEAD places on, most of which are in no cache."""
    while composed < hi:
        if composed + AHEAD < n:
            _ask(weights.W_in, weights.ptr, weights.rows, sen[composed + AHEAD])
        compose(ring, weights, sen[composed], composed)
        composed += 1
    return composed


def _sg_subword_sentence(sen, n, weights, out, cfg, ring, loss, predictions, state, alpha):
    """Skip-gram with subwords: the mean of each context word's rows predicts the word at the centre (``CENTRE``:
    with shared targets, ``sg_subword_sentence``, or one pair at a time, ``sg_subword_classic_sentence``)."""
    composed = 0
    for p in range(n):
        if p + OUT_AHEAD < n:  # (the target's row only: noise drawn ahead slowed subword skip-gram, 0.79x)
            state = output_ask(sen[p + OUT_AHEAD], weights.W_out, out, cfg, ring.sc, -1, state)
        lo, hi, state = dynamic_window(state, p, n, cfg.window)
        composed = _slide(ring, weights, sen, n, hi, composed)
        l, m, state = CENTRE(ring.sc, ring.S, ring.G, ring.count, sen, p, lo, hi, weights.W_out, out, cfg, state,
                             alpha)
        loss += l
        predictions += m
        if p >= cfg.window:  # no later window reaches position p - window
            release(ring, weights, sen[p - cfg.window], p - cfg.window, alpha)
    for q in range(max(0, n - cfg.window), composed):
        release(ring, weights, sen[q], q, alpha)
    return loss, predictions, state


CENTRE = sg_subword_centre  # placeholder: the specialised copies set it
sg_subword_sentence = architecture(alloc=ring_alloc, start=ring_start, finish=ring_finish)(
    renamed(_sg_subword_sentence, "sg_subword_sentence", CENTRE=sg_subword_centre))
sg_subword_classic_sentence = architecture(alloc=ring_alloc, start=ring_start, finish=ring_finish)(
    renamed(_sg_subword_sentence, "sg_subword_classic_sentence", CENTRE=sg_subword_classic_centre))


# (passes of 8 floats: with 16, on the AVX2 machine, it ran 17-19% slower side by side while every other
# architecture gained; bench/RESULTS.md, "Passes of 16 floats")
@architecture(alloc=ring_alloc, start=ring_start, finish=ring_finish, floats_per_pass=8)
def cbow_subword_sentence(sen, n, weights, out, cfg, ring, loss, predictions, state, alpha):
    """CBOW with subwords: the mean (or with --cbow-sum the sum) of every row of the window's context
    words predicts the word at its centre."""
    composed = 0
    state = ask_first(sen, n, weights.W_out, out, cfg, ring.sc, state)
    for p in range(n):
        state = ask_next(sen, n, p, weights.W_out, out, cfg, ring.sc, state)
        lo, hi, state = dynamic_window(state, p, n, cfg.window)
        composed = _slide(ring, weights, sen, n, hi, composed)
        if hi - lo > 1:
            l, state = cbow_subword_centre(ring.sc, ring.S, ring.G, ring.count, sen, p, lo, hi, weights.W_out, out,
                                           cfg, state, alpha)
            loss += l
            predictions += 1
        if p >= cfg.window:
            release(ring, weights, sen[p - cfg.window], p - cfg.window, alpha)
    for q in range(max(0, n - cfg.window), composed):
        release(ring, weights, sen[q], q, alpha)
    return loss, predictions, state
