"""Evaluation: analogy accuracy equals gensim's on the same vectors; Spearman equals scipy's."""

import numpy as np
import pytest

from w2v import evaluate
from w2v.errors import W2VError
from w2v.vectors import Vectors


def planted_analogy_vectors(seed=0, dim=30, fillers=700):
    """Vectors for the analogy words where many (not all) questions hold: b = a + offset(section)."""
    rng = np.random.default_rng(seed)
    sections = evaluate.read_analogies(evaluate.data_path(evaluate.DEFAULT_ANALOGIES))
    vec = {}
    for s, (_, questions) in enumerate(sections):
        offset = rng.normal(0, 1, dim)
        for q in questions:
            for a, b in ((q[0], q[1]), (q[2], q[3])):
                if a not in vec:
                    vec[a] = rng.normal(0, 1, dim)
                if b not in vec:
                    vec[b] = vec[a] + offset + rng.normal(0, 0.6, dim)
    words = [w.lower() for w in vec]
    mats = [vec[w] for w in vec]
    # mixed casing: a capitalised twin of some words, and filler words between them
    for w in words[:40]:
        words.append(w.capitalize())
        mats.append(rng.normal(0, 1, dim))
    for i in range(fillers):
        words.append(f"filler{i}")
        mats.append(rng.normal(0, 1, dim))
    order = rng.permutation(len(words))  # frequency order is arbitrary here
    return Vectors([words[i] for i in order], np.array(mats)[order].astype(np.float32))


@pytest.mark.parametrize("restrict", [30000, 600])
def test_analogy_accuracy_equals_gensim(tmp_path, restrict):
    from gensim.models import KeyedVectors

    v = planted_analogy_vectors()
    v.save(tmp_path / "v.bin")
    ours = evaluate.analogies(Vectors.load(tmp_path / "v.bin"), restrict=restrict)
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "v.bin"), binary=True)
    score, sections = kv.evaluate_word_analogies(evaluate.data_path(evaluate.DEFAULT_ANALOGIES),
                                                 restrict_vocab=restrict)
    theirs = {s["section"]: (len(s["correct"]), len(s["correct"]) + len(s["incorrect"])) for s in sections}
    assert 0.05 < ours["total"]["accuracy"] < 0.98  # a non-trivial comparison
    assert ours["total"]["accuracy"] == pytest.approx(score, abs=1e-12)
    for r in ours["sections"]:
        assert (r["correct"], r["answered"]) == theirs[r["section"]], r["section"]
    assert (ours["total"]["correct"], ours["total"]["answered"]) == theirs["Total accuracy"]


def test_analogy_3cosmul_and_skips(tmp_path):
    v = planted_analogy_vectors(seed=1)
    res = evaluate.analogies(v, restrict=600, method="3cosmul")
    total = res["total"]
    assert total["answered"] + total["skipped"] == 19544
    assert total["skipped"] > 0 and 0 < total["accuracy"] < 1
    assert res["semantic"]["answered"] + res["syntactic"]["answered"] == total["answered"]


def test_spearman_equals_scipy():
    from scipy import stats

    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.integers(0, 8, 50).astype(float)  # with ties
        y = x + rng.normal(0, 2, 50)
        assert evaluate.spearman(x, y) == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-12)
        assert evaluate.pearson(x, y) == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-12)


def test_similarity_equals_gensim(tmp_path):
    from gensim.models import KeyedVectors

    pairs = evaluate.read_pairs(evaluate.data_path("wordsim353.tsv"))
    words = sorted({w.lower() for p in pairs for w in p[:2]})[:-20]  # leave some pairs out of vocabulary
    rng = np.random.default_rng(0)
    v = Vectors(words, rng.normal(size=(len(words), 20)).astype(np.float32))
    v.save(tmp_path / "v.bin")
    ours = evaluate.similarity(v, evaluate.data_path("wordsim353.tsv"))
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "v.bin"), binary=True)
    pearson, spearman, oov = kv.evaluate_word_pairs(evaluate.data_path("wordsim353.tsv"))
    assert ours["oov"] > 0 and ours["found"] + ours["oov"] == 353
    assert ours["spearman"] == pytest.approx(spearman[0], abs=1e-6)
    assert ours["pearson"] == pytest.approx(pearson[0], abs=1e-6)
    assert 100 * ours["oov"] / ours["pairs"] == pytest.approx(oov)


def test_shipped_datasets_are_found():
    for name in ("questions-words.txt", "wordsim353.tsv", "simlex999.txt"):
        assert evaluate.data_path(name).endswith(name)
    assert len(evaluate.read_pairs(evaluate.data_path("simlex999.txt"))) == 999


def test_bad_datasets(tmp_path):
    p = tmp_path / "q.txt"
    p.write_text(": s\na b c\n")
    with pytest.raises(W2VError, match="line 2"):
        evaluate.read_analogies(str(p))
    with pytest.raises(W2VError, match="not found"):
        evaluate.read_pairs(str(tmp_path / "nope"))


def test_eval_json_is_valid_and_nothing_answered_says_n_a(tmp_path):
    """Vectors that answer nothing: --json writes null (never NaN, which is not JSON), the table says n/a,
    and a warning says why."""
    import json

    from click.testing import CliRunner

    from w2v.cli import cli

    Vectors(["alpha", "beta", "gamma"], np.random.default_rng(0).normal(size=(3, 4))).save(str(tmp_path / "v.bin"))
    for cmd in ("similarity", "analogies"):
        r = CliRunner().invoke(cli, ["eval", cmd, str(tmp_path / "v.bin"), "--json"])
        assert r.exit_code == 0 and "NaN" not in r.output
        got = json.loads(r.output, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
        assert "warning" in (got[0] if cmd == "similarity" else got)  # (in the JSON: stdout stays JSON)
    r = CliRunner().invoke(cli, ["eval", "similarity", str(tmp_path / "v.bin")])
    assert "spearman n/a" in r.stdout and "warning: wordsim353.tsv" in r.stderr
    r = CliRunner().invoke(cli, ["eval", "analogies", str(tmp_path / "v.bin")])
    assert "n/a" in r.stdout.splitlines()[-1]
