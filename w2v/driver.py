"""The one driver: every trainer (choices.MODELS -> w2v/trainers/) runs through the same steps.

options -> TrainConfig (merged with a checkpoint's when resuming or continuing) -> work directory ->
prepare (corpus to the trainer's stream; resume check; --save-vocab) -> memory check -> parameters (fresh,
resumed, or a checkpoint's grown to the new vocabulary) -> epochs.load_kernels -> epochs.run_epochs
(progress, checkpoints, signals) -> Model.
"""

import importlib
import shutil
import tempfile
import time

from w2v.choices import MODELS, SYNC_AVERAGES
from w2v.config import RunOptions, TrainConfig, merged
from w2v.config import trainer as trainer_module
from w2v.epochs import load_kernels, run_epochs
from w2v.messages import log
from w2v.resources import check_disk, check_memory, disk_used, release_free_memory
from w2v.errors import OptionError, ResumeError
from w2v.model import Model


def resolve_config(options, resume=None):
    """The run's TrainConfig from the options given (a dict of TrainConfig fields) and, when resuming, the
    checkpoint: its options apply unless given again, and given ones may not contradict it (threads may
    change). Returns (TrainConfig, loaded checkpoint or None)."""
    from w2v import checkpoint

    if not resume:
        return TrainConfig(**options), None
    resumed = checkpoint.load(resume)
    cfg = merged(resumed.config, options)
    checkpoint.check_compatible(resumed.config, cfg, resume)
    return cfg, resumed


FIXED = ("model", "loss", "dim", "subwords", "buckets")  # what a continued run may not change: the parameters'
# shapes and meaning


def resolve_continue(options, path):
    """The TrainConfig of a run that continues training from checkpoint ``path`` on new text: the
    checkpoint's options unless given again, except the model, loss and dimension, which are its own.
    Returns (TrainConfig, loaded checkpoint)."""
    from w2v import checkpoint

    ck = checkpoint.load(path)
    saved = ck.config
    continuable = [m for m in MODELS if hasattr(trainer_module(m).Trainer, "extend")]  # (the protocol's option)
    if saved.get("model") not in continuable:
        raise OptionError(f"--continue supports --model {' and '.join(continuable)}; {path} holds a "
                          f"{saved.get('model')} model")
    for key in FIXED:
        if key in options and _fixed(key, options[key]) != _fixed(key, saved.get(key, _DEFAULTS.get(key))):
            raise ResumeError(f"cannot continue from {path} with --{key} {options[key]}: it was trained with "
                              f"--{key} {saved.get(key, _DEFAULTS.get(key))}")
    return merged(saved, options), ck


_DEFAULTS = {"subwords": (0, 0), "buckets": 2_000_000}  # (a checkpoint from before subwords has neither)


def _fixed(key, value):
    """An option's value as compared for --continue (--subwords "3-6", [3, 6] and (3, 6) are one)."""
    if key == "subwords":
        from w2v.config import parse_subwords

        try:
            return parse_subwords(tuple(value) if isinstance(value, list) else value)
        except ValueError:
            return value
    return value


def trainer_for(cfg, run):
    """The model's trainer (choices.MODELS), or its trainer on a cluster with ``--dask``."""
    arch = MODELS[cfg.model]
    if run.dask and not arch.dask:
        with_dask = [m for m, a in MODELS.items() if a.dask]
        raise OptionError(f"--dask trains --model {' or '.join(with_dask)}, not {cfg.model}")
    return importlib.import_module(arch.dask if run.dask else arch.trainer).Trainer(cfg, run)


