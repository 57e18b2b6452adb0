"""Numba kernels of the output layers, and the one place the architectures reach them.

Contract (after fastText): given hidden vectors and targets, an output layer updates its own rows of
``W_out``, writes dL/dh, and returns the summed loss; every gradient is taken before anything moves, so
each step is the exact gradient step of its summed loss (tests/test_gradients.py checks it in float64).

An output layer's kernel function is registered for its kernel tables' class (``Layer.tables``), and the
architectures call three generic steps that Numba resolves by that class when it compiles them:

* ``output_step(h, target, ...)``: one hidden vector predicts ``target`` (skip-gram, CBOW);
* ``output_block(H, n_in, target, ...)``: ``H[:n_in]`` all predict ``target`` (skip-gram's shared targets);
* ``output_rows(H, nb, targets, ...)``: ``H[i]`` predicts ``targets[i]`` (the NPLM's block of examples).

Two kinds of layer register:

* ``@logistic_targets(Tables)``: a layer that classifies rows of ``W_out`` as 1 or 0 only says which rows
  and codes (label ``1 - code``) predict the target, and which logit shift applies (None compiles it
  away); the shared logistic step (``logistic_block``) does the rest, and all three steps come free.
  Negative sampling, NCE and hierarchical softmax are such layers.
* ``@rows_layer(Tables)``: anything else implements ``output_rows`` itself (the full softmax); it serves
  the architectures that predict a block of targets (the NPLM).
"""

import math

import numba
import numpy as np
from numba.core.errors import TypingError
from numba.extending import overload

from w2v import blas, jit
from w2v.blas import add_outer
from w2v.jit import FASTMATH, axpy4, cast_like, dots4, draw_targets, exp_shifted, out_row, prefetch, row_compiler
from w2v.output import hs, nce, ns, softmax

# the files whose code and constants (hs.CACHED_NODES, blas's gemm, ...) the output steps compile into a
# kernel: a lane kernel's name carries their digest (kernels.lane_kernel), so editing any of them compiles it
# again (Numba's disk cache checks only the kernel's own file)
SOURCES = (__file__,) + tuple(m.__file__ for m in (blas, hs, nce, ns, softmax))

# ---------------------------------------------------------------- registration
LOGISTIC_TARGETS = {}  # kernel tables class -> its logistic layer's targets function
ROWS_STEPS = {}  # kernel tables class -> its output_rows function
ASK_AHEAD = {}  # kernel tables class -> a function that asks the caches for a future target's rows


def logistic_targets(tables_class):
    """Register ``fn(target, out, cfg, sc, state) -> (rows, codes, log_kq, may_repeat, state)`` as the
    logistic layer of ``tables_class``: the rows of ``W_out`` that predict ``target`` with their codes
    (label ``1 - code``), the logit shift (an array indexed by row, or None), whether a row may occur
    twice; ``out`` is the layer's tables, ``sc`` the architecture's Scratch (``targets``/``ns_codes``
    buffers of ``cfg.negative + 1``)."""
    def register(fn):
        LOGISTIC_TARGETS[tables_class] = fn = numba.njit(inline="always")(fn)
        return fn
    return register


def rows_layer(tables_class):
    """Register ``fn(H, nb, W_out, targets, out, cfg, sc, S, G, state, alpha) -> (loss, state)`` as the
    ``output_rows`` step of ``tables_class``: ``H[i]`` predicts ``targets[i]`` for ``i < nb``, dL/dH into
    ``G``, ``S`` (float64, nb x the layer's width) is scratch."""
    def register(fn):
        ROWS_STEPS[tables_class] = fn = numba.njit(inline="always")(fn)
        return fn
    return register


def asks_ahead(*tables_classes):
    """Register ``fn(target, W_out, out, cfg, sc, slot, state) -> state`` for ``tables_classes``: it asks the
    caches (jit.prefetch) for the rows of ``W_out`` that will predict ``target`` a few centres from now
    (``output_ask``) and changes no weight. A sampled layer draws that centre's rows now, into
    ``sc.drawn[slot]``, where its step finds them (``slot`` -1: the rows are drawn at the step, and only the
    target's is asked for). A layer without one asks for nothing."""
    def register(fn):
        fn = numba.njit(inline="always")(fn)
        for cls in tables_classes:
            ASK_AHEAD[cls] = fn
        return fn
    return register


