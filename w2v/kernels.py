"""Numba training kernels: architectures (skip-gram, CBOW, NPLM) in front of output layers (NS, NCE, HS,
full softmax).

Structure (docs/architecture.md says why it is shaped so):

* output layers are small steps: given the hidden vector ``h`` and a target, they update their own rows
  of ``W_out``, add dL/dh into ``grad_h`` and return the loss. Negative sampling is the logistic step
  on the target (label 1) and on noise words (label 0); NCE is the same step with each logit shifted by
  -log(k q(w)); hierarchical softmax is the same step along the target's Huffman path. ``logistic_block``
  runs the step for a block of hidden vectors that share their targets (skip-gram with shared targets).
  The full softmax (``softmax_block``) is the fourth layer: every row of ``W_out`` is a target.
* architectures decide which inputs make ``h`` and send ``grad_h`` back to them. Skip-gram and CBOW add
  it to input rows; the NPLM (Bengio et al. 2003) backpropagates it through its tanh hidden layer to the
  concatenated features of the previous ``context`` words.
* ``_train_lane`` is the one window loop, over one lane's share of a block's sentence-aligned chunks;
  ``lane_kernel`` compiles it once per architecture. Python threads run the lanes side by side without
  the GIL (hogwild on the weights, except the NPLM's dense hidden layer: each chunk trains a private
  copy and merges it).

The combination is chosen by small integer codes with one ``if`` per axis, so everything compiles once
and is cached on disk. Kernels never print; Python drives the epochs and the progress bar.

``grad_h`` is the true gradient dL/dh; every update is ``row -= alpha * dL/drow``. One convention is
word2vec.c's and not the gradient: with ``--cbow-mean`` each context row receives ``grad_h`` rather than
``grad_h / n`` (as in word2vec.c and gensim); the tests check both the gradient and this convention.
"""

import math
import types
from typing import NamedTuple

import numba
import numpy as np
from numba.extending import overload

from w2v.choices import LOSSES, MODELS

SG, CBOW, NPLM = (MODELS[name].code for name in ("sg", "cbow", "nplm"))  # choices.py maps names to codes
NS, HS, NCE, SOFTMAX = (LOSSES[name].code for name in ("ns", "hs", "nce", "softmax"))

FASTMATH = {"reassoc", "contract", "nsz", "arcp"}  # no nnan/ninf: NaN must propagate to the guard
_MASK32 = np.uint64(0xFFFFFFFF)
_U32 = np.uint64(32)


class Config(NamedTuple):
    """Scalars the kernels need (no arrays)."""

    model: int
    loss: int
    window: int
    negative: int
    cbow_mean: bool
    alpha: float
    min_alpha: float
    epoch_ids: float  # length of the id stream (one epoch)
    total_ids: float  # epochs * epoch_ids: the learning-rate schedule's horizon
    max_code: int  # longest Huffman path (0 without hierarchical softmax)
    shared: bool  # skip-gram: one block step per window, the window's contexts sharing the targets
    seed: int
    # NPLM
    context: int = 0  # words of history
    direct: bool = False  # direct connections from the features to the output
    batch: int = 1  # NPLM examples per step: one hidden-layer update (and one softmax pass) for them all
    sync: int = 0  # NPLM: examples between merges of a chunk's private hidden layer (0: train it in place)


class Hidden(NamedTuple):
    """The NPLM's hidden layer, ``a = tanh(W_hid x + b_hid)``."""

    W_hid: np.ndarray  # (hidden, context * dim)
    b_hid: np.ndarray  # (hidden,)


class Weights(NamedTuple):
    """Every array a kernel trains. Skip-gram and CBOW have no hidden layer: theirs is empty (0 x 0), which
    keeps one compiled kernel for all architectures (a None would compile and cache a second one)."""

    W_in: np.ndarray  # (words, dim): word vectors / the NPLM's features
    W_out: np.ndarray  # (output rows, dim or the NPLM's len(h)): the output layer
    W_hid: np.ndarray
    b_hid: np.ndarray

    @classmethod
    def word2vec(cls, W_in, W_out):
        return cls(W_in, W_out, np.zeros((0, 0), W_in.dtype), np.zeros(0, W_in.dtype))


class Scratch(NamedTuple):
    """A chunk's scratch space for skip-gram and CBOW (make_scratch), allocated once per chunk."""

    h: np.ndarray  # (dim,) CBOW's hidden vector
    grad_h: np.ndarray  # (dim,) dL/dh
    context: np.ndarray  # (2 window,) a window's context ids
    targets: np.ndarray  # (negative + 1,) NS/NCE: the data word, then the noise words
    ns_codes: np.ndarray  # (negative + 1,) their codes: 0 (label 1) for the data word, 1 for noise
    f: np.ndarray  # (rows,) scores, then dL/dscore, of one logistic step
    H: np.ndarray  # (2 window, dim) the block step's hidden vectors (skip-gram with shared targets)
    G: np.ndarray  # (2 window, dim) their dL/dH
    S: np.ndarray  # (2 window, rows) their scores


