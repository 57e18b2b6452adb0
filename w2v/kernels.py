"""Numba training kernels of the architectures (skip-gram, CBOW, NPLM) that put an output layer
(output/kernels.py) on top of a hidden vector.

Structure (docs/architecture.md says why it is shaped so):

* output layers are small steps (output/kernels.py): given hidden vectors and targets, they update their
  own rows of ``W_out``, write dL/dh and return the loss. The architectures reach them through
  ``output_step``, ``output_block`` and ``output_rows``, which Numba resolves by the type of the layer's
  tables (``Tables.out``), so each compiled kernel holds exactly one output layer.
* architectures decide which inputs make ``h`` and send ``grad_h`` back to them. Skip-gram and CBOW add
  it to input rows; the NPLM (Bengio et al. 2003) backpropagates it through its tanh hidden layer to the
  concatenated features of the previous ``context`` words.
* an architecture is a sentence kernel (``sg_sentence``, ``cbow_sentence``, nplm_kernels.py's ``nplm_sentence``) registered
  with ``@architecture``; ``_train_lane`` is the one loop over a lane's share of a block's
  sentence-aligned chunks, and ``lane_kernel`` compiles it once per architecture with that kernel in it.
  Python threads run the lanes side by side without the GIL (hogwild on the weights, except the NPLM's
  dense hidden layer: each chunk trains a private copy and merges it).

The architecture is compiled into each lane loop and the output layer is a type, so every compiled kernel
holds one combination, cached on disk. Kernels never print; Python drives the epochs and the progress bar.

``grad_h`` is the true gradient dL/dh; every update is ``row -= alpha * dL/drow``. One convention is
word2vec.c's and not the gradient: with ``--cbow-mean`` each context row receives ``grad_h`` rather than
``grad_h / n`` (as in word2vec.c and gensim); the tests check both the gradient and this convention.
"""

from typing import NamedTuple

import numba
import numpy as np

from w2v import jit, scan
from w2v.jit import FASTMATH, MASK32, cast_like, chunk_seed, give_rows, rng_next, take_rows
from w2v.output import kernels as output_kernels
from w2v.output.kernels import output_ask, output_block, output_step
from w2v.scan import MAX_SENTENCE


class Config(NamedTuple):
    """Scalars the kernels need (no arrays)."""

    window: int
    negative: int
    cbow_mean: bool
    alpha: float
    min_alpha: float
    epoch_ids: float  # length of the id stream (one epoch)
    total_ids: float  # epochs * epoch_ids: the learning-rate schedule's horizon
    width: int  # output rows scored for one prediction at most (the output layer's Layer.width)
    seed: int
    # NPLM
    context: int = 0  # words of history
    direct: bool = False  # direct connections from the features to the output
    batch: int = 1  # NPLM examples per step: one hidden-layer update (and one softmax pass) for them all
    sync: int = 0  # NPLM: examples between merges of a chunk's private hidden layer (0: train it in place)
    hot: int = 0  # the last rows of W_out that each lane trains a copy of within a chunk (Layer.hot_rows)
    hot_share: float = 1.0  # the share of a lane's change to them that the shared rows take: 1 / lanes


NO_LOCK = np.zeros(0, np.float32)
OUT_AHEAD = 2  # positions between asking for a centre word's output rows (output_ask) and training it


class Weights(NamedTuple):
    """Every array a kernel trains. Skip-gram and CBOW have no hidden layer: theirs is empty (0 x 0), which
    keeps one compiled kernel for all architectures (a None would compile and cache a second one)."""

    W_in: np.ndarray  # (words, dim): word vectors / the NPLM's features
    W_out: np.ndarray  # (output rows, dim or the NPLM's len(h)): the output layer
    W_hid: np.ndarray
    b_hid: np.ndarray
    # skip-gram and CBOW: per word, the share of its updates that ``W_in`` takes (gensim's vectors_lockf:
    # 0 locks a row, as --lock-init does); empty: every row free
    lock: np.ndarray = NO_LOCK

    @classmethod
    def word2vec(cls, W_in, W_out, lock=None):
        return cls(W_in, W_out, np.zeros((0, 0), W_in.dtype), np.zeros(0, W_in.dtype),
                   NO_LOCK if lock is None else lock)


@numba.njit(inline="always")
def row_step(step, lock, w):
    """The step of input row ``w``: ``step``, times its lock factor where rows have one (exactly ``step``
    otherwise, so a run without locks is bit for bit what it was)."""
    if lock.shape[0] == 0:
        return step
    return step * lock[w]


