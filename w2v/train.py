"""The trainer: corpus -> vocabulary -> tables -> epochs of kernel calls -> Vectors.

Python drives the epochs in blocks of whole sentences read from the encoded corpus on disk, calls the
kernel on each block's chunks, and updates the progress bar between calls.
"""

import dataclasses
import math
import os
import shutil
import sys
import tempfile
import time
from typing import NamedTuple

import numpy as np

from w2v.config import TrainConfig
from w2v.errors import TrainingInterrupted, W2VError
from w2v.vectors import Vectors
from w2v.vocab import Vocab

CHUNK_IDS = 10_000  # target chunk length (ids): many more chunks than threads
BLOCK_IDS = 1 << 21  # ids per kernel call (one progress-bar step)


class TrainResult(NamedTuple):
    vectors: Vectors
    vocab: Vocab
    W_out: np.ndarray
    epoch_losses: list  # mean loss per prediction, per epoch
    epoch_predictions: list  # predictions made, per epoch
    vocab_seconds: float  # counting, vocabulary and encoding
    train_seconds: float
    total_tokens: int  # raw corpus tokens (one epoch)
    words_per_second: float  # raw corpus words per wall second of training
    stats: dict | None = None  # model-specific figures (GloVe: nonzeros, updates per second)
    model: object = None  # the NPLM's LanguageModel (all its parameters)


def _log(quiet, msg):
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


def prepare(corpus, cfg, workdir, known=None, quiet=True, unk=None):
    """Scan and encode the corpus; returns (Vocab, EncodedCorpus).

    ``known`` (a Vocab: ``--read-vocab``, or a checkpoint's) fixes the vocabulary instead of counting it.
    ``unk`` (a word) keeps out-of-vocabulary tokens in the stream as that word's id: the word's index
    if the vocabulary has it, else ``len(vocab)`` (the language model's unknown token).
    """
    from w2v import corpus as corpus_mod
    from w2v.vocab import build_vocab

    # --max-vocab bounds the live types while counting too (rare ones are pruned as in word2vec.c)
    limit = corpus_mod.DEFAULT_COUNT_LIMIT
    if cfg.max_vocab is not None:
        limit = min(limit, max(20 * cfg.max_vocab, 1_000_000))
    scanned = corpus_mod.scan_corpus(corpus, workdir, count_limit=limit,
                                     known_words=known.words if known else None)
    if scanned.total_tokens == 0:
        raise W2VError(f"corpus is empty (no tokens): {corpus}")
    if scanned.invalid_utf8 > 0.3 * scanned.total_tokens:
        raise W2VError(f"{corpus} looks like binary data, not text: {scanned.invalid_utf8} of its "
                       f"{scanned.total_tokens} tokens are not valid UTF-8")
    if scanned.invalid_utf8:
        _log(False, f"warning: {scanned.invalid_utf8} tokens were not valid UTF-8; invalid bytes were "
                    "replaced by U+FFFD")
    if scanned.overlong:
        _log(False, f"warning: skipped {scanned.overlong} tokens longer than 1000 bytes")
    if known is not None:
        counts = known.counts
        words = known.words
    else:
        counts, words = scanned.counts, scanned.words
    vocab, remap = build_vocab(words, counts, scanned.pids, scanned.n_pids, cfg.min_count, cfg.max_vocab,
                               may_repeat=scanned.invalid_utf8 > 0)
    if len(vocab) == 0:
        raise W2VError(f"vocabulary is empty: no word occurs at least --min-count {cfg.min_count} times "
                       f"in {scanned.total_tokens} tokens")
    if cfg.loss == "hs" and len(vocab) < 2:
        raise W2VError("hierarchical softmax needs at least two words in the vocabulary")
    if unk is not None:
        remap[remap < 0] = vocab.index.get(unk, len(vocab))
    encoded = corpus_mod.encode(scanned, remap, workdir)
    span, name = (cfg.context, "--context") if cfg.model == "nplm" else (cfg.window, "--window")
    if encoded.n_words <= span:
        raise W2VError(f"too little text to train: {encoded.n_words} in-vocabulary tokens, not more than "
                       f"{name} {span}")
    return vocab, encoded


