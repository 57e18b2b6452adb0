"""GloVe (Pennington et al. 2014): count co-occurrences (cooccur.py) or load them (``--cooccur``), shuffle
the nonzeros once with the seed, in tiles of words whose rows fit in the caches unless ``--pair-order
shuffled`` (in memory, or in buckets on disk when they exceed ``--memory``), then
run glove_kernels.py's AdaGrad epochs over them. Parameters: word vectors
``W``, context vectors ``C``, biases ``bw``/``bc`` and their AdaGrad sums ``gW``, ``gC``, ``gbw``, ``gbc``."""

import sys
import time

import numpy as np

from w2v.epochs import Epochs, divergence_test
from w2v.lanes import Lanes, stop_flag, trained_prefix
from w2v.messages import log
from w2v.resources import check_memory, memory_estimate
from w2v.errors import CorpusError
from w2v.trainers import Finished, Prepared

READ_IDS = 1 << 21  # ids per block of the encoded corpus while counting


def count_corpus(corpus, cfg, workdir, run, known=None, train=True):
    """Vocabulary and co-occurrences of ``corpus``: (Vocab, raw tokens, Cooccurrences).

    Checks the memory before counting: the ``--memory`` budget, plus GloVe's parameters (four float32
    and four float64 arrays) when ``train``.
    """
    from tqdm import tqdm

    from w2v import cooccur
    from w2v.prepare import prepare

    t0 = time.perf_counter()
    if run.dask:
        return _count_on_cluster(corpus, cfg, run, known, train)
    vocab, encoded = prepare(corpus, cfg, workdir, known)
    log(run.quiet, f"vocabulary: {len(vocab)} words, {encoded.n_words} of {encoded.total_tokens} tokens "
                   f"({time.perf_counter() - t0:.1f} s)")
    params = len(vocab) * (16 * cfg.dim + 32) if train else 0
    check_memory(memory_estimate(weights=params, tables=int(cfg.memory * (1 << 30)), buffers=8 * READ_IDS), run,
                 remedy="lower --memory (counting spills to disk beyond it)" + (" or --dim" if train else ""))
    with tqdm(total=encoded.n_ids, unit="id", unit_scale=True, disable=run.quiet, file=sys.stderr,
              desc="counting") as bar:
        cooc = cooccur.count(encoded, len(vocab), workdir, cfg.window, cfg.symmetric, cfg.distance_weighting,
                             cfg.memory, progress=bar.update, seed=cfg.seed, tile=tile_side(cfg, len(vocab)))
    return vocab, encoded.total_tokens, cooc


def tile_side(cfg, n_words):
    """Words per side of the tiles that order the nonzeros (glove_kernels.tiled_shuffle); 0: one plain shuffle."""
    from w2v import glove_kernels

    return 0 if cfg.pair_order == "shuffled" else glove_kernels.tile_words(n_words, cfg.dim)


def _count_on_cluster(corpus, cfg, run, known, train):
    """count_corpus on a Dask cluster (w2v/cluster/): the vocabulary and the co-occurrences; the matrix comes
    back to this machine, in memory, for training."""
    from w2v.cluster.connection import close, connect, workers_of
    from w2v.cluster.counting import cooccurrences, vocabulary

    client = connect(run.dask)
    try:
        t0 = time.perf_counter()
        report = vocabulary(client, corpus, cfg.min_count, cfg.max_vocab, limit=cfg.max_types)
        vocab = known if known is not None else report.vocab
        if len(vocab) == 0:
            raise CorpusError(f"vocabulary is empty: no word occurs at least --min-count {cfg.min_count} times")
        log(run.quiet, f"vocabulary: {len(vocab)} words of {report.total_tokens} tokens, counted on "
                       f"{len(workers_of(client))} workers ({time.perf_counter() - t0:.1f} s)")
        cooc = cooccurrences(client, corpus, cfg, vocab)
    finally:
        close(client)
    return vocab, report.total_tokens, cooc