class Scratch(NamedTuple):
    """A lane's scratch space for skip-gram and CBOW (make_scratch); every field is written before it is read."""

    h: np.ndarray  # (dim,) CBOW's hidden vector
    grad_h: np.ndarray  # (dim,) dL/dh
    context: np.ndarray  # (2 window,) a window's context ids
    targets: np.ndarray  # (negative + 1,) NS/NCE: the data word, then the noise words
    ns_codes: np.ndarray  # (negative + 1,) their codes: 0 (label 1) for the data word, 1 for noise
    f: np.ndarray  # (rows,) scores, then dL/dscore, of one logistic step
    H: np.ndarray  # (2 window, dim) the block step's hidden vectors (skip-gram with shared targets)
    G: np.ndarray  # (2 window, dim) their dL/dH
    S: np.ndarray  # (2 window, rows) their scores
    W_hot: np.ndarray  # (cfg.hot, W_out's columns) the lane's copy of the hot output rows (output/kernels.py)
    W_base: np.ndarray  # the same rows as the chunk took them
    drawn: np.ndarray  # (OUT_AHEAD + 1, negative + 1) the rows of the centres asked for ahead (output_ask)
    n_drawn: np.ndarray  # (OUT_AHEAD + 1,) how many in each slot
    slot: np.ndarray  # (1,) the slot of the centre being trained, or -1: its rows are drawn at its step


class Tables(NamedTuple):
    keep: np.ndarray  # int64[V] subsampling thresholds on rand32
    out: tuple  # the output layer's own tables (its Layer.tables), whose type selects its kernel


# ---------------------------------------------------------------- the window models' steps
def make_scratch(weights, cfg):
    """A lane's scratch space (Scratch), allocated by Python once per block of chunks (``lane_state``):
    the kernels allocate nothing (they are compiled without Numba's reference counting)."""
    W_in, W_out = weights.W_in, weights.W_out
    dim = W_in.shape[1]
    hot = (min(cfg.hot, W_out.shape[0]), W_out.shape[1])
    ns_codes = np.ones(cfg.negative + 1, np.uint8)  # the data word has code 0 (label 1), noise words 1
    ns_codes[0] = 0
    n_out = cfg.width
    return Scratch(np.empty(dim, W_in.dtype), np.empty(dim, W_in.dtype), np.empty(2 * cfg.window, np.int64),
                   np.empty(cfg.negative + 1, np.int32), ns_codes, np.empty(n_out, np.float64),
                   np.empty((2 * cfg.window, dim), W_in.dtype), np.empty((2 * cfg.window, dim), W_in.dtype),
                   np.empty((2 * cfg.window, n_out), np.float64),
                   np.empty(hot, W_out.dtype), np.empty(hot, W_out.dtype),
                   np.empty((OUT_AHEAD + 1, cfg.negative + 1), np.int32), np.zeros(OUT_AHEAD + 1, np.int64),
                   np.full(1, -1, np.int64))


@numba.njit(fastmath=FASTMATH, inline="always")
def sg_step(W_in, lock, c, target, W_out, out, cfg, sc, state, alpha):
    """Skip-gram: ``h`` is the input row of context word ``c``; it predicts ``target`` through the output
    layer whose tables are ``out``."""
    grad_h = sc.grad_h
    grad_h.fill(0)
    row = W_in[c]
    loss, state = output_step(row, target, W_out, out, cfg, sc, state, alpha)
    step = row_step(cast_like(alpha, row), lock, c)
    for k in range(row.shape[0]):
        row[k] -= step * grad_h[k]
    return loss, state


@numba.njit(fastmath=FASTMATH, inline="always")
def sg_block_step(W_in, lock, n_ctx, target, W_out, out, cfg, sc, state, alpha):
    """Skip-gram with shared targets: every context word of the window predicts ``target`` against the
    same noise words (Ji et al. 2016) -- or the same Huffman path, which is shared anyway -- in one
    block step; the window's context ids are ``sc.context[:n_ctx]``. Returns (loss, rng state)."""
    context, H, G = sc.context, sc.H, sc.G
    for i in range(n_ctx):
        row = W_in[context[i]]
        h = H[i]
        for k in range(h.shape[0]):
            h[k] = row[k]
    loss, state = output_block(H, n_ctx, target, W_out, out, cfg, sc, state, alpha)
    step = cast_like(alpha, H)
    for i in range(n_ctx):
        row = W_in[context[i]]
        g = G[i]
        s = row_step(step, lock, context[i])
        for k in range(row.shape[0]):
            row[k] -= s * g[k]
    return loss, state


