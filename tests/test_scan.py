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
                                     t.e_pid, t.arena, t.st, out, 0, scan.scratch())
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
                                         t.e_pid, t.arena, t.st, out, n, scan.scratch())
        assert status == scan.DONE
    assert out[:n].tolist() == [0, scan.GAP, 1, -1] and t.st[scan.ST_OVERLONG] == 1


def test_a_token_cut_by_the_buffer_end_waits_for_the_next_buffer():
    t = Table(n_entries=64)
    buf = np.frombuffer(b"alpha bet", np.uint8).copy()
    out = np.empty(16, np.int32)
    pos, n, status = scan.scan_block(buf, 0, len(buf), False, t.slots, t.e_hash, t.e_off, t.e_len, t.e_count,
                                     t.e_pid, t.arena, t.st, out, 0, scan.scratch())
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


# ---------------------------------------------------------------- counting in two halves
def _scan_all(path, tmp, threads, min_count=1):
    from w2v.corpus import scan_corpus

    work = tmp / f"work{threads}"
    work.mkdir()
    r = scan_corpus(path if isinstance(path, list) else str(path), str(work), min_count=min_count, threads=threads)
    stream = np.fromfile(r.prov_path, np.int32) if r.prov_path else None
    return r, stream


def _mixed_corpus(path, lines=3000, seed=0):
    """Lines of Zipf words, some only in the second half, with invalid UTF-8 and overlong tokens."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(2000)]
    p = 1 / np.arange(1, 2001)
    p /= p.sum()
    with open(path, "wb") as f:
        for i in range(lines):
            toks = [w.encode() for w in rng.choice(words, rng.integers(0, 30), p=p)]
            if i > lines // 2 and i % 7 == 0:
                toks.append(f"late{i % 50}".encode())  # types first seen in the second half
            if i % 97 == 0:
                toks.append(b"bad\xff\xfe" + bytes([i % 256]))
            if i % 331 == 0:
                toks.append(b"x" * 1500)  # overlong: skipped, a gap in the stream
            f.write(b" ".join(toks) + b"\n")


def test_two_halves_count_and_encode_exactly_as_one_scan(tmp_path, monkeypatch):
    """scan_corpus with threads counts a file in two halves side by side: the same words, counts, provisional
    ids (a type first seen in the second half takes the next id, as in one pass), the same stream, tokens,
    overlong and invalid tokens as the one scan; several files too."""
    from w2v.corpus import counting

    monkeypatch.setattr(counting, "HALVES_BYTES", 0)
    path = tmp_path / "c.txt"
    _mixed_corpus(path)
    calls = []
    real = counting._scan_halves
    monkeypatch.setattr(counting, "_scan_halves", lambda *a: calls.append(real(*a)) or calls[-1])
    for min_count in (1, 3):
        (tmp_path / f"a{min_count}").mkdir()
        one, s1 = _scan_all(path, tmp_path / f"a{min_count}", 1, min_count)
        two, s2 = _scan_all(path, tmp_path / f"a{min_count}", 2, min_count)
        assert one.words == two.words and any(w.startswith("late") for w in two.words)
        assert np.array_equal(one.counts, two.counts) and np.array_equal(one.pids, two.pids)
        assert (one.n_pids, one.total_tokens, one.overlong, one.invalid_utf8, one.types) == \
               (two.n_pids, two.total_tokens, two.overlong, two.invalid_utf8, two.types)
        assert one.overlong > 0 and one.invalid_utf8 > 0
        assert np.array_equal(s1, s2)
    assert len(calls) == 2 and None not in calls  # (the halves counted, not the one scan)
    folder = tmp_path / "dir"
    folder.mkdir()
    for k in range(3):
        _mixed_corpus(folder / f"part{k}.txt", lines=700, seed=k)
    (tmp_path / "d").mkdir()
    files = counting.reading.expand_inputs(str(folder))
    assert len(files) == 3
    one, s1 = _scan_all(files, tmp_path / "d", 1)
    two, s2 = _scan_all(files, tmp_path / "d", 2)
    assert one.words == two.words and np.array_equal(one.counts, two.counts) and np.array_equal(s1, s2)
    assert len(calls) == 3 and calls[-1] is not None


def test_two_halves_give_way_to_the_one_scan_where_it_must_spill(tmp_path, monkeypatch):
    """A half with more than its share of LIVE_TYPES types: the one scan counts the corpus (spilling to
    disk, exactly), and the halves' files are gone."""
    from w2v.corpus import counting

    monkeypatch.setattr(counting, "HALVES_BYTES", 0)
    monkeypatch.setattr(counting, "LIVE_TYPES", 400)
    path = tmp_path / "c.txt"
    _mixed_corpus(path)
    (tmp_path / "w").mkdir()
    r, _ = _scan_all(path, tmp_path / "w", 2)
    assert r.spilled > 0 and not r.complete
    with open(path, "rb") as f:
        toks = [t for t in f.read().split() if len(t) <= 1000]
    assert r.total_tokens == len(toks) + r.overlong
    assert not [p for p in (tmp_path / "w" / "work2").iterdir() if p.name in ("provisional.0.i32", "provisional.1.i32")]


