"""Dask (w2v.cluster): shards cut at line ends, vocabulary and co-occurrences equal to local counts,
training bit-identical to a local run with one worker, deterministic synchronous rounds, planted
structure learned by two workers, a killed worker survived, one-line errors. A LocalCluster of worker
processes over loopback, shared by the module."""

import gzip
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from conftest import cluster_purity, planted_corpus  # noqa: E402
from w2v import api  # noqa: E402
from w2v.cluster import connection, counting, rowsync, trainer  # noqa: E402
from w2v.corpus import pieces as sharding  # noqa: E402
from w2v.errors import OptionError  # noqa: E402


@pytest.fixture(scope="module")
def scheduler():
    lc = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    yield lc
    lc.close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("shards")
    groups = planted_corpus(str(d / "all.txt"), seed=4, sentences=2400)
    lines = (d / "all.txt").read_text().splitlines(keepends=True)
    parts = d / "parts"
    parts.mkdir()
    (parts / "a.txt").write_text("".join(lines[:900]))
    with gzip.open(parts / "b.txt.gz", "wt") as f:
        f.write("".join(lines[900:1700]))
    (parts / "c.txt").write_text("".join(lines[1700:]).rstrip("\n"))  # no final newline
    return str(d / "all.txt"), str(parts), groups


def _read(shard):
    r = sharding.Shard(shard).open_binary()
    out = b""
    while True:
        b = r.read(7)
        if not b:
            break
        out += b
    r.close()
    return out


@pytest.mark.parametrize("piece_bytes", [50, 997, 10 ** 9])
def test_shards_read_every_line_once(corpus, piece_bytes):
    _, parts, _ = corpus
    expected = b"".join(open(os.path.join(parts, n), "rb").read() if not n.endswith(".gz") else
                        gzip.open(os.path.join(parts, n)).read() for n in sorted(os.listdir(parts)))
    for n in (1, 3, 7):
        shards = sharding.shards(parts, n, piece_bytes=piece_bytes)
        text = b"".join(_read(s) for s in shards)
        assert text.splitlines() == expected.splitlines()  # every line once, in order
        if piece_bytes == 50:
            assert sum(len(s) for s in shards) > 10  # the plain files were cut


def test_urls_are_sharded_and_counted_like_paths(scheduler, corpus):
    """Inputs given as URLs (fsspec; file:// here, s3:// or https:// where their packages are installed)
    are cut at line ends into byte ranges as paths are, and the workers open them: the cluster's
    vocabulary of a URL glob equals the local count of the folder."""
    _, parts, _ = corpus
    url = "file://" + parts + "/*"
    shards = sharding.shards(url, 3, piece_bytes=97)
    assert all(p.path.startswith("file://") for s in shards for p in s) and sum(len(s) for s in shards) > 10
    assert b"".join(_read(s) for s in shards).splitlines() == b"".join(_read(s) for s in sharding.shards(parts, 1)).splitlines()
    local = api.vocabulary(parts, min_count=2)
    dist = api.vocabulary(url, min_count=2, dask=scheduler.scheduler_address)
    assert dist.vocab.words == local.vocab.words and dist.vocab.counts.tolist() == local.vocab.counts.tolist()


def test_vocabulary_and_cooccurrences_equal_local(scheduler, corpus):
    _, parts, _ = corpus
    local = api.vocabulary(parts, min_count=2)
    dist = api.vocabulary(parts, min_count=2, dask=scheduler.scheduler_address)
    assert dist.vocab.words == local.vocab.words and dist.vocab.counts.tolist() == local.vocab.counts.tolist()
    assert dist.total_tokens == local.total_tokens
    c_local, v_local = api.cooccurrences(parts, window=4, min_count=2, progress=False)
    c_dist, v_dist = api.cooccurrences(parts, window=4, min_count=2, progress=False, dask=scheduler.scheduler_address)
    assert v_dist.words == v_local.words
    a = {(int(r), int(c)): v for r, c, v in zip(c_local.rows, c_local.cols, c_local.vals)}
    b = {(int(r), int(c)): v for r, c, v in zip(c_dist.rows, c_dist.cols, c_dist.vals)}
    assert a.keys() == b.keys()
    assert all(abs(a[k] - b[k]) <= 1e-9 * max(1.0, abs(a[k])) for k in a)


