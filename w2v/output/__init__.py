"""Output layers (``--loss``): what predicts a target word from a hidden vector ``h``.

Each output layer is one entry: a module here with a ``LAYER`` object (a ``Layer``: its Python side, no
Numba) and one kernel function in ``output/kernels.py`` registered for the layer's kernel tables, the
NamedTuple class that ``Layer.tables`` returns. ``choices.LOSSES`` names the module; ``layer(name)``
imports it. Nothing else spells a loss's name: the trainers, the NPLM's model file, the Dask replicas and
the options' checks ask the entry (docs/architecture.md walks through adding one).
"""

import importlib

import numpy as np


class Layer:
    """The Python side of an output layer; the defaults are those of a layer whose ``W_out`` has a row
    per word. Subclasses override what differs."""

    name = ""
    rows_are_words = True  # W_out's row i belongs to word i (else the layer's own rows: Huffman inner nodes)
    min_words = 1  # the smallest vocabulary it can train on
    blas = False  # its kernel multiplies matrices through BLAS (np.dot): the lanes keep BLAS to one thread each

    def n_out(self, n_words):
        """Rows of ``W_out`` for ``n_words`` words."""
        return n_words

    def tables(self, counts, cfg):
        """The layer's kernel tables (a NamedTuple registered in output/kernels.py) for words with these
        training-stream ``counts``."""
        raise NotImplementedError

    def width(self, tables, cfg, n_out):
        """Output rows scored for one prediction at most: the columns of the kernels' score scratch."""
        raise NotImplementedError

    def hot_rows(self, tables, cfg, n_out, counts, per_merge):
        """How many of the last rows of ``W_out`` each lane trains a private copy of when threads share the
        model, merging every ``per_merge`` ids (output/kernels.py ``out_row``): rows that nearly every
        prediction updates, which otherwise move between the cores' caches on every access. None by
        default."""
        return 0

    def memory(self, n_words, cfg):
        """Bytes of its tables beyond the per-word ones every run has (resources.memory_estimate)."""
        return 0

    def bias(self, counts, tables, n_out):
        """The NPLM's initial output biases (its ``W_out[:, -1]``): zero unless the layer can start as the
        unigram model."""
        return np.zeros(n_out)

    def paths(self, tables):
        """(offsets, points, codes) of the Huffman paths that a model file keeps; empty for other layers."""
        return np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.uint8)

    def log_probs(self, W_out, h, targets, paths):
        """Exactly normalised ``log p(targets[i] | h[i])`` and the log partition function per example (NaN
        where the layer is normalised by construction), in float64: the full softmax over ``W_out``'s rows.
        ``paths`` is what ``paths`` returned at training time (read back from the model file)."""
        scores = (h @ W_out.T).astype(np.float64)  # float32 products, float64 normalisation
        m = scores.max(axis=1)
        log_z = m + np.log(np.exp(scores - m[:, None]).sum(axis=1))
        return scores[np.arange(len(targets)), targets] - log_z, log_z


def layer(name):
    """The entry (``Layer``) of output layer ``name``, from the module that choices.LOSSES names."""
    from w2v.choices import LOSSES

    return importlib.import_module(LOSSES[name].module).LAYER