def _known_vocab(read_vocab, resumed):
    """The vocabulary to encode with: a checkpoint's (so the word ids are the same), a --read-vocab file's,
    or None (count it)."""
    if resumed:
        return resumed[1]
    return Vocab.load(read_vocab) if read_vocab else None


def init_weights(n_words, dim, seed, n_out):
    """word2vec.c's initialisation: W_in uniform in [-0.5, 0.5) / dim, W_out zeros."""
    rng = np.random.Generator(np.random.PCG64(seed))
    W_in = (rng.random((n_words, dim), dtype=np.float32) - np.float32(0.5)) / np.float32(dim)
    W_out = np.zeros((n_out, dim), np.float32)
    return W_in, W_out


def plan_chunks(block, chunk_ids=CHUNK_IDS):
    """Split a block of whole sentences into chunks of about ``chunk_ids`` ids, cut at sentence ends."""
    ends = np.flatnonzero(block == -1) + 1
    cuts = ends[np.minimum(np.searchsorted(ends, np.arange(chunk_ids, len(block), chunk_ids)), len(ends) - 1)]
    cuts = np.unique(np.append(cuts, len(block)))
    starts = np.concatenate([[0], cuts[:-1]]).astype(np.int64)
    return starts, cuts.astype(np.int64)


def kernels_cached():
    """Whether this version of the training kernel is in Numba's on-disk cache (else the first call compiles).

    Numba names its index file after the function and its line, so an edited kernel is not mistaken
    for a cached one."""
    try:
        from w2v import kernels

        return os.path.exists(kernels.epoch_parallel._cache._cache_file._index_path)
    except Exception:  # a Numba without these internals: say nothing rather than guess
        return True


class Options(NamedTuple):
    """How a run is driven, beside what it trains (TrainConfig)."""

    checkpoint: str | None = None  # where to save checkpoints
    checkpoint_every: float | None = None  # seconds between checkpoints (None: only on interrupt)
    resume: str | None = None  # checkpoint to continue from
    log_json: str | None = None  # one JSON line per progress step and per epoch
    max_memory: float | None = None  # GB; refuse to start beyond it (None: the memory available)
    callback: object = None  # f(record) after each progress step; returning True requests a stop


def available_memory_gb():
    """MemAvailable from /proc/meminfo, or None where it cannot be read."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / (1 << 20)
    except (OSError, ValueError):
        pass
    return None


def memory_estimate(n_words, cfg, n_out):
    """Bytes the training will allocate: weights, tables and buffers, plus Numba's runtime."""
    weights = 4 * cfg.dim * (n_words + n_out)
    tables = n_words * (8 + 16 + 8)  # keep thresholds, alias table, Huffman offsets
    if cfg.loss == "hs":
        tables += 5 * 40 * n_words  # paths: int32 points + uint8 codes, depth about log2(V)
    buffers = 2 * 4 * BLOCK_IDS + cfg.n_threads * 8 * cfg.dim * 64
    runtime = 200 << 20
    return {"weights": weights, "tables": tables, "buffers": buffers, "runtime": runtime,
            "total": weights + tables + buffers + runtime}


def check_memory(estimate, opts, quiet, remedy="lower --dim or --max-vocab, or raise --min-count"):
    gb = estimate["total"] / (1 << 30)
    limit = opts.max_memory if opts.max_memory is not None else available_memory_gb()
    _log(quiet, f"memory estimate: {gb:.2f} GB (weights {estimate['weights'] / (1 << 30):.2f} GB, tables "
                f"{estimate['tables'] / (1 << 20):.0f} MB, buffers and runtime "
                f"{(estimate['buffers'] + estimate['runtime']) / (1 << 20):.0f} MB)")
    if limit is not None and gb > limit:
        which = "--max-memory" if opts.max_memory is not None else "the available memory"
        raise W2VError(f"training needs about {gb:.2f} GB, more than {which} ({limit:.2f} GB): {remedy}")


