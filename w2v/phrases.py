"""Phrases (word2vec.c's word2phrase, gensim's ``Phrases``): join frequent bigrams into one token.

A pass counts unigrams and *candidates* (two words in a row, or two words with only connector words
between them: "bank of america") over the corpus, scores every candidate, and keeps those scoring above
the threshold. Applying a pass reads the text again and joins kept candidates left to right, greedily:
once ``a b`` is joined, ``b`` cannot start another phrase (word2phrase and gensim alike). Two passes
build phrases of up to four words ("new_york times" -> "new_york_times").

Scorers (``count`` is a candidate's count, ``a``, ``b`` its words' counts, ``N`` the tokens read):

- ``word2phrase``: ``(count - min_count) / a / b * N`` (word2phrase.c); words rarer than min_count never join.
- ``gensim``: ``(count - min_count) / (a * b) * types`` (gensim's default scorer), ``types`` being the number
  of unigram and candidate types counted (connector words are not counted as unigrams, as in gensim).
- ``npmi``: ``ln(p(ab) / (p(a) p(b))) / -ln p(ab)`` in [-1, 1] with ``p = count / N``; candidates rarer than
  min_count never join.

The text is tokenized by the same Numba scan as training (scan.py: unigram counts and a provisional id
stream); candidates are counted on that stream in an open-addressing table of (left, right, connectors)
keys. When the table reaches ``max_bigrams`` entries, candidates seen at most ``min_reduce`` times are
dropped and ``min_reduce`` grows, as word2vec.c's ReduceVocab does, so memory is bounded and counts are
approximate after a pruning round (said in the summary). Applying is a second Numba pass over the text
that copies tokens and writes the delimiter inside phrases; whitespace is normalised to single spaces
and a newline per non-empty line. Up to ``MAX_CONNECTORS`` connector words may stand inside one phrase.

A learned model is a list of passes, saved as a TSV (``save``/``load``) that ``w2v train --phrases``
applies on the fly while reading the corpus (``Phrased``), without writing the joined text.
"""

import math
import os
import sys
import tempfile
import time

import numba
import numpy as np

from w2v import scan
from w2v.atomic import atomic_write
from w2v.errors import CorpusError, FormatError, OptionError

SCORINGS = ("word2phrase", "gensim", "npmi")
# gensim.models.phrases.ENGLISH_CONNECTOR_WORDS
ENGLISH_CONNECTOR_WORDS = ("a", "an", "and", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to",
                           "with", "without")
MAX_CONNECTORS = 7  # connector words inside one phrase (8 bits each in a 64-bit key)
DEFAULT_MAX_BIGRAMS = 20_000_000  # live candidate types before pruning (24-byte rows, load <= 0.7)
FORMAT_HEADER = "# w2v phrases 1"

_NEED_ROOM = 1
PARALLEL_BYTES = 1 << 20  # blocks larger than this are phrased by two threads
LOAD = 0.7  # the candidate table's largest load factor (open addressing, linear probing)


# ---------------------------------------------------------------- kernels
@numba.njit(inline="always")
def _slot(ab, mid, mask):
    h = (np.uint64(ab) * np.uint64(0x9E3779B97F4A7C15)) ^ (np.uint64(mid) * np.uint64(0xC2B2AE3D27D4EB4F))
    return np.int64((h ^ (h >> np.uint64(29))) & np.uint64(mask))


@numba.njit(inline="always")
def _find(ab, mid, table):
    """The row of key (ab, mid) in ``table``, or the empty row where it would go. A row is (ab or -1 when
    empty, count), or (ab, count, mid) where connector words exist: one cache line per probe."""
    mask = table.shape[0] - 1
    j = _slot(ab, mid, mask)
    while table[j, 0] != -1 and not (table[j, 0] == ab and (table.shape[1] == 2 or table[j, 2] == mid)):
        j = (j + 1) & mask
    return j


