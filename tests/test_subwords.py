"""fastText's subword model: n-gram hashing as fastText does it, the n-gram layer's gradient, fastText's
model file both ways (fastText and gensim load what w2v writes with equal vectors, w2v reads fastText's),
vectors for words never seen, and the CLI around them."""

import pickle
import struct

import numpy as np
import pytest
from click.testing import CliRunner

import w2v
from w2v import fasttext_format, kernels
from w2v.cli import cli
from w2v.errors import FormatError, OptionError, WordNotFound
from w2v.subwords import input_rows, ngram_buckets
from w2v.vectors import SubwordVectors

from test_gradients import _check_step, make_tables

SUFFIXES = ("", "s", "ed", "ing", "er")


def fnv1a(data):
    """fastText's hash, written out: FNV-1a over the bytes, each sign-extended to 32 bits."""
    h = 2166136261
    for b in data:
        h = ((h ^ ((b - 256) & 0xFFFFFFFF if b >= 128 else b)) * 16777619) & 0xFFFFFFFF
    return h


def test_ngrams_by_fasttexts_definition():
    """<where> with 3-4: every run of 3 and 4 characters of the wrapped word, in fastText's order (by start,
    then length), each hashed with the sign-extended FNV-1a; a non-ASCII character counts as one."""
    expect = ["<wh", "<whe", "whe", "wher", "her", "here", "ere", "ere>", "re>"]
    ptr, got = ngram_buckets(["where"], 3, 4, 1000)
    assert got.tolist() == [fnv1a(g.encode()) % 1000 for g in expect]
    _, got = ngram_buckets(["né"], 1, 2, 10 ** 6)  # no lone '<' or '>'; 'é' is one character of two bytes
    assert got.tolist() == [fnv1a(g.encode()) % 10 ** 6 for g in ["<n", "n", "né", "é", "é>"]]
    ptr, got = ngram_buckets(["aaa", "</s>", "b"], 2, 2, 97)  # duplicates kept; fastText's </s> has none
    assert np.diff(ptr).tolist() == [4, 0, 2]
    assert got[1] == got[2]  # "aa" twice


def test_ngram_buckets_match_fasttext(tmp_path):
    fasttext = pytest.importorskip("fasttext")
    rng = np.random.default_rng(0)
    words = ["héllo", "world", "naïve", "日本語", "a", "ab", "aaa", "<x>", "straße", "emoji😀x", "ｗｉｄｅ"]
    (tmp_path / "c.txt").write_text(" ".join(rng.choice(words, 3000)) + "\n", encoding="utf-8")
    for minn, maxn in ((1, 6), (3, 6), (2, 3)):
        m = fasttext.train_unsupervised(str(tmp_path / "c.txt"), model="skipgram", minCount=1, minn=minn, maxn=maxn,
                                        bucket=1000, dim=5, epoch=1, thread=1, verbose=0)
        ptr, rows = input_rows(m.words, minn, maxn, 1000)
        for i, w in enumerate(m.words):
            assert rows[ptr[i]:ptr[i + 1]].tolist() == m.get_subwords(w)[1].tolist(), w
        for w in ["unseen", "héllos", "ｗ"]:
            assert (ngram_buckets([w], minn, maxn, 1000)[1] + len(m.words)).tolist() == m.get_subwords(w)[1].tolist()


# ---------------------------------------------------------------- the n-gram layer's gradient
def _subword_setup(rng, loss, cbow_mean=True):
    from test_gradients import COUNTS, V, make_config
    from w2v.subword_kernels import SubwordWeights

    buckets, D = 9, 6
    words = [f"w{i}x" for i in range(V)]
    ptr, rows = input_rows(words, 2, 3, buckets)
    rows[ptr[3] + 1] = rows[ptr[3] + 2]  # a repeated n-gram row within a word counts twice
    tabs = make_tables(COUNTS, loss)
    cfg = make_config("sg", loss, tabs, cbow_mean=cbow_mean)
    from w2v.output import layer

    W_in = rng.normal(0, 0.5, (V + buckets, D))
    W_out = rng.normal(0, 0.5, (layer(loss).n_out(len(COUNTS)), D))
    return tabs, cfg, W_in, W_out, ptr, rows, SubwordWeights, kernels.make_scratch(kernels.Weights.word2vec(W_in, W_out), cfg)


