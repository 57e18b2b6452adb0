"""Corpus scanning: counts, encoding, sentence splitting, compressed input, bounded buffers, pruning."""

import bz2
import collections
import gzip
import lzma
import sys

import numpy as np
import pytest

from w2v import corpus, scan, spill
from w2v.errors import W2VError
from w2v.vocab import Vocab, build_vocab

TEXT = ("the cat sat on the mat\n\n  the dog   ate the cat\t food\r\n"
        "ünïcödé wörds ünïcödé ok\nthe end")


def scan_text(tmp_path, text, name="c.txt", opener=open, **kw):
    p = tmp_path / name
    data = text.encode("utf-8") if isinstance(text, str) else text
    with opener(p, "wb") as f:
        f.write(data)
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return corpus.scan_corpus(str(p), str(work), **kw), work


def decode_stream(res, work, min_count=1):
    vocab, remap = build_vocab(res.words, res.counts, res.pids, res.n_pids, min_count)
    enc = corpus.encode(res, remap, str(work))
    ids = np.fromfile(enc.path, np.int32)
    sentences, cur = [], []
    for i in ids:
        if i < 0:
            sentences.append(cur)
            cur = []
        else:
            cur.append(vocab.words[i])
    assert not cur, "stream must end with a sentence end"
    return vocab, enc, sentences


def expected_sentences(text, keep=lambda w: True):
    out = []
    for line in text.replace("\r", " ").split("\n"):
        ws = [w for w in line.split() if keep(w)]
        if ws:
            out.append(ws)
    return out


@pytest.mark.parametrize("suffix,opener", [(".txt", open), (".gz", gzip.open), (".bz2", bz2.open),
                                           (".xz", lzma.open)])
def test_counts_and_stream_match_python(tmp_path, suffix, opener):
    res, work = scan_text(tmp_path, TEXT, "c" + suffix, opener)
    counts = collections.Counter(TEXT.split())
    assert dict(zip(res.words, res.counts.tolist())) == counts
    assert res.total_tokens == sum(counts.values())
    vocab, enc, sentences = decode_stream(res, work)
    assert sentences == expected_sentences(TEXT)
    assert vocab.words[0] == "the"  # most frequent first
    assert enc.n_words == enc.total_tokens == sum(counts.values())


def test_vocab_order_count_then_word_and_min_count(tmp_path):
    text = "b a c b a d\nb a e"
    res, work = scan_text(tmp_path, text)
    vocab, remap = build_vocab(res.words, res.counts, res.pids, res.n_pids, min_count=2)
    assert vocab.words == ["a", "b"]  # tie on count 3 broken by the word
    assert vocab.counts.tolist() == [3, 3]
    _, _, sentences = decode_stream(res, work, min_count=2)
    assert sentences == [["b", "a", "b", "a"], ["b", "a"]]


def test_max_vocab_keeps_most_frequent(tmp_path):
    text = " ".join(["a"] * 5 + ["b"] * 4 + ["c"] * 3 + ["d"] * 2)
    res, _ = scan_text(tmp_path, text)
    vocab, _ = build_vocab(res.words, res.counts, res.pids, res.n_pids, min_count=1, max_vocab=2)
    assert vocab.words == ["a", "b"]


@pytest.mark.parametrize("read_bytes", [7, 64, 1000])
def test_tokens_spanning_read_boundaries(tmp_path, monkeypatch, read_bytes):
    """Small reads force tokens and lines to straddle buffer boundaries."""
    monkeypatch.setattr(corpus.reading, "READ_BYTES", read_bytes)
    rng = np.random.default_rng(0)
    words = ["alpha", "beta", "gamma", "déjà", "x", "longerwordhere"]
    lines = [" ".join(words[i] for i in rng.integers(0, len(words), rng.integers(1, 30))) for _ in range(200)]
    text = "\n".join(lines) + "\n"
    res, work = scan_text(tmp_path, text)
    assert dict(zip(res.words, res.counts.tolist())) == collections.Counter(text.split())
    _, _, sentences = decode_stream(res, work)
    assert sentences == expected_sentences(text)


