"""GloVe (Pennington et al. 2014): weighted least squares on log co-occurrence counts, by AdaGrad.

    J = sum over nonzero X[i, j] of  f(X[i, j]) * (w_i . c_j + b_i + b~_j - log X[i, j])^2 / 2
    f(x) = min(1, (x / x_max)^power)

Word vectors ``W``, context vectors ``C`` and the two biases are separate arrays, each with its AdaGrad
sum of squared gradients (initialised to 1, as GloVe's C code does). One epoch visits every nonzero once
in a seeded shuffled order, hogwild over chunks of that order; the serial and parallel epochs are one
body compiled twice, so ``--threads 1 --seed S`` is deterministic.
"""

import math
import sys
import time

import numba
import numpy as np
from numba import prange

from w2v.errors import W2VError
from w2v.kernels import FASTMATH, _cast_like, _named, rng_next

CHUNK = 65536  # nonzeros per hogwild chunk
READ_IDS = 1 << 21  # ids per block of the encoded corpus while counting
SLICE = 64  # chunks per kernel call (one progress-bar step)


@numba.njit(fastmath=FASTMATH, inline="always")
def adagrad_step(W, C, bw, bc, gW, gC, gbw, gbc, i, j, x, x_max, power, eta, clip):
    """One AdaGrad step on the pair (i, j) with count ``x``; returns its cost f(x) diff^2 / 2."""
    wi, cj, gwi, gcj = W[i], C[j], gW[i], gC[j]
    s = _cast_like(0.0, wi)
    for k in range(wi.shape[0]):
        s += wi[k] * cj[k]
    diff = np.float64(s) + bw[i] + bc[j] - math.log(x)
    fx = 1.0 if x >= x_max else (x / x_max) ** power
    fdiff = fx * diff
    cost = 0.5 * fdiff * diff
    fdiff *= eta
    fd = _cast_like(fdiff, wi)
    lim = _cast_like(clip, wi)
    for k in range(wi.shape[0]):
        t1 = min(max(fd * cj[k], -lim), lim)  # gradient of w_i (times eta), clipped as in GloVe
        t2 = min(max(fd * wi[k], -lim), lim)
        wi[k] -= t1 / math.sqrt(gwi[k])
        cj[k] -= t2 / math.sqrt(gcj[k])
        gwi[k] += t1 * t1
        gcj[k] += t2 * t2
    bw[i] -= fdiff / math.sqrt(gbw[i])
    bc[j] -= fdiff / math.sqrt(gbc[j])
    gbw[i] += fdiff * fdiff
    gbc[j] += fdiff * fdiff
    return cost


def _epoch(rows, cols, vals, starts, ends, params, x_max, power, eta, clip, costs):
    W, C, bw, bc, gW, gC, gbw, gbc = params
    for c in prange(starts.shape[0]):
        total = 0.0
        for t in range(starts[c], ends[c]):
            total += adagrad_step(W, C, bw, bc, gW, gC, gbw, gbc, rows[t], cols[t], vals[t], x_max, power, eta,
                                  clip)
        costs[c] = total


epoch_serial = numba.njit(cache=True, fastmath=FASTMATH)(_named(_epoch, "glove_epoch_serial"))
epoch_parallel = numba.njit(cache=True, fastmath=FASTMATH, parallel=True)(_named(_epoch, "glove_epoch_parallel"))


@numba.njit(cache=True)
def shuffle(rows, cols, vals, seed):
    """Seeded Fisher-Yates shuffle of the three arrays together, in place (no extra memory)."""
    state = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(1)
    for i in range(rows.shape[0] - 1, 0, -1):
        state, r = rng_next(state)
        j = np.int64(r % np.uint64(i + 1))
        rows[i], rows[j] = rows[j], rows[i]
        cols[i], cols[j] = cols[j], cols[i]
        vals[i], vals[j] = vals[j], vals[i]


def init_params(n_words, dim, seed):
    """GloVe's initialisation: vectors and biases uniform in [-0.5, 0.5) / dim, AdaGrad sums 1."""
    rng = np.random.Generator(np.random.PCG64(seed))

    def uniform(*shape):
        return ((rng.random(shape) - 0.5) / dim).astype(np.float32)

    W, C = uniform(n_words, dim), uniform(n_words, dim)
    bw, bc = uniform(n_words).astype(np.float64), uniform(n_words).astype(np.float64)
    return (W, C, bw, bc, np.ones_like(W), np.ones_like(C), np.ones(n_words), np.ones(n_words))


