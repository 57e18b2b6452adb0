"""The NPLM (Bengio et al. 2003): ``W_in`` holds the word features, ``W_hid``/``b_hid`` the tanh layer,
``W_out`` the output layer over ``h = [a, x (direct), 1]``; the lane loop (kernels.lane_kernel) trains them with nplm_kernels.nplm_sentence.
The vocabulary gains ``<unk>`` (out-of-vocabulary words) and ``</s>`` (sentence ends, history padding)."""

import dataclasses
import math

import numpy as np

from w2v.errors import CorpusError, OptionError
from w2v.output import layer
from w2v.trainers import Finished, Prepared
from w2v.trainers.stream import ahead_kernel, chunk_ids, kernel_config, memory_estimate, output_tables, stream_epochs
from w2v.vocab import Vocab


def stream_counts(encoded, n):
    """Occurrences of each id in the encoded stream, with the sentence ends counted as id ``n - 1``."""
    counts = np.zeros(n, np.int64)
    for _, block in encoded.blocks():
        counts += np.bincount(block[block >= 0], minlength=n)[:n]
        counts[n - 1] += int(np.count_nonzero(block < 0))
    return counts


def init_nplm(n_words, cfg, counts, n_out, out):
    """Features uniform in [-0.1, 0.1), hidden weights uniform in +-1/sqrt(fan-in), output weights zero,
    and the output biases the output layer (its tables ``out``) starts from (``Layer.bias``: the unigram
    model where it can: log-probabilities for softmax and NCE, each Huffman inner node's log-odds of its
    two subtrees' counts; zero for NS)."""
    rng = np.random.Generator(np.random.PCG64(cfg.seed))
    n_x = cfg.context * cfg.dim
    W_in = ((rng.random((n_words, cfg.dim), dtype=np.float32) - np.float32(0.5)) * np.float32(0.2))
    r = np.float32(1.0 / math.sqrt(n_x))
    W_hid = (rng.random((cfg.hidden, n_x), dtype=np.float32) * 2 - 1) * r
    b_hid = np.zeros(cfg.hidden, np.float32)
    W_out = np.zeros((n_out, cfg.hidden + (n_x if cfg.direct else 0) + 1), np.float32)
    W_out[:, -1] = layer(cfg.loss).bias(counts, out, n_out)
    return W_in, W_hid, b_hid, W_out


def vectors_from(cfg, rows, params):
    """The word features as vectors, without the rows the NPLM adds (</s>, and <unk> where the corpus had
    none: it is then the row before </s>)."""
    from w2v.language_model import UNK
    from w2v.vectors import Vectors

    n = len(rows.words) - (2 if rows.words[-2] == UNK else 1)
    return Vectors(rows.words[:n], params["W_in"][:n])


def check_options(cfg, bad):
    """The NPLM's own options (config.TrainConfig calls it; ``bad(message)`` refuses)."""
    if cfg.context < 1:
        bad(f"--context must be at least 1 (got {cfg.context})")
    if cfg.hidden < 1:
        bad(f"--hidden must be at least 1 (got {cfg.hidden})")
    if cfg.batch < 1:
        bad(f"--batch must be at least 1 (got {cfg.batch})")
    if cfg.sync < 0:
        bad(f"sync must not be negative (got {cfg.sync})")
    if cfg.hidden > 100_000 or cfg.context > 100:
        bad("--hidden or --context is too large")