OPTS = dict(dim=16, epochs=2, min_count=2, seed=3, progress=False)


def test_one_worker_one_shard_is_bit_identical_to_local(corpus):
    path, _, _ = corpus
    local = api.train(path, threads=1, **OPTS)
    dist = api.train(path, dask="local:1", **OPTS)
    assert dist.vocab.words == local.vocab.words
    np.testing.assert_array_equal(dist.vectors.vectors, local.vectors.vectors)
    np.testing.assert_array_equal(dist.params["W_out"], local.params["W_out"])


def test_subword_models_train_on_the_cluster(scheduler, corpus):
    """fastText's subword model on Dask: the bucket rows are rows like any other. One shard is
    bit-identical to --threads 1; two shards train the n-gram rows and answer words never seen."""
    path, parts, groups = corpus
    sub = dict(OPTS, subwords=(2, 4), buckets=3000)
    local = api.train(path, threads=1, **sub)
    one = api.train(path, dask="local:1", **sub)
    np.testing.assert_array_equal(one.vectors.vectors, local.vectors.vectors)
    np.testing.assert_array_equal(one.vectors.ngrams, local.vectors.ngrams)
    two = api.train(parts, dask=scheduler.scheduler_address, shards=2, **dict(sub, epochs=5, dim=24))
    assert two.vectors.buckets == 3000 and two.params["W_in"].shape[0] == len(two.vocab) + 3000
    assert cluster_purity(two.vectors, groups) > 0.6
    unseen = groups[0][0] + "x"
    assert unseen not in two.vectors and np.any(two.vectors[unseen] != 0)


def test_synchronous_rounds_are_deterministic_and_learn(scheduler, corpus):
    path, parts, groups = corpus
    runs = [api.train(parts, dask=scheduler.scheduler_address, shards=3, **dict(OPTS, epochs=5, dim=24))
            for _ in range(2)]
    tiered = api.train(parts, dask=scheduler.scheduler_address, shards=3, sync_rounds=4, sync_hot=3,
                       **dict(OPTS, epochs=5, dim=24))
    assert tiered.stats["full_syncs"] == 20 and tiered.stats["sync_rounds"] == 60
    assert tiered.stats["bytes_per_hot_sync"] < tiered.stats["bytes_per_full_sync"]
    assert cluster_purity(tiered.vectors, groups) > 0.6
    np.testing.assert_array_equal(runs[0].vectors.vectors, runs[1].vectors.vectors)
    # float32 values instead of float16 changes: twice the bytes, the same model within the rounding
    exact = api.train(parts, dask=scheduler.scheduler_address, shards=3, sync_bits=32, **dict(OPTS, epochs=5, dim=24))
    assert exact.stats["bytes_total"] > 1.8 * runs[0].stats["bytes_total"]
    assert not np.array_equal(exact.vectors.vectors, runs[0].vectors.vectors)
    np.testing.assert_allclose(exact.vectors.vectors, runs[0].vectors.vectors, atol=0.05)
    assert cluster_purity(exact.vectors, groups) > 0.6
    with pytest.raises(OptionError, match="sync_bits is 16 or 32"):
        api.train(parts, dask=scheduler.scheduler_address, sync_bits=8, **OPTS)
    assert runs[0].stats["shards"] == 3 and runs[0].stats["full_syncs"] == 5 * trainer.Trainer.FULL_SYNCS
    assert runs[0].stats["sync_rounds"] == 5 * trainer.Trainer.FULL_SYNCS * trainer.Trainer.HOT_ROUNDS
    # the phases around training are timed (the replicas' set-up encodes three shards: never instant)
    phases = [runs[0].stats[k] for k in ("connect_s", "count_s", "setup_s", "close_s")]
    assert all(0 <= t < runs[0].train_seconds + 60 for t in phases) and runs[0].stats["setup_s"] > 0
    # more shards and tokens, more synchronisations (a small corpus keeps the floor)
    assert trainer.Trainer.full_syncs(10_000, 3) == 8
    assert [trainer.Trainer.full_syncs(40_000_000, s) for s in (2, 4, 8, 16)] == [8, 16, 32, 64]
    # the replicas counted their shards for the vocabulary (the pass that encodes them): a local count's
    local = api.vocabulary(parts, min_count=2)
    assert runs[0].vocab.words == local.vocab.words and runs[0].vocab.counts.tolist() == local.vocab.counts.tolist()
    # planted clusters: purity 1.0 for 3 shards on 2 workers, as for a local run, over data seeds 4-6 x
    # training seeds 3-5 (a script run once, this config); untrained vectors score about 0.1
    assert cluster_purity(runs[0].vectors, groups) > 0.6


