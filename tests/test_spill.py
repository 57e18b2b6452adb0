"""spill.py on its own: equal words' counts summed by the Numba table (distinct), words gathered from the
arena, and a table spilled to runs on disk several times then merged by hash range into exact counts."""

import collections

import numpy as np
import pytest

from w2v import spill
from w2v.corpus import Table


def _entries(words, counts):
    arena = np.frombuffer(b"".join(w + b"\n" for w in words), np.uint8).copy()
    off = np.cumsum([0] + [len(w) + 1 for w in words[:-1]]).astype(np.int64)
    length = np.array([len(w) for w in words], np.int32)
    from w2v.scan import hash_words

    return hash_words(arena, off, length), off, length, np.asarray(counts, np.int64), arena


def test_distinct_sums_the_counts_of_equal_words():
    words = [b"a", b"bb", b"a", b"c", b"bb", b"a"]
    h, off, length, count, arena = _entries(words, [1, 2, 3, 4, 5, 6])
    u_off, u_len, u_count, _ = spill.distinct(h, off, length, count, arena)
    got = {bytes(arena[o:o + n]): int(c) for o, n, c in zip(u_off, u_len, u_count)}
    assert got == {b"a": 10, b"bb": 7, b"c": 4}


def test_gather_words_copies_entries_in_the_order_given():
    words = [b"one", b"two", b"three"]
    _, off, length, _, arena = _entries(words, [1, 1, 1])
    out = np.zeros(64, np.uint8)
    out_off = np.zeros(3, np.int64)
    used = spill.gather_words(np.array([2, 0, 1]), off, length, arena, out, out_off)
    assert bytes(out[:used]) == b"three\none\ntwo\n" and out_off.tolist() == [0, 6, 10]


def _fill(table, counter):
    """Count ``counter``'s words into ``table`` through the scan kernel."""
    from w2v import scan

    text = " ".join(w for w, c in counter.items() for _ in range(c)).encode() + b"\n"
    buf = np.frombuffer(text, np.uint8).copy()
    out = np.empty(len(text), np.int32)
    pos = 0
    while True:
        pos, _, status = scan.scan_block(buf, pos, len(buf), True, table.slots, table.e_hash, table.e_off,
                                         table.e_len, table.e_count, table.e_pid, table.arena, table.st, out, 0, scan.scratch())
        if status == scan.DONE:
            return
        table.grow()


@pytest.mark.parametrize("min_count,range_entries", [(1, 1 << 21), (3, 16)])
def test_runs_merge_to_exact_counts(tmp_path, min_count, range_entries):
    """Three spills of overlapping words (a word in several runs), merged in one range or in many."""
    rng = np.random.default_rng(0)
    parts = [collections.Counter({f"w{int(i)}": int(rng.integers(1, 4)) for i in rng.integers(0, 60, 40)})
             for _ in range(3)]
    runs = spill.Runs(str(tmp_path))
    table = Table(n_entries=16)
    for part in parts:
        _fill(table, part)
        runs.spill(table)
    assert runs.n == 3 and table.st[0] == 0  # the table starts again empty
    words, counts, types, _ = runs.merge(min_count=min_count, range_entries=range_entries)
    total = sum(parts, collections.Counter())
    assert dict(zip(words, counts.tolist())) == {w: c for w, c in total.items() if c >= min_count}
    assert types == len(total)
