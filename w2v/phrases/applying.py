"""Applying a phrase model: one pass's phrases as the arrays the joining kernel takes (``Applier``), and a
corpus read through a model while training reads it (``Phrased``)."""


import numpy as np

from w2v.errors import FormatError
from w2v.phrases.kernels import apply_lines, empty_table, rehash

PART_BYTES = 1 << 19  # a block is cut into parts of at least this size that threads phrase at once

_POOL = []  # (the executor, its number of threads)


def _pool(workers):
    """Threads that phrase the first parts of a block while the caller does the last (grown on demand)."""
    if not _POOL or _POOL[0][1] < workers:
        from concurrent.futures import ThreadPoolExecutor

        if _POOL:
            _POOL.pop()[0].shutdown(wait=False)
        _POOL.append((ThreadPoolExecutor(workers, thread_name_prefix="w2v-phrases"), workers))
    return _POOL[0][0]


class Applier:
    """One pass's phrases as the arrays apply_lines takes: a table of the words involved (the connector
    words first) and a key set of phrases."""

    def __init__(self, phrases, connector_words, delimiter, threads=None):
        import os

        from w2v.corpus import Table

        self.threads = threads or os.cpu_count() or 1

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
        self.phrases = empty_table(max(16, 1 << int(2 * max(len(phrases), 1) - 1).bit_length()))
        rehash(rows, self.phrases, 0)
        self.delim = np.frombuffer(delimiter.encode("utf-8"), np.uint8).copy()
        self.joined = np.zeros((self.threads, 1), np.int64)  # phrases written, by part

    def __call__(self, data):
        """Phrase the whole lines of ``data`` (bytes ending in a newline); a large block is cut at line
        ends into up to ``threads`` parts that threads phrase at once (the kernel releases the GIL)."""
        buf = np.frombuffer(data, np.uint8)
        parts = min(self.threads, len(data) // PART_BYTES)
        cuts = [0]
        for i in range(1, parts):
            cut = data.rfind(b"\n", cuts[-1], len(data) * i // parts) + 1
            if cut > cuts[-1]:
                cuts.append(cut)
        cuts.append(len(data))
        if len(cuts) == 2:
            return self._apply(buf, self.joined[0])
        pool = _pool(len(cuts) - 2)
        first = [pool.submit(self._apply, buf[a:b], self.joined[i + 1]) for i, (a, b) in
                 enumerate(zip(cuts[:-2], cuts[1:-1]))]
        last = self._apply(buf[cuts[-2]:], self.joined[0])
        return b"".join([f.result() for f in first] + [last])

    def _apply(self, buf, joined):
        out = np.empty((len(buf) + 1) * max(1, len(self.delim)), np.uint8)
        t = self.table
        n = apply_lines(buf, len(buf), t.slots, t.e_hash, t.e_off, t.e_len, t.arena, self.conn, self.phrases,
                        self.delim, out, joined)
        return out[:n].tobytes()

    @property
    def n_joined(self):
        """Phrases written so far."""
        return int(self.joined.sum())


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

        return PhrasedReader(open_corpus(self.corpus), self.model.appliers())


class PhrasedReader:
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
