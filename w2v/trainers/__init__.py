"""The trainers, peers below the one driver (w2v/driver.py). choices.MODELS names each model's module.

A trainer is a class ``Trainer(cfg, run)`` with:

* ``prepare(corpus, workdir, resumed_vocab, threads=None) -> Prepared``: read the corpus (or a co-occurrence
  file) into what its kernel consumes; ``resumed_vocab`` is a checkpoint's vocabulary, or None; ``threads``
  the ones the reading may use (None: the run's);
* ``memory() -> dict | None``: the memory estimate (resources.memory_estimate) to check before allocating,
  with ``memory_remedy`` naming the options that lower it;
* ``init() -> dict``: fresh parameters, named arrays (what a checkpoint saves and a resume restores);
* ``epochs(params) -> epochs.Epochs``: its kernels and their calls, as the shared epoch loop runs them
  (and epochs.load_kernels compiles or loads them first);
* ``finish(params, progress, seconds, epochs_run) -> Finished``: the vectors (and other results) and a
  summary line;
* optionally ``extend(corpus, workdir, checkpoint, update_vocab) -> (Prepared, params)``: ``prepare`` for a
  run that continues a checkpoint on new text (``--continue``; skip-gram and CBOW have it).

``stream.py`` holds what skip-gram/CBOW and the NPLM share: both run the lane loop (``kernels.lane_kernel``) over the
encoded corpus.
"""

from typing import NamedTuple


class Prepared(NamedTuple):
    vocab: object  # the Vocab that --save-vocab writes and the result reports
    rows: object  # the Vocab of the parameters' rows (the NPLM adds <unk> and </s>): what a checkpoint keeps
    corpus_info: dict  # the corpus's fingerprint, which a resumed run must match
    summary: str  # the line printed after preparing (the driver adds the seconds)


class Finished(NamedTuple):
    vectors: object  # Vectors
    summary: str  # the line printed after training
    stats: dict  # figures beyond the common ones (examples/s, nonzeros, ...)
    language_model: object = None  # the NPLM's LanguageModel
