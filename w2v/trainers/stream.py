"""What skip-gram/CBOW and the NPLM share: both run the lane loop (``kernels.lane_kernel``) over blocks of the encoded
corpus, with output-layer tables (noise sampler, NCE shift, Huffman tree) and one scalar configuration."""

import numpy as np

from w2v.choices import sentence_kernel
from w2v.epochs import Epochs, divergence_test
from w2v.errors import ResumeError
from w2v.lanes import Lanes, stop_flag, trained_prefix
from w2v.resources import memory_estimate as resources_memory_estimate

CHUNK_IDS = 10_000  # target chunk length (ids): many more chunks than threads
CHUNK_WORK = 100_000_000  # multiply-adds a chunk may take (a skip-gram chunk's, about: 0.05-0.1 s), so
# that a stop, which waits for the chunks running, comes within a second whatever the model's cost
BLOCK_IDS = 1 << 21  # ids per kernel call (one progress-bar step)


def chunk_ids(work_per_id, least=1):
    """Chunk length (ids) for a model doing ``work_per_id`` multiply-adds per id: CHUNK_IDS, or fewer ids
    (at least ``least``) when CHUNK_IDS of them would take more than CHUNK_WORK."""
    return int(min(CHUNK_IDS, max(least, CHUNK_WORK // max(int(work_per_id), 1))))


def plan_chunks(block, chunk_ids=CHUNK_IDS):
    """Split a block of whole sentences into chunks of about ``chunk_ids`` ids, cut at sentence ends."""
    ends = np.flatnonzero(block == -1) + 1
    cuts = ends[np.minimum(np.searchsorted(ends, np.arange(chunk_ids, len(block), chunk_ids)), len(ends) - 1)]
    cuts = np.unique(np.append(cuts, len(block)))
    starts = np.concatenate([[0], cuts[:-1]]).astype(np.int64)
    return starts, cuts.astype(np.int64)


def output_tables(counts, cfg, sample):
    """Kernel tables over ``counts``: subsampling thresholds for ``sample`` (0: none) and the output layer's
    own tables (its entry's ``Layer.tables``)."""
    from w2v import kernels, tables
    from w2v.output import layer

    return kernels.Tables(keep=tables.keep_thresholds(counts, sample), out=layer(cfg.loss).tables(counts, cfg))


def kernel_config(cfg, encoded, tabs, n_out, counts=None):
    """The kernels' scalars (kernels.Config) for this run: the output layer's width over ``n_out`` rows, the
    learning-rate schedule over all epochs, the NPLM's shape, and with threads the output rows each lane
    trains a copy of (``Layer.hot_rows`` over the words' ``counts``; none without them; output/kernels.py
    ``out_row``)."""
    from w2v import kernels
    from w2v.output import layer

    return kernels.Config(window=cfg.window,
                          negative=cfg.negative, cbow_mean=cfg.cbow_mean, alpha=float(cfg.start_alpha),
                          min_alpha=float(cfg.end_alpha), epoch_ids=float(encoded.n_ids),
                          total_ids=float(encoded.n_ids * cfg.epochs),
                          width=layer(cfg.loss).width(tabs.out, cfg, n_out),
                          seed=int(cfg.seed) & 0x7FFFFFFFFFFFFFFF,
                          context=cfg.context, direct=cfg.direct, batch=cfg.batch or 1,
                          sync=cfg.sync if cfg.n_threads > 1 else 0,  # (the NPLM's hidden layer alone reads it)
                          hot=layer(cfg.loss).hot_rows(tabs.out, cfg, n_out, counts, CHUNK_IDS)
                          if cfg.n_threads > 1 and counts is not None else 0,
                          hot_share=1.0 / max(1, cfg.n_threads))


def train_chunks(kernel, weights, tabs, kcfg, block, starts, ends, position, epoch, lanes=None, stop=None):
    """Train the chunks ``starts[c]:ends[c]`` of ``block`` (at ``position`` of epoch ``epoch``) with the lane
    ``kernel``, in ``lanes`` (a Lanes; None: one lane, here); returns (summed loss, predictions, chunks
    trained). Set during the call, ``stop`` (lanes.stop_flag) ends the lanes early: the chunks trained are
    then made a prefix (those a lane had not reached below another lane's last are trained here, a few at
    most), so that ``ends[trained - 1]`` is a point a resume continues from. With no chunks it trains
    nothing: it compiles (or loads) the kernel for these arrays' types."""
    losses = np.zeros(len(starts))
    counts = np.full(len(starts), -1, np.int64)  # -1: not trained (the kernel writes the others)
    args = (block, starts, ends, position, epoch, weights, tabs, kcfg, losses, counts,
            stop_flag() if stop is None else stop)
    from w2v.kernels import lane_state

    states = [lane_state(kernel, weights, kcfg) for _ in range(1 if lanes is None else lanes.lanes)]
    if lanes is None:
        kernel(0, 1, *args, *states[0])
    else:
        lanes.run(kernel, *args, per_lane=states)
    trained, gaps = trained_prefix(counts >= 0)
    if len(gaps):
        gap_losses, gap_counts = np.zeros(len(gaps)), np.zeros(len(gaps), np.int64)
        kernel(0, 1, block, starts[gaps], ends[gaps], position, epoch, weights, tabs, kcfg, gap_losses, gap_counts,
               stop_flag(), *states[0])
        losses[gaps], counts[gaps] = gap_losses, gap_counts
    return float(losses[:trained].sum()), int(counts[:trained].sum()), trained


def warm_up(kernel, weights, tabs, kcfg):
    """Compile (first run) or load ``kernel`` for these arrays' types, training nothing."""
    kernel(*warm_up_call(kernel, weights, tabs, kcfg))


def warm_up_call(kernel, weights, tabs, kcfg):
    """The arguments of a kernel call that trains nothing, of the types ``train_chunks`` passes."""
    from w2v.kernels import lane_state

    none = np.zeros(0, np.int64)
    return (0, 1, np.zeros(0, np.int32), none, none, 0, 0, weights, tabs, kcfg, np.zeros(0), np.full(0, -1, np.int64),
            stop_flag(), *lane_state(kernel, weights, kcfg))


def ahead_kernel(cfg, sample, make_weights):
    """What ahead.KernelsAhead compiles for a trainer: (this run's lane kernel, a function of no arguments
    that makes warm-up arguments of this run's types on a made-up vocabulary of eight words).
    ``make_weights(words, counts, n_out, tabs)`` makes the trainer's kernel weights for them."""
    import types

    from w2v import kernels
    from w2v.output import layer

    def arguments():
        words, counts = [f"w{i}" for i in range(8)], np.arange(16, 8, -1, dtype=np.int64)
        n_out = layer(cfg.loss).n_out(len(words))
        tabs = output_tables(counts, cfg, sample)
        weights = make_weights(words, counts, n_out, tabs)
        return weights, tabs, kernel_config(cfg, types.SimpleNamespace(n_ids=1), tabs, n_out)

    return kernels.lane_kernel(sentence_kernel(cfg)), arguments


def stream_epochs(encoded, weights, tabs, kcfg, cfg, chunk_ids=CHUNK_IDS):
    """The epochs over the encoded corpus: one step per block of whole sentences, its chunks (of about
    ``chunk_ids`` ids) shared out to ``--threads`` lanes (kernels.lane_kernel, compiled for the model's
    sentence kernel). A signal ends a step at a chunk's end; a resume from there rebuilds the block's
    chunks as the uninterrupted run cut them and continues bit for bit (with one thread)."""
    from w2v import kernels
    from w2v.output import layer

    kernel = kernels.lane_kernel(sentence_kernel(cfg))
    blas = layer(cfg.loss).blas

    def steps(epoch, start, stop):
        with Lanes(cfg.n_threads, one_blas_thread=blas) as lanes:
            for position, block in encoded.blocks(BLOCK_IDS, start=encoded.block_start(start, BLOCK_IDS)):
                starts, ends = plan_chunks(block, chunk_ids)
                if position < start:  # resumed inside this block: from the chunk that starts there
                    skip = int(np.searchsorted(starts, start - position))
                    if skip == len(starts) or starts[skip] != start - position:
                        raise ResumeError(f"the checkpoint's position {start} is not where a chunk starts")
                    starts, ends = starts[skip:], ends[skip:]
                loss, n, trained = train_chunks(kernel, weights, tabs, kcfg, block, starts, ends, position, epoch,
                                                lanes, stop)
                yield position + int(ends[trained - 1] if trained else starts[0]), loss, n
                if trained < len(starts):  # stopped
                    return

    def rate(epoch, position):
        return kernels.decay(kcfg.alpha, kcfg.min_alpha, (epoch * encoded.n_ids + position) / kcfg.total_ids)

    return Epochs(length=encoded.n_ids, steps=steps, rate=rate, kernels=(kernel,),
                  diverged=divergence_test(weights.W_in[0], "--alpha", cfg.start_alpha, cfg.default_alpha),
                  warm_up=lambda: warm_up(kernel, weights, tabs, kcfg), per_position=encoded.total_tokens / max(encoded.n_ids, 1))


def memory_estimate(n_words, cfg, n_out, n_in=None, row_copy=True):
    """Bytes of the weights (``n_in`` input rows: by default one per word), tables and buffers of a
    _train_lane run (the NPLM adds its own); with --subwords, each word's row list too, and with ``row_copy``
    the copy of the rows the words use that an in-process run trains (SubwordWeights.first_use)."""
    from w2v.output import layer

    tables = n_words * (8 + 16 + 8)  # keep thresholds, alias table, Huffman offsets
    # the words as Python strings, with their index: 138 B a word measured (933k words), and a dict may be
    # up to twice the size it needs
    tables += n_words * 170
    tables += layer(cfg.loss).memory(n_words, cfg)
    n_in = n_in or n_words
    if cfg.subwords[1]:
        tables += n_words * (8 + 4 * 40)  # rows per word: its own and about 4 n-grams per character
        n_in += min(n_in // 2, n_words * 40) if row_copy else 0  # (the copy: at most half of the rows)
    return resources_memory_estimate(weights=4 * cfg.dim * (n_in + n_out), tables=tables,
                    buffers=2 * 4 * BLOCK_IDS + cfg.n_threads * 8 * cfg.dim * 64)