def test_small_output_buffer_and_table_growth(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus.encoded, "OUT_IDS", 1024)  # forces many flushes (and remap blocks)
    rng = np.random.default_rng(1)
    vocab_words = [f"w{i}" for i in range(100_000)]  # forces the hash table and arena to grow
    tokens = [vocab_words[i] for i in rng.integers(0, len(vocab_words), 150_000)]
    text = "\n".join(" ".join(tokens[i:i + 50]) for i in range(0, len(tokens), 50))
    res, work = scan_text(tmp_path, text)
    assert dict(zip(res.words, res.counts.tolist())) == collections.Counter(tokens)
    _, _, sentences = decode_stream(res, work)
    assert sentences == expected_sentences(text)


def test_long_lines_split_at_max_sentence(tmp_path):
    text = " ".join(f"t{i % 7}" for i in range(2500)) + "\nshort line\n"
    res, work = scan_text(tmp_path, text)
    _, _, sentences = decode_stream(res, work)
    assert [len(s) for s in sentences] == [1000, 1000, 500, 2]
    assert sum(sentences[:3], []) == text.split()[:2500]


def test_out_of_vocabulary_words_are_dropped_not_sentence_breaks(tmp_path):
    text = "a rare b\nodd\na b"
    res, work = scan_text(tmp_path, text)
    _, _, sentences = decode_stream(res, work, min_count=2)
    assert sentences == [["a", "b"], ["a", "b"]]  # the line of only "odd" leaves no empty sentence


def test_invalid_utf8_is_replaced_and_counted(tmp_path):
    data = b"ok caf\xe9 ok\n\xff\xfe bad caf\xe9\n"
    res, _ = scan_text(tmp_path, data)
    assert res.invalid_utf8 == 3
    counts = dict(zip(res.words, res.counts.tolist()))
    assert counts["ok"] == 2 and counts["caf\ufffd"] == 2


def test_invalid_variants_decoding_alike_are_merged(tmp_path):
    data = b"x\xe9 x\xe8 x\xe9\n"
    res, work = scan_text(tmp_path, data)
    vocab, _, sentences = decode_stream(res, work)
    assert vocab.words == ["x\ufffd"] and vocab.counts.tolist() == [3]
    assert sentences == [["x\ufffd"] * 3]


def test_min_count_decodes_only_the_kept_words(tmp_path):
    """scan_corpus(min_count=k) leaves rarer types out of words/counts/pids (not decoded: the memory of a
    corpus with millions of rare types) and still counts them in ``types``; the vocabulary and the
    encoded stream are those of a full decode."""
    rng = np.random.default_rng(0)
    words = [f"w{i}é" for i in range(300)]
    text = "\n".join(" ".join(rng.choice(words, 12, p=np.arange(300, 0, -1) / 45150)) for _ in range(400))
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    full, work = scan_text(tmp_path / "a", text)
    some, work2 = scan_text(tmp_path / "b", text, min_count=3)
    kept = full.counts >= 3
    assert 0 < kept.sum() < len(full.words) and some.types == full.types == len(full.words)
    assert some.words == [w for w, k in zip(full.words, kept) if k]
    assert some.counts.tolist() == full.counts[kept].tolist() and some.pids.tolist() == full.pids[kept].tolist()
    a = decode_stream(full, work, min_count=3)
    b = decode_stream(some, work2, min_count=3)
    assert a[0].words == b[0].words and a[2] == b[2]
    # one invalid byte string among the rare types: read as "x\ufffd" (scan.canonical), counted, and as rare
    # as it is, left out like the others
    bad, _ = scan_text(tmp_path, (text + "\n").encode() + b"x\xff", name="e.txt", min_count=3)
    assert bad.words == some.words and bad.types == full.types + 1 and bad.invalid_utf8 == 1


def test_overlong_tokens_skipped(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus.reading, "READ_BYTES", 500)
    text = "a " + "z" * 5000 + " b\n" + "y" * 1500 + "\nc"
    res, work = scan_text(tmp_path, text)
    assert res.overlong == 2
    _, _, sentences = decode_stream(res, work)
    assert sentences == [["a", "b"], ["c"]]


def test_nul_and_control_whitespace_split_tokens(tmp_path):
    res, _ = scan_text(tmp_path, b"a\x00b\x0bc\x0cd")
    assert sorted(res.words) == ["a", "b", "c", "d"]