def _set_live_types(n):
    import w2v.corpus.counting

    old, w2v.corpus.counting.LIVE_TYPES = w2v.corpus.counting.LIVE_TYPES, n
    return old


def test_workers_that_spill_count_exactly(scheduler, corpus):
    """With a live-type limit far below the corpus's types on the workers, the shards' counts spill to disk
    (spill.py): the cluster's vocabulary still equals the local count, and a training run (whose replicas
    count their shards, spill, and read them again) gives the vectors of the run that never spilled."""
    _, parts, _ = corpus
    base = api.train(parts, dask=scheduler.scheduler_address, shards=2, **dict(OPTS, epochs=1))
    client = distributed.Client(scheduler.scheduler_address)
    try:
        client.run(_set_live_types, 30)
        assert set(client.run(_set_live_types, 30).values()) == {30}
        local = api.vocabulary(parts, min_count=2)
        dist = api.vocabulary(parts, min_count=2, dask=scheduler.scheduler_address)
        spilled = api.train(parts, dask=scheduler.scheduler_address, shards=2, **dict(OPTS, epochs=1))
    finally:
        client.run(_set_live_types, 4_000_000)
        client.close()
    assert local.types > 100
    assert dist.vocab.words == local.vocab.words and dist.vocab.counts.tolist() == local.vocab.counts.tolist()
    assert spilled.vocab.words == base.vocab.words
    np.testing.assert_array_equal(spilled.vectors.vectors, base.vectors.vectors)


@pytest.mark.parametrize("stop_at, average", [(4, None), (6, "mean")])
def test_interrupt_and_resume_equals_an_uninterrupted_run(scheduler, corpus, tmp_path, stop_at, average):
    """A checkpoint holds the combined model after a synchronisation; --resume (the replicas given the
    checkpoint's vocabulary and model) continues to the vectors of a run never stopped, whether it stopped
    at the end of the first epoch (the run never stopped carries the last combination into the next epoch)
    or within the second; a resume without --sync-average takes the checkpoint's (here also ``mean``, the
    default before ``adasum``)."""
    from w2v.errors import TrainingInterrupted

    _, parts, _ = corpus
    opts = dict(OPTS, dask=scheduler.scheduler_address, shards=3, sync_rounds=4, sync_hot=2)
    if average:
        opts["sync_average"] = average
    full = api.train(parts, **opts)
    calls = []

    def stop(record):
        calls.append(record)
        return len(calls) == stop_at  # 4 synchronisations an epoch

    ck = tmp_path / "ck.npz"
    with pytest.raises(TrainingInterrupted):
        api.train(parts, checkpoint=str(ck), callback=stop, **opts)
    from w2v.errors import ResumeError

    with pytest.raises(ResumeError, match="trained with --dask on 3 shards, --sync-rounds 4 --sync-hot 2"):
        api.train(parts, resume=str(ck), dask=scheduler.scheduler_address, shards=2, progress=False)
    with pytest.raises(ResumeError, match="not without --dask"):  # its positions count synchronisations
        api.train(parts, resume=str(ck), progress=False)
    resumed = api.train(parts, resume=str(ck), dask=scheduler.scheduler_address, shards=3, sync_rounds=4, sync_hot=2,
                        progress=False)
    assert resumed.stats["full_syncs"] == 8 - stop_at  # only what was left was trained
    if average:  # (given against the checkpoint's: the one-line error, as for every --sync-* option)
        with pytest.raises(ResumeError, match=f"--sync-average {average}"):
            api.train(parts, resume=str(ck), dask=scheduler.scheduler_address, shards=3, sync_rounds=4, sync_hot=2,
                      sync_average="adasum", progress=False)
    np.testing.assert_array_equal(resumed.vectors.vectors, full.vectors.vectors)
    np.testing.assert_array_equal(resumed.params["W_out"], full.params["W_out"])