class NPLMScratch(NamedTuple):
    """The NPLM's scratch space for a block of ``cfg.batch`` examples (make_nplm_scratch); zero-sized for
    other models."""

    history: np.ndarray  # (batch, context) ids of the words before each target
    target: np.ndarray  # (batch,) the words to predict
    X: np.ndarray  # (batch, context dim) concatenated features
    A: np.ndarray  # (batch, hidden) tanh activations
    H: np.ndarray  # (batch, len(h)) the output layer's inputs [a, x, 1]
    G: np.ndarray  # (batch, len(h)) dL/dh
    S: np.ndarray  # (batch, rows) scores (the softmax: every row)
    grad_pre: np.ndarray  # (batch, hidden) dL/d(pre-activation)
    grad_x: np.ndarray  # (batch, context dim) dL/dx


class Tables(NamedTuple):
    keep: np.ndarray  # int64[V] subsampling thresholds on rand32
    noise: np.ndarray  # int64[V, 2] alias table of the noise distribution
    log_kq: object  # float64[V]: NCE's logit shift log(k q(w)); None (compiled away) for NS and HS
    hs_offsets: np.ndarray  # Huffman CSR (empty arrays when unused)
    hs_points: np.ndarray
    hs_codes: np.ndarray


def _cast_like(x, arr):  # pragma: no cover - replaced by the overload inside Numba
    return arr.dtype.type(x)


@overload(_cast_like)
def _cast_like_impl(x, arr):
    dt = arr.dtype

    def impl(x, arr):
        return dt(x)

    return impl


# ---------------------------------------------------------------- random numbers
@numba.njit(inline="always")
def rng_next(state):
    """splitmix64: returns (new state, 64 random bits)."""
    state = state + np.uint64(0x9E3779B97F4A7C15)
    z = state
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return state, z ^ (z >> np.uint64(31))


@numba.njit(inline="always")
def draw_noise(noise, r):
    """One draw from the alias table with 64 random bits: the high half picks the slot, the low half decides."""
    v = np.uint64(noise.shape[0])
    slot = np.int64(((r >> _U32) * v) >> _U32)
    if np.int64(r & _MASK32) < noise[slot, 0]:
        return slot
    return noise[slot, 1]


@numba.njit(cache=True)
def sample_noise(noise, n, seed):
    """``n`` draws from the noise table (for tests and diagnostics)."""
    out = np.empty(n, np.int64)
    state = np.uint64(seed)
    for i in range(n):
        state, r = rng_next(state)
        out[i] = draw_noise(noise, r)
    return out


@numba.njit(inline="always")
def chunk_seed(seed, epoch, position):
    s = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(epoch) * np.uint64(0xD1B54A32D192ED03)
    s, r = rng_next(s + np.uint64(position))
    return r


# ---------------------------------------------------------------- the logistic function
# float32 training reads sigma(x) and -log sigma(x) from tables with linear interpolation (as word2vec.c
# and gensim do, but finer: error below 1e-5), because exp and log1p cost a quarter of the hierarchical
# softmax's time; float64 (the gradient checks) computes them exactly.
_GRID = 64  # table points per unit of x
_XMAX = 8.0
_XS = np.arange(-int(_XMAX * _GRID), int(_XMAX * _GRID) + 2) / _GRID
SIGMOID_TABLE = 1.0 / (1.0 + np.exp(-_XS))
NEG_LOG_SIGMOID_TABLE = np.logaddexp(0.0, -_XS)


@numba.njit(inline="always")
def _logistic_exact(x):
    """(sigma(x), -log sigma(x)) computed stably."""
    if x >= 0.0:
        e = math.exp(-x)
        return 1.0 / (1.0 + e), math.log1p(e)
    e = math.exp(x)
    return e / (1.0 + e), math.log1p(e) - x


def logistic(x, like):  # pragma: no cover - replaced by the overload inside Numba
    """(sigma(x), -log sigma(x)); tabulated for float32 ``like`` arrays, exact otherwise."""
    raise NotImplementedError


@overload(logistic)
def _logistic_impl(x, like):
    if like.dtype == numba.types.float64:
        def exact(x, like):
            return _logistic_exact(x)
        return exact

    def tabulated(x, like):
        if x <= -_XMAX or x >= _XMAX:
            return _logistic_exact(x)
        u = (x + _XMAX) * _GRID
        i = int(u)
        w = u - i
        p = SIGMOID_TABLE[i] + w * (SIGMOID_TABLE[i + 1] - SIGMOID_TABLE[i])
        nl = NEG_LOG_SIGMOID_TABLE[i] + w * (NEG_LOG_SIGMOID_TABLE[i + 1] - NEG_LOG_SIGMOID_TABLE[i])
        return p, nl
    return tabulated


