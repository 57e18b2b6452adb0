"""Learning phrases: passes that count unigrams and candidates over the corpus (the scan of training and a
candidate-counting kernel in a thread beside it), score them, and write or apply what they keep."""

import math
import os
import sys
import tempfile
import time

import numpy as np

from w2v.atomic import atomic_write
from w2v.corpus.reading import close_source
from w2v.errors import CorpusError, OptionError
from w2v.phrases.applying import Applier, PhrasedReader
from w2v.phrases.kernels import count_candidates, empty_table, rehash, score_rows
from w2v.phrases.model import Pass, Phrases

SCORINGS = ("word2phrase", "gensim", "npmi")
# gensim.models.phrases.ENGLISH_CONNECTOR_WORDS
ENGLISH_CONNECTOR_WORDS = ("a", "an", "and", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to",
                           "with", "without")
MAX_CONNECTORS = 7  # connector words inside one phrase (8 bits each in a 64-bit key)
DEFAULT_MAX_BIGRAMS = 20_000_000  # live candidate types before pruning (24-byte rows, load <= 0.7)
LOAD = 0.7  # the candidate table's largest load factor (open addressing, linear probing)


def connector_words(spec):
    """``None``/"none": no connector words; "english": gensim's ENGLISH_CONNECTOR_WORDS; a path: a file of
    words (whitespace-separated); or an iterable of words."""
    if spec is None or spec == "none":
        return ()
    if spec == "english":
        return ENGLISH_CONNECTOR_WORDS
    if isinstance(spec, (str, os.PathLike)):
        if not os.path.isfile(spec):
            raise OptionError(f"--connector-words must be english, none or a file of words; not found: {spec}")
        with open(spec, encoding="utf-8", errors="replace") as f:
            words = f.read().split()
    else:
        words = list(spec)
    words = tuple(dict.fromkeys(words))
    if len(words) > 255:
        raise OptionError(f"at most 255 connector words (got {len(words)})")
    return words


def thresholds(spec, passes, scoring):
    """One threshold per pass from a number, a list or "200,100"; defaults: word2vec's demo (200, then 100),
    gensim's 10 for its scorer, 0.5 for npmi."""
    if spec is None:
        default = {"word2phrase": [200.0, 100.0], "gensim": [10.0], "npmi": [0.5]}[scoring]
        values = default[:passes] + [default[-1]] * (passes - len(default))
    else:
        if isinstance(spec, str):
            try:
                values = [float(x) for x in spec.split(",")]
            except ValueError:
                raise OptionError(f"--threshold must be numbers separated by commas, not {spec!r}") from None
        elif isinstance(spec, (int, float)):
            values = [float(spec)]
        else:
            values = [float(x) for x in spec]
        if len(values) == 1:
            values = values * passes
        if len(values) != passes:
            raise OptionError(f"--threshold gives {len(values)} values for {passes} passes")
    for t in values:
        if scoring == "npmi" and not -1 <= t <= 1:
            raise OptionError(f"--threshold {t:g} is outside [-1, 1], the range of npmi scores")
        if not math.isfinite(t):
            raise OptionError(f"--threshold must be a finite number (got {t})")
    return values


class _CandidateCounter:
    """Counts candidates in a thread beside the scan: the scan hands over each block of provisional ids
    (scan_corpus's sink) and goes on tokenizing while the previous block is counted."""

    def __init__(self, conn, max_bigrams):
        from concurrent.futures import ThreadPoolExecutor

        self.conn, self.max_bigrams = conn, max_bigrams
        self.table = empty_table(min(1 << 20, 1 << int(2 * max_bigrams - 1).bit_length()), mid=len(conn) > 0)
        self.st = np.array([0, -1, 0, 0], np.int64)
        self.min_reduce, self.prunes = 1, 0
        self.pool, self.pending = ThreadPoolExecutor(1), None

    def __call__(self, ids):
        block = ids.copy()
        self.wait()
        self.pending = self.pool.submit(self._count, block)

    def wait(self):
        if self.pending is not None:
            self.pending.result()
            self.pending = None

    def close(self):
        self.pool.shutdown(wait=True)

    def _count(self, block):
        while True:
            cap = len(self.table)
            room = min(int(LOAD * cap), self.max_bigrams)
            stop, status = count_candidates(block, len(block), self.conn, self.table, self.st, room)
            if status == 0:
                return
            block = block[stop:]
            # full: a table twice the size, or at the limit word2vec.c's ReduceVocab (drop the candidates
            # counted at most min_reduce times, then raise min_reduce)
            prune = self.st[0] >= self.max_bigrams
            new = empty_table(cap if prune else 2 * cap, self.table.shape[1] == 3)
            self.st[0] = rehash(self.table, new, self.min_reduce + 1 if prune else 0)
            self.table = new
            if prune:
                self.min_reduce += 1
                self.prunes += 1


