"""The Python API (w2v.train, w2v.load, Model, Vectors) and the README's examples of it, run as written."""

import gzip
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import w2v
from conftest import ROOT, cluster_purity, planted_corpus

ROYAL = ["king", "queen", "prince", "princess", "throne", "crown", "palace", "royal"]
CITY = ["paris", "london", "berlin", "rome", "madrid", "vienna", "city", "capital"]


def readme_corpus(path, sentences=4000, seed=0):
    """Two planted clusters made of the words the README's examples ask about, plus filler."""
    rng = np.random.default_rng(seed)
    filler = ["the", "of", "a", "and", "in", "to"] + [f"w{i}" for i in range(40)]
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(sentences):
            group = ROYAL if rng.random() < 0.5 else CITY
            words = [group[rng.integers(len(group))] if rng.random() < 0.6 else filler[rng.integers(len(filler))]
                     for _ in range(rng.integers(6, 12))]
            f.write(" ".join(words) + "\n")


def readme_blocks():
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_readme_examples_run(tmp_path, monkeypatch, capsys):
    blocks = readme_blocks()
    assert len(blocks) >= 2
    monkeypatch.chdir(tmp_path)
    readme_corpus("corpus.txt")
    readme_corpus("heldout.txt", sentences=100, seed=1)
    with open("corpus.txt", "rb") as f, gzip.open("more.txt.gz", "wb") as g:
        g.write(f.read())
    scope = {}
    for block in blocks:  # one namespace, as in a notebook
        exec(compile(block, "README.md", "exec"), scope)
    out = capsys.readouterr().out
    assert "corpus not found: missing.txt" in out
    assert isinstance(scope["model"], w2v.Model) and os.path.isfile("vectors.bin") and os.path.isfile("model.npz")
    near = [w for w, _ in scope["neighbours"]]
    # the README promises meaningful neighbours: with its settings on this corpus, seeds 1, 2 and 7 put 5
    # royal words of 5 nearest "king" (with 1500 sentences seed 7 gave none, hence 4000)
    assert sum(w in ROYAL for w in near) >= 3, near


def test_corpus_as_paths_or_sentences_trains_the_same(planted, tmp_path):
    """A list of files, and an iterable of token lists, are the same corpus as one file: bit-identical
    vectors with one thread."""
    path, _ = planted
    lines = open(path, encoding="utf-8").read().splitlines()
    half = len(lines) // 2
    (tmp_path / "a.txt").write_text("\n".join(lines[:half]), encoding="utf-8")  # no final newline
    (tmp_path / "b.txt").write_text("\n".join(lines[half:]) + "\n", encoding="utf-8")
    opts = dict(dim=12, min_count=1, epochs=1, threads=1, progress=False)
    one = w2v.train(path, **opts)
    two = w2v.train([str(tmp_path / "a.txt"), tmp_path / "b.txt"], **opts)
    gen = w2v.train((line.split() for line in lines), **opts)
    assert one.total_tokens == two.total_tokens == gen.total_tokens
    for other in (two, gen):
        assert other.vectors.words == one.vectors.words
        assert np.array_equal(other.vectors.vectors, one.vectors.vectors)


@pytest.mark.parametrize("corpus,kind", [
    ("{d}/missing.txt", w2v.CorpusError), (["{d}/c.txt", "{d}/missing.txt"], w2v.CorpusError),
    (["a sentence as one string"], w2v.CorpusError), ([["a", "b c"]], w2v.CorpusError), (42, w2v.CorpusError)])
def test_bad_corpora_raise_corpus_errors(tmp_path, corpus, kind):
    (tmp_path / "c.txt").write_text("a b c\n")
    fill = (lambda x: x.format(d=tmp_path) if isinstance(x, str) else x)
    corpus = [fill(c) for c in corpus] if isinstance(corpus, list) else fill(corpus)
    with pytest.raises(kind):
        w2v.train(corpus, min_count=1, progress=False)


def test_error_kinds(planted, tmp_path):
    path, _ = planted
    with pytest.raises(w2v.OptionError, match="--dim"):
        w2v.train(path, dim=0)
    with pytest.raises(w2v.OptionError, match="--loss softmax"):
        w2v.train(path, loss="softmax")
    with pytest.raises(w2v.OutputError, match="directory"):
        w2v.train(path, output=str(tmp_path / "nodir" / "v.bin"))
    with pytest.raises(w2v.FormatError):
        w2v.load(str(tmp_path / "missing.bin"))
    with pytest.raises(w2v.ResumeError):
        w2v.train(path, resume=str(_checkpoint(path, tmp_path)), dim=32, progress=False)
    assert issubclass(w2v.WordNotFound, KeyError) and issubclass(w2v.OptionError, w2v.W2VError)


def _checkpoint(path, tmp_path):
    ck = tmp_path / "ck.npz"
    with pytest.raises(w2v.TrainingInterrupted):
        w2v.train(path, dim=8, min_count=1, epochs=1, threads=1, progress=False, checkpoint=str(ck),
                  callback=lambda record: True)
    return ck


