"""The one epoch loop every trainer runs, with its progress bar, JSON log, callback, signals and checkpoints
(``RunControl``), and loading the kernels before it.

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

from w2v.errors import TrainingDiverged, TrainingInterrupted
from w2v.lanes import stop_flag
from w2v.messages import log


class Epochs(NamedTuple):
    """A trainer's epochs as the loop sees them.

    ``steps(epoch, position, stop)`` yields ``(next position, summed loss, predictions)`` per kernel call;
    positions run from 0 to ``length``. ``stop`` is a flag (lanes.stop_flag) that SIGINT and SIGTERM set
    while a step runs: the step then ends early, within about a second, at a position a resume continues
    from exactly, and is the last one taken. ``rate(epoch, position)`` is the learning rate shown and logged.
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
    ready: str = "kernels loaded"  # what warm_up did, when it compiled nothing
    gather: object = None  # brings the parameters up to date before they are read (a checkpoint, the end),
    # where the steps keep them elsewhere (the Dask replicas' owners); None: always up to date


def load_kernels(epochs, run, ahead=None):
    """Compile (first run) or load the run's kernels before training, and say which and how long: compile
    time is its own line, never in the progress bar or the words/s. ``ahead`` (ahead.KernelsAhead) may
    have compiled them already, beside the vocabulary pass: waited for here. Returns the seconds spent
    compiling (beside the vocabulary pass: the child's whole time, most of which the run did not wait for)."""
    def misses():
        return sum(sum(k.stats.cache_misses.values()) for k in epochs.kernels)

    def where():
        return ", ".join(sorted({k.stats.cache_path for k in epochs.kernels}))

    ahead_compiled = ahead is not None and ahead.join()
    before = misses()
    if not all(in_cache(k) for k in epochs.kernels):
        log(run.quiet, "compiling kernels (first run only) ...")
    t0 = time.perf_counter()
    epochs.warm_up()
    seconds = time.perf_counter() - t0
    if misses() > before:
        log(run.quiet, f"compiled kernels in {seconds:.1f} s; later runs load them from {where()}")
    elif ahead_compiled:
        log(run.quiet, f"compiled kernels in {ahead.seconds:.1f} s beside the vocabulary pass; later runs load "
                       f"them from {where()}")
        return ahead.seconds
    else:
        log(run.quiet, f"{epochs.ready} in {seconds:.2f} s")
    return seconds


def cached_for(dispatcher, args):
    """Whether calling ``dispatcher`` with ``args`` would compile nothing: compiled in this process, or in
    Numba's disk cache for these argument types (read from the cache's index; where Numba's internals
    differ, ``in_cache``)."""
    try:
        sig = tuple(dispatcher.typeof_pyval(a) for a in args)
        if sig in dispatcher.overloads:
            return True
        return any(key[0] == sig for key in dispatcher._cache._cache_file._load_index())
    except Exception:  # noqa: BLE001 - a Numba without these internals
        return in_cache(dispatcher)


def in_cache(dispatcher):
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
    bar_total = total * epochs.per_position
    bar = tqdm(total=bar_total, unit=epochs.unit, unit_scale=True, disable=run.quiet,
               file=sys.stderr, dynamic_ncols=True, smoothing=0.1,
               initial=(progress.epoch * epochs.length + progress.position) * epochs.per_position)
    t_train = time.perf_counter()
    done = 0.0
    try:
        with RunControl(run, save) as control:
            while progress.epoch < n_epochs:
                epoch = progress.epoch
                for position, loss, n in epochs.steps(epoch, progress.position, control.stop):
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
                    # the bar is set to its point, not stepped: a sum of float steps may pass the total
                    bar.update(min(at * epochs.per_position, bar_total) - bar.n)
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
    set flags while training: ``signum`` for the loop, ``stop`` for the running kernels), periodic checkpoints, and stopping with a checkpoint. ``save`` writes the
    trainer's checkpoint (None without --checkpoint)."""

    def __init__(self, run, save):
        self.run, self.save = run, save
        self.signum = None
        self.stop = stop_flag()
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
        self.stop[0] = 1

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
