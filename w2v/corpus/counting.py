"""Counting a corpus once: the Numba scan (scan.py) fills a growable table of token types and writes the
provisional id stream; an exact count spills the table to disk beyond LIVE_TYPES types (spill.py)."""

import contextlib
import contextvars
import os
from typing import NamedTuple

import numpy as np

from w2v.corpus import encoded, reading
from w2v.errors import CorpusError, OptionError

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
        # (a token's invalid bytes each become U+FFFD's three: up to three times the longest token)
        if self.st[scan.ST_ARENA] + 3 * scan.MAX_TOKEN_BYTES + 1 > len(self.arena):
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
                keep_text=False, reread_if_pruned=False, min_count=1, max_vocab=None, threads=1):
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

    ``threads`` 2 or more counts plain files of at least ``HALVES_BYTES`` in two halves side by side (an
    exact count with nothing else asked: ``_scan_halves``); the result is the one scan's, the same words,
    counts, provisional ids and stream.
    """
    from w2v.spill import Runs

    if (threads > 1 and count_limit is None and known_words is None and sink is None and not seed_words
            and not keep_text):
        halves = _scan_halves(path, workdir, min_count)
        if halves is not None:
            return halves
    runs = Runs(workdir) if count_limit is None and sink is None else None
    if count_limit is None:
        count_limit = DEFAULT_COUNT_LIMIT if runs is None else LIVE_TYPES
    table = _table(count_limit, known_words, seed_words)
    prov_path = None if sink else os.path.join(workdir, "provisional.i32")
    text_path = os.path.join(workdir, "text.txt") if keep_text else None
    pruned = 0
    min_reduce = 1
    try:
        with open(prov_path or os.devnull, "wb") as fout:
            flush = sink or (lambda ids: ids.tofile(fout))

            def at_limit(flush):
                nonlocal pruned, min_reduce
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
                    return _discard
                return flush

            table_bytes, scratch = _scan_into(table, path, flush, at_limit, text_path)
    except OSError as e:
        raise CorpusError(f"cannot write the encoded corpus{' or the counts spilled' if runs else ''} to "
                          f"{workdir}: {e.strerror or e}") from None
    if runs is not None and runs.n:
        try:
            runs.spill(table)  # the live types join the runs, and the table goes before they are merged
            st, table = table.st, None
            return _spilled_result(runs, st, min_count, max_vocab, count_limit, prov_path, text_path, table_bytes,
                                   scratch)
        except OSError as e:
            raise CorpusError(f"cannot write or read the counts spilled to {workdir}: {e.strerror or e}") from None
    return _result(table, min_count, prov_path, text_path, pruned, table_bytes, scratch, known_words is not None)


def _table(count_limit, known_words=None, seed_words=()):
    """An empty Table for a scan with this live-type limit, frozen with ``known_words`` or seeded."""
    from w2v import scan

    table = Table()
    table.st[scan.ST_LIMIT] = count_limit
    if known_words is not None:
        table.freeze(known_words)
    elif seed_words:
        table.freeze(seed_words)
        table.st[scan.ST_FROZEN] = 0
        table.st[scan.ST_SEEDED] = len(seed_words)  # (kept by pruning: their ids stay 0, 1, ...)
    return table


def _scan_into(table, path, flush, at_limit, text_path=None):
    """Scan the corpus ``path`` into ``table``, handing the provisional ids to ``flush`` in blocks; at the
    table's live-type limit ``at_limit(flush)`` prunes or spills it and returns the flush to go on with.
    ``text_path``: copy what is read there. Returns (the table's peak bytes, the scan's buffers' bytes)."""
    from w2v import scan

    buf = np.zeros(reading.READ_BYTES + 2 * scan.MAX_TOKEN_BYTES + 16, np.uint8)
    out = np.empty(encoded.OUT_IDS, np.int32)
    scratch = scan.scratch()
    out_n = 0
    carry = 0
    f = reading.open_corpus(path)
    source = reading.Copy(f, text_path) if text_path else f
    reader = reading.Prefetch(source, reading.describe(path))
    table_bytes = table.nbytes()
    try:
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
                pos, out_n, status = scan.scan_block(buf, pos, end, final, *table.args(), out, out_n, scratch)
                if status == scan.DONE:
                    break
                if status == scan.OUT_FULL:
                    flush(out[:out_n])
                    out_n = 0
                elif status == scan.NEED_PRUNE:
                    flush = at_limit(flush)
                else:
                    before = table.nbytes()
                    table.grow()
                    table_bytes = max(table_bytes, before + table.nbytes())  # old and new arrays, briefly
            carry = end - pos
            buf[:carry] = buf[pos:end]
            if final:
                break
        flush(out[:out_n])
    finally:
        reader.close()
        reading.close_source(source)
    return table_bytes, buf.nbytes + out.nbytes + sum(a.nbytes for a in scratch) + 4 * reading.READ_BYTES


def _result(table, min_count, prov_path, text_path, pruned, table_bytes, scratch, frozen=False):
    """The ScanResult of a scan that kept its table (``frozen``: a table of known words)."""
    from w2v import scan

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
                      n_pids=int(table.st[scan.ST_NEXT_PID]) + frozen, prov_path=prov_path,
                      total_tokens=int(table.st[scan.ST_TOKENS]), overlong=int(table.st[scan.ST_OVERLONG]),
                      invalid_utf8=int(table.st[scan.ST_INVALID]), pruned=pruned, text_path=text_path,
                      table_bytes=max(table_bytes, decoded) + scratch, types=n)


