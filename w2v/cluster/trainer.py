"""Skip-gram and CBOW trained by replicas on a Dask cluster: the trainer that choices.MODELS names for
``--dask`` (rounds, combination, checkpoints, a lost worker's replica rebuilt)."""

import math
import time

import numpy as np


from w2v.choices import MODELS
from w2v.errors import CorpusError, OptionError, W2VError
from w2v.output import layer
from w2v.cluster.connection import close, connect, workers_of
from w2v.cluster.counting import Words, merge_counts, replica_count, report, tree
from w2v.cluster.replica import Replica, combine_task, hot_rows, slices_task, train_task
from w2v.corpus.pieces import shards
from w2v.trainers import Prepared

class _Lost(Exception):
    def __init__(self, lost):
        super().__init__(lost)
        self.lost = lost  # [(shard, exception)]


class _WorkerGone(RuntimeError):
    """The worker that held a replica left the cluster."""

    def __init__(self):
        super().__init__("its worker left the cluster")


class _Stopped(Exception):
    """A signal came while the replicas trained a round: the step is abandoned."""


def _wait(futures, stop, alive):
    """Wait for the tasks ``futures`` in waits of at most 50 ms (so the main thread takes signals soon; each
    returns as soon as every task is done): raises _Stopped as soon as ``stop`` is set, and _Lost naming the
    shards whose worker is gone (``alive()`` returns them, or raises W2VError) or whose task failed; a
    task's W2VError is raised as it is."""
    from distributed import wait

    checked = time.monotonic()
    while True:
        failed = [(s, f) for s, f in enumerate(futures) if f.status in ("error", "lost", "cancelled")]
        if failed:
            lost = []
            for s, f in failed:
                e = f.exception() if f.status == "error" else RuntimeError(f"task {f.status}")
                if isinstance(e, W2VError):
                    raise e
                lost.append((s, e))
            gone = alive()
            raise _Lost(lost + [(s, _WorkerGone()) for s in gone if s not in dict(lost)])
        if all(f.status == "finished" for f in futures):
            return
        if stop[0]:
            raise _Stopped
        if time.monotonic() - checked > 0.5:  # (a task pinned to a dead worker would wait for it forever)
            checked = time.monotonic()
            gone = alive()
            if gone:
                raise _Lost([(s, _WorkerGone()) for s in gone])
        try:
            wait(futures, timeout=0.05)
        except TimeoutError:
            pass
        except Exception:  # noqa: BLE001 - e.g. a task cancelled meanwhile: the statuses above say what happened
            time.sleep(0.005)


