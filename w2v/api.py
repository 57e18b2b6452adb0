"""The library's front door (``import w2v``): train, load, count. The CLI is a thin layer over these.

    import w2v
    model = w2v.train("corpus.txt", model="cbow", epochs=3)
    model.vectors.most_similar("king")

Nothing here imports Numba; the trainers load their kernels when they run.
"""

import os

from w2v.errors import OptionError

_RUN_OPTIONS = ("read_vocab", "save_vocab", "tmp_dir", "cooccur", "checkpoint", "resume", "log_json",
                "max_memory", "callback", "continue_from", "update_vocab", "phrases", "dask", "shards",
                "init_vectors", "lock_init",
                "sync_rounds", "sync_average", "sync_hot",
                "sync_bits", "force_text")


def train(corpus, model=None, loss=None, *, output=None, format=None, vectors_output=None, classes=None,
          progress=True, checkpoint_every=None, **options):
    """Train word vectors (or the NPLM) on ``corpus``; returns a ``Model``.

    ``corpus``: a path (plain, .gz, .bz2, .xz; ``"-"`` for standard input), a list of paths read as one
    text, or any iterable of token lists (gensim's ``sentences``). It is read once, counted and encoded
    to a temporary file, so a generator works and memory does not grow with the corpus.

    ``model``: sg (default), cbow, glove or nplm; ``loss``: ns (default), nce or hs, and for the NPLM also
    softmax (its default is ns too). ``options`` are TrainConfig's fields (dim, window, negative,
    min_count, max_vocab, sample, epochs, alpha, min_alpha, threads, seed, ...; see ``w2v train --help``)
    and the run's: read_vocab, save_vocab, tmp_dir, cooccur (GloVe), checkpoint, checkpoint_every
    (seconds or "10m"), resume, log_json, max_memory (GB), callback (called with a dict after every
    progress step; returning True stops with a checkpoint). ``progress=False`` silences the progress bar
    and messages on stderr. ``vectors_output``: the NPLM's word vectors, written beside its model
    (``output``); GloVe's ``glove_vectors`` ("w+c", its default, or "w") picks what its vectors are.

    ``continue_from`` (a checkpoint of sg or cbow) continues training from its weights on ``corpus``, new
    text: its options unless given (not its model, loss or dim), the learning rate restarting at
    ``alpha``; ``update_vocab=True`` adds the new text's words (those passing ``min_count`` in it), with
    fresh rows, and rebuilds the Huffman tree and noise table from the merged counts.

    ``init_vectors`` (a vectors file in any format ``load_vectors`` reads) starts the words of the new
    vocabulary found in it from its vectors (gensim's ``intersect_word2vec_format``; the dimension must be
    ``dim``); with ``lock_init`` those vectors are not trained (gensim's ``lockf=0``). sg and cbow.

    ``phrases`` (a file from ``learn_phrases(..., save_phrases=)`` / ``w2v phrases --save-phrases``, or a
    ``Phrases``) joins the learned phrases while the corpus is read, without writing the joined text.

    ``output`` writes the result when training ends (checked before it starts): vectors in ``format``
    (bin, text, glove; else from the suffix), or for the NPLM its whole model (``.npz``), with
    ``vectors_output`` for its word vectors; ``output=True`` names vectors.bin (model.npz). With
    ``classes=K``, ``output`` receives word2vec.c's class file (k-means of the vectors into K classes,
    ``w2v.classes``) instead of the vectors, as word2vec.c's ``-classes``. When resuming, the checkpoint's options apply unless given.
    """
    from w2v.choices import SYNC_AVERAGES
    from w2v.config import RunOptions, TrainConfig
    from w2v.messages import log
    from w2v.driver import resolve_config, resolve_continue, run_trainer

    _check_names(options, "w2v.train", set(TrainConfig.__dataclass_fields__) | set(_RUN_OPTIONS))
    _check_corpus(corpus)
    config = {k: v for k, v in options.items() if k not in _RUN_OPTIONS}
    for key, value in (("model", model), ("loss", loss)):
        if value is not None:
            config[key] = value
    run = RunOptions(quiet=not progress, checkpoint_every=_duration(checkpoint_every),
                     **{k: v for k, v in options.items() if k in _RUN_OPTIONS})
    if run.sync_bits not in (16, 32):
        raise OptionError(f"sync_bits is 16 or 32, not {run.sync_bits!r}")
    if run.sync_average not in (None, *SYNC_AVERAGES):
        raise OptionError(f"sync_average is {', '.join(SYNC_AVERAGES[:-1])} or {SYNC_AVERAGES[-1]}, "
                          f"not {run.sync_average!r}")
    if run.checkpoint_every is not None and not run.checkpoint:
        raise OptionError("--checkpoint-every needs --checkpoint PATH")
    if run.continue_from and run.resume:
        raise OptionError("--continue and --resume exclude each other: --resume finishes an interrupted run")
    if run.update_vocab and not run.continue_from:
        raise OptionError("--update-vocab goes with --continue CHECKPOINT")
    if run.lock_init and not run.init_vectors:
        raise OptionError("--lock-init goes with --init-vectors FILE")
    if run.init_vectors and (run.resume or run.continue_from):
        raise OptionError("--init-vectors starts a run; --resume and --continue take their weights from the checkpoint")
    resumed = continued = None
    if run.continue_from:
        cfg, continued = resolve_continue(config, run.continue_from)
    else:
        cfg, resumed = resolve_config(config, run.resume)
    if run.cooccur and cfg.model != "glove":
        raise OptionError("--cooccur applies to --model glove only")
    if run.init_vectors:
        from w2v.choices import MODELS
        from w2v.config import trainer as trainer_module

        starts = [m for m in MODELS if hasattr(trainer_module(m).Trainer, "start_from")]  # (the protocol's option)
        if cfg.model not in starts:
            raise OptionError(f"--init-vectors applies to --model {' and '.join(starts)}, not {cfg.model}")
        if run.lock_init and cfg.subwords[1]:
            raise OptionError("--lock-init does not apply to --subwords models: a word's vector is the mean of "
                              "its own row and its n-grams' rows, which other words share and train")
    if vectors_output is not None and cfg.model != "nplm":
        raise OptionError(f"--vectors-output applies to --model nplm (its word vectors beside the model); {cfg.model} "
                          f"writes its vectors to -o" + (" (--glove-vectors w|w+c picks which)" if cfg.model == "glove"
                                                         else ""))
    if classes is not None:
        if cfg.model == "nplm":
            raise OptionError("--classes writes classes instead of vectors; with --model nplm run 'w2v classes' on "
                              "its --vectors-output vectors")
        if not isinstance(classes, int) or classes < 1:
            raise OptionError(f"--classes must be a positive number of classes (got {classes!r})")
        if output is None:
            raise OptionError("--classes needs an output file for the classes")
    if output is True:
        output = "classes.txt" if classes else "model.npz" if cfg.model == "nplm" else "vectors.bin"
    if output is not None:
        _check_outputs(cfg, output, format, vectors_output, classes)
    from w2v.corpus import expand_inputs

    corpus = expand_inputs(corpus)
    if run.dask and (run.phrases or run.continue_from or run.cooccur or run.init_vectors):
        raise OptionError("--dask does not combine with --phrases, --continue, --cooccur or --init-vectors")
    if run.phrases is not None:
        from w2v.phrases import Phrased, Phrases

        corpus = Phrased(corpus, run.phrases if isinstance(run.phrases, Phrases) else Phrases.load(run.phrases))
    from w2v.corpus import forcing_text

    with forcing_text(run.force_text):
        result = run_trainer(corpus, cfg, run, resumed, continued)
    if classes:
        from w2v.classes import kmeans

        found = kmeans(result.vectors, classes)
        found.save(output)
        log(run.quiet, f"wrote {len(found.words)} words in {classes} classes to {output}")
    elif output is not None:
        result.save(output, format)
        written = [f"the NPLM ({len(result.language_model.words)} words with <unk> and </s>, loss {cfg.loss}) to "
                   f"{output}"] if cfg.model == "nplm" else [_vectors_line(result.vectors, output, format)]
        if vectors_output:
            result.vectors.save(vectors_output)
            written.append(_vectors_line(result.vectors, vectors_output, None))
        for line in written:
            log(run.quiet, "wrote " + line)
    return result


