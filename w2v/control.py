"""What every trainer shares around its kernels: messages, the memory check, and the one epoch loop with
its progress bar, JSON log, callback, signals and checkpoints (``RunControl``).

A trainer hands ``run_epochs`` an ``Epochs``: where an epoch's stream ends, and a generator of steps
(kernel calls) from a position. The loop keeps ``Progress`` (checkpoint.py) up to date after every step,
so a checkpoint taken between two steps resumes exactly there.
"""

import math
import os
import signal
import sys
import threading
import time
from typing import NamedTuple

from w2v.errors import CorpusError, MemoryLimitError, TrainingDiverged, TrainingInterrupted


def log(quiet, msg):
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


class RunOptions(NamedTuple):
    """How a run is driven, beside what it trains (TrainConfig): files, checkpoints, limits, progress."""

    read_vocab: str | None = None  # vocabulary file to encode with instead of counting
    save_vocab: str | None = None  # where to write the counted vocabulary
    tmp_dir: str | None = None  # directory for the encoded corpus and spills
    cooccur: str | None = None  # GloVe: co-occurrences written by `w2v cooccur`, instead of counting
    checkpoint: str | None = None  # where to save checkpoints
    checkpoint_every: float | None = None  # seconds between checkpoints (None: only on interrupt)
    resume: str | None = None  # checkpoint to continue from
    log_json: str | None = None  # one JSON line per progress step and per epoch
    max_memory: float | None = None  # GB; refuse to start beyond it (None: the memory available)
    callback: object = None  # f(record) after each progress step; returning True requests a stop
    quiet: bool = False  # no progress bar or messages
    continue_from: str | None = None  # a checkpoint whose weights a run on new text continues from
    update_vocab: bool = False  # with continue_from: add the new text's words to the vocabulary
    phrases: object = None  # a phrases file (or phrases.Phrases) to join phrases with while reading
    dask: str | None = None  # a Dask scheduler address, or local:N (w2v/cluster/)
    shards: int | None = None  # with dask: shards (model replicas) of the corpus [one per worker]
    sync_rounds: int | None = None  # with dask: full synchronisations per epoch [cluster.trainer.Trainer.FULL_SYNCS]
    sync_average: str = "changed"  # with dask: how changed rows combine: changed (average), sum or all (Spark)
    sync_hot: int | None = None  # with dask: rounds per full sync, the frequent rows combined after each
    # [cluster.trainer.Trainer.HOT_ROUNDS]
    sync_bits: int = 16  # with dask: the replicas exchange their changes in float16 (16) or values in float32


# ---------------------------------------------------------------- memory
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


def release_free_memory():
    """Hand the C heap's free pages back to the system (glibc's malloc_trim, as Dask's workers do): the
    counting pass frees many arrays below glibc's mmap threshold, whose pages would otherwise stay resident
    under the weights allocated next (200 MB at 100M tokens). Elsewhere a no-op."""
    _glibc("malloc_trim", 0)


def keep_freed_heap():
    """glibc: serve large allocations from the heap too, and keep freed pages there (no mmap per array, no
    trim). For a process that allocates and frees arrays of the same sizes again and again, as a Dask
    replica does every round (the changed rows it sends, the combined rows it receives), the pages are then
    faulted in once rather than every round (cbow on bench-en, `--dask local:2`: 1.04M minor page faults
    -> 0.43M). Only for processes w2v owns (a local:N cluster's workers); elsewhere a no-op."""
    _glibc("mallopt", -4, 0)  # M_MMAP_MAX: no allocation by mmap
    _glibc("mallopt", -1, 1 << 30)  # M_TRIM_THRESHOLD: keep up to 1 GB free at the heap's top


def _glibc(name, *args):
    """Call the C library's function ``name`` where it has one (glibc's malloc_trim, mallopt)."""
    import ctypes
    import ctypes.util

    try:
        getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), name)(*args)
    except (OSError, AttributeError):
        pass


def memory_estimate(weights, tables, buffers, runtime=200 << 20):
    """Bytes a run will allocate, by kind (``runtime``: Numba's and the interpreter's own)."""
    return {"weights": weights, "tables": tables, "buffers": buffers, "runtime": runtime,
            "total": weights + tables + buffers + runtime}


def check_memory(estimate, run, remedy):
    """Print the estimate; refuse (MemoryLimitError) beyond --max-memory or the memory available."""
    gb = estimate["total"] / (1 << 30)
    limit = run.max_memory if run.max_memory is not None else available_memory_gb()
    disk, counting, spilled = estimate.get("disk"), estimate.get("counting") or 0, estimate.get("spilled") or 0
    peak = max(estimate["total"], counting + estimate["runtime"]) / (1 << 30)
    log(run.quiet, f"memory estimate: {gb:.2f} GB (weights {estimate['weights'] / (1 << 30):.2f} GB, tables "
                   f"{estimate['tables'] / (1 << 20):.0f} MB, buffers and runtime "
                   f"{(estimate['buffers'] + estimate['runtime']) / (1 << 20):.0f} MB)"
                   + (f"; counting the words took {counting / (1 << 20):.0f} MB (peak of the run {peak:.2f} GB)"
                      if counting else "")
                   + (f"; temporary disk {disk / (1 << 30):.2f} GB" if disk is not None else "")
                   + (f" (the counts spilled while counting took {spilled / (1 << 30):.2f} GB)" if spilled else ""))
    if limit is not None and gb > limit:
        which = "--max-memory" if run.max_memory is not None else "the available memory"
        raise MemoryLimitError(f"training needs about {gb:.2f} GB, more than {which} ({limit:.2f} GB): {remedy}")


