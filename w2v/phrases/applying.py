"""Applying a phrase model: one pass's phrases as the arrays the joining kernel takes (``Applier``), and a
corpus read through a model while training reads it (``Phrased``)."""


import numpy as np

from w2v.errors import FormatError
from w2v.phrases.kernels import apply_lines, empty_table, rehash

PARALLEL_BYTES = 1 << 20  # blocks larger than this are phrased by two threads

_POOL = []


def _pool():
    """The thread that phrases the first half of a block while the caller does the second."""
    if not _POOL:
        from concurrent.futures import ThreadPoolExecutor

        _POOL.append(ThreadPoolExecutor(1, thread_name_prefix="w2v-phrases"))
    return _POOL[0]


class Applier:
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
        self.phrases = empty_table(max(16, 1 << int(2 * max(len(phrases), 1) - 1).bit_length()))
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
