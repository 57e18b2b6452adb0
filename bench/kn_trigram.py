"""Interpolated Kneser-Ney trigram model: the n-gram baseline for the NPLM's held-out perplexity.

Chen & Goodman's (1998) interpolated Kneser-Ney with one absolute discount per order,
``D = n1 / (n1 + 2 n2)`` from that order's count-of-counts:

    p3(w|u,v) = max(c(uvw) - D3, 0) / c(uv.) + D3 N1+(uv.) / c(uv.) * p2(w|v)
    p2(w|v)   = max(N1+(.vw) - D2, 0) / N1+(.v.) + D2 N1+(v.) / N1+(.v.) * p1(w)      (continuation counts)
    p1(w)     = max(N1+(.w) - D1, 0) / N1+(..) + D1 N1+(types) / N1+(..) * 1/V

An unseen history passes all its mass to the next lower order. The vocabulary, the unknown token, the
sentence-boundary padding and the predictions (every word and every sentence end) are exactly those of
an NPLM model file, so the perplexities are comparable:

    python bench/kn_trigram.py MODEL.npz TRAIN.txt HELDOUT.txt
"""

import sys

import numpy as np


def _encode(model, path):
    from w2v.language_model import read_sentences

    index = {w: i for i, w in enumerate(model.words[:-1])}
    return [s for s in read_sentences(path, index, model.unk) if s]


def _trigrams(sentences, boundary):
    u, v, w = [], [], []
    for sen in sentences:
        padded = [boundary, boundary] + sen + [boundary]
        u.extend(padded[:-2])
        v.extend(padded[1:-1])
        w.extend(padded[2:])
    return np.array(u, np.int64), np.array(v, np.int64), np.array(w, np.int64)


def _discount(counts):
    n1, n2 = np.count_nonzero(counts == 1), np.count_nonzero(counts == 2)
    return n1 / (n1 + 2 * n2) if n1 > 0 else 0.5  # (tiny corpora without singletons)


def _lookup(keys, values, query, default=0.0):
    """values[keys == query] for sorted unique ``keys`` (``default`` where absent)."""
    pos = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    found = keys[pos] == query
    return np.where(found, values[pos], default), found


class KneserNeyTrigram:
    def __init__(self, sentences, n_words, boundary):
        self.V = n_words
        B = np.int64(n_words)
        u, v, w = _trigrams(sentences, boundary)
        tri, c3 = np.unique((u * B + v) * B + w, return_counts=True)
        self.D3 = _discount(c3)
        self.tri, self.c3 = tri, c3
        hist3 = tri // B  # (u, v)
        self.h3, inv = np.unique(hist3, return_inverse=True)
        self.h3_count = np.bincount(inv, weights=c3)  # c(uv.)
        self.h3_types = np.bincount(inv)  # N1+(uv.)
        # continuation counts of bigrams: distinct u before (v, w)
        vw = tri % (B * B)
        self.bi, n_cont = np.unique(vw, return_counts=True)  # N1+(.vw)
        self.D2 = _discount(n_cont)
        self.n_cont2 = n_cont
        self.h2, inv2 = np.unique(self.bi // B, return_inverse=True)
        self.h2_count = np.bincount(inv2, weights=n_cont)  # N1+(.v.)
        self.h2_types = np.bincount(inv2)  # N1+(v.)
        # continuation counts of unigrams: distinct v before w (over bigram types)
        n1 = np.bincount(self.bi % B, minlength=n_words).astype(np.float64)  # N1+(.w)
        self.D1 = _discount(n1[n1 > 0])
        total = n1.sum()
        self.p1 = (np.maximum(n1 - self.D1, 0) + self.D1 * np.count_nonzero(n1) / n_words) / total

    def log_probs(self, u, v, w):
        B = np.int64(self.V)
        p = self.p1[w]
        c2, _ = _lookup(self.bi, self.n_cont2.astype(np.float64), v * B + w)
        hc, seen = _lookup(self.h2, self.h2_count, v)
        ht, _ = _lookup(self.h2, self.h2_types.astype(np.float64), v)
        safe = np.where(seen, hc, 1.0)
        p = np.where(seen, (np.maximum(c2 - self.D2, 0) + self.D2 * ht * p) / safe, p)
        c3, _ = _lookup(self.tri, self.c3.astype(np.float64), (u * B + v) * B + w)
        hc, seen = _lookup(self.h3, self.h3_count, u * B + v)
        ht, _ = _lookup(self.h3, self.h3_types.astype(np.float64), u * B + v)
        safe = np.where(seen, hc, 1.0)
        p = np.where(seen, (np.maximum(c3 - self.D3, 0) + self.D3 * ht * p) / safe, p)
        return np.log(p)

    def perplexity(self, sentences, boundary):
        u, v, w = _trigrams(sentences, boundary)
        return float(np.exp(-self.log_probs(u, v, w).mean())), len(w)


def kn_perplexity(model, train_path, heldout_path):
    """(perplexity, predictions, (D1, D2, D3)) of the KN trigram trained on ``train_path``."""
    lm = KneserNeyTrigram(_encode(model, train_path), len(model.words), model.boundary)
    ppl, n = lm.perplexity(_encode(model, heldout_path), model.boundary)
    return ppl, n, (lm.D1, lm.D2, lm.D3)


if __name__ == "__main__":
    from w2v.language_model import LanguageModel

    m = LanguageModel.load(sys.argv[1])
    ppl, n, d = kn_perplexity(m, sys.argv[2], sys.argv[3])
    print(f"KN trigram: perplexity {ppl:.2f} over {n} predictions (discounts {d[0]:.3f} {d[1]:.3f} {d[2]:.3f})")
