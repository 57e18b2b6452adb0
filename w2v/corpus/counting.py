"""Counting a corpus once: the Numba scan (scan.py) fills a growable table of token types and writes the
provisional id stream; an exact count spills the table to disk beyond LIVE_TYPES types (spill.py)."""

import os
from typing import NamedTuple

import numpy as np

from w2v.corpus import encoded, reading
from w2v.errors import CorpusError

DEFAULT_COUNT_LIMIT = 21_000_000  # word2vec.c prunes at 0.7 * 30M hash slots
LIVE_TYPES = 4_000_000  # live types beyond which an exact count spills the table to disk (about 0.25 GB)


class ScanResult(NamedTuple):
    words: list  # str per live entry, in entry order
    counts: np.ndarray  # int64 per live entry
    pids: np.ndarray  # provisional id per live entry
    n_pids: int  # provisional ids ever issued
    prov_path: str  # provisional id stream (int32, -1 at line ends)
    total_tokens: int  # every token read, in vocabulary or not
    overlong: int  # tokens skipped for being longer than MAX_TOKEN_BYTES
    invalid_utf8: int  # tokens whose bytes were not valid UTF-8 (their invalid parts read as U+FFFD)
    pruned: int = 0  # rounds of pruning rare types while counting (counts are then approximate)
    table_bytes: int = 0  # the counting pass's peak: the table (while it grows, old and new arrays), the
    # Python strings of its types, and the scan's buffers
    text_path: str | None = None  # a copy of the text read (keep_text), for a second read
    types: int = 0  # live types at the end (words, counts and pids hold those counted >= min_count)
    spilled: int = 0  # runs of the table written to disk (spill.py; counts stay exact)
    spill_bytes: int = 0  # the disk those runs took

    @property
    def complete(self):
        """Whether the provisional stream holds every token: neither pruning nor spilling gave a type that
        came back a second provisional id (the stream was then no longer written)."""
        return not (self.pruned or self.spilled)


class Table:
    """The growable hash table of token types that scan_block fills (arrays only; logic is in scan.py)."""

    def __init__(self, n_entries=1 << 16, arena_bytes=1 << 20):
        from w2v import scan

        self.slots = np.full(2 * n_entries, -1, np.int32)  # entry per slot (-1: empty); at most half full
        self.e_hash = np.zeros(n_entries, np.uint64)
        self.e_off = np.zeros(n_entries, np.int64)
        self.e_len = np.zeros(n_entries, np.int32)  # (tokens are at most MAX_TOKEN_BYTES)
        self.e_count = np.zeros(n_entries, np.int64)
        self.e_pid = np.zeros(n_entries, np.int64)
        self.arena = np.zeros(arena_bytes, np.uint8)
        self.st = np.zeros(scan.ST_SIZE, np.int64)

    def nbytes(self):
        return sum(a.nbytes for a in self.args())

    def args(self):
        return (self.slots, self.e_hash, self.e_off, self.e_len, self.e_count, self.e_pid, self.arena, self.st)

    def grow(self):
        from w2v import scan

        n = self.st[scan.ST_N]
        if n >= len(self.e_hash) or 2 * n >= len(self.slots):
            cap = 2 * len(self.e_hash)
            limit = int(self.st[scan.ST_LIMIT])
            if n < limit < cap:  # the scan prunes at the live-type limit: no entry beyond it is ever used
                cap = limit
            for name in ("e_hash", "e_off", "e_len", "e_count", "e_pid"):
                old = getattr(self, name)
                new = np.zeros(cap, old.dtype)
                new[:n] = old[:n]
                setattr(self, name, new)
            self.slots = None  # (the old slots go before the new ones come)
            self.slots = np.empty(1 << int(2 * cap - 1).bit_length(), np.int32)  # a power of two, >= 2 cap
            scan.rebuild_slots(self.slots, self.e_hash, n)
        if self.st[scan.ST_ARENA] + scan.MAX_TOKEN_BYTES + 1 > len(self.arena):
            new = np.zeros(2 * len(self.arena), np.uint8)
            new[: self.st[scan.ST_ARENA]] = self.arena[: self.st[scan.ST_ARENA]]
            self.arena = new

    def prune(self, min_reduce):
        from w2v import scan

        scan.prune_entries(self.e_hash, self.e_off, self.e_len, self.e_count, self.e_pid, self.arena,
                           self.st, min_reduce)
        scan.rebuild_slots(self.slots, self.e_hash, self.st[scan.ST_N])

    def freeze(self, words):
        """Pre-fill with a known vocabulary (``--read-vocab``): word i gets provisional id i."""
        from w2v import scan

        raw = [w.encode("utf-8") for w in words]
        n = len(raw)
        if len(self.e_hash) <= n:  # (room for them all at once: growing re-inserts entries not yet filled)
            for name in ("e_hash", "e_off", "e_len", "e_count", "e_pid"):
                setattr(self, name, np.zeros(n + 1, getattr(self, name).dtype))
            self.slots = np.empty(1 << int(2 * (n + 1) - 1).bit_length(), np.int32)
        blob = b"\n".join(raw) + b"\n"
        if len(blob) > len(self.arena):
            self.arena = np.zeros(len(blob) + scan.MAX_TOKEN_BYTES + 1, np.uint8)
        self.arena[: len(blob)] = np.frombuffer(blob, np.uint8)
        lengths = np.array([len(r) for r in raw], np.int64)
        self.e_len[:n] = lengths
        self.e_off[:n] = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]) if n else []
        self.e_hash[:n] = scan.hash_words(self.arena, self.e_off[:n], self.e_len[:n])  # (the scan's own hash)
        self.e_pid[:n] = np.arange(n)
        self.e_count[:n] = 0
        self.st[scan.ST_N] = n
        self.st[scan.ST_ARENA] = len(blob)
        self.st[scan.ST_NEXT_PID] = n
        self.st[scan.ST_FROZEN] = 1
        scan.rebuild_slots(self.slots, self.e_hash, n)

    def decode_words(self, min_count=1):
        """The words (str) of the live entries counted at least ``min_count`` times, and the entries they
        belong to (None: all of them). Only those entries are decoded (a Python str per type costs ~60
        bytes, and the rare types can outnumber the kept ones 20 to 1); the scan stores valid UTF-8 only
        (scan.canonical)."""
        from w2v import scan

        n = int(self.st[scan.ST_N])
        arena = memoryview(self.arena)[: self.st[scan.ST_ARENA]]
        if min_count <= 1:
            return str(arena, "utf-8").split("\n")[:n], None
        keep = np.flatnonzero(self.e_count[:n] >= min_count)
        words = [str(arena[o:o + k], "utf-8") for o, k in zip(self.e_off[keep].tolist(), self.e_len[keep].tolist())]
        return words, keep