def _layer_of(out, step):
    """The registered kernel for the output layer whose tables have Numba type ``out``: its targets
    function (a logistic layer), None for a layer with its own ``output_rows`` step; a typing error
    naming the step otherwise (a layer without a kernel, or the softmax asked for one target)."""
    cls = getattr(out, "instance_class", None)
    if cls in LOGISTIC_TARGETS:
        return LOGISTIC_TARGETS[cls]
    if cls in ROWS_STEPS and step == "output_rows":
        return None
    raise TypingError(f"{step}: no output layer registered for tables {out} (output/kernels.py registers them)")


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


# ---------------------------------------------------------------- a lane's hot output rows
# With two threads or more, the hottest rows of ``W_out`` (the hierarchical softmax's inner nodes nearest
# the root, which nearly every prediction updates: Layer.hot_rows) are lane-private within a chunk: each
# lane trains its own copy (``W_hot``, of the last rows of ``W_out``: jit.take_rows) and at the chunk's
# end adds its change, divided by the number of lanes, to the shared rows (jit.give_rows). Written by both
# cores on every word, those rows otherwise move between the cores' caches on every access. The division: each of these rows takes
# tens to thousands of updates a chunk, so a lane's change over a chunk is already about what the row
# needs, and the lanes' changes summed overshoot (cbow/hs lost 0.6-2.3 analogy points over four seeds);
# their mean keeps the quality (bench/RESULTS.md, "The root of the tree in each lane's cache"). With one
# thread there are none: bit for bit the plain step. The steps read a row through jit.out_row.

# ---------------------------------------------------------------- the logistic step
def _shifted(x, log_kq, w):  # pragma: no cover - replaced by the overload inside Numba
    return x if log_kq is None else x - log_kq[w]


@overload(_shifted)
def _shifted_impl(x, log_kq, w):
    """A logit shift (NCE's), chosen at compile time: no code at all when ``log_kq`` is None."""
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
def logistic_layer(h, W_out, rows, codes, log_kq, alpha, grad_h, f, may_repeat=True, W_hot=None):
    """Binary logistic steps on ``W_out[rows[t]]`` with labels ``1 - codes[t]``; returns the summed loss.

    The loss of one step is ``-log sigma(s)`` for label 1 and ``-log sigma(-s)`` for label 0, with
    ``s = h . W_out[row] - log_kq[row]`` (NCE's shift; ``log_kq`` is None otherwise), computed stably.
    It is ``logistic_block`` for a block of one: every score and ``grad_h`` is computed before any row
    moves, so the update is the exact gradient step of the summed loss, also when a noise word is drawn
    twice. Updates ``W_out`` rows in place and sets ``grad_h`` to dL/dh; ``f`` is scratch space.
    """
    n = rows.shape[0]
    # h[None, :] rather than h.reshape(1, d): the same C-contiguous view, without reshape's call into
    # Numba's runtime (three per prediction; CBOW ran 8-13% faster without them, bench/RESULTS.md)
    return logistic_block(h[None, :], 1, W_out, rows, codes, log_kq, alpha, grad_h[None, :], f[:n][None, :],
                          may_repeat, W_hot)


@numba.njit(fastmath=FASTMATH, inline="always")
def logistic_block(H, n_in, W_out, rows, codes, log_kq, alpha, G, S, may_repeat, W_hot=None):
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
            S[i, t], S[i, t + 1], S[i, t + 2], S[i, t + 3] = dots4(
                h, out_row(W_out, W_hot, rows[t]), out_row(W_out, W_hot, rows[t + 1]),
                out_row(W_out, W_hot, rows[t + 2]), out_row(W_out, W_hot, rows[t + 3]))
        for t in range(n4, n):
            row = out_row(W_out, W_hot, rows[t])
            s = cast_like(0.0, h)
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
    if n_in == 1 and not may_repeat:  # distinct rows (a Huffman path): each read and written once
        _back_and_step(H[0], W_out, W_hot, rows, S, alpha, G[0], n4, n)
        return loss
    # dL/dH from the rows as they are, before they move
    for i in range(n_in):
        gi = G[i]
        gi.fill(0)
        for t in range(0, n4, 4):
            axpy4(gi, cast_like(S[i, t], gi), out_row(W_out, W_hot, rows[t]),
                  cast_like(S[i, t + 1], gi), out_row(W_out, W_hot, rows[t + 1]),
                  cast_like(S[i, t + 2], gi), out_row(W_out, W_hot, rows[t + 2]),
                  cast_like(S[i, t + 3], gi), out_row(W_out, W_hot, rows[t + 3]))
        for t in range(n4, n):
            g = cast_like(S[i, t], gi)
            row = out_row(W_out, W_hot, rows[t])
            for k in range(gi.shape[0]):
                gi[k] += g * row[k]
    # then the output rows: row_t -= alpha * sum_i S[i, t] H[i]
    for t in range(n):
        step_row(out_row(W_out, W_hot, rows[t]), S, t, H, n_in, alpha)
    return loss