@numba.njit(fastmath=FASTMATH, inline="always")
def cbow_step(W_in, lock, n_ctx, target, W_out, out, cfg, sc, state, alpha):
    """CBOW: ``h`` is the sum (or mean) of the context rows ``sc.context[:n_ctx]``; each context row
    receives ``grad_h``."""
    h, grad_h, context = sc.h, sc.grad_h, sc.context
    h.fill(0)
    for q in range(n_ctx):
        row = W_in[context[q]]
        for k in range(h.shape[0]):
            h[k] += row[k]
    if cfg.cbow_mean:
        inv = cast_like(1.0 / n_ctx, h)
        for k in range(h.shape[0]):
            h[k] *= inv
    grad_h.fill(0)
    loss, state = output_step(h, target, W_out, out, cfg, sc, state, alpha)
    step = cast_like(alpha, h)
    for q in range(n_ctx):
        row = W_in[context[q]]
        s = row_step(step, lock, context[q])
        for k in range(h.shape[0]):
            row[k] -= s * grad_h[k]
    return loss, state


def decay(alpha, min_alpha, done):
    """The learning rate when the share ``done`` of all epochs is trained: linear from ``alpha`` down to
    ``min_alpha``, never below it. The kernels (``learning_rate``) and the progress bar share it."""
    return max(min_alpha, alpha - (alpha - min_alpha) * done)


_decay = numba.njit(inline="always")(decay)


@numba.njit(inline="always")
def learning_rate(cfg, epoch, index):
    """The learning rate at stream position ``index`` of epoch ``epoch``."""
    return _decay(cfg.alpha, cfg.min_alpha, (epoch * cfg.epoch_ids + index) / cfg.total_ids)


@numba.njit(inline="always")
def keep_word(keep, w, state):
    """Subsampling: keep an occurrence of ``w`` with probability ``keep[w] / 2**32``; returns (kept, state)."""
    if keep[w] >= 4294967296:
        return True, state
    state, r = rng_next(state)
    return np.int64(r & MASK32) < keep[w], state


# ---------------------------------------------------------------- architectures: what a sentence trains
# An architecture is a sentence kernel registered with ``@architecture``: given a sentence (the subsampled
# ids ``sen[:n]``), it makes its examples and trains them through the output layer (the tables ``out``),
# adding to the chunk's running ``loss`` and ``predictions``. Its lane state (scratch space, buffers) is
# made by ``alloc(weights, cfg)`` in Python, once per lane and block: the lane loop is compiled without
# Numba's reference counting (an atomic increment and decrement of an array's count for every row view
# and inlined call, about an eighth of CBOW's time) and so allocates nothing (the NPLM's keeps it:
# see ``refcounts``). ``start`` readies that state in place for a chunk, ``finish`` trains what the chunk
# left pending; all three default to the window models'.
# choices.MODELS names each model's sentence kernel; lane_kernel compiles it into the lane loop.
ARCHITECTURES = {}  # sentence kernel -> (alloc, start, finish, refcounts, floats_per_pass)


def window_alloc(weights, cfg):
    """A window model's lane state: its Scratch."""
    return make_scratch(weights, cfg)


@numba.njit(inline="always")
def window_start(sc, weights, cfg):
    """A chunk starts from the shared hot output rows (output/kernels.py; none with one thread); every other
    field of the Scratch is written before it is read."""
    take_rows(weights.W_out, sc.W_hot, sc.W_base)


@numba.njit(inline="always")
def window_finish(weights, out, cfg, sc, loss, predictions, state, alpha):
    """Nothing waits at a chunk's end; the lane's hot output rows go back to the shared ones."""
    give_rows(weights.W_out, sc.W_hot, sc.W_base, cfg.hot_share)
    return loss, predictions, state


def architecture(alloc=window_alloc, start=window_start, finish=window_finish, refcounts=False,
                 floats_per_pass=jit.FLOATS_PER_PASS):
    """Register ``fn(sen, n, weights, out, cfg, st, loss, predictions, state, alpha) -> (loss, predictions,
    state)`` as an architecture's sentence kernel (see above); returns it compiled for inlining.
    ``refcounts``: its lane loop keeps Numba's reference counting (the NPLM's, whose softmax calls BLAS
    through ``np.dot``, which needs it). ``floats_per_pass``: how wide a pass of its row loops is compiled
    (jit.row_compiler; measured per architecture)."""
    def register(fn):
        fn = numba.njit(fastmath=FASTMATH, inline="always")(fn)
        ARCHITECTURES[fn] = (alloc, start, finish, refcounts, floats_per_pass)
        return fn
    return register


