"""A newcomer's additions through the public seams, as docs/architecture.md's recipes write them: an output
layer (negative sampling with uniform noise) and an architecture (a bigram model: each word predicts the
next). Importing this module registers both; tests/test_seams.py trains them in a subprocess."""

from typing import NamedTuple

import numpy as np

from w2v import choices
from w2v.jit import rng_next
from w2v.kernels import architecture, sg_step
from w2v.output import Layer
from w2v.output.kernels import logistic_targets


# ---------------------------------------------------------------- an output layer: one entry, one kernel
class Tables(NamedTuple):
    n_words: int  # noise words are drawn uniformly from 0..n_words-1


class UniformNoise(Layer):
    name = "uniform"

    def tables(self, counts, cfg):
        return Tables(len(counts))

    def width(self, tables, cfg, n_out):
        return cfg.negative + 1


LAYER = UniformNoise()


@logistic_targets(Tables)
def uniform_targets(target, out, cfg, sc, state):
    """The target (code 0) and ``cfg.negative`` words drawn uniformly (code 1), a draw of the target skipped."""
    rows = sc.targets
    rows[0] = target
    n = 1
    for _ in range(cfg.negative):
        state, r = rng_next(state)
        w = np.int64(r % np.uint64(out.n_words))
        if w != target:
            rows[n] = w
            n += 1
    return rows[:n], sc.ns_codes[:n], None, True, state


# ---------------------------------------------------------------- an architecture: one entry, one kernel
@architecture()
def bigram_sentence(sen, n, weights, out, cfg, sc, loss, predictions, state, alpha):
    """Each word's input row predicts the next word (skip-gram's step with a window of one, to the right)."""
    for p in range(1, n):
        l, state = sg_step(weights.W_in, weights.lock, sen[p - 1], sen[p], weights.W_out, out, cfg, sc, state, alpha)
        loss += l
        predictions += 1
    return loss, predictions, state


def register():
    """The two entries in the one map (choices.py), as a newcomer would add them there."""
    choices.LOSSES["uniform"] = choices.OutputLayer("toy_seams", "negative sampling with uniform noise",
                                                    negative=True)
    choices.MODELS["sg"] = choices.MODELS["sg"]._replace(losses=choices.MODELS["sg"].losses + ("uniform",))
    choices.MODELS["bigram"] = choices.Architecture("toy_seams.bigram_sentence", "w2v.trainers.word2vec",
                                                    ("ns", "hs", "uniform"), "each word predicts the next",
                                                    alpha=0.025, options=choices.MODELS["sg"].options)
