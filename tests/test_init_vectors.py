"""Starting from vectors one already has (issue 25, part 3): --init-vectors FILE [--lock-init], gensim's
intersect_word2vec_format semantics. A locked word keeps its vector exactly; an unlocked one starts from
it and moves; words absent from the file train from word2vec's random start, as usual."""

import numpy as np
import pytest
from click.testing import CliRunner

from w2v import api, checkpoint
from w2v.cli import cli
from w2v.errors import OptionError
from w2v.trainers.word2vec import init_weights
from w2v.vectors import Vectors

OPTS = dict(dim=16, min_count=1, epochs=2, threads=1, seed=3, progress=False)


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    """A corpus, and a vectors file for half its words plus a word it lacks (which is ignored)."""
    from conftest import planted_corpus

    d = tmp_path_factory.mktemp("init")
    corpus = d / "c.txt"
    planted_corpus(corpus, seed=5, sentences=600)
    first = api.train(str(corpus), **dict(OPTS, seed=9))
    words = first.vectors.words[::2]
    rng = np.random.default_rng(0)
    given = Vectors(words + ["notinthecorpus"], rng.normal(size=(len(words) + 1, 16)).astype(np.float32))
    path = d / "given.txt"
    given.save(str(path))
    return str(corpus), str(path), Vectors.load(str(path))


@pytest.mark.parametrize("model", ["sg", "cbow"])
def test_locked_words_keep_their_vectors_and_the_others_train(pretrained, model):
    corpus, path, given = pretrained
    locked = api.train(corpus, model=model, init_vectors=path, lock_init=True, **OPTS)
    free = api.train(corpus, model=model, init_vectors=path, **OPTS)
    plain = api.train(corpus, model=model, **OPTS)
    vocab = locked.vectors.words
    start, _ = init_weights(len(vocab), 16, OPTS["seed"], 1)
    found = [w for w in vocab if w in given.key_to_index]
    absent = [w for w in vocab if w not in given.key_to_index]
    assert len(found) > 10 and len(absent) > 10
    for w in found:
        assert np.array_equal(locked.vectors[w], given[w])  # exactly, bit for bit
        assert not np.allclose(free.vectors[w], given[w], atol=1e-3)  # unlocked: it moved
    i = vocab.index(absent[0])
    for model_ in (locked, free):  # absent words trained from word2vec's random start
        assert not np.allclose(model_.vectors[absent[0]], start[i], atol=1e-3)
    assert not np.array_equal(plain.vectors[found[0]], free.vectors[found[0]])
    assert "lock" in locked.params and "lock" not in free.params


def test_the_lock_survives_a_checkpoint_and_a_continued_run(pretrained, tmp_path):
    corpus, path, given = pretrained
    ck = tmp_path / "ck.npz"
    api.train(corpus, init_vectors=path, lock_init=True, checkpoint=str(ck), **OPTS)
    assert "lock" in checkpoint.load(str(ck)).arrays
    more = api.train(corpus, continue_from=str(ck), progress=False)
    w = next(w for w in more.vectors.words if w in given.key_to_index)
    assert np.array_equal(more.vectors[w], given[w])


def test_wrong_uses_are_one_line_errors(pretrained, tmp_path):
    corpus, path, _ = pretrained
    with pytest.raises(OptionError, match="dimension 16; this run trains --dim 8"):
        api.train(corpus, init_vectors=path, **dict(OPTS, dim=8))
    with pytest.raises(OptionError, match="--lock-init goes with --init-vectors"):
        api.train(corpus, lock_init=True, **OPTS)
    with pytest.raises(OptionError, match="--init-vectors applies to --model sg and cbow, not glove"):
        api.train(corpus, model="glove", init_vectors=path, dim=16, min_count=1, progress=False)
    r = CliRunner().invoke(cli, ["train", corpus, "--init-vectors", str(tmp_path / "none.bin"), "--dim", "16",
                                 "--min-count", "1", "-q", "-o", str(tmp_path / "v.bin")])
    assert r.exit_code == 1 and len(r.output.strip().splitlines()) == 1 and "none.bin" in r.output
    assert not (tmp_path / "v.bin").exists()
    r = CliRunner().invoke(cli, ["train", corpus, "--init-vectors", path, "--lock-init", "--dim", "16",
                                 "--min-count", "1", "--epochs", "1", "-o", str(tmp_path / "v.bin")])
    assert r.exit_code == 0, r.output
    assert "start from the vectors of" in r.output and "(locked)" in r.output