def run_trainer(corpus, cfg, run=RunOptions(), resumed=None, continued=None):
    """Train ``cfg.model`` on ``corpus`` (see corpus.open_corpus); returns a Model. ``resumed`` is the
    loaded checkpoint of ``run.resume`` (resolve_config); ``continued`` one to continue from on new text
    (resolve_continue): its weights, its vocabulary (grown with ``run.update_vocab``), a fresh schedule."""
    from w2v import checkpoint, scan

    if run.sync_average is None:  # (a resumed Dask run keeps its combination unless one is given)
        then = (resumed.corpus.get("sync") or (None,) * 3)[2] if resumed else None
        run = run._replace(sync_average=then or SYNC_AVERAGES[0])
    trainer = trainer_for(cfg, run)
    workdir = tempfile.mkdtemp(prefix="w2v-", dir=run.tmp_dir)
    ahead = None
    try:
        if not (run.cooccur and cfg.model == "glove"):
            check_disk(corpus, cfg, workdir)
        from w2v.ahead import KernelsAhead

        ahead = KernelsAhead(trainer, cfg, run, corpus)  # (started first: it compiles beside the scan's start-up too)
        scan.warm_up()  # Numba's start-up, once per process, is not part of the vocabulary pass
        t0 = time.perf_counter()
        if continued:
            prepared, params = trainer.extend(corpus, workdir, continued, run.update_vocab)
        else:
            prepared = trainer.prepare(corpus, workdir, resumed.vocab if resumed else None,
                                       threads=ahead.scan_threads(cfg.n_threads))
        from w2v.corpus import fingerprint_files

        files = fingerprint_files(corpus)
        if files is not None:
            prepared.corpus_info["files"] = files
        if resumed:
            then, now = resumed.corpus, prepared.corpus_info
            # several files must be the same ones in the same order (one file may be renamed or moved: its
            # content is checked below); checkpoints before multi-file input have no "files"
            if len(then.get("files") or [1]) + len(files or [1]) > 2 and then.get("files", files) != files:
                raise ResumeError(f"cannot resume from {run.resume}: it was trained on the files "
                                  f"{_short(then['files'])}, not {_short(files)}")
            if _cluster_setting(then) != _cluster_setting(now):
                raise ResumeError(f"cannot resume from {run.resume}: it was trained {_cluster_setting(then)}, not "
                                  f"{_cluster_setting(now)}")
            if any(then.get(k) != v for k, v in now.items() if k != "files") or resumed.vocab.words != prepared.rows.words:
                raise ResumeError(f"cannot resume from {run.resume}: the corpus differs from the one it was trained "
                                  f"on ({then.get('total_tokens')} tokens then, {now['total_tokens']} now)")
        if run.save_vocab:
            prepared.vocab.save(run.save_vocab)
        vocab_seconds = time.perf_counter() - t0
        release_free_memory()
        log(run.quiet, f"{prepared.summary} ({vocab_seconds:.1f} s)")
        estimate = trainer.memory()
        if estimate is not None:
            encoded = getattr(trainer, "encoded", None)
            check_memory(dict(estimate, disk=disk_used(workdir), counting=getattr(encoded, "counting_bytes", 0),
                              spilled=getattr(encoded, "spill_bytes", 0)), run, trainer.memory_remedy)
        if resumed:
            params, progress = resumed.arrays, resumed.progress
            log(run.quiet, f"resuming at epoch {progress.epoch + 1}, position {progress.position}")
        elif continued:
            progress = checkpoint.Progress()
        else:
            params, progress = trainer.init(), checkpoint.Progress()
            if run.init_vectors:
                log(run.quiet, trainer.start_from(params, run.init_vectors, run.lock_init))

        def gather():  # (parameters the steps keep elsewhere, brought here before they are read)
            if epochs.gather is not None:
                epochs.gather()

        def write():
            checkpoint.save(run.checkpoint, cfg, prepared.rows, params, progress, prepared.corpus_info)

        def save():
            gather()
            write()

        epochs = trainer.epochs(params)
        compile_seconds = load_kernels(epochs, run, ahead)
        start_epoch = progress.epoch
        seconds = run_epochs(epochs, cfg.epochs, progress, run, save if run.checkpoint else None)
        gather()
        if run.checkpoint:  # the finished state: --resume has nothing left to do, --continue starts from it
            write()
        done = trainer.finish(params, progress, seconds, cfg.epochs - start_epoch)
        log(run.quiet, done.summary)
        return Model(vectors=done.vectors, vocab=prepared.vocab, config=cfg, params=params,
                     epoch_losses=progress.epoch_losses, epoch_predictions=progress.epoch_predictions,
                     vocab_seconds=vocab_seconds, train_seconds=seconds, total_tokens=prepared.corpus_info["total_tokens"],
                     stats={**done.stats, "kernel_seconds": compile_seconds}, language_model=done.language_model,
                     rows=prepared.rows, corpus_info=prepared.corpus_info)
    finally:
        if ahead is not None:
            ahead.close()
        shutil.rmtree(workdir, ignore_errors=True)
        getattr(trainer, "close", lambda: None)()


def _cluster_setting(info):
    """How a run was split over a Dask cluster, from its corpus record (a checkpoint's positions count
    synchronisations there, corpus ids locally)."""
    if "shards" not in info:
        return "without --dask"
    steps, hot, average = info.get("sync") or (None, None, None)
    return f"with --dask on {info['shards']} shards, --sync-rounds {steps} --sync-hot {hot} --sync-average {average}"


def _short(names):
    names = list(names or [])
    return ", ".join(names) if len(names) <= 4 else f"{', '.join(names[:3])} and {len(names) - 3} more"