@numba.njit(fastmath=FASTMATH, inline="always")
def _back_and_step(h, W_out, W_hot, rows, S, alpha, gi, n4, n):
    """``logistic_block``'s last two passes for one input and distinct rows, in one pass over each row:
    dL/dh takes the row as it is (``gi += g w``), then the row moves (``w -= alpha g h``); the values of
    the two passes, since no row comes twice."""
    gi.fill(0)
    for t in range(0, n4, 4):
        _back4(gi, h, cast_like(S[0, t], gi), out_row(W_out, W_hot, rows[t]),
               cast_like(S[0, t + 1], gi), out_row(W_out, W_hot, rows[t + 1]),
               cast_like(S[0, t + 2], gi), out_row(W_out, W_hot, rows[t + 2]),
               cast_like(S[0, t + 3], gi), out_row(W_out, W_hot, rows[t + 3]),
               cast_like(alpha * S[0, t], gi), cast_like(alpha * S[0, t + 1], gi),
               cast_like(alpha * S[0, t + 2], gi), cast_like(alpha * S[0, t + 3], gi))
    for t in range(n4, n):
        g, step = cast_like(S[0, t], gi), cast_like(alpha * S[0, t], gi)
        row = out_row(W_out, W_hot, rows[t])
        for k in range(gi.shape[0]):
            w = row[k]
            gi[k] += g * w
            row[k] = w - step * h[k]


@numba.njit(fastmath=FASTMATH, inline="always")
def _back4(gi, h, g0, o0, g1, o1, g2, o2, g3, o3, a0, a1, a2, a3):
    for k in range(gi.shape[0]):
        w0, w1, w2, w3 = o0[k], o1[k], o2[k], o3[k]
        gi[k] += g0 * w0 + g1 * w1 + g2 * w2 + g3 * w3
        x = h[k]
        o0[k] = w0 - a0 * x
        o1[k] = w1 - a1 * x
        o2[k] = w2 - a2 * x
        o3[k] = w3 - a3 * x


# the NPLM calls the logistic layer once per example beside its far larger hidden layer: a call, not a
# copy inlined into its kernel, which keeps the NPLM's compile time down
logistic_block_call = jit.cached(jit, fastmath=FASTMATH, pipeline_class=row_compiler())(logistic_block.py_func)


@numba.njit(fastmath=FASTMATH, inline="always")
def step_row(row, S, t, H, n_in, alpha):
    """row -= alpha * sum_i S[i, t] H[i] over the block, four inputs per pass over ``row``."""
    m4 = n_in - n_in % 4
    for i in range(0, m4, 4):
        axpy4(row, cast_like(-alpha * S[i, t], row), H[i], cast_like(-alpha * S[i + 1, t], row), H[i + 1],
              cast_like(-alpha * S[i + 2, t], row), H[i + 2], cast_like(-alpha * S[i + 3, t], row), H[i + 3])
    for i in range(m4, n_in):
        step = cast_like(alpha * S[i, t], row)
        h = H[i]
        for k in range(row.shape[0]):
            row[k] -= step * h[k]


# ---------------------------------------------------------------- the logistic layers
@numba.njit(inline="always")
def _sampled(target, noise, negative, keep_target, sc, state):
    """The rows of a sampled step: drawn for this centre when it was asked for ahead (``sc.slot[0]``: sg and
    cbow, subword CBOW, ``ns_ask`` / ``nce_ask``), else drawn now (the classic skip-gram's pairs, subword
    skip-gram, the NPLM's examples)."""
    slot = sc.slot[0]
    if slot < 0:
        n, state = draw_targets(target, noise, negative, keep_target, sc.targets, state)
        return sc.targets[:n], sc.ns_codes[:n], state
    n = sc.n_drawn[slot]
    return sc.drawn[slot, :n], sc.ns_codes[:n], state


@logistic_targets(ns.Tables)
def ns_targets(target, out, cfg, sc, state):
    """Negative sampling: word2vec.c skips (does not redraw) a noise word equal to the target."""
    rows, codes, state = _sampled(target, out.noise, cfg.negative, False, sc, state)
    return rows, codes, None, True, state