# ---------------------------------------------------------------- output layers
def _shifted(x, log_kq, w):  # pragma: no cover - replaced by the overload inside Numba
    return x if log_kq is None else x - log_kq[w]


@overload(_shifted)
def _shifted_impl(x, log_kq, w):
    """NCE's logit shift, chosen at compile time: no code at all when ``log_kq`` is None (NS, HS)."""
    if isinstance(log_kq, numba.types.NoneType):
        return lambda x, log_kq, w: x
    return lambda x, log_kq, w: x - log_kq[w]


@numba.njit(inline="always")
def _grad_and_loss(x, code, like):
    """For score ``x`` of a logistic step with label ``1 - code``: (dL/dx, loss)."""
    p, nls = logistic(x, like)
    if code == 0:  # label 1: -log sigma(x)
        return p - 1.0, nls
    return p, nls + x  # label 0: -log sigma(-x) = -log sigma(x) + x


@numba.njit(fastmath=FASTMATH, inline="always")
def logistic_layer(h, W_out, rows, codes, log_kq, alpha, grad_h, f, may_repeat=True):
    """Binary logistic steps on ``W_out[rows[t]]`` with labels ``1 - codes[t]``; returns the summed loss.

    The loss of one step is ``-log sigma(s)`` for label 1 and ``-log sigma(-s)`` for label 0, with
    ``s = h . W_out[row] - log_kq[row]`` (NCE's shift; ``log_kq`` is None otherwise), computed stably.
    It is ``logistic_block`` for a block of one: every score and ``grad_h`` is computed before any row
    moves, so the update is the exact gradient step of the summed loss, also when a noise word is drawn
    twice. Updates ``W_out`` rows in place and sets ``grad_h`` to dL/dh; ``f`` is scratch space.
    """
    n = rows.shape[0]
    d = h.shape[0]
    return logistic_block(h.reshape(1, d), 1, W_out, rows, codes, log_kq, alpha, grad_h.reshape(1, d),
                          f[:n].reshape(1, n), may_repeat)


@numba.njit(fastmath=FASTMATH, inline="always")
def _dots4(h, o0, o1, o2, o3):
    """Four dot products sharing ``h``: one load of h[k] feeds four multiply-adds."""
    s0 = s1 = s2 = s3 = _cast_like(0.0, h)
    for k in range(h.shape[0]):
        x = h[k]
        s0 += x * o0[k]
        s1 += x * o1[k]
        s2 += x * o2[k]
        s3 += x * o3[k]
    return s0, s1, s2, s3


@numba.njit(fastmath=FASTMATH, inline="always")
def _axpy4(y, a0, x0, a1, x1, a2, x2, a3, x3):
    """y += a0 x0 + a1 x1 + a2 x2 + a3 x3 in one pass over y."""
    for k in range(y.shape[0]):
        y[k] += a0 * x0[k] + a1 * x1[k] + a2 * x2[k] + a3 * x3[k]


@numba.njit(fastmath=FASTMATH, inline="always")
def logistic_block(H, n_in, W_out, rows, codes, log_kq, alpha, G, S, may_repeat):
    """``logistic_layer`` for a block of hidden vectors ``H[:n_in]`` that share the same targets.

    The scores form an (n_in x n) matrix; the loops are blocked four targets (or four inputs) at a time
    so each loaded value feeds four multiply-adds -- matrix-matrix work instead of vector work. Every
    gradient is taken at the current point before anything moves: the exact gradient step of the summed
    loss. ``G[:n_in]`` receives dL/dH; ``S`` is scratch. ``logistic_layer`` is this step for a block of one.
    """
    n = rows.shape[0]
    n4 = n - n % 4
    for i in range(n_in):
        h = H[i]
        for t in range(0, n4, 4):
            S[i, t], S[i, t + 1], S[i, t + 2], S[i, t + 3] = _dots4(
                h, W_out[rows[t]], W_out[rows[t + 1]], W_out[rows[t + 2]], W_out[rows[t + 3]])
        for t in range(n4, n):
            row = W_out[rows[t]]
            s = _cast_like(0.0, h)
            for k in range(h.shape[0]):
                s += h[k] * row[k]
            S[i, t] = s
    loss = 0.0
    for i in range(n_in):
        for t in range(n):
            g, l = _grad_and_loss(_shifted(np.float64(S[i, t]), log_kq, rows[t]), codes[t], H)
            S[i, t] = g
            loss += l
    if may_repeat:
        for t in range(1, n):
            for u in range(t):
                if rows[u] == rows[t]:
                    for i in range(n_in):
                        S[i, u] += S[i, t]
                        S[i, t] = 0.0
                    break
    # dL/dH from the rows as they are, before they move
    for i in range(n_in):
        gi = G[i]
        gi.fill(0)
        for t in range(0, n4, 4):
            _axpy4(gi, _cast_like(S[i, t], gi), W_out[rows[t]], _cast_like(S[i, t + 1], gi), W_out[rows[t + 1]],
                   _cast_like(S[i, t + 2], gi), W_out[rows[t + 2]], _cast_like(S[i, t + 3], gi), W_out[rows[t + 3]])
        for t in range(n4, n):
            g = _cast_like(S[i, t], gi)
            row = W_out[rows[t]]
            for k in range(gi.shape[0]):
                gi[k] += g * row[k]
    # then the output rows: row_t -= alpha * sum_i S[i, t] H[i]
    for t in range(n):
        _step_row(W_out[rows[t]], S, t, H, n_in, alpha)
    return loss


