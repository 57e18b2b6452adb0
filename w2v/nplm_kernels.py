"""Numba kernels of the neural probabilistic language model (Bengio et al. 2003): its scratch space, the
step over a block of examples (features, tanh hidden layer, output layer, and back), the private copy of the
dense hidden layer a thread trains and merges, and its sentence kernel for the lane loop (kernels.py)."""

import math
from typing import NamedTuple

import numba
import numpy as np

from w2v.jit import FASTMATH, axpy4, cast_like, dot, dots4, give_rows, take_rows
from w2v.kernels import Scratch, architecture, make_scratch
from w2v.output.kernels import output_rows


class Hidden(NamedTuple):
    """The NPLM's hidden layer, ``a = tanh(W_hid x + b_hid)``."""

    W_hid: np.ndarray  # (hidden, context * dim)
    b_hid: np.ndarray  # (hidden,)


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


def make_nplm_scratch(W_in, W_out, cfg):
    """The NPLM's scratch space (NPLMScratch) for a block of ``cfg.batch`` examples."""
    nb = cfg.batch
    n_x = cfg.context * W_in.shape[1]
    n_out = W_out.shape[1]
    n_hid = n_out - 1 - (n_x if cfg.direct else 0)
    n_s = cfg.width
    dt = W_in.dtype
    return NPLMScratch(np.empty((nb, cfg.context), np.int64), np.empty(nb, np.int64), np.empty((nb, n_x), dt),
                       np.empty((nb, n_hid), dt), np.empty((nb, n_out), dt), np.empty((nb, n_out), dt),
                       np.empty((nb, n_s), np.float64), np.empty((nb, n_hid), dt), np.empty((nb, n_x), dt))


@numba.njit(fastmath=FASTMATH, inline="always")
def nplm_step(W_in, hidden, W_out, nb, out, cfg, lm, sc, state, alpha):
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
            a[j], a[j + 1], a[j + 2], a[j + 3] = dots4(x, W_hid[j], W_hid[j + 1], W_hid[j + 2], W_hid[j + 3])
        for j in range(h4, n_hid):
            a[j] = dot(x, W_hid[j])
        h = Hout[i]
        for j in range(n_hid):
            a[j] = math.tanh(a[j] + b_hid[j])
            h[j] = a[j]
        if cfg.direct:
            for k in range(n_x):
                h[n_hid + k] = x[k]
        h[n_out - 1] = 1.0
    loss, state = output_rows(Hout, nb, W_out, target, out, cfg, sc, S, Gout, state, alpha)
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
            axpy4(gx, g[j], W_hid[j], g[j + 1], W_hid[j + 1], g[j + 2], W_hid[j + 2], g[j + 3], W_hid[j + 3])
        for j in range(h4, n_hid):
            gj = g[j]
            row = W_hid[j]
            for k in range(n_x):
                gx[k] += gj * row[k]
    step = cast_like(alpha, X)
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


def private_hidden(hidden, cfg):
    """The hidden layer a chunk trains: with ``cfg.sync`` (NPLM with threads) a private copy and the
    snapshot it started from, so threads do not write the dense ``W_hid`` on every example; else the
    shared layer itself (and an empty snapshot)."""
    if cfg.sync > 0:
        return Hidden(hidden.W_hid.copy(), hidden.b_hid.copy()), Hidden(hidden.W_hid.copy(), hidden.b_hid.copy())
    return (Hidden(hidden.W_hid, hidden.b_hid),
            Hidden(np.empty((0, 0), hidden.W_hid.dtype), np.empty(0, hidden.b_hid.dtype)))


@numba.njit(inline="always")
def merge_hidden(hidden, own):
    """Add what this chunk's private hidden layer learned since the last merge to the shared one, and
    restart the private copy (and its snapshot) from the shared layer, which now also holds the other
    threads' merged changes."""
    mine, snap = own
    give_rows(hidden.W_hid, mine.W_hid, snap.W_hid, 1.0)
    give_rows(hidden.b_hid[None, :], mine.b_hid[None, :], snap.b_hid[None, :], 1.0)
    take_hidden(hidden, own)


@numba.njit(inline="always")
def take_hidden(hidden, own):
    """The private copy and its snapshot from the shared hidden layer."""
    mine, snap = own
    take_rows(hidden.W_hid, mine.W_hid, snap.W_hid)
    take_rows(hidden.b_hid[None, :], mine.b_hid[None, :], snap.b_hid[None, :])


class NPLMChunk(NamedTuple):
    """The NPLM's chunk state: both scratch spaces, the hidden layer it trains (private_hidden) and two
    counters: examples waiting in the block, examples since the last merge of the hidden layer."""

    sc: Scratch
    lm: NPLMScratch
    own: tuple
    pending: np.ndarray  # int64[2]


def nplm_alloc(weights, cfg):
    """A lane's NPLMChunk (kernels.architecture's ``alloc``). Its output rows have no lane-private copies
    (``cfg.hot``: the window models' chunks are long enough for their mean to be right; the NPLM's, cut
    by its work per example, are not measured)."""
    W_in = weights.W_in
    return NPLMChunk(make_scratch(weights, cfg._replace(hot=0)), make_nplm_scratch(W_in, weights.W_out, cfg),
                     private_hidden(Hidden(weights.W_hid, weights.b_hid), cfg), np.zeros(2, np.int64))


@numba.njit(inline="always")
def nplm_start(st, weights, cfg):
    """A chunk starts with no example waiting and, with ``cfg.sync``, its private hidden layer and snapshot
    copied from the shared one."""
    st.pending.fill(0)
    if cfg.sync > 0:
        take_hidden(Hidden(weights.W_hid, weights.b_hid), st.own)


@numba.njit(fastmath=FASTMATH, inline="always")
def nplm_finish(weights, out, cfg, st, loss, predictions, state, alpha):
    """Train the examples still waiting at the chunk's end, and merge the private hidden layer."""
    nb = st.pending[0]
    if nb > 0:
        l, state = nplm_step(weights.W_in, st.own[0], weights.W_out, nb, out, cfg, st.lm, st.sc, state, alpha)
        loss += l
        predictions += nb
    if cfg.sync > 0:
        merge_hidden(Hidden(weights.W_hid, weights.b_hid), st.own)
    return loss, predictions, state


@architecture(alloc=nplm_alloc, start=nplm_start, finish=nplm_finish, refcounts=True)
def nplm_sentence(sen, n, weights, out, cfg, st, loss, predictions, state, alpha):
    """The NPLM predicts every word and the sentence end from the ``cfg.context`` words before it, in
    blocks of ``cfg.batch`` examples (which may span sentences); the last row of ``W_in``/``W_out`` is the
    sentence boundary, which also pads the history at a sentence start."""
    W_in, W_out = weights.W_in, weights.W_out
    boundary = W_in.shape[0] - 1
    history, next_word, pending = st.lm.history, st.lm.target, st.pending
    for p in range(n + 1):  # every word, then the sentence end
        nb = pending[0]
        for j in range(cfg.context):
            q = p - cfg.context + j
            history[nb, j] = sen[q] if q >= 0 else boundary
        next_word[nb] = sen[p] if p < n else boundary
        nb += 1
        pending[0] = nb
        if nb == cfg.batch:
            l, state = nplm_step(W_in, st.own[0], W_out, nb, out, cfg, st.lm, st.sc, state, alpha)
            loss += l
            predictions += nb
            pending[1] += nb
            pending[0] = 0
            if cfg.sync > 0 and pending[1] >= cfg.sync:
                merge_hidden(Hidden(weights.W_hid, weights.b_hid), st.own)
                pending[1] = 0
    return loss, predictions, state