def _one_centre(centre, W_in, W_out, ptr, rows, SW, tabs, cfg, sen, p, alpha):
    """Compose every position of ``sen``, train centre ``p`` with its window the whole sentence, release
    every position: the rows' updates are the gradients at the point before the step."""
    from w2v.subword_kernels import compose, release, ring_alloc

    weights = SW.make(W_in, W_out, ptr, rows)
    ring = ring_alloc(weights, cfg)
    for q in range(len(sen)):
        compose(ring, weights, sen[q], q)
    value = centre(ring.sc, ring.S, ring.G, ring.count, sen, p, 0, len(sen), W_out, tabs, cfg, np.uint64(11),
                   alpha)[0]
    for q in range(len(sen)):
        release(ring, weights, sen[q], q, alpha)
    return value


@pytest.mark.parametrize("loss", ["ns", "hs"])
@pytest.mark.parametrize("shared", [True, False])
def test_subword_skipgram_gradient(loss, shared):
    """Each context position's rows (their mean) predict the centre word: W_out moves by its gradient, each
    input row by n x its gradient (n: its word's rows; fastText's step gives every row the whole grad_h).
    Two contexts share the centre's noise words in one block step; with --classic one context (a second
    pair's step would see the first's W_out)."""
    from w2v import subword_kernels

    centre = subword_kernels.sg_subword_centre if shared else subword_kernels.sg_subword_classic_centre
    rng = np.random.default_rng(3)
    tabs, cfg, W_in, W_out, ptr, rows, SW, sc = _subword_setup(rng, loss)
    sen = np.array([3, 7, 5] if shared else [3, 7], np.int32)
    n_rows = np.diff(ptr)

    def step(ps, alpha):
        return _one_centre(centre, ps[0], ps[1], ptr, rows, SW, tabs, cfg, sen, 1, alpha)

    assert n_rows[3] == n_rows[5]  # (the contexts' words have as many rows: one scale for every input row)
    checked = 0
    for i, (_, analytic, fd) in enumerate(_check_step(step, [W_in, W_out])):
        scale = n_rows[3] if i < W_in.size else 1
        assert analytic == pytest.approx(scale * fd, rel=1e-6, abs=1e-8)
        checked += fd != 0
    assert checked > 0


