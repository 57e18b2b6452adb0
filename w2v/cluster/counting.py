"""Counting on the cluster: each shard's vocabulary counted on its worker (as ``Counts``, merged pairwise in
a tree of tasks in the Numba table the spilled runs use) and GloVe's co-occurrences summed by row
partition; both equal a local count of the same files."""

import os
import tempfile
from typing import NamedTuple

import numpy as np

from w2v.cluster.connection import workers_of
from w2v.corpus.pieces import Shard, shards
from w2v.errors import CorpusError

class Words:
    """A vocabulary's words as one argument: Dask walks every list or tuple it is handed, looking for
    futures inside (3 s for 121k words), but passes other objects whole."""

    def __init__(self, words):
        self.words = list(words)


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


def counts_of(r):
    """A scan's counts as Counts (two invalid byte strings decoding to the same word add up)."""
    arena = np.frombuffer("".join(w + "\n" for w in r.words).encode("utf-8"), np.uint8)
    ends = np.flatnonzero(arena == 10)
    off = np.zeros(len(ends), np.int64)
    off[1:] = ends[:-1] + 1
    return merge_counts(Counts(arena, off, (ends - off).astype(np.int32), np.asarray(r.counts, np.int64),
                                r.total_tokens, r.invalid_utf8))


def scan_shard(pieces_, work, limit, keep_stream=False):
    """Count the shard ``pieces_`` in directory ``work`` (``limit``: scan_corpus's count_limit): (its Counts,
    the scan). ``keep_stream`` keeps the provisional id stream for a replica to encode once the vocabulary
    is chosen (read again where pruning dropped occurrences); without it the stream is deleted."""
    from w2v.corpus import scan_corpus

    scanned = scan_corpus(Shard(pieces_), work, count_limit=limit, reread_if_pruned=keep_stream)
    if not keep_stream:
        os.unlink(scanned.prov_path)
    return counts_of(scanned), scanned


def _count_shard(pieces_, limit):
    """Worker side: the Counts of a shard, as a task of the vocabulary's tree."""
    from w2v import scan

    with tempfile.TemporaryDirectory(prefix="w2v-count-") as work:
        scan.warm_up()
        return scan_shard(pieces_, work, limit)[0]


def replica_count(replica):
    """Worker side: a replica's count of its shard (Replica.count), as a task result for the tree."""
    return replica.count().result()


def merge_counts(*parts):
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


def tree(client, futures, merge):
    while len(futures) > 1:
        futures = [client.submit(merge, futures[i], futures[i + 1]) if i + 1 < len(futures) else futures[i]
                   for i in range(0, len(futures), 2)]
    return futures[0].result()


def vocabulary(client, corpus, min_count=5, max_vocab=None, n_shards=None, limit=None):
    """The vocabulary of ``corpus`` counted on the cluster: a VocabularyReport equal to a local count's
    (``limit``: --max-types, the live types pruned beyond; None: each shard counts exactly)."""
    parts = shards(corpus, n_shards or max(1, 4 * len(workers_of(client))))
    counted = [client.submit(_count_shard, p, limit, pure=False) for p in parts]
    return report(tree(client, counted, merge_counts), min_count, max_vocab)


def report(merged, min_count, max_vocab):
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