def test_a_killed_worker_is_survived(tmp_path, corpus):
    path, _, _ = corpus
    lc = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    try:
        client = distributed.Client(lc)
        pids = list(client.run(os.getpid).values())
        client.close()
        killed = []

        def kill_once(record):
            if not killed and record.get("event") == "progress":
                os.kill(pids[1], signal.SIGKILL)
                killed.append(record)
                for _ in range(500):  # until it is gone (the rounds of this small corpus take milliseconds)
                    try:
                        with open(f"/proc/{pids[1]}/stat") as f:
                            if f.read().split()[2] == "Z":
                                break
                    except OSError:  # (gone, between any check and the read)
                        break
                    time.sleep(0.01)
            return False

        opts = dict(OPTS, shards=2)
        got = api.train(path, dask=lc.scheduler_address, callback=kill_once, **opts)
        assert killed and got.stats["replicas_rebuilt"] >= 1
        again = api.train(path, dask=lc.scheduler_address, **opts)  # synchronous: the same vectors
        np.testing.assert_array_equal(got.vectors.vectors, again.vectors.vectors)
    finally:
        lc.close()


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "w2v.cli", *args], capture_output=True, text=True, timeout=120)


def test_errors_are_one_line(tmp_path, corpus):
    path, _, _ = corpus
    r = _cli("vocab", path, "--dask", "tcp://127.0.0.1:1")
    assert r.returncode == 1 and "cannot reach the Dask scheduler" in r.stderr and "Traceback" not in r.stderr
    r = _cli("train", str(tmp_path / "missing*.txt"), "--dask", "local:1", "-o", str(tmp_path / "v.bin"))
    assert r.returncode == 1 and "no files match" in r.stderr and "Traceback" not in r.stderr
    r = _cli("train", path, "--dask", "local:x", "-o", str(tmp_path / "v.bin"))
    assert r.returncode == 1 and "local:N" in r.stderr
    r = _cli("train", path, "--dask", "local:1", "--model", "nplm", "-o", str(tmp_path / "m.npz"))
    assert r.returncode == 1 and "sg or cbow" in r.stderr
    with pytest.raises(OptionError, match="sync_average is adasum, mean, sum or all, not 'median'"):
        api.train(path, dask="local:1", sync_average="median", progress=False)


def test_a_script_without_a_main_guard_gets_one_error_not_every_workers_traceback(tmp_path, corpus):
    """Dask starts local:N's workers as new Python processes that import the calling script again; a script
    that calls w2v.train(dask="local:N") at its top level made each of them fail with multiprocessing's own
    traceback (about 200 lines). Now the workers end quietly and the script gets one OptionError naming the
    fix."""
    path, _, _ = corpus
    script = tmp_path / "no_guard.py"
    script.write_text(f"import w2v\nw2v.train({path!r}, dask='local:1', epochs=1, progress=False, "
                      f"output={str(tmp_path / 'v.bin')!r})\n")
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "OptionError" in r.stderr and "if __name__ == '__main__':" in r.stderr
    assert "bootstrapping phase" not in r.stderr  # (multiprocessing's message in each worker)
    assert not (tmp_path / "v.bin").exists()


def test_glove_counts_on_the_cluster(scheduler, corpus):
    _, parts, groups = corpus
    local = api.train(parts, model="glove", dim=16, epochs=5, min_count=2, threads=1, progress=False)
    dist = api.train(parts, model="glove", dim=16, epochs=5, min_count=2, threads=1, progress=False,
                     dask=scheduler.scheduler_address)
    assert dist.vocab.words == local.vocab.words and dist.stats["nonzeros"] == local.stats["nonzeros"]
    assert cluster_purity(dist.vectors, groups) > 0.6


def test_without_dask_installed_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(OptionError, match=r"w2v\[dask\]"):
        connection.connect("local:1")