@pytest.mark.parametrize("loss", ["ns", "hs"])
@pytest.mark.parametrize("cbow_mean", [True, False])
def test_subword_cbow_gradient(loss, cbow_mean):
    """Every row of every context word (their mean, or sum) predicts the centre: W_out by its gradient,
    the input rows by N x their gradient with the mean (N: all the context's rows) and by it with the sum."""
    from w2v.subword_kernels import cbow_subword_centre

    rng = np.random.default_rng(5)
    tabs, cfg, W_in, W_out, ptr, rows, SW, sc = _subword_setup(rng, loss, cbow_mean)
    sen = np.array([3, 1, 9, 3], np.int32)  # word 3 twice in the context
    n_rows = sum(int(ptr[w + 1] - ptr[w]) for w in (3, 9, 3))

    def step(ps, alpha):
        return _one_centre(cbow_subword_centre, ps[0], ps[1], ptr, rows, SW, tabs, cfg, sen, 1, alpha)

    for i, (_, analytic, fd) in enumerate(_check_step(step, [W_in, W_out])):
        scale = n_rows if (cbow_mean and i < W_in.size) else 1
        assert analytic == pytest.approx(scale * fd, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("model, shared", [("sg", True), ("sg", False), ("cbow", True)])
@pytest.mark.parametrize("loss", ["ns", "hs"])
def test_the_lane_loop_trains_a_sentence_as_the_sentence_kernel_alone(model, shared, loss):
    """Numba's inlining, two levels deep in the lane loop, once lost a write to the ring's row counts
    (Numba 0.68, when the helpers took the ring itself): the lane loop, which inlines the sentence kernel,
    must train a sentence exactly as the sentence kernel compiled on its own."""
    import types

    from w2v import subword_kernels
    from w2v.jit import chunk_seed
    from w2v.output import layer
    from w2v.trainers.stream import train_chunks

    rng = np.random.default_rng(0)
    V = 40
    ptr, rows = input_rows([f"w{i}x" for i in range(V)], 2, 4, 200)
    out = layer(loss).tables(np.arange(100, 100 - V, -1), types.SimpleNamespace(model="sg", negative=5, noise_power=0.75))
    n_out = layer(loss).n_out(V)
    cfg = kernels.Config(window=3, negative=5, cbow_mean=True, alpha=0.05, min_alpha=0.05, epoch_ids=1e6,
                         total_ids=1e6, width=layer(loss).width(out, types.SimpleNamespace(negative=5), n_out),
                         seed=1)
    W_in = rng.random((V + 200, 8)).astype(np.float32) - 0.5
    W_out = rng.random((n_out, 8)).astype(np.float32) - 0.5
    sen = rng.integers(0, V, 30).astype(np.int32)
    alone = subword_kernels.SubwordWeights.make(W_in.copy(), W_out.copy(), ptr, rows)
    name = f"{model}_subword_sentence" if shared else f"{model}_subword_classic_sentence"
    fn = getattr(subword_kernels, name)
    loss_alone, n_alone, _ = fn(sen, len(sen), alone, out, cfg, subword_kernels.ring_alloc(alone, cfg), 0.0, 0,
                                np.uint64(chunk_seed(cfg.seed, 0, 0)), 0.05)
    lane = subword_kernels.SubwordWeights.make(W_in.copy(), W_out.copy(), ptr, rows)
    block = np.append(sen, -1).astype(np.int32)
    got = train_chunks(kernels.lane_kernel(f"w2v.subword_kernels.{name}"), lane,
                       kernels.Tables(keep=np.full(V, 1 << 33, np.int64), out=out), cfg, block,
                       np.array([0]), np.array([len(block)]), 0, 0)
    # the lane loop's vector loops are compiled in passes of 16 floats (jit.row_compiler), the
    # kernel alone with LLVM's default: the same sums in another order, equal to float32 rounding (the lost
    # write this test caught left whole rows unchanged)
    assert got[1] == n_alone and got[0] == pytest.approx(loss_alone, rel=1e-6)
    assert np.allclose(lane.W_in, alone.W_in, rtol=0, atol=1e-6)
    assert np.allclose(lane.W_out, alone.W_out, rtol=0, atol=1e-6)
    assert not np.allclose(lane.W_in, W_in, rtol=0, atol=1e-3)


# ---------------------------------------------------------------- planted morphology
def morphology_corpus(path, seed=0, topics=8, stems_per_topic=6, sentences=6000):
    """Sentences about one stem each (60% of its words are that stem's forms, stem + a suffix), the rest
    its topic's other stems and function words. Half the stems never appear with -ing. Returns the
    topics' stems and the held-out stems."""
    rng = np.random.default_rng(seed)
    stems = set()
    while len(stems) < topics * stems_per_topic:
        stems.add("".join(rng.choice(list("bcdfghklmnprstvz")) + rng.choice(list("aeiou")) for _ in range(3)))
    stems = sorted(stems)
    rng.shuffle(stems)
    topic_stems = [stems[t * stems_per_topic:(t + 1) * stems_per_topic] for t in range(topics)]
    held = {s for t in topic_stems for s in t[::2]}
    function = ["the", "of", "and", "a", "to", "in"]
    with open(path, "w") as f:
        for _ in range(sentences):
            t = topic_stems[rng.integers(topics)]
            focus = t[rng.integers(len(t))]
            words = []
            for _ in range(rng.integers(8, 16)):
                if rng.random() < 0.25:
                    words.append(function[rng.integers(len(function))])
                    continue
                s = focus if rng.random() < 0.6 else t[rng.integers(len(t))]
                suffix = SUFFIXES[rng.integers(len(SUFFIXES))]
                words.append(s + ("" if suffix == "ing" and s in held else suffix))
            f.write(" ".join(words) + "\n")
    return topic_stems, held


def _oov_scores(vectors, topics, held):
    topic_of = {s: i for i, t in enumerate(topics) for s in t}
    family, topical = [], []
    for s in sorted(held):
        query = s + "ing"
        assert query not in vectors
        near = [w for w, _ in vectors.most_similar(query, topn=30)]
        family.append(any(w.startswith(s) for w in near[:5]))
        others = [w for w in near if not w.startswith(s) and w[:6] in topic_of][:5]
        topical.append(np.mean([topic_of[w[:6]] == topic_of[s] for w in others]))
    return np.mean(family), np.mean(topical)


@pytest.mark.parametrize("model", ["sg", "cbow"])
def test_a_word_never_seen_lands_near_its_inflections(tmp_path, model):
    """The -ing form of a held-out stem, never in the corpus, gets a vector from its n-grams whose 5
    nearest words include its stem's forms, and whose nearest other words are its topic's. Calibrated over
    seeds 0-3, sg and cbow (dim 32, 5 epochs): family 1.0 in every run, topic 0.925-1.0 trained; untrained
    (alpha ~0) topic 0.10-0.18. Bars: family >= 0.9, topic >= 0.75."""
    topics, held = morphology_corpus(tmp_path / "c.txt", seed=1)
    m = w2v.train(str(tmp_path / "c.txt"), model=model, subwords=(3, 6), buckets=50000, dim=32, min_count=1,
                  threads=1, seed=1, progress=False)
    family, topical = _oov_scores(m.vectors, topics, held)
    assert family >= 0.9 and topical >= 0.75, (family, topical)
    plain = w2v.train(str(tmp_path / "c.txt"), model=model, dim=32, min_count=1, threads=1, epochs=1, progress=False)
    with pytest.raises(WordNotFound):
        plain.vectors[sorted(held)[0] + "ing"]


# ---------------------------------------------------------------- fastText's model file
@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small subword model (sg/ns and cbow/hs) written as fastText's .bin."""
    d = tmp_path_factory.mktemp("ft")
    morphology_corpus(d / "c.txt", seed=2, sentences=1500)
    out = {}
    for model, loss in (("sg", "ns"), ("cbow", "hs")):
        m = w2v.train(str(d / "c.txt"), model=model, loss=loss, subwords=(2, 5), buckets=3000, dim=16,
                      min_count=2, epochs=2, threads=1, progress=False, output=str(d / f"{model}.bin"))
        out[model] = (m, d / f"{model}.bin")
    return d, out


@pytest.mark.parametrize("model", ["sg", "cbow"])
def test_fasttext_and_gensim_load_what_w2v_writes(trained, model):
    fasttext = pytest.importorskip("fasttext")
    from gensim.models.fasttext import load_facebook_model

    _, out = trained
    m, path = out[model]
    ft = fasttext.load_model(str(path))
    assert ft.words == m.vectors.words
    assert ft.get_dimension() == 16
    queries = m.vectors.words + ["zzqing", "bakeding", "x"]
    for w in queries:
        assert np.allclose(ft.get_word_vector(w), m.vectors[w], atol=1e-6), w
    g = load_facebook_model(str(path))
    for w in queries:
        assert np.allclose(g.wv[w], m.vectors[w], atol=1e-6), w
    assert (g.wv.min_n, g.wv.max_n, g.wv.bucket) == (2, 5, 3000)
    assert g.sg == (model == "sg") and g.hs == (model == "cbow")
    back = w2v.load_vectors(str(path))
    assert isinstance(back, SubwordVectors) and back.words == m.vectors.words
    assert np.array_equal(back.vectors, m.vectors.vectors) and np.array_equal(back.ngrams, m.vectors.ngrams)
    assert back.counts.tolist() == m.vocab.counts.tolist()


def test_w2v_reads_fasttexts_own_model_and_writes_it_back_byte_for_byte(tmp_path):
    fasttext = pytest.importorskip("fasttext")
    morphology_corpus(tmp_path / "c.txt", seed=4, sentences=800)
    ft = fasttext.train_unsupervised(str(tmp_path / "c.txt"), model="cbow", minn=3, maxn=5, bucket=5000, dim=12,
                                     epoch=1, thread=1, verbose=0, minCount=1)
    ft.save_model(str(tmp_path / "ft.bin"))
    v = w2v.load_vectors(str(tmp_path / "ft.bin"))
    assert v.words == ft.words  # fastText's </s> included
    for w in ft.words + ["never", "seen"]:
        assert np.allclose(v[w], ft.get_word_vector(w), atol=1e-6), w
    assert v.info["model"] == fasttext_format.MODELS["cbow"]
    v.save(str(tmp_path / "again.bin"))
    assert (tmp_path / "again.bin").read_bytes() == (tmp_path / "ft.bin").read_bytes()
    runner = CliRunner()
    r = runner.invoke(cli, ["convert", str(tmp_path / "ft.bin"), str(tmp_path / "ft.vec")])
    assert r.exit_code == 0, r.output
    text = w2v.load_vectors(str(tmp_path / "ft.vec"))
    assert text.words == ft.words and np.allclose(text.vectors, v.vectors, atol=1e-5)


def test_the_words_vectors_are_made_when_first_asked_for(trained, tmp_path):
    """Writing fastText's model file needs only the rows: the words' vectors (each the mean of its own row and
    its n-grams' rows) are made at their first use, and kept."""
    _, out = trained
    v = w2v.load_vectors(str(out["cbow"][1]))
    assert v._vectors is None and v.dim == 16 and len(v) == len(out["cbow"][0].vectors)
    v.save(str(tmp_path / "again.bin"))
    assert v._vectors is None
    assert (tmp_path / "again.bin").read_bytes() == out["cbow"][1].read_bytes()
    ptr, rows = input_rows(v.words, v.minn, v.maxn, v.buckets)
    W_in = np.vstack([v.word_rows, v.ngrams]).astype(np.float64)
    expected = np.array([W_in[rows[ptr[i]:ptr[i + 1]]].mean(axis=0) for i in range(len(v))])
    assert np.allclose(v.vectors, expected, atol=1e-6)
    assert v.vectors is v.vectors and v._made_from is None
    lazy = w2v.load_vectors(str(out["cbow"][1]))
    again = pickle.loads(pickle.dumps(lazy))
    assert again._made_from is None and np.array_equal(again.vectors, v.vectors)


def test_vectors_edited_then_saved_keep_their_word_vectors(trained, tmp_path):
    """Without the words' own rows (vectors made or edited by the user), the file's rows are rebuilt so that
    each word's mean is its vector."""
    _, out = trained
    v = w2v.load_vectors(str(out["sg"][1]))
    v.vectors[0] += 1.0
    v.word_rows = None
    v.save(str(tmp_path / "edited.bin"))
    again = w2v.load_vectors(str(tmp_path / "edited.bin"))
    assert np.allclose(again.vectors, v.vectors, atol=1e-5)


def test_damaged_and_unsupported_fasttext_files(trained, tmp_path):
    _, out = trained
    data = out["sg"][1].read_bytes()
    (tmp_path / "cut.bin").write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match="truncated"):
        w2v.load_vectors(str(tmp_path / "cut.bin"))
    head = struct.pack("<ii", fasttext_format.MAGIC, 9)
    (tmp_path / "old.bin").write_bytes(head + data[8:])
    with pytest.raises(FormatError, match="version 9"):
        w2v.load_vectors(str(tmp_path / "old.bin"))
    runner = CliRunner()
    r = runner.invoke(cli, ["similar", str(tmp_path / "cut.bin"), "word"])
    assert r.exit_code == 1 and "truncated" in r.output and "Traceback" not in r.output


