"""scan.py, the corpus pass's kernels, on their own: the FNV-1a hash, tokenising a buffer into a table of
types and provisional ids (whitespace, NUL, sentence ends, overlong tokens, a token cut by the buffer's
end), pruning, and remapping provisional ids to the training stream."""

import numpy as np

from w2v import scan
from w2v.corpus import Table


def fnv1a(data):
    """FNV-1a, 64 bits, written from its definition."""
    h = 14695981039346656037
    for c in data:
        h = ((h ^ c) * 1099511628211) % 2**64
    return h


def test_token_hash_and_hash_words_are_fnv1a():
    words = [b"a", b"king", "d\u00e9j\u00e0".encode(), b"\xff\xfe", b"x" * 300]
    arena = np.frombuffer(b"".join(w + b"\n" for w in words), np.uint8).copy()
    off = np.cumsum([0] + [len(w) + 1 for w in words[:-1]]).astype(np.int64)
    length = np.array([len(w) for w in words], np.int32)
    assert scan.hash_words(arena, off, length).tolist() == [fnv1a(w) for w in words]


def _scan(text, limit=0, t=None):
    t = t or Table(n_entries=64)
    t.st[scan.ST_LIMIT] = limit
    buf = np.frombuffer(text, np.uint8).copy()
    out = np.empty(1000, np.int32)
    pos, n, status = scan.scan_block(buf, 0, len(buf), True, t.slots, t.e_hash, t.e_off, t.e_len, t.e_count,
                                     t.e_pid, t.arena, t.st, out, 0, scan.fix_buffer())
    return t, pos, out[:n].tolist(), status


def _types(t):
    n = int(t.st[scan.ST_N])
    return {bytes(t.arena[t.e_off[e]:t.e_off[e] + t.e_len[e]]).decode(): (int(t.e_count[e]), int(t.e_pid[e]))
            for e in range(n)}


def test_scan_block_counts_types_and_writes_provisional_ids():
    t, pos, out, status = _scan(b"the cat\tsat\x00on the\r\nmat the\n\n  cat\n")
    assert status == scan.DONE and pos > 0
    types = _types(t)
    assert types == {"the": (3, 0), "cat": (2, 1), "sat": (1, 2), "on": (1, 3), "mat": (1, 4)}
    # provisional ids in order of first appearance, -1 at each non-empty line's end (never an empty sentence)
    assert out == [0, 1, 2, 3, 0, -1, 4, 0, -1, 1, -1]
    assert t.st[scan.ST_TOKENS] == 8


def test_overlong_tokens_are_skipped_and_counted_leaving_a_gap():
    t, _, out, _ = _scan(b"a " + b"z" * (scan.MAX_TOKEN_BYTES + 1) + b" b\n")
    assert set(_types(t)) == {"a", "b"} and out == [0, scan.GAP, 1, -1] and t.st[scan.ST_OVERLONG] == 1
    # the training stream drops the gap: a and b are neighbours there, as word2vec.c reads them
    res = np.empty(8, np.int32)
    m = scan.remap_block(np.array(out, np.int32), len(out), np.array([0, 1], np.int32), res, np.zeros(1, np.int64))
    assert res[:m].tolist() == [0, 1, -1]


def test_an_overlong_token_cut_by_the_buffer_end_leaves_one_gap():
    t = Table(n_entries=64)
    long = b"z" * (scan.MAX_TOKEN_BYTES + 500)  # already overlong in the first buffer, which ends inside it
    out = np.empty(16, np.int32)
    n = 0
    for part, final in ((b"a " + long[:1200], False), (long[1200:] + b" b\n", True)):
        buf = np.frombuffer(part, np.uint8).copy()
        pos, n, status = scan.scan_block(buf, 0, len(buf), final, t.slots, t.e_hash, t.e_off, t.e_len, t.e_count,
                                         t.e_pid, t.arena, t.st, out, n, scan.fix_buffer())
        assert status == scan.DONE
    assert out[:n].tolist() == [0, scan.GAP, 1, -1] and t.st[scan.ST_OVERLONG] == 1


