"""Continued training (issue 15, part 3): --continue CHECKPOINT on new text, with or without --update-vocab."""

import numpy as np
import pytest
from click.testing import CliRunner

import w2v
from conftest import planted_corpus
from w2v.cli import cli


def with_new_word(src, dst, seed, word="c0new"):
    """``src`` with ``word`` inserted into half of the sentences of cluster 0."""
    rng = np.random.default_rng(seed)
    with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as g:
        for line in f:
            words = line.split()
            if any(w.startswith("c0w") for w in words) and rng.random() < 0.5:
                words.insert(rng.integers(len(words)), word)
            g.write(" ".join(words) + "\n")


@pytest.fixture
def trained(tmp_path):
    """A finished run's checkpoint (the checkpoint of a finished run is its final state)."""
    planted_corpus(tmp_path / "a.txt", seed=1, sentences=1500)
    ck = str(tmp_path / "a.ckpt")
    first = w2v.train(str(tmp_path / "a.txt"), dim=16, min_count=1, epochs=3, threads=1, seed=1, progress=False,
                      checkpoint=ck)
    planted_corpus(tmp_path / "more.txt", seed=101, sentences=1500)  # new text, same distribution
    return first, ck, tmp_path


def test_known_words_move_little_on_the_same_distribution(trained):
    first, ck, d = trained
    more = w2v.train(str(d / "more.txt"), continue_from=ck, epochs=1, threads=1, progress=False)
    assert more.vectors.words == first.vectors.words  # no --update-vocab: the vocabulary is the checkpoint's
    cos = np.sum(first.vectors.unit * more.vectors.unit, axis=1)
    # calibrated over seeds 1-5 of this setting: mean cosine 0.978-0.990, minimum 0.879-0.921
    assert cos.mean() > 0.95 and cos.min() > 0.8, (cos.mean(), cos.min())
    assert not np.array_equal(first.vectors.vectors, more.vectors.vectors)  # it did train


def test_update_vocab_gives_new_words_meaningful_neighbours(trained):
    first, ck, d = trained
    with_new_word(d / "more.txt", d / "b.txt", seed=1)
    more = w2v.train(str(d / "b.txt"), continue_from=ck, update_vocab=True, epochs=1, threads=1, progress=False)
    assert "c0new" in more.vectors and "c0new" not in first.vectors
    assert set(first.vectors.words) < set(more.vectors.words)
    near = [w for w, _ in more.vectors.most_similar("c0new", topn=5)]
    # calibrated over seeds 1-5: 5 of 5 neighbours are cluster 0's words
    assert sum(w.startswith("c0w") for w in near) >= 4, near
    merged = dict(zip(more.vocab.words, more.vocab.counts.tolist()))
    assert merged["the"] > dict(zip(first.vocab.words, first.vocab.counts.tolist()))["the"]  # counts added


def test_continued_run_is_deterministic_with_one_thread(trained):
    _, ck, d = trained
    with_new_word(d / "more.txt", d / "b.txt", seed=2)
    runs = [w2v.train(str(d / "b.txt"), continue_from=ck, update_vocab=True, loss="ns", epochs=1, threads=1,
                      progress=False) for _ in range(2)]
    assert np.array_equal(runs[0].vectors.vectors, runs[1].vectors.vectors)


def test_hierarchical_softmax_continues_with_a_rebuilt_tree(tmp_path):
    planted_corpus(tmp_path / "a.txt", seed=2, sentences=800)
    ck = str(tmp_path / "a.ckpt")
    w2v.train(str(tmp_path / "a.txt"), loss="hs", dim=12, min_count=1, epochs=2, threads=1, progress=False,
              checkpoint=ck)
    with_new_word(tmp_path / "a.txt", tmp_path / "b.txt", seed=3)
    more = w2v.train(str(tmp_path / "b.txt"), continue_from=ck, update_vocab=True, epochs=1, threads=1,
                     progress=False)
    assert more.params["W_out"].shape == (len(more.vocab) - 1, 12) and "c0new" in more.vectors


def test_refusals(trained, tmp_path):
    _, ck, d = trained
    with pytest.raises(w2v.ResumeError, match="--dim 32"):
        w2v.train(str(d / "more.txt"), continue_from=ck, dim=32, progress=False)
    with pytest.raises(w2v.ResumeError, match="--model cbow"):
        w2v.train(str(d / "more.txt"), continue_from=ck, model="cbow", progress=False)
    with pytest.raises(w2v.OptionError, match="--update-vocab"):
        w2v.train(str(d / "more.txt"), update_vocab=True, progress=False)
    glove_ck = str(tmp_path / "g.ckpt")
    w2v.train(str(d / "a.txt"), model="glove", dim=8, min_count=1, epochs=1, progress=False, checkpoint=glove_ck)
    with pytest.raises(w2v.OptionError, match="--continue supports"):
        w2v.train(str(d / "more.txt"), continue_from=glove_ck, progress=False)


def test_cli_continue(trained):
    _, ck, d = trained
    with_new_word(d / "more.txt", d / "b.txt", seed=4)
    r = CliRunner().invoke(cli, ["train", str(d / "b.txt"), "--continue", ck, "--update-vocab", "--epochs", "1",
                                 "--threads", "1", "-o", str(d / "v.bin")])
    assert r.exit_code == 0, r.output
    assert "1 new" in r.output and "c0new" in w2v.load(str(d / "v.bin"))
    r = CliRunner().invoke(cli, ["train", str(d / "b.txt"), "--continue", ck, "--dim", "8", "-o", str(d / "w.bin")])
    assert r.exit_code == 1 and "--dim 8" in r.output and "Traceback" not in r.output