# ---------------------------------------------------------------- options, CLI, checkpoints
@pytest.mark.parametrize("kw, match", [
    ({"subwords": "6-3"}, "1 <= min <= max"),
    ({"subwords": "three"}, "MIN-MAX"),
    ({"subwords": (3, 6), "model": "nplm"}, "applies to --model sg or cbow"),
    ({"subwords": (3, 6), "model": "glove"}, "applies to --model sg or cbow"),
    ({"subwords": (3, 6), "buckets": 0}, "--buckets"),
])
def test_nonsense_subword_options(tmp_path, kw, match):
    (tmp_path / "c.txt").write_text("a b c d e f\n" * 20)
    with pytest.raises(OptionError, match=match):
        w2v.train(str(tmp_path / "c.txt"), progress=False, **kw)


def test_subword_cli(trained, tmp_path):
    d, out = trained
    runner = CliRunner()
    r = runner.invoke(cli, ["train", str(d / "c.txt"), "--subwords", "2-5", "--buckets", "3000", "--dim", "16",
                            "--min-count", "2", "--epochs", "1", "--threads", "1", "-q", "-o", str(tmp_path / "m.bin")])
    assert r.exit_code == 0, r.output
    stem = w2v.load_vectors(str(tmp_path / "m.bin")).words[0]
    r = runner.invoke(cli, ["similar", str(tmp_path / "m.bin"), stem + "zzq", "-n", "3"])
    assert r.exit_code == 0, r.output
    assert len(r.output.strip().splitlines()) == 3
    pairs = tmp_path / "pairs.txt"
    words = w2v.load_vectors(str(tmp_path / "m.bin")).words
    pairs.write_text("".join(f"{a}\t{b}q\t{i}\n" for i, (a, b) in enumerate(zip(words[:6], words[6:12]))))
    r = runner.invoke(cli, ["eval", "similarity", str(tmp_path / "m.bin"), "--dataset", str(pairs)])
    assert r.exit_code == 0 and "pairs 0/6 (oov 6)" in r.output, r.output
    r = runner.invoke(cli, ["eval", "similarity", str(tmp_path / "m.bin"), "--dataset", str(pairs), "--oov", "ngrams"])
    assert r.exit_code == 0 and "pairs 6/6 (oov 0, 6 from n-grams)" in r.output, r.output
    plain = tmp_path / "plain.vec"
    assert runner.invoke(cli, ["convert", str(tmp_path / "m.bin"), str(plain)]).exit_code == 0
    r = runner.invoke(cli, ["eval", "similarity", str(plain), "--dataset", str(pairs), "--oov", "ngrams"])
    assert r.exit_code == 1 and "needs a subword model" in r.output
    r = runner.invoke(cli, ["train", str(d / "c.txt"), "-minn", "3", "-o", str(tmp_path / "x.bin")])
    assert r.exit_code != 0 and "--subwords" in r.output
    assert not (tmp_path / "x.bin").exists()