PARAMS = ("W", "C", "bw", "bc", "gW", "gC", "gbw", "gbc")


def count_corpus(corpus, cfg, workdir, quiet, opts, known=None, train=True):
    """Vocabulary and co-occurrences of ``corpus``: (Vocab, raw tokens, Cooccurrences).

    Checks the memory before counting: the ``--memory`` budget, plus GloVe's parameters (four float32
    and four float64 arrays) when ``train``.
    """
    from tqdm import tqdm

    from w2v import cooccur
    from w2v.train import _log, check_memory, prepare

    t0 = time.perf_counter()
    vocab, encoded = prepare(corpus, cfg, workdir, known, quiet)
    _log(quiet, f"vocabulary: {len(vocab)} words, {encoded.n_words} of {encoded.total_tokens} tokens "
                f"({time.perf_counter() - t0:.1f} s)")
    params = len(vocab) * (16 * cfg.dim + 32) if train else 0
    counting = int(cfg.memory * (1 << 30))
    buffers, runtime = 8 * READ_IDS, 200 << 20
    check_memory({"weights": params, "tables": counting, "buffers": buffers, "runtime": runtime,
                  "total": params + counting + buffers + runtime},
                 opts, quiet, remedy="lower --memory (counting spills to disk beyond it)"
                 + (" or --dim" if train else ""))
    with tqdm(total=encoded.n_ids, unit="id", unit_scale=True, disable=quiet, file=sys.stderr,
              desc="counting") as bar:
        cooc = cooccur.count(encoded, len(vocab), workdir, cfg.window, cfg.symmetric, cfg.distance_weighting,
                             cfg.memory, progress=bar.update)
    return vocab, encoded.total_tokens, cooc


