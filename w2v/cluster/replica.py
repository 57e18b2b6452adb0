"""A model replica on a worker (a Dask actor): its shard encoded there and trained by the local kernels in
rounds, with its side of the combination (rowsync.RowSync), and the owner of one slice of the rows.

The combination is a reduce-scatter then an all-gather between workers, tasks that the client only
orders (``train_task``, ``combine_task``, ``base_task``): after a round each replica keeps its changed
rows; the owner of slice j (replica j: the rows x with x % S == j, so that the frequent rows spread over
the owners) fetches from every replica the part of its changes in slice j, combines them into its
slice of the combined model, and every replica takes every owner's combined slice at its next round.
No row passes through the client; each process sends and receives about twice its changed rows."""

import os
import tempfile
import time
from itertools import repeat

import numpy as np

from w2v.cluster.counting import scan_shard
from w2v.cluster.rowsync import RowSync, apply, combine
from w2v.corpus.pieces import Shard
from w2v.output import layer
from w2v.resources import plain_copy
from w2v.trainers.stream import train_chunks

BLOCK_IDS_BIG = 1 << 22  # a read that holds any block of trainers/stream.py's BLOCK_IDS plan
HOT_SHARE = 0.95  # the hot rows: the most frequent words, covering this share of the tokens (the rest,
# most of the rows, are words that seldom occur in more than one shard's round: they wait for a full sync)


def hot_rows(counts, loss):
    """(W_in rows, W_out rows) synchronised every round: the words that make HOT_SHARE of the tokens (the
    vocabulary is sorted by count); an output layer's own rows (Huffman inner nodes) only at full rounds."""
    c = np.cumsum(np.asarray(counts, np.float64))
    h = int(np.searchsorted(c, HOT_SHARE * c[-1]) + 1) if len(c) else 0
    return h, h if layer(loss).rows_are_words else 0


def shard_seed(seed, shard):
    """Shard 0 keeps the seed (one shard trains as a local run); the others mix in their number."""
    if shard == 0:
        return int(seed)
    x = (int(seed) * 0x9E3779B97F4A7C15 + shard * 0xBF58476D1CE4E5B9) & 0x7FFFFFFFFFFFFFFF
    return x


