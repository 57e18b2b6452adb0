"""The full softmax over every row of ``W_out``, O(V) per prediction (the NPLM's exact output layer).
Kernel: output/kernels.py ``softmax_rows``."""

from typing import NamedTuple

import numpy as np

from w2v.output import Layer


class Tables(NamedTuple):
    """No tables: every row is scored."""


def unigram_bias(counts):
    """Output biases under which the untrained network is the unigram model: log-probabilities."""
    return np.log(np.maximum(counts, 1) / counts.sum())


class Softmax(Layer):
    name = "softmax"
    blas = True

    def tables(self, counts, cfg):
        return Tables()

    def width(self, tables, cfg, n_out):
        return n_out

    def bias(self, counts, tables, n_out):
        return unigram_bias(counts)


LAYER = Softmax()
