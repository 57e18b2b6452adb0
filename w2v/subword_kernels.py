"""Numba sentence kernels of fastText's subword model (Bojanowski et al. 2017): skip-gram and CBOW whose
input is a bag of rows, a word's own row and its character n-grams' (subwords.py), instead of one row.

A word's hidden vector is the mean of its rows (``ptr``/``rows``: word ``w``'s are
``rows[ptr[w]:ptr[w + 1]]``); CBOW's is the mean over every row of every context word. As in fastText,
every input row then receives the whole ``grad_h`` (``row -= alpha * grad_h``), not the true gradient
``grad_h / n`` of a mean: fastText's step, which the tests check beside the gradient itself.

Skip-gram: the centre word's rows predict each word of its window (fastText's direction). The window's
predictions share one hidden vector and their ``grad_h`` are summed and sent back once, so each row is
read and written once per window rather than once per prediction (fastText re-reads them every time).
The output layers are the window models' (output/kernels.py), reached through ``output_step``.
"""

from typing import NamedTuple

import numba
import numpy as np

from w2v.jit import FASTMATH, cast_like
from w2v.kernels import NO_LOCK, architecture, dynamic_window
from w2v.output.kernels import output_step


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


@numba.njit(fastmath=FASTMATH, inline="always")
def _add_rows(h, W_in, rows, a, b):
    for j in range(a, b):
        row = W_in[rows[j]]
        for k in range(h.shape[0]):
            h[k] += row[k]


@numba.njit(fastmath=FASTMATH, inline="always")
def _step_rows(W_in, rows, a, b, step, grad):
    for j in range(a, b):
        row = W_in[rows[j]]
        for k in range(row.shape[0]):
            row[k] -= step * grad[k]


@numba.njit(fastmath=FASTMATH, inline="always")
def sg_subword_step(weights, sen, p, lo, hi, out, cfg, sc, state, alpha):
    """The centre word ``sen[p]``'s rows (their mean, ``h``) predict ``sen[lo:hi]`` but ``p``; their
    ``grad_h`` summed goes back to each of the rows. Returns (loss, predictions, rng state)."""
    W_in, W_out, ptr, rows = weights.W_in, weights.W_out, weights.ptr, weights.rows
    h, grad_h, acc = sc.h, sc.grad_h, sc.G[0]
    w = sen[p]
    a, b = ptr[w], ptr[w + 1]
    h.fill(0)
    _add_rows(h, W_in, rows, a, b)
    inv = cast_like(1.0 / (b - a), h)
    for k in range(h.shape[0]):
        h[k] *= inv
    acc.fill(0)
    loss = 0.0
    for q in range(lo, hi):
        if q != p:
            grad_h.fill(0)
            l, state = output_step(h, sen[q], W_out, out, cfg, sc, state, alpha)
            for k in range(acc.shape[0]):
                acc[k] += grad_h[k]
            loss += l
    _step_rows(W_in, rows, a, b, cast_like(alpha, h), acc)
    return loss, hi - lo - 1, state


@numba.njit(fastmath=FASTMATH, inline="always")
def cbow_subword_step(weights, sen, p, lo, hi, out, cfg, sc, state, alpha):
    """Every row of the context words ``sen[lo:hi]`` but ``p`` (their mean, or sum) predicts ``sen[p]``;
    each row receives ``grad_h``. Returns (loss, rng state)."""
    W_in, W_out, ptr, rows = weights.W_in, weights.W_out, weights.ptr, weights.rows
    h, grad_h = sc.h, sc.grad_h
    h.fill(0)
    n_rows = 0
    for q in range(lo, hi):
        if q != p:
            w = sen[q]
            _add_rows(h, W_in, rows, ptr[w], ptr[w + 1])
            n_rows += ptr[w + 1] - ptr[w]
    if cfg.cbow_mean:
        inv = cast_like(1.0 / n_rows, h)
        for k in range(h.shape[0]):
            h[k] *= inv
    grad_h.fill(0)
    loss, state = output_step(h, sen[p], W_out, out, cfg, sc, state, alpha)
    step = cast_like(alpha, h)
    for q in range(lo, hi):
        if q != p:
            w = sen[q]
            _step_rows(W_in, rows, ptr[w], ptr[w + 1], step, grad_h)
    return loss, state


@architecture()
def sg_subword_sentence(sen, n, weights, out, cfg, sc, loss, predictions, state, alpha):
    """Skip-gram with subwords: the mean of the centre word's rows predicts each word of its window."""
    for p in range(n):
        lo, hi, state = dynamic_window(state, p, n, cfg.window)
        if hi - lo > 1:
            l, m, state = sg_subword_step(weights, sen, p, lo, hi, out, cfg, sc, state, alpha)
            loss += l
            predictions += m
    return loss, predictions, state


@architecture()
def cbow_subword_sentence(sen, n, weights, out, cfg, sc, loss, predictions, state, alpha):
    """CBOW with subwords: the mean (or with --cbow-sum the sum) of every row of the window's context
    words predicts the word at its centre."""
    for p in range(n):
        lo, hi, state = dynamic_window(state, p, n, cfg.window)
        if hi - lo > 1:
            l, state = cbow_subword_step(weights, sen, p, lo, hi, out, cfg, sc, state, alpha)
            loss += l
            predictions += 1
    return loss, predictions, state