# the NPLM calls the logistic layer once per example beside its far larger hidden layer: a call, not a
# copy inlined into its kernel, which keeps the NPLM's compile time down
logistic_block_call = numba.njit(fastmath=FASTMATH, cache=True)(logistic_block.py_func)


@numba.njit(fastmath=FASTMATH, inline="always")
def _step_row(row, S, t, H, n_in, alpha):
    """row -= alpha * sum_i S[i, t] H[i] over the block, four inputs per pass over ``row``."""
    m4 = n_in - n_in % 4
    for i in range(0, m4, 4):
        _axpy4(row, _cast_like(-alpha * S[i, t], row), H[i], _cast_like(-alpha * S[i + 1, t], row), H[i + 1],
               _cast_like(-alpha * S[i + 2, t], row), H[i + 2], _cast_like(-alpha * S[i + 3, t], row), H[i + 3])
    for i in range(m4, n_in):
        step = _cast_like(alpha * S[i, t], row)
        h = H[i]
        for k in range(row.shape[0]):
            row[k] -= step * h[k]


@numba.njit(fastmath=FASTMATH, inline="always")
def _dot(a, b):
    s = _cast_like(0.0, a)
    for k in range(a.shape[0]):
        s += a[k] * b[k]
    return s


@numba.njit(fastmath=FASTMATH, inline="always")
def _scatter4(row, g0, y0, g1, y1, g2, y2, g3, y3):
    """y_j += g_j row for four vectors in one pass over ``row``."""
    for k in range(row.shape[0]):
        r = row[k]
        y0[k] += g0 * r
        y1[k] += g1 * r
        y2[k] += g2 * r
        y3[k] += g3 * r


@numba.njit(fastmath=FASTMATH, cache=True)
def softmax_block(H, n_in, W_out, targets, alpha, G, S):
    """The full softmax: ``-log p(targets[i] | H[i])`` with ``p = softmax(W_out H[i])`` over every row of
    ``W_out``, for a block of ``n_in`` hidden vectors; returns the summed loss.

    One pass over ``W_out`` computes all scores (each row loaded once for the whole block, four inputs or
    four rows per multiply-add), a stable log-sum-exp turns each score into ``p - y`` (dL/dscore), and a
    second pass adds every row's share of dL/dH (from the row before it moves) and then updates the row:
    the exact gradient step of the summed loss. ``S`` (float64, ``n_in`` x V) is scratch.
    """
    V = W_out.shape[0]
    n4 = n_in - n_in % 4
    V4 = V - V % 4
    if n_in >= 4:
        for v in range(V):
            row = W_out[v]
            for i in range(0, n4, 4):
                S[i, v], S[i + 1, v], S[i + 2, v], S[i + 3, v] = _dots4(row, H[i], H[i + 1], H[i + 2], H[i + 3])
            for i in range(n4, n_in):
                S[i, v] = _dot(H[i], row)
    else:
        for i in range(n_in):
            h = H[i]
            for v in range(0, V4, 4):
                S[i, v], S[i, v + 1], S[i, v + 2], S[i, v + 3] = _dots4(h, W_out[v], W_out[v + 1], W_out[v + 2],
                                                                        W_out[v + 3])
            for v in range(V4, V):
                S[i, v] = _dot(h, W_out[v])
    loss = 0.0
    for i in range(n_in):
        s = S[i]
        score_t = s[targets[i]]
        m = s[0]
        for v in range(1, V):
            m = max(m, s[v])
        z = 0.0
        for v in range(V):
            e = math.exp(s[v] - m)
            s[v] = e
            z += e
        t = targets[i]
        loss += m + math.log(z) - score_t  # log Z - score[t]
        inv = 1.0 / z
        for v in range(V):
            s[v] *= inv
        s[t] -= 1.0
    for i in range(n_in):
        G[i].fill(0)
    for v in range(V):
        row = W_out[v]
        for i in range(0, n4, 4):
            _scatter4(row, _cast_like(S[i, v], row), G[i], _cast_like(S[i + 1, v], row), G[i + 1],
                      _cast_like(S[i + 2, v], row), G[i + 2], _cast_like(S[i + 3, v], row), G[i + 3])
        for i in range(n4, n_in):
            g = _cast_like(S[i, v], row)
            gi = G[i]
            for k in range(row.shape[0]):
                gi[k] += g * row[k]
        _step_row(row, S, v, H, n_in, alpha)
    return loss