def test_combine_sums_or_averages_changed_rows_or_every_row():
    base_in = np.zeros((4, 2), np.float32)
    base_out = np.ones((3, 2), np.float32)
    a = [(np.array([0, 1]), np.array([[2, 2], [4, 4]], np.float32)), (np.array([2]), np.array([[3, 3]], np.float32))]
    b = [(np.array([1, 3]), np.array([[8, 8], [6, 6]], np.float32)), (np.array([], np.int64), np.zeros((0, 2), np.float32))]
    base = (base_in, base_out)
    (rows, vals, n), (orows, ovals, _) = rowsync.combine([a, b], base, "sum")
    assert rows.tolist() == [0, 1, 3] and vals[:, 0].tolist() == [2, 12, 6]  # row 1: 0 + 4 + 8
    assert n.tolist() == [1, 2, 1] and orows.tolist() == [2] and ovals[:, 0].tolist() == [3]
    (rows, vals, n), _ = rowsync.combine([a, b], base, "mean")
    assert vals[:, 0].tolist() == [1, 6, 3]  # every row: the mean of both replicas' changes (0 where none)
    assert n.tolist() == [3, 3, 3]  # (every replica needs every row back: none holds its combined value)
    (rows, vals, _), (orows, ovals, _) = rowsync.combine([a, b], base, "all")
    assert rows.tolist() == [0, 1, 3] and vals[:, 0].tolist() == [1, 6, 3]  # a replica's unchanged row counts as 0
    assert ovals[:, 0].tolist() == [2]  # (3 + 1) / 2
    odd = np.float32(0.1) + np.zeros((1, 2), np.float32)  # one replica: its values exactly, not base + delta
    (rows, vals, _), _ = rowsync.combine([[(np.array([0]), odd), (np.array([], np.int64), np.zeros((0, 2), np.float32))]],
                                         (np.full((1, 2), 0.7, np.float32), base_out), "sum")
    assert np.array_equal(vals, odd)


@pytest.mark.parametrize("half", [False, True])
def test_every_row_moves_as_one_model_on_all_the_data_whatever_replicas_changed_it(half):
    """The combination's first-order target (issue 24): with replicas stepping at S x alpha, a row changed by
    1, k or all S replicas moves by the sum of their changes at alpha. Changes here are linear in the rate
    (lr x a fixed gradient per replica and row), so the first order is exact; before the fix a row one
    replica changed moved S times too far."""
    S, D, alpha = 4, 6, 0.01
    rng = np.random.default_rng(0)
    base_in, base_out = rng.standard_normal((5, D)).astype(np.float32), np.zeros((1, D), np.float32)
    touched = {0: [0], 1: [0, 2], 2: [0, 1, 2], 3: [0, 1, 2, 3]}  # row -> the replicas that change it; row 4: none
    grad = rng.standard_normal((S, 5, D)) * 0.5
    changed = []
    for i in range(S):
        rows = np.array([x for x, who in touched.items() if i in who], np.int64)
        step = (S * alpha * grad[i, rows]).astype(np.float32)  # a replica's change at S x alpha
        if half:
            from w2v.half import encode_rows

            payload = encode_rows(step)
        else:
            payload = base_in[rows] + step
        changed.append([(rows, payload), (np.array([], np.int64),
                                          np.zeros((0, D), np.uint16 if half else np.float32))])
    (rows, vals, n), _ = rowsync.combine(changed, (base_in, base_out), "mean", half)
    W = base_in.copy()
    rowsync.apply(W, rows, vals, half)
    expect = base_in.astype(np.float64).copy()
    for x, who in touched.items():
        expect[x] += alpha * grad[who, x].sum(axis=0)  # one model: every replica's gradient at alpha
    tol = 2e-3 if half else 1e-6  # (float16 changes: 11 significant bits, twice rounded)
    np.testing.assert_allclose(W, expect, rtol=0, atol=tol)
    assert np.array_equal(W[4], base_in[4])  # untouched
    assert rows.tolist() == [0, 1, 2, 3] and (n > S).all()  # (every replica takes every row back)