def test_a_token_cut_by_the_buffer_end_waits_for_the_next_buffer():
    t = Table(n_entries=64)
    buf = np.frombuffer(b"alpha bet", np.uint8).copy()
    out = np.empty(16, np.int32)
    pos, n, status = scan.scan_block(buf, 0, len(buf), False, t.slots, t.e_hash, t.e_off, t.e_len, t.e_count,
                                     t.e_pid, t.arena, t.st, out, 0, scan.fix_buffer())
    assert status == scan.DONE and pos == 6 and set(_types(t)) == {"alpha"}  # "bet" may continue


def test_the_live_type_limit_asks_for_pruning_and_prune_drops_rare_types():
    t, pos, _, status = _scan(b"a a a b c d\n", limit=2)
    assert status == scan.NEED_PRUNE and set(_types(t)) == {"a", "b"}
    dropped = scan.prune_entries(t.e_hash, t.e_off, t.e_len, t.e_count, t.e_pid, t.arena, t.st, 1)
    scan.rebuild_slots(t.slots, t.e_hash, t.st[scan.ST_N])
    assert _types(t) == {"a": (3, 0)} and dropped == 1


def test_remap_block_maps_drops_and_splits_long_sentences():
    prov = np.array([0, 1, 2, -1, -1, 2, 2, -1] + [0] * (scan.MAX_SENTENCE + 2), np.int32)
    remap = np.array([5, -1, 7], np.int32)
    out = np.empty(len(prov) + len(prov) // scan.MAX_SENTENCE + 2, np.int32)
    sent = np.zeros(1, np.int64)
    m = scan.remap_block(prov, len(prov), remap, out, sent)
    got = out[:m].tolist()
    assert got[:6] == [5, 7, -1, 7, 7, -1]  # word 1 dropped; the empty sentence not written
    assert got[6:6 + scan.MAX_SENTENCE + 1] == [5] * scan.MAX_SENTENCE + [-1]  # split at MAX_SENTENCE
    assert got[6 + scan.MAX_SENTENCE + 1:] == [5, 5] and sent[0] == 2  # the open sentence carries over


def test_canonical_is_pythons_replacement_decoding():
    """scan.canonical writes what ``decode("utf-8", "replace").encode()`` gives, for hand-picked edge cases
    (overlong forms, surrogates, beyond U+10FFFF, truncated sequences, stray continuation bytes) and for
    20,000 random byte strings biased to UTF-8's lead and continuation bytes; -1 for valid UTF-8."""
    import numba

    @numba.njit
    def run(buf, fix):
        return scan.canonical(buf, 0, buf.shape[0], fix)

    def check(data):
        fix = np.zeros(3 * len(data) + 3, np.uint8)
        n = run(np.frombuffer(data, np.uint8).copy(), fix)
        want = data.decode("utf-8", "replace").encode("utf-8")
        assert (bytes(fix[:n]) if n >= 0 else data) == want, data
        assert (n < 0) == (want == data)

    for data in [b"plain", "d\u00e9j\u00e0 \U0001f600".encode(), b"\xe0\x80\x80", b"\xc0\xaf", b"\xed\xa0\x80",
                 b"\xf4\x90\x80\x80", b"\xf0\x90\x80", b"\xe2\x82", b"a\x80b", b"\xff\xfe", b"x\xe9", b"\xf5\x80"]:
        check(data)
    rng = np.random.default_rng(1)
    pool = np.array(list(range(0x20, 0x7f)) + list(range(0x80, 0x100)) + [0xc2, 0xe0, 0xed, 0xf0, 0xf4] * 20,
                    np.uint8)
    for _ in range(20000):
        check(rng.choice(pool, rng.integers(1, 9)).tobytes())