@numba.njit(inline="always")
def draw_targets(target, tables, cfg, targets, ns_codes, state):
    """The output rows and codes that predict ``target``: (rows, codes, may repeat, rng state).

    Negative sampling: the target (code 0, label 1) and ``cfg.negative`` noise words (code 1, label 0).
    NCE: the same draws, with the scores shifted by log(k q(w)) in the layer (and a noise word equal to
    the target kept, as the estimator's noise sample is independent of the data).
    Hierarchical softmax: the inner nodes on the target's Huffman path with their branch codes.
    """
    if cfg.loss == HS:
        a, b = tables.hs_offsets[target], tables.hs_offsets[target + 1]
        return tables.hs_points[a:b], tables.hs_codes[a:b], cfg.loss != HS, state
    keep_target = cfg.loss == NCE  # word2vec.c's NS skips (does not redraw) a noise word equal to the target
    targets[0] = target
    n = 1
    for _ in range(cfg.negative):
        state, r = rng_next(state)
        w = draw_noise(tables.noise, r)
        if w != target or keep_target:
            targets[n] = w
            n += 1
    return targets[:n], ns_codes[:n], cfg.loss != HS, state


@numba.njit(fastmath=FASTMATH, inline="always")
def output_step(h, target, W_out, tables, cfg, sc, state, alpha):
    """The output layer for one prediction of ``target`` from ``h``, dL/dh into ``sc.grad_h``; returns
    (loss, rng state)."""
    rows, codes, may_repeat, state = draw_targets(target, tables, cfg, sc.targets, sc.ns_codes, state)
    return logistic_layer(h, W_out, rows, codes, tables.log_kq, alpha, sc.grad_h, sc.f, may_repeat), state


# ---------------------------------------------------------------- architectures
@numba.njit(inline="always")
def make_scratch(W_in, cfg):
    """Per-chunk scratch space (Scratch), allocated once per chunk and never per example."""
    dim = W_in.shape[1]
    ns_codes = np.ones(cfg.negative + 1, np.uint8)  # the data word has code 0 (label 1), noise words 1
    ns_codes[0] = 0
    n_out = max(cfg.negative + 1, cfg.max_code)
    return Scratch(np.empty(dim, W_in.dtype), np.empty(dim, W_in.dtype), np.empty(2 * cfg.window, np.int64),
                   np.empty(cfg.negative + 1, np.int32), ns_codes, np.empty(n_out, np.float64),
                   np.empty((2 * cfg.window, dim), W_in.dtype), np.empty((2 * cfg.window, dim), W_in.dtype),
                   np.empty((2 * cfg.window, n_out), np.float64))


@numba.njit(fastmath=FASTMATH, inline="always")
def sg_step(W_in, c, target, W_out, tables, cfg, sc, state, alpha):
    """Skip-gram: ``h`` is the input row of context word ``c``; it predicts ``target``."""
    grad_h = sc.grad_h
    grad_h.fill(0)
    row = W_in[c]
    loss, state = output_step(row, target, W_out, tables, cfg, sc, state, alpha)
    step = _cast_like(alpha, row)
    for k in range(row.shape[0]):
        row[k] -= step * grad_h[k]
    return loss, state


@numba.njit(fastmath=FASTMATH, inline="always")
def sg_block_step(W_in, n_ctx, target, W_out, tables, cfg, sc, state, alpha):
    """Skip-gram with shared targets: every context word of the window predicts ``target`` against the
    same noise words (Ji et al. 2016) -- or the same Huffman path, which is shared anyway -- in one
    block step; the window's context ids are ``sc.context[:n_ctx]``. Returns (loss, rng state)."""
    context, H, G = sc.context, sc.H, sc.G
    for i in range(n_ctx):
        row = W_in[context[i]]
        h = H[i]
        for k in range(h.shape[0]):
            h[k] = row[k]
    rows, codes, may_repeat, state = draw_targets(target, tables, cfg, sc.targets, sc.ns_codes, state)
    loss = logistic_block(H, n_ctx, W_out, rows, codes, tables.log_kq, alpha, G, sc.S, may_repeat)
    step = _cast_like(alpha, H)
    for i in range(n_ctx):
        row = W_in[context[i]]
        g = G[i]
        for k in range(row.shape[0]):
            row[k] -= step * g[k]
    return loss, state