@pytest.mark.parametrize("half", [False, True])
def test_adasum_adds_orthogonal_changes_and_averages_parallel_ones(half):
    """The default combination: a row's changes from the replicas that changed it, folded in shard order by
    AdaSum, g <- (1 - g.d / 2|g|^2) g + (1 - g.d / 2|d|^2) d: one replica's change kept as it is, equal
    changes giving one of them (not S times it, as ``sum``), orthogonal ones their sum, and any two the
    formula (computed here in float64 from the changes as sent)."""
    from w2v.half import DECODE, encode_rows

    S, D = 3, 4
    rng = np.random.default_rng(1)
    base_in, base_out = rng.standard_normal((5, D)).astype(np.float32), np.zeros((1, D), np.float32)
    e = np.eye(D, dtype=np.float32) * np.float32(0.5)
    u, v = np.float32([0.25, -0.5, 0.125, 1.0]), np.float32([0.75, 0.25, -0.5, 0.5])
    change = {0: {1: u},  # row -> {replica: its change}; row 4 untouched
              1: {0: u, 1: u, 2: u},
              2: {0: e[0], 1: e[1], 2: e[2]},
              3: {0: u, 2: v}}
    changed = []
    for i in range(S):
        rows = np.array([x for x in sorted(change) if i in change[x]], np.int64)
        step = np.array([change[x][i] for x in rows], np.float32).reshape(-1, D)
        payload = encode_rows(step) if half else base_in[rows] + step
        changed.append([(rows, payload), (np.array([], np.int64), np.zeros((0, D), payload.dtype))])
    (rows, vals, n), _ = rowsync.combine(changed, (base_in, base_out), "adasum", half)
    assert rows.tolist() == [0, 1, 2, 3] and n.tolist() == [1, 3, 3, 2]
    got = DECODE[vals].astype(np.float64) if half else vals - base_in[rows].astype(np.float64)
    if half:
        W = base_in.copy()
        rowsync.apply(W, rows, vals, half)
        np.testing.assert_allclose(W[rows] - base_in[rows], got, rtol=0, atol=1e-6)
    else:  # one replica's row: its values exactly
        assert np.array_equal(vals[0], base_in[0] + u)
    g, d = u.astype(np.float64), v.astype(np.float64)
    both = (1 - g @ d / (2 * g @ g)) * g + (1 - g @ d / (2 * d @ d)) * d
    expect = np.array([u, u, e[0] + e[1] + e[2], both], np.float64)
    tol = 1e-3 if half else 1e-6  # (float16 changes: 11 significant bits)
    np.testing.assert_allclose(got, expect, rtol=0, atol=tol)
    assert abs(np.linalg.norm(got[1]) - np.linalg.norm(u)) < tol  # `sum` would give 3u


def test_adasum_replicas_step_at_sqrt_shards_times_alpha_up_to_a_ceiling():
    """The replicas' rate with ``adasum``: sqrt(S) x --alpha, at most MAX_REPLICA_SCALE x --alpha and
    MAX_REPLICA_ALPHA, never below --alpha; ``mean`` S x --alpha; one shard --alpha."""
    from types import SimpleNamespace

    def scale(mode, S, alpha):
        t = object.__new__(trainer.Trainer)
        t.parts, t.run, t.cfg = [None] * S, SimpleNamespace(sync_average=mode), SimpleNamespace(start_alpha=alpha)
        return t.alpha_scale

    cap, times = trainer.Trainer.MAX_REPLICA_ALPHA, trainer.Trainer.MAX_REPLICA_SCALE
    assert times == 2
    assert scale("adasum", 1, 0.025) == 1 and scale("mean", 1, 0.025) == 1
    assert scale("adasum", 2, 0.025) == pytest.approx(2 ** 0.5) and scale("adasum", 4, 0.025) == 2
    assert scale("adasum", 8, 0.025) == scale("adasum", 64, 0.025) == times  # (sqrt(8) x 0.025: 2 x --alpha)
    assert scale("adasum", 16, 0.01) == times and scale("adasum", 64, 0.07) * 0.07 == pytest.approx(cap)
    assert scale("adasum", 2, 0.05) == pytest.approx(2 ** 0.5)
    assert scale("adasum", 16, 0.05) * 0.05 == pytest.approx(cap)
    assert scale("adasum", 16, 0.2) == 1  # (a rate above the ceiling already: left as given)
    assert scale("mean", 8, 0.025) == 8 and scale("sum", 8, 0.025) == 1


