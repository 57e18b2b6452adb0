"""The trainer: corpus -> vocabulary -> tables -> epochs of kernel calls -> Vectors.

Python drives the epochs in blocks of whole sentences read from the encoded corpus on disk, calls the
kernel on each block's chunks, and updates the progress bar between calls.
"""

import math
import os
import shutil
import sys
import tempfile
import time
from typing import NamedTuple

import numpy as np

from w2v.config import TrainConfig
from w2v.errors import W2VError
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


def _log(quiet, msg):
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


def prepare(corpus, cfg, workdir, read_vocab=None, quiet=True):
    """Scan and encode the corpus; returns (Vocab, EncodedCorpus)."""
    from w2v import corpus as corpus_mod
    from w2v.vocab import build_vocab

    known = Vocab.load(read_vocab) if read_vocab else None
    # --max-vocab bounds the live types while counting too (rare ones are pruned as in word2vec.c)
    limit = corpus_mod.DEFAULT_COUNT_LIMIT
    if cfg.max_vocab is not None:
        limit = min(limit, max(20 * cfg.max_vocab, 1_000_000))
    scanned = corpus_mod.scan_corpus(corpus, workdir, count_limit=limit,
                                     known_words=known.words if known else None)
    if scanned.total_tokens == 0:
        raise W2VError(f"corpus is empty (no tokens): {corpus}")
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
    encoded = corpus_mod.encode(scanned, remap, workdir)
    return vocab, encoded


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
    """Whether the training kernels are already in Numba's on-disk cache (else the first call compiles)."""
    try:
        from w2v import kernels

        path = kernels.epoch_parallel._cache._cache_path
        return any(n.startswith("kernels.epoch_parallel") and n.endswith(".nbi") for n in os.listdir(path))
    except Exception:
        return False


def train(corpus, cfg=None, read_vocab=None, save_vocab=None, quiet=False, tmp_dir=None, cooccur=None):
    """Train skip-gram, CBOW or GloVe on ``corpus`` (a path or ``-``); returns a TrainResult.

    For GloVe, ``cooccur`` names a file written by ``w2v cooccur`` to reuse instead of counting.
    """
    cfg = cfg or TrainConfig()
    if cfg.model == "glove":
        from w2v.glove import train_glove

        return train_glove(corpus, cfg, cooccur, read_vocab, save_vocab, quiet, tmp_dir)
    workdir = tempfile.mkdtemp(prefix="w2v-", dir=tmp_dir)
    try:
        if not quiet and not kernels_cached():
            _log(quiet, "compiling kernels (first run only; later runs load them from Numba's cache)...")
        from w2v import kernels, scan, tables

        scan.warm_up()  # Numba's start-up, once per process, is not part of the vocabulary pass
        t0 = time.perf_counter()
        vocab, encoded = prepare(corpus, cfg, workdir, read_vocab, quiet)
        if save_vocab:
            vocab.save(save_vocab)
        vocab_seconds = time.perf_counter() - t0
        _log(quiet, f"vocabulary: {len(vocab)} words, {encoded.n_words} of {encoded.total_tokens} tokens "
                    f"({vocab_seconds:.1f} s)")
        if cfg.loss == "hs":
            hs = tables.huffman(vocab.counts)
            n_out = len(vocab) - 1
        else:
            hs = tables.Huffman(np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.uint8))
            n_out = len(vocab)
        tabs = kernels.Tables(
            keep=tables.keep_thresholds(vocab.counts, cfg.sample),
            noise=tables.alias_table(tables.noise_distribution(vocab.counts, cfg.noise_power)),
            hs_offsets=hs.offsets, hs_points=hs.points, hs_codes=hs.codes)
        W_in, W_out = init_weights(len(vocab), cfg.dim, cfg.seed, n_out)
        kcfg = kernels.Config(model=kernels.MODELS[cfg.model], loss=kernels.LOSSES[cfg.loss],
                              window=cfg.window, negative=cfg.negative, cbow_mean=cfg.cbow_mean,
                              alpha=float(cfg.start_alpha), min_alpha=float(cfg.end_alpha),
                              epoch_ids=float(encoded.n_ids), total_ids=float(encoded.n_ids * cfg.epochs),
                              max_code=int(np.diff(hs.offsets).max()) if cfg.loss == "hs" else 0,
                              shared=cfg.model == "sg" and cfg.shared_targets,
                              seed=int(cfg.seed) & 0x7FFFFFFFFFFFFFFF)
        epoch_losses, epoch_predictions, train_seconds = run_epochs(encoded, W_in, W_out, tabs, kcfg, cfg, quiet)
        wps = encoded.total_tokens * cfg.epochs / max(train_seconds, 1e-9)
        _log(quiet, f"trained {cfg.model}/{cfg.loss}: {cfg.epochs} epochs in {train_seconds:.1f} s, "
                    f"{wps / 1000:.0f}k words/s, final loss {epoch_losses[-1]:.4f}")
        return TrainResult(Vectors(vocab.words, W_in), vocab, W_out, epoch_losses, epoch_predictions, vocab_seconds,
                           train_seconds, encoded.total_tokens, wps)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run_epochs(encoded, W_in, W_out, tabs, kcfg, cfg, quiet):
    import numba
    from tqdm import tqdm

    from w2v import kernels

    threads = cfg.n_threads
    if threads > 1:
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        epoch_fn = kernels.epoch_parallel
    else:
        epoch_fn = kernels.epoch_serial
    raw_per_id = encoded.total_tokens / max(encoded.n_ids, 1)
    bar = tqdm(total=encoded.total_tokens * cfg.epochs, unit="w", unit_scale=True, disable=quiet,
               file=sys.stderr, dynamic_ncols=True, smoothing=0.1)
    epoch_losses, epoch_predictions = [], []
    t_train = time.perf_counter()
    try:
        for epoch in range(cfg.epochs):
            loss_sum, n_sum = 0.0, 0
            for position, block in encoded.blocks(BLOCK_IDS):
                starts, ends = plan_chunks(block)
                losses = np.zeros(len(starts))
                counts = np.zeros(len(starts), np.int64)
                epoch_fn(block, starts, ends, position, epoch, W_in, W_out, tabs, kcfg, losses, counts)
                block_loss = float(losses.sum())
                if not math.isfinite(block_loss):
                    raise W2VError(
                        f"training diverged (loss became {block_loss}) in epoch {epoch + 1}: the learning "
                        f"rate --alpha {cfg.start_alpha} is too large for this corpus; try a smaller one")
                loss_sum += block_loss
                n_sum += int(counts.sum())
                done = (epoch * encoded.n_ids + position + len(block)) / (cfg.epochs * encoded.n_ids)
                lr = kcfg.alpha - (kcfg.alpha - kcfg.min_alpha) * done
                bar.set_postfix_str(f"epoch {epoch + 1}/{cfg.epochs} lr {lr:.5f} loss {loss_sum / max(n_sum, 1):.4f}",
                                    refresh=False)
                bar.update(len(block) * raw_per_id)
            epoch_losses.append(loss_sum / max(n_sum, 1))
            epoch_predictions.append(n_sum)
    finally:
        bar.close()
    return epoch_losses, epoch_predictions, time.perf_counter() - t_train
