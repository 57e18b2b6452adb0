"""w2v's jobs on a Dask cluster (``--dask tcp://HOST:8786`` or ``--dask local:N``): the vocabulary, GloVe's
co-occurrences and data-parallel skip-gram/CBOW, with the kernels, vocabulary code and file formats of a
local run (nothing here is a second copy of them).

Shards. The inputs (files, directories, globs) are cut into pieces: plain files at line ends in byte
ranges (a piece owns the lines that start inside its range, so every line is read once), compressed
files whole. The pieces are dealt into ``S`` shards of about equal bytes, in order. Workers open their
pieces themselves (the paths must be visible to them): no text passes through the client or the
scheduler.

Vocabulary and co-occurrences. Each shard is counted by the Numba scan on a worker; counts are merged
pairwise in a tree of tasks; the vocabulary is then chosen as locally (count, then word), so it equals a
local count of the same files. Co-occurrences: every shard is encoded with that vocabulary and counted
on its worker; each returns its pairs partitioned by row, and one task per partition sums them, so the
matrix equals the local one up to the order of float64 sums. GloVe's training stays on the client.

Training (skip-gram and CBOW, every loss). One replica of the model per shard, an actor that keeps it in
memory for the whole run, with its shard encoded on its worker: it counts its shard for the vocabulary
(the tree above) with the scan that also writes the shard's ids, and remaps them once the vocabulary is
chosen, so the text is read once, as locally. Training goes in synchronous rounds: in each round every
replica starts from the same combined model and trains the next 1/R of its shard (whole blocks of the
encoded stream, as a local run's), then sends back the rows it changed: of the frequent words (HOT_SHARE
of the tokens) every round, all of them every ``--sync-hot`` rounds (a full synchronisation: pWord2Vec's
tiers, since the many rare words' rows are seldom changed by two replicas between full ones; a checkpoint
is taken only after a full one). The combination averages each row over the replicas that changed it
(SPARK-24666's fix of whole-model averaging; with one replica it is the identity, bit for bit), and sends
the changed rows to every replica. The learning rate follows each replica's share of its shard, which
every round advances by the same fraction for all, so all replicas share one global schedule over the
words trained by all. Random numbers come from (seed, epoch, position) as locally, with the seed mixed
with the shard's number (shard 0 keeps the seed), so a run is deterministic for a seed and a shard count,
whatever the timing, and one shard is bit-identical to a local ``--threads 1`` run. The client keeps the
last combined model: a replica whose worker dies is rebuilt from it on another worker and the rounds
since the last full synchronisation are trained again by all, which, the rounds being synchronous, gives
the same result.
"""

import os
import tempfile
import time
from typing import NamedTuple

import numba
import numpy as np

from w2v.errors import CorpusError, OptionError, W2VError
from w2v.half import DECODE, encode, encode_rows
from w2v.output import layer
from w2v.trainers import Prepared

PIECE_BYTES = 64 << 20  # plain files are cut into byte ranges of about this size
BLOCK_IDS_BIG = 1 << 22  # a read that holds any block of trainers/stream.py's BLOCK_IDS plan
HOT_SHARE = 0.95  # the hot rows: the most frequent words, covering this share of the tokens (the rest,
# most of the rows, are words that seldom occur in more than one shard's round: they wait for a full sync)
COMPRESSED = (".gz", ".bz2", ".xz", ".lzma")


def hot_rows(counts, loss):
    """(W_in rows, W_out rows) synchronised every round: the words that make HOT_SHARE of the tokens (the
    vocabulary is sorted by count); an output layer's own rows (Huffman inner nodes) only at full rounds."""
    c = np.cumsum(np.asarray(counts, np.float64))
    h = int(np.searchsorted(c, HOT_SHARE * c[-1]) + 1) if len(c) else 0
    return h, h if layer(loss).rows_are_words else 0


class Words:
    """A vocabulary's words as one argument: Dask walks every list or tuple it is handed, looking for
    futures inside (3 s for 121k words), but passes other objects whole."""

    def __init__(self, words):
        self.words = list(words)


class Piece(NamedTuple):
    """Lines of ``path`` that start in ``[start, end)`` (end None: to the end; a compressed file whole)."""

    path: str
    start: int = 0
    end: int | None = None


