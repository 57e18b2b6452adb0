"""What training returns: the vectors, the vocabulary, the options, every parameter array and the figures
of the run (no Numba)."""

import dataclasses

from w2v.vectors import Vectors


@dataclasses.dataclass
class Model:
    """A trained model. ``vectors`` (also ``wv``, as in gensim) is what gets written and evaluated;
    ``params`` holds every array by its name in the papers (``W_in``, ``W_out``; GloVe's ``W``, ``C``,
    biases and AdaGrad sums; the NPLM's ``W_hid``, ``b_hid``), as a checkpoint saves them."""

    vectors: Vectors
    vocab: object  # Vocab: the counted words (before the NPLM's <unk> and </s>)
    config: object  # TrainConfig
    params: dict
    epoch_losses: list  # mean loss per prediction (GloVe: cost per nonzero), per epoch
    epoch_predictions: list  # predictions made (GloVe: nonzeros), per epoch
    vocab_seconds: float  # counting, vocabulary and encoding (GloVe: and co-occurrences)
    train_seconds: float
    total_tokens: int  # raw corpus tokens (one epoch)
    stats: dict  # words_per_second, and the trainer's own figures (examples/s, nonzeros, ...)
    language_model: object = None  # the NPLM's LanguageModel (w2v.language_model), else None
    rows: object = None  # Vocab of the parameters' rows (the NPLM's has <unk> and </s>); None: ``vocab``
    corpus_info: dict = None  # the corpus's fingerprint (what a --resume of a saved model checks)

    @property
    def wv(self):
        return self.vectors

    @property
    def words_per_second(self):
        """Raw corpus words per wall second of training."""
        return self.stats["words_per_second"]

    def save(self, path, format=None):
        """Write the vectors (format from ``format``: bin, text or glove, else the suffix); an NPLM writes
        its whole model to a ``.npz`` path. ``format="model"`` or a ``.model`` path writes the whole trained
        state, as gensim's ``model.save``: options, vocabulary, every parameter and the losses, a checkpoint
        of the finished run that ``Model.load`` reads back and ``train(continue_from=)`` trains further."""
        import os

        path = os.fspath(path)
        if format == "model" or (format is None and path.endswith(".model")):
            from w2v import checkpoint

            progress = checkpoint.Progress(epoch=len(self.epoch_losses), epoch_losses=list(self.epoch_losses),
                                           epoch_predictions=list(self.epoch_predictions))
            checkpoint.save(path, self.config, self.rows or self.vocab, self.params, progress,
                            self.corpus_info or {"total_tokens": self.total_tokens})
        elif self.language_model is not None and path.endswith(".npz"):
            self.language_model.save(path)
        else:
            self.vectors.save(path, format)

    @classmethod
    def load(cls, path):
        """A model written by ``save(path, format="model")`` (or any checkpoint): its options, vocabulary,
        parameters and losses, and its vectors as training would have written them."""
        from w2v import checkpoint
        from w2v.config import merged, trainer
        from w2v.vocab import Vocab

        ck = checkpoint.load(path)
        cfg = merged(ck.config, {})
        vectors = trainer(cfg.model).vectors_from(cfg, ck.vocab, ck.arrays)
        # the counted words lead the rows (the NPLM appends its reserved ones), as the vectors' words do
        vocab = Vocab(vectors.words, ck.vocab.counts[:len(vectors)])
        return cls(vectors=vectors, vocab=vocab, config=cfg, params=ck.arrays,
                   epoch_losses=ck.progress.epoch_losses, epoch_predictions=ck.progress.epoch_predictions,
                   vocab_seconds=0.0, train_seconds=0.0, total_tokens=ck.corpus.get("total_tokens", 0), stats={},
                   rows=ck.vocab, corpus_info=ck.corpus)

    def __repr__(self):
        return (f"Model({self.config.model}/{self.config.loss if self.config.model != 'glove' else 'adagrad'}: "
                f"{len(self.vectors)} words x {self.vectors.dim}, {len(self.epoch_losses)} epochs, "
                f"final loss {self.epoch_losses[-1] if self.epoch_losses else float('nan'):.4f})")
