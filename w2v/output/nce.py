"""Noise-contrastive estimation (Gutmann and Hyvarinen 2010; Mnih and Teh 2012): negative sampling's
logistic classification with each logit shifted by -log(k q(w)), which makes it an estimator of the
normalised model; a noise word equal to the target is kept (the noise sample is independent of the
data). Its output biases can start as the unigram log-probabilities. Kernel: ``nce_targets``."""

from typing import NamedTuple

import numpy as np

from w2v.output import Layer
from w2v.output.ns import noise_table
from w2v.output.softmax import unigram_bias


class Tables(NamedTuple):
    noise: np.ndarray  # int64[V, 2] alias table of the noise distribution
    log_kq: np.ndarray  # float64[V]: the logit shift log(k q(w))


class NoiseContrastive(Layer):
    name = "nce"

    def tables(self, counts, cfg):
        from w2v.tables import noise_distribution

        q = noise_distribution(counts, cfg.noise_power)
        return Tables(noise_table(counts, cfg), np.log(cfg.negative * np.maximum(q, 1e-300)))  # (a count may be 0)

    def width(self, tables, cfg, n_out):
        return cfg.negative + 1

    def bias(self, counts, tables, n_out):
        return unigram_bias(counts)


LAYER = NoiseContrastive()
