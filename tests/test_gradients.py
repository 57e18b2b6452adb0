"""Analytic gradients of every output layer and architecture against central finite differences (float64).

Each step updates parameters as ``theta -= alpha * dL/dtheta`` with the gradient taken at the point
before the step, so with ``alpha = 1`` the change of each parameter is minus its analytic gradient;
with ``alpha = 0`` a step only evaluates the loss. Noise words depend only on the RNG state, so the
loss is a deterministic function of the parameters for a fixed state.
"""

import numpy as np
import pytest

import types

from w2v import kernels
from w2v.jit import give_rows, take_rows
from w2v.output import kernels as output_kernels
from w2v.output import layer

EPS = 1e-6
V, D = 12, 7
ZERO = None  # no logit shift (NS and HS)


def make_tables(counts, loss, negative=3):
    """The output layer's kernel tables, from its entry as a run makes them."""
    return layer(loss).tables(counts, types.SimpleNamespace(model="sg", negative=negative, noise_power=0.75))


def make_config(model, loss, out, negative=3, cbow_mean=True):
    width = layer(loss).width(out, types.SimpleNamespace(negative=negative), layer(loss).n_out(len(COUNTS)))
    return kernels.Config(window=3, negative=negative, cbow_mean=cbow_mean, alpha=1.0,
                          min_alpha=0.0, epoch_ids=1.0, total_ids=1.0, width=width, seed=1)


COUNTS = np.array([50, 30, 20, 12, 9, 7, 5, 4, 3, 2, 2, 1], np.int64)


def setup_step(rng, model, loss, **config):
    """Tables, config, weights and scratch buffers for one architecture step on a 12-word vocabulary."""
    tabs = make_tables(COUNTS, loss, negative=config.get("negative", 3))
    cfg = make_config(model, loss, tabs, **config)
    W_in = rng.normal(0, 0.5, (V, D))
    W_out = rng.normal(0, 0.5, (layer(loss).n_out(len(COUNTS)), D))
    return tabs, cfg, W_in, W_out, kernels.make_scratch(kernels.Weights.word2vec(W_in, W_out), cfg)


def fd_gradient(loss_fn, arr, index):
    old = arr[index]
    arr[index] = old + EPS
    up = loss_fn()
    arr[index] = old - EPS
    down = loss_fn()
    arr[index] = old
    return (up - down) / (2 * EPS)


@pytest.fixture
def rng():
    return np.random.default_rng(42)


@pytest.mark.parametrize("codes", [[0, 1, 1, 1], [1, 0, 0, 1, 0], [0]])
def test_logistic_layer_gradient(rng, codes):
    """NS codes (data word 0, noise 1) and HS-like mixed codes."""
    W_out = rng.normal(0, 0.5, (V, D))
    h = rng.normal(0, 0.5, D)
    rows = rng.choice(V, len(codes), replace=False).astype(np.int64)
    codes = np.array(codes, np.uint8)
    f = np.empty(len(codes))

    def loss():
        return output_kernels.logistic_layer(h, W_out.copy(), rows, codes, ZERO, 0.0, np.zeros(D), f)

    W1, grad_h = W_out.copy(), np.zeros(D)
    l0 = output_kernels.logistic_layer(h, W1, rows, codes, ZERO, 1.0, grad_h, f)
    assert l0 == pytest.approx(loss())
    for k in range(D):
        assert grad_h[k] == pytest.approx(fd_gradient(loss, h, k), rel=1e-6, abs=1e-8)
    dW = W_out - W1  # = dL/dW_out
    Wc = W_out  # perturb the original in place

    def loss_w():
        return output_kernels.logistic_layer(h, Wc.copy(), rows, codes, ZERO, 0.0, np.zeros(D), f)

    for r in range(V):
        for k in range(D):
            g = fd_gradient(loss_w, Wc, (r, k))
            assert dW[r, k] == pytest.approx(g, rel=1e-6, abs=1e-8)