@numba.njit(cache=True, nogil=True)
def count_candidates(ids, n, conn, table, st, room):
    """Count the candidates of the provisional id stream ``ids[:n]`` (-1 at line ends); returns where it
    stopped and a status (0: done, 1: the table holds ``room`` keys, grow or prune it and call again).

    ``conn[pid]`` is a connector word's code (1..255) or 0 (also beyond its end). ``st`` carries the open candidate across
    blocks: [used, left pid (-1: none), connector codes, connector count]. A candidate is a word, the
    connector words after it (at most MAX_CONNECTORS) and the next word; the next word starts the next
    candidate.
    """
    i = 0
    while i < n:
        p = ids[i]
        if p < 0:
            st[1] = -1
            st[2] = 0
            st[3] = 0
            i += 1
            continue
        c = conn[p] if p < conn.shape[0] else 0
        if c != 0:
            if st[1] >= 0:
                st[2] = (st[2] << 8) | c
                st[3] += 1
            i += 1
            continue
        if st[1] >= 0 and st[3] <= MAX_CONNECTORS:
            if st[0] >= room:
                return i, _NEED_ROOM
            ab = (st[1] << 32) | p
            j = _find(ab, st[2], table)
            if table[j, 0] == -1:
                table[j, 0] = ab
                table[j, 1] = 0
                if table.shape[1] == 3:
                    table[j, 2] = st[2]
                st[0] += 1
            table[j, 1] += 1
        st[1] = p
        st[2] = 0
        st[3] = 0
        i += 1
    return n, 0


@numba.njit(cache=True, nogil=True)
def rehash(rows, new, min_keep):
    """Move the rows (ab, count[, mid]) counted at least ``min_keep`` times into the empty table ``new``;
    returns how many."""
    used = 0
    for j in range(rows.shape[0]):
        if rows[j, 0] != -1 and rows[j, 1] >= min_keep:
            k = _find(rows[j, 0], rows[j, 2] if rows.shape[1] == 3 else 0, new)
            for c in range(rows.shape[1]):
                new[k, c] = rows[j, c]
            used += 1
    return used


@numba.njit(cache=True, nogil=True)
def score_rows(table, count, scoring, min_count, total, types, threshold):
    """The rows of candidates scoring above ``threshold``, and their scores. ``count[pid]``: unigram
    counts (0 for a pruned word: never joined); ``scoring``: an index into SCORINGS."""
    n = 0
    for sweep in range(2):  # count, then fill arrays of that size
        if sweep == 1:
            keep = np.empty(n, np.int64)
            score = np.empty(n, np.float64)
            n = 0
        for j in range(table.shape[0]):
            if table[j, 0] == -1:
                continue
            ca = float(count[table[j, 0] >> 32])
            cb = float(count[table[j, 0] & 0xFFFFFFFF])
            pab = float(table[j, 1])
            if ca == 0 or cb == 0:
                continue
            if scoring == 0:  # word2phrase.c
                if ca < min_count or cb < min_count:
                    continue
                x = (pab - min_count) / ca / cb * total
            elif scoring == 1:  # gensim's original_scorer
                x = (pab - min_count) / (ca * cb) * types
            else:  # gensim's npmi_scorer
                if pab < min_count:
                    continue
                pa, pb, pp = ca / total, cb / total, pab / total
                x = np.log(pp / (pa * pb)) / -np.log(pp)
            if x > threshold:
                if sweep == 1:
                    keep[n] = j
                    score[n] = x
                n += 1
    return keep, score


def _empty(cap, mid=True):
    table = np.empty((cap, 3 if mid else 2), np.int64)
    table[:, 0] = -1
    return table


@numba.njit(cache=True, nogil=True)
def _lookup(buf, s, e, slots, e_hash, e_off, e_len, arena):
    if e - s > scan.MAX_TOKEN_BYTES:
        return -1
    h = scan.token_hash(buf, s, e)
    return scan.find_entry(buf, s, e - s, h, slots, e_hash, e_off, e_len, arena)[1]


@numba.njit(inline="always")
def _put(out, o, buf, s, e):
    for k in range(s, e):
        out[o] = buf[k]
        o += 1
    return o


@numba.njit(inline="always")
def _sep(out, o, sep):
    for k in range(sep.shape[0]):
        out[o] = sep[k]
        o += 1
    return o


