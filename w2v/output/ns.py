"""Negative sampling (Mikolov et al. 2013): logistic classification of the data word (label 1) against
``--negative`` words drawn from the unigram^``--noise-power`` distribution (label 0); word2vec.c skips a
noise word equal to the target. Kernel: output/kernels.py ``ns_targets``."""

from typing import NamedTuple

import numpy as np

from w2v.output import Layer


class Tables(NamedTuple):
    noise: np.ndarray  # int64[V, 2] alias table of the noise distribution


def noise_table(counts, cfg):
    from w2v import tables

    return tables.alias_table(tables.noise_distribution(counts, cfg.noise_power))


class NegativeSampling(Layer):
    name = "ns"

    def tables(self, counts, cfg):
        return Tables(noise_table(counts, cfg))

    def width(self, tables, cfg, n_out):
        return cfg.negative + 1


LAYER = NegativeSampling()
