"""Several inputs (files, directories, globs) read as one corpus, and exact token streams when the live-type
limit prunes while counting (issue 13)."""

import bz2
import gzip
import subprocess
import sys

import numpy as np
import pytest

from w2v import api, corpus, prepare
from w2v.config import TrainConfig
from w2v.errors import CorpusError, ResumeError


def _shards(tmp_path):
    d = tmp_path / "shards"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text("alpha beta\ngamma")  # no final newline: the file still ends its sentence
    with gzip.open(d / "b.txt.gz", "wt") as f:
        f.write("delta epsilon\n")
    with bz2.open(d / "sub" / "c.txt.bz2", "wt") as f:
        f.write("zeta eta theta\n")
    (d / ".hidden").write_text("never read\n")
    return d


def test_expand_files_directories_and_globs(tmp_path):
    d = _shards(tmp_path)
    files = [str(d / "a.txt"), str(d / "b.txt.gz"), str(d / "sub" / "c.txt.bz2")]
    assert corpus.expand_inputs([str(d)]) == files
    assert corpus.expand_inputs(str(d / "*.txt*")) == files[:2]
    assert corpus.expand_inputs([str(d / "b.txt.gz"), str(d / "a.txt")]) == files[1::-1]  # the order given
    assert corpus.expand_inputs([str(d / "a.txt")]) == str(d / "a.txt")
    assert corpus.expand_inputs("-") == "-"
    with pytest.raises(CorpusError, match="cannot be combined"):
        corpus.expand_inputs(["-", files[0]])
    with pytest.raises(CorpusError, match="no files match"):
        corpus.expand_inputs(str(d / "*.nothing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="has no files"):
        corpus.expand_inputs(str(tmp_path / "empty"))
    sentences = [["x", "y"]]
    assert corpus.expand_inputs(sentences) is sentences


def test_vocab_of_a_directory_equals_the_concatenated_text(tmp_path):
    d = _shards(tmp_path)
    one = tmp_path / "all.txt"
    one.write_text("alpha beta\ngamma\ndelta epsilon\nzeta eta theta\n")
    a, b = api.vocabulary([str(d)], min_count=1), api.vocabulary(str(one), min_count=1)
    assert a.vocab.words == b.vocab.words and a.total_tokens == b.total_tokens == 8


def test_cli_train_takes_several_inputs_and_resume_checks_the_list(tmp_path):
    from conftest import planted_corpus

    full = tmp_path / "full.txt"
    planted_corpus(str(full), sentences=1200)
    lines = full.read_text().splitlines(keepends=True)
    d = tmp_path / "parts"
    d.mkdir()
    for k in range(3):
        (d / f"part{k}.txt").write_text("".join(lines[k::3]))
    ckpt, out = tmp_path / "run.ckpt", tmp_path / "v.txt"
    run = [sys.executable, "-m", "w2v.cli", "train", "--dim", "8", "--epochs", "1", "--threads", "1", "-q"]
    r = subprocess.run(run + [str(d / "part*.txt"), "-o", str(out), "--checkpoint", str(ckpt)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    from w2v import checkpoint

    assert checkpoint.load(str(ckpt)).corpus["files"] == ["part0.txt", "part1.txt", "part2.txt"]
    # the same text as other files: refused, naming the files
    r = subprocess.run(run + [str(d / "part0.txt"), str(d / "part2.txt"), str(d / "part1.txt"), "-o", str(out),
                              "--resume", str(ckpt)], capture_output=True, text=True)
    assert r.returncode == 1 and "trained on the files part0.txt, part1.txt, part2.txt" in r.stderr
    with pytest.raises(ResumeError, match="files"):
        api.train(str(full), resume=str(ckpt), progress=False)


def _pruned_corpus(path):
    """'late' is rare early (pruned while counting under a small limit) and frequent later."""
    rng = np.random.default_rng(0)
    lines = []
    for i in range(400):
        words = [f"rare{i}_{j}" for j in range(6)] + ["common"] * 3
        if i < 40 and i % 10 == 0:
            words.append("late")
        if i >= 300:
            words += ["late"] * 3
        rng.shuffle(words)
        lines.append(" ".join(words))
    path.write_text("\n".join(lines) + "\n")
    return lines


@pytest.mark.parametrize("stdin", [False, True])
@pytest.mark.parametrize("limit", ["spill", "prune"])
def test_every_occurrence_of_a_kept_word_is_encoded_after_pruning(tmp_path, monkeypatch, stdin, limit):
    """Whether the table is spilled to disk (the default, exact) or pruned (--max-types, word2vec.c's way)
    at a tiny live-type limit, the stream holds every occurrence of a chosen word."""
    path = tmp_path / "c.txt"
    lines = _pruned_corpus(path)
    monkeypatch.setattr(corpus.counting, "LIVE_TYPES", 100)  # the live-type limit of an exact count, tiny
    cfg = TrainConfig(min_count=5)
    if limit == "prune":  # --max-types 100 (below what the option accepts)
        object.__setattr__(cfg, "max_types", 100)
    work = tmp_path / "work"
    work.mkdir()
    source = [line.split() for line in lines] if stdin else str(path)  # an iterable cannot be read twice
    (tmp_path / "w0").mkdir()
    scanned = corpus.scan_corpus(str(path), str(tmp_path / "w0"), count_limit=100)
    assert scanned.pruned > 0
    pruned_count = dict(zip(scanned.words, scanned.counts.tolist())).get("late", 0)
    vocab, encoded = prepare.prepare(source, cfg, str(work))
    ids = np.fromfile(encoded.path, np.int32)
    in_text = sum(line.split().count("late") for line in lines)
    assert pruned_count < in_text  # counting lost the early ones ...
    late = vocab.index["late"]
    assert int((ids == late).sum()) == in_text == vocab.counts[late]  # ... the stream and the count keep them
    assert int((ids == vocab.index["common"]).sum()) == 3 * len(lines)
    assert sorted(p.name for p in work.iterdir()) == ["corpus.i32"]  # no provisional stream, text copy or runs left


def test_temporary_disk_is_estimated_and_refused_early(tmp_path, monkeypatch):
    import shutil
    from collections import namedtuple

    from w2v.errors import MemoryLimitError

    path = tmp_path / "c.txt"
    path.write_text("a b c d e f\n" * 2000)
    from w2v import resources

    need = resources.disk_estimate(str(path), TrainConfig())
    assert need == pytest.approx(8 * path.stat().st_size / 6)
    assert resources.disk_estimate("-", TrainConfig()) is None
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10 ** 6, 10 ** 6, 100))
    with pytest.raises(MemoryLimitError, match="--tmp-dir"):
        api.train(str(path), progress=False, min_count=1)


def test_urls_are_read_through_fsspec(tmp_path, monkeypatch):
    """A URL (here file://), a URL glob and a URL folder read as the same files given as paths, compressed
    ones decompressed by suffix; a missing file, a glob matching nothing, an unknown protocol and a
    missing fsspec are one-line errors."""
    pytest.importorskip("fsspec")
    _shards(tmp_path)
    d = tmp_path / "shards"
    want = api.vocabulary(str(d), min_count=1)
    for spec in ("file://" + str(d), "file://" + str(d) + "/**", ["file://" + p for p in corpus.expand_inputs(str(d))]):
        got = api.vocabulary(spec, min_count=1)
        assert got.vocab.words == want.vocab.words and got.vocab.counts.tolist() == want.vocab.counts.tolist()
        assert got.total_tokens == want.total_tokens
    assert corpus.expand_inputs("file://" + str(d) + "/*.txt*") == ["file://" + str(d / "a.txt"), "file://" + str(d / "b.txt.gz")]
    for bad, msg in (("file://" + str(d) + "/nope.txt", "corpus not found"),
                     ("file://" + str(d) + "/*.md", "no files match"), ("nosuch://x/y.txt", "Protocol not known")):
        with pytest.raises(CorpusError, match=msg):
            api.vocabulary(bad, min_count=1)
    monkeypatch.setitem(sys.modules, "fsspec", None)
    with pytest.raises(CorpusError, match="needs fsspec"):
        api.vocabulary("file://" + str(d / "a.txt"), min_count=1)