def _vectors_line(vectors, path, fmt):
    from w2v.formats import format_for_path

    if _fasttext_output(vectors, path, fmt):
        return (f"{len(vectors)} words and {vectors.buckets} n-gram buckets of dimension {vectors.dim} to {path} "
                f"(fastText's model file)")
    return f"{len(vectors)} vectors of dimension {vectors.dim} to {path} ({format_for_path(path, fmt)})"


def _fasttext_output(vectors, path, fmt):
    """Whether a subword model's output ``path`` gets fastText's model file (a .bin path, or --format
    fasttext) rather than a vectors file."""
    from w2v.fasttext_format import is_target

    return getattr(vectors, "buckets", None) is not None and is_target(path, fmt)


def _check_outputs(cfg, output, fmt, vectors_output, classes=None):
    """Refuse unwritable or ill-named outputs before any training."""
    from w2v.atomic import check_target
    from w2v.fasttext_format import is_target
    from w2v.formats import format_for_path

    output = os.fspath(output)
    for target in [output] + ([vectors_output] if vectors_output else []):
        check_target(target)
    if cfg.model == "nplm":
        if not output.endswith(".npz"):
            raise OptionError(f"--model nplm saves the whole model: give -o MODEL.npz, not {output!r} (and "
                              "--vectors-output vectors.bin for the word vectors)")
        if fmt:
            raise OptionError("--format applies to vectors files; with --model nplm use --vectors-output with a suffix")
        if vectors_output:
            format_for_path(vectors_output)
    elif fmt == "fasttext" and not cfg.subwords[1]:
        raise OptionError("--format fasttext writes a subword model: add --subwords MIN-MAX (e.g. 3-6)")
    elif not classes and not (cfg.subwords[1] and is_target(output, fmt)):
        format_for_path(output, fmt)