@numba.njit(fastmath=FASTMATH, inline="always")
def cbow_step(W_in, n_ctx, target, W_out, tables, cfg, sc, state, alpha):
    """CBOW: ``h`` is the sum (or mean) of the context rows ``sc.context[:n_ctx]``; each context row
    receives ``grad_h``."""
    h, grad_h, context = sc.h, sc.grad_h, sc.context
    h.fill(0)
    for q in range(n_ctx):
        row = W_in[context[q]]
        for k in range(h.shape[0]):
            h[k] += row[k]
    if cfg.cbow_mean:
        inv = _cast_like(1.0 / n_ctx, h)
        for k in range(h.shape[0]):
            h[k] *= inv
    grad_h.fill(0)
    loss, state = output_step(h, target, W_out, tables, cfg, sc, state, alpha)
    step = _cast_like(alpha, h)
    for q in range(n_ctx):
        row = W_in[context[q]]
        for k in range(h.shape[0]):
            row[k] -= step * grad_h[k]
    return loss, state


@numba.njit(inline="always")
def make_nplm_scratch(W_in, W_out, cfg):
    """The NPLM's scratch space (NPLMScratch) for a block of ``cfg.batch`` examples."""
    nb = cfg.batch if cfg.model == NPLM else 0
    n_x = cfg.context * W_in.shape[1]
    n_out = W_out.shape[1]
    n_hid = n_out - 1 - (n_x if cfg.direct else 0)
    n_s = W_out.shape[0] if cfg.loss == SOFTMAX else max(cfg.negative + 1, cfg.max_code)
    dt = W_in.dtype
    return NPLMScratch(np.empty((nb, cfg.context), np.int64), np.empty(nb, np.int64), np.empty((nb, n_x), dt),
                       np.empty((nb, n_hid), dt), np.empty((nb, n_out), dt), np.empty((nb, n_out), dt),
                       np.empty((nb, n_s), np.float64), np.empty((nb, n_hid), dt), np.empty((nb, n_x), dt))


@numba.njit(fastmath=FASTMATH, inline="always")
def nplm_step(W_in, hidden, W_out, nb, tables, cfg, lm, sc, state, alpha):
    """The NPLM (Bengio et al. 2003) on a block of ``nb`` examples: predict ``lm.target[i]`` from the words
    ``lm.history[i]`` (``lm``: NPLMScratch; ``sc``: Scratch, for the noise draws). Returns (loss, rng state).

    ``x`` concatenates the history's rows of ``W_in``; ``a = tanh(W_hid x + b_hid)``; the output layer
    sees ``h = [a, x (with direct connections), 1]``, so each ``W_out`` row holds U, the direct weights
    and the output bias. The softmax serves the whole block in one step; the logistic layers (NS, NCE,
    HS) take the block's examples one after another. Gradients flow back through tanh to ``W_hid``,
    ``b_hid`` and the history's rows, all computed before any of them moves: with ``nb = 1`` (and for
    the softmax with any ``nb``) this is the exact gradient step of the block's summed loss; with
    ``nb > 1`` and a logistic layer, a later example's output step sees rows an earlier one moved.
    """
    W_hid, b_hid = hidden.W_hid, hidden.b_hid
    history, target, X, A, Hout, Gout, S = lm.history, lm.target, lm.X, lm.A, lm.H, lm.G, lm.S
    grad_pre, grad_x = lm.grad_pre, lm.grad_x
    dim = W_in.shape[1]
    n_hid = W_hid.shape[0]
    n_x = X.shape[1]
    n_out = W_out.shape[1]
    h4 = n_hid - n_hid % 4
    for i in range(nb):
        x = X[i]
        for j in range(cfg.context):
            row = W_in[history[i, j]]
            for k in range(dim):
                x[j * dim + k] = row[k]
        a = A[i]
        for j in range(0, h4, 4):
            a[j], a[j + 1], a[j + 2], a[j + 3] = _dots4(x, W_hid[j], W_hid[j + 1], W_hid[j + 2], W_hid[j + 3])
        for j in range(h4, n_hid):
            a[j] = _dot(x, W_hid[j])
        h = Hout[i]
        for j in range(n_hid):
            a[j] = math.tanh(a[j] + b_hid[j])
            h[j] = a[j]
        if cfg.direct:
            for k in range(n_x):
                h[n_hid + k] = x[k]
        h[n_out - 1] = 1.0
    loss = 0.0
    if cfg.loss == SOFTMAX:
        loss = softmax_block(Hout, nb, W_out, target, alpha, Gout, S)
    else:
        for i in range(nb):
            rows, codes, may_repeat, state = draw_targets(target[i], tables, cfg, sc.targets, sc.ns_codes, state)
            loss += logistic_block_call(Hout[i:i + 1], 1, W_out, rows, codes, tables.log_kq, alpha, Gout[i:i + 1],
                                   S[i:i + 1], may_repeat)
    # back through tanh: dL/dpre = dL/da (1 - a^2); dL/dx = W_hid^T dL/dpre (+ the direct part of dL/dh)
    for i in range(nb):
        g = grad_pre[i]
        a = A[i]
        gh = Gout[i]
        for j in range(n_hid):
            g[j] = gh[j] * (1 - a[j] * a[j])
        gx = grad_x[i]
        if cfg.direct:
            for k in range(n_x):
                gx[k] = gh[n_hid + k]
        else:
            gx.fill(0)
        for j in range(0, h4, 4):
            _axpy4(gx, g[j], W_hid[j], g[j + 1], W_hid[j + 1], g[j + 2], W_hid[j + 2], g[j + 3], W_hid[j + 3])
        for j in range(h4, n_hid):
            gj = g[j]
            row = W_hid[j]
            for k in range(n_x):
                gx[k] += gj * row[k]
    step = _cast_like(alpha, X)
    for i in range(nb):
        g = grad_pre[i]
        x = X[i]
        for j in range(n_hid):
            gj = step * g[j]
            row = W_hid[j]
            for k in range(n_x):
                row[k] -= gj * x[k]
            b_hid[j] -= gj
        gx = grad_x[i]
        for j in range(cfg.context):
            row = W_in[history[i, j]]
            for k in range(dim):
                row[k] -= step * gx[j * dim + k]
    return loss, state