def test_logistic_layer_loss_is_log_likelihood(rng):
    W_out = rng.normal(0, 1, (V, D))
    h = rng.normal(0, 1, D)
    rows = np.array([1, 2], np.int64)
    codes = np.array([0, 1], np.uint8)
    s = W_out[rows] @ h
    expected = np.logaddexp(0, -s[0]) + np.logaddexp(0, s[1])
    got = output_kernels.logistic_layer(h, W_out.copy(), rows, codes, ZERO, 0.0, np.zeros(D), np.empty(2))
    assert got == pytest.approx(expected, rel=1e-12)


def test_float32_tabulated_logistic_is_close_to_exact(rng):
    """The float32 path reads sigma and -log sigma from tables: same loss and gradients to ~1e-5."""
    W_out = rng.normal(0, 1, (V, D))
    h = rng.normal(0, 1, D)
    rows = np.arange(5, dtype=np.int64)
    codes = np.array([0, 1, 1, 0, 1], np.uint8)
    g64, g32 = np.zeros(D), np.zeros(D, np.float32)
    W64, W32 = W_out.copy(), W_out.astype(np.float32)
    l64 = output_kernels.logistic_layer(h, W64, rows, codes, ZERO, 0.1, g64, np.empty(5))
    l32 = output_kernels.logistic_layer(h.astype(np.float32), W32, rows, codes, ZERO, 0.1, g32, np.empty(5))
    assert l32 == pytest.approx(l64, rel=1e-4)
    assert np.allclose(g32, g64, rtol=1e-4, atol=1e-5)
    assert np.allclose(W32, W64, rtol=1e-4, atol=1e-5)


def test_a_lanes_copy_of_the_hot_rows_takes_the_step_the_shared_rows_would(rng):
    """With threads, the last rows of ``W_out`` are read and stepped in the lane's copy ``W_hot``: the same
    step (loss, dL/dH, every row's change) as on the shared rows, which stay as they were; a repeated row
    and rows on both sides of the boundary included."""
    K = 4
    first = V - K
    W_out = rng.normal(0, 0.5, (V, D))
    H = rng.normal(0, 0.5, (3, D))
    rows = np.array([V - 1, 2, first, first - 1, V - 1, 5], np.int64)
    codes = np.array([0, 1, 1, 0, 1, 1], np.uint8)
    plain, G_plain = W_out.copy(), np.zeros((3, D))
    l_plain = output_kernels.logistic_block(H, 3, plain, rows, codes, ZERO, 0.3, G_plain, np.empty((3, 6)), True)
    shared, G_hot = W_out.copy(), np.zeros((3, D))
    W_hot = W_out[first:].copy()
    l_hot = output_kernels.logistic_block(H, 3, shared, rows, codes, ZERO, 0.3, G_hot, np.empty((3, 6)), True, W_hot)
    assert l_hot == pytest.approx(l_plain, rel=1e-12)
    assert np.allclose(G_hot, G_plain, rtol=0, atol=1e-12)
    assert np.allclose(shared[:first], plain[:first], rtol=0, atol=1e-12)
    assert np.array_equal(shared[first:], W_out[first:])  # the shared hot rows untouched
    assert np.allclose(W_hot, plain[first:], rtol=0, atol=1e-12)
    assert not np.allclose(W_hot, W_out[first:])  # (the step moved them)


def test_the_hot_rows_take_the_mean_of_the_lanes_changes(rng):
    """Two lanes take the hot rows, change their copies, and give them back with share 1/2 in turn: the
    shared rows move by the mean of the two changes; the rows before them do not move."""
    K = 3
    W_out = rng.normal(0, 1, (V, D))
    before = W_out.copy()
    lanes = [(np.empty((K, D)), np.empty((K, D))) for _ in range(2)]
    for W_hot, W_base in lanes:
        take_rows(W_out, W_hot, W_base)
        assert np.array_equal(W_hot, W_out[V - K:]) and np.array_equal(W_base, W_out[V - K:])
    changes = [rng.normal(0, 1, (K, D)) for _ in lanes]
    for (W_hot, _), change in zip(lanes, changes):
        W_hot += change
    for W_hot, W_base in lanes:
        give_rows(W_out, W_hot, W_base, 0.5)
    assert np.allclose(W_out[V - K:], before[V - K:] + (changes[0] + changes[1]) / 2, rtol=0, atol=1e-12)
    assert np.array_equal(W_out[:V - K], before[:V - K])