def learn_pass(corpus, workdir, scoring, threshold, min_count, connectors, delimiter,
               max_bigrams=DEFAULT_MAX_BIGRAMS):
    """Count ``corpus`` (see corpus.open_corpus) and keep the candidates scoring above ``threshold``."""
    from w2v.corpus import describe, scan_corpus

    t0 = time.perf_counter()
    # the connector words are seeded into the scan's table, so their provisional ids are 0..C-1
    conn = np.arange(1, len(connectors) + 1, dtype=np.int64)
    counter = _CandidateCounter(conn, max_bigrams)
    try:
        scanned = scan_corpus(corpus, workdir, sink=counter, seed_words=connectors)
        counter.wait()
    finally:
        counter.close()
    if scanned.total_tokens == 0:
        raise CorpusError(f"corpus is empty (no tokens): {describe(corpus)}")
    words = scanned.words
    pid_count = np.zeros(scanned.n_pids + 1, np.int64)
    pid_count[scanned.pids] = scanned.counts
    table, st, prunes = counter.table, counter.st, counter.prunes
    del counter
    # gensim's len(vocab): unigram types but the connector words, plus candidate types
    connector_set = set(connectors)
    types = int(len(words) - sum(w in connector_set for w in words) + st[0])
    keep, score = score_rows(table, pid_count, SCORINGS.index(scoring), min_count, float(scanned.total_tokens),
                             float(types), threshold)
    rows = table[keep]
    del table
    pid_word = dict(zip(scanned.pids.tolist(), words))
    codes = {i + 1: w for i, w in enumerate(connectors)}
    phrases = []
    for ab, mid in zip(rows[:, 0].tolist(), rows[:, 2].tolist() if rows.shape[1] == 3 else [0] * len(rows)):
        between = []
        while mid:
            between.append(codes[mid & 0xFF])
            mid >>= 8
        phrases.append((pid_word[ab >> 32], *reversed(between), pid_word[ab & 0xFFFFFFFF]))
    stats = {"tokens": scanned.total_tokens, "word_types": len(words), "candidates": int(st[0]),
             "pruned": prunes, "seconds": time.perf_counter() - t0}
    return Pass(phrases, rows[:, 1], score, scoring, threshold, min_count, stats)


class _Tee:
    """A corpus read through phrase passes whose output is also written to a file (the next pass's text)."""

    def __init__(self, corpus, appliers, path):
        self.corpus, self.appliers, self.path = corpus, appliers, path

    def describe(self):
        from w2v.corpus import describe

        return describe(self.corpus) + " (phrased)"

    def open_binary(self):
        from w2v.corpus import Copy, open_corpus

        reader = PhrasedReader(open_corpus(self.corpus), self.appliers)
        return Copy(reader, self.path) if self.path else reader


def apply_file(corpus, path, appliers, progress=False):
    """Write ``corpus`` through ``appliers`` to ``path`` (atomically); returns the bytes written."""
    from w2v.corpus import Prefetch, describe, open_corpus

    f = open_corpus(corpus)
    reader = Prefetch(PhrasedReader(f, appliers), describe(corpus))
    written = 0
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(unit="B", unit_scale=True, desc="phrasing", file=sys.stderr, leave=False)
    try:
        with atomic_write(path, "wb") as out:
            for data in reader:
                out.write(data)
                written += len(data)
                if bar is not None:
                    bar.update(len(data))
    finally:
        reader.close()
        close_source(f)
        if bar is not None:
            bar.close()
    return written