def train(corpus, cfg=None, read_vocab=None, save_vocab=None, quiet=False, tmp_dir=None, cooccur=None,
          opts=None):
    """Train skip-gram, CBOW or GloVe on ``corpus`` (a path or ``-``); returns a TrainResult.

    For GloVe, ``cooccur`` names a file written by ``w2v cooccur`` to reuse instead of counting.
    ``opts`` (Options) adds checkpoints, resuming, a JSON log, a memory bound and a callback.
    """
    from w2v import checkpoint

    opts = opts or Options()
    resumed = None
    if opts.resume:
        resumed = checkpoint.load(opts.resume)
        if cfg is None:
            cfg = TrainConfig(**resumed[0])
        checkpoint.check_compatible(resumed[0], cfg, opts.resume)
    cfg = cfg or TrainConfig()
    if cfg.model == "glove":
        from w2v.glove import train_glove

        return train_glove(corpus, cfg, cooccur, read_vocab, save_vocab, quiet, tmp_dir, opts, resumed)
    if cfg.model == "nplm":
        if read_vocab:
            raise W2VError("--read-vocab is not supported with --model nplm (its words outside the file would "
                           "have to become <unk>)")
        return train_nplm(corpus, cfg, save_vocab, quiet, tmp_dir, opts, resumed)
    workdir = tempfile.mkdtemp(prefix="w2v-", dir=tmp_dir)
    try:
        if not quiet and not kernels_cached():
            _log(quiet, "compiling kernels (first run only; later runs load them from Numba's cache)...")
        from w2v import scan

        scan.warm_up()  # Numba's start-up, once per process, is not part of the vocabulary pass
        t0 = time.perf_counter()
        vocab, encoded = prepare(corpus, cfg, workdir, _known_vocab(read_vocab, resumed), quiet)
        corpus_info = resume_corpus_check(encoded, resumed, opts)
        if save_vocab:
            vocab.save(save_vocab)
        vocab_seconds = time.perf_counter() - t0
        _log(quiet, f"vocabulary: {len(vocab)} words, {encoded.n_words} of {encoded.total_tokens} tokens "
                    f"({vocab_seconds:.1f} s)")
        n_out = len(vocab) - 1 if cfg.loss == "hs" else len(vocab)
        check_memory(memory_estimate(len(vocab), cfg, n_out), opts, quiet)
        tabs, hs = _output_tables(vocab.counts, cfg)
        if resumed:
            W_in, W_out = resumed[2]["W_in"], resumed[2]["W_out"]
            progress = resumed[3]
            _log(quiet, f"resuming at epoch {progress.epoch + 1}, position {progress.position} of {encoded.n_ids}")
        else:
            W_in, W_out = init_weights(len(vocab), cfg.dim, cfg.seed, n_out)
            progress = checkpoint.Progress()
        kcfg = _kernel_config(cfg, encoded, hs)

        def save_checkpoint():
            checkpoint.save(opts.checkpoint, cfg, vocab, {"W_in": W_in, "W_out": W_out}, progress, corpus_info)

        start_epoch = progress.epoch
        train_seconds = run_epochs(encoded, W_in, W_out, no_hidden(W_in), tabs, kcfg, cfg, quiet, progress, opts,
                                   save_checkpoint if opts.checkpoint else None)
        epoch_losses, epoch_predictions = progress.epoch_losses, progress.epoch_predictions
        wps = encoded.total_tokens * (cfg.epochs - start_epoch) / max(train_seconds, 1e-9)
        _log(quiet, f"trained {cfg.model}/{cfg.loss}: {cfg.epochs} epochs in {train_seconds:.1f} s, "
                    f"{wps / 1000:.0f}k words/s, final loss {epoch_losses[-1]:.4f}")
        return TrainResult(Vectors(vocab.words, W_in), vocab, W_out, epoch_losses, epoch_predictions, vocab_seconds,
                           train_seconds, encoded.total_tokens, wps)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def resume_corpus_check(encoded, resumed, opts, words=None):
    """The corpus's fingerprint that a checkpoint keeps; refuses to resume a checkpoint made on another
    corpus (another token count; for the NPLM, whose vocabulary is counted again, other ``words``)."""
    info = {"total_tokens": encoded.total_tokens, "n_ids": encoded.n_ids}
    if resumed and (resumed[4] != info or (words is not None and resumed[1].words != words)):
        raise W2VError(f"cannot resume from {opts.resume}: the corpus differs from the one it was trained on "
                       f"({resumed[4]['total_tokens']} tokens then, {encoded.total_tokens} now)")
    return info