class Replica:
    """A model replica on a worker (a Dask actor): its shard encoded there, the kernels of a local run.

    A fresh run counts the shard first (``count``: the scan that also writes the shard's provisional id
    stream, as a local run's first pass) and is set up with the vocabulary chosen from every shard's
    counts (``setup``: the stream remapped, the model made); given the vocabulary (a resumed run, a
    replica rebuilt after its worker died), it encodes its shard with it at once.

    ``half``: the replica exchanges changes in half precision (see Trainer.prepare) rather than values."""

    def __init__(self, cfg_fields, pieces_, shard, words=None, counts=None, W_in=None, W_out=None, half=False,
                 shards=1, mode="adasum"):
        from w2v import scan
        from w2v.config import TrainConfig

        self.cfg = TrainConfig(**dict(cfg_fields, threads=1))
        self.pieces, self.shard, self.half = pieces_, shard, half
        self.shards, self.mode = shards, mode  # (this replica owns the rows x with x % shards == shard)
        self.work = tempfile.mkdtemp(prefix="w2v-replica-")
        self.scanned = None
        scan.warm_up()
        if words is not None:
            self.setup(words, counts, W_in, W_out)

    def count(self):
        """Count the shard, keeping its provisional id stream for ``setup``: its Counts, as the vocabulary's
        count of a shard."""
        counts, self.scanned = scan_shard(self.pieces, self.work, self.cfg.max_types, keep_stream=True)
        return counts

    def setup(self, words, counts, W_in=None, W_out=None):
        """Encode the shard with the vocabulary (``words``, a Words, and ``counts``): remap the counted
        stream, or read the shard again when it was not counted here or pruning dropped occurrences; make
        the model (``W_in`` None: the fresh initial model, from the seed as the client's); load the kernel."""
        from w2v import kernels
        from w2v.choices import sentence_kernel
        from w2v.corpus import encode
        from w2v.prepare import prepare
        from w2v.trainers.stream import BLOCK_IDS, kernel_config, output_tables, plan_chunks, warm_up
        from w2v.vocab import Vocab

        vocab = Vocab(words.words, counts)
        scanned, self.scanned = self.scanned, None
        if scanned is not None and scanned.complete:
            remap = np.full(scanned.n_pids, -1, np.int32)
            # (map over dict.get: a Python loop over the shard's types took about 30% of a replica's set-up)
            remap[scanned.pids] = np.fromiter(map(vocab.index.get, scanned.words, repeat(-1)), np.int32,
                                              len(scanned.words))
            self.encoded = encode(scanned, remap, self.work)
        else:
            if scanned is not None:
                os.unlink(scanned.prov_path)
            _, self.encoded = prepare(Shard(self.pieces), self.cfg, self.work, known=vocab)
        self.tabs = output_tables(vocab.counts, self.cfg, self.cfg.sample)
        n_out = layer(self.cfg.loss).n_out(len(vocab))
        from w2v.trainers.word2vec import fresh_params, kernel_weights

        if W_in is None:  # a fresh run: the client's initial model, made here from the same seed (ours to train)
            W_in, W_out = (np.asarray(M, np.float32) for M in fresh_params(self.cfg, len(vocab), n_out))
        else:  # (a model sent here: a copy to train)
            W_in, W_out = np.array(W_in, np.float32), np.array(W_out, np.float32)
        self.weights = kernel_weights(self.cfg, vocab.words, W_in, W_out)
        self.kcfg = kernel_config(self.cfg, self.encoded, self.tabs, n_out)._replace(seed=shard_seed(self.cfg.seed, self.shard))
        self.kernel = kernels.lane_kernel(sentence_kernel(self.cfg))
        # the chunks of a local run's epoch, in order (block position, start, end): rounds are runs of them,
        # so with one shard the kernel sees exactly the calls of a local --threads 1 run
        plan = []
        for at, block in self.encoded.blocks(BLOCK_IDS):
            starts, ends = plan_chunks(block)
            plan.append(np.stack([np.full(len(starts), at), starts, ends], axis=1))
        self.plan = np.concatenate(plan) if plan else np.zeros((0, 3), np.int64)
        self.block_at, self.block = -1, None
        self.rows = RowSync((self.weights.W_in, self.weights.W_out), hot_rows(vocab.counts, self.cfg.loss), self.half,
                            self.shards)
        warm_up(self.kernel, self.weights, self.tabs, self.kcfg)  # (now, not in the first round)
        self.rows.take(self.rows.report(False))  # (nothing changed: the row passes compile or load)
        self._started()

    def _started(self):
        """The weights are the combined model: the owned slice's combined rows (``master``) and a copy of the
        whole (``base``: the model at the start of a step, from which a replica lost in it is rebuilt) follow."""
        W = (self.weights.W_in, self.weights.W_out)
        self.master = tuple(M[self.shard::self.shards].copy() for M in W)
        self.step_master = tuple(M.copy() for M in self.master)  # the master rows at the last step's end
        self.base = tuple(plain_copy(M) for M in W)
        self.changed = None  # the rows changed in the last round (RowSync.report) cut into the owners' slices
        self.combine_s = 0.0  # seconds combining as owner since the last round's figures

    def restore(self):
        """Go back to the start of the step (``base``): a step trained again after a replica was lost."""
        for M, B in zip((self.weights.W_in, self.weights.W_out), self.base):
            M[:] = B
        self.rows.reset()
        self._started()

    def part(self, j):
        """The part of the last round's changed rows in slice j: for each matrix (rows within the slice,
        their values or float16 changes)."""
        return self.changed[j]

    def combine(self, parts, step_end=False):
        """As the owner of this replica's slice: combine every replica's ``parts`` of it (in shard order) into
        the combined slice (rowsync.combine), which the master rows take; returns [(rows within the slice,
        combined values or changes)] per matrix, for every replica's next round. ``step_end``: the last
        round of a step, whose model ``slices`` returns until the next step's end."""
        t0 = time.perf_counter()
        combined = combine(parts, self.master, self.mode, self.half)
        for M, (rows, vals, _) in zip(self.master, combined):
            apply(M, rows, vals, self.half)
        if step_end:
            self.step_master = tuple(M.copy() for M in self.master)
        self.combine_s += time.perf_counter() - t0
        return [(rows, vals) for rows, vals, _ in combined]

    def base_model(self):
        """The model at the start of the step (a replica rebuilt after its worker died starts from it)."""
        return self.base

    def slices(self):
        """The owned slice of the combined model at the last step's end (never changed in place: replaced at
        the next), for the client at a checkpoint, a stop or the end."""
        return self.step_master

    def _block(self, at):
        if at != self.block_at:
            self.block_at, self.block = at, next(self.encoded.blocks(BLOCK_IDS_BIG, start=at))[1].copy()
        return self.block

    def train_round(self, epoch, r, rounds, taken=(), full=True, step_start=False):
        """Take every owner's combined slice of the last round (``taken``, in owner order), train round ``r``
        (1..rounds) of the epoch (its share of the shard's chunks), and keep, for each matrix, the rows
        changed since they were last combined (RowSync.report) for the owners. Returns the loss, the
        predictions, the seconds the kernel took, and the bytes that came from the other owners and those
        the changed rows hold for them, and the seconds taking, reporting and combining (as owner, since the
        last figures) took. ``step_start``: the model taken is a step's start (``base``)."""
        t_take = time.perf_counter()
        self.rows.take(taken)
        if step_start and taken:  # (into the same arrays: a fresh copy page-faults a whole model in every step)
            for B, M in zip(self.base, (self.weights.W_in, self.weights.W_out)):
                np.copyto(B, M)
        received = sum(a.nbytes for j, t in enumerate(taken) if j != self.shard for m in t for a in m)
        t0 = time.perf_counter()
        take_s = t0 - t_take
        n = len(self.plan)
        todo = self.plan[n * (r - 1) // rounds:n * r // rounds]
        loss, predictions = 0.0, 0
        for at in np.unique(todo[:, 0]):
            mine = todo[todo[:, 0] == at]
            step_loss, n, _ = train_chunks(self.kernel, self.weights, self.tabs, self.kcfg, self._block(int(at)),
                                        mine[:, 1].copy(), mine[:, 2].copy(), int(at), epoch)
            loss, predictions = loss + step_loss, predictions + n
        t1 = time.perf_counter()
        self.changed = self.rows.report(full)
        # (the rows outside this replica's own slice go to the other owners: a row id and its values each)
        sent = sum(rows.nbytes + vals.nbytes for j, part in enumerate(self.changed) if j != self.shard
                   for rows, vals in part)
        rows_s = (take_s, time.perf_counter() - t1, self.combine_s)
        self.combine_s = 0.0
        return loss, predictions, t1 - t0, received, sent, rows_s

    def close(self):
        import shutil

        shutil.rmtree(self.work, ignore_errors=True)


def local(replica):
    """The replica object behind an actor handle, when it lives in this worker process (the tasks below run
    where their replica is: called directly, on the task's thread, nothing copied), else the handle."""
    try:
        from distributed import get_worker

        return get_worker().state.actors[replica.key]
    except (ValueError, AttributeError, KeyError):  # (not on a worker, or another worker's replica)
        return replica


def _call(replica, method, *args):
    found = local(replica)
    out = getattr(found, method)(*args)
    return out.result() if found is replica else out


def train_task(replica, epoch, r, rounds, full, step_start, *taken):
    """A round of ``replica`` (Replica.train_round) as a task on its worker; ``taken``: every owner's combined
    slice of the last round (the combine_task results, which Dask brings from the owners' workers)."""
    return _call(replica, "train_round", epoch, r, rounds, taken, full, step_start)


def combine_task(owner, j, replicas, step_end, *rounds_done):
    """Owner j's combination as a task on its worker: the parts of slice j fetched from every replica (worker
    to worker), combined (Replica.combine). ``rounds_done``: the round's train_task results (so that it
    runs after them; each is a replica's small figures)."""
    parts = [_call(rep, "part", j) for rep in replicas]
    return _call(owner, "combine", parts, step_end)


def slices_task(owner, *combined):
    """The owner's slice of the combined model at the step's end (after the combinations ``combined``) as a
    task result: it stays on the worker until the client gathers it (a checkpoint, a stop, the end)."""
    return _call(owner, "slices")
