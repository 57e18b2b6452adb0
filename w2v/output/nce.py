"""Noise-contrastive estimation (Gutmann and Hyvarinen 2010; Mnih and Teh 2012): negative sampling's
logistic classification with each logit shifted by -log(k q(w)), which makes it an estimator of the
normalised model; a noise word equal to the target is kept (the noise sample is independent of the
data). Kernel: ``nce_targets``.

The model's score of word w is ``u_w . h + b_w``, its bias b_w starting as the unigram log-probability
log p(w) (the untrained model is the unigram model). The NPLM learns b_w in its rows (``h`` ends in 1).
Skip-gram and CBOW have no bias: there b_w stays log p(w), a fixed base measure folded into the shift,
so ``u_w . h`` learns log p(w | h) - log p(w), the words' pointwise mutual information with the context,
as negative sampling's dot products do (Levy and Goldberg 2014), instead of also carrying each word's
frequency, which pulled the word vectors apart (skip-gram on 10M tokens of bench-en: WS-353 0.314
without it, 0.483 with it; bench/RESULTS.md)."""

from typing import NamedTuple

import numpy as np

from w2v.output import Layer
from w2v.output.ns import noise_table
from w2v.output.softmax import unigram_bias


class Tables(NamedTuple):
    noise: np.ndarray  # int64[V, 2] alias table of the noise distribution
    log_kq: np.ndarray  # float64[V]: the logit shift log(k q(w)), less log p(w) for a model without biases


class NoiseContrastive(Layer):
    name = "nce"

    def tables(self, counts, cfg):
        from w2v.choices import MODELS
        from w2v.tables import noise_distribution

        q = noise_distribution(counts, cfg.noise_power)
        shift = np.log(cfg.negative * np.maximum(q, 1e-300))  # (a count may be 0)
        if not MODELS[cfg.model].out_bias:  # no bias of its own: log p(w) held as a base measure
            shift -= self.bias(counts, None, len(counts))
        return Tables(noise_table(counts, cfg), shift)

    def width(self, tables, cfg, n_out):
        return cfg.negative + 1

    def bias(self, counts, tables, n_out):
        return unigram_bias(counts)


LAYER = NoiseContrastive()
