"""driver.py on its own: the driver runs any trainer that keeps the protocol of w2v/trainers/__init__.py
(a toy trainer here, registered as a model in the one map), in order, with checkpoints and resume; it
picks a model's --dask trainer from its entry and refuses a model that has none; resume and continue
merge a checkpoint's options."""

import collections

import numpy as np
import pytest

from w2v import choices, driver
from w2v.config import RunOptions, TrainConfig
from w2v.epochs import Epochs, divergence_test
from w2v.errors import OptionError, ResumeError, TrainingInterrupted
from w2v.trainers import Finished, Prepared

CALLS = []


def check_options(cfg, bad):
    if cfg.dim > 64:
        bad(f"--dim of the toy model is at most 64 (got {cfg.dim})")


class Trainer:
    """Each word's vector counts the epochs' steps: after training every entry equals 2 x epochs."""

    memory_remedy = "nothing to lower"

    def __init__(self, cfg, run):
        self.cfg = cfg

    def prepare(self, corpus, workdir, resumed_vocab, threads=None):
        from w2v.vocab import Vocab

        CALLS.append("prepare")
        counts = collections.Counter(open(corpus).read().split())
        self.vocab = Vocab(sorted(counts), [counts[w] for w in sorted(counts)])
        return Prepared(self.vocab, self.vocab, {"total_tokens": sum(counts.values())}, "toy vocabulary")

    def memory(self):
        CALLS.append("memory")
        return None

    def init(self):
        CALLS.append("init")
        return {"W": np.zeros((len(self.vocab), self.cfg.dim), np.float32)}

    def epochs(self, params):
        CALLS.append("epochs")

        def steps(epoch, start, stop):
            for position in range(start, 2):
                params["W"] += 1
                yield position + 1, 1.0, 1

        return Epochs(length=2, steps=steps, rate=lambda e, p: 0.0, kernels=(), warm_up=lambda: None,
                      diverged=divergence_test(params["W"][0], "--alpha", 0, 0))

    def finish(self, params, progress, seconds, epochs_run):
        from w2v.vectors import Vectors

        CALLS.append("finish")
        return Finished(Vectors(self.vocab.words, params["W"]), "toy trained", {"epochs_run": epochs_run})


@pytest.fixture
def toy(monkeypatch, tmp_path):
    monkeypatch.setitem(choices.MODELS, "toy", choices.Architecture("", "test_driver", (), "a toy trainer"))
    CALLS.clear()
    path = tmp_path / "c.txt"
    path.write_text("b a c a\nc a\n")
    return str(path)


def test_the_driver_runs_a_trainer_that_keeps_the_protocol(toy):
    model = driver.run_trainer(toy, TrainConfig(model="toy", dim=3, epochs=4), RunOptions(quiet=True))
    assert CALLS == ["prepare", "memory", "init", "epochs", "finish"]
    assert model.vectors.words == ["a", "b", "c"] and (model.vectors.vectors == 8).all()
    assert model.epoch_losses == [1.0] * 4 and model.total_tokens == 6 and model.stats["epochs_run"] == 4
    with pytest.raises(OptionError, match="--dim of the toy model is at most 64"):
        TrainConfig(model="toy", dim=100)  # the model's own check, through the entry


def test_a_stopped_toy_run_resumes_where_it_stopped(toy, tmp_path):
    ck = str(tmp_path / "ck.npz")
    steps = iter(range(3, -1, -1))
    cfg = TrainConfig(model="toy", dim=2, epochs=3)
    with pytest.raises(TrainingInterrupted):
        driver.run_trainer(toy, cfg, RunOptions(quiet=True, checkpoint=ck, callback=lambda r: next(steps) == 0))
    cfg2, resumed = driver.resolve_config({"model": "toy", "dim": 2, "epochs": 3}, ck)
    assert (resumed.progress.epoch, resumed.progress.position) == (2, 0)
    model = driver.run_trainer(toy, cfg2, RunOptions(quiet=True, resume=ck), resumed=resumed)
    assert (model.vectors.vectors == 6).all() and model.stats["epochs_run"] == 1
    with pytest.raises(ResumeError):
        driver.resolve_config({"model": "toy", "dim": 5}, ck)  # a resumed run keeps its shapes