def no_hidden(W_in):
    """Skip-gram and CBOW have no hidden layer: empty arrays of the weights' type."""
    from w2v.kernels import Hidden

    return Hidden(np.zeros((0, 0), W_in.dtype), np.zeros(0, W_in.dtype))


def _output_tables(counts, cfg):
    """Kernel tables for the output layer over ``counts``: (Tables, Huffman); no subsampling for the NPLM."""
    from w2v import kernels, tables

    if cfg.loss == "hs":
        hs = tables.huffman_unsorted(counts) if cfg.model == "nplm" else tables.huffman(counts)
    else:
        hs = tables.Huffman(np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.uint8))
    q = tables.noise_distribution(counts, cfg.noise_power)
    log_kq = np.log(cfg.negative * np.maximum(q, 1e-300)) if cfg.loss == "nce" else None  # (a count may be 0)
    tabs = kernels.Tables(keep=tables.keep_thresholds(counts, 0.0 if cfg.model == "nplm" else cfg.sample),
                          noise=tables.alias_table(q), log_kq=log_kq, hs_offsets=hs.offsets, hs_points=hs.points,
                          hs_codes=hs.codes)
    return tabs, hs


def _kernel_config(cfg, encoded, hs):
    from w2v import kernels

    return kernels.Config(model=kernels.MODELS[cfg.model], loss=kernels.LOSSES[cfg.loss], window=cfg.window,
                          negative=cfg.negative, cbow_mean=cfg.cbow_mean, alpha=float(cfg.start_alpha),
                          min_alpha=float(cfg.end_alpha), epoch_ids=float(encoded.n_ids),
                          total_ids=float(encoded.n_ids * cfg.epochs),
                          max_code=int(np.diff(hs.offsets).max()) if cfg.loss == "hs" else 0,
                          shared=cfg.model == "sg" and cfg.shared_targets, seed=int(cfg.seed) & 0x7FFFFFFFFFFFFFFF,
                          context=cfg.context, direct=cfg.direct, batch=cfg.batch,
                          sync=cfg.sync if cfg.model == "nplm" and cfg.n_threads > 1 else 0)


def stream_counts(encoded, n):
    """Occurrences of each id in the encoded stream, with the sentence ends counted as id ``n - 1``."""
    counts = np.zeros(n, np.int64)
    for _, block in encoded.blocks():
        counts += np.bincount(block[block >= 0], minlength=n)[:n]
        counts[n - 1] += int(np.count_nonzero(block < 0))
    return counts


def init_nplm(n_words, cfg, counts, n_out, hs):
    """Features uniform in [-0.1, 0.1), hidden weights uniform in +-1/sqrt(fan-in), output weights zero,
    and output biases that make the untrained network the unigram model: log-probabilities for softmax
    and NCE; for HS each inner node's log-odds of its two subtrees' counts; zero for NS."""
    rng = np.random.Generator(np.random.PCG64(cfg.seed))
    n_x = cfg.context * cfg.dim
    W_in = ((rng.random((n_words, cfg.dim), dtype=np.float32) - np.float32(0.5)) * np.float32(0.2))
    r = np.float32(1.0 / math.sqrt(n_x))
    W_hid = (rng.random((cfg.hidden, n_x), dtype=np.float32) * 2 - 1) * r
    b_hid = np.zeros(cfg.hidden, np.float32)
    W_out = np.zeros((n_out, cfg.hidden + (n_x if cfg.direct else 0) + 1), np.float32)
    if cfg.loss in ("softmax", "nce"):
        W_out[:, -1] = np.log(np.maximum(counts, 1) / counts.sum())
    elif cfg.loss == "hs":
        W_out[:, -1] = hs_unigram_bias(counts, hs, n_out)
    return W_in, W_hid, b_hid, W_out


