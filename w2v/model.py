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

    @property
    def wv(self):
        return self.vectors

    @property
    def words_per_second(self):
        """Raw corpus words per wall second of training."""
        return self.stats["words_per_second"]

    def save(self, path, format=None):
        """Write the vectors (format from ``format``: bin, text or glove, else the suffix); an NPLM writes
        its whole model to a ``.npz`` path."""
        import os

        if self.language_model is not None and os.fspath(path).endswith(".npz"):
            self.language_model.save(path)
        else:
            self.vectors.save(path, format)

    def __repr__(self):
        return (f"Model({self.config.model}/{self.config.loss if self.config.model != 'glove' else 'adagrad'}: "
                f"{len(self.vectors)} words x {self.vectors.dim}, {len(self.epoch_losses)} epochs, "
                f"final loss {self.epoch_losses[-1] if self.epoch_losses else float('nan'):.4f})")