def disk_used(workdir):
    """Bytes of the files in a run's work directory."""
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(workdir) for f in files)


def disk_estimate(corpus, cfg):
    """Temporary disk a run needs at its peak, from the input files' sizes, or None when they are not known
    (standard input, an iterable). Counting writes 4 bytes per token, encoding 4 more (both exist at the
    end of the encoding); plain text averages about 6 bytes per token, compressed text 3-4x fewer; GloVe
    adds its spilled runs, at most twice its --memory. Counting beyond corpus.LIVE_TYPES types spills its
    table (6 bytes a token of Zipf text, bench/RESULTS.md), deleted before the second read writes the two
    streams, so those 8 bytes cover it."""
    from w2v.corpus import file_size, input_paths

    paths = input_paths(corpus)
    if paths is None:
        return None
    ratio = {".gz": 3.5, ".bz2": 4.5, ".xz": 4.5, ".lzma": 4.5}
    text = 0.0
    for p in paths:
        try:
            text += file_size(p) * ratio.get(os.path.splitext(p)[1].lower(), 1.0)
        except (OSError, CorpusError):
            return None
    need = 8 * text / 6
    if cfg.model == "glove":
        need += 2 * cfg.memory * (1 << 30)
    return need


def check_disk(corpus, cfg, workdir):
    """Refuse before reading when the work directory's disk lacks the estimated temporary space."""
    import shutil

    need = disk_estimate(corpus, cfg)
    if need is None:
        return
    free = shutil.disk_usage(workdir).free
    if need > free:
        raise MemoryLimitError(f"the temporary files need about {need / (1 << 30):.2f} GB but "
                               f"{os.path.dirname(workdir)} has {free / (1 << 30):.2f} GB free: give --tmp-dir "
                               "on a larger disk")


# ---------------------------------------------------------------- the epoch loop
class Epochs(NamedTuple):
    """A trainer's epochs as the loop sees them.

    ``steps(epoch, position)`` yields ``(next position, summed loss, predictions)`` per kernel call;
    positions run from 0 to ``length``. ``rate(epoch, position)`` is the learning rate shown and logged.
    ``diverged(loss, epoch)`` returns a message when the loss or the weights are no longer finite.
    ``load_kernels`` calls ``warm_up`` before the first step, so no step pays for compiling.
    """

    length: int  # positions per epoch: ids of the encoded corpus, or GloVe's nonzeros
    steps: object
    rate: object
    diverged: object
    kernels: tuple  # the Numba dispatchers the steps call
    warm_up: object  # compiles (first run) or loads them for this run's types, training nothing
    per_position: float = 1.0  # progress-bar units (raw words, updates) per position
    unit: str = "w"  # the bar's unit
    names: tuple = ("words", "words_per_s", "alpha")  # the JSON log's fields for count, speed and rate
    labels: tuple = ("lr", "loss")  # the bar's names for the rate and the loss


def load_kernels(epochs, run):
    """Compile (first run) or load the run's kernels before training, and say which and how long: compile
    time is its own line, never in the progress bar or the words/s. Returns the seconds."""
    def misses():
        return sum(sum(k.stats.cache_misses.values()) for k in epochs.kernels)

    before = misses()
    if not all(_in_cache(k) for k in epochs.kernels):
        log(run.quiet, "compiling kernels (first run only) ...")
    t0 = time.perf_counter()
    epochs.warm_up()
    seconds = time.perf_counter() - t0
    if misses() > before:
        where = ", ".join(sorted({k.stats.cache_path for k in epochs.kernels}))
        log(run.quiet, f"compiled kernels in {seconds:.1f} s; later runs load them from {where}")
    else:
        log(run.quiet, f"kernels loaded in {seconds:.2f} s")
    return seconds


def _in_cache(dispatcher):
    """Whether Numba's disk cache has an entry for this version of ``dispatcher`` (its index file is named
    after the function and its line, so an edited kernel is not mistaken for a cached one)."""
    try:
        return os.path.exists(dispatcher._cache._cache_file._index_path)
    except AttributeError:  # a Numba without these internals: assume so rather than guess
        return True