def test_a_long_invalid_token_when_the_arena_is_nearly_full_is_counted(tmp_path):
    """A 1000-byte token of invalid bytes becomes 3000 bytes of U+FFFD; with 1001-3000 bytes left in the
    arena the table used not to grow and the scan asked again for ever. It now grows."""
    import subprocess
    import sys

    words, used, i = [], 0, 0
    while used < (1 << 20) - 2000:  # the arena's first size is 1 MiB
        w = f"w{i:07d}"
        words.append(w)
        used += len(w) + 1
        i += 1
    path = tmp_path / "c.txt"
    path.write_bytes(" ".join(words).encode() + b"\n" + b"\xff" * 1000 + b"\n")
    code = ("import sys; from w2v.corpus import scan_corpus; "
            f"r = scan_corpus({str(path)!r}, {str(tmp_path)!r}); print(r.invalid_utf8, r.types)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", str(len(words) + 1)]


def test_two_halves_refuse_binary_data_as_one_scan_does_and_read_it_with_force_text(tmp_path, monkeypatch):
    """A file that does not start as text is refused with threads as without; within forcing_text (the
    second half's thread too) it is counted, equal to the one scan."""
    import pytest

    from w2v.corpus import counting, forcing_text, scan_corpus
    from w2v.errors import CorpusError

    monkeypatch.setattr(counting, "HALVES_BYTES", 0)
    rng = np.random.default_rng(1)
    path = tmp_path / "blob.txt"
    path.write_bytes(bytes(rng.integers(0, 256, 400_000, dtype=np.uint8)))
    for threads in (1, 2):
        with pytest.raises(CorpusError, match="binary"):
            scan_corpus(str(path), str(tmp_path), threads=threads)
    results = []
    for threads in (1, 2):
        work = tmp_path / f"f{threads}"
        work.mkdir()
        with forcing_text():
            results.append(scan_corpus(str(path), str(work), threads=threads))
    one, two = results
    assert one.total_tokens > 1000 and one.invalid_utf8 > 0
    assert (one.words, one.total_tokens, one.invalid_utf8) == (two.words, two.total_tokens, two.invalid_utf8)
    assert np.array_equal(one.counts, two.counts)


def test_w2v_vocab_with_threads_counts_in_halves_and_prints_what_one_thread_does(tmp_path, monkeypatch):
    """`w2v vocab --threads 2` counts a file in two halves (HALVES_BYTES lowered here) and reports exactly
    what `--threads 1` does."""
    import json

    from click.testing import CliRunner

    from w2v.cli import cli
    from w2v.corpus import counting

    monkeypatch.setattr(counting, "HALVES_BYTES", 0)
    calls = []
    real = counting._scan_halves
    monkeypatch.setattr(counting, "_scan_halves", lambda *a: calls.append(real(*a)) or calls[-1])
    path = tmp_path / "c.txt"
    _mixed_corpus(path)
    out = {}
    for threads in (1, 2):
        r = CliRunner().invoke(cli, ["vocab", str(path), "--min-count", "2", "--top", "50", "--json", "-q",
                                     "--threads", str(threads)], catch_exceptions=False)
        assert r.exit_code == 0, r.output
        out[threads] = json.loads(r.output)
    assert out[1] == out[2] and out[1]["kept"] > 100
    assert len(calls) == 1 and calls[0] is not None


def test_a_long_block_split_ahead_resumes_at_every_stop_as_one_pass_would():
    """scan_block cuts up to SPLIT_TOKENS tokens ahead of counting them; a stop inside such a batch (the ids
    buffer full, the table grown) resumes at the token that was not counted, and the whole block gives what
    a token-by-token reading gives: the same types in order of first appearance, counts and stream."""
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(3000)] + ["caf\u00e9", "b\xe2d"]
    lines = [" ".join(rng.choice(words, size=rng.integers(1, 40))) for _ in range(900)]
    lines[5] += " \u00e9" + "z" * scan.MAX_TOKEN_BYTES  # an overlong token inside the first batch
    text = "\n".join(lines).encode() + b"\n"
    text = text.replace("b\xe2d".encode(), b"b\xe2d")  # (one word's bytes invalid UTF-8: \xe2 then 'd')
    expected_ids, first = [], {}
    for line in text.split(b"\n"):
        toks = line.split()
        for tok in toks:
            if len(tok) > scan.MAX_TOKEN_BYTES:
                expected_ids.append(scan.GAP)
                continue
            word = tok.decode("utf-8", "replace")
            expected_ids.append(first.setdefault(word, len(first)))
        if toks:
            expected_ids.append(-1)
    assert len(expected_ids) > 3 * scan.SPLIT_TOKENS
    t = Table(n_entries=64, arena_bytes=256)  # grows many times
    buf = np.frombuffer(text, np.uint8).copy()
    out = np.empty(1000, np.int32)  # full every 1,000 ids: stops inside the batches
    got, pos, n, stops = [], 0, 0, 0
    scratch = scan.scratch()
    while True:
        pos, n, status = scan.scan_block(buf, pos, len(buf), True, *t.args(), out, n, scratch)
        if status == scan.DONE:
            break
        stops += 1
        if status == scan.OUT_FULL:
            got += out[:n].tolist()
            n = 0
        else:
            assert status == scan.NEED_GROW
            t.grow()
    got += out[:n].tolist()
    assert stops > 20 and got == expected_ids
    assert t.st[scan.ST_INVALID] == text.count(b"b\xe2d") and t.st[scan.ST_OVERLONG] == 1
    types = _types(t)
    assert [w for w, _ in sorted(types.items(), key=lambda kv: kv[1][1])] == list(first)