def test_rows_trained_in_the_order_of_first_use_give_the_same_model(trained, tmp_path, monkeypatch):
    """A subword model trains a copy of the rows its words use, in the order of first use
    (SubwordWeights.first_use): the same arithmetic, so with one thread the same model bit for bit as training
    W_in where it lies, also when checkpoints put the rows back between steps (and a checkpoint resumes to it)."""
    from w2v.errors import TrainingInterrupted
    from w2v.subword_kernels import SubwordWeights
    from w2v.trainers import stream, word2vec

    monkeypatch.setattr(stream, "BLOCK_IDS", 4000)  # (several steps, so several checkpoints)
    d, _ = trained
    opts = dict(subwords=(2, 4), buckets=20000, dim=8, min_count=2, epochs=2, threads=1, progress=False)
    real = SubwordWeights.first_use.__func__

    def first_use(cls, *args):
        made = real(cls, *args)
        copied.append(made[1])
        return made

    monkeypatch.setattr(SubwordWeights, "first_use", classmethod(first_use))
    for model in ("cbow", "sg"):
        copied = []
        laid_out = w2v.train(str(d / "c.txt"), model=model, checkpoint=str(tmp_path / model),
                             checkpoint_every=1e-9, **opts)
        assert copied and copied[0] is not None and len(copied[0]) < 20000  # (the copy was trained)
        calls = []
        with pytest.raises(TrainingInterrupted):
            w2v.train(str(d / "c.txt"), model=model, checkpoint=str(tmp_path / f"{model}-cut"),
                      callback=lambda r: calls.append(r) or len(calls) == 3, **opts)
        resumed = w2v.train(str(d / "c.txt"), model=model, resume=str(tmp_path / f"{model}-cut"), **opts)
        monkeypatch.setattr(word2vec, "FIRST_USE", False)
        plain = w2v.train(str(d / "c.txt"), model=model, **opts)
        monkeypatch.setattr(word2vec, "FIRST_USE", True)
        for k in ("W_in", "W_out"):
            assert np.array_equal(laid_out.params[k], plain.params[k]), (model, k)
            assert np.array_equal(resumed.params[k], plain.params[k]), (model, k)
        assert np.array_equal(laid_out.vectors.vectors, plain.vectors.vectors)
        assert np.array_equal(w2v.Model.load(str(tmp_path / model)).params["W_in"], plain.params["W_in"])