@numba.njit(inline="always")
def _draw_ahead(target, W_out, noise, negative, keep_target, sc, slot, state):
    """A centre's rows drawn when it is asked for, into ``sc.drawn[slot]`` where its step reads them, and
    asked of the caches: most noise rows are in none. ``slot`` -1 (the classic skip-gram, whose pairs draw
    their own, and subword skip-gram): the target's row only."""
    if slot < 0:
        prefetch(W_out, target)
        return state
    n, state = draw_targets(target, noise, negative, keep_target, sc.drawn[slot], state)
    sc.n_drawn[slot] = n
    for j in range(n):
        prefetch(W_out, sc.drawn[slot, j])
    return state


@asks_ahead(ns.Tables)
def ns_ask(target, W_out, out, cfg, sc, slot, state):
    """Negative sampling: the target's row and its noise words', drawn now."""
    return _draw_ahead(target, W_out, out.noise, cfg.negative, False, sc, slot, state)


@asks_ahead(nce.Tables)
def nce_ask(target, W_out, out, cfg, sc, slot, state):
    """NCE: the same, a noise word equal to the target kept."""
    return _draw_ahead(target, W_out, out.noise, cfg.negative, True, sc, slot, state)


@logistic_targets(nce.Tables)
def nce_targets(target, out, cfg, sc, state):
    """NCE: the same draws, a noise word equal to the target kept, each logit shifted by log(k q(w))."""
    rows, codes, state = _sampled(target, out.noise, cfg.negative, True, sc, state)
    return rows, codes, out.log_kq, True, state


@asks_ahead(hs.Tables)
def path_ask(target, W_out, out, cfg, sc, slot, state):
    """Hierarchical softmax: the rows of the target's inner nodes below the top ``hs.CACHED_NODES`` (those
    stay in cache: nearly every prediction passes them). Nothing for ``slot`` -1 (the classic skip-gram,
    subword skip-gram, whose own rows' misses the path's would compete with)."""
    if slot < 0:
        return state
    first_cached = W_out.shape[0] - hs.CACHED_NODES
    for j in range(out.offsets[target], out.offsets[target + 1]):
        node = out.points[j]
        if node < first_cached:
            prefetch(W_out, node)
    return state


@logistic_targets(hs.Tables)
def hs_targets(target, out, cfg, sc, state):
    """Hierarchical softmax: the inner nodes on the target's Huffman path with their branch codes."""
    a, b = out.offsets[target], out.offsets[target + 1]
    return out.points[a:b], out.codes[a:b], None, False, state


# ---------------------------------------------------------------- the full softmax
@numba.njit(inline="always")
def _as_matrix(S, rows, cols, like):
    """The first ``rows x cols`` elements of the float64 scratch ``S`` as a C-contiguous matrix of ``like``'s
    dtype: BLAS multiplies matrices of one dtype, and float32 scores take half of ``S``'s room."""
    return S.reshape(S.size).view(like.dtype)[:rows * cols].reshape((rows, cols))


@jit.cached(jit, blas, fastmath=FASTMATH, pipeline_class=row_compiler())
def softmax_block(H, n_in, W_out, targets, alpha, G, S):
    """The full softmax: ``-log p(targets[i] | H[i])`` with ``p = softmax(W_out H[i])`` over every row of
    ``W_out``, for a block of ``n_in`` hidden vectors; returns the summed loss.

    Three matrix products through BLAS, in ``W_out``'s dtype (the lanes limit BLAS to one thread each): the
    scores ``P = H W_out^T`` (``np.dot``); after a stable log-sum-exp turns each score into ``p - y``
    (dL/dscore), dL/dH ``= P W_out`` from the rows before they move (``np.dot``), then the rows' step
    ``W_out -= alpha P^T H`` added in place by one gemm (blas.add_outer: no V x len(h) buffer). The exact
    gradient step of the summed loss. ``S`` (float64, at least ``n_in`` x V) is scratch: float32 scores take
    half of it, and ``exp_shifted`` V int32 beyond them.
    """
    V = W_out.shape[0]
    P = _as_matrix(S, n_in, V, W_out)
    E = S.reshape(S.size).view(np.int32)[n_in * V:(n_in + 1) * V]  # exp_shifted's scratch (float32 P: beyond it)
    Hb = H[:n_in]
    np.dot(Hb, W_out.T, P)
    loss = 0.0
    for i in range(n_in):
        p = P[i]
        t = targets[i]
        score_t = np.float64(p[t])
        m = p[0]
        for v in range(1, V):
            m = max(m, p[v])
        z = exp_shifted(p, m, E)
        loss += np.float64(m) + math.log(z) - score_t  # log Z - score[t]
        inv = cast_like(1.0 / z, p)
        for v in range(V):
            p[v] *= inv
        p[t] -= 1.0
    np.dot(P, W_out, G[:n_in])
    add_outer(W_out, P, H, n_in, -alpha)
    return loss


