"""The one map from each choice's name to its implementation: architectures (``--model``) and output
layers (``--loss``). The CLI's choices, the options' validation, the driver's choice of trainer and the
kernels' integer codes all read these tables; nothing else lists the names.

Light on purpose (no NumPy, no Numba): the CLI imports it to build its help.
"""

from typing import NamedTuple


class Architecture(NamedTuple):
    code: int  # the kernels' integer code (kernels._train_lane dispatches on it); -1: no kernel of kernels.py
    trainer: str  # module of its trainer (w2v/trainers/), imported when a run needs it
    losses: tuple  # output layers it can put on top (the first is its default)
    summary: str


class OutputLayer(NamedTuple):
    code: int  # the kernels' integer code (kernels.draw_targets and nplm_step dispatch on it)
    summary: str


MODELS = {
    "sg": Architecture(0, "w2v.trainers.word2vec", ("ns", "nce", "hs"),
                       "skip-gram: each word predicts the words around it (Mikolov et al. 2013)"),
    "cbow": Architecture(1, "w2v.trainers.word2vec", ("ns", "nce", "hs"),
                         "continuous bag of words: the words around a position predict it"),
    "nplm": Architecture(2, "w2v.trainers.nplm", ("softmax", "hs", "nce", "ns"),
                         "Bengio et al.'s neural probabilistic language model: a tanh network predicts each "
                         "word from the --context words before it"),
    "glove": Architecture(-1, "w2v.trainers.glove", (),
                          "GloVe (Pennington et al. 2014): weighted least squares on co-occurrence counts"),
}

LOSSES = {
    "ns": OutputLayer(0, "negative sampling: logistic classification of the data word against --negative "
                         "noise words"),
    "hs": OutputLayer(1, "hierarchical softmax over a Huffman tree, O(log V)"),
    "nce": OutputLayer(2, "noise-contrastive estimation: NS with each logit shifted by -log(k q(w)), an "
                          "estimator of the normalised model"),
    "softmax": OutputLayer(3, "the full softmax over the vocabulary, O(V) (nplm only)"),
}