@numba.njit(inline="always")
def private_hidden(hidden, cfg):
    """The hidden layer a chunk trains: with ``cfg.sync`` (NPLM with threads) a private copy and the
    snapshot it started from, so threads do not write the dense ``W_hid`` on every example; else the
    shared layer itself (and an empty snapshot)."""
    if cfg.model == NPLM and cfg.sync > 0:
        return Hidden(hidden.W_hid.copy(), hidden.b_hid.copy()), Hidden(hidden.W_hid.copy(), hidden.b_hid.copy())
    return (Hidden(hidden.W_hid, hidden.b_hid),
            Hidden(np.empty((0, 0), hidden.W_hid.dtype), np.empty(0, hidden.b_hid.dtype)))


@numba.njit(fastmath=FASTMATH, inline="always")
def merge_hidden(hidden, own):
    """Add what this chunk's private hidden layer learned since the last merge to the shared one, and
    restart the private copy (and its snapshot) from the shared layer, which now also holds the other
    threads' merged changes."""
    mine, snap = own
    for j in range(hidden.W_hid.shape[0]):
        shared, w, w0 = hidden.W_hid[j], mine.W_hid[j], snap.W_hid[j]
        for k in range(shared.shape[0]):
            v = shared[k] + (w[k] - w0[k])
            shared[k] = v
            w[k] = v
            w0[k] = v
        v = hidden.b_hid[j] + (mine.b_hid[j] - snap.b_hid[j])
        hidden.b_hid[j] = v
        mine.b_hid[j] = v
        snap.b_hid[j] = v


@numba.njit(inline="always")
def learning_rate(cfg, epoch, index):
    """Linear decay from alpha to min_alpha over all epochs, from the global stream position."""
    progress = (epoch * cfg.epoch_ids + index) / cfg.total_ids
    return max(cfg.min_alpha, cfg.alpha - (cfg.alpha - cfg.min_alpha) * progress)


@numba.njit(cache=True)
def learning_rate_at(cfg, epoch, index):
    return learning_rate(cfg, epoch, index)


@numba.njit(inline="always")
def keep_word(keep, w, state):
    """Subsampling: keep an occurrence of ``w`` with probability ``keep[w] / 2**32``; returns (kept, state)."""
    if keep[w] >= 4294967296:
        return True, state
    state, r = rng_next(state)
    return np.int64(r & _MASK32) < keep[w], state


@numba.njit(cache=True)
def subsample_counts(ids, keep, seed):
    """How many occurrences of each word survive subsampling (for tests)."""
    out = np.zeros(keep.shape[0], np.int64)
    state = np.uint64(seed)
    for w in ids:
        kept, state = keep_word(keep, w, state)
        if kept:
            out[w] += 1
    return out


# ---------------------------------------------------------------- the window loop, specialised per architecture
# ``_train_lane`` reads the architecture from the globals ARCH and SHARED. ``lane_kernel`` compiles a copy of
# it per architecture with those globals set, so Numba prunes the other architectures' branches before it
# types anything: a skip-gram run never compiles the NPLM (docs/architecture.md, "compile time").
ARCH, SHARED = -1, False  # placeholders: only the specialised copies run