@rows_layer(softmax.Tables)
def softmax_rows(H, nb, W_out, targets, out, cfg, sc, S, G, state, alpha):
    """The full softmax serves the whole block in one step."""
    return softmax_block(H, nb, W_out, targets, alpha, G, S), state


# ---------------------------------------------------------------- what the architectures call
# The steps are inlined by LLVM (``forceinline``: its alwaysinline attribute), not by Numba's IR inliner:
# Numba compiles an overload's implementation in full before it inlines its IR, so ``inline="always"``
# compiled every step twice (sg/ns's cold start 26.2 s against 13.9 s now; the same machine code, the
# same vectors bit for bit, bench/RESULTS.md).
def output_step(h, target, W_out, out, cfg, sc, state, alpha):  # pragma: no cover - Numba's overload
    """One hidden vector ``h`` predicts ``target``: dL/dh into ``sc.grad_h``; returns (loss, rng state)."""
    raise NotImplementedError


@overload(output_step, jit_options={"forceinline": True})
def _output_step(h, target, W_out, out, cfg, sc, state, alpha):
    targets = _layer_of(out, "output_step")

    def impl(h, target, W_out, out, cfg, sc, state, alpha):
        rows, codes, log_kq, may_repeat, state = targets(target, out, cfg, sc, state)
        return logistic_layer(h, W_out, rows, codes, log_kq, alpha, sc.grad_h, sc.f, may_repeat, sc.W_hot), state
    return impl


def output_block(H, n_in, target, W_out, out, cfg, sc, state, alpha):  # pragma: no cover - Numba's overload
    """``H[:n_in]`` all predict ``target`` against the same rows: dL/dH into ``sc.G``; returns (loss, state)."""
    raise NotImplementedError


@overload(output_block, jit_options={"forceinline": True})
def _output_block(H, n_in, target, W_out, out, cfg, sc, state, alpha):
    targets = _layer_of(out, "output_block")

    def impl(H, n_in, target, W_out, out, cfg, sc, state, alpha):
        rows, codes, log_kq, may_repeat, state = targets(target, out, cfg, sc, state)
        return logistic_block(H, n_in, W_out, rows, codes, log_kq, alpha, sc.G, sc.S, may_repeat, sc.W_hot), state
    return impl


def output_ask(target, W_out, out, cfg, sc, slot, state):  # pragma: no cover - Numba's overload
    """Ready the rows that will predict ``target`` (the layer's ``asks_ahead``; else nothing); returns the
    rng state."""
    raise NotImplementedError


@overload(output_ask, jit_options={"forceinline": True})
def _output_ask(target, W_out, out, cfg, sc, slot, state):
    ask = ASK_AHEAD.get(getattr(out, "instance_class", None))
    if ask is None:
        return lambda target, W_out, out, cfg, sc, slot, state: state

    def impl(target, W_out, out, cfg, sc, slot, state):
        return ask(target, W_out, out, cfg, sc, slot, state)
    return impl


def output_rows(H, nb, W_out, targets, out, cfg, sc, S, G, state, alpha):  # pragma: no cover - Numba's overload
    """``H[i]`` predicts ``targets[i]`` for ``i < nb``: dL/dH into ``G``; returns (loss, rng state)."""
    raise NotImplementedError


@overload(output_rows)
def _output_rows(H, nb, W_out, targets, out, cfg, sc, S, G, state, alpha):
    draw = _layer_of(out, "output_rows")
    if draw is None:  # a layer with its own rows step
        rows_step = ROWS_STEPS[out.instance_class]

        def own(H, nb, W_out, targets, out, cfg, sc, S, G, state, alpha):
            return rows_step(H, nb, W_out, targets, out, cfg, sc, S, G, state, alpha)
        return own

    def impl(H, nb, W_out, targets, out, cfg, sc, S, G, state, alpha):  # a logistic layer, example by example
        loss = 0.0
        for i in range(nb):
            rows, codes, log_kq, may_repeat, state = draw(targets[i], out, cfg, sc, state)
            loss += logistic_block_call(H[i:i + 1], 1, W_out, rows, codes, log_kq, alpha, G[i:i + 1], S[i:i + 1],
                                        may_repeat)
        return loss, state
    return impl