def _simulate_rounds(half, replicas=3, V=40, D=5, rounds=8, seed=0, mode="mean"):
    """Replicas' RowSync through rounds of random training (each changes a few hot and cold rows of both
    matrices), combined as the replicas do: owner j combines every replica's part of slice j (rows x % S ==
    j) into its master slice, and every replica takes every owner's combined slice; every second round is
    full. Returns the combined model (the owners' slices put together) and the replicas' RowSync, checked
    after each round: every replica holds the combined model's values (all rows after a full round, the hot
    rows after the others), its snapshot too."""
    rng = np.random.default_rng(seed)
    start = (rng.standard_normal((V, D)).astype(np.float32), rng.standard_normal((V + 1, D)).astype(np.float32))
    S = replicas
    masters = [tuple(M[j::S].copy() for M in start) for j in range(S)]
    syncs = [rowsync.RowSync([M.copy() for M in start], (10, 10), half, S) for _ in range(replicas)]
    for r in range(rounds):
        full = r % 2 == 1
        changed = []
        for sync in syncs:
            for M in sync.W:  # training: a few rows change (one of them among the hot rows, which all share)
                rows = np.concatenate([[r % 10], rng.choice(M.shape[0], 4, replace=False)])
                M[rows] += (rng.standard_normal((len(rows), D)) * 0.01).astype(np.float32)
            moved = [np.flatnonzero((M != snap).any(axis=1)) for M, snap in zip(sync.W, sync.snap)]
            values = [M[x] for M, x in zip(sync.W, moved)]
            changed.append(sync.report(full))
            for m, (x, v) in enumerate(zip(moved, values)):  # the slices hold the changed rows, each slice in order
                upto = len(sync.W[m]) if full else 10
                x, v = x[x < upto], v[x < upto]
                back = np.concatenate([changed[-1][j][m][0] * S + j for j in range(S)])
                np.testing.assert_array_equal(np.sort(back), x)
                for j in range(S):
                    within, got = changed[-1][j][m]
                    assert np.all(np.diff(within) > 0)
                    if not half:  # (float16 changes: checked through the combined model below)
                        np.testing.assert_array_equal(got, v[np.searchsorted(x, within * S + j)])
        taken = []
        for j in range(S):  # owner j: the parts of its slice, combined in shard order
            combined = rowsync.combine([c[j] for c in changed], masters[j], mode, half)
            for M, (rows, vals, _) in zip(masters[j], combined):
                rowsync.apply(M, rows, vals, half)
            taken.append([(rows, vals) for rows, vals, _ in combined])
        model = tuple(np.empty_like(M) for M in start)
        for j in range(S):
            for W, M in zip(model, masters[j]):
                W[j::S] = M
        for sync in syncs:
            sync.take(taken)
            for M, snap, W, hot in zip(sync.W, sync.snap, model, (10, 10)):
                upto = len(W) if full else hot
                np.testing.assert_array_equal(M[:upto], W[:upto])
                np.testing.assert_array_equal(snap[:upto], W[:upto])
    return model, syncs


@pytest.mark.parametrize("mode", ["mean", "adasum"])
def test_replicas_hold_the_combined_models_values_after_each_synchronisation(mode):
    """With values (float32) and with float16 changes, replicas and the combined model agree bit for bit on
    every combined row (with ``adasum`` a row one replica changed combines to that replica's own change or
    value); the float16 run's model stays within rounding of the float32 run's."""
    exact, _ = _simulate_rounds(half=False, mode=mode)
    rounded, _ = _simulate_rounds(half=True, mode=mode)
    for a, b in zip(exact, rounded):
        assert not np.array_equal(a, b)  # (the changes were rounded)
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-4)  # changes ~0.01 a round, 11 significant bits


class _Scan:  # what _counts_of reads of a scan: (word, count) pairs, tokens, invalid UTF-8 tokens
    def __init__(self, pairs, invalid=0):
        self.words, self.counts = [w for w, _ in pairs], np.array([c for _, c in pairs], np.int64)
        self.total_tokens, self.invalid_utf8 = int(self.counts.sum()), invalid