@numba.njit(inline="always")
def ask_first(sen, n, W_out, out, cfg, sc, state):
    """A sentence's first OUT_AHEAD centres asked for (output_ask) before any is trained."""
    for p in range(min(n, OUT_AHEAD)):
        state = output_ask(sen[p], W_out, out, cfg, sc, p % (OUT_AHEAD + 1), state)
    return state


@numba.njit(inline="always")
def ask_next(sen, n, p, W_out, out, cfg, sc, state):
    """Before centre ``p`` trains: ask for centre ``p + OUT_AHEAD`` (its output rows: a sampled layer draws
    its noise words now, into the scratch's slot for it) and point the step at centre ``p``'s slot."""
    if p + OUT_AHEAD < n:
        state = output_ask(sen[p + OUT_AHEAD], W_out, out, cfg, sc, (p + OUT_AHEAD) % (OUT_AHEAD + 1), state)
    sc.slot[0] = p % (OUT_AHEAD + 1)
    return state


@numba.njit(inline="always")
def ask_input(W_in, sen, n, p, window):
    """Before centre ``p`` trains: ask for the input row of the word ``window + 1`` places on, the first
    that no window up to centre ``p`` reaches (a rare word's row is in no cache when it enters one)."""
    if p + window + 1 < n:
        jit.prefetch(W_in, sen[p + window + 1])


@numba.njit(inline="always")
def dynamic_window(state, p, n, window):
    """word2vec's dynamic window around position ``p``: a reach drawn from 1..window; (lo, hi, state)."""
    state, r = rng_next(state)
    reach = window - np.int64(r % np.uint64(window))
    return max(0, p - reach), min(n, p + reach + 1), state


def _sg_sentence(sen, n, weights, out, cfg, sc, loss, predictions, state, alpha):
    """Skip-gram: every word of the window predicts the word at its centre; with ``SHARED`` the window's
    context words share the targets in one block step (Ji et al. 2016), else word2vec.c's update, one pair
    at a time. ``SHARED`` is a compile-time constant (``sg_sentence``, ``sg_classic_sentence``): each kernel
    compiles only the output step it calls."""
    W_in, W_out, context = weights.W_in, weights.W_out, sc.context
    if SHARED:
        state = ask_first(sen, n, W_out, out, cfg, sc, state)
    for p in range(n):
        if SHARED:
            state = ask_next(sen, n, p, W_out, out, cfg, sc, state)
        elif p + OUT_AHEAD < n:
            state = output_ask(sen[p + OUT_AHEAD], W_out, out, cfg, sc, -1, state)  # (the target's row: see ask_next)
        ask_input(W_in, sen, n, p, cfg.window)
        lo, hi, state = dynamic_window(state, p, n, cfg.window)
        if SHARED:
            n_ctx = 0
            for q in range(lo, hi):
                if q != p:
                    context[n_ctx] = sen[q]
                    n_ctx += 1
            if n_ctx > 0:
                l, state = sg_block_step(W_in, weights.lock, n_ctx, sen[p], W_out, out, cfg, sc, state, alpha)
                loss += l
                predictions += n_ctx
        else:
            for q in range(lo, hi):
                if q != p:
                    l, state = sg_step(W_in, weights.lock, sen[q], sen[p], W_out, out, cfg, sc, state, alpha)
                    loss += l
                    predictions += 1
    return loss, predictions, state


SHARED = True  # placeholder: the specialised copies below set it
# skip-gram with shared targets (the default) and with word2vec.c's classic update (--classic): two kernels
# rather than a flag read while training, so that a run compiles one output step, not two (each takes 4-5 s
# to compile; bench/RESULTS.md, "Skip-gram's two updates compiled apart")
sg_sentence = architecture()(jit.renamed(_sg_sentence, "sg_sentence", SHARED=True))
sg_classic_sentence = architecture()(jit.renamed(_sg_sentence, "sg_classic_sentence", SHARED=False))


@architecture()
def cbow_sentence(sen, n, weights, out, cfg, sc, loss, predictions, state, alpha):
    """CBOW: the words of the window together predict the word at its centre."""
    W_in, W_out, context = weights.W_in, weights.W_out, sc.context
    state = ask_first(sen, n, W_out, out, cfg, sc, state)
    for p in range(n):
        state = ask_next(sen, n, p, W_out, out, cfg, sc, state)
        ask_input(W_in, sen, n, p, cfg.window)
        lo, hi, state = dynamic_window(state, p, n, cfg.window)
        if hi - lo > 1:
            n_ctx = 0
            for q in range(lo, hi):
                if q != p:
                    context[n_ctx] = sen[q]
                    n_ctx += 1
            l, state = cbow_step(W_in, weights.lock, n_ctx, sen[p], W_out, out, cfg, sc, state, alpha)
            loss += l
            predictions += 1
    return loss, predictions, state


