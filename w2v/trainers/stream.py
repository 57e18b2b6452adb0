"""What skip-gram/CBOW and the NPLM share: both run ``kernels._train_lane`` over blocks of the encoded
corpus, with output-layer tables (noise sampler, NCE shift, Huffman tree) and one scalar configuration."""

import numpy as np

from w2v.choices import LOSSES, MODELS
from w2v.control import Epochs, Lanes, finite
from w2v.control import memory_estimate as control_memory_estimate

CHUNK_IDS = 10_000  # target chunk length (ids): many more chunks than threads
BLOCK_IDS = 1 << 21  # ids per kernel call (one progress-bar step)


def plan_chunks(block, chunk_ids=CHUNK_IDS):
    """Split a block of whole sentences into chunks of about ``chunk_ids`` ids, cut at sentence ends."""
    ends = np.flatnonzero(block == -1) + 1
    cuts = ends[np.minimum(np.searchsorted(ends, np.arange(chunk_ids, len(block), chunk_ids)), len(ends) - 1)]
    cuts = np.unique(np.append(cuts, len(block)))
    starts = np.concatenate([[0], cuts[:-1]]).astype(np.int64)
    return starts, cuts.astype(np.int64)


def output_tables(counts, cfg):
    """Kernel tables for the output layer over ``counts``: (Tables, Huffman); no subsampling for the NPLM."""
    from w2v import kernels, tables

    if cfg.loss == "hs":  # (the NPLM's <unk> and </s>, and words added by --update-vocab, are out of order)
        hs = tables.huffman_unsorted(counts)
    else:
        hs = tables.Huffman(np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.uint8))
    q = tables.noise_distribution(counts, cfg.noise_power)
    log_kq = np.log(cfg.negative * np.maximum(q, 1e-300)) if cfg.loss == "nce" else None  # (a count may be 0)
    tabs = kernels.Tables(keep=tables.keep_thresholds(counts, 0.0 if cfg.model == "nplm" else cfg.sample),
                          noise=tables.alias_table(q), log_kq=log_kq, hs_offsets=hs.offsets, hs_points=hs.points,
                          hs_codes=hs.codes)
    return tabs, hs


def kernel_config(cfg, encoded, hs):
    """The kernels' scalars (kernels.Config) for this run: choices' integer codes, the learning-rate
    schedule over all epochs, and the NPLM's shape."""
    from w2v import kernels

    return kernels.Config(model=MODELS[cfg.model].code, loss=LOSSES[cfg.loss].code, window=cfg.window,
                          negative=cfg.negative, cbow_mean=cfg.cbow_mean, alpha=float(cfg.start_alpha),
                          min_alpha=float(cfg.end_alpha), epoch_ids=float(encoded.n_ids),
                          total_ids=float(encoded.n_ids * cfg.epochs),
                          max_code=int(np.diff(hs.offsets).max()) if cfg.loss == "hs" else 0,
                          shared=cfg.model == "sg" and cfg.shared_targets, seed=int(cfg.seed) & 0x7FFFFFFFFFFFFFFF,
                          context=cfg.context, direct=cfg.direct, batch=cfg.batch,
                          sync=cfg.sync if cfg.model == "nplm" and cfg.n_threads > 1 else 0)


def stream_epochs(encoded, weights, tabs, kcfg, cfg):
    """The epochs over the encoded corpus: one step per block of whole sentences, its chunks shared out
    to ``--threads`` lanes (kernels.lane_kernel, compiled for this architecture)."""
    from w2v import kernels

    kernel = kernels.lane_kernel(kcfg.model, kcfg.shared)

    def steps(epoch, start):
        with Lanes(cfg.n_threads) as lanes:
            for position, block in encoded.blocks(BLOCK_IDS, start=start):
                starts, ends = plan_chunks(block)
                losses = np.zeros(len(starts))
                counts = np.zeros(len(starts), np.int64)
                lanes.run(kernel, block, starts, ends, position, epoch, weights, tabs, kcfg, losses, counts)
                yield position + len(block), float(losses.sum()), int(counts.sum())

    def rate(epoch, position):
        return kcfg.alpha - (kcfg.alpha - kcfg.min_alpha) * (epoch * encoded.n_ids + position) / kcfg.total_ids

    def diverged(loss, epoch):
        if finite(loss, weights.W_in[0]):
            return None
        from w2v.config import TrainConfig

        return (f"training diverged (loss became {loss}) in epoch {epoch + 1}: the learning rate --alpha "
                f"{cfg.start_alpha} is too large; try a smaller one (the default is "
                f"{TrainConfig(model=cfg.model).start_alpha} for {cfg.model})")

    def warm_up():  # no chunks: compiles (or loads) the kernel for these arrays' types, trains nothing
        none = np.zeros(0, np.int64)
        kernel(0, 1, np.zeros(0, np.int32), none, none, 0, 0, weights, tabs, kcfg, np.zeros(0), none)

    return Epochs(length=encoded.n_ids, steps=steps, rate=rate, diverged=diverged, kernels=(kernel,),
                  warm_up=warm_up, per_position=encoded.total_tokens / max(encoded.n_ids, 1))


def memory_estimate(n_words, cfg, n_out):
    """Bytes of the weights, tables and buffers of a _train_lane run (the NPLM adds its own)."""
    tables = n_words * (8 + 16 + 8)  # keep thresholds, alias table, Huffman offsets
    # the words as Python strings, with their index: 138 B a word measured (933k words), and a dict may be
    # up to twice the size it needs
    tables += n_words * 170
    if cfg.loss == "hs":
        tables += 5 * 40 * n_words  # paths: int32 points + uint8 codes, depth about log2(V)
    return control_memory_estimate(weights=4 * cfg.dim * (n_words + n_out), tables=tables,
                    buffers=2 * 4 * BLOCK_IDS + cfg.n_threads * 8 * cfg.dim * 64)