@numba.njit(cache=True, nogil=True)
def apply_lines(buf, n, slots, e_hash, e_off, e_len, arena, conn, phrases, delim, out, joined):
    """Join the phrases of the whole lines ``buf[:n]`` into ``out`` (at least n + 1 bytes, times the
    delimiter's length); returns the bytes written. A last line without a newline gets one.

    Words are looked up in the table (slots .. arena; unknown words never join); ``conn[id]`` marks
    connector words; a phrase is a row (left << 32 | right, connector codes) of the table ``phrases``. Greedy left
    to right as gensim's ``analyze_sentence``. ``joined[0]`` counts the phrases written.
    """
    space = np.full(1, 32, np.uint8)
    o = 0
    i = 0
    mid_s = np.empty(MAX_CONNECTORS + 1, np.int64)
    mid_e = np.empty(MAX_CONNECTORS + 1, np.int64)
    while i < n:
        # one line: buf[i:line_end], the newline at line_end
        line_end = i
        while line_end < n and buf[line_end] != 10:
            line_end += 1
        start_s = -1
        start_e = -1
        start_id = -1
        mid_n = 0
        mid = np.int64(0)
        line_start = o
        k = i
        while k < line_end:
            if scan._SPACE[buf[k]]:
                k += 1
                continue
            s = k
            while k < line_end and not scan._SPACE[buf[k]]:
                k += 1
            w = _lookup(buf, s, k, slots, e_hash, e_off, e_len, arena)
            c = conn[w] if w >= 0 else 0
            if c != 0:
                if start_s < 0:  # a connector outside a phrase
                    if o > line_start:
                        o = _sep(out, o, space)
                    o = _put(out, o, buf, s, k)
                elif mid_n < MAX_CONNECTORS:
                    mid_s[mid_n] = s
                    mid_e[mid_n] = k
                    mid_n += 1
                    mid = (mid << 8) | c
                else:  # too many connectors for a phrase: the candidate dissolves
                    if o > line_start:
                        o = _sep(out, o, space)
                    o = _put(out, o, buf, start_s, start_e)
                    for m in range(mid_n):
                        o = _sep(out, o, space)
                        o = _put(out, o, buf, mid_s[m], mid_e[m])
                    o = _sep(out, o, space)
                    o = _put(out, o, buf, s, k)
                    start_s = -1
                    mid_n = 0
                    mid = 0
                continue
            if start_s >= 0:
                hit = False
                if w >= 0 and start_id >= 0:
                    j = _find((start_id << 32) | w, mid, phrases)
                    hit = phrases[j, 0] != -1
                if o > line_start:
                    o = _sep(out, o, space)
                o = _put(out, o, buf, start_s, start_e)
                for m in range(mid_n):
                    o = _sep(out, o, delim if hit else space)
                    o = _put(out, o, buf, mid_s[m], mid_e[m])
                mid_n = 0
                mid = 0
                if hit:
                    o = _sep(out, o, delim)
                    o = _put(out, o, buf, s, k)
                    joined[0] += 1
                    start_s = -1
                    continue
            start_s = s
            start_e = k
            start_id = w
        if start_s >= 0:
            if o > line_start:
                o = _sep(out, o, space)
            o = _put(out, o, buf, start_s, start_e)
            for m in range(mid_n):
                o = _sep(out, o, space)
                o = _put(out, o, buf, mid_s[m], mid_e[m])
        if o > line_start:
            out[o] = 10
            o += 1
        i = line_end + 1
    return o


# ---------------------------------------------------------------- a pass: its phrases and how to apply them
class Pass:
    """The phrases of one pass: ``phrases[i]`` (a tuple of tokens: left, connectors, right) with
    ``counts[i]`` and ``scores[i]``, learned with ``scoring`` above ``threshold``."""

    def __init__(self, phrases, counts, scores, scoring, threshold, min_count, stats=None):
        self.phrases = [tuple(p) for p in phrases]
        self.counts = np.asarray(counts, np.int64)
        self.scores = np.asarray(scores, np.float64)
        self.scoring, self.threshold, self.min_count = scoring, threshold, min_count
        self.stats = stats or {}

    def __len__(self):
        return len(self.phrases)