def train_glove(corpus, cfg, cooccur_path=None, read_vocab=None, save_vocab=None, quiet=False, tmp_dir=None,
                opts=None, resumed=None):
    """Count (or load) co-occurrences, then fit GloVe; returns a TrainResult.

    ``resumed`` is a loaded checkpoint: the co-occurrences are counted again (or loaded) and shuffled
    with the same seed, so training continues on the same order where it stopped.
    """
    import shutil
    import tempfile

    from w2v import checkpoint, cooccur
    from w2v.train import Options, TrainResult, _known_vocab, _log
    from w2v.vectors import Vectors

    opts = opts or Options()
    workdir = tempfile.mkdtemp(prefix="w2v-glove-", dir=tmp_dir)
    try:
        if cooccur_path:
            t0 = time.perf_counter()
            cooc, vocab = cooccur.load(cooccur_path)
            total_tokens = int(vocab.counts.sum())
        else:
            from w2v import scan

            scan.warm_up()  # Numba's start-up is not part of counting
            t0 = time.perf_counter()
            vocab, total_tokens, cooc = count_corpus(corpus, cfg, workdir, quiet, opts,
                                                     _known_vocab(read_vocab, resumed))
        count_rss_mb = _peak_rss_mb()
        if save_vocab:
            vocab.save(save_vocab)
        nnz = len(cooc.vals)
        if nnz == 0:
            raise W2VError("no co-occurrences: every sentence has a single word")
        rows, cols, vals = cooc.rows, cooc.cols, cooc.vals.astype(np.float32)
        cooc_info = cooc._replace(rows=None, cols=None, vals=None)
        del cooc
        shuffle(rows, cols, vals, cfg.seed)
        count_seconds = time.perf_counter() - t0
        _log(quiet, f"co-occurrences: {nnz} nonzeros, counted and shuffled in {count_seconds:.1f} s")
        corpus_info = {"total_tokens": total_tokens, "nonzeros": nnz}
        if resumed:
            if resumed[4] != corpus_info or resumed[1].words != vocab.words:
                raise W2VError(f"cannot resume from {opts.resume}: the co-occurrences differ from the ones it was "
                               f"trained on ({resumed[4]} then, {corpus_info} now)")
            params = tuple(resumed[2][k] for k in PARAMS)
            progress = resumed[3]
        else:
            params = init_params(len(vocab), cfg.dim, cfg.seed)
            progress = checkpoint.Progress()

        def save_checkpoint():
            checkpoint.save(opts.checkpoint, cfg, vocab, dict(zip(PARAMS, params)), progress, corpus_info)

        start_epoch = progress.epoch
        train_seconds = _run_epochs(rows, cols, vals, params, cfg, quiet, progress, opts,
                                    save_checkpoint if opts.checkpoint else None)
        costs = progress.epoch_losses
        W, C = params[0], params[1]
        vectors = W + C if cfg.export == "w+c" else W.copy()
        ups = nnz * (cfg.epochs - start_epoch) / max(train_seconds, 1e-9)  # epochs trained in this run
        _log(quiet, f"trained glove: {cfg.epochs} epochs in {train_seconds:.1f} s, {ups / 1e6:.2f}M updates/s, "
                    f"final cost {costs[-1]:.5f}; cost per epoch: {' '.join(f'{c:.5f}' for c in costs)}")
        return TrainResult(Vectors(vocab.words, vectors), vocab, C, costs, [nnz] * cfg.epochs, count_seconds,
                           train_seconds, total_tokens, total_tokens * cfg.epochs / max(train_seconds, 1e-9),
                           {"nonzeros": nnz, "updates_per_second": ups, "count_peak_rss_mb": count_rss_mb,
                            "spills": getattr(cooc_info, "spills", 0)})
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _peak_rss_mb():
    """Peak resident memory of this process so far (Linux), or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _run_epochs(rows, cols, vals, params, cfg, quiet, progress, opts, save_checkpoint):
    """Epochs from ``progress`` (epoch, and ``position`` = the next chunk) to the end; returns seconds."""
    from tqdm import tqdm

    from w2v.train import RunControl

    threads = cfg.n_threads
    if threads > 1:
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        epoch_fn = epoch_parallel
    else:
        epoch_fn = epoch_serial
    nnz = len(vals)
    bounds = np.arange(0, nnz + CHUNK, CHUNK)
    bounds[-1] = nnz
    starts, ends = bounds[:-1].astype(np.int64), bounds[1:].astype(np.int64)
    t0 = time.perf_counter()
    done_before = progress.epoch * nnz + (int(starts[progress.position]) if progress.position < len(starts) else nnz)
    with tqdm(total=nnz * cfg.epochs, unit="upd", unit_scale=True, disable=quiet, file=sys.stderr,
              initial=done_before) as bar, RunControl(opts, save_checkpoint) as control:
        while progress.epoch < cfg.epochs:
            epoch = progress.epoch
            for s in range(progress.position, len(starts), SLICE):
                st, en = starts[s:s + SLICE], ends[s:s + SLICE]
                chunk_costs = np.zeros(len(st))
                epoch_fn(rows, cols, vals, st, en, params, cfg.x_max, cfg.weight_power, cfg.eta, 100.0, chunk_costs)
                progress.loss_sum += float(chunk_costs.sum())
                if not math.isfinite(progress.loss_sum):
                    raise control.diverged(f"GloVe diverged (cost became {progress.loss_sum}) in epoch {epoch + 1}: "
                                           f"lower --eta (now {cfg.eta}; the default is 0.05)")
                progress.position = s + len(st)
                cost = progress.loss_sum / max(int(en[-1]), 1)
                bar.set_postfix_str(f"epoch {epoch + 1}/{cfg.epochs} cost {cost:.5f}", refresh=False)
                bar.update(int(en[-1] - st[0]))
                record = {"event": "progress", "epoch": epoch + 1, "updates": epoch * nnz + int(en[-1]),
                          "updates_per_s": (bar.n - done_before) / max(time.perf_counter() - t0, 1e-9),
                          "eta": cfg.eta, "loss": cost}
                epoch_done = progress.position >= len(starts)
                if epoch_done:
                    progress.epoch_losses.append(progress.loss_sum / nnz)
                    progress.epoch_predictions.append(nnz)
                    progress.epoch, progress.position, progress.loss_sum = epoch + 1, 0, 0.0
                    control.write({"event": "epoch", "epoch": epoch + 1, "loss": progress.epoch_losses[-1]})
                control.step(record)
    return time.perf_counter() - t0
