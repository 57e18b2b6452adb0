"""Phrases: each scorer against a hand count, equality with gensim's Phrases and with word2phrase's rule,
bounded counting, `w2v train --phrases`, the file format and refusals."""

import math
import os
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

from w2v import phrases as P
from w2v.errors import FormatError, OptionError

TINY = ["new york is big", "new york city", "i love new york", "new york new york", "the bank of america",
        "bank of america", "bank of america is a bank"]


def _write(tmp_path, lines, name="c.txt"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _random_corpus(seed, n=3000):
    """Random sentences over 300 words with planted bigrams, connector phrases and overlaps."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(300)]
    planted = [["new", "york"], ["bank", "of", "america"], ["of", "the"], ["w1", "w2"], ["a", "w5", "the", "w6"],
               ["new", "york", "times"], ["w2", "w3"]]
    lines = []
    for _ in range(n):
        toks = [words[i] for i in rng.zipf(1.3, rng.integers(3, 20)) % 300]
        for _ in range(rng.integers(0, 3)):
            pos = rng.integers(0, len(toks) + 1)
            toks[pos:pos] = planted[rng.integers(len(planted))]
        lines.append(" ".join(toks))
    return lines


def test_scores_equal_hand_counts(tmp_path):
    path = _write(tmp_path, TINY)
    tokens = sum(len(line.split()) for line in TINY)  # 28
    n = Counter(w for line in TINY for w in line.split())
    # word2phrase: (n(ab) - min_count) / n(a) / n(b) * tokens; "bank of america" is not a bigram without connectors
    m = P.learn(path, passes=1, threshold=0.5, scoring="word2phrase", min_count=2, progress=False)
    got = m.export()
    assert got["new_york"] == pytest.approx((5 - 2) / 5 / 5 * tokens)
    assert got["of_america"] == pytest.approx((3 - 2) / n["of"] / n["america"] * tokens)
    assert "bank_of" in got and "is_big" not in got  # is big occurs once: below min_count
    # gensim's scorer: the number of types counted (unigrams but connectors, plus candidates) instead of tokens
    m = P.learn(path, passes=1, threshold=0.1, scoring="gensim", min_count=1, connector_words_spec="english",
                progress=False)
    unigrams = {w for w in n if w not in P.ENGLISH_CONNECTOR_WORDS}
    candidates = set()
    for line in TINY:
        content = [w for w in line.split() if w not in P.ENGLISH_CONNECTOR_WORDS]
        raw = line.split()
        idx = [i for i, w in enumerate(raw) if w not in P.ENGLISH_CONNECTOR_WORDS]
        candidates |= {"_".join(raw[i:j + 1]) for i, j in zip(idx, idx[1:])}
        assert len(content) == len(idx)
    types = len(unigrams) + len(candidates)
    got = m.export()
    assert got["bank_of_america"] == pytest.approx((3 - 1) / (n["bank"] * n["america"]) * types)
    assert got["new_york"] == pytest.approx((5 - 1) / (5 * 5) * types)
    # npmi: ln(p(ab) / (p(a) p(b))) / -ln p(ab)
    m = P.learn(path, passes=1, threshold=-1, scoring="npmi", min_count=1, progress=False)
    pab, pa, pb = 5 / tokens, 5 / tokens, 5 / tokens
    assert m.export()["new_york"] == pytest.approx(math.log(pab / (pa * pb)) / -math.log(pab))


@pytest.mark.parametrize("scoring,threshold,connectors,min_count", [
    ("gensim", 10.0, "english", 5), ("gensim", 0.5, "english", 2), ("gensim", 0.1, None, 1),
    ("npmi", 0.3, "english", 5), ("npmi", -0.5, "english", 1), ("npmi", 0.0, None, 3)])
def test_equals_gensim_phrases(tmp_path, scoring, threshold, connectors, min_count):
    gensim_phrases = pytest.importorskip("gensim.models.phrases")
    lines = _random_corpus(1)
    path = _write(tmp_path, lines)
    sentences = [line.split() for line in lines]
    ref = gensim_phrases.Phrases(sentences, min_count=min_count, threshold=threshold,
                                 scoring="default" if scoring == "gensim" else "npmi",
                                 connector_words=gensim_phrases.ENGLISH_CONNECTOR_WORDS if connectors else frozenset())
    out = str(tmp_path / "out.txt")
    ours = P.learn(path, out, passes=1, threshold=threshold, scoring=scoring, min_count=min_count,
                   connector_words_spec=connectors, progress=False)
    theirs = ref.export_phrases()
    assert len(theirs) >= 3
    assert ours.export().keys() == theirs.keys()
    for k, v in ours.export().items():
        assert v == pytest.approx(theirs[k], rel=1e-12, abs=1e-15)
    frozen = ref.freeze()
    with open(out, encoding="utf-8") as f:
        assert f.read().splitlines() == [" ".join(frozen[s]) for s in sentences]
    assert ours[sentences[0]] == frozen[sentences[0]]


def _word2phrase(lines, threshold, min_count):
    """word2phrase.c's rule, written plainly: count words and bigrams within lines, score
    (n(ab) - min_count) / n(a) / n(b) * tokens for words of count >= min_count, join greedily left to right."""
    uni, bi = Counter(), Counter()
    for line in lines:
        words = line.split()
        uni.update(words)
        bi.update(zip(words, words[1:]))
    total = sum(uni.values())
    out = []
    for line in lines:
        words, res, i = line.split(), [], 0
        while i < len(words):
            if i + 1 < len(words):
                a, b = words[i], words[i + 1]
                ok = uni[a] >= min_count and uni[b] >= min_count and bi[a, b] > 0
                if ok and (bi[a, b] - min_count) / uni[a] / uni[b] * total > threshold:
                    res.append(a + "_" + b)
                    i += 2
                    continue
            res.append(words[i])
            i += 1
        out.append(" ".join(res))
    return out


def test_two_passes_equal_word2phrase_rule(tmp_path):
    lines = _random_corpus(2, n=4000)
    path = _write(tmp_path, lines)
    out = str(tmp_path / "out.txt")
    m = P.learn(path, out, passes=2, threshold=[40, 20], min_count=5, progress=False)
    expected = _word2phrase(_word2phrase(lines, 40, 5), 20, 5)
    with open(out, encoding="utf-8") as f:
        got = f.read().splitlines()
    assert got == [line for line in expected if line]
    assert "new_york" in m.export(1) and "new_york_times" in m.export(2)  # the second pass builds longer phrases
    assert any("new_york_times" in line for line in got)


def test_bounded_counting_prunes_rare_bigrams_and_keeps_frequent_ones(tmp_path):
    rng = np.random.default_rng(3)
    lines = []
    for i in range(4000):  # every line has two unique rare words, and every fourth one "new york"
        line = [f"r{i}a", f"r{i}b", "x", "y"]
        rng.shuffle(line)
        if i % 4 == 0:
            at = rng.integers(5)
            line[at:at] = ["new", "york"]
        lines.append(" ".join(line))
    path = _write(tmp_path, lines)
    full = P.learn_pass(path, str(tmp_path), "word2phrase", 10, 5, (), "_")
    small = P.learn_pass(path, str(tmp_path), "word2phrase", 10, 5, (), "_", max_bigrams=600)
    assert full.stats["pruned"] == 0 and small.stats["pruned"] > 0
    assert small.stats["candidates"] < 1200 < full.stats["candidates"]
    assert "new_york" in P.Phrases([small]).export()
    # a frequent candidate loses at most the few occurrences counted before a pruning round dropped it
    i = full.phrases.index(("new", "york"))
    j = small.phrases.index(("new", "york"))
    assert 0.95 * full.counts[i] <= small.counts[j] <= full.counts[i] == 1000


def test_save_load_round_trip_and_train_on_the_fly(tmp_path):
    lines = _random_corpus(4, n=3000)
    path = _write(tmp_path, lines)
    phrased, table = str(tmp_path / "phrased.txt"), str(tmp_path / "p.tsv")
    from w2v import api

    model = api.learn_phrases(path, phrased, passes=2, threshold=[30, 15], connector_words="english",
                              save_phrases=table, progress=False)
    back = P.Phrases.load(table)
    assert back.export() == model.export() and back.connector_words == P.ENGLISH_CONNECTOR_WORDS
    assert [len(p) for p in back.passes] == [len(p) for p in model.passes]
    # training with --phrases sees the same text as training on the phrased file: identical vectors
    opts = dict(dim=16, epochs=1, threads=1, seed=3, min_count=3, progress=False)
    on_the_fly = api.train(path, phrases=table, **opts)
    from_file = api.train(phrased, **opts)
    assert on_the_fly.vocab.words == from_file.vocab.words
    assert any("_" in w for w in on_the_fly.vocab.words)
    np.testing.assert_array_equal(on_the_fly.vectors.vectors, from_file.vectors.vectors)


def _cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "w2v.cli", *args], capture_output=True, text=True, input=stdin,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_cli_phrases_and_train(tmp_path):
    lines = _random_corpus(5, n=2000)
    path = _write(tmp_path, lines)
    out, table, vec = str(tmp_path / "o.txt"), str(tmp_path / "p.tsv"), str(tmp_path / "v.txt")
    r = _cli("phrases", path, "-o", out, "--save-phrases", table, "--threshold", "30,15", "-q")
    assert r.returncode == 0, r.stderr
    assert "new_york" in open(out, encoding="utf-8").read()
    # standard input is spooled (each pass reads its text twice): same result
    r = _cli("phrases", "-", "-o", str(tmp_path / "o2.txt"), "--threshold", "30,15", "-q", stdin="\n".join(lines))
    assert r.returncode == 0, r.stderr
    assert open(out).read() == open(tmp_path / "o2.txt").read()
    r = _cli("train", path, "--phrases", table, "--dim", "8", "--epochs", "1", "--min-count", "3", "-o", vec, "-q")
    assert r.returncode == 0, r.stderr
    assert "new_york" in {line.split()[0] for line in open(vec, encoding="utf-8")}


@pytest.mark.parametrize("args,message", [
    (["missing.txt", "-o", "x.txt"], "not found"),
    (["{c}", "-o", "x.txt", "--scoring", "npmi", "--threshold", "2"], "outside [-1, 1]"),
    (["{c}", "-o", "x.txt", "--threshold", "10,abc"], "numbers separated by commas"),
    (["{c}", "-o", "x.txt", "--passes", "2", "--threshold", "1,2,3"], "3 values for 2 passes"),
    (["{c}", "-o", "x.txt", "--connector-words", "nofile.txt"], "--connector-words"),
    (["{c}", "-o", "x.txt", "--delimiter", " "], "--delimiter"),
    (["{c}"], "give -o"),
])
def test_cli_refusals(tmp_path, args, message):
    path = _write(tmp_path, TINY)
    r = _cli("phrases", *[a.replace("{c}", path) if a == "{c}" else str(tmp_path / a) if a.endswith(".txt") and a != "{c}"
                          else a for a in args])
    assert r.returncode != 0
    assert message in r.stderr and "Traceback" not in r.stderr


def test_bad_phrases_file(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("new york\n")
    with pytest.raises(FormatError, match="not a w2v phrases file"):
        P.Phrases.load(str(bad))
    r = _cli("train", _write(tmp_path, TINY), "--phrases", str(bad), "-o", str(tmp_path / "v.bin"), "-q")
    assert r.returncode == 1 and "not a w2v phrases file" in r.stderr and "Traceback" not in r.stderr
    with pytest.raises(OptionError):
        P.thresholds("0.5,0.2", 3, "word2phrase")


def test_long_lines_carry_across_reads(tmp_path, monkeypatch):
    """Lines cut by the reader's block boundaries are phrased whole (the carry), and a last line without
    a newline still counts."""
    lines = ["new york " * 30 + f"w{i}" for i in range(50)]
    path = tmp_path / "c.txt"
    path.write_text("\n".join(lines), encoding="utf-8")  # no final newline
    model = P.Phrases([P.Pass([("new", "york")], [1], [1.0], "word2phrase", 0, 1)])
    reader = P.applying.PhrasedReader(open(path, "rb"), model.appliers())
    chunks = []
    while True:
        b = reader.read(37)
        if not b:
            break
        chunks.append(b)
    reader.close()
    assert b"".join(chunks).decode().splitlines() == [("new_york " * 30 + f"w{i}") for i in range(50)]


def test_no_bigram_is_counted_across_an_overlong_token(tmp_path):
    """A token over 1,000 bytes has no id; its neighbours were counted as a bigram that the joining pass
    (which reads the text, the long token between them) could never join. The scan now leaves a gap."""
    long = "z" * 1500
    lines = [f"alpha {long} beta"] * 60 + ["new york is big"] * 60 + ["alpha gamma beta delta"] * 5
    path = _write(tmp_path, lines)
    got = P.learn(path, passes=1, threshold=0.5, scoring="word2phrase", min_count=2, progress=False).export()
    assert "new_york" in got and "alpha_beta" not in got
    joined = P.learn(path, output=str(tmp_path / "out.txt"), passes=1, threshold=0.5, min_count=2, progress=False)
    assert "alpha_beta" not in (tmp_path / "out.txt").read_text() and "new_york" in joined.export()


def test_a_connector_word_pruned_while_counting_stays_a_connector(tmp_path, monkeypatch):
    """Counting prunes rare types when the table is full (word2vec.c's ReduceVocab); a connector word seen
    once before that came back with a new id and was counted as an ordinary word, so "bank of america"
    was never a candidate. Seed words (the connectors) now survive pruning with their ids."""
    from w2v.corpus import counting

    lines = [f"u{i} u{i + 1} u{i + 2}" for i in range(0, 3000, 3)]
    lines.insert(10, "u1 of u2")  # "of" once, before the table fills
    lines += ["bank of america rules"] * 80 + ["the bank"] * 10 + ["america"] * 10
    path = _write(tmp_path, lines)
    monkeypatch.setattr(counting, "DEFAULT_COUNT_LIMIT", 300)  # a table of 300 types: pruned many times
    model = P.learn(path, passes=1, threshold=0.1, scoring="gensim", min_count=5, connector_words_spec="english",
                    progress=False)
    assert model.passes[0].stats["pruned"] == 0  # (candidates were not pruned: only the unigram table was)
    assert "bank_of_america" in model.export() and "of_america" not in model.export()


def test_threads_cut_a_block_into_parts_and_join_the_same(tmp_path, monkeypatch):
    """--threads N cuts a block at line ends into up to N parts phrased at once: the same text and count of
    phrases joined for 1, 2 and 5 threads, with parts small enough that every block is cut."""
    monkeypatch.setattr(P.applying, "PART_BYTES", 64)
    lines = [" ".join(["new york"] * (i % 4) + [f"w{i}", "new", "york", "times"]) for i in range(400)]
    model = P.Phrases([P.Pass([("new", "york")], [1], [1.0], "word2phrase", 0, 1)])
    data = ("\n".join(lines) + "\n").encode()
    got = []
    for threads in (1, 2, 5):
        (apply,) = model.appliers(threads)
        got.append((apply(data), apply.n_joined))
    assert got[0] == got[1] == got[2]
    assert got[0][1] == sum(1 + i % 4 for i in range(400))
    r = _cli("phrases", _write(tmp_path, _random_corpus(5, n=500)), "-o", str(tmp_path / "o.txt"), "--threads", "-1")
    assert r.returncode == 2 and "'--threads': -1 is not in the range x>=0" in r.stderr