HALVES_BYTES = 32 << 20  # corpora smaller than this are counted in one pass even with threads


class _TooManyTypes(Exception):
    """A half reached its share of LIVE_TYPES: the one scan, which spills, counts the corpus instead."""


def _scan_halves(path, workdir, min_count):
    """The exact count of ``path`` in two halves side by side (threads: the scan releases the GIL): each half
    counted into its own table and stream, the second table's entries added to the first's in their order
    (``scan.merge_entries``: a type first seen in the second half takes the next provisional id, as in one
    scan) and its stream, mapped to those ids, appended to the first's. Equal to the one scan's result. None
    where it does not apply: not plain files (standard input, an iterable, one compressed file), a corpus
    under HALVES_BYTES, or more than half of LIVE_TYPES types in a half (the one scan spills them)."""
    import threading

    from w2v import scan
    from w2v.corpus.pieces import Shard, shards

    size = reading.local_bytes(path)
    if size is None or size < HALVES_BYTES or hasattr(path, "corpus"):
        return None  # (standard input, an iterable, remote files, text joined into phrases as it is read)
    try:
        parts = shards(path, 2)
    except (OSError, CorpusError, OptionError):
        return None  # (the one scan says what is wrong with the input)
    if len(parts) < 2:
        return None
    prov = [os.path.join(workdir, f"provisional.{i}.i32") for i in range(2)]
    tables = [_table(LIVE_TYPES // 2) for _ in range(2)]
    done, errors = [None, None], [None, None]

    given_up = threading.Event()  # a half reached its limit or failed: the other stops at its next flush

    def count(i):
        def at_limit(flush):
            raise _TooManyTypes

        def flush(ids):
            if given_up.is_set():
                raise _TooManyTypes
            ids.tofile(fout)

        try:
            with open(prov[i], "wb") as fout:
                done[i] = _scan_into(tables[i], Shard(parts[i]), flush, at_limit)
        except BaseException as e:  # delivered to the caller
            errors[i] = e
            given_up.set()

    # (in this thread's context: --force-text's setting is a context variable)
    second = threading.Thread(target=contextvars.copy_context().run, args=(count, 1), daemon=True)
    second.start()
    count(0)
    second.join()
    try:
        for e in sorted((e for e in errors if e is not None), key=lambda e: isinstance(e, _TooManyTypes)):
            if isinstance(e, _TooManyTypes):  # (a half stopped because the other failed: that error first)
                return None
            if isinstance(e, OSError):
                raise CorpusError(f"cannot write the encoded corpus to {workdir}: {e.strerror or e}") from None
            if e is not None:
                raise e
        a, b = tables
        n_b = int(b.st[scan.ST_N])
        pid_map = np.full(int(b.st[scan.ST_NEXT_PID]), -1, np.int64)
        e = 0
        while True:
            e = scan.merge_entries(e, n_b, *(x[:n_b] for x in (b.e_hash, b.e_off, b.e_len, b.e_count, b.e_pid)),
                                   b.arena, *a.args(), pid_map)
            if e == n_b:
                break
            a.grow()
        for k in (scan.ST_TOKENS, scan.ST_OVERLONG, scan.ST_INVALID):
            a.st[k] += b.st[k]
        try:
            with open(prov[1], "rb") as fin, open(prov[0], "ab") as fout:
                ids = np.empty(encoded.OUT_IDS, np.int32)
                while True:
                    n = fin.readinto(memoryview(ids).cast("B")) // 4
                    if n == 0:
                        break
                    scan.map_ids(ids, n, pid_map)
                    ids[:n].tofile(fout)
        except OSError as err:
            raise CorpusError(f"cannot write the encoded corpus to {workdir}: {err.strerror or err}") from None
        table_bytes = done[0][0] + done[1][0] + pid_map.nbytes
        return _result(a, min_count, prov[0], None, 0, table_bytes, done[0][1] + done[1][1])
    finally:
        for i, p in enumerate(prov):
            if i == 1 or errors[0] is not None or errors[1] is not None:
                with contextlib.suppress(OSError):
                    os.unlink(p)


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