def peak_rss_mb():
    """Peak resident memory of this process so far (Linux), or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def vectors_from(cfg, rows, params):
    """The vectors a run writes, from its parameters: W, or W + C with --glove-vectors w+c (GloVe's default)."""
    from w2v.vectors import Vectors

    W, C = params["W"], params["C"]
    return Vectors(rows.words, W + C if cfg.glove_vectors == "w+c" else W.copy())


def check_options(cfg, bad):
    """GloVe's own options (config.TrainConfig calls it; ``bad(message)`` refuses)."""
    if not cfg.x_max > 0:
        bad(f"--x-max must be positive (got {cfg.x_max})")
    if not cfg.eta > 0:
        bad(f"--eta must be positive (got {cfg.eta})")
    if cfg.weight_power < 0:
        bad(f"--weight-power must not be negative (got {cfg.weight_power})")
    if cfg.pair_order not in ("tiled", "shuffled"):
        bad(f"--pair-order must be tiled or shuffled, not {cfg.pair_order!r}")
    if cfg.glove_vectors not in ("w", "w+c"):
        bad(f"--glove-vectors must be w or w+c, not {cfg.glove_vectors!r}")
    if not cfg.memory > 0:
        bad(f"--memory must be positive (got {cfg.memory})")


class Trainer:
    memory_remedy = None  # checked before counting (count_corpus), so memory() has nothing more to say

    def __init__(self, cfg, run):
        self.cfg, self.run = cfg, run

    def prepare(self, corpus, workdir, resumed_vocab, threads=None):
        """Count (or load) the co-occurrences and shuffle them with the seed; a resumed run does the same
        and so continues on the same order."""
        from w2v import cooccur, glove_kernels
        from w2v.prepare import known_vocab

        if self.run.cooccur:
            cooc, vocab = cooccur.load(self.run.cooccur)
            total_tokens = int(vocab.counts.sum())
        else:
            vocab, total_tokens, cooc = count_corpus(corpus, self.cfg, workdir, self.run,
                                                     known_vocab(self.run.read_vocab, resumed_vocab))
        self.count_rss_mb = peak_rss_mb()
        self.nnz = cooc.nonzeros
        if self.nnz == 0:
            raise CorpusError("no co-occurrences: every sentence has a single word")
        self.matrix = cooc.matrix  # buckets on disk, or None: the arrays below
        self.spills = getattr(cooc, "spills", 0)
        where = ""
        if self.matrix is None:
            self.rows, self.cols, self.vals = cooc.rows, cooc.cols, cooc.vals.astype(np.float32)
            del cooc
            glove_kernels.tiled_shuffle(self.rows, self.cols, self.vals, self.cfg.seed, tile_side(self.cfg, len(vocab)))
        else:
            where = f" (on disk in {len(self.matrix.paths)} buckets of up to {self.matrix.largest() / (1 << 20):.0f} MB)"
        self.vocab, self.total_tokens = vocab, total_tokens
        return Prepared(vocab, vocab, {"total_tokens": total_tokens, "nonzeros": self.nnz},
                        f"co-occurrences: {self.nnz} nonzeros, counted and shuffled{where}")

    def memory(self):
        return None

    def init(self):
        from w2v import glove_kernels

        return dict(zip(glove_kernels.PARAMS, glove_kernels.init_params(len(self.vocab), self.cfg.dim, self.cfg.seed)))

    def epochs(self, params):
        """Epochs over the shuffled nonzeros; a position is a count of nonzeros, a multiple of glove_kernels.CHUNK
        at every step's end. Each step trains glove_kernels.SLICE chunks, hogwild over the threads (prange)."""
        from w2v import glove_kernels

        import numba

        cfg = self.cfg
        arrays = tuple(params[k] for k in glove_kernels.PARAMS)
        threads = min(cfg.n_threads, numba.config.NUMBA_NUM_THREADS)
        epoch_fn = glove_kernels.epoch

        def in_lane(*args):  # (Numba's thread count belongs to the calling thread: set it in the lane's)
            numba.set_num_threads(threads)
            return epoch_fn(*args)

        numba.set_num_threads(threads)  # (and here, for the gaps a stop leaves)
        hyper = (cfg.x_max, cfg.weight_power, cfg.eta, 100.0)  # (100: the gradient clip, as GloVe's C code)

        def chunks(n):
            bounds = np.arange(0, n + glove_kernels.CHUNK, glove_kernels.CHUNK)
            bounds[-1] = n
            return bounds[:-1].astype(np.int64), bounds[1:].astype(np.int64)

        def train(rows, cols, vals, offset, position, stop, lanes):
            """Train on one block of the shuffled nonzeros (global positions offset...), from ``position``;
            a step that ``stop`` ended is the last (at a chunk's end: the resume point)."""
            starts, ends = chunks(len(rows))
            for s in range((position - offset) // glove_kernels.CHUNK, len(starts), glove_kernels.SLICE):
                st, en = starts[s:s + glove_kernels.SLICE], ends[s:s + glove_kernels.SLICE]
                costs, done = np.zeros(len(st)), np.zeros(len(st), np.uint8)
                lanes.call(in_lane, rows, cols, vals, st, en, arrays, *hyper, costs, done, stop)
                trained, gaps = trained_prefix(done)
                if len(gaps):
                    gap_costs = np.zeros(len(gaps))
                    epoch_fn(rows, cols, vals, st[gaps], en[gaps], arrays, *hyper, gap_costs, done[gaps], stop_flag())
                    costs[gaps] = gap_costs
                end = int(en[trained - 1]) if trained else int(st[0])
                yield offset + end, float(costs[:trained].sum()), end - int(st[0])
                if trained < len(st):
                    return

        def steps(epoch, position, stop):
            with Lanes(1) as lanes:  # (one thread that calls the kernel; its own threads are Numba's)
                if self.matrix is None:
                    yield from train(self.rows, self.cols, self.vals, 0, position, stop, lanes)
                    return
                # buckets in turn, the next one read while this one trains; a position inside a bucket is a
                # multiple of glove_kernels.CHUNK from the bucket's start (every step ends on a chunk or a bucket end)
                offsets = np.concatenate([[0], np.cumsum(self.matrix.sizes)])
                first = int(np.searchsorted(offsets, position, side="right") - 1)
                for k, (rows, cols, vals) in self.matrix.buckets(first):
                    yield from train(rows, cols, vals, int(offsets[k]), max(position, int(offsets[k])), stop, lanes)
                    if stop[0]:
                        return

        def warm_up():  # no chunks: compiles (or loads) the kernel, trains nothing
            none = np.zeros(0, np.int64)
            empty = np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float32)
            epoch_fn(*empty, none, none, arrays, *hyper, np.zeros(0), np.zeros(0, np.uint8), stop_flag())

        default_eta = type(cfg).__dataclass_fields__["eta"].default
        return Epochs(length=self.nnz, steps=steps, rate=lambda epoch, position: cfg.eta,
                      diverged=divergence_test(params["W"][0], "--eta", cfg.eta, default_eta), kernels=(epoch_fn,), warm_up=warm_up, unit="upd",
                      names=("updates", "updates_per_s", "eta"), labels=("eta", "cost"))

    def finish(self, params, progress, seconds, epochs_run):
        cfg, costs = self.cfg, progress.epoch_losses
        ups = self.nnz * epochs_run / max(seconds, 1e-9)
        return Finished(vectors_from(cfg, self.vocab, params),
                        f"trained glove: {cfg.epochs} epochs in {seconds:.1f} s, {ups / 1e6:.2f}M updates/s, "
                        f"final cost {costs[-1]:.5f}; cost per epoch: {' '.join(f'{c:.5f}' for c in costs)}",
                        {"nonzeros": self.nnz, "updates_per_second": ups, "count_peak_rss_mb": self.count_rss_mb,
                         "spills": self.spills, "storage": "memory" if self.matrix is None else
                         f"{len(self.matrix.paths)} buckets on disk",
                         "words_per_second": self.total_tokens * cfg.epochs / max(seconds, 1e-9)})
