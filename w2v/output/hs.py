"""Hierarchical softmax (Morin and Bengio 2005; Mikolov et al. 2013): a word's probability is the product
of logistic branch decisions along its path in a Huffman tree over the counts, O(log V); ``W_out`` holds
a row per inner node (V - 1). Kernel: output/kernels.py ``hs_targets``."""

from typing import NamedTuple

import numpy as np

from w2v.output import Layer


# With threads, each lane trains a copy of the inner nodes visited HOT_VISITS times or more between merges
# (their mean change is then right: output/kernels.py), at most HOT_BYTES of them (as much again for the
# copy's snapshot: both stay in a core's L2 cache)
HOT_VISITS = 16
HOT_BYTES = 256 * 1024
# the inner nodes nearest the root that asking ahead leaves to the caches (output/kernels.py path_ask)
CACHED_NODES = 2048


class Tables(NamedTuple):
    """Each word's path in CSR form: word w's inner nodes are ``points[offsets[w]:offsets[w + 1]]`` with
    branch codes ``codes[...]`` (0: label 1)."""

    offsets: np.ndarray
    points: np.ndarray
    codes: np.ndarray


def _path_words(tables):
    """The word whose path each entry of ``tables.points`` is on."""
    return np.repeat(np.arange(len(tables.offsets) - 1), np.diff(tables.offsets))


class HierarchicalSoftmax(Layer):
    name = "hs"
    rows_are_words = False
    min_words = 2

    def n_out(self, n_words):
        return n_words - 1

    def tables(self, counts, cfg):
        from w2v.tables import huffman_unsorted

        hs = huffman_unsorted(counts)  # (the NPLM's <unk> and </s>, and words added by --update-vocab, are out of order)
        return Tables(hs.offsets, hs.points, hs.codes)

    def width(self, tables, cfg, n_out):
        return int(np.diff(tables.offsets).max())  # the longest code

    def hot_rows(self, tables, cfg, n_out, counts, per_merge):
        """The inner nodes nearest the root: the tree makes them last and in the order of their counts, so
        the last rows are the most visited (the root on every prediction). Those visited HOT_VISITS times
        or more between merges, as many as fill HOT_BYTES."""
        visits = self.visits(tables, counts, n_out)
        often = int(np.count_nonzero(visits * (per_merge / max(visits[-1], 1)) >= HOT_VISITS))
        return min(often, HOT_BYTES // (4 * cfg.dim))

    @staticmethod
    def visits(tables, counts, n_out):
        """Per inner node, the occurrences whose paths pass it (the root's: every occurrence), counted before
        subsampling (which thins the frequent words' paths, so the rule errs towards more rows)."""
        return np.bincount(tables.points, weights=np.asarray(counts, np.float64)[_path_words(tables)], minlength=n_out)

    def memory(self, n_words, cfg):
        return 5 * 40 * n_words  # paths: int32 points + uint8 codes, depth about log2(V)

    def bias(self, counts, tables, n_out):
        """Inner-node biases under which the tree gives every word its unigram probability: the node's
        step has label 1 (code 0) with probability n0 / (n0 + n1), the counts below each branch."""
        below = np.zeros((n_out, 2))
        np.add.at(below, (tables.points, tables.codes), np.maximum(counts, 1)[_path_words(tables)].astype(np.float64))
        return np.log(np.maximum(below[:, 0], 1) / np.maximum(below[:, 1], 1))

    def paths(self, tables):
        return tables.offsets, tables.points, tables.codes

    def log_probs(self, W_out, h, targets, paths):
        """The sum of log sigma along the target's path: a distribution by construction (log Z is NaN)."""
        offsets, points, codes = paths
        h = h.astype(np.float64)
        logp = np.empty(len(targets))
        for i, t in enumerate(targets):
            a, b = offsets[t], offsets[t + 1]
            s = W_out[points[a:b]].astype(np.float64) @ h[i]
            sign = 1.0 - 2.0 * codes[a:b]  # code 0: sigma(s), code 1: sigma(-s)
            logp[i] = -np.logaddexp(0.0, -sign * s).sum()
        return logp, np.full(len(targets), np.nan)


LAYER = HierarchicalSoftmax()