def run_epochs(epochs, n_epochs, progress, run, save):
    """Train from ``progress`` to the end of the last epoch, updating it in place; returns the training
    seconds. ``save`` writes a checkpoint (None without one)."""
    from tqdm import tqdm

    count_key, speed_key, rate_key = epochs.names
    rate_label, loss_label = epochs.labels
    total = epochs.length * n_epochs
    bar = tqdm(total=total * epochs.per_position, unit=epochs.unit, unit_scale=True, disable=run.quiet,
               file=sys.stderr, dynamic_ncols=True, smoothing=0.1,
               initial=(progress.epoch * epochs.length + progress.position) * epochs.per_position)
    t_train = time.perf_counter()
    done = 0.0
    try:
        with RunControl(run, save) as control:
            while progress.epoch < n_epochs:
                epoch = progress.epoch
                for position, loss, n in epochs.steps(epoch, progress.position):
                    problem = epochs.diverged(loss, epoch)
                    if problem:
                        raise control.diverged(problem)
                    progress.loss_sum += loss
                    progress.n_sum += n
                    step = (position - progress.position) * epochs.per_position
                    progress.position = position
                    done += step
                    at = epoch * epochs.length + position
                    rate = epochs.rate(epoch, position)
                    mean_loss = progress.loss_sum / max(progress.n_sum, 1)
                    bar.set_postfix_str(f"epoch {epoch + 1}/{n_epochs} {rate_label} {rate:.5f} {loss_label} "
                                        f"{mean_loss:.4f}", refresh=False)
                    bar.update(step)
                    record = {"event": "progress", "epoch": epoch + 1, count_key: round(at * epochs.per_position),
                              speed_key: done / max(time.perf_counter() - t_train, 1e-9), rate_key: rate,
                              "loss": mean_loss}
                    epoch_done = position >= epochs.length
                    if epoch_done:  # the checkpoint of the last step resumes at the next epoch
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


class RunControl:
    """What happens between two kernel calls: the JSON log, the callback, SIGINT and SIGTERM (which only
    set a flag while training), periodic checkpoints, and stopping with a checkpoint. ``save`` writes the
    trainer's checkpoint (None without --checkpoint)."""

    def __init__(self, run, save):
        self.run, self.save = run, save
        self.signum = None
        self.previous = {}
        self.log = None
        self.last_save = time.monotonic()

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.previous[sig] = signal.signal(sig, self._handle)
        if self.run.log_json:
            self.log = open(self.run.log_json, "a", encoding="utf-8")
        return self

    def _handle(self, signum, frame):
        self.signum = signum

    def __exit__(self, *exc):
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
        """The error for a NaN/inf loss, saying that the last checkpoint (if any) was kept."""
        if self.save and os.path.exists(self.run.checkpoint):
            message += f"; the last checkpoint, {self.run.checkpoint}, was kept"
        return TrainingDiverged(message)

    def step(self, record):
        """After a kernel call whose progress is already recorded: log, then stop or checkpoint if due."""
        self.write(record)
        stop = bool(self.run.callback(record)) if self.run.callback else False
        if stop or self.signum is not None:
            code = 143 if self.signum == signal.SIGTERM else 130
            if self.save:
                self.save()
                raise TrainingInterrupted(f"interrupted; checkpoint saved to {self.run.checkpoint}: resume with "
                                          f"'w2v train CORPUS --resume {self.run.checkpoint} -o OUTPUT'", code)
            raise TrainingInterrupted("interrupted (no --checkpoint given, nothing saved)", code)
        if self.save and self.run.checkpoint_every is not None and \
                time.monotonic() - self.last_save >= self.run.checkpoint_every:
            self.save()
            self.last_save = time.monotonic()


class Lanes:
    """Threads that run a kernel's lanes side by side: ``run(kernel, *args)`` calls ``kernel(t, lanes,
    *args)`` for every lane t, each in its own thread (the kernels release the GIL), and waits for all.
    One lane runs in the calling thread. A context manager: the threads end with it."""

    def __init__(self, lanes):
        from concurrent.futures import ThreadPoolExecutor

        self.lanes = max(1, int(lanes))
        self.pool = ThreadPoolExecutor(self.lanes, thread_name_prefix="w2v-lane") if self.lanes > 1 else None

    def run(self, kernel, *args):
        if self.pool is None:
            kernel(0, 1, *args)
            return
        for f in [self.pool.submit(kernel, t, self.lanes, *args) for t in range(self.lanes)]:
            f.result()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.shutdown()


def finite(loss, first_row):
    """Whether a step's loss and a row of its weights (a cheap probe of them) are finite."""
    import numpy as np

    return math.isfinite(loss) and bool(np.isfinite(first_row).all())


def divergence_test(probe, option, value, default):
    """An ``Epochs.diverged`` test: None while the loss and ``probe`` (a row of the weights) are finite,
    else the message that names the learning-rate ``option`` to lower (its ``value`` and ``default``)."""
    def diverged(loss, epoch):
        if finite(loss, probe):
            return None
        return (f"training diverged (loss became {loss}) in epoch {epoch + 1}: the learning rate {option} {value} "
                f"is too large; try a smaller one (the default is {default})")
    return diverged