def test_the_dask_trainer_comes_from_the_models_entry():
    with pytest.raises(OptionError, match="--dask trains --model sg or cbow or glove, not nplm"):
        driver.trainer_for(TrainConfig(model="nplm", loss="hs"), RunOptions(dask="local:1"))
    local = driver.trainer_for(TrainConfig(model="glove"), RunOptions())
    assert type(local).__module__ == choices.MODELS["glove"].trainer


@pytest.mark.skipif(len(__import__("os").sched_getaffinity(0)) < 2, reason="one core: nothing compiles beside")
def test_a_first_run_compiles_its_kernel_beside_the_vocabulary_pass(tmp_path):
    """With nothing in Numba's cache for a run's kernel and types, a second process compiles it while the
    vocabulary is counted (ahead.KernelsAhead), and the run loads it from the cache: the made-up
    vocabulary's types are the run's (else the run would compile again, and say so without "beside"). The
    same architecture with another output layer is another signature, compiled beside too; a run whose
    kernel is cached starts nothing."""
    import os
    import subprocess
    import sys

    rng = np.random.default_rng(0)
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(" ".join(f"w{i}" for i in rng.integers(0, 40, 30)) for _ in range(300)))
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"), W2V_AHEAD_MIN_BYTES="0")

    def run(*options):
        out = tmp_path / ("m.npz" if "nplm" in options else "v.txt")
        cmd = [sys.executable, "-m", "w2v.cli", "train", str(corpus), "--min-count", "1", "--dim", "8", "--epochs",
               "1", "-o", str(out), *options]
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
        assert r.returncode == 0, r.stderr[-2000:]
        return r.stderr

    for options in (["--model", "cbow"], ["--model", "cbow", "--loss", "hs"],
                    ["--model", "sg", "--subwords", "3-4", "--buckets", "1000"],
                    ["--model", "nplm", "--loss", "hs", "--hidden", "8", "--context", "2", "--threads", "2"]):
        first = run(*options)
        assert "compiled kernels in" in first and "beside the vocabulary pass" in first, (options, first)
        assert "compiling kernels (first run only) ...\n" not in first
    again = run("--model", "cbow", "--loss", "hs")
    assert "kernels loaded" in again and "beside" not in again
    # the Python API with a callback (which does not pickle): the child gets the model's options only
    api = subprocess.run([sys.executable, "-c", f"import w2v; w2v.train({str(corpus)!r}, model='sg', loss='nce', "
                          "min_count=1, dim=8, epochs=1, callback=lambda r: None)"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert api.returncode == 0 and "beside the vocabulary pass" in api.stderr, api.stderr[-2000:]


def test_the_compile_ahead_waits_for_a_vocabulary_pass_long_enough_to_hide_it(tmp_path, monkeypatch):
    """A corpus under ahead.MIN_BYTES is counted too quickly for a second process's start-up to pay: the run
    compiles for itself; larger files (all the inputs together), standard input and iterables start it."""
    from w2v import ahead

    small = tmp_path / "a.txt"
    small.write_text("a b c\n" * 100)
    monkeypatch.delenv("W2V_AHEAD_MIN_BYTES", raising=False)
    assert not ahead._long_pass(str(small)) and not ahead._long_pass([str(small)] * 3)
    assert ahead._long_pass("-") and ahead._long_pass([["a", "b"]])
    monkeypatch.setattr(ahead, "MIN_BYTES", 3 * small.stat().st_size)
    assert not ahead._long_pass(str(small)) and ahead._long_pass([str(small)] * 3)
    folder = tmp_path / "parts"
    folder.mkdir()
    for k in range(3):
        (folder / f"p{k}.txt").write_text(small.read_text())
    assert ahead._long_pass(str(folder))  # (a folder: its files together)
    monkeypatch.setenv("W2V_AHEAD_MIN_BYTES", "0")
    assert ahead._long_pass(str(small))
