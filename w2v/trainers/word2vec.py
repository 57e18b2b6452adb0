"""Skip-gram and CBOW (Mikolov et al. 2013): ``W_in`` holds the word vectors, ``W_out`` the output layer's
rows (noise-sampled words, or the Huffman tree's inner nodes); the lane loop (kernels.lane_kernel) trains them."""

import numpy as np

from w2v.output import layer
from w2v.trainers import Finished, Prepared
from w2v.trainers.stream import ahead_kernel, kernel_config, memory_estimate, output_tables, stream_epochs


def init_weights(n_words, dim, seed, n_out, spread=1.0, threads=None):
    """word2vec.c's initialisation: W_in uniform in [-0.5, 0.5) / dim, W_out zeros; fastText's subword model
    (``spread`` 2) draws W_in in [-1, 1) / dim. Each row's values depend on the seed and its index only."""
    from w2v.jit import uniform_rows

    half = 0.5 * spread / dim
    W_in = uniform_rows((n_words, dim), seed, -half, half, threads)  # (the same values for any threads)
    W_out = np.zeros((n_out, dim), np.float32)
    return W_in, W_out


def vectors_from(cfg, rows, params, word_rows_of=None):
    """The vectors a run writes, from its parameters (Model.load of a saved model); a subword model's are
    SubwordVectors, carrying what fastText's model file holds (each word's input rows, ``word_rows_of`` =
    (ptr, rows) where the run has them, not hashed again)."""
    from w2v.vectors import Vectors

    if not cfg.subwords[1]:
        return Vectors(rows.words, params["W_in"])
    from w2v import fasttext_format
    from w2v.vectors import SubwordVectors

    V = len(rows.words)
    info = {"ws": cfg.window, "epoch": cfg.epochs, "minCount": cfg.min_count, "neg": cfg.negative,
            "loss": fasttext_format.LOSSES["hs" if cfg.loss == "hs" else "ns"],
            "model": fasttext_format.MODELS[cfg.model], "t": cfg.sample}
    return SubwordVectors.from_input(rows.words, params["W_in"], *cfg.subwords, cfg.buckets, counts=rows.counts,
                                     W_out=fasttext_format.output_for_fasttext(cfg.loss, params["W_out"], V),
                                     info=info, word_rows_of=word_rows_of)


FIRST_USE = True  # subword models train their rows in the order of first use (Trainer.epochs)


def n_inputs(cfg, n_words):
    """Rows of W_in: one per word, and one per n-gram bucket with --subwords."""
    return n_words + (cfg.buckets if cfg.subwords[1] else 0)


def fresh_params(cfg, n_words, n_out):
    """A fresh run's (W_in, W_out): word2vec.c's initialisation, or fastText's for a subword model."""
    return init_weights(n_inputs(cfg, n_words), cfg.dim, cfg.seed, n_out, 2.0 if cfg.subwords[1] else 1.0,
                        cfg.n_threads)


def kernel_weights(cfg, words, W_in, W_out, lock=None):
    """What the lane kernel trains: kernels.Weights, or for a subword model SubwordWeights with each word's
    input rows (its own and its n-grams', subwords.input_rows)."""
    if cfg.subwords[1]:
        from w2v.subword_kernels import SubwordWeights
        from w2v.subwords import input_rows

        return SubwordWeights.make(W_in, W_out, *input_rows(words, *cfg.subwords, cfg.buckets))
    from w2v import kernels

    return kernels.Weights.word2vec(W_in, W_out, lock)


def check_options(cfg, bad):
    """Skip-gram and CBOW read only the common options (config.TrainConfig checks them)."""