@pytest.mark.parametrize("model", ["sg", "glove", "nplm"])
def test_a_saved_model_loads_back_whole_and_trains_further(pretrained, tmp_path, model):
    """Model.save(".model") and Model.load, as gensim's model.save / Word2Vec.load: the options, vocabulary,
    every parameter, the losses and the same vectors; a saved sg model continues on new text."""
    from w2v.model import Model

    corpus, _, _ = pretrained
    opts = dict(OPTS, epochs=1) if model != "nplm" else dict(OPTS, epochs=1, hidden=8, context=2)
    trained = api.train(corpus, model=model, **opts)
    trained.save(tmp_path / "m.model")
    back = Model.load(str(tmp_path / "m.model"))
    assert back.config == trained.config and back.vocab.words == trained.vocab.words
    assert back.epoch_losses == trained.epoch_losses
    assert back.params.keys() == trained.params.keys()
    assert all(np.array_equal(back.params[k], trained.params[k]) for k in trained.params)
    assert back.vectors.words == trained.vectors.words
    assert np.array_equal(back.vectors.vectors, trained.vectors.vectors)
    if model == "sg":
        more = api.train(corpus, continue_from=str(tmp_path / "m.model"), progress=False)
        assert more.vectors.words == trained.vectors.words
        assert not np.array_equal(more.vectors.vectors, trained.vectors.vectors)


def test_a_subword_model_starts_each_found_word_at_its_vector(pretrained):
    """With --subwords, a found word's own row is set so that the mean of its rows (its vector) is the given
    vector: with a learning rate too small to move anything, the trained model gives the file's vectors
    back for those words; the others keep their random start; --lock-init is refused."""
    corpus, path, given = pretrained
    opts = dict(OPTS, epochs=1, subwords=(3, 4), buckets=500)
    still = api.train(corpus, init_vectors=path, alpha=1e-9, **opts)
    plain = api.train(corpus, alpha=1e-9, **opts)
    found = [w for w in still.vectors.words if w in given.key_to_index]
    absent = [w for w in still.vectors.words if w not in given.key_to_index]
    assert len(found) > 10 and len(absent) > 10
    for w in found:
        assert np.allclose(still.vectors[w], given[w], atol=1e-5), w
        assert not np.allclose(plain.vectors[w], given[w], atol=1e-2)
    for w in absent:
        assert np.allclose(still.vectors[w], plain.vectors[w], atol=1e-6)
    moved = api.train(corpus, init_vectors=path, **opts)
    assert not np.allclose(moved.vectors[found[0]], given[found[0]], atol=1e-3)  # and it trains from there
    with pytest.raises(OptionError, match="--lock-init does not apply to --subwords"):
        api.train(corpus, init_vectors=path, lock_init=True, **opts)


def test_fasttexts_pretrained_vectors_option_is_answered():
    from w2v.habits import foreign_option

    assert "--init-vectors" in foreign_option(["-pretrainedVectors", "v.vec"], set())


def test_initial_values_depend_on_the_seed_and_the_row_only():
    """word2vec's initial W_in (jit.uniform_rows): the same values with one thread or two, a row's values
    the same in a larger matrix, within [-0.5, 0.5) / dim with the uniform's mean and spread, another seed
    other values."""
    from w2v.jit import uniform_rows

    one = uniform_rows((3000, 50), 11, -0.5, 0.5, threads=1)
    two = uniform_rows((3000, 50), 11, -0.5, 0.5, threads=2)
    assert np.array_equal(one, two)
    assert np.array_equal(uniform_rows((5000, 50), 11, -0.5, 0.5)[:3000], one)
    assert one.min() >= -0.5 and one.max() < 0.5
    assert abs(one.mean()) < 0.005 and abs(one.std() - 1 / np.sqrt(12)) < 0.005
    assert not np.allclose(uniform_rows((3000, 50), 12, -0.5, 0.5)[0], one[0])
    W, W_out = init_weights(40, 16, 3, 7)
    assert W.shape == (40, 16) and np.all(np.abs(W) <= 0.5 / 16) and not W_out.any()