# ---------------------------------------------------------------- the lane loop, specialised per architecture
# ``_train_lane`` calls the globals START, SENTENCE and FINISH; ``lane_kernel`` compiles a copy of it per
# architecture with them set to that architecture's kernels, so a skip-gram run never compiles the NPLM
# (docs/architecture.md, "compile time").
START = SENTENCE = FINISH = None  # placeholders: only the specialised copies run


def _train_lane(lane, lanes, stream, starts, ends, position, epoch, weights, tables, cfg, losses, counts, stop, st, sen):
    """Train lane ``lane`` of ``lanes``: chunks lane, lane + lanes, ... of the block ``stream`` (whole
    sentences each), in order; writes each chunk's loss and number of predictions to ``losses[c]`` and
    ``counts[c]`` (which the caller fills with -1: a chunk not trained keeps it). Once ``stop[0]`` is
    set (by a signal handler, from another thread) the lane trains no further chunk: a chunk is the unit
    of work a stop waits for, and a chunk's start is a point that a resume continues exactly.

    Python runs the lanes in threads (the kernel releases the GIL), so the threads move through the block
    side by side and share one point of the learning-rate decay, as word2vec.c's and gensim's threads do.

    ``position`` is the global index of ``stream[0]`` in the epoch; with ``epoch`` it fixes both the
    learning rate (linear decay over all epochs) and each chunk's random state, so the result does not
    depend on the number of threads or the order chunks run in. Each sentence is read with its frequent
    words subsampled (into ``sen``, which holds scan.MAX_SENTENCE ids), then trained by the architecture's
    sentence kernel; ``st`` is the lane's state (``lane_state``), readied for each chunk by its ``start``.
    """
    out = tables.out
    for c in range(lane, starts.shape[0], lanes):
        if stop[0] != 0:
            break
        start, end = starts[c], ends[c]
        START(st, weights, cfg)
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
            loss, n_pred, state = SENTENCE(sen, n, weights, out, cfg, st, loss, n_pred, state, alpha)
        loss, n_pred, state = FINISH(weights, out, cfg, st, loss, n_pred, state,
                                     learning_rate(cfg, epoch, position + end))
        losses[c] = loss
        counts[c] = n_pred


_LANE_KERNELS = {}
_LANE_ALLOC = {}  # compiled lane loop -> its architecture's alloc


def lane_sources(sentence):
    """The files a lane kernel with ``sentence`` compiles in (their digest names it: ``lane_kernel``): this
    one, jit.py, the output layers' (output/kernels.SOURCES), scan.py and the sentence's own."""
    import inspect

    return (jit.__file__, *output_kernels.SOURCES, __file__, scan.__file__, inspect.getfile(sentence.py_func))


def lane_kernel(path):
    """The compiled ``_train_lane`` for the architecture whose sentence kernel is ``path`` (a dotted name,
    as choices.MODELS gives it): one Numba dispatcher per architecture, made on first use and cached on
    disk under its own name; each output layer (the type of ``tables.out``) is a signature of it. The name
    carries a digest of the kernel modules it inlines, so a change to any of them is compiled, not loaded
    stale. It is compiled without reference counting (``_nrt=False``) unless the architecture asks for it,
    so it may not allocate."""
    if path not in _LANE_KERNELS:
        import importlib

        module, _, name = path.rpartition(".")
        sentence = getattr(importlib.import_module(module), name)
        alloc, start, finish, refcounts, floats_per_pass = ARCHITECTURES[sentence]
        digest = jit.source_digest(*lane_sources(sentence))
        fn = jit.renamed(_train_lane, f"train_lane_{name}_{digest}", START=start, SENTENCE=sentence, FINISH=finish)
        kernel = numba.njit(cache=True, nogil=True, fastmath=FASTMATH, _nrt=refcounts,
                            pipeline_class=jit.row_compiler(floats_per_pass))(fn)
        _LANE_KERNELS[path] = kernel
        _LANE_ALLOC[kernel] = alloc
    return _LANE_KERNELS[path]


def lane_state(kernel, weights, cfg):
    """A lane's own arrays for ``kernel`` (a ``lane_kernel``): its architecture's state and a sentence
    buffer, the last two arguments of every call of the lane loop."""
    return _LANE_ALLOC[kernel](weights, cfg), np.empty(MAX_SENTENCE, np.int32)  # (the encoder's cut)