def hs_unigram_bias(counts, hs, n_out):
    """Inner-node biases under which the Huffman tree gives every word its unigram probability: the node's
    step has label 1 (code 0) with probability n0 / (n0 + n1), the counts below each branch."""
    below = np.zeros((n_out, 2))
    words = np.repeat(np.arange(len(counts)), np.diff(hs.offsets))
    np.add.at(below, (hs.points, hs.codes), np.maximum(counts, 1)[words].astype(np.float64))
    return np.log(np.maximum(below[:, 0], 1) / np.maximum(below[:, 1], 1))


def train_nplm(corpus, cfg, save_vocab, quiet, tmp_dir, opts, resumed):
    """Train the NPLM; the result's ``model`` is the LanguageModel, its ``vectors`` the word features."""
    from w2v import checkpoint
    from w2v.kernels import Hidden
    from w2v.nplm import BOUNDARY, UNK, LanguageModel

    workdir = tempfile.mkdtemp(prefix="w2v-", dir=tmp_dir)
    try:
        if not quiet and not kernels_cached():
            _log(quiet, "compiling kernels (first run only; later runs load them from Numba's cache)...")
        from w2v import scan

        scan.warm_up()
        t0 = time.perf_counter()
        vocab, encoded = prepare(corpus, cfg, workdir, None, quiet, unk=UNK)
        if BOUNDARY in vocab.index:
            raise W2VError(f"the corpus contains the token {BOUNDARY}, which the NPLM reserves for sentence ends")
        unk_in_corpus = UNK in vocab.index
        words = vocab.words + ([] if unk_in_corpus else [UNK]) + [BOUNDARY]
        counts = stream_counts(encoded, len(words))
        unk = vocab.index[UNK] if unk_in_corpus else len(vocab)
        lm_vocab = Vocab(words, counts)
        corpus_info = resume_corpus_check(encoded, resumed, opts, words)
        if save_vocab:
            vocab.save(save_vocab)
        vocab_seconds = time.perf_counter() - t0
        _log(quiet, f"vocabulary: {len(vocab)} words + <unk> ({int(counts[unk])} tokens) + </s> "
                    f"({int(counts[-1])} sentences), {encoded.total_tokens} tokens ({vocab_seconds:.1f} s)")
        n_out = len(words) - 1 if cfg.loss == "hs" else len(words)
        n_x = cfg.context * cfg.dim
        out_dim = cfg.hidden + (n_x if cfg.direct else 0) + 1
        estimate = memory_estimate(len(words), cfg, n_out)
        extra = 4 * (out_dim * n_out - cfg.dim * n_out + cfg.hidden * (n_x + 1))
        extra += cfg.n_threads * 8 * cfg.batch * (n_out if cfg.loss == "softmax" else 64)
        if cfg.n_threads > 1:  # each thread's private hidden layer and its snapshot (kernels.private_hidden)
            extra += cfg.n_threads * 2 * 4 * cfg.hidden * (n_x + 1)
        estimate["weights"] += extra
        estimate["total"] += extra
        check_memory(estimate, opts, quiet, remedy="lower --dim, --hidden or --max-vocab")
        tabs, hs = _output_tables(counts, cfg)
        if resumed:
            params = resumed[2]
            W_in, W_hid, b_hid, W_out = params["W_in"], params["W_hid"], params["b_hid"], params["W_out"]
            progress = resumed[3]
            _log(quiet, f"resuming at epoch {progress.epoch + 1}, position {progress.position} of {encoded.n_ids}")
        else:
            W_in, W_hid, b_hid, W_out = init_nplm(len(words), cfg, counts, n_out, hs)
            progress = checkpoint.Progress()
        kcfg = _kernel_config(cfg, encoded, hs)

        def save_checkpoint():
            checkpoint.save(opts.checkpoint, cfg, lm_vocab, {"W_in": W_in, "W_hid": W_hid, "b_hid": b_hid,
                                                             "W_out": W_out}, progress, corpus_info)

        start_epoch = progress.epoch
        train_seconds = run_epochs(encoded, W_in, W_out, Hidden(W_hid, b_hid), tabs, kcfg, cfg, quiet, progress,
                                   opts, save_checkpoint if opts.checkpoint else None)
        n_pred = sum(progress.epoch_predictions[-1:])
        done_epochs = cfg.epochs - start_epoch  # (progress, a resumed run's too, has moved to the end)
        eps = n_pred * done_epochs / max(train_seconds, 1e-9)
        wps = encoded.total_tokens * done_epochs / max(train_seconds, 1e-9)
        _log(quiet, f"trained nplm/{cfg.loss}: {cfg.epochs} epochs in {train_seconds:.1f} s, {eps:.0f} examples/s, "
                    f"final loss {progress.epoch_losses[-1]:.4f}")
        model = LanguageModel(words=words, counts=counts, unk=unk, W_in=W_in, W_hid=W_hid, b_hid=b_hid, W_out=W_out,
                              loss=cfg.loss, context=cfg.context, direct=cfg.direct, hs_offsets=hs.offsets,
                              hs_points=hs.points, hs_codes=hs.codes,
                              config={**dataclasses.asdict(cfg), "unk_in_corpus": unk_in_corpus})
        return TrainResult(model.vectors(), vocab, W_out, progress.epoch_losses, progress.epoch_predictions,
                           vocab_seconds, train_seconds, encoded.total_tokens, wps,
                           stats={"examples_per_second": eps}, model=model)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


