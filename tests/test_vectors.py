"""Vectors at gensim's KeyedVectors level: every method a gensim user reaches for after training, checked
against gensim 4.4 on the same vectors (random ones, with case variants and a planted analogy structure)."""

import numpy as np
import pytest

from w2v.errors import WordNotFound
from w2v.vectors import Vectors

gensim = pytest.importorskip("gensim")


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(11)
    words = [f"w{i}" for i in range(300)] + ["Paris", "paris", "France", "Rome", "Italy", "berlin", "Germany"]
    vecs = rng.normal(size=(len(words), 24)).astype(np.float32)
    capital = rng.normal(size=24).astype(np.float32) * 3  # Paris - France ~ Rome - Italy ~ berlin - Germany
    for city, country in (("Paris", "France"), ("Rome", "Italy"), ("berlin", "Germany")):
        vecs[words.index(city)] = vecs[words.index(country)] + capital + rng.normal(size=24) * 0.1
    ours = Vectors(words, vecs)
    return ours, ours.to_gensim()


def test_container_protocol_and_names(pair):
    v, kv = pair
    assert list(v) == v.words == kv.index_to_key and len(v) == len(kv) and v.vector_size == kv.vector_size == 24
    assert v.key_to_index == kv.key_to_index and v.index_to_key is v.words
    assert np.array_equal(v[0], kv[0]) and np.array_equal(v["w5"], kv["w5"]) and np.array_equal(v[-1], v["Germany"])
    assert np.array_equal(v[["w1", "w2", 7]], kv[["w1", "w2", 7]])
    assert np.allclose(v.get_vector("w3", norm=True), kv.get_vector("w3", norm=True))
    assert np.allclose(v.get_normed_vectors(), kv.get_normed_vectors())
    assert v.has_index_for("Paris") and not v.has_index_for("nowhere") and v.get_index("w9") == kv.get_index("w9")
    assert repr(v) == "<Vectors 307 words x 24>"
    with pytest.raises(KeyError):
        v["nowhere"]
    with pytest.raises(WordNotFound):
        v[10_000]


def _same(ours, theirs, rel=1e-5):
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    assert [s for _, s in ours] == pytest.approx([s for _, s in theirs], rel=rel, abs=1e-6)


def test_most_similar_and_friends_equal_gensims(pair):
    v, kv = pair
    vec = v["w4"] + v["w8"]
    for kw in (dict(positive=["w1"]), dict(positive=["w1", "w2"], negative=["w3"], topn=7),
               dict(positive=[vec], topn=5), dict(positive=[("w1", 2.0), "w6"], negative=[("w9", 0.5)]),
               dict(positive=["w10"], topn=4, restrict_vocab=50)):
        _same(v.most_similar(**kw), kv.most_similar(**kw))
    assert np.allclose(v.most_similar("w1", topn=None), kv.most_similar("w1", topn=None), atol=1e-6)
    for kw in (dict(positive=["w1", "w2"], negative=["w3"]), dict(positive=["Paris", "Italy"], negative=["France"])):
        _same(v.most_similar_cosmul(**kw), kv.most_similar_cosmul(**kw))
    _same(v.similar_by_vector(vec, topn=3), kv.similar_by_vector(vec, topn=3))
    _same(v.similar_by_word("w2"), kv.similar_by_word("w2"))
    words = ["w1", "w2", "w3", "Paris", "nowhere"]
    assert v.doesnt_match(words) == kv.doesnt_match(words)
    assert v.n_similarity(["w1", "w2"], ["w3", "Rome"]) == pytest.approx(kv.n_similarity(["w1", "w2"], ["w3", "Rome"]),
                                                                        rel=1e-5)
    assert v.distance("w1", "w2") == pytest.approx(kv.distance("w1", "w2"), rel=1e-5)
    assert np.allclose(v.distances("w1"), kv.distances("w1"), atol=1e-6)
    assert np.allclose(v.distances(vec, ["w2", "w3"]), kv.distances(vec, ["w2", "w3"]), atol=1e-6)
    assert v.closer_than("w1", "w2") == kv.closer_than("w1", "w2")
    assert v.rank("w1", "w2") == kv.rank("w1", "w2")
    assert v.most_similar_cosmul(["Italy", "Paris"], ["France"], topn=1)[0][0] == "Rome"  # the planted analogy


def test_evaluations_return_what_gensims_return(pair, tmp_path):
    v, kv = pair
    questions = tmp_path / "q.txt"
    questions.write_text(": capitals\nFrance Paris Italy Rome\nItaly Rome Germany Berlin\nFrance Paris Spain Madrid\n"
                         ": numbers\nw1 w2 w3 w4\nW5 w6 w7 w8\nw1 w2 w3 w300\n")
    for kw in (dict(), dict(restrict_vocab=100), dict(case_insensitive=False), dict(dummy4unknown=True)):
        score, sections = v.evaluate_word_analogies(str(questions), **kw)
        their_score, theirs = kv.evaluate_word_analogies(str(questions), **kw)
        assert score == pytest.approx(their_score) and sections == theirs, kw
    assert sections[0]["correct"][:2] == [("FRANCE", "PARIS", "ITALY", "ROME"), ("ITALY", "ROME", "GERMANY", "BERLIN")]
    pairs = tmp_path / "p.tsv"
    pairs.write_text("# word pairs\nw1\tw2\t3.5\nparis\tFrance\t8.0\nw3\tnowhere\t1.0\nw4\tW9\t2.0\nRome\tItaly\t9.0\n"
                     "w7\tw8\t0.5\n")
    for kw in (dict(), dict(dummy4unknown=True), dict(case_insensitive=False)):
        (p, pp), (s, sp), oov = v.evaluate_word_pairs(str(pairs), **kw)
        (gp, gpp), (gs, gsp), goov = kv.evaluate_word_pairs(str(pairs), **kw)
        assert (p, s, oov) == pytest.approx((gp, gs, goov), rel=1e-5) and pp == pytest.approx(gpp, rel=1e-4), kw