def _train_lane(lane, lanes, stream, starts, ends, position, epoch, weights, tables, cfg, losses, counts):
    """Train lane ``lane`` of ``lanes``: chunks lane, lane + lanes, ... of the block ``stream`` (whole
    sentences each), in order; writes each chunk's loss and number of predictions to ``losses[c]`` and
    ``counts[c]``. Python runs the lanes in threads (the kernel releases the GIL), so the threads move
    through the block side by side and share one point of the learning-rate decay, as word2vec.c's and
    gensim's threads do.

    ``position`` is the global index of ``stream[0]`` in the epoch; with ``epoch`` it fixes both the
    learning rate (linear decay over all epochs) and each chunk's random state, so the result does not
    depend on the number of threads or the order chunks run in. The NPLM predicts every word and the
    sentence end from the ``cfg.context`` words before it; the last row of ``W_in``/``W_out`` is the
    sentence boundary, which also pads the history at a sentence start.
    """
    W_in, W_out = weights.W_in, weights.W_out
    hidden = Hidden(weights.W_hid, weights.b_hid)
    boundary = W_in.shape[0] - 1
    for c in range(lane, starts.shape[0], lanes):
        start, end = starts[c], ends[c]
        sc = make_scratch(W_in, cfg)
        lm = make_nplm_scratch(W_in, W_out, cfg)
        context, history, next_word = sc.context, lm.history, lm.target
        own, since_sync = private_hidden(hidden, cfg), 0
        nb = 0
        sen = np.empty(1024, np.int32)
        state = chunk_seed(cfg.seed, epoch, position + start)
        loss = 0.0
        n_pred = 0
        i = start
        while i < end:
            alpha = learning_rate(cfg, epoch, position + i)
            n = 0
            while stream[i] >= 0:  # read a sentence, subsampling frequent words
                w = stream[i]
                i += 1
                kept, state = keep_word(tables.keep, w, state)
                if kept:
                    sen[n] = w
                    n += 1
            i += 1  # the sentence end
            if ARCH != NPLM:
                for p in range(n):
                    state, r = rng_next(state)
                    reach = cfg.window - np.int64(r % np.uint64(cfg.window))  # dynamic window 1..window
                    lo = max(0, p - reach)
                    hi = min(n, p + reach + 1)
                    if ARCH == SG:
                        if SHARED:
                            n_ctx = 0
                            for q in range(lo, hi):
                                if q != p:
                                    context[n_ctx] = sen[q]
                                    n_ctx += 1
                            if n_ctx > 0:
                                l, state = sg_block_step(W_in, n_ctx, sen[p], W_out, tables, cfg, sc, state, alpha)
                                loss += l
                                n_pred += n_ctx
                        else:
                            for q in range(lo, hi):
                                if q != p:
                                    l, state = sg_step(W_in, sen[q], sen[p], W_out, tables, cfg, sc, state, alpha)
                                    loss += l
                                    n_pred += 1
                    elif ARCH == CBOW:
                        if hi - lo > 1:
                            n_ctx = 0
                            for q in range(lo, hi):
                                if q != p:
                                    context[n_ctx] = sen[q]
                                    n_ctx += 1
                            l, state = cbow_step(W_in, n_ctx, sen[p], W_out, tables, cfg, sc, state, alpha)
                            loss += l
                            n_pred += 1
            if ARCH == NPLM:
                for p in range(n + 1):  # every word, then the sentence end
                    for j in range(cfg.context):
                        q = p - cfg.context + j
                        history[nb, j] = sen[q] if q >= 0 else boundary
                    next_word[nb] = sen[p] if p < n else boundary
                    nb += 1
                    if nb == cfg.batch:
                        l, state = nplm_step(W_in, own[0], W_out, nb, tables, cfg, lm, sc, state, alpha)
                        loss += l
                        n_pred += nb
                        since_sync += nb
                        nb = 0
                        if cfg.sync > 0 and since_sync >= cfg.sync:
                            merge_hidden(hidden, own)
                            since_sync = 0
        if ARCH == NPLM:
            if nb > 0:
                l, state = nplm_step(W_in, own[0], W_out, nb, tables, cfg, lm, sc, state,
                                     learning_rate(cfg, epoch, position + end))
                loss += l
                n_pred += nb
            if cfg.sync > 0:
                merge_hidden(hidden, own)
        losses[c] = loss
        counts[c] = n_pred


_LANE_KERNELS = {}


def lane_kernel(arch, shared):
    """The compiled ``_train_lane`` for architecture ``arch`` (SG with or without ``shared`` targets, CBOW,
    NPLM): one Numba dispatcher per architecture, made on first use and cached on disk under its own
    name. Its signatures differ only in the types of the arrays (NCE's ``log_kq``)."""
    shared = bool(shared) and arch == SG
    key = (arch, shared)
    if key not in _LANE_KERNELS:
        name = "train_lane_" + {SG: "sg_shared" if shared else "sg", CBOW: "cbow", NPLM: "nplm"}[arch]
        namespace = dict(_train_lane.__globals__, ARCH=arch, SHARED=shared)
        fn = types.FunctionType(_renamed_code(_train_lane.__code__, name), namespace, name)
        _LANE_KERNELS[key] = numba.njit(cache=True, nogil=True, fastmath=FASTMATH)(fn)
    return _LANE_KERNELS[key]


def _renamed_code(code, name):
    """``code`` under another name: Numba's disk cache is keyed by the function's name, so each
    specialisation of one body needs its own."""
    try:
        return code.replace(co_name=name, co_qualname=name)
    except TypeError:  # Python 3.10 has no co_qualname
        return code.replace(co_name=name)