class RunControl:
    """What happens between two kernel calls, for every trainer: the JSON log, the callback, SIGINT and
    SIGTERM (which only set a flag while training), periodic checkpoints, and stopping with a checkpoint.
    ``save`` writes the trainer's checkpoint (None without --checkpoint)."""

    def __init__(self, opts, save):
        self.opts, self.save = opts, save
        self.signum = None
        self.previous = {}
        self.log = None
        self.last_save = time.monotonic()

    def __enter__(self):
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.previous[sig] = signal.signal(sig, self._handle)
        if self.opts.log_json:
            self.log = open(self.opts.log_json, "a", encoding="utf-8")
        return self

    def _handle(self, signum, frame):
        self.signum = signum

    def __exit__(self, *exc):
        import signal

        for sig, handler in self.previous.items():
            signal.signal(sig, handler)
        if self.log:
            self.log.close()

    def write(self, record):
        if self.log:
            import json

            self.log.write(json.dumps(record) + "\n")
            self.log.flush()

    def diverged(self, message):
        """A W2VError for a NaN/inf loss, saying that the last checkpoint (if any) was kept."""
        if self.save and os.path.exists(self.opts.checkpoint):
            message += f"; the last checkpoint, {self.opts.checkpoint}, was kept"
        return W2VError(message)

    def step(self, record):
        """After a kernel call whose progress is already recorded: log, then stop or checkpoint if due."""
        import signal

        self.write(record)
        stop = bool(self.opts.callback(record)) if self.opts.callback else False
        if stop or self.signum is not None:
            code = 143 if self.signum == signal.SIGTERM else 130
            if self.save:
                self.save()
                raise TrainingInterrupted(f"interrupted; checkpoint saved to {self.opts.checkpoint}: resume with "
                                          f"'w2v train CORPUS --resume {self.opts.checkpoint} -o OUTPUT'", code)
            raise TrainingInterrupted("interrupted (no --checkpoint given, nothing saved)", code)
        if self.save and self.opts.checkpoint_every is not None and \
                time.monotonic() - self.last_save >= self.opts.checkpoint_every:
            self.save()
            self.last_save = time.monotonic()


