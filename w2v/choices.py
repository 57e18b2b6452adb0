"""The one map from each choice's name to its implementation: architectures (``--model``) and output
layers (``--loss``). The CLI's choices, the options' validation, the driver's choice of trainer and the
kernels that run all read these tables; nothing else lists the names.

Light on purpose (no NumPy, no Numba): the CLI imports it to build its help.
"""

from typing import NamedTuple


class Architecture(NamedTuple):
    kernel: str  # its sentence kernel (kernels.lane_kernel compiles it into the lane loop); "": a model with
    # a kernel module of its own (GloVe: glove_kernels.py)
    trainer: str  # module of its trainer (w2v/trainers/: Trainer, check_options), imported when a run needs it
    losses: tuple  # output layers it can put on top (the first is its default)
    summary: str
    alpha: float = 0.0  # its default learning rate (--alpha; 0 for GloVe, whose AdaGrad takes --eta)
    window: int = 5  # default --window
    epochs: int = 5  # default --epochs
    dask: str = ""  # module of its trainer with --dask ("": not on a cluster)
    options: tuple = ()  # the options (TrainConfig fields) of some models that it reads: another model's are
    # refused with a one-line error when given (config.TrainConfig); the others apply to every model
    subwords: str = ""  # its sentence kernel with fastText's subword input (--subwords), if it has one
    classic: tuple = ()  # its (kernel, subwords) with word2vec.c's one-pair update (--classic), if they differ
    out_bias: bool = False  # its W_out rows end in a learned output bias (the NPLM: h ends in 1); a model
    # without one has NCE hold that bias fixed at its starting value, log p(w), in the shift (output/nce.py)


class OutputLayer(NamedTuple):
    module: str  # its entry (w2v/output/): the Python side as ``LAYER``; its kernel in output/kernels.py
    summary: str
    negative: bool = False  # it draws --negative noise words (at least one)
    nplm_batch: int = 1  # the NPLM's default --batch with it (examples per hidden-layer step)


# the predictive models' options (the NPLM predicts every word and does not subsample: it ignores --sample)
_SAMPLED = ("loss", "negative", "noise_power", "alpha", "min_alpha", "sample")

# fastText's subword model (Bojanowski et al. 2017): character n-grams hashed into buckets of input rows
_SUBWORDS = ("subwords", "buckets")

MODELS = {
    "sg": Architecture("w2v.kernels.sg_sentence", "w2v.trainers.word2vec", ("ns", "nce", "hs"),
                       "skip-gram: each word predicts the words around it (Mikolov et al. 2013)", alpha=0.025,
                       dask="w2v.cluster.trainer", options=_SAMPLED + _SUBWORDS,
                       subwords="w2v.subword_kernels.sg_subword_sentence",
                       classic=("w2v.kernels.sg_classic_sentence", "w2v.subword_kernels.sg_subword_classic_sentence")),
    "cbow": Architecture("w2v.kernels.cbow_sentence", "w2v.trainers.word2vec", ("ns", "nce", "hs"),
                         "continuous bag of words: the words around a position predict it", alpha=0.05,
                         dask="w2v.cluster.trainer", options=_SAMPLED + _SUBWORDS,
                         subwords="w2v.subword_kernels.cbow_subword_sentence"),
    "nplm": Architecture("w2v.nplm_kernels.nplm_sentence", "w2v.trainers.nplm", ("softmax", "hs", "nce", "ns"),
                         "Bengio et al.'s neural probabilistic language model: a tanh network predicts each "
                         "word from the --context words before it",
                         alpha=0.01,  # bench-en, 5 epochs (bench/RESULTS.md): better than 0.02 for HS, as good for NCE
                         options=_SAMPLED + ("context", "hidden", "direct", "batch", "sync"), out_bias=True),
    "glove": Architecture("", "w2v.trainers.glove", (),
                          "GloVe (Pennington et al. 2014): weighted least squares on co-occurrence counts",
                          window=10, epochs=15, dask="w2v.trainers.glove",  # (counts on the cluster, trains here)
                          options=("symmetric", "distance_weighting", "x_max", "weight_power", "eta", "glove_vectors",
                                   "pair_order", "memory")),
}

LOSSES = {
    "ns": OutputLayer("w2v.output.ns", "negative sampling: logistic classification of the data word against "
                                       "--negative noise words", negative=True),
    "hs": OutputLayer("w2v.output.hs", "hierarchical softmax over a Huffman tree, O(log V)"),
    "nce": OutputLayer("w2v.output.nce", "noise-contrastive estimation: NS with each logit shifted by "
                                         "-log(k q(w)), an estimator of the normalised model", negative=True),
    "softmax": OutputLayer("w2v.output.softmax", "the full softmax over the vocabulary, O(V) (nplm only)",
                           nplm_batch=64),
}


# --sync-average (with --dask): how the replicas' changed rows combine (cluster/rowsync.py), the default first
SYNC_AVERAGES = ("adasum", "mean", "sum", "all")


def sentence_kernel(cfg):
    """The sentence kernel a run of ``cfg`` trains with: its model's, or its subword twin with --subwords;
    with --classic, the model's classic ones where it has them (skip-gram)."""
    arch = MODELS[cfg.model]
    kernel, subwords = arch.classic if arch.classic and not cfg.shared_targets else (arch.kernel, arch.subwords)
    return subwords if cfg.subwords[1] else kernel
