"""Skip-gram and CBOW trained by replicas on a Dask cluster: the trainer that choices.MODELS names for
``--dask`` (rounds, combination, checkpoints, a lost worker's replica rebuilt)."""

import time


from w2v.choices import MODELS
from w2v.errors import CorpusError, OptionError, W2VError
from w2v.output import layer
from w2v.cluster.connection import close, connect, workers_of
from w2v.cluster.counting import Words, merge_counts, replica_count, report, tree
from w2v.cluster.replica import Replica, hot_rows
from w2v.cluster.rowsync import aligned, apply, combine, update_for
from w2v.cluster.shards import shards
from w2v.trainers import Prepared

class _Lost(Exception):
    def __init__(self, lost):
        super().__init__(lost)
        self.lost = lost  # [(shard, exception)]


class _Stopped(Exception):
    """A signal came while the replicas trained a round: the step is abandoned."""


def _wait(call, stop):
    """The result of a replica's call, waited for in short sleeps (so the main thread takes signals at
    once); raises _Stopped as soon as ``stop`` is set."""
    while not call.done():
        if stop[0]:
            raise _Stopped
        time.sleep(0.02)
    return call.result()


class Trainer:
    """Skip-gram and CBOW trained by replicas on the cluster, as a trainer under the one driver (so the
    progress bar, JSON log, callback, signals and checkpoints work as locally). A position is a count of
    finished rounds in the epoch; a checkpoint holds the combined model after one."""

    memory_remedy = "lower --dim or --max-vocab, or raise --min-count"
    FULL_SYNCS = 8  # full synchronisations per epoch (steps of the progress bar, checkpoint points)
    HOT_ROUNDS = 4  # rounds per full synchronisation (the frequent words' rows are combined after each)

    def __init__(self, cfg, run):
        if MODELS[cfg.model].dask != __name__:  # (the driver picks this trainer from the model's entry)
            raise OptionError(f"--dask trains --model {' or '.join(m for m, a in MODELS.items() if a.dask == __name__)} "
                              f"here, not {cfg.model}")
        self.cfg, self.run = cfg, run
        whole = run.sync_average == "all"  # Spark's baseline: every row over every replica, once an epoch
        self.steps_per_epoch = 1 if whole else run.sync_rounds or self.FULL_SYNCS
        self.hot_rounds = 1 if whole else run.sync_hot or self.HOT_ROUNDS  # rounds per step; the last is full
        self.client = connect(run.dask)
        self.replicas, self.ready = None, False
        self.pending = None  # the combined rows each replica has yet to take (at the next round)
        self.resumed = True  # until init() says the run is fresh
        self.interrupted = False  # a stop abandoned a round: the replicas may still be training it
        self.sync = {"rounds": 0, "full": 0, "bytes_up": 0, "bytes_down": 0, "bytes_hot": 0, "bytes_full": 0,
                     "rebuilt": 0, "compute_s": 0.0, "round_s": 0.0, "overhead_full_s": 0.0, "overhead_hot_s": 0.0}

    def prepare(self, corpus, workdir, resumed_vocab):
        from w2v.prepare import known_vocab

        self.parts = shards(corpus, self.run.shards or len(workers_of(self.client)))
        # The replicas exchange their rows' changes since the last combination in float16 (half the bytes;
        # each round's change rounded to 11 significant bits, the same way for every replica and the combined
        # model), except with --sync-bits 32 or one shard (values unchanged: one shard trains as locally).
        self.half = self.run.sync_bits == 16 and len(self.parts) > 1
        # one replica per shard, dealt over the workers; each counts its shard with the scan that also
        # writes its id stream (one pass over the text, as locally), and the counts merge in a tree of tasks
        workers = workers_of(self.client)
        where = [workers[s % len(workers)] for s in range(len(self.parts))]
        self.replicas = self._replicas(range(len(self.parts)), where)
        counted = [self.client.submit(replica_count, rep, workers=w, allow_other_workers=True, pure=False)
                   for rep, w in zip(self.replicas, where)]
        counts = report(tree(self.client, counted, merge_counts), self.cfg.min_count, self.cfg.max_vocab)
        known = known_vocab(self.run.read_vocab, resumed_vocab)
        self.vocab = known if known is not None else counts.vocab
        if len(self.vocab) == 0:
            raise CorpusError(f"vocabulary is empty: no word occurs at least --min-count {self.cfg.min_count} times")
        self.total_tokens = counts.total_tokens
        self.n_out = layer(self.cfg.loss).n_out(len(self.vocab))
        # (a checkpoint's positions count synchronisations: a resume needs the same shards and schedule)
        sync = [self.steps_per_epoch, self.hot_rounds, self.run.sync_average]
        return Prepared(self.vocab, self.vocab, {"total_tokens": counts.total_tokens, "shards": len(self.parts),
                                                 "sync": sync},
                        f"vocabulary: {len(self.vocab)} words of {counts.total_tokens} tokens, counted on "
                        f"{len(workers)} workers; {len(self.parts)} shards")

    def memory(self):
        from w2v.trainers.stream import memory_estimate

        return memory_estimate(len(self.vocab), self.cfg, self.n_out)

    def init(self):
        from w2v.trainers.word2vec import init_weights

        self.resumed = False  # (the driver calls init only for a fresh run: the replicas make these themselves)
        W_in, W_out = init_weights(len(self.vocab), self.cfg.dim, self.cfg.seed, self.n_out)
        return {"W_in": W_in, "W_out": W_out}

    @property
    def alpha_scale(self):
        """The replicas' learning rate over --alpha. ``mean`` moves a row by the mean of the S replicas'
        changes (1/S of their sum, whichever of them changed it): the replicas step at S times the
        learning rate, so that to first order the row moves by the sum of their changes at the learning
        rate, as one model trained on all the data would (the linear scaling rule), for a word every shard
        saw as for a word one shard saw. ``sum`` adds the changes as they are, and Spark's ``all`` does not
        scale. With one shard nothing changes."""
        return len(self.parts) if self.run.sync_average == "mean" else 1

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
                                              pure=False, **where))
        return [f.result() for f in futures]

    def _rebuild(self, lost, params, base, attempts=60):
        """Replace the replicas ``lost`` from the combined model ``params`` and reset the others to ``base``.
        For a moment after a worker dies the scheduler may still place work on it: a failure is tried
        again once a second (a replica that fails its reset is rebuilt too), then ends the run in one line."""
        fresh = set()  # (made from the combined model: nothing to reset)
        for attempt in range(attempts):
            try:
                for s in sorted(lost):
                    self.replicas[s] = self._replicas([s], params=params)[0]
                    lost.discard(s)
                    fresh.add(s)
                for s, rep in enumerate(self.replicas):
                    if s in fresh:
                        continue
                    try:
                        rep.reset(*base).result()
                    except W2VError:
                        raise
                    except Exception:
                        lost.add(s)
                if not lost:
                    return
            except W2VError:
                raise
            except Exception as e:
                if attempt == attempts - 1:
                    raise W2VError(f"the Dask cluster lost workers and the replicas of shards {sorted(lost)} could "
                                   f"not be rebuilt ({type(e).__name__}: {e}); with --checkpoint, --resume "
                                   "continues from the last one") from None
            time.sleep(1)
        raise W2VError(f"the Dask cluster lost workers and the replicas of shards {sorted(lost)} could not be reset; "
                       "with --checkpoint, --resume continues from the last one")

    def epochs(self, params):
        from w2v.epochs import Epochs, divergence_test
        from w2v.messages import log
        from w2v.kernels import decay

        cfg = self.cfg
        steps_per_epoch, hot_rounds = self.steps_per_epoch, self.hot_rounds
        rounds = steps_per_epoch * hot_rounds
        W_in, W_out = params["W_in"], params["W_out"]  # the combined model, updated in place

        def start():
            if not self.ready:  # the replicas encode their shards with the vocabulary and make the model
                weights = (params["W_in"], params["W_out"]) if self.resumed else (None, None)
                for call in [rep.setup(Words(self.vocab.words), self.vocab.counts, *weights) for rep in self.replicas]:
                    call.result()
                self.ready = True

        def step(epoch, p, updates, stop):
            """The rounds of step p; raises _Lost naming the replicas whose workers died, _Stopped on a stop."""
            loss = predictions = 0
            for h in range(1, hot_rounds + 1):
                r, full = (p - 1) * hot_rounds + h, h == hot_rounds
                t0 = time.perf_counter()
                calls = []
                for rep, update in zip(self.replicas, updates):
                    try:
                        calls.append(rep.train_round(epoch, r, rounds, update, full))
                    except Exception as e:  # (an actor whose worker is known to be gone fails here)
                        calls.append(e)
                results, lost = [], []
                for s, call in enumerate(calls):
                    try:
                        if isinstance(call, Exception):
                            raise call
                        results.append(_wait(call, stop))
                    except (W2VError, _Stopped):
                        raise
                    except Exception as e:
                        lost.append((s, e))
                if lost:
                    raise _Lost(lost)
                changed = [[tuple(map(aligned, m)) for m in res[2]] for res in results]
                combined = combine(changed, (W_in, W_out), self.run.sync_average, self.half)
                for W, (rows, vals, _) in zip((W_in, W_out), combined):
                    apply(W, rows, vals, self.half)
                updates = [update_for(combined, mine) for mine in changed]
                kernel_s = max(res[3] for res in results)  # the slowest replica's kernel time
                round_s = time.perf_counter() - t0
                self.sync["rounds"] += 1
                self.sync["full"] += full
                self.sync["compute_s"] += kernel_s
                self.sync["round_s"] += round_s
                self.sync["overhead_full_s" if full else "overhead_hot_s"] += round_s - kernel_s
                up = sum(a.nbytes for c in changed for m in (0, 1) for a in c[m])
                down = sum(a.nbytes for u in updates for m in u for a in m)
                self.sync["bytes_up"] += up
                self.sync["bytes_down"] += down
                self.sync["bytes_full" if full else "bytes_hot"] += up + down
                loss += sum(res[0] for res in results)
                predictions += sum(res[1] for res in results)
            return loss, predictions, updates

        def steps(epoch, position, stop):
            """Steps of whole rounds. A stop abandons the step under way: the combined model goes back to its
            start, the step's position, which a checkpoint then holds and a resume trains again (a
            round's replicas may run for minutes; their combination is no clean point to stop at)."""
            start()
            # the last combination's rows go to the replicas with their next round, in this epoch or the next
            updates = self.pending or [None] * len(self.replicas)
            for p in range(position + 1, steps_per_epoch + 1):
                base = (W_in.copy(), W_out.copy())  # the combined model when the step starts
                while True:
                    try:
                        loss, predictions, updates = step(epoch, p, updates, stop)
                        break
                    except _Stopped:
                        W_in[:], W_out[:] = base
                        self.interrupted = True
                        yield p - 1, 0.0, 0
                        return
                    except _Lost as e:  # rebuild the lost replicas, reset the others, train the step again
                        for s, err in e.lost:
                            log(self.run.quiet, f"replica {s} lost ({type(err).__name__}: {err}); training step "
                                                f"{p} of epoch {epoch + 1} again from the last combined model")
                        W_in[:], W_out[:] = base
                        self._rebuild({s for s, _ in e.lost}, params, base)
                        updates = [None] * len(self.replicas)
                        self.sync["rebuilt"] += len(e.lost)
                self.pending = updates
                yield p, loss, predictions

        def rate(epoch, position):  # what the replicas' kernels use (scaled with the shards, see _replicas)
            done = (epoch * steps_per_epoch + position) / (steps_per_epoch * cfg.epochs)
            return decay(self.alpha_scale * cfg.start_alpha, self.alpha_scale * cfg.end_alpha, done)

        return Epochs(length=steps_per_epoch, steps=steps, rate=rate, kernels=(), warm_up=start,
                      ready="replicas ready (shards encoded, kernels loaded)",
                      diverged=divergence_test(W_in[0], "--alpha", cfg.start_alpha, cfg.default_alpha),
                      per_position=self.total_tokens / steps_per_epoch)

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

        self.close()
        cfg, s = self.cfg, self.sync
        wps = self.total_tokens * epochs_run / max(seconds, 1e-9)
        hot = s["rounds"] - s["full"]
        per_full = s["bytes_full"] / max(s["full"], 1)
        per_hot = s["bytes_hot"] / max(hot, 1)
        share = 1 - s["compute_s"] / max(s["round_s"], 1e-9)
        return Finished(vectors_from(cfg, self.vocab, params),
                        f"trained {cfg.model}/{cfg.loss} on {len(self.parts)} shards: {cfg.epochs} epochs in "
                        f"{seconds:.1f} s, {wps / 1000:.0f}k words/s, final loss {progress.epoch_losses[-1]:.4f}; "
                        f"{s['full']} full synchronisations ({per_full / (1 << 20):.1f} MB each) and {hot} of the "
                        f"frequent rows ({per_hot / (1 << 20):.2f} MB each); {100 * share:.0f}% of the rounds' time "
                        "outside the kernels",
                        {"words_per_second": wps, "shards": len(self.parts), "sync_rounds": s["rounds"],
                         "full_syncs": s["full"], "bytes_per_full_sync": per_full, "bytes_per_hot_sync": per_hot,
                         "bytes_total": s["bytes_up"] + s["bytes_down"], "replicas_rebuilt": s["rebuilt"],
                         "sync_share": share, "round_kernel_s": s["compute_s"], "overhead_full_s": s["overhead_full_s"],
                         "overhead_hot_s": s["overhead_hot_s"], "hot_rows": hot_rows(self.vocab.counts, cfg.loss)[0]})