class Phrases:
    """A learned phrase model: its passes, applied in order, with the delimiter and connector words."""

    def __init__(self, passes, delimiter="_", connector_words=()):
        self.passes = list(passes)
        self.delimiter = delimiter
        self.connector_words = tuple(connector_words)

    def export(self, n_pass=None):
        """{joined phrase: score} of every pass (or of pass ``n_pass``, 1-based), as gensim's ``export_phrases``."""
        passes = self.passes if n_pass is None else [self.passes[n_pass - 1]]
        return {self.delimiter.join(p): float(s) for ps in passes for p, s in zip(ps.phrases, ps.scores)}

    def save(self, path):
        """A TSV: header lines (``# key=value``), then ``pass, phrase, count, score, tokens`` per phrase."""
        with atomic_write(path, "w") as f:
            f.write(f"{FORMAT_HEADER}\n# delimiter={self.delimiter}\n"
                    f"# connector_words={' '.join(self.connector_words)}\n")
            for k, ps in enumerate(self.passes, 1):
                f.write(f"# pass={k} scoring={ps.scoring} threshold={ps.threshold!r} min_count={ps.min_count} "
                        f"phrases={len(ps)}\n")
            f.write("pass\tphrase\tcount\tscore\ttokens\n")
            for k, ps in enumerate(self.passes, 1):
                for i in np.argsort(-ps.scores, kind="stable"):
                    p = ps.phrases[i]
                    f.write(f"{k}\t{self.delimiter.join(p)}\t{ps.counts[i]}\t{float(ps.scores[i])!r}\t{' '.join(p)}\n")

    @classmethod
    def load(cls, path):
        if not os.path.isfile(path):
            raise FormatError(f"phrases file not found: {path}")
        head, rows = {}, []
        passes = {}
        with open(path, encoding="utf-8", errors="strict") as f:
            try:
                lines = f.read().splitlines()
            except UnicodeDecodeError:
                raise FormatError(f"{path} is not a w2v phrases file (not UTF-8)") from None
        if not lines or lines[0] != FORMAT_HEADER:
            raise FormatError(f"{path} is not a w2v phrases file (written by 'w2v phrases --save-phrases')")
        for lineno, line in enumerate(lines[1:], 2):
            if line.startswith("# pass="):
                kv = dict(x.split("=", 1) for x in line[2:].split())
                passes[int(kv["pass"])] = kv
            elif line.startswith("# "):
                key, _, value = line[2:].partition("=")
                head[key] = value
            elif line.startswith("pass\t") or not line:
                continue
            else:
                parts = line.split("\t")
                try:
                    rows.append((int(parts[0]), tuple(parts[4].split(" ")), int(parts[2]), float(parts[3])))
                    if len(rows[-1][1]) < 2:
                        raise ValueError
                except (ValueError, IndexError):
                    raise FormatError(f"{path}, line {lineno}: expected 'pass, phrase, count, score, tokens'") from None
        out = []
        for k in sorted(passes):
            kv = passes[k]
            mine = [r for r in rows if r[0] == k]
            out.append(Pass([r[1] for r in mine], [r[2] for r in mine], [r[3] for r in mine], kv.get("scoring"),
                            float(kv.get("threshold", "nan")), int(kv.get("min_count", 0))))
        if set(r[0] for r in rows) - set(passes):
            raise FormatError(f"{path} lists phrases of a pass it does not describe")
        return cls(out, head.get("delimiter", "_"), head.get("connector_words", "").split())

    def __getitem__(self, sentence):
        """A list of tokens with the phrases joined (gensim's ``phrases[sentence]``)."""
        if isinstance(sentence, str):
            raise TypeError("give a list of tokens, not a string (split it first)")
        if not sentence:
            return []
        data = (" ".join(sentence) + "\n").encode("utf-8")
        if getattr(self, "_cached", (None,))[0] != len(self.passes):
            self._cached = (len(self.passes), self.appliers())
        for apply in self._cached[1]:
            data = apply(data)
        return data.decode("utf-8").split()

    def appliers(self):
        return [_Applier(ps.phrases, self.connector_words, self.delimiter) for ps in self.passes]


_POOL = []


def _pool():
    """The thread that phrases the first half of a block while the caller does the second."""
    if not _POOL:
        from concurrent.futures import ThreadPoolExecutor

        _POOL.append(ThreadPoolExecutor(1, thread_name_prefix="w2v-phrases"))
    return _POOL[0]