def scan_corpus(path, workdir, count_limit=None, known_words=None, sink=None, seed_words=(),
                keep_text=False, reread_if_pruned=False, min_count=1, max_vocab=None):
    """Count token types and write the provisional id stream to ``workdir``.

    ``count_limit`` None counts exactly: beyond ``LIVE_TYPES`` live types the table is spilled to disk and
    merged at the end (spill.py); the stream is then no longer written (``ScanResult.complete`` is False: the
    caller reads the corpus again with the words fixed). ``max_vocab`` lets that merge leave out words that
    cannot be among the ``max_vocab`` most frequent. An int bounds the live types instead by pruning the rare
    ones as word2vec.c's ReduceVocab does (counts become approximate); with a ``sink`` (which needs the whole
    stream) the default is ``DEFAULT_COUNT_LIMIT``. ``known_words`` (from ``--read-vocab``) freezes the table:
    only those words are counted and encoded. ``sink`` (a callable) receives the stream's blocks instead of
    the file (a reused buffer: copy what outlives the call; ``prov_path`` is then None). ``seed_words`` get
    provisional ids 0, 1, ... whether or not they occur (their counts may be 0). With ``known_words`` an
    unknown word's id is ``len(known_words)``. ``keep_text`` copies what is read to ``workdir`` (for a corpus
    that cannot be read twice, such as standard input). With ``reread_if_pruned`` the stream is no longer
    written once pruning starts (the caller reads the corpus again). ``min_count`` leaves the types counted
    fewer times out of the result's words, counts and pids (their ids map to nothing; where some word is
    invalid UTF-8 all are kept, see Table.decode_words).
    """
    from w2v import scan
    from w2v.spill import Runs

    runs = Runs(workdir) if count_limit is None and sink is None else None
    if count_limit is None:
        count_limit = DEFAULT_COUNT_LIMIT if runs is None else LIVE_TYPES
    table = Table()
    table.st[scan.ST_LIMIT] = count_limit
    if known_words is not None:
        table.freeze(known_words)
    elif seed_words:
        table.freeze(seed_words)
        table.st[scan.ST_FROZEN] = 0
        table.st[scan.ST_SEEDED] = len(seed_words)  # (kept by pruning: their ids stay 0, 1, ...)
    buf = np.zeros(reading.READ_BYTES + 2 * scan.MAX_TOKEN_BYTES + 16, np.uint8)
    out = np.empty(encoded.OUT_IDS, np.int32)
    fix = scan.fix_buffer()
    out_n = 0
    carry = 0
    min_reduce = 1
    prov_path = None if sink else os.path.join(workdir, "provisional.i32")
    f = reading.open_corpus(path)
    text_path = os.path.join(workdir, "text.txt") if keep_text else None
    source = reading.Copy(f, text_path) if keep_text else f
    reader = reading.Prefetch(source, reading.describe(path))
    pruned = 0
    table_bytes = table.nbytes()
    try:
        with open(prov_path or os.devnull, "wb") as fout:
            flush = sink or (lambda ids: ids.tofile(fout))
            blocks = iter(reader)
            while True:
                chunk = next(blocks, None)
                final = chunk is None
                if final:
                    # a virtual newline closes the last line
                    chunk = b"\n"
                end = carry + len(chunk)
                if end > len(buf):
                    buf = np.concatenate([buf[:carry], np.zeros(end - carry, np.uint8)])
                buf[carry:end] = np.frombuffer(chunk, np.uint8)
                pos = 0
                while True:
                    pos, out_n, status = scan.scan_block(buf, pos, end, final, *table.args(), out, out_n, fix)
                    if status == scan.DONE:
                        break
                    if status == scan.OUT_FULL:
                        flush(out[:out_n])
                        out_n = 0
                    elif status == scan.NEED_PRUNE:
                        if runs is not None:
                            runs.spill(table)
                        else:
                            table.prune(min_reduce)  # word2vec.c's ReduceVocab
                            min_reduce += 1
                            pruned += 1
                        if (runs is not None and runs.n == 1) or (reread_if_pruned and pruned == 1):
                            # the stream will be encoded by a second read (prepare.py): stop writing it,
                            # so neither its disk nor its provisional ids grow with the pruning's churn
                            fout.truncate(0)
                            flush = _discard
                    else:
                        before = table.nbytes()
                        table.grow()
                        table_bytes = max(table_bytes, before + table.nbytes())  # old and new arrays, briefly
                carry = end - pos
                buf[:carry] = buf[pos:end]
                if final:
                    break
            flush(out[:out_n])
    except OSError as e:
        raise CorpusError(f"cannot write the encoded corpus{' or the counts spilled' if runs else ''} to "
                          f"{workdir}: {e.strerror or e}") from None
    finally:
        reader.close()
        reading.close_source(source)
    if runs is not None and runs.n:
        try:
            runs.spill(table)  # the live types join the runs, and the table goes before they are merged
            st, table = table.st, None
            return _spilled_result(runs, st, min_count, max_vocab, count_limit, prov_path, text_path, table_bytes,
                           buf.nbytes + out.nbytes + 4 * reading.READ_BYTES)
        except OSError as e:
            raise CorpusError(f"cannot write or read the counts spilled to {workdir}: {e.strerror or e}") from None
    n = int(table.st[scan.ST_N])
    words, keep = table.decode_words(min_count)
    counts, pids = table.e_count[:n], table.e_pid[:n]
    if keep is not None:
        counts, pids = counts[keep], pids[keep]
    # decoding makes a Python str per word decoded (about 64 bytes and its length) beside the table
    arena = int(table.st[scan.ST_ARENA])
    kept = n if keep is None else len(keep)
    decoded = table.nbytes() + 2 * arena + 64 * kept
    return ScanResult(words=words, counts=counts.copy(), pids=pids.copy(),
                      n_pids=int(table.st[scan.ST_NEXT_PID]) + (known_words is not None), prov_path=prov_path,
                      total_tokens=int(table.st[scan.ST_TOKENS]), overlong=int(table.st[scan.ST_OVERLONG]),
                      invalid_utf8=int(table.st[scan.ST_INVALID]), pruned=pruned, text_path=text_path,
                      table_bytes=max(table_bytes, decoded) + buf.nbytes + out.nbytes + 4 * reading.READ_BYTES, types=n)


def _spilled_result(runs, st, min_count, max_vocab, limit, prov_path, text_path, table_bytes, buffers):
    """The ScanResult of a scan that spilled (``st``: its scan state): the runs merged (spill.py) one
    hash range of about ``limit`` entries at a time."""
    from w2v import scan

    words, counts, types, merging = runs.merge(min_count, max_vocab, range_entries=limit)
    return ScanResult(words=words, counts=counts, pids=np.arange(len(words)), n_pids=0, prov_path=prov_path,
                      total_tokens=int(st[scan.ST_TOKENS]), overlong=int(st[scan.ST_OVERLONG]),
                      invalid_utf8=int(st[scan.ST_INVALID]), spilled=runs.n, spill_bytes=runs.bytes, text_path=text_path,
                      table_bytes=max(table_bytes, runs.peak, merging + 64 * len(words)) + buffers, types=types)


def _discard(ids):
    pass