def learn(corpus, output=None, passes=2, threshold=None, scoring="word2phrase", min_count=5, delimiter="_",
          connector_words_spec=None, max_bigrams=DEFAULT_MAX_BIGRAMS, tmp_dir=None, progress=True, threads=None):
    """Learn ``passes`` passes of phrases on ``corpus``, each on the text phrased by the ones before;
    write the phrased text to ``output`` when given. Returns a Phrases model. ``threads`` join phrases in
    the text [all cores]; counting takes one thread beside the reader's.

    Pass k learns while it phrases the text of pass k - 1 with pass k - 1's phrases (written to a work
    file on the way for pass k + 1), so each pass reads its text once; the last pass's phrases are
    applied in a final read.
    """
    from w2v.messages import log

    if scoring not in SCORINGS:
        raise OptionError(f"--scoring must be word2phrase, gensim or npmi, not {scoring!r}")
    if passes < 1:
        raise OptionError(f"--passes must be at least 1 (got {passes})")
    if min_count < 1:
        raise OptionError(f"--min-count must be at least 1 (got {min_count})")
    if threads is not None and (not isinstance(threads, int) or threads < 0):
        raise OptionError(f"--threads must be a number of threads, 0 for all cores (got {threads!r})")
    if max_bigrams < 1000:
        raise OptionError(f"--max-bigrams must be at least 1000 (got {max_bigrams})")
    if not delimiter or any(c.isspace() for c in delimiter):
        raise OptionError(f"--delimiter must be a non-empty string without whitespace (got {delimiter!r})")
    limits = thresholds(threshold, passes, scoring)
    connectors = connector_words(connector_words_spec)
    if output is not None:
        from w2v.atomic import check_target

        check_target(output)
    model = Phrases([], delimiter, connectors)
    with tempfile.TemporaryDirectory(prefix="w2v-phrases-", dir=tmp_dir) as workdir:
        from w2v.corpus import rereadable

        text = corpus if rereadable(corpus) else _spool(corpus, os.path.join(workdir, "input.txt"))
        applier = None  # the previous pass's phrases
        for k, limit in enumerate(limits, 1):
            if applier is None:
                source = text
            else:  # read the previous pass's text through its phrases, keeping the result for the next pass
                keep = os.path.join(workdir, f"pass{k - 1}.txt") if (k < len(limits) or output) else None
                source = _Tee(text, [applier], keep)
            learned = learn_pass(source, workdir, scoring, limit, min_count, connectors, delimiter, max_bigrams)
            if applier is not None:
                model.passes[-1].stats["joined"] = applier.n_joined
                log(not progress, f"pass {k - 1}: joined {applier.n_joined} occurrences")
                if text is not corpus:
                    os.unlink(text)  # the text before the previous pass (or the spooled input)
                text = keep
            model.passes.append(learned)
            s = learned.stats
            log(not progress, f"pass {k}: {s['tokens']} tokens, {s['word_types']} word types, {s['candidates']} "
                              f"candidate types{' (pruned %d times)' % s['pruned'] if s['pruned'] else ''}; "
                              f"{len(learned)} phrases score above {limit:g} ({s['seconds']:.1f} s)")
            applier = Applier(learned.phrases, connectors, delimiter, threads)
        if output is not None:
            apply_file(text, output, [applier], progress=progress)
            model.passes[-1].stats["joined"] = applier.n_joined
            log(not progress, f"pass {len(limits)}: joined {applier.n_joined} occurrences")
    return model


def _spool(corpus, path):
    """Copy standard input or an iterable of sentences to ``path``, since each pass reads its text twice."""
    from w2v.corpus import open_corpus

    f = open_corpus(corpus)
    try:
        with open(path, "wb") as out:
            while True:
                b = f.read(8 << 20)
                if not b:
                    break
                out.write(b)
    finally:
        close_source(f)
    return path