class _Applier:
    """One pass's phrases as the arrays apply_lines takes: a table of the words involved (the connector
    words first) and a key set of phrases."""

    def __init__(self, phrases, connector_words, delimiter):
        from w2v.corpus import Table

        words = list(dict.fromkeys(list(connector_words) + [t for p in phrases for t in p]))
        index = {w: i for i, w in enumerate(words)}
        self.table = Table()
        self.table.freeze(words)
        self.conn = np.zeros(len(words) + 1, np.int64)
        self.conn[:len(connector_words)] = np.arange(1, len(connector_words) + 1)
        rows = np.ones((len(phrases), 3), np.int64)
        for i, p in enumerate(phrases):
            rows[i, 0] = (index[p[0]] << 32) | index[p[-1]]
            rows[i, 2] = _mid_code(p[1:-1], index, self.conn)
        self.phrases = _empty(max(16, 1 << int(2 * max(len(phrases), 1) - 1).bit_length()))
        rehash(rows, self.phrases, 0)
        self.delim = np.frombuffer(delimiter.encode("utf-8"), np.uint8).copy()
        self.joined, self.joined_too = np.zeros(1, np.int64), np.zeros(1, np.int64)

    def __call__(self, data):
        """Phrase the whole lines of ``data`` (bytes ending in a newline); a large block is cut at a line
        end into two halves that two threads phrase at once (the kernel releases the GIL)."""
        buf = np.frombuffer(data, np.uint8)
        half = data.rfind(b"\n", 0, len(data) // 2) + 1 if len(data) > PARALLEL_BYTES else 0
        if half == 0:
            return self._apply(buf, self.joined)
        first = _pool().submit(self._apply, buf[:half], self.joined_too)
        second = self._apply(buf[half:], self.joined)
        return first.result() + second

    def _apply(self, buf, joined):
        out = np.empty((len(buf) + 1) * max(1, len(self.delim)), np.uint8)
        t = self.table
        n = apply_lines(buf, len(buf), t.slots, t.e_hash, t.e_off, t.e_len, t.arena, self.conn, self.phrases,
                        self.delim, out, joined)
        return out[:n].tobytes()

    @property
    def n_joined(self):
        """Phrases written so far."""
        return int(self.joined[0] + self.joined_too[0])


def _mid_code(connectors, index, conn):
    code = 0
    for w in connectors:
        c = conn[index[w]] if w in index else 0
        if c == 0:
            raise FormatError(f"phrase has {w!r} between its words, which is not a connector word")
        code = (code << 8) | int(c)
    return code


class Phrased:
    """A corpus read through a phrase model (``w2v train --phrases``): open_corpus reads it as text."""

    def __init__(self, corpus, model):
        self.corpus, self.model = corpus, model

    def describe(self):
        from w2v.corpus import describe

        return describe(self.corpus) + " (phrased)"

    def open_binary(self):
        from w2v.corpus import open_corpus

        return _PhrasedReader(open_corpus(self.corpus), self.model.appliers())


class _PhrasedReader:
    """A binary reader: whole lines of the inner reader, through each pass in turn."""

    def __init__(self, inner, appliers):
        self.inner, self.appliers, self.carry, self.done = inner, appliers, b"", False

    def read(self, n):
        while not self.done:
            raw = self.inner.read(n)
            if not raw:
                self.done = True
                data, self.carry = self.carry, b""
                if data and not data.endswith(b"\n"):
                    data += b"\n"
            else:
                cut = raw.rfind(b"\n") + 1
                if cut == 0:
                    self.carry += raw
                    continue
                data, self.carry = self.carry + raw[:cut], raw[cut:]
            for apply in self.appliers:
                data = apply(data)
            if data:
                return data
        return b""

    def close(self):
        self.inner.close()


# ---------------------------------------------------------------- learning
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
        self.table = _empty(min(1 << 20, 1 << int(2 * max_bigrams - 1).bit_length()), mid=len(conn) > 0)
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
            new = _empty(cap if prune else 2 * cap, self.table.shape[1] == 3)
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

        reader = _PhrasedReader(open_corpus(self.corpus), self.appliers)
        return Copy(reader, self.path) if self.path else reader


def apply_file(corpus, path, appliers, progress=False):
    """Write ``corpus`` through ``appliers`` to ``path`` (atomically); returns the bytes written."""
    from w2v.corpus import Prefetch, describe, open_corpus

    f = open_corpus(corpus)
    reader = Prefetch(_PhrasedReader(f, appliers), describe(corpus))
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
        if f is not sys.stdin.buffer:
            f.close()
        if bar is not None:
            bar.close()
    return written


def learn(corpus, output=None, passes=2, threshold=None, scoring="word2phrase", min_count=5, delimiter="_",
          connector_words_spec=None, max_bigrams=DEFAULT_MAX_BIGRAMS, tmp_dir=None, progress=True):
    """Learn ``passes`` passes of phrases on ``corpus``, each on the text phrased by the ones before;
    write the phrased text to ``output`` when given. Returns a Phrases model.

    Pass k learns while it phrases the text of pass k - 1 with pass k - 1's phrases (written to a work
    file on the way for pass k + 1), so each pass reads its text once; the last pass's phrases are
    applied in a final read.
    """
    from w2v.control import log

    if scoring not in SCORINGS:
        raise OptionError(f"--scoring must be word2phrase, gensim or npmi, not {scoring!r}")
    if passes < 1:
        raise OptionError(f"--passes must be at least 1 (got {passes})")
    if min_count < 1:
        raise OptionError(f"--min-count must be at least 1 (got {min_count})")
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
            applier = _Applier(learned.phrases, connectors, delimiter)
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
        if f is not sys.stdin.buffer:
            f.close()
    return path