def _duration(value):
    """Seconds from a number or '90', '30s', '10m', '2h'; None stays None."""
    if value is None or isinstance(value, (int, float)):
        if value is not None and not value > 0:
            raise OptionError(f"--checkpoint-every must be positive (got {value})")
        return value
    text = str(value)
    units = {"s": 1, "m": 60, "h": 3600}
    try:
        seconds = float(text[:-1]) * units[text[-1]] if text[-1] in units else float(text)
    except (ValueError, IndexError):
        raise OptionError(f"--checkpoint-every: cannot read {text!r}; use e.g. 30s, 10m or 2h") from None
    if not seconds > 0:
        raise OptionError(f"--checkpoint-every must be positive (got {text})")
    return seconds


def _check_names(options, where, known):
    """An unknown keyword gets w2v's name for it (gensim's and fastText's names, habits.PARAMETERS) or the
    nearest known one, as an OptionError rather than Python's TypeError."""
    import difflib

    from w2v.habits import PARAMETERS

    for name in options:
        if name in known:
            continue
        if name in PARAMETERS and PARAMETERS[name] != name:
            raise OptionError(f"{where} has no parameter {name}=: w2v calls it {PARAMETERS[name]}")
        near = difflib.get_close_matches(name, sorted(known), n=1)
        raise OptionError(f"{where} has no parameter {name}=" + (f" (did you mean {near[0]}=?)" if near else ""))


def _check_corpus(corpus):
    """A string that is no file and holds spaces is text given as a corpus: say what a corpus is."""
    if isinstance(corpus, str) and corpus != "-" and any(c.isspace() for c in corpus) and "://" not in corpus:
        if not os.path.exists(corpus):
            raise OptionError(f"corpus not found: {corpus!r} (a corpus is a path, a list of paths, or an iterable "
                              f"of token lists such as [['the', 'king', 'rules']])")


def load(path, unicode_errors="strict", limit=None):
    """Read word2vec binary or text or GloVe text vectors, compressed (gzip, bzip2, xz) or not (format
    detected from the content; the first ``limit`` words only, if given) as ``Vectors``; fastText's model
    file (.bin, whole) as ``SubwordVectors``, which answer words never seen too; an NPLM model file (.npz)
    as its ``LanguageModel`` (with ``.vectors``)."""
    from w2v.formats import is_model_file
    from w2v.vectors import Vectors

    if is_model_file(path):
        from w2v.language_model import LanguageModel

        return LanguageModel.load(path)
    return Vectors.load(path, unicode_errors, limit)


def load_vectors(path, limit=None):
    """The word vectors of a vectors file, or of an NPLM model file (what ``similar``, ``analogy``, ``eval``
    and ``convert`` read)."""
    from w2v.formats import is_model_file

    return load(path).vectors if is_model_file(path) else load(path, limit=limit)


def cooccurrences(corpus, output=None, *, window=10, symmetric=True, distance_weighting=True, min_count=5,
                  max_vocab=None, memory=None, tmp_dir=None, progress=True, dask=None):
    """Count GloVe's co-occurrences of ``corpus`` once; returns (Cooccurrences, Vocab) and writes them to
    ``output`` (.npz) for ``train(..., model="glove", cooccur=output)``. ``dask`` counts on a cluster."""
    import shutil
    import tempfile

    from w2v import cooccur as cooc_mod
    from w2v import scan
    from w2v.config import TrainConfig
    from w2v.config import RunOptions
    from w2v.messages import log
    from w2v.trainers.glove import count_corpus

    cfg = TrainConfig(model="glove", window=window, min_count=min_count, max_vocab=max_vocab, memory=memory,
                      symmetric=symmetric, distance_weighting=distance_weighting)
    if output is not None and not os.fspath(output).endswith(".npz"):
        raise OptionError(f"the co-occurrence file must end in .npz: {output}")
    from w2v.corpus import expand_inputs

    corpus = expand_inputs(corpus)
    workdir = tempfile.mkdtemp(prefix="w2v-cooccur-", dir=tmp_dir)
    try:
        scan.warm_up()
        vocab, _, result = count_corpus(corpus, cfg, workdir, RunOptions(quiet=not progress, dask=dask),
                                        train=False)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if output is not None:
        cooc_mod.save(result, vocab, output)
        log(not progress, f"wrote {len(result.vals)} co-occurrences of {len(vocab)} words to {output}")
    return result, vocab