def test_model_and_vectors(planted, tmp_path, capsys):
    path, groups = planted
    records = []
    model = w2v.train(path, model="cbow", dim=16, min_count=1, epochs=3, threads=1, progress=False,
                      callback=records.append, output=str(tmp_path / "v.txt"))
    assert capsys.readouterr().err == ""  # progress=False: nothing on stderr
    assert records and records[-1]["epoch"] == 3 and "loss" in records[-1]
    assert model.wv is model.vectors and model.config.model == "cbow" and len(model.epoch_losses) == 3
    assert set(model.params) == {"W_in", "W_out"}
    W_in, W_out = model.params["W_in"], model.params["W_out"]
    assert W_in.shape == (len(model.vocab), 16) and W_out.shape == (len(model.vocab), 16)  # (ns: a row a word)
    assert np.array_equal(W_in, model.vectors.vectors)  # the vectors are the input rows, as trained
    assert cluster_purity(model.vectors, groups) > 0.5
    v = model.vectors
    assert v.similarity("c0w00", "c0w00") == pytest.approx(1.0, abs=1e-5)
    assert v.most_similar("c0w00") == v.most_similar(["c0w00"])
    with pytest.raises(KeyError):
        v["no-such-word"]
    loaded = w2v.load(str(tmp_path / "v.txt"))
    assert loaded.words == v.words and np.allclose(loaded.vectors, v.vectors, atol=1e-6)
    v.save(str(tmp_path / "v.glove"), format="glove")
    assert w2v.load(str(tmp_path / "v.glove")).words == v.words
    kv = v.to_gensim()
    assert kv.index_to_key == v.words and np.allclose(kv["c0w00"], v["c0w00"])


def test_load_reads_nplm_models(tmp_path):
    corpus = tmp_path / "c.txt"
    planted_corpus(corpus, sentences=300)
    w2v.train(str(corpus), model="nplm", loss="hs", dim=6, hidden=8, context=2, min_count=1, epochs=1,
              progress=False, output=str(tmp_path / "m.npz"), vectors_output=str(tmp_path / "m.bin"))
    lm = w2v.load(str(tmp_path / "m.npz"))
    assert isinstance(lm, w2v.LanguageModel)
    assert np.array_equal(lm.vectors.vectors, w2v.load(str(tmp_path / "m.bin")).vectors)


def test_import_w2v_loads_no_numba():
    code = ("import sys, w2v; w2v.train; w2v.load; w2v.Model; w2v.evaluate.similarity; "
            "assert 'numba' not in sys.modules; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "ok", out.stderr


def test_import_graph_has_no_circle():
    """No module of the package imports, directly or through others, a module that imports it back
    (imports inside functions count too)."""
    import ast

    package = os.path.join(ROOT, "w2v")
    modules = {}
    for folder, _, files in os.walk(package):
        for name in files:
            if name.endswith(".py"):
                rel = os.path.relpath(os.path.join(folder, name), ROOT)[:-3].replace(os.sep, ".")
                modules[rel.removesuffix(".__init__")] = os.path.join(folder, name)
    graph = {}
    for mod, file in modules.items():
        deps = set()
        for node in ast.walk(ast.parse(open(file, encoding="utf-8").read())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("w2v"):
                deps |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                         for a in node.names}
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.startswith("w2v")}
        graph[mod] = {d for d in deps if d in modules and d not in (mod, "w2v")}
    state = {}

    def visit(mod, path):
        state[mod] = "open"
        for dep in graph[mod]:
            assert state.get(dep) != "open", f"import circle: {' -> '.join(path + [dep])}"
            if dep not in state:
                visit(dep, path + [dep])
        state[mod] = "done"

    for mod in graph:
        if mod not in state:
            visit(mod, [mod])
    assert "w2v.trainers.word2vec" in graph and len(graph) > 20


def test_every_subpackage_is_installed():
    """pyproject's package list names every folder of the package (a missing one breaks `pip install .`)."""
    tomllib = pytest.importorskip("tomllib")
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        listed = set(tomllib.load(f)["tool"]["setuptools"]["packages"])
    found = {os.path.relpath(folder, ROOT).replace(os.sep, ".") for folder, _, files in os.walk(os.path.join(ROOT, "w2v"))
             if "__init__.py" in files}
    assert found <= listed, found - listed


def test_max_types_bounds_the_types_counted(tmp_path):
    """max_types (gensim's max_vocab_size) prunes the rarest types while counting, as word2vec.c does; the
    words kept have their exact counts (the corpus is read again), and a value below 1000 is refused."""
    from w2v.errors import OptionError

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(5000)]
    p = 1 / np.arange(1, 5001)
    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(rng.choice(words, 20, p=p / p.sum())) for _ in range(3000)))
    full = w2v.vocabulary(str(path))
    bounded = w2v.vocabulary(str(path), max_types=1000)
    assert full.types > 4000 and bounded.types <= 1000
    model = w2v.train(str(path), max_types=1000, dim=8, epochs=1, progress=False)
    exact = dict(zip(full.vocab.words, full.vocab.counts.tolist()))
    got = dict(zip(model.vocab.words, model.vocab.counts.tolist()))
    assert {"w0", "w1", "w2"} <= set(got) and all(got[w] == exact[w] for w in got)
    with pytest.raises(OptionError, match="--max-types must be at least 1000"):
        w2v.train(str(path), max_types=10, progress=False)