def test_first_use_copies_the_used_rows_in_order():
    from w2v.subword_kernels import SubwordWeights

    rng = np.random.default_rng(0)
    W = rng.normal(size=(60, 3)).astype(np.float32)
    rows = rng.integers(0, 25, 40).astype(np.int32)
    weights, order = SubwordWeights.first_use(W, W[:2], np.array([0, 40]), rows)
    assert order.tolist() == list(dict.fromkeys(rows.tolist()))  # first used, first placed; unused rows left out
    assert np.array_equal(weights.W_in, W[order]) and np.array_equal(order[weights.rows], rows)
    weights.W_in[:] += 1
    W2 = W.copy()
    W2[order] = weights.W_in
    assert np.array_equal(W2[order], W[order] + 1) and np.array_equal(np.delete(W2, order, 0), np.delete(W, order, 0))
    many = rng.permutation(60)[:40].astype(np.int32)  # more than half of the rows: W itself is trained
    weights, order = SubwordWeights.first_use(W, W[:2], np.array([0, 40]), many)
    assert order is None and weights.W_in is W and weights.rows is many


def test_memory_estimate_counts_the_copy_of_the_used_rows():
    """The estimate counts the bucket rows and the copy of the used ones an in-process run trains (at most half
    of W_in's rows; Dask's replicas train W_in where it lies)."""
    from w2v.config import TrainConfig
    from w2v.trainers.stream import memory_estimate

    cfg = TrainConfig(subwords=(3, 6), buckets=2_000_000, dim=100)
    plain = memory_estimate(10_000, TrainConfig(dim=100), 10_000)["weights"]
    kept = memory_estimate(10_000, cfg, 10_000, n_in=2_010_000, row_copy=False)["weights"]
    copied = memory_estimate(10_000, cfg, 10_000, n_in=2_010_000)["weights"]
    assert kept - plain == 4 * 100 * 2_000_000 and copied - kept == 4 * 100 * 400_000  # (40 rows a word)
    assert memory_estimate(10**6, cfg, 10**6, n_in=3_000_000)["weights"] == 4 * 100 * (4_500_000 + 10**6)