def learn_phrases(corpus, output=None, *, passes=2, threshold=None, scoring="word2phrase", min_count=5,
                  delimiter="_", connector_words=None, save_phrases=None, max_bigrams=None, tmp_dir=None,
                  progress=True, threads=None):
    """Learn phrases (word2phrase, gensim's Phrases) on ``corpus`` in ``passes`` passes; returns a ``Phrases``.

    ``threshold``: one number per pass (or one for all); defaults 200 then 100 (word2vec's demo) for
    ``scoring="word2phrase"``, 10 for ``"gensim"`` (gensim's default scorer), 0.5 for ``"npmi"``.
    ``connector_words``: None, "english" (gensim's), a file of words or a list, words that may stand
    inside a phrase ("bank_of_america"). ``output`` receives the phrased text; ``save_phrases`` the
    phrases (a TSV that ``train(..., phrases=)`` applies on the fly). ``threads`` join the phrases in the
    text [all cores]. w2v.phrases documents the scorers.
    """
    from w2v import phrases as phrases_mod
    from w2v.messages import log

    if save_phrases is not None:
        from w2v.atomic import check_target

        check_target(save_phrases)
    from w2v.corpus import expand_inputs

    model = phrases_mod.learn(expand_inputs(corpus), output, passes=passes, threshold=threshold, scoring=scoring,
                              min_count=min_count, delimiter=delimiter, connector_words_spec=connector_words,
                              max_bigrams=max_bigrams or phrases_mod.DEFAULT_MAX_BIGRAMS, tmp_dir=tmp_dir,
                              progress=progress, threads=threads)
    if output is not None:
        log(not progress, f"wrote the phrased text to {output}")
    if save_phrases is not None:
        model.save(save_phrases)
        log(not progress, f"wrote {sum(len(p) for p in model.passes)} phrases to {save_phrases}")
    return model


def vocabulary(corpus, min_count=5, max_vocab=None, dask=None, max_types=None, tmp_dir=None, threads=0):
    """Count ``corpus``'s words: a VocabularyReport with the chosen Vocab and the corpus's figures.
    ``dask`` (a scheduler address or local:N) counts on a Dask cluster (w2v.cluster). ``max_types``
    prunes the live types while counting beyond that many, as in ``train``; ``tmp_dir`` holds the work
    files (the spilled counts of a corpus with many types) [system temp]. ``threads`` (0: all cores): with
    two or more, plain files of 32 MB or more are counted in two halves side by side (the same counts)."""
    from w2v.config import TrainConfig

    cfg = TrainConfig(min_count=min_count, max_vocab=max_vocab, max_types=max_types, threads=threads)  # (checked)
    limit = cfg.max_types
    if dask:
        from w2v.cluster.connection import close, connect
        from w2v.cluster.counting import vocabulary
        from w2v.corpus import expand_inputs

        client = connect(dask)
        try:
            return vocabulary(client, expand_inputs(corpus), min_count, max_vocab, limit=limit)
        finally:
            close(client)
    import shutil
    import tempfile

    from w2v import corpus as corpus_mod
    from w2v import scan
    from w2v.errors import CorpusError
    from w2v.vocab import VocabularyReport, build_vocab

    corpus = corpus_mod.expand_inputs(corpus)
    workdir = tempfile.mkdtemp(prefix="w2v-vocab-", dir=tmp_dir)
    try:
        scan.warm_up()
        res = corpus_mod.scan_corpus(corpus, workdir, count_limit=limit, min_count=min_count, max_vocab=max_vocab,
                                     threads=cfg.n_threads)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if res.total_tokens == 0:
        raise CorpusError(f"corpus is empty (no tokens): {corpus_mod.describe(corpus)}")
    vocab, _ = build_vocab(res.words, res.counts, res.pids, res.n_pids, min_count, max_vocab,
                           may_repeat=res.invalid_utf8 > 0)
    return VocabularyReport(vocab, res.total_tokens, res.types, res.invalid_utf8)