def test_pruning_bounds_live_types(tmp_path):
    """With a small count limit rare types are pruned while frequent ones survive with their counts."""
    rng = np.random.default_rng(3)
    frequent = ["f1", "f2", "f3"] * 2000
    rare = [f"r{i}" for i in range(5000)]
    tokens = frequent + rare
    order = rng.permutation(len(tokens))
    text = " ".join(tokens[i] for i in order)
    res, _ = scan_text(tmp_path, text, count_limit=1000)
    counts = dict(zip(res.words, res.counts.tolist()))
    assert len(res.words) <= 1000 + 1
    assert all(counts[w] >= 1000 for w in ("f1", "f2", "f3"))  # counts of early-pruned words are lost
    assert res.total_tokens == len(tokens)


def _zipf_text(rng, n, extra=()):
    toks = [f"w{int(x)}" for x in rng.zipf(1.3, n)] + list(extra)
    rng.shuffle(toks)
    return toks, "\n".join(" ".join(toks[i:i + 50]) for i in range(0, len(toks), 50)) + "\n"


@pytest.mark.parametrize("min_count, max_vocab", [(1, None), (3, None), (2, 150)])
def test_spilling_to_disk_counts_exactly(tmp_path, monkeypatch, min_count, max_vocab):
    """Beyond LIVE_TYPES live types an exact count spills its table to disk and merges the runs by hash
    range: the words, counts, types and the vocabulary chosen equal an unbounded count's and the text's own,
    the table never holds more than the limit, and the runs are deleted."""
    rng = np.random.default_rng(5)
    toks, text = _zipf_text(rng, 30000, extra=["caf\xe9"] * 4)
    full, _ = scan_text(tmp_path, text, min_count=min_count)
    assert not full.spilled and full.complete
    monkeypatch.setattr(corpus.counting, "LIVE_TYPES", 500)
    live = []
    monkeypatch.setattr(spill.Runs, "spill", lambda r, t, s=spill.Runs.spill: (live.append(int(t.st[scan.ST_N])), s(r, t)))
    res, work = scan_text(tmp_path, text, min_count=min_count, max_vocab=max_vocab)
    truth = collections.Counter(toks)
    assert res.spilled == len(live) > 3 and not res.complete and res.n_pids == 0 and max(live) == 500
    assert res.types == full.types == len(truth) and res.total_tokens == len(toks)
    got = dict(zip(res.words, res.counts.tolist()))
    assert all(truth[w] == c for w, c in got.items())
    if max_vocab is None:
        assert got == {w: c for w, c in truth.items() if c >= min_count}
    want, _ = build_vocab(full.words, full.counts, full.pids, 0, min_count, max_vocab, may_repeat=False)
    chosen, _ = build_vocab(res.words, res.counts, res.pids, 0, min_count, max_vocab, may_repeat=False)
    assert chosen.words == want.words and chosen.counts.tolist() == want.counts.tolist()
    assert sorted(p.name for p in work.iterdir()) == ["provisional.i32"]  # (empty: the caller reads again)


def test_spilling_keeps_invalid_utf8_words_and_counts_their_tokens(tmp_path, monkeypatch):
    """Invalid UTF-8 types are kept whatever their count (twins that decode alike are merged later by
    build_vocab), and their tokens are counted as without spilling."""
    rng = np.random.default_rng(6)
    _, text = _zipf_text(rng, 20000)
    data = text.encode() + b"bad\xff one bad\xfe\nbad\xff\n"
    full, _ = scan_text(tmp_path, data, min_count=2)
    monkeypatch.setattr(corpus.counting, "LIVE_TYPES", 400)
    res, _ = scan_text(tmp_path, data, min_count=2)
    assert res.spilled and res.invalid_utf8 == full.invalid_utf8 == 3
    want, _ = build_vocab(full.words, full.counts, full.pids, 0, 2)
    chosen, _ = build_vocab(res.words, res.counts, res.pids, 0, 2)
    assert chosen.words == want.words and chosen.counts.tolist() == want.counts.tolist()
    assert "bad\ufffd" in chosen.words


