"""w2v: word-embedding training (skip-gram, CBOW, GloVe, the NPLM language model) with Numba kernels.

    import w2v
    model = w2v.train("corpus.txt", model="sg", loss="ns", dim=100, epochs=5)
    model.vectors.most_similar("paris")
    model.save("vectors.bin")
    vectors = w2v.load("vectors.bin")
    w2v.evaluate.analogies(vectors)["total"]["accuracy"]

``import w2v`` loads nothing heavy: the names below are imported on first use, and Numba only by the
kernel modules (``w2v.scan``, ``w2v.tables``, ``w2v.kernels``, ``w2v.output.kernels``, ``w2v.cooccur``, ``w2v.glove_kernels``,
``w2v.phrases``), which the
trainers import when they run. docs/architecture.md describes the layout.
"""

import importlib

__version__ = "0.1.0"

from w2v.errors import (CorpusError, FormatError, MemoryLimitError, OptionError, OutputError,  # noqa: E402,F401
                        ResumeError, TrainingDiverged, TrainingInterrupted, W2VError, WordNotFound)

_LAZY = {"train": "w2v.api", "load": "w2v.api", "load_vectors": "w2v.api", "cooccurrences": "w2v.api", "vocabulary": "w2v.api",
         "learn_phrases": "w2v.api", "Phrases": "w2v.phrases",
         "Model": "w2v.model", "Vectors": "w2v.vectors", "TrainConfig": "w2v.config", "Vocab": "w2v.vocab",
         "LanguageModel": "w2v.language_model"}
# (a name never means both a function and a module: `from w2v import cooccur` must find the module)

__all__ = sorted(_LAZY) + ["W2VError", "CorpusError", "FormatError", "MemoryLimitError", "OptionError",
                           "OutputError", "ResumeError", "TrainingDiverged", "TrainingInterrupted", "WordNotFound"]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    try:  # a submodule: w2v.evaluate, w2v.classes, ...
        return importlib.import_module(f"w2v.{name}")
    except ModuleNotFoundError as e:
        if e.name != f"w2v.{name}":
            raise
    raise AttributeError(f"module 'w2v' has no attribute {name!r}")