def run_epochs(encoded, W_in, W_out, hidden, tabs, kcfg, cfg, quiet, progress, opts, save_checkpoint):
    """Train from ``progress`` to the last epoch, updating it in place; returns the training seconds."""
    import numba
    from tqdm import tqdm

    from w2v import kernels

    lanes = min(cfg.n_threads, numba.config.NUMBA_NUM_THREADS)
    if lanes > 1:
        numba.set_num_threads(lanes)
        epoch_fn = kernels.epoch_parallel
    else:
        epoch_fn = kernels.epoch_serial
    raw_per_id = encoded.total_tokens / max(encoded.n_ids, 1)
    total_ids = cfg.epochs * encoded.n_ids
    bar = tqdm(total=encoded.total_tokens * cfg.epochs, unit="w", unit_scale=True, disable=quiet,
               file=sys.stderr, dynamic_ncols=True, smoothing=0.1,
               initial=(progress.epoch * encoded.n_ids + progress.position) * raw_per_id)
    t_train = time.perf_counter()
    words_done = 0.0
    try:
        with RunControl(opts, save_checkpoint) as control:
            while progress.epoch < cfg.epochs:
                epoch = progress.epoch
                for position, block in encoded.blocks(BLOCK_IDS, start=progress.position):
                    starts, ends = plan_chunks(block)
                    losses = np.zeros(len(starts))
                    counts = np.zeros(len(starts), np.int64)
                    epoch_fn(block, starts, ends, position, epoch, W_in, W_out, hidden, tabs, kcfg, losses, counts, lanes)
                    block_loss = float(losses.sum())
                    if not math.isfinite(block_loss) or not np.isfinite(W_in[0]).all():
                        raise control.diverged(
                            f"training diverged (loss became {block_loss}) in epoch {epoch + 1}: the learning "
                            f"rate --alpha {cfg.start_alpha} is too large; try a smaller one (the default is "
                            f"{TrainConfig(model=cfg.model).start_alpha} for {cfg.model})")
                    progress.loss_sum += block_loss
                    progress.n_sum += int(counts.sum())
                    progress.position = position + len(block)
                    words_done += len(block) * raw_per_id
                    done = (epoch * encoded.n_ids + progress.position) / total_ids
                    lr = kcfg.alpha - (kcfg.alpha - kcfg.min_alpha) * done
                    mean_loss = progress.loss_sum / max(progress.n_sum, 1)
                    bar.set_postfix_str(f"epoch {epoch + 1}/{cfg.epochs} lr {lr:.5f} loss {mean_loss:.4f}",
                                        refresh=False)
                    bar.update(len(block) * raw_per_id)
                    record = {"event": "progress", "epoch": epoch + 1,
                              "words": round((epoch * encoded.n_ids + progress.position) * raw_per_id),
                              "words_per_s": words_done / max(time.perf_counter() - t_train, 1e-9),
                              "alpha": lr, "loss": mean_loss}
                    epoch_done = progress.position >= encoded.n_ids
                    if epoch_done:  # the checkpoint of the last block resumes at the next epoch
                        progress.epoch_losses.append(mean_loss)
                        progress.epoch_predictions.append(progress.n_sum)
                        progress.epoch, progress.position, progress.loss_sum, progress.n_sum = epoch + 1, 0, 0.0, 0
                        control.write({"event": "epoch", "epoch": epoch + 1, "loss": progress.epoch_losses[-1],
                                       "predictions": progress.epoch_predictions[-1]})
                    control.step(record)
                    if epoch_done:
                        break
    finally:
        bar.close()
    return time.perf_counter() - t_train