class Trainer:
    memory_remedy = "lower --dim, --hidden or --max-vocab"

    def __init__(self, cfg, run):
        if run.read_vocab:
            raise OptionError("--read-vocab is not supported with --model nplm (its words outside the file would "
                              "have to become <unk>)")
        self.cfg, self.run = cfg, run

    def prepare(self, corpus, workdir, resumed_vocab, threads=None):
        """Counts its own vocabulary even when resuming (the driver checks that the words are the same)."""
        from w2v.language_model import BOUNDARY, UNK
        from w2v.prepare import prepare

        vocab, self.encoded = prepare(corpus, self.cfg, workdir, None, unk=UNK, threads=threads)
        if BOUNDARY in vocab.index:
            raise CorpusError(f"the corpus contains the token {BOUNDARY}, which the NPLM reserves for sentence ends")
        self.unk_in_corpus = UNK in vocab.index
        words = vocab.words + ([] if self.unk_in_corpus else [UNK]) + [BOUNDARY]
        self.counts = stream_counts(self.encoded, len(words))
        self.unk = vocab.index[UNK] if self.unk_in_corpus else len(vocab)
        self.rows = Vocab(words, self.counts)
        self.n_out = layer(self.cfg.loss).n_out(len(words))
        self.tabs = output_tables(self.counts, self.cfg, 0.0)  # (every word is predicted: no subsampling)
        info = {"total_tokens": self.encoded.total_tokens, "n_ids": self.encoded.n_ids}
        return Prepared(vocab, self.rows, info,
                        f"vocabulary: {len(vocab)} words + <unk> ({int(self.counts[self.unk])} tokens) + </s> "
                        f"({int(self.counts[-1])} sentences), {self.encoded.total_tokens} tokens")

    def kernel_ahead(self):
        """For ahead.KernelsAhead: stream.ahead_kernel with the NPLM's weights (every word predicted: no
        subsampling)."""
        from w2v import kernels

        cfg = self.cfg

        def weights(words, counts, n_out, tabs):
            W_in, W_hid, b_hid, W_out = init_nplm(len(words), cfg, counts, n_out, tabs.out)
            return kernels.Weights(W_in, W_out, W_hid, b_hid)

        return ahead_kernel(cfg, 0.0, weights)

    def memory(self):
        cfg = self.cfg
        n_x = cfg.context * cfg.dim
        out_dim = cfg.hidden + (n_x if cfg.direct else 0) + 1
        estimate = memory_estimate(len(self.rows), cfg, self.n_out)
        extra = 4 * (out_dim * self.n_out - cfg.dim * self.n_out + cfg.hidden * (n_x + 1))
        width = layer(cfg.loss).width(self.tabs.out, cfg, self.n_out)
        extra += cfg.n_threads * 8 * cfg.batch * width  # each chunk's float64 scores (NPLMScratch.S)
        if cfg.n_threads > 1:  # each thread's private hidden layer and its snapshot (nplm_kernels.private_hidden)
            extra += cfg.n_threads * 2 * 4 * cfg.hidden * (n_x + 1)
        estimate["weights"] += extra
        estimate["total"] += extra
        return estimate

    def init(self):
        W_in, W_hid, b_hid, W_out = init_nplm(len(self.rows), self.cfg, self.counts, self.n_out, self.tabs.out)
        return {"W_in": W_in, "W_hid": W_hid, "b_hid": b_hid, "W_out": W_out}

    def epochs(self, params):
        from w2v import kernels

        cfg = self.cfg
        weights = kernels.Weights(params["W_in"], params["W_out"], params["W_hid"], params["b_hid"])
        # an example's forward and backward passes through the output and hidden layers: a full softmax
        # over a large vocabulary makes the chunks short (a stop waits for the chunks running)
        n_x = cfg.context * cfg.dim
        width = layer(cfg.loss).width(self.tabs.out, cfg, self.n_out)
        work = 3 * (width * params["W_out"].shape[1] + cfg.hidden * (n_x + 1))
        return stream_epochs(self.encoded, weights, self.tabs, kernel_config(cfg, self.encoded, self.tabs, self.n_out),
                             cfg, chunk_ids(work, least=cfg.batch))

    def finish(self, params, progress, seconds, epochs_run):
        from w2v.language_model import LanguageModel

        cfg = self.cfg
        offsets, points, codes = layer(cfg.loss).paths(self.tabs.out)
        n_pred = sum(progress.epoch_predictions[-1:])
        eps = n_pred * epochs_run / max(seconds, 1e-9)
        wps = self.encoded.total_tokens * epochs_run / max(seconds, 1e-9)
        model = LanguageModel(words=self.rows.words, counts=self.counts, unk=self.unk, loss=cfg.loss,
                              context=cfg.context, direct=cfg.direct, hs_offsets=offsets, hs_points=points,
                              hs_codes=codes, config={**dataclasses.asdict(cfg), "unk_in_corpus": self.unk_in_corpus},
                              **params)
        return Finished(model.vectors, f"trained nplm/{cfg.loss}: {cfg.epochs} epochs in {seconds:.1f} s, "
                                       f"{eps:.0f} examples/s, final loss {progress.epoch_losses[-1]:.4f}",
                        {"examples_per_second": eps, "words_per_second": wps}, model)
