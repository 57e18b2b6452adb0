"""Long runs: checkpoint and resume (bit-identical), signals, divergence guard, memory estimate, JSON log."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from click.testing import CliRunner

from w2v import checkpoint
from w2v.vectors import Vectors
from w2v.trainers import stream
from w2v.cli import cli
from w2v.errors import W2VError
from w2v.api import train
from w2v.errors import TrainingInterrupted


def cfg(**kw):
    base = dict(model="sg", dim=16, window=3, min_count=1, epochs=3, threads=1, seed=9)
    base.update(kw)
    return base


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(stream, "BLOCK_IDS", 4000)  # about ten blocks per epoch of the planted corpus


def stop_at(k):
    calls = []

    def callback(record):
        calls.append(record)
        return len(calls) == k

    return callback


@pytest.mark.parametrize("model,loss,shared", [("sg", "ns", False), ("cbow", "hs", False), ("sg", "ns", True)])
def test_interrupt_and_resume_is_bit_identical(planted, tmp_path, small_blocks, model, loss, shared):
    path, _ = planted
    c = cfg(model=model, loss=loss, shared_targets=shared)
    full = train(path, **c, progress=False)
    log = tmp_path / "log.jsonl"
    train(path, **c, progress=False, log_json=str(log))
    records = [json.loads(x) for x in log.read_text().splitlines()]
    steps = [r for r in records if r["event"] == "progress"]
    per_epoch = len(steps) // 3
    assert per_epoch >= 5
    # interrupt at several points: early, mid-epoch, exactly at an epoch end, in the last epoch
    for k in (1, per_epoch // 2, per_epoch, 2 * per_epoch + 2):
        ck = tmp_path / f"ck{k}.npz"
        with pytest.raises(TrainingInterrupted) as e:
            train(path, **c, progress=False, checkpoint=str(ck), callback=stop_at(k))
        assert e.value.exit_code == 130 and "--resume" in str(e.value)
        resumed = train(path, progress=False, resume=str(ck))
        assert np.array_equal(resumed.vectors.vectors, full.vectors.vectors), k
        assert np.array_equal(resumed.params["W_out"], full.params["W_out"])
        assert resumed.epoch_losses == pytest.approx(full.epoch_losses, rel=1e-12)


def test_resume_twice(planted, tmp_path, small_blocks):
    path, _ = planted
    full = train(path, **cfg(), progress=False)
    ck = tmp_path / "ck.npz"
    with pytest.raises(TrainingInterrupted):
        train(path, **cfg(), progress=False, checkpoint=str(ck), callback=stop_at(3))
    with pytest.raises(TrainingInterrupted):
        train(path, progress=False, resume=str(ck), checkpoint=str(ck), callback=stop_at(8))
    final = train(path, progress=False, resume=str(ck))
    assert np.array_equal(final.vectors.vectors, full.vectors.vectors)


def test_resume_refuses_contradicting_options_and_other_corpus(planted, tmp_path, small_blocks):
    path, _ = planted
    ck = tmp_path / "ck.npz"
    with pytest.raises(TrainingInterrupted):
        train(path, **cfg(), progress=False, checkpoint=str(ck), callback=stop_at(2))
    with pytest.raises(W2VError, match=r"dim: checkpoint 16, now 32"):
        train(path, **cfg(dim=32), progress=False, resume=str(ck))
    other = tmp_path / "other.txt"
    other.write_text(open(path).read() + "c0w00 c0w01 c0w02\n")
    with pytest.raises(W2VError, match="corpus differs"):
        train(str(other), progress=False, resume=str(ck))
    # threads may change
    train(path, **cfg(threads=2), progress=False, resume=str(ck))


def test_bad_checkpoints(tmp_path, planted):
    path, _ = planted
    vec = tmp_path / "v.bin"
    train(path, **cfg(epochs=1), progress=False).vectors.save(vec)
    for bad in (vec, tmp_path / "missing.npz"):
        with pytest.raises(W2VError, match="checkpoint"):
            checkpoint.load(str(bad))
    cooc = tmp_path / "c.npz"
    r = CliRunner().invoke(cli, ["cooccur", path, "-o", str(cooc), "--min-count", "1", "-q"])
    assert r.exit_code == 0
    with pytest.raises(W2VError, match="not a w2v checkpoint"):
        checkpoint.load(str(cooc))  # a file from another stage


def test_checkpoint_every_writes_during_training(planted, tmp_path, small_blocks):
    path, _ = planted
    ck = tmp_path / "ck.npz"
    train(path, **cfg(), progress=False, checkpoint=str(ck), checkpoint_every=1e-6)
    saved_cfg, vocab, arrays, progress, _ = checkpoint.load(str(ck))
    assert progress.epoch == 3 and saved_cfg["dim"] == 16 and arrays["W_in"].shape == (len(vocab), 16)


def test_divergence_guard_keeps_checkpoint_and_writes_nothing(planted, tmp_path, small_blocks):
    path, _ = planted
    ck = tmp_path / "ck.npz"
    out = tmp_path / "v.bin"
    r = CliRunner().invoke(cli, ["train", path, "--alpha", "1e30", "--min-count", "1", "--dim", "16", "--threads",
                                 "1", "--checkpoint", str(ck), "--checkpoint-every", "1s", "-q", "-o", str(out)])
    assert r.exit_code == 1, r.output
    assert "diverged" in r.output and "--alpha" in r.output and "smaller" in r.output
    assert not out.exists()


def test_memory_estimate_refuses_before_training(planted, tmp_path):
    path, _ = planted
    r = CliRunner().invoke(cli, ["train", path, "--max-memory", "0.01", "--min-count", "1", "-o",
                                 str(tmp_path / "v.bin")])
    assert r.exit_code == 1 and "needs about" in r.output and "--max-memory" in r.output
    assert "epoch" not in r.output and not (tmp_path / "v.bin").exists()


def test_log_json_and_plots(planted, tmp_path):
    path, _ = planted
    log, out = tmp_path / "log.jsonl", tmp_path / "v.bin"
    r = CliRunner().invoke(cli, ["train", path, "--min-count", "1", "--epochs", "2", "--log-json", str(log), "-q",
                                 "-o", str(out)])
    assert r.exit_code == 0, r.output
    records = [json.loads(x) for x in log.read_text().splitlines()]
    assert {r["event"] for r in records} == {"progress", "epoch"}
    assert [r["epoch"] for r in records if r["event"] == "epoch"] == [1, 2]
    steps = [r for r in records if r["event"] == "progress"]
    assert all(set(r) >= {"words", "words_per_s", "alpha", "loss"} for r in steps)
    assert steps[-1]["words"] == 2 * sum(len(line.split()) for line in open(path))  # two epochs of raw words
    assert all(a["words"] < b["words"] and a["alpha"] > b["alpha"] for a, b in zip(steps, steps[1:]))
    r = CliRunner().invoke(cli, ["plot-loss", str(log), "-o", str(tmp_path / "loss.png")])
    assert r.exit_code == 0 and (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = CliRunner().invoke(cli, ["plot", str(out), "c0w00", "c1w00", "-o", str(tmp_path / "map.png")])
    assert r.exit_code == 0 and (tmp_path / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = CliRunner().invoke(cli, ["plot", str(out), "nosuchword", "-o", str(tmp_path / "x.png")])
    assert r.exit_code == 1 and "nosuchword" in r.output and not (tmp_path / "x.png").exists()


def test_vocab_command(planted, tmp_path):
    path, _ = planted
    r = CliRunner().invoke(cli, ["vocab", path, "--min-count", "1", "--top", "3", "-o", str(tmp_path / "v.txt")])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].startswith("tokens ") and "covering 100.00% of tokens" in lines[0]
    assert len([x for x in lines if x.strip() and x.split()[0].isdigit()]) == 3
    top = (tmp_path / "v.txt").read_text().splitlines()[0].split()[0]
    assert lines[1].split()[-1] == top


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_saves_checkpoint_and_resume_finishes(tmp_path, sig, code):
    """A real process: SIGTERM or Ctrl-C during training saves a checkpoint and exits 143 or 130."""
    from conftest import planted_corpus

    corpus = tmp_path / "big.txt"
    planted_corpus(corpus, seed=3, sentences=30000)
    ck, log, out = tmp_path / "ck.npz", tmp_path / "log.jsonl", tmp_path / "v.bin"
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    args = [sys.executable, "-m", "w2v.cli", "train", str(corpus), "--min-count", "1", "--epochs", "8",
            "--threads", "1", "--checkpoint", str(ck), "--log-json", str(log), "-q", "-o", str(out)]
    proc = subprocess.Popen(args, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and (not log.exists() or not log.read_text().strip()):
        time.sleep(0.2)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert "--resume" in err and ck.exists() and not out.exists()
    assert "Traceback" not in err
    _, _, _, progress, _ = checkpoint.load(str(ck))
    assert 0 <= progress.epoch < 8
    args = [sys.executable, "-m", "w2v.cli", "train", str(corpus), "--resume", str(ck), "--epochs", "8", "-q",
            "-o", str(out)]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert Vectors.load(out).dim == 100


def test_glove_interrupt_and_resume_is_bit_identical(planted, tmp_path, monkeypatch):
    from w2v import glove_kernels as glove

    monkeypatch.setattr(glove, "CHUNK", 64)
    monkeypatch.setattr(glove, "SLICE", 4)  # several kernel calls per epoch
    path, _ = planted
    c = dict(model="glove", dim=12, window=4, min_count=1, epochs=4, threads=1, seed=3)
    log = tmp_path / "log.jsonl"
    full = train(path, **c, progress=False, log_json=str(log))
    steps = [json.loads(x) for x in log.read_text().splitlines() if '"progress"' in x]
    per_epoch = len(steps) // 4
    assert per_epoch >= 3
    for k in (2, per_epoch, 3 * per_epoch + 1):
        ck = tmp_path / f"g{k}.npz"
        with pytest.raises(TrainingInterrupted):
            train(path, **c, progress=False, checkpoint=str(ck), callback=stop_at(k))
        resumed = train(path, progress=False, resume=str(ck))
        assert np.array_equal(resumed.vectors.vectors, full.vectors.vectors), k
        assert resumed.epoch_losses == pytest.approx(full.epoch_losses, rel=1e-12)
    r = CliRunner().invoke(cli, ["plot-loss", str(log), "-o", str(tmp_path / "g.png")])
    assert r.exit_code == 0 and (tmp_path / "g.png").stat().st_size > 1000