class Trainer:
    memory_remedy = "lower --dim or --max-vocab, or raise --min-count"

    def __init__(self, cfg, run):
        self.cfg, self.run = cfg, run
        self.word_rows_of = None  # a subword model's (ptr, rows), once epochs() has them

    def prepare(self, corpus, workdir, resumed_vocab, threads=None):
        from w2v.prepare import known_vocab, prepare

        self.vocab, self.encoded = prepare(corpus, self.cfg, workdir, known_vocab(self.run.read_vocab, resumed_vocab),
                                           threads=threads)
        self.n_out = layer(self.cfg.loss).n_out(len(self.vocab))
        self.n_in = n_inputs(self.cfg, len(self.vocab))
        info = {"total_tokens": self.encoded.total_tokens, "n_ids": self.encoded.n_ids}
        return Prepared(self.vocab, self.vocab, info, f"vocabulary: {len(self.vocab)} words, {self.encoded.n_words} "
                                                      f"of {self.encoded.total_tokens} tokens")

    def kernel_ahead(self):
        """For ahead.KernelsAhead: stream.ahead_kernel with this model's weights."""
        cfg = self.cfg

        def weights(words, counts, n_out, tabs):  # (a lock array has the type of no lock)
            return kernel_weights(cfg, words, np.zeros((len(words), cfg.dim), np.float32),
                                  np.zeros((n_out, cfg.dim), np.float32))

        return ahead_kernel(cfg, cfg.sample, weights)

    def extend(self, corpus, workdir, ck, update_vocab):
        """Continue from checkpoint ``ck`` on new text: (Prepared, params). Known words keep their rows;
        with ``update_vocab`` the new text's words that pass --min-count in it join the vocabulary, their
        counts added to the known words', with fresh rows in ``W_in`` and zero rows in ``W_out``. HS keeps
        the old inner-node rows (as gensim does) on the tree rebuilt from the merged counts. With
        ``update_vocab`` the new text is read twice: to count it, then to encode it with the merged words."""
        from w2v.prepare import prepare
        from w2v.vocab import Vocab

        old = ck.vocab
        known = old
        if update_vocab:
            counted, _ = prepare(corpus, self.cfg, workdir)  # the new text's own vocabulary
            more = dict(zip(counted.words, counted.counts.tolist()))
            added = [w for w in counted.words if w not in old.index]
            known = Vocab(old.words + added,
                          [c + more.get(w, 0) for w, c in zip(old.words, old.counts.tolist())] + [more[w] for w in added])
        prepared = self.prepare(corpus, workdir, known)
        at = np.array([old.index.get(w, -1) for w in self.vocab.words])
        have = at >= 0
        W_in, W_out = fresh_params(self.cfg, len(self.vocab), self.n_out)
        W_in[:len(self.vocab)][have] = ck.arrays["W_in"][at[have]]
        if self.cfg.subwords[1]:  # the n-gram buckets: the same rows whatever the words
            W_in[len(self.vocab):] = ck.arrays["W_in"][len(old):]
        if layer(self.cfg.loss).rows_are_words:
            W_out[have] = ck.arrays["W_out"][at[have]]
        else:  # the layer's own rows (Huffman inner nodes): kept in order
            n = min(self.n_out, len(ck.arrays["W_out"]))
            W_out[:n] = ck.arrays["W_out"][:n]
        params = {"W_in": W_in, "W_out": W_out}
        if "lock" in ck.arrays:  # locked rows stay locked; new words train
            params["lock"] = np.ones(len(self.vocab), np.float32)
            params["lock"][have] = ck.arrays["lock"][at[have]]
        return prepared._replace(summary=f"{prepared.summary}; continuing from {len(old)} words, "
                                         f"{int((~have).sum())} new"), params

    def start_from(self, params, path, lock):
        """Start the words of the vocabulary found in the vectors file ``path`` from its vectors (gensim's
        ``intersect_word2vec_format``), the others as init() made them; with ``lock`` the found rows are not
        trained (``params["lock"]``: 0 for them, 1 for the others, as gensim's ``vectors_lockf``). A subword
        model sets each found word's own row so that the mean of its rows (its vector) is the given vector
        (fastText's ``-pretrainedVectors`` sets the word's own row to it, which its n-gram rows then
        shift). Returns the line that says so."""
        from w2v.errors import OptionError
        from w2v.vectors import Vectors

        given = Vectors.load(path)
        if given.dim != self.cfg.dim:
            raise OptionError(f"--init-vectors {path} holds vectors of dimension {given.dim}; this run trains "
                              f"--dim {self.cfg.dim}")
        at = np.array([given.key_to_index.get(w, -1) for w in self.vocab.words], np.int64)
        found = at >= 0
        W_in, V = params["W_in"], len(self.vocab)
        if self.cfg.subwords[1]:
            from w2v.fasttext_format import word_rows_for
            from w2v.subwords import input_rows

            wanted = np.zeros((V, self.cfg.dim), np.float32)
            wanted[found] = given.vectors[at[found]]
            own = word_rows_for(wanted, W_in[V:], *input_rows(self.vocab.words, *self.cfg.subwords, self.cfg.buckets))
            W_in[:V][found] = own[found]
        else:
            W_in[found] = given.vectors[at[found]]
        if lock:  # (not with --subwords: api.train refuses it before the run)
            params["lock"] = np.where(found, 0, 1).astype(np.float32)
        return (f"{int(found.sum())} of {V} words start from the vectors of {path}"
                f"{' (locked)' if lock else ''}")

    def memory(self):
        return memory_estimate(len(self.vocab), self.cfg, self.n_out, n_in=self.n_in)

    def init(self):
        W_in, W_out = fresh_params(self.cfg, len(self.vocab), self.n_out)
        return {"W_in": W_in, "W_out": W_out}

    def epochs(self, params):
        tabs = output_tables(self.vocab.counts, self.cfg, self.cfg.sample)
        kcfg = kernel_config(self.cfg, self.encoded, tabs, self.n_out, self.vocab.counts)
        if not (self.cfg.subwords[1] and FIRST_USE):
            weights = kernel_weights(self.cfg, self.vocab.words, params["W_in"], params["W_out"], params.get("lock"))
            return stream_epochs(self.encoded, weights, tabs, kcfg, self.cfg)
        from w2v.subword_kernels import SubwordWeights
        from w2v.subwords import input_rows

        # a subword model trains a copy of the rows its words use, in the order of first use (SubwordWeights.
        # first_use); they go back into W_in before anything reads it (a checkpoint, the end)
        W_in = params["W_in"]
        self.word_rows_of = input_rows(self.vocab.words, *self.cfg.subwords, self.cfg.buckets)
        weights, order = SubwordWeights.first_use(W_in, params["W_out"], *self.word_rows_of)
        epochs = stream_epochs(self.encoded, weights, tabs, kcfg, self.cfg)
        if order is None:
            return epochs

        def put_back():
            W_in[order] = weights.W_in

        return epochs._replace(gather=put_back)

    def finish(self, params, progress, seconds, epochs_run):
        cfg = self.cfg
        wps = self.encoded.total_tokens * epochs_run / max(seconds, 1e-9)
        return Finished(vectors_from(cfg, self.vocab, params, self.word_rows_of),
                        f"trained {cfg.model}/{cfg.loss}: {cfg.epochs} epochs in {seconds:.1f} s, {wps / 1000:.0f}k "
                        f"words/s, final loss {progress.epoch_losses[-1]:.4f}",
                        {"words_per_second": wps, "stream_words": self.encoded.n_words})