# ---------------------------------------------------------------- the cluster
def connect(spec):
    """A distributed Client for ``spec``: ``local:N`` starts a LocalCluster of N one-thread worker
    processes; anything else is a scheduler address."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise OptionError("--dask needs Dask: pip install 'w2v[dask]'") from None
    import logging

    logging.getLogger("distributed").setLevel(logging.ERROR)
    if isinstance(spec, str) and spec.startswith("local:"):
        try:
            n = int(spec.split(":", 1)[1])
            if n < 1:
                raise ValueError
        except ValueError:
            raise OptionError(f"--dask local:N needs a number of workers, not {spec!r}") from None
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0")
        client = Client(cluster)
        client.w2v_cluster = cluster  # closed with the client (close)
        from w2v.control import keep_freed_heap

        client.run(keep_freed_heap)  # (these worker processes are ours: see keep_freed_heap)
        return client
    try:
        return Client(spec, timeout="10s")
    except (OSError, TimeoutError, ValueError) as e:
        raise OptionError(f"cannot reach the Dask scheduler at {spec}: {e}") from None


def close(client):
    """Close the client, and the LocalCluster it started."""
    client.close()
    cluster = getattr(client, "w2v_cluster", None)
    if cluster is not None:
        cluster.close()


def workers_of(client):
    return sorted(client.scheduler_info()["workers"])


# ---------------------------------------------------------------- shards
def _files(corpus):
    """The input files as (path, bytes), expanded and sized once (a URL's glob and sizes are remote calls)."""
    from w2v.corpus import expand, file_size, is_file, is_url

    paths = expand(corpus)
    if paths == "-" or not isinstance(paths, (str, list)):
        raise OptionError("--dask reads files (workers open them), not standard input or a Python iterable")
    out = []
    for p in [paths] if isinstance(paths, str) else paths:
        if not is_file(p):
            raise CorpusError(f"corpus not found: {p}")
        out.append((p if is_url(p) else os.path.abspath(p), file_size(p)))
    return out


def pieces(files, piece_bytes=PIECE_BYTES):
    """The files (``_files``) as Pieces with their sizes: plain files in byte ranges, compressed files whole."""
    out = []
    for p, size in files:
        if os.path.splitext(p)[1].lower() in COMPRESSED or size <= piece_bytes:
            out.append((Piece(p), size))
            continue
        cuts = list(range(0, size, piece_bytes)) + [size]
        out += [(Piece(p, a, b), b - a) for a, b in zip(cuts, cuts[1:])]
    return out


def shards(corpus, n, piece_bytes=None):
    """``n`` shards (lists of Pieces, in order) of about equal bytes (fewer when compressed files are too
    few to share out). Plain files are cut into pieces small enough for that: at most PIECE_BYTES, and a
    quarter of a shard's share."""
    files = _files(corpus)
    if piece_bytes is None:
        piece_bytes = max(1 << 12, min(PIECE_BYTES, sum(size for _, size in files) // (4 * n) + 1))
    ps = pieces(files, piece_bytes)
    total = max(sum(size for _, size in ps), 1)
    out, acc = [[] for _ in range(n)], 0
    for p, size in ps:
        out[min(n - 1, int(n * (acc + size / 2) / total))].append(p)
        acc += size
    return [s for s in out if s] or [[]]


class _PieceReader:
    """A binary reader over the lines of one Piece."""

    def __init__(self, piece):
        from w2v.corpus import open_binary, open_raw

        self.piece = piece
        if piece.end is None and piece.start == 0:
            self.f, self.left = open_binary(piece.path), None
            return
        self.f = open_raw(piece.path)
        start = piece.start
        if start > 0:  # the line running through `start` belongs to the piece before
            self.f.seek(start - 1)
            if self.f.read(1) != b"\n":
                self.f.readline()
            start = self.f.tell()
        self.left = max(0, piece.end - start)  # bytes before `end`; then the line in progress is finished

    def read(self, n):
        if self.left is None:
            return self.f.read(n)
        if self.left > 0:
            b = self.f.read(min(n, self.left))
            self.left -= len(b)
            if self.left == 0 and b and not b.endswith(b"\n"):
                b += self.f.readline()
            elif not b:
                self.left = 0
            return b
        return b""

    def close(self):
        self.f.close()


class Shard:
    """A corpus made of Pieces (corpus.open_corpus reads it through ``open_binary``)."""

    def __init__(self, pieces_):
        self.pieces = list(pieces_)

    def describe(self):
        return f"a shard of {len(self.pieces)} pieces"

    def open_binary(self):
        from w2v.corpus import _Files

        return _Files(self.pieces, open_one=_PieceReader)


# ---------------------------------------------------------------- vocabulary
class Counts(NamedTuple):
    """A count of types in compact form: the words' UTF-8 bytes (each followed by ``\n``) in one array with
    their offsets, lengths and counts, and the tokens (and invalid UTF-8 tokens) counted. Shards' counts
    travel and merge in this form (with a Python dict of every type instead, 8 shards of 5.9M types took
    39 s to count and merge on 2 workers; 13 s so)."""

    arena: np.ndarray
    off: np.ndarray
    length: np.ndarray
    count: np.ndarray
    tokens: int
    invalid: int


def _counts_of(r):
    """A scan's counts as Counts (two invalid byte strings decoding to the same word add up)."""
    arena = np.frombuffer("".join(w + "\n" for w in r.words).encode("utf-8"), np.uint8)
    ends = np.flatnonzero(arena == 10)
    off = np.zeros(len(ends), np.int64)
    off[1:] = ends[:-1] + 1
    return _merge_counts(Counts(arena, off, (ends - off).astype(np.int32), np.asarray(r.counts, np.int64),
                                r.total_tokens, r.invalid_utf8))


def _count_shard(pieces_, limit):
    """Worker side: the Counts of a shard (``limit``: scan_corpus's count_limit)."""
    from w2v import scan
    from w2v.corpus import scan_corpus

    with tempfile.TemporaryDirectory(prefix="w2v-count-") as work:
        scan.warm_up()
        r = scan_corpus(Shard(pieces_), work, count_limit=limit)
        os.unlink(r.prov_path)
    return _counts_of(r)


def _replica_count(replica):
    """Worker side: a replica's count of its shard (Replica.count), as a task result for the tree."""
    return replica.count().result()


def _merge_counts(*parts):
    """One Counts of the parts' (equal words summed, by spill.py's Numba table)."""
    from w2v.scan import hash_words
    from w2v.spill import distinct, gather_words

    bases = np.cumsum([0] + [len(p.arena) for p in parts])
    arena = np.concatenate([p.arena for p in parts])
    off = np.concatenate([p.off + b for p, b in zip(parts, bases)])
    length, count = (np.concatenate([getattr(p, f) for p in parts]) for f in ("length", "count"))
    u_off, u_len, u_count, _ = distinct(hash_words(arena, off, length), off, length, count, arena)
    out, out_off = np.empty(len(arena), np.uint8), np.empty(len(u_off), np.int64)
    used = gather_words(np.arange(len(u_off)), u_off, u_len, arena, out, out_off)
    return Counts(out[:used], out_off, u_len.copy(), u_count.copy(), sum(p.tokens for p in parts),
                  sum(p.invalid for p in parts))


def _tree(client, futures, merge):
    while len(futures) > 1:
        futures = [client.submit(merge, futures[i], futures[i + 1]) if i + 1 < len(futures) else futures[i]
                   for i in range(0, len(futures), 2)]
    return futures[0].result()


def vocabulary(client, corpus, min_count=5, max_vocab=None, n_shards=None, limit=None):
    """The vocabulary of ``corpus`` counted on the cluster: a VocabularyReport equal to a local count's
    (``limit``: --max-types, the live types pruned beyond; None: each shard counts exactly)."""
    parts = shards(corpus, n_shards or max(1, 4 * len(workers_of(client))))
    counted = [client.submit(_count_shard, p, limit, pure=False) for p in parts]
    return _report(_tree(client, counted, _merge_counts), min_count, max_vocab)


def _report(merged, min_count, max_vocab):
    """The VocabularyReport of merged shard Counts, chosen as locally (count, then word); only the words
    counted ``min_count`` times become Python strings."""
    from w2v.spill import gather_words
    from w2v.vocab import VocabularyReport, build_vocab

    if merged.tokens == 0:
        raise CorpusError("corpus is empty (no tokens)")
    keep = np.flatnonzero(merged.count >= min_count)
    out = np.empty(int(merged.length[keep].sum()) + len(keep), np.uint8)  # (each word and its "\n")
    used = gather_words(keep, merged.off, merged.length, merged.arena, out, np.empty(len(keep), np.int64))
    words = out[:used].tobytes().decode("utf-8").split("\n")[:-1]
    vocab, _ = build_vocab(words, merged.count[keep], np.arange(len(words)), 0, min_count, max_vocab,
                           may_repeat=False)
    return VocabularyReport(vocab, merged.tokens, len(merged.count), merged.invalid)


# ---------------------------------------------------------------- co-occurrences
def _cooccur_shard(pieces_, words, counts, cfg, n_parts):
    """Worker side: the shard's co-occurrences with the given vocabulary, as n_parts (keys, vals) arrays
    partitioned by row (keys row * V + col, sorted)."""
    from w2v import cooccur, scan
    from w2v.corpus import encode, scan_corpus
    from w2v.vocab import Vocab, build_vocab

    words = words.words
    n = len(words)
    with tempfile.TemporaryDirectory(prefix="w2v-cooccur-") as work:
        scan.warm_up()
        scanned = scan_corpus(Shard(pieces_), work, known_words=words)
        _, remap = build_vocab(words, Vocab(words, counts).counts, scanned.pids, scanned.n_pids, 1, None,
                               may_repeat=False)
        remap = np.where(remap >= 0, np.arange(len(remap)), -1).astype(np.int32)  # word i is id i
        remap[-1] = -1  # unknown words
        encoded = encode(scanned, remap, work)
        c = cooccur.count(encoded, n, work, cfg["window"], cfg["symmetric"], cfg["distance_weighting"],
                          cfg["memory"], on_disk=False)
    keys = c.rows.astype(np.int64) * n + c.cols
    order = np.argsort(keys, kind="stable")
    keys, vals = keys[order], c.vals[order]
    bounds = np.searchsorted(keys, np.arange(n_parts + 1) * (-(-n // n_parts)) * n)
    return [(keys[bounds[k]:bounds[k + 1]], vals[bounds[k]:bounds[k + 1]]) for k in range(n_parts)]


def _part(result, k):
    return result[k]


def _sum_part(*parts):
    keys = np.concatenate([p[0] for p in parts])
    vals = np.concatenate([p[1] for p in parts])
    uniq, inverse = np.unique(keys, return_inverse=True)
    return uniq, np.bincount(inverse, weights=vals, minlength=len(uniq))


def cooccurrences(client, corpus, cfg, vocab, n_shards=None):
    """GloVe's co-occurrences of ``corpus`` counted on the cluster, as cooccur.Cooccurrences (rows sorted)."""
    from w2v.cooccur import Cooccurrences

    n_workers = len(workers_of(client))
    parts = shards(corpus, n_shards or max(1, 2 * n_workers))
    opts = dict(window=cfg.window, symmetric=cfg.symmetric, distance_weighting=cfg.distance_weighting,
                memory=cfg.memory / max(1, n_workers))
    words, counts = client.scatter(Words(vocab.words), broadcast=True), vocab.counts
    n_parts = max(1, n_workers)
    per_shard = [client.submit(_cooccur_shard, p, words, counts, opts, n_parts, pure=False) for p in parts]
    sums = [client.submit(_sum_part, *[client.submit(_part, f, k) for f in per_shard]) for k in range(n_parts)]
    done = [s.result() for s in sums]
    keys = np.concatenate([d[0] for d in done])
    vals = np.concatenate([d[1] for d in done])
    n = len(vocab)
    return Cooccurrences((keys // n).astype(np.int32), (keys % n).astype(np.int32), vals, n, cfg.window,
                         cfg.symmetric, cfg.distance_weighting, 0)


# ---------------------------------------------------------------- training
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

    def __init__(self, cfg_fields, pieces_, shard, words=None, counts=None, W_in=None, W_out=None, half=False):
        from w2v import scan
        from w2v.config import TrainConfig

        self.cfg = TrainConfig(**dict(cfg_fields, threads=1))
        self.pieces, self.shard, self.half = pieces_, shard, half
        self.work = tempfile.mkdtemp(prefix="w2v-replica-")
        self.scanned = None
        scan.warm_up()
        if words is not None:
            self.setup(words, counts, W_in, W_out)

    def count(self):
        """Count the shard, keeping its provisional id stream for ``setup``: its Counts, as the vocabulary's
        count of a shard."""
        from w2v.corpus import scan_corpus

        self.scanned = scan_corpus(Shard(self.pieces), self.work, count_limit=self.cfg.max_types,
                                   reread_if_pruned=True)
        return _counts_of(self.scanned)

    def setup(self, words, counts, W_in=None, W_out=None):
        """Encode the shard with the vocabulary (``words``, a Words, and ``counts``): remap the counted
        stream, or read the shard again when it was not counted here or pruning dropped occurrences; make
        the model (``W_in`` None: the fresh initial model, from the seed as the client's); load the kernel."""
        from w2v import kernels
        from w2v.corpus import encode
        from w2v.prepare import prepare
        from w2v.trainers.stream import BLOCK_IDS, kernel_config, output_tables, plan_chunks
        from w2v.vocab import Vocab

        vocab = Vocab(words.words, counts)
        scanned, self.scanned = self.scanned, None
        if scanned is not None and scanned.complete:
            remap = np.full(scanned.n_pids, -1, np.int32)
            remap[scanned.pids] = [vocab.index.get(w, -1) for w in scanned.words]
            self.encoded = encode(scanned, remap, self.work)
        else:
            if scanned is not None:
                os.unlink(scanned.prov_path)
            _, self.encoded = prepare(Shard(self.pieces), self.cfg, self.work, known=vocab)
        self.tabs = output_tables(vocab.counts, self.cfg)
        n_out = layer(self.cfg.loss).n_out(len(vocab))
        if W_in is None:  # a fresh run: the client's initial model, made here from the same seed
            from w2v.trainers.word2vec import init_weights

            W_in, W_out = init_weights(len(vocab), self.cfg.dim, self.cfg.seed, n_out)
        self.weights = kernels.Weights.word2vec(np.array(W_in, np.float32), np.array(W_out, np.float32))
        self.kcfg = kernel_config(self.cfg, self.encoded, self.tabs, n_out)._replace(seed=shard_seed(self.cfg.seed, self.shard))
        self.kernel = kernels.lane_kernel(self.kcfg.model, self.kcfg.shared)
        # the chunks of a local run's epoch, in order (block position, start, end): rounds are runs of them,
        # so with one shard the kernel sees exactly the calls of a local --threads 1 run
        plan = []
        for at, block in self.encoded.blocks(BLOCK_IDS):
            starts, ends = plan_chunks(block)
            plan.append(np.stack([np.full(len(starts), at), starts, ends], axis=1))
        self.plan = np.concatenate(plan) if plan else np.zeros((0, 3), np.int64)
        self.block_at, self.block = -1, None
        self.rows = RowSync((self.weights.W_in, self.weights.W_out), hot_rows(vocab.counts, self.cfg.loss), self.half)
        none = np.zeros(0, np.int64)  # compile (or load) the kernels now, not in the first round
        self.kernel(0, 1, np.zeros(0, np.int32), none, none, 0, 0, self.weights, self.tabs, self.kcfg,
                    np.zeros(0), none)
        self.rows.take(self.rows.report(False))  # (nothing has changed: the row passes compile or load)

    def reset(self, W_in, W_out):
        """Set the weights to a combined model (a step trained again after a replica was lost)."""
        self.weights.W_in[:] = W_in
        self.weights.W_out[:] = W_out
        self.rows.reset()

    def _block(self, at):
        if at != self.block_at:
            self.block_at, self.block = at, next(self.encoded.blocks(BLOCK_IDS_BIG, start=at))[1].copy()
        return self.block

    def train(self, epoch, r, rounds, update=None, full=True):
        """Apply the combined rows ``update``, train round ``r`` (1..rounds) of the epoch (its share of the
        shard's chunks), and return the loss, the predictions, the seconds the kernel took, and, for each
        matrix, the rows changed since they were last combined (RowSync.report)."""
        self.rows.take(update)
        t0 = time.perf_counter()
        n = len(self.plan)
        todo = self.plan[n * (r - 1) // rounds:n * r // rounds]
        loss, predictions = 0.0, 0
        for at in np.unique(todo[:, 0]):
            mine = todo[todo[:, 0] == at]
            losses = np.zeros(len(mine))
            counts = np.zeros(len(mine), np.int64)
            self.kernel(0, 1, self._block(int(at)), mine[:, 1].copy(), mine[:, 2].copy(), int(at), epoch,
                        self.weights, self.tabs, self.kcfg, losses, counts)
            loss, predictions = loss + float(losses.sum()), predictions + int(counts.sum())
        seconds = time.perf_counter() - t0
        return loss, predictions, self.rows.report(full), seconds

    def close(self):
        import shutil

        shutil.rmtree(self.work, ignore_errors=True)


class RowSync:
    """A replica's side of the combination, for its model's matrices ``W`` (changed in place by its kernel):
    a snapshot of them as last combined (a row that differs from it has changed since; kept row by row, no
    copies of the whole model between rounds), and what it reports and takes each round.

    With values (``half`` False) the snapshot takes the reported values at once, and the combination sends
    back only the rows whose combined values differ. With ``half`` the replica reports each changed row's
    change since the snapshot as float16 codes, and its row takes the snapshot plus that change as rounded;
    the combined model adds the same rounded changes, so after ``take`` every row sent or reported holds
    the same float32 values in every replica and in the combined model."""

    def __init__(self, W, hot, half):
        self.W, self.hot, self.half = tuple(W), hot, half
        self.reset()

    def reset(self):
        """The matrices as they are now are the combined model."""
        self.snap = tuple(M.copy() for M in self.W)
        self.reported = ()  # (half) the rows each matrix last reported, taken into the snapshot by take

    def report(self, full):
        """For each matrix, the rows changed since they were last combined, with their values (or ``half``:
        their changes as float16 codes): the hot rows (the frequent words'), all rows when ``full``."""
        his = [M.shape[0] if full else h for M, h in zip(self.W, self.hot)]
        if not self.half:
            return [_report_rows(M, S, hi) for M, S, hi in zip(self.W, self.snap, his)]
        changed = [_report_changes(M, S, hi, DECODE) for M, S, hi in zip(self.W, self.snap, his)]
        self.reported = [rows for rows, _ in changed]
        return changed

    def take(self, update):
        """Set the rows of ``update`` (update_for: [(rows, values or changes) per matrix] or None) to the
        combined model's; with ``half``, the snapshot takes the rows reported last (those that it alone
        changed were not sent back: the combined model has them as reported)."""
        for M, S, (rows, vals) in zip(self.W, self.snap, update or ()):
            if self.half:
                _add_changes(M, S, _aligned(rows), _aligned(vals), DECODE, True)
            else:
                _set_rows(M, S, _aligned(rows), _aligned(vals))
        for M, S, rows in zip(self.W, self.snap, self.reported):
            _copy_rows(S, M, rows)
        self.reported = ()


def _aligned(a):
    """``a``, copied if it is not aligned: Dask may hand arrays over at any byte offset of a frame, and numpy
    and Numba take slow paths over unaligned ones (update_for took 10x as long)."""
    return a if a.flags.aligned else a.copy()


@numba.njit(cache=True, nogil=True)
def _changed_rows(W, S, hi):
    """The rows below ``hi`` of ``W`` that differ from the snapshot ``S``."""
    rows = np.empty(hi, np.int64)
    n = 0
    for x in range(hi):
        for k in range(W.shape[1]):
            if W[x, k] != S[x, k]:
                rows[n] = x
                n += 1
                break
    return rows[:n].copy()


@numba.njit(cache=True, nogil=True)
def _report_rows(W, S, hi):
    """The rows below ``hi`` of ``W`` that differ from the snapshot ``S``, with their values; ``S`` takes them."""
    rows = _changed_rows(W, S, hi)
    vals = np.empty((len(rows), W.shape[1]), W.dtype)
    for j in range(len(rows)):
        for k in range(W.shape[1]):
            vals[j, k] = S[rows[j], k] = W[rows[j], k]
    return rows, vals


@numba.njit(cache=True, nogil=True)
def _report_changes(W, S, hi, decode):
    """The rows below ``hi`` of ``W`` that differ from the snapshot ``S``, with their changes from it as float16
    codes (w2v.half); the rows of ``W`` take ``S`` plus their rounded changes (``S`` stays until combined)."""
    rows = _changed_rows(W, S, hi)
    change = np.empty(W.shape[1], np.float32)
    bits = change.view(np.uint32)
    codes = np.empty((len(rows), W.shape[1]), np.uint16)
    for j in range(len(rows)):
        r = rows[j]
        for k in range(W.shape[1]):
            change[k] = W[r, k] - S[r, k]
        for k in range(W.shape[1]):
            c = encode(bits[k])
            codes[j, k] = c
            W[r, k] = S[r, k] + decode[c]
    return rows, codes


@numba.njit(cache=True, nogil=True)
def _set_rows(W, S, rows, vals):
    """Set ``rows`` of the model ``W`` and of its snapshot ``S`` to combined values."""
    for j in range(rows.shape[0]):
        for k in range(W.shape[1]):
            W[rows[j], k] = S[rows[j], k] = vals[j, k]


@numba.njit(cache=True, nogil=True)
def _add_changes(W, S, rows, codes, decode, snap):
    """Set ``rows`` of the model ``W`` to those of ``S`` plus the changes ``codes`` (float16), and (``snap``)
    those of ``S`` to the same."""
    for j in range(rows.shape[0]):
        for k in range(W.shape[1]):
            x = S[rows[j], k] + decode[codes[j, k]]
            W[rows[j], k] = x
            if snap:
                S[rows[j], k] = x


@numba.njit(cache=True, nogil=True)
def _copy_rows(S, W, rows):
    """Set ``rows`` of ``S`` to those of ``W``."""
    for j in range(rows.shape[0]):
        S[rows[j]] = W[rows[j]]


def combine(changed, base, mode="sum", half=False):
    """The combined rows, [(rows, values, how many replicas changed each) for W_in, W_out], from each
    replica's changed rows and the combined model ``base`` they started from: the old row plus every
    replica's change (``sum``), the average over the replicas that changed the row (``changed``,
    SPARK-24666), or over all replicas, an unchanged row counting with its old value (``all``, Spark's
    whole-model average). A row that one replica alone changed takes its value exactly (``sum`` and
    ``changed``), so one replica combines to itself bit for bit. With ``half`` the replicas sent their
    changes as float16 codes, and the combined rows are such codes too, which ``apply`` adds."""
    out = []
    for m, W in enumerate(base):
        uniq = np.unique(np.concatenate([c[m][0] for c in changed]))
        n = np.zeros(len(uniq), np.int64)
        ats = [np.searchsorted(uniq, c[m][0]) for c in changed]
        for at in ats:
            n[at] += 1
        res = np.zeros((len(uniq), W.shape[1]), W.dtype) if half else W[uniq]
        for c, at in zip(changed, ats):
            if half:
                _add_coded(res, at, c[m][1], DECODE, n, len(changed), _MODES[mode])
            else:
                _add_change(res, at, c[m][0], c[m][1], W, n, len(changed), _MODES[mode])
        if mode == "all":
            n[:] = len(changed) + 1  # (every replica needs every combined row)
        out.append((uniq, encode_rows(res) if half else res, n))
    return out


def apply(W, rows, vals, half):
    """Set the combined model's ``rows`` to the combined ``vals`` (``half``: add these changes to them), to the
    float32 values each replica sets them to (RowSync.take)."""
    if half:
        _add_changes(W, W, rows, vals, DECODE, False)
    else:
        W[rows] = vals


_MODES = {"sum": 0, "changed": 1, "all": 2}


@numba.njit(cache=True, nogil=True)
def _add_change(res, at, rows, vals, W, n, replicas, mode):
    """Add one replica's changed rows (their values) into the combined rows ``res`` (see combine)."""
    for j in range(rows.shape[0]):
        a, r = at[j], rows[j]
        if mode != 2 and n[a] == 1:
            res[a] = vals[j]
            continue
        scale = 1.0 if mode == 0 else (1.0 / n[a] if mode == 1 else 1.0 / replicas)
        for k in range(res.shape[1]):
            res[a, k] += np.float32(scale * (vals[j, k] - W[r, k]))


@numba.njit(cache=True, nogil=True)
def _add_coded(res, at, codes, decode, n, replicas, mode):
    """Add one replica's changes (float16 codes) into the combined changes ``res``, which start at zero (see
    combine): a row that one replica alone changed takes its change exactly (``sum``, ``changed``)."""
    for j in range(codes.shape[0]):
        a = at[j]
        scale = 1.0 if mode == 0 else (1.0 / n[a] if mode == 1 else 1.0 / replicas)
        for k in range(res.shape[1]):
            res[a, k] += np.float32(scale * decode[codes[j, k]])


def update_for(combined, mine):
    """The combined rows a replica needs: all but those that it alone changed (it has their values), unless
    these are few."""
    out = []
    for (rows, vals, n), own in zip(combined, mine):
        at = np.searchsorted(rows, own[0])  # (every row of its own is among the combined ones)
        alone = at[n[at] == 1]
        # no copy where it would leave out few rows (the frequent rows' rounds; W_out, whose rows the negative
        # samples all touch): those rows come back with the values the replica has
        if len(alone) * 8 < len(rows):
            out.append((rows, vals))
            continue
        keep = np.ones(len(rows), bool)
        keep[alone] = False
        keep = np.flatnonzero(keep)
        out.append((rows[keep], vals.take(keep, axis=0)))  # (take: 5x a boolean mask's speed on rows)
    return out


class _Lost(Exception):
    def __init__(self, lost):
        super().__init__(lost)
        self.lost = lost  # [(shard, exception)]


class Trainer:
    """Skip-gram and CBOW trained by replicas on the cluster, as a trainer under the one driver (so the
    progress bar, JSON log, callback, signals and checkpoints work as locally). A position is a count of
    finished rounds in the epoch; a checkpoint holds the combined model after one."""

    memory_remedy = "lower --dim or --max-vocab, or raise --min-count"
    FULL_SYNCS = 8  # full synchronisations per epoch (steps of the progress bar, checkpoint points)
    HOT_ROUNDS = 4  # rounds per full synchronisation (the frequent words' rows are combined after each)

    def __init__(self, cfg, run):
        if cfg.model not in ("sg", "cbow"):
            raise OptionError(f"--dask trains --model sg or cbow (and counts GloVe's co-occurrences), "
                              f"not {cfg.model}")
        self.cfg, self.run = cfg, run
        whole = run.sync_average == "all"  # Spark's baseline: every row over every replica, once an epoch
        self.steps_per_epoch = 1 if whole else run.sync_rounds or self.FULL_SYNCS
        self.hot_rounds = 1 if whole else run.sync_hot or self.HOT_ROUNDS  # rounds per step; the last is full
        self.client = connect(run.dask)
        self.replicas, self.ready = None, False
        self.pending = None  # the combined rows each replica has yet to take (at the next round)
        self.resumed = True  # until init() says the run is fresh
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
        counted = [self.client.submit(_replica_count, rep, workers=w, allow_other_workers=True, pure=False)
                   for rep, w in zip(self.replicas, where)]
        report = _report(_tree(self.client, counted, _merge_counts), self.cfg.min_count, self.cfg.max_vocab)
        known = known_vocab(self.run.read_vocab, resumed_vocab)
        self.vocab = known if known is not None else report.vocab
        if len(self.vocab) == 0:
            raise CorpusError(f"vocabulary is empty: no word occurs at least --min-count {self.cfg.min_count} times")
        self.total_tokens = report.total_tokens
        self.n_out = layer(self.cfg.loss).n_out(len(self.vocab))
        # (a checkpoint's positions count synchronisations: a resume needs the same shards and schedule)
        sync = [self.steps_per_epoch, self.hot_rounds, self.run.sync_average]
        return Prepared(self.vocab, self.vocab, {"total_tokens": report.total_tokens, "shards": len(self.parts),
                                                 "sync": sync},
                        f"vocabulary: {len(self.vocab)} words of {report.total_tokens} tokens, counted on "
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
        """The replicas' learning rate over --alpha. An average over S replicas moves a row by the mean of
        their changes: each replica's data would count 1/S. With ``changed`` averaging the replicas step S
        times the learning rate, so the average moves as one model trained on all of it (the linear
        scaling rule); with one shard nothing changes."""
        return len(self.parts) if self.run.sync_average == "changed" else 1

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
        from w2v.control import Epochs, divergence_test, log
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

        def step(epoch, p, updates):
            """The rounds of step p; raises _Lost naming the replicas whose workers died."""
            loss = predictions = 0
            for h in range(1, hot_rounds + 1):
                r, full = (p - 1) * hot_rounds + h, h == hot_rounds
                t0 = time.perf_counter()
                calls = []
                for rep, update in zip(self.replicas, updates):
                    try:
                        calls.append(rep.train(epoch, r, rounds, update, full))
                    except Exception as e:  # (an actor whose worker is known to be gone fails here)
                        calls.append(e)
                results, lost = [], []
                for s, call in enumerate(calls):
                    try:
                        if isinstance(call, Exception):
                            raise call
                        results.append(call.result())
                    except W2VError:
                        raise
                    except Exception as e:
                        lost.append((s, e))
                if lost:
                    raise _Lost(lost)
                changed = [[tuple(map(_aligned, m)) for m in res[2]] for res in results]
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

        def steps(epoch, position):
            start()
            # the last combination's rows go to the replicas with their next round, in this epoch or the next
            updates = self.pending or [None] * len(self.replicas)
            for p in range(position + 1, steps_per_epoch + 1):
                base = (W_in.copy(), W_out.copy())  # the combined model when the step starts
                while True:
                    try:
                        loss, predictions, updates = step(epoch, p, updates)
                        break
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
                      diverged=divergence_test(W_in[0], "--alpha", cfg.start_alpha, cfg.default_alpha),
                      per_position=self.total_tokens / steps_per_epoch)

    def close(self):
        """Remove the replicas' work directories and close the client (the driver calls it in any case)."""
        if self.client is None:
            return
        for rep in self.replicas or []:
            try:
                rep.close().result()
            except Exception:
                pass
        close(self.client)
        self.client = None

    def finish(self, params, progress, seconds, epochs_run):
        from w2v.trainers import Finished
        from w2v.vectors import Vectors

        self.close()
        cfg, s = self.cfg, self.sync
        wps = self.total_tokens * epochs_run / max(seconds, 1e-9)
        hot = s["rounds"] - s["full"]
        per_full = s["bytes_full"] / max(s["full"], 1)
        per_hot = s["bytes_hot"] / max(hot, 1)
        share = 1 - s["compute_s"] / max(s["round_s"], 1e-9)
        return Finished(Vectors(self.vocab.words, params["W_in"]),
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
