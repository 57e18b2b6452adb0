"""Properties of the tables derived from counts: Huffman tree, noise distribution, subsampling."""

import numpy as np
import pytest

from w2v import tables


def sample_noise(noise, n, seed):
    """``n`` draws from the noise table by the kernels' own draw (jit.draw_noise)."""
    import numba

    from w2v.jit import draw_noise, rng_next

    @numba.njit
    def draws(noise, n, seed):
        out = np.empty(n, np.int64)
        state = np.uint64(seed)
        for i in range(n):
            state, r = rng_next(state)
            out[i] = draw_noise(noise, r)
        return out
    return draws(noise, n, seed)


def subsample_counts(ids, keep, seed):
    """How many occurrences of each word the kernels' subsampling (kernels.keep_word) keeps."""
    import numba

    from w2v.kernels import keep_word

    @numba.njit
    def kept(ids, keep, seed):
        out = np.zeros(keep.shape[0], np.int64)
        state = np.uint64(seed)
        for w in ids:
            k, state = keep_word(keep, w, state)
            if k:
                out[w] += 1
        return out
    return kept(ids, keep, seed)


def zipf_counts(v, seed=0):
    rng = np.random.default_rng(seed)
    return np.sort((1e6 / np.arange(1, v + 1) ** 1.07 * rng.uniform(0.9, 1.1, v)).astype(np.int64) + 1)[::-1]


@pytest.mark.parametrize("v", [2, 3, 5, 17, 1000])
def test_huffman_prefix_free_kraft_and_lengths(v):
    counts = zipf_counts(v)
    hs = tables.huffman(counts)
    codes = ["".join(str(c) for c in hs.codes[hs.offsets[w]:hs.offsets[w + 1]]) for w in range(v)]
    lengths = np.array([len(c) for c in codes])
    assert (lengths >= 1).all()
    # prefix-free: no code is a prefix of another (sorted order puts a prefix right before its extensions)
    s = sorted(codes)
    assert all(not b.startswith(a) for a, b in zip(s, s[1:]))
    # Kraft sum of a full binary tree is exactly 1
    assert np.sum(2.0 ** -lengths) == pytest.approx(1.0, abs=1e-12)
    # more frequent words never get longer codes
    assert (np.diff(lengths) >= 0).all()
    # inner nodes are rows 0..v-2, the root (v-2) starts every path
    assert hs.points.min() >= 0 and hs.points.max() == v - 2
    assert all(hs.points[hs.offsets[w]] == v - 2 for w in range(v))


def test_huffman_paths_follow_tree_structure():
    """Each (point, code) pair is a branch: two words sharing a node prefix share the codes above it."""
    counts = zipf_counts(200)
    hs = tables.huffman(counts)
    seen = {}
    for w in range(200):
        pts = hs.points[hs.offsets[w]:hs.offsets[w + 1]]
        cds = hs.codes[hs.offsets[w]:hs.offsets[w + 1]]
        for d, (p, _) in enumerate(zip(pts, cds)):
            prefix = tuple(cds[:d])
            assert seen.setdefault(int(p), prefix) == prefix  # an inner node has one path from the root


def test_huffman_expected_length_close_to_entropy():
    counts = zipf_counts(5000)
    hs = tables.huffman(counts)
    p = counts / counts.sum()
    expected = float(np.sum(p * np.diff(hs.offsets)))
    entropy = float(-np.sum(p * np.log2(p)))
    assert entropy <= expected < entropy + 1  # Huffman's optimality bound


def test_huffman_rejects_unsorted():
    with pytest.raises(ValueError):
        tables.huffman(np.array([1, 5, 3]))


def test_alias_table_is_exact():
    counts = zipf_counts(3000)
    q = tables.noise_distribution(counts, 0.75)
    assert np.allclose(q, counts ** 0.75 / np.sum(counts ** 0.75))
    t = tables.alias_table(q)
    assert np.allclose(tables.alias_probabilities(t), q, rtol=1e-6, atol=1e-12)


def test_noise_draws_follow_count_power():
    """Chi-square goodness of fit of 2M kernel draws to count^0.75 (20 words)."""
    from scipy import stats

    counts = np.array([5000, 3000, 2000, 1200, 900, 700, 500, 400, 300, 250, 200, 150, 120, 100, 80, 60, 40,
                       30, 20, 10], np.int64)
    q = tables.noise_distribution(counts, 0.75)
    draws = sample_noise(tables.alias_table(q), 2_000_000, 12345)
    observed = np.bincount(draws, minlength=len(q))
    chi2, pvalue = stats.chisquare(observed, 2_000_000 * q)
    assert pvalue > 1e-4, (chi2, pvalue)
    # and it is not uniform or raw unigram
    assert stats.chisquare(observed, 2_000_000 * counts / counts.sum())[1] < 1e-10


def test_keep_probabilities_match_word2vec_formula():
    counts = np.array([100000, 10000, 1000, 100, 10])
    sample = 1e-3
    t = sample * counts.sum()
    p = tables.keep_probabilities(counts, sample)
    assert np.allclose(p, np.minimum(1.0, (np.sqrt(counts / t) + 1) * t / counts))
    assert p[0] < p[1] < 1.0 and p[-1] == 1.0
    assert (tables.keep_probabilities(counts, 0) == 1).all()
    thr = tables.keep_thresholds(counts, sample)
    assert thr[-1] == tables.ONE and np.allclose(thr / tables.ONE, p, atol=1e-9)


def test_subsampling_rate_in_training_stream():
    """The kernel keeps each occurrence with the tabulated probability (checked on word frequencies)."""
    counts = np.array([60000, 30000, 10000], np.int64)
    keep = tables.keep_thresholds(counts, 1e-2)
    kept = subsample_counts(np.repeat(np.arange(3, dtype=np.int32), counts), keep, 7)
    expected = counts * tables.keep_probabilities(counts, 1e-2)
    assert np.allclose(kept, expected, rtol=0.03)


def test_nce_shift_holds_the_unigram_base_measure_where_the_model_has_no_bias():
    """NCE's score is u.h + b_w with b_w starting at log p(w): the NPLM learns b_w in its rows, so its shift is
    log(k q(w)) alone; skip-gram and CBOW have no bias, so log p(w) stays in the shift (output/nce.py)."""
    import types

    from w2v.output import layer
    from w2v.tables import noise_distribution

    counts = np.array([50, 20, 5, 1, 0])
    log_kq = np.log(3 * np.maximum(noise_distribution(counts, 0.75), 1e-300))
    log_p = np.log(np.maximum(counts, 1) / counts.sum())
    shift = {m: layer("nce").tables(counts, types.SimpleNamespace(model=m, negative=3, noise_power=0.75)).log_kq
             for m in ("sg", "cbow", "nplm")}
    np.testing.assert_allclose(shift["nplm"], log_kq)
    for m in ("sg", "cbow"):
        np.testing.assert_allclose(shift[m], log_kq - log_p)