def test_subword_resume_and_continue_training(trained, tmp_path, monkeypatch):
    """A subword run interrupted by a checkpoint and resumed gives the uninterrupted run's vectors (one
    thread); training continues on new text with the n-gram rows kept."""
    from w2v.errors import TrainingInterrupted
    from w2v.trainers import stream

    monkeypatch.setattr(stream, "BLOCK_IDS", 4000)
    d, _ = trained
    opts = dict(subwords=(2, 4), buckets=500, dim=8, min_count=2, epochs=2, threads=1, progress=False)
    full = w2v.train(str(d / "c.txt"), **opts)
    calls = []
    ck = str(tmp_path / "ck")
    with pytest.raises(TrainingInterrupted):
        w2v.train(str(d / "c.txt"), checkpoint=ck, callback=lambda r: calls.append(r) or len(calls) == 3, **opts)
    resumed = w2v.train(str(d / "c.txt"), resume=ck, **opts)
    assert np.array_equal(resumed.vectors.vectors, full.vectors.vectors)
    assert np.array_equal(resumed.vectors.ngrams, full.vectors.ngrams)
    full.save(str(tmp_path / "full.model"))
    more = w2v.train(str(d / "c.txt"), continue_from=str(tmp_path / "full.model"), epochs=1, threads=1,
                     progress=False)
    assert isinstance(more.vectors, SubwordVectors) and more.vectors.buckets == 500
    assert not np.array_equal(more.vectors.ngrams, full.vectors.ngrams)
    from w2v.errors import ResumeError

    for changed in (dict(subwords=(3, 4)), dict(buckets=600), dict(subwords=0)):
        with pytest.raises(ResumeError, match="cannot continue"):
            w2v.train(str(d / "c.txt"), continue_from=str(tmp_path / "full.model"), progress=False, **changed)
    loaded = w2v.Model.load(str(tmp_path / "full.model"))
    assert np.array_equal(loaded.vectors.vectors, full.vectors.vectors)