def _check_step(step, params):
    """``step(params, alpha)`` returns the loss; checks every parameter's change at alpha=1 vs FD."""
    before = [p.copy() for p in params]
    after = [p.copy() for p in params]
    step(after, 1.0)
    deltas = [b - a for b, a in zip(before, after)]  # = analytic gradients
    for p, d in zip(params, deltas):
        for idx in np.ndindex(p.shape):
            g = fd_gradient(lambda: step([q.copy() for q in params], 0.0), p, idx)
            yield idx, d[idx], g


@pytest.mark.parametrize("loss", ["ns", "nce", "hs"])
def test_skipgram_gradient(rng, loss):
    tabs, cfg, W_in, W_out, sc = setup_step(rng, "sg", loss)
    state = np.uint64(987654321)

    def step(ps, alpha):
        loss_value, _ = kernels.sg_step(ps[0], kernels.NO_LOCK, 4, 2, ps[1], tabs, cfg, sc, state, alpha)
        return loss_value

    for _, analytic, fd in _check_step(step, [W_in, W_out]):
        assert analytic == pytest.approx(fd, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("loss", ["ns", "nce", "hs"])
@pytest.mark.parametrize("cbow_mean", [False, True])
def test_cbow_gradient(rng, loss, cbow_mean):
    """Sum: the update is the gradient. Mean: W_out's is; each context row moves by n x its gradient
    (word2vec.c's and gensim's convention: grad_h is added to every context row undivided)."""
    tabs, cfg, W_in, W_out, sc = setup_step(rng, "cbow", loss, cbow_mean=cbow_mean)
    context = np.array([3, 8, 3, 10], np.int64)  # a repeated context word counts twice
    n_ctx = len(context)
    sc.context[:n_ctx] = context
    state = np.uint64(13)

    def step(ps, alpha):
        loss_value, _ = kernels.cbow_step(ps[0], kernels.NO_LOCK, n_ctx, 1, ps[1], tabs, cfg, sc, state, alpha)
        return loss_value

    params = [W_in, W_out]
    results = list(_check_step(step, params))
    n_in = W_in.size
    for i, (_, analytic, fd) in enumerate(results):
        scale = n_ctx if (cbow_mean and i < n_in) else 1
        assert analytic == pytest.approx(scale * fd, rel=1e-6, abs=1e-8)


def test_ns_reduces_to_classic_update_with_one_noise_word(rng):
    """One data word and one noise word: the batched layer equals two sequential classic steps."""
    W_out = rng.normal(0, 0.5, (V, D))
    h = rng.normal(0, 0.5, D)
    rows = np.array([2, 9], np.int64)
    codes = np.array([0, 1], np.uint8)
    W1, g1 = W_out.copy(), np.zeros(D)
    output_kernels.logistic_layer(h, W1, rows, codes, ZERO, 0.05, g1, np.empty(2))
    # word2vec.c, written out: g = (label - sigma(f)) * alpha; neu1e += g * row; row += g * h
    W2, neu1e = W_out.copy(), np.zeros(D)
    for r, label in ((2, 1.0), (9, 0.0)):
        g = (label - 1 / (1 + np.exp(-(h @ W2[r])))) * 0.05
        neu1e += g * W2[r]
        W2[r] += g * h
    assert np.allclose(W1, W2, atol=1e-14)
    assert np.allclose(-0.05 * g1, neu1e, atol=1e-14)


def test_logistic_block_gradient_with_repeated_rows(rng):
    H = rng.normal(0, 0.5, (3, D))
    W_out = rng.normal(0, 0.5, (V, D))
    rows = np.array([4, 7, 4, 1], np.int32)  # row 4 drawn twice
    codes = np.array([0, 1, 1, 1], np.uint8)
    S = np.empty((3, 4))

    def step(ps, alpha):
        return output_kernels.logistic_block(ps[0], 3, ps[1], rows, codes, ZERO, alpha, np.zeros((3, D)), S.copy(), True)

    G = np.zeros((3, D))
    W1 = W_out.copy()
    output_kernels.logistic_block(H.copy(), 3, W1, rows, codes, ZERO, 1.0, G, S, True)
    for idx in np.ndindex(H.shape):
        assert G[idx] == pytest.approx(fd_gradient(lambda: step([H, W_out.copy()], 0.0), H, idx), rel=1e-6,
                                       abs=1e-8)
    dW = W_out - W1
    for idx in np.ndindex(W_out.shape):
        g = fd_gradient(lambda: step([H.copy(), W_out.copy()], 0.0), W_out, idx)
        assert dW[idx] == pytest.approx(g, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_paths_rows_read_once_take_the_two_passes_step(rng, dtype):
    """Distinct rows and one input (a Huffman path): dL/dh and the rows' step in one pass over each row
    (output/kernels._back_and_step, a block of four and a remainder here) give the values of the two passes
    that rows which may repeat take, bit for bit, and the float64 step is the gradient."""
    h = rng.normal(0, 0.5, D).astype(dtype)
    W_out = rng.normal(0, 0.5, (V, D)).astype(dtype)
    rows = np.array([9, 2, 5, 11, 0, 7, 3], np.int32)
    codes = np.array([0, 1, 1, 0, 1, 0, 0], np.uint8)
    got = []
    for may_repeat in (False, True):
        W1, G, S = W_out.copy(), np.zeros((1, D), dtype), np.empty((1, len(rows)))
        loss = output_kernels.logistic_block(h[None, :], 1, W1, rows, codes, ZERO, 0.3, G, S, may_repeat)
        got.append((loss, W1, G))
    assert got[0][0] == got[1][0]
    assert np.array_equal(got[0][1], got[1][1]) and np.array_equal(got[0][2], got[1][2])
    if dtype is np.float64:
        def loss_at(h_, W_):
            return output_kernels.logistic_block(h_[None, :], 1, W_.copy(), rows, codes, ZERO, 0.0,
                                                 np.zeros((1, D)), np.empty((1, len(rows))), False)

        _, W1, G = got[0]
        for k in range(D):
            assert G[0, k] == pytest.approx(fd_gradient(lambda: loss_at(h, W_out), h, (k,)), rel=1e-6,
                                                        abs=1e-8)
        dW = (W_out - W1) / 0.3
        for idx in np.ndindex(W_out.shape):
            assert dW[idx] == pytest.approx(fd_gradient(lambda: loss_at(h, W_out), W_out, idx), rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("loss", ["ns", "nce", "hs"])
def test_skipgram_block_step_gradient(rng, loss):
    tabs, cfg, W_in, W_out, sc = setup_step(rng, "sg", loss)
    sc.context[:5] = [3, 8, 3, 10, 0]  # a context word repeated in the window
    state = np.uint64(77)

    def step(ps, alpha):
        loss_value, _ = kernels.sg_block_step(ps[0], kernels.NO_LOCK, 5, 2, ps[1], tabs, cfg, sc, state, alpha)
        return loss_value

    for _, analytic, fd in _check_step(step, [W_in, W_out]):
        assert analytic == pytest.approx(fd, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("loss", ["ns", "hs"])
def test_block_step_with_one_context_is_the_classic_update(rng, loss):
    """One context word: the shared-target step draws the same noise words and makes the same update."""
    tabs, cfg, W_in, W_out, sc = setup_step(rng, "sg", loss, negative=1)
    a_in, a_out, b_in, b_out = W_in.copy(), W_out.copy(), W_in.copy(), W_out.copy()
    la, sa = kernels.sg_step(a_in, kernels.NO_LOCK, 6, 2, a_out, tabs, cfg, sc, np.uint64(5), 0.1)
    sc.context[0] = 6
    lb, sb = kernels.sg_block_step(b_in, kernels.NO_LOCK, 1, 2, b_out, tabs, cfg, sc, np.uint64(5), 0.1)
    assert la == pytest.approx(lb, rel=1e-12) and sa == sb
    assert np.allclose(a_in, b_in, atol=1e-15) and np.allclose(a_out, b_out, atol=1e-15)
    assert not np.allclose(a_in, W_in)  # something was trained


def test_nce_is_logistic_regression_on_shifted_logits(rng):
    """NCE's loss: -log sigma(s_w - log k q(w)) - sum over noise of log sigma(-(s_n - log k q(n)))."""
    W_out = rng.normal(0, 1, (V, D))
    h = rng.normal(0, 1, D)
    q = rng.dirichlet(np.ones(V))
    log_kq = np.log(3 * q)
    rows = np.array([2, 5, 9, 5], np.int32)  # the noise word 5 drawn twice
    codes = np.array([0, 1, 1, 1], np.uint8)
    s = W_out[rows] @ h - log_kq[rows]
    expected = np.logaddexp(0, -s[0]) + np.sum(np.logaddexp(0, s[1:]))
    got = output_kernels.logistic_layer(h, W_out.copy(), rows, codes, log_kq, 0.0, np.zeros(D), np.empty(4))
    assert got == pytest.approx(expected, rel=1e-12)
    # and its gradient
    W1, g = W_out.copy(), np.zeros(D)
    output_kernels.logistic_layer(h, W1, rows, codes, log_kq, 1.0, g, np.empty(4))
    for k in range(D):
        fd = fd_gradient(lambda: output_kernels.logistic_layer(h, W_out.copy(), rows, codes, log_kq, 0.0, np.zeros(D),
                                                        np.empty(4)), h, k)
        assert g[k] == pytest.approx(fd, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("loss", ["ns", "nce", "hs"])
def test_asking_for_a_targets_rows_ahead_changes_nothing(rng, loss):
    """``output_ask`` (the rows of a target a few positions on, asked of the caches) moves no weight: every
    row of every target, the last included, asked for. A sampled layer draws the target's rows into the
    slot it is given: the target first, then ``negative`` noise words (NS skips one equal to the target)."""
    import numba

    tabs, cfg, W_in, W_out, sc = setup_step(rng, "sg", loss)

    @numba.njit
    def ask_all(W_out, out, cfg, sc, slot, state):
        for t in range(len(COUNTS)):
            state = output_kernels.output_ask(t, W_out, out, cfg, sc, slot, state)
        return state

    before = W_out.copy()
    for slot in (-1, 0, 2):
        ask_all(W_out, tabs, cfg, sc, slot, np.uint64(7))
        assert np.array_equal(W_out, before)
    assert type(tabs) in output_kernels.ASK_AHEAD
    if loss != "hs":
        t = len(COUNTS) - 1
        n = sc.n_drawn[2]
        drawn = sc.drawn[2, :n]
        assert drawn[0] == t and 1 <= n <= cfg.negative + 1
        if loss == "ns":
            assert t not in drawn[1:]
        else:
            assert n == cfg.negative + 1


@pytest.mark.parametrize("loss", ["ns", "nce"])
def test_a_step_trains_the_rows_drawn_ahead(rng, loss):
    """With ``sc.slot`` set, a sampled step trains exactly the rows drawn for it ahead; with -1 (the classic
    skip-gram, the NPLM) it draws its own."""
    import numba

    tabs, cfg, W_in, W_out, sc = setup_step(rng, "sg", loss)

    @numba.njit
    def ask_then_step(h, target, W_out, out, cfg, sc, slot, alpha):
        state = output_kernels.output_ask(target, W_out, out, cfg, sc, slot, np.uint64(11))
        sc.slot[0] = slot
        return output_kernels.output_step(h, target, W_out, out, cfg, sc, state, alpha)

    h = rng.normal(0, 0.5, D)
    before = W_out.copy()
    ask_then_step(h, 3, W_out, tabs, cfg, sc, 1, 0.1)
    moved = set(np.flatnonzero(np.any(W_out != before, axis=1)).tolist())
    assert moved == set(sc.drawn[1, :sc.n_drawn[1]].tolist())
    sc.drawn[1].fill(0)  # a step told to draw its own does not read the slot
    before = W_out.copy()
    ask_then_step(h, 3, W_out, tabs, cfg, sc, -1, 0.1)
    moved = set(np.flatnonzero(np.any(W_out != before, axis=1)).tolist())
    own = set(sc.targets[:cfg.negative + 1].tolist())
    assert 3 in moved and moved <= own