def test_shard_counts_merge_compactly_to_the_summed_counts():
    """Shards' counts travel as Counts (one byte array of words) and merge in a Numba table: the merged
    vocabulary is that of the summed counts; twins (two invalid byte strings decoded to the same word) add
    up, in a shard and across shards; an empty shard adds nothing."""
    from w2v.vocab import build_vocab

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(300)] + ["é", "日本", "a\ufffdb"]
    shards = []
    for k in range(3):
        picked = rng.choice(len(words), 120, replace=False)
        shards.append([(words[i], int(rng.integers(1, 9))) for i in picked])
    shards[0] += [("a\ufffdb", 4), ("a\ufffdb", 2)]  # twins within a shard and, with shard 1, across shards
    shards[1].append(("a\ufffdb", 1))
    parts = [counting.counts_of(_Scan(s, invalid=k)) for k, s in enumerate(shards)] + [counting.counts_of(_Scan([]))]
    merged = counting.merge_counts(counting.merge_counts(parts[0], parts[1]), counting.merge_counts(parts[2], parts[3]))
    total = {}
    for s in shards:
        for w, c in s:
            total[w] = total.get(w, 0) + c
    assert len(merged.count) == len(total) and merged.tokens == sum(total.values()) and merged.invalid == 3
    for min_count, max_vocab in ((1, None), (6, None), (3, 40)):
        report = counting.report(merged, min_count, max_vocab)
        want, _ = build_vocab(list(total), list(total.values()), np.arange(len(total)), 0, min_count, max_vocab,
                              may_repeat=False)
        assert report.vocab.words == want.words and report.vocab.counts.tolist() == want.counts.tolist()
        assert report.types == len(total)
    from w2v.errors import CorpusError

    with pytest.raises(CorpusError, match="empty"):
        counting.report(parts[3], 1, None)


def test_rebuild_tries_again_while_a_dead_worker_is_still_listed(monkeypatch):
    """For a moment after a worker dies the scheduler may still place work on it (a scatter to it fails):
    rebuilding a lost replica is tried again, the others go back to the step's start (their own copy of
    it), the new one starts from a survivor's copy, and after the last attempt the run ends in one line."""
    import types

    from w2v.errors import W2VError

    done = types.SimpleNamespace(result=lambda: None)

    class Rep:
        def __init__(self):
            self.restores = 0

        def restore(self):
            self.restores += 1
            return done

        def base_model(self):
            return types.SimpleNamespace(result=lambda: ("W_in", "W_out"))

    t = trainer.Trainer.__new__(trainer.Trainer)
    t.replicas, t.where, t.pending, t.inflight, t.model = [Rep(), Rep(), Rep()], ["a", "b", "c"], [], [], None
    live = [["a", "c"]]
    monkeypatch.setattr(trainer, "workers_of", lambda client: live[0])
    t.client = None
    calls = []

    def flaky(which, workers=None, params=None):
        calls.append((list(which), workers, params))
        if len(calls) == 1:
            raise OSError("Stream is closed")
        return [Rep()]

    monkeypatch.setattr(t, "_replicas", flaky)
    monkeypatch.setattr(trainer.time, "sleep", lambda s: None)
    t._rebuild({1})
    assert [c[0] for c in calls] == [[1], [1]] and calls[-1][2] == {"W_in": "W_in", "W_out": "W_out"}
    assert t.where[1] in ("a", "c") and t.replicas[1].restores == 0 and t.replicas[0].restores >= 1

    def down(which, workers=None, params=None):
        raise OSError("down")

    live[0], t.where = ["a", "b"], ["a", "b", "c"]
    monkeypatch.setattr(t, "_replicas", down)
    with pytest.raises(W2VError, match=r"replicas of shards \[2\] could not be rebuilt"):
        t._rebuild({2}, attempts=3)


def test_a_task_that_keeps_failing_ends_the_run_in_one_line(corpus, monkeypatch):
    """A replica's round that raises (a bug, not a lost worker) is tried again from the step's start, and
    after three failures the run ends with a one-line error naming it, instead of retrying for ever."""
    from w2v.cluster import replica
    from w2v.errors import W2VError

    path, _, _ = corpus
    calls = []

    def broken(self, *args, **kwargs):
        calls.append(self.shard)
        raise ValueError("broken round")

    monkeypatch.setattr(replica.Replica, "train_round", broken)
    lc = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0")
    try:
        with pytest.raises(W2VError, match=r"a task of replica \d failed 3 times with every worker up "
                                           r"\(ValueError: broken round\)"):
            api.train(path, dask=lc.scheduler_address, shards=2, **OPTS)
    finally:
        lc.close()
    assert len(calls) >= 3