def test_fasttexts_hs_output_rows_are_w2vs_tree_negated(tmp_path):
    """fastText's own hierarchical-softmax model, read back: its output rows, negated and cut to V - 1
    (the inverse of fasttext_format.output_for_fasttext), score the corpus's real (centre -> context) pairs
    under w2v's Huffman tree over the file's counts far above the same pairs with their targets shuffled,
    and far above the rows taken as they are. So fastText numbers its tree's nodes as w2v does and scores
    the opposite label, which is what w2v writes into its subword models' files. (Planted corpus, dim 16,
    20 epochs at lr 0.1; corpus seed 2: mean log p -3.40 real, -6.33 shuffled, -10.46 unnegated; corpus
    seeds 0, 1 and 3 pass the same bars of 0.5 nats. With fastText's default 5 epochs at 0.05 it learns
    too little here to tell them apart.)"""
    fasttext = pytest.importorskip("fasttext")
    from conftest import planted_corpus

    from w2v.output.hs import LAYER as HS

    planted_corpus(str(tmp_path / "c.txt"), seed=2, sentences=1500)
    ft = fasttext.train_unsupervised(str(tmp_path / "c.txt"), model="skipgram", loss="hs", dim=16, epoch=20, lr=0.1,
                                     minCount=1, minn=0, maxn=0, bucket=0, thread=1, ws=2, verbose=0)
    ft.save_model(str(tmp_path / "hs.bin"))
    f = fasttext_format.read(str(tmp_path / "hs.bin"))
    words, counts, V = f["words"], f["counts"], len(f["words"])
    assert f["args"]["loss"] == fasttext_format.LOSSES["hs"] and f["W_out"].shape[0] == V
    index = {w: i for i, w in enumerate(words)}
    centre, context = [], []
    for line in (tmp_path / "c.txt").read_text().splitlines()[:400]:
        ids = [index[w] for w in line.split()]
        for p in range(len(ids)):
            for q in range(max(0, p - 2), min(len(ids), p + 3)):
                if q != p:
                    centre.append(ids[p])
                    context.append(ids[q])
    centre, context = np.array(centre), np.array(context)
    tables = HS.tables(counts, None)
    paths = HS.paths(tables)
    h = f["W_in"][centre]

    def mean_log_p(W_out, targets):
        return HS.log_probs(W_out, h, targets, paths)[0].mean()

    converted = -f["W_out"][:V - 1]
    real = mean_log_p(converted, context)
    shuffled = mean_log_p(converted, np.random.default_rng(0).permutation(context))
    unnegated = mean_log_p(f["W_out"][:V - 1], context)
    assert real > shuffled + 0.5 and real > unnegated + 0.5, (real, shuffled, unnegated)
    assert np.all(f["W_out"][V - 1] == 0)  # the row fastText keeps beyond the V - 1 inner nodes