class Trainer:
    """Skip-gram and CBOW trained by replicas on the cluster, as a trainer under the one driver (so the
    progress bar, JSON log, callback, signals and checkpoints work as locally). A position is a count of
    finished rounds in the epoch; a checkpoint holds the combined model after one."""

    memory_remedy = "lower --dim or --max-vocab, or raise --min-count"
    FULL_SYNCS = 8  # full synchronisations per epoch, at least (steps of the progress bar, checkpoint points)
    TOKENS_PER_SYNC = 10_000_000  # ... and more with more shards and tokens: see full_syncs
    HOT_ROUNDS = 4  # rounds per full synchronisation (the frequent words' rows are combined after each)
    MAX_REPLICA_ALPHA = 0.1  # adasum's replicas step at sqrt(S) x --alpha, up to this (see alpha_scale) ...
    MAX_REPLICA_SCALE = 2.0  # ... and up to this times --alpha

    @classmethod
    def full_syncs(cls, tokens, shards):
        """The default full synchronisations per epoch: 8, or one per TOKENS_PER_SYNC of tokens x shards
        when that is more. The replicas' models drift apart between synchronisations, and more so the more
        shards share the rate (bench-en, sg, 1 epoch: at 8 shards 22.3 analogy with 8, 26.5 with 32, 28.7
        with 64, local 30.8); 2 shards on bench-en's 40M tokens keep 8, a local run's quality."""
        return max(cls.FULL_SYNCS, -(-tokens * shards // cls.TOKENS_PER_SYNC))

    def __init__(self, cfg, run):
        if MODELS[cfg.model].dask != __name__:  # (the driver picks this trainer from the model's entry)
            raise OptionError(f"--dask trains --model {' or '.join(m for m, a in MODELS.items() if a.dask == __name__)} "
                              f"here, not {cfg.model}")
        self.cfg, self.run = cfg, run
        whole = run.sync_average == "all"  # Spark's baseline: every row over every replica, once an epoch
        self.whole = whole
        self.steps_per_epoch = None  # (prepare: from --sync-rounds, or the tokens and shards)
        self.hot_rounds = 1 if whole else run.sync_hot or self.HOT_ROUNDS  # rounds per step; the last is full
        t0 = time.perf_counter()
        self.client = connect(run.dask)
        # (the phases around training, in seconds: the run's stats report them beside the rounds')
        self.phases = {"connect_s": time.perf_counter() - t0, "count_s": 0.0, "setup_s": 0.0, "close_s": 0.0}
        self.replicas, self.where, self.ready = None, None, False
        self.pending = []  # the owners' combined slices (task futures) that the replicas take at their next round
        self.model = None  # the owners' slices of the combined model at the current position (task futures)
        self.resumed = True  # until init() says the run is fresh
        self.interrupted = False  # a stop abandoned a round: the replicas may still be training it
        self.inflight = []  # the round's tasks (cancelled when a worker is lost)
        self.last_full = True  # whether the last round was a full synchronisation
        self.sync = {"rounds": 0, "full": 0, "bytes_up": 0, "bytes_down": 0, "bytes_hot": 0, "bytes_full": 0,
                     "bytes_taken_hot": 0, "bytes_taken_full": 0, "rebuilt": 0, "compute_s": 0.0, "round_s": 0.0,
                     "overhead_full_s": 0.0, "overhead_hot_s": 0.0, "take_s": 0.0, "report_s": 0.0, "combine_s": 0.0}

    def prepare(self, corpus, workdir, resumed_vocab, threads=None):
        from w2v.prepare import known_vocab

        t0 = time.perf_counter()
        self.parts = shards(corpus, self.run.shards or len(workers_of(self.client)))
        # The replicas exchange their rows' changes since the last combination in float16 (half the bytes;
        # each round's change rounded to 11 significant bits, the same way for every replica and the combined
        # model), except with --sync-bits 32 or one shard (values unchanged: one shard trains as locally).
        self.half = self.run.sync_bits == 16 and len(self.parts) > 1
        # one replica per shard, dealt over the workers; each counts its shard with the scan that also
        # writes its id stream (one pass over the text, as locally), and the counts merge in a tree of tasks
        workers = workers_of(self.client)
        self.where = [workers[s % len(workers)] for s in range(len(self.parts))]
        self.replicas = self._replicas(range(len(self.parts)), self.where)
        counted = [self.client.submit(replica_count, rep, workers=w, allow_other_workers=True, pure=False)
                   for rep, w in zip(self.replicas, self.where)]
        counts = report(tree(self.client, counted, merge_counts), self.cfg.min_count, self.cfg.max_vocab)
        known = known_vocab(self.run.read_vocab, resumed_vocab)
        self.vocab = known if known is not None else counts.vocab
        if len(self.vocab) == 0:
            raise CorpusError(f"vocabulary is empty: no word occurs at least --min-count {self.cfg.min_count} times")
        self.total_tokens = counts.total_tokens
        self.steps_per_epoch = 1 if self.whole else self.run.sync_rounds or (
            self.full_syncs(self.total_tokens, len(self.parts)) if len(self.parts) > 1 else self.FULL_SYNCS)
        self.n_out = layer(self.cfg.loss).n_out(len(self.vocab))
        # (a checkpoint's positions count synchronisations: a resume needs the same shards and schedule)
        sync = [self.steps_per_epoch, self.hot_rounds, self.run.sync_average]
        self.phases["count_s"] = time.perf_counter() - t0
        return Prepared(self.vocab, self.vocab, {"total_tokens": counts.total_tokens, "shards": len(self.parts),
                                                 "sync": sync},
                        f"vocabulary: {len(self.vocab)} words of {counts.total_tokens} tokens, counted on "
                        f"{len(workers)} workers; {len(self.parts)} shards")

    def memory(self):
        from w2v.trainers.stream import memory_estimate

        from w2v.trainers.word2vec import n_inputs

        return memory_estimate(len(self.vocab), self.cfg, self.n_out, n_in=n_inputs(self.cfg, len(self.vocab)),
                               row_copy=False)  # (the replicas train W_in's rows where they lie)

    def init(self):
        from w2v.trainers.word2vec import fresh_params

        self.resumed = False  # (the driver calls init only for a fresh run: the replicas make these themselves)
        W_in, W_out = fresh_params(self.cfg, len(self.vocab), self.n_out)
        return {"W_in": W_in, "W_out": W_out}

    @property
    def alpha_scale(self):
        """The replicas' learning rate over --alpha. ``adasum`` (the default) moves a row by the AdaSum of
        the replicas' changes, between once (the changes parallel) and S times (orthogonal) a replica's
        change: the replicas step at sqrt(S) times the rate, the rate between those two ends, but not above
        MAX_REPLICA_SCALE times --alpha or MAX_REPLICA_ALPHA (and never below --alpha). On bench-en, 1
        epoch: sg at 8 shards 23.81 analogy at alpha, 32.29 at sqrt(8) x alpha (local 30.80); cbow at 8
        shards 26.18 at sqrt(8) x 0.05 = 0.14, 27.33 at 0.1, at 16 shards 21.88 at 0.2, 30.68 at 0.1 (local
        28.06); sg's SimLex fell 0.023 at 8 shards (0.071) and 0.039 at 16 (0.1), as a local run's does at
        0.1 (0.289 against 0.310 at 0.025 and 0.314 at 0.05): docs/distributed.md. ``mean`` moves a
        row by the mean of the S replicas' changes: the replicas step at S times the rate, so that to first
        order the row moves by the sum of their changes at the rate (the linear scaling rule), whichever
        replicas changed it; at S x alpha the replicas' own updates go wrong from 8 shards on (16 x 0.025
        diverges). ``sum`` adds the changes as they are, and Spark's ``all`` does not scale. With one shard
        nothing changes."""
        S = len(self.parts)
        if self.run.sync_average == "adasum":
            return max(1.0, min(math.sqrt(S), self.MAX_REPLICA_SCALE, self.MAX_REPLICA_ALPHA / self.cfg.start_alpha))
        return S if self.run.sync_average == "mean" else 1

    def _replicas(self, which, workers=None, params=None):
        """Start replicas for the shards ``which`` at once (on ``workers``, one each, where given). Without
        ``params`` they wait to count their shards and be set up; with them (a replica rebuilt after its
        worker died) each encodes its shard with the vocabulary and takes the model, sent once per worker."""
        fields = {k: getattr(self.cfg, k) for k in self.cfg.__dataclass_fields__}
        fields.update(alpha=self.cfg.start_alpha * self.alpha_scale, min_alpha=self.cfg.end_alpha * self.alpha_scale)
        futures = []
        for i, s in enumerate(which):
            where = {"workers": workers[i], "allow_other_workers": True} if workers else {}
            args = ()
            if params is not None:
                args = (Words(self.vocab.words), self.vocab.counts,
                        *(self.client.scatter(params[k], **({"workers": workers[i]} if workers else {}))
                          for k in ("W_in", "W_out")))
            futures.append(self.client.submit(Replica, fields, self.parts[s], s, *args, half=self.half, actor=True,
                                              shards=len(self.parts), mode=self.run.sync_average, pure=False,
                                              **where))
        return [f.result() for f in futures]

    def _alive(self):
        """The shards whose replica's worker has left the cluster."""
        try:
            live = set(workers_of(self.client))
        except Exception as e:
            raise W2VError(f"lost the Dask scheduler ({type(e).__name__}: {e})") from None
        return [s for s, w in enumerate(self.where) if w not in live]

    def _task(self, fn, s, *args, priority=0):
        """``fn(*args)`` as a task on the worker of replica ``s``."""
        return self.client.submit(fn, *args, workers=[self.where[s]], allow_other_workers=False, pure=False,
                                  priority=priority)

    def _rebuild(self, lost, attempts=60):
        """Replace the replicas of the shards ``lost`` (their workers died) and take every replica back to the
        start of the step: the survivors from their own copy of it (Replica.restore), the new ones, on the
        workers left, from a survivor's (brought here once: a rare event). For a moment after a worker dies
        the scheduler may still list it: a failure is tried again once a second (a survivor that fails its
        restore is rebuilt too), then ends the run in one line."""
        for attempt in range(attempts):
            try:
                for f in self.pending + self.inflight:
                    f.cancel()
                self.pending, self.inflight = [], []
                live = workers_of(self.client)
                # (a shard named lost because a task of its failed, its worker alive, is restored like the others)
                lost = {s for s, w in enumerate(self.where) if w not in live}
                survivors = [s for s in range(len(self.replicas)) if s not in lost]
                if not survivors:
                    raise W2VError("the Dask cluster lost the workers of every replica; with --checkpoint, --resume "
                                   "continues from the last one")
                calls = {s: self.replicas[s].restore() for s in survivors}
                for s, call in calls.items():
                    try:
                        call.result()
                    except W2VError:
                        raise
                    except Exception:
                        lost.add(s)
                if lost:
                    donor = next(s for s in range(len(self.replicas)) if s not in lost)
                    W_in, W_out = self.replicas[donor].base_model().result()
                    for s in sorted(lost):
                        target = live[s % len(live)]
                        self.replicas[s] = self._replicas([s], [target], {"W_in": W_in, "W_out": W_out})[0]
                        self.where[s] = target
                        lost.discard(s)
                if self.model is not None:  # (the step's start, from the owners as they are now)
                    self.model = [self._task(slices_task, j, rep, priority=1) for j, rep in enumerate(self.replicas)]
                return
            except W2VError:
                raise
            except Exception as e:
                if attempt == attempts - 1:
                    raise W2VError(f"the Dask cluster lost workers and the replicas of shards {sorted(lost)} could "
                                   f"not be rebuilt ({type(e).__name__}: {e}); with --checkpoint, --resume "
                                   "continues from the last one") from None
            time.sleep(1)

    def _gather(self, params):
        """The combined model at the current position into ``params`` (the owners' slices, brought here)."""
        if self.model is None:
            return
        S = len(self.parts)
        for j, (W_in_j, W_out_j) in enumerate(self.client.gather(self.model)):
            params["W_in"][j::S] = W_in_j
            params["W_out"][j::S] = W_out_j

    def epochs(self, params):
        from w2v.epochs import Epochs, divergence_test
        from w2v.messages import log
        from w2v.kernels import decay

        cfg = self.cfg
        steps_per_epoch, hot_rounds = self.steps_per_epoch, self.hot_rounds
        rounds = steps_per_epoch * hot_rounds

        def start():
            if not self.ready:  # the replicas encode their shards with the vocabulary and make the model
                t0 = time.perf_counter()
                weights = (params["W_in"], params["W_out"]) if self.resumed else (None, None)
                for call in [rep.setup(Words(self.vocab.words), self.vocab.counts, *weights) for rep in self.replicas]:
                    call.result()
                self.ready = True
                self.phases["setup_s"] += time.perf_counter() - t0

        def step(epoch, p, stop):
            """The rounds of step p, as tasks on the workers: each replica trains (taking the owners'
            combined slices of the round before), then each owner combines its slice; the client waits and
            counts. Raises _Lost naming the replicas whose workers died, _Stopped on a stop."""
            loss = predictions = 0
            # every round of the step is submitted at once, each depending on the one before (its replicas
            # take the owners' combination of it), so a round starts on the workers as soon as the last one
            # is combined, not after the client has heard of it and answered
            queued, before = [], self.pending
            for h in range(1, hot_rounds + 1):
                r, full = (p - 1) * hot_rounds + h, h == hot_rounds
                trained = [self._task(train_task, s, rep, epoch, r, rounds, full, h == 1, *before)
                           for s, rep in enumerate(self.replicas)]
                combined = [self._task(combine_task, j, rep, j, self.replicas, full, *trained)
                            for j, rep in enumerate(self.replicas)]
                queued.append((trained, combined))
                before = combined
            t0 = time.perf_counter()
            for h in range(1, hot_rounds + 1):
                # (the client lets go of each round once counted, so that the workers free its rows as soon as
                # the next round has taken them, as when rounds were submitted one by one)
                self.inflight = [f for tasks in queued[h - 1:] for group in tasks for f in group]
                (trained, combined), queued[h - 1] = queued[h - 1], None
                full = h == hot_rounds
                _wait(trained, stop, self._alive)
                results = self.client.gather(trained)  # (small: a replica's loss, counts, seconds and bytes)
                _wait(combined, stop, self._alive)
                self.pending = combined
                # the busiest worker's kernel time (replicas sharing a worker train in turn)
                per_worker = {}
                for w, res in zip(self.where, results):
                    per_worker[w] = per_worker.get(w, 0.0) + res[2]
                kernel_s = max(per_worker.values())
                for k, v in zip(("take_s", "report_s", "combine_s"), np.sum([res[5] for res in results], axis=0)):
                    self.sync[k] += v
                round_s = time.perf_counter() - t0  # (from the last round's end as the client saw it)
                t0 += round_s
                self.sync["rounds"] += 1
                self.sync["full"] += full
                self.sync["compute_s"] += kernel_s
                self.sync["round_s"] += round_s
                self.sync["overhead_full_s" if full else "overhead_hot_s"] += round_s - kernel_s
                # the changed rows each replica sends to the other owners, and what it takes from them
                # (the latter counted at its next round: the combination's rows, one round late)
                up = sum(res[4] for res in results)
                down = sum(res[3] for res in results)
                self.sync["bytes_up"] += up
                self.sync["bytes_down"] += down
                self.sync["bytes_full" if full else "bytes_hot"] += up
                self.sync["bytes_taken_full" if self.last_full else "bytes_taken_hot"] += down
                self.last_full = full
                loss += sum(res[0] for res in results)
                predictions += sum(res[1] for res in results)
            # the combined model at the step's end stays on the owners' workers, for a checkpoint or the end
            # (first in their queues: a stop during the next step gathers it at once)
            self.model = [self._task(slices_task, j, rep, *self.pending, priority=1)
                          for j, rep in enumerate(self.replicas)]
            self.inflight = []
            return loss, predictions

        def steps(epoch, position, stop):
            """Steps of whole rounds. A stop abandons the step under way: the combined model goes back to its
            start, the step's position, which a checkpoint then holds and a resume trains again (a
            round's replicas may run for minutes; their combination is no clean point to stop at)."""
            start()
            for p in range(position + 1, steps_per_epoch + 1):
                failures = 0  # (tasks that failed while every worker stayed: tried again, then an error)
                while True:
                    try:
                        loss, predictions = step(epoch, p, stop)
                        break
                    except _Stopped:
                        self.interrupted = True
                        for f in self.inflight:
                            f.cancel()
                        yield p - 1, 0.0, 0
                        return
                    except _Lost as e:  # rebuild the lost replicas, restore the others, train the step again
                        if not any(isinstance(err, _WorkerGone) for _, err in e.lost):
                            failures += 1
                            if failures >= 3:
                                s, err = e.lost[0]
                                raise W2VError(f"a task of replica {s} failed 3 times with every worker up "
                                               f"({type(err).__name__}: {err})") from None
                        for s, err in e.lost:
                            log(self.run.quiet, f"replica {s} lost ({type(err).__name__}: {err}); training step "
                                                f"{p} of epoch {epoch + 1} again from its start")
                        self._rebuild({s for s, _ in e.lost})
                        self.sync["rebuilt"] += len(e.lost)
                yield p, loss, predictions

        def rate(epoch, position):  # what the replicas' kernels use (scaled with the shards, see _replicas)
            done = (epoch * steps_per_epoch + position) / (steps_per_epoch * cfg.epochs)
            return decay(self.alpha_scale * cfg.start_alpha, self.alpha_scale * cfg.end_alpha, done)

        def diverged(loss, epoch):  # (the weights are on the workers: the loss is the probe)
            return divergence_test(np.zeros(1), "--alpha", cfg.start_alpha, cfg.default_alpha)(loss, epoch)

        return Epochs(length=steps_per_epoch, steps=steps, rate=rate, kernels=(), warm_up=start,
                      ready="replicas ready (shards encoded, kernels loaded)", diverged=diverged,
                      per_position=self.total_tokens / steps_per_epoch, gather=lambda: self._gather(params))

    def close(self):
        """Remove the replicas' work directories and close the client (the driver calls it in any case)."""
        if self.client is None:
            return
        calls = []
        for rep in self.replicas or []:
            try:
                calls.append(rep.close())
            except Exception:
                pass
        # after a stop, a replica's close waits behind the round it is still training: give them a moment,
        # then close the client (and the local cluster's workers) in any case
        deadline = time.monotonic() + (1.0 if self.interrupted else 600.0)
        for call in calls:
            while not call.done() and time.monotonic() < deadline:
                time.sleep(0.02)
        close(self.client)
        self.client = None

    def finish(self, params, progress, seconds, epochs_run):
        from w2v.trainers import Finished
        from w2v.trainers.word2vec import vectors_from

        t0 = time.perf_counter()
        self.close()
        self.phases["close_s"] = time.perf_counter() - t0
        cfg, s = self.cfg, self.sync
        wps = self.total_tokens * epochs_run / max(seconds, 1e-9)
        hot = s["rounds"] - s["full"]
        # per synchronisation, every replica together: the changed rows sent to the other owners and the
        # combined slices taken from them (those of the last round, not taken, are left out)
        per_full = (s["bytes_full"] + s["bytes_taken_full"]) / max(s["full"], 1)
        per_hot = (s["bytes_hot"] + s["bytes_taken_hot"]) / max(hot, 1)
        share = 1 - s["compute_s"] / max(s["round_s"], 1e-9)
        return Finished(vectors_from(cfg, self.vocab, params),
                        f"trained {cfg.model}/{cfg.loss} on {len(self.parts)} shards: {cfg.epochs} epochs in "
                        f"{seconds:.1f} s, {wps / 1000:.0f}k words/s, final loss {progress.epoch_losses[-1]:.4f}; "
                        f"{s['full']} full synchronisations ({per_full / (1 << 20):.1f} MB each) and {hot} of the "
                        f"frequent rows ({per_hot / (1 << 20):.2f} MB each); {100 * share:.0f}% of the rounds' time "
                        "outside the kernels",
                        {"words_per_second": wps, "shards": len(self.parts), "sync_rounds": s["rounds"],
                         "full_syncs": s["full"], "bytes_per_full_sync": per_full, "bytes_per_hot_sync": per_hot,
                         "bytes_per_replica_full_sync": per_full / len(self.parts), "bytes_through_client": 0,
                         "bytes_total": s["bytes_up"] + s["bytes_down"], "replicas_rebuilt": s["rebuilt"],
                         "sync_share": share, "round_kernel_s": s["compute_s"], "overhead_full_s": s["overhead_full_s"],
                         "overhead_hot_s": s["overhead_hot_s"], "hot_rows": hot_rows(self.vocab.counts, cfg.loss)[0],
                         # the replicas' own row work, summed over them: taking the combined rows, finding and
                         # splitting their changed rows, combining a slice (as owner)
                         "take_s": s["take_s"], "report_s": s["report_s"], "combine_s": s["combine_s"],
                         # around training: connecting (a local:N cluster started), counting the shards (the
                         # replicas made on the workers first), the replicas' set-up, closing
                         **self.phases})