def test_table_growth_stops_at_the_live_type_limit():
    """The scan prunes at the limit, so the table grows to it, not to the next doubling; its slots stay a
    power of two, at least twice the entries, and hold every entry."""
    t = corpus.Table(n_entries=64)
    t.st[scan.ST_LIMIT] = 100
    t.e_hash[:] = np.arange(64, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    t.st[scan.ST_N] = 64
    t.grow()
    assert len(t.e_hash) == len(t.e_count) == 100 and len(t.slots) == 256
    assert sorted(t.slots[t.slots >= 0].tolist()) == list(range(64))


def test_read_vocab_freezes_the_table(tmp_path):
    res, work = scan_text(tmp_path, "a b c d a b\nz a", known_words=["a", "b"])
    assert res.words == ["a", "b"] and res.counts.tolist() == [3, 2]
    vocab, remap = build_vocab(Vocab(["a", "b"], [10, 5]).words, [10, 5], res.pids, res.n_pids, 1)
    enc = corpus.encode(res, remap, str(work))
    assert np.fromfile(enc.path, np.int32).tolist() == [0, 1, 0, 1, -1, 0, -1]


def test_blocks_are_whole_sentences(tmp_path):
    text = "\n".join(" ".join(f"w{(i * 7 + j) % 50}" for j in range(1 + i % 40)) for i in range(3000))
    res, work = scan_text(tmp_path, text)
    _, enc, _ = decode_stream(res, work)
    ids = np.fromfile(enc.path, np.int32)
    got, pos = [], 0
    for start, block in enc.blocks(block_ids=1500):
        assert start == pos and block[-1] == -1
        got.append(block.copy())
        pos += len(block)
    assert np.array_equal(np.concatenate(got), ids)


def test_missing_and_directory_corpus(tmp_path):
    with pytest.raises(W2VError, match="not found"):
        corpus.open_binary(str(tmp_path / "nope.txt"))
    with pytest.raises(W2VError, match="directory"):
        corpus.open_binary(str(tmp_path))


def test_truncated_gzip_is_a_clear_error(tmp_path):
    p = tmp_path / "c.gz"
    with gzip.open(p, "wb") as f:
        f.write(b"hello world\n" * 10000)
    p.write_bytes(p.read_bytes()[:200])
    work = tmp_path / "w"
    work.mkdir()
    with pytest.raises(W2VError, match="truncated or corrupt"):
        corpus.scan_corpus(str(p), str(work))


def test_scan_kernel_state_roundtrip():
    """scan_block resumes cleanly after NEED_GROW: nothing of the pending token is recorded."""
    buf = np.frombuffer(b"aa bb cc\n", np.uint8).copy()
    slots = np.full(4, -1, np.int32)
    e = [np.zeros(1, t) for t in (np.uint64, np.int64, np.int32, np.int64, np.int64)]
    arena = np.zeros(64, np.uint8)
    st = np.zeros(scan.ST_SIZE, np.int64)
    out = np.empty(16, np.int32)
    pos, n, status = scan.scan_block(buf, 0, len(buf), True, slots, *e, arena, st, out, 0, scan.scratch())
    assert status == scan.NEED_GROW and n == 1 and st[scan.ST_N] == 1 and st[scan.ST_TOKENS] == 1
    assert bytes(buf[pos:pos + 2]) == b"bb"


def test_a_large_known_vocabulary_is_inserted_once(monkeypatch):
    """Freezing 100k words (more than the table's first size) inserts them once, with their hashes: growing
    the table first re-inserted entries not yet filled, all of hash 0, which made the probing quadratic
    (26 s for 300k words). Every word is then found at its index."""
    words = [f"w{i}" for i in range(100_000)]
    calls = []
    real = scan.rebuild_slots
    monkeypatch.setattr(scan, "rebuild_slots", lambda slots, h, n: (calls.append(np.count_nonzero(h[:n] == 0)),
                                                                   real(slots, h, n)))
    t = corpus.Table()
    t.freeze(words)
    assert calls == [0]
    assert sorted(t.slots[t.slots >= 0].tolist()) == list(range(len(words)))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim and /proc")
def test_free_heap_pages_are_handed_back():
    """release_free_memory (malloc_trim, called after counting) returns the pages of freed heap blocks:
    3000 blocks of 60 kB (below glibc's mmap threshold) freed but the last leave ~170 MB resident until it."""
    from w2v.resources import release_free_memory

    def rss_mb():
        with open("/proc/self/status") as f:
            return int(next(line for line in f if line.startswith("VmRSS")).split()[1]) // 1024

    blocks = [bytearray(b"x" * 60000) for _ in range(3000)]
    last = blocks[-1]  # (pins the top of the heap, so freeing alone cannot shrink it)
    del blocks
    before = rss_mb()
    release_free_memory()
    assert rss_mb() < before - 100
    assert len(last) == 60000


def test_a_plain_copy_is_an_equal_writable_array_of_its_own():
    """resources.plain_copy (the Dask replicas' snapshots, outside numpy's huge-page requests): the same
    values, shape and dtype, writable, no memory shared with the original; an empty array too."""
    from w2v.resources import plain_copy

    a = np.arange(12 * 5, dtype=np.float32).reshape(12, 5)
    b = plain_copy(a)
    assert b.shape == a.shape and b.dtype == a.dtype and b.flags.c_contiguous and b.flags.writeable
    np.testing.assert_array_equal(b, a)
    b[3, 2] = -1.0
    assert a[3, 2] == 17.0
    e = plain_copy(np.zeros((0, 7), np.uint16))
    assert e.shape == (0, 7) and e.dtype == np.uint16


def test_a_full_disk_while_spilling_is_one_line(tmp_path, monkeypatch):
    """A run that cannot be written (the disk full), mid-scan or at its end, ends the scan with a one-line
    CorpusError naming the work directory, not a traceback."""
    real = spill.Runs.spill
    calls = []

    def spill_once(runs, table):  # the first spill goes to disk, every later one finds the disk full
        calls.append(1)
        if len(calls) > 1:
            raise OSError(28, "No space left on device")
        real(runs, table)

    monkeypatch.setattr(spill.Runs, "spill", spill_once)
    text = " ".join(f"w{i}" for i in range(1000))
    for live, spills in ((100, 2), (999, 2)):  # the second spill mid-scan; at the end
        calls.clear()
        monkeypatch.setattr(corpus.counting, "LIVE_TYPES", live)
        with pytest.raises(W2VError, match="counts spilled to .*work: No space left on device"):
            scan_text(tmp_path, text)
        assert len(calls) == spills


def test_invalid_utf8_counts_alike_whether_counting_spills_or_the_vocabulary_is_fixed(tmp_path, monkeypatch):
    """One rule for bytes that are not UTF-8 (scan.canonical): a corpus of Latin-1 words (and two
    invalid spellings that decode alike) gives the same vocabulary, counts and encoded stream counted in
    memory, counted with spills to disk, and encoded with the vocabulary fixed (--read-vocab, a resume,
    the second read after a spill); before, the last two lost those words' occurrences."""
    from w2v.config import TrainConfig
    from w2v.prepare import prepare

    rng = np.random.default_rng(7)
    latin = [w.encode("latin-1") for w in ("caf\u00e9", "cr\u00e8me", "na\u00efve", "\u00e0", "fa\u00e7on")]
    words = latin + [b"x\xe9", b"x\xe8"] + [f"w{i}".encode() for i in range(600)]
    p = np.r_[np.full(7, 0.2), 1.0 / np.arange(1, 601)]  # (about 17% of the tokens: text, not binary)
    path = tmp_path / "latin.txt"
    path.write_bytes(b"\n".join(b" ".join(rng.choice(words, 10, p=p / p.sum())) for _ in range(3000)) + b"\n")
    cfg = TrainConfig(min_count=2, threads=1)

    def run(name, known=None):
        work = tmp_path / name
        work.mkdir()
        vocab, enc = prepare(str(path), cfg, str(work), known)
        return vocab, np.fromfile(enc.path, np.int32)

    vocab, stream = run("memory")
    assert "caf\ufffd" in vocab.words and "x\ufffd" in vocab.words  # twins x\xe9 and x\xe8 are one word
    with_vocab = run("fixed", known=vocab)
    monkeypatch.setattr(corpus.counting, "LIVE_TYPES", 200)
    spilled = run("spilled")
    for v, s in (with_vocab, spilled):
        assert v.words == vocab.words and v.counts.tolist() == vocab.counts.tolist()
        assert np.array_equal(s, stream)
