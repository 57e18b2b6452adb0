"""Hostile input: every bad corpus, option or vectors file gets a one-line error naming the problem, a
non-zero exit, no traceback and no output file. Plus a seeded fuzz loop over mutated corpora and vectors."""

import bz2
import gzip
import lzma
import os

import numpy as np
import pytest
from click.testing import CliRunner

from w2v import formats
from w2v.cli import cli
from w2v.errors import W2VError
from w2v.vectors import Vectors

GOOD = ("the quick brown fox jumps over the lazy dog\n" * 30 + "a fox and a dog\n" * 20).encode()


def invoke(args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def check_error(result, *needles):
    assert result.exit_code not in (0, None), result.output
    out = result.output.strip()
    assert "Traceback" not in out, out
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    errors = [x for x in out.splitlines() if x.startswith("Error")]
    assert len(errors) == 1, out  # one error line (warnings may precede it; usage errors add a Usage: header)
    for n in needles:
        assert n.lower() in out.lower(), (n, out)


def write(path, data):
    path.write_bytes(data)
    return path


def _mkdir(path):
    path.mkdir()
    return path


def corpus_cases(d):
    """(name, corpus path, extra args, expected fragments)."""
    gz = d / "trunc.gz"
    data = gzip.compress(GOOD * 50)
    gz.write_bytes(data[:len(data) // 2])
    xz = d / "trunc.xz"
    data = lzma.compress(GOOD * 50)
    xz.write_bytes(data[:len(data) // 2])
    bz = d / "trunc.bz2"
    data = bz2.compress(GOOD * 50)
    bz.write_bytes(data[:len(data) // 2])
    notgz = write(d / "plain.gz", GOOD)
    rng = np.random.default_rng(0)
    return [
        ("missing file", d / "missing.txt", [], ["not found"]),
        ("directory without files", _mkdir(d / "nothing"), [], ["directory has no files"]),
        ("empty file", write(d / "empty.txt", b""), [], ["empty"]),
        ("only whitespace", write(d / "ws.txt", b" \n\t\r\n  \n"), [], ["empty"]),
        ("only NUL bytes", write(d / "nul.txt", b"\x00" * 1000), [], ["empty"]),
        ("random binary", write(d / "bin.txt", rng.integers(0, 256, 20000, dtype=np.uint8).tobytes()), [],
         ["binary data"]),
        ("truncated gzip", gz, [], ["truncated or corrupt"]),
        ("truncated xz", xz, [], ["truncated or corrupt"]),
        ("truncated bz2", bz, [], ["truncated or corrupt"]),
        ("not gzip despite suffix", notgz, [], ["truncated or corrupt"]),
        ("vocabulary emptied by min-count", write(d / "rare.txt", b"a b c d e f g h\n"), ["--min-count", "2"],
         ["min-count"]),
        ("fewer words than the window", write(d / "few.txt", b"a b a\n"), ["--min-count", "1"], ["--window"]),
    ]


def test_corpus_side(tmp_path):
    out = tmp_path / "out" / "v.bin"
    out.parent.mkdir()
    cases = corpus_cases(tmp_path)
    for name, corpus, extra, needles in cases:
        r = invoke(["train", corpus, "-o", out, "-q", "--dim", "8", "--epochs", "1", *extra])
        check_error(r, *needles)
        assert list(out.parent.iterdir()) == [], name
    assert len(cases) >= 12


def test_invalid_utf8_everywhere_still_trains(tmp_path):
    data = bytearray(GOOD * 5)
    rng = np.random.default_rng(1)
    for i in rng.integers(0, len(data), 300):
        data[i] = 0xFF
    corpus = write(tmp_path / "bad.txt", bytes(data))
    r = invoke(["train", corpus, "-o", tmp_path / "v.bin", "--min-count", "1", "--dim", "8", "--epochs", "1"])
    assert r.exit_code == 0, r.output
    assert "not valid UTF-8" in r.output
    assert any("\ufffd" in w for w in Vectors.load(tmp_path / "v.bin").words)


def test_one_huge_line_without_newline(tmp_path):
    """20 MB on one line: tokens straddle every read buffer and the line is cut into 1000-word sentences."""
    corpus = tmp_path / "line.txt"
    with open(corpus, "wb") as f:
        for _ in range(40):
            f.write(b"alpha beta gamma delta " * 21000 + b"x" * 3000 + b" ")
    r = invoke(["train", corpus, "-o", tmp_path / "v.bin", "--min-count", "1", "--dim", "8", "--epochs", "1"])
    assert r.exit_code == 0, r.output
    assert "skipped 40 tokens longer than 1000 bytes" in r.output
    assert sorted(Vectors.load(tmp_path / "v.bin").words) == ["alpha", "beta", "delta", "gamma"]


@pytest.mark.parametrize("args,needles", [
    (["--dim", "0"], ["--dim"]), (["--dim", "-5"], ["--dim"]), (["--window", "0"], ["--window"]),
    (["--window", "-1"], ["--window"]), (["--epochs", "0"], ["--epochs"]), (["--negative", "0"], ["--negative"]),
    (["--negative", "-2", "--loss", "hs"], ["--negative"]), (["--alpha", "0"], ["--alpha"]),
    (["--alpha", "-1"], ["--alpha"]), (["--sample", "-0.1"], ["--sample"]), (["--min-count", "0"], ["--min-count"]),
    (["--min-alpha", "1", "--alpha", "0.1"], ["--min-alpha"]), (["--dim", "abc"], ["--dim"]),
    (["--model", "bert"], ["--model"]), (["--checkpoint-every", "10m"], ["--checkpoint"]),
    (["--checkpoint", "{d}/ck.npz", "--checkpoint-every", "soon"], ["--checkpoint-every"]),
    (["--cooccur", "{d}/c.npz"], ["glove"]), (["--model", "glove", "--eta", "0"], ["--eta"]),
    (["--model", "glove", "--x-max", "-3"], ["--x-max"]), (["--threads", "-1"], ["--threads"]),
    (["--format", "pdf"], ["--format"]), (["-o", "{d}"], ["directory"]), (["-o", "{d}/nodir/v.bin"], ["directory"]),
    (["-o", "/dev/null/v.bin"], ["directory"]), (["--resume", "{d}/nock.npz"], ["checkpoint not found"]),
    (["--read-vocab", "{d}/novocab.txt"], ["vocabulary file not found"]),
])
def test_option_side(tmp_path, args, needles):
    corpus = write(tmp_path / "c.txt", GOOD)
    before = set(os.listdir(tmp_path))
    args = [a.format(d=tmp_path) for a in args]
    if "-o" not in args:
        args += ["-o", str(tmp_path / "v.bin")]
    r = invoke(["train", corpus, "-q", *args])
    check_error(r, *needles)
    assert set(os.listdir(tmp_path)) == before


def vectors_cases(d):
    v = Vectors(["alpha", "beta", "gamma"], np.arange(12, dtype=np.float32).reshape(3, 4))
    v.save(d / "good.bin")
    good = (d / "good.bin").read_bytes()
    cases = [
        ("truncated binary", good[:-7], ["truncated"]),
        ("header count larger", b"5 4\n" + good[4:], ["record 4 of 5"]),
        ("header count smaller", b"2 4\n" + good[4:], ["follow the 2 records"]),
        ("header dimension wrong", b"3 5\n" + good[4:], ["bad.vec"]),
        ("wrong dimension on one row", b"3 4\nalpha 1 2 3 4\nbeta 1 2 3\ngamma 1 2 3 4\n", ["line 3"]),
        ("non-numeric text", b"3 4\nalpha 1 2 3 4\nbeta 1 2 x 4\ngamma 1 2 3 4\n", ["non-numeric", "line 3"]),
        ("UTF-8 error inside a word (text)", b"2 2\nal\xffpha 1 2\nbeta 3 4\n", ["utf-8", "line 2"]),
        ("UTF-8 error inside a word (binary)", good.replace(b"beta", b"b\xffta"), ["utf-8", "byte offset"]),
        ("empty file", b"", ["empty"]),
        ("only a header", b"3 4\n", ["announces 3"]),
        ("random binary", np.random.default_rng(2).integers(0, 256, 5000, dtype=np.uint8).tobytes(), ["bad.vec"]),
        ("a checkpoint or other npz", b"PK\x03\x04" + b"\x00" * 100, ["bad.vec"]),
    ]
    return cases


@pytest.mark.parametrize("command", [["eval", "analogies"], ["eval", "similarity"], ["similar", None, "alpha"],
                                     ["convert", None, "{d}/out.txt"]])
def test_vectors_side(tmp_path, command):
    cases = vectors_cases(tmp_path)
    for name, data, needles in cases:
        bad = write(tmp_path / "bad.vec", data)
        args = [a.format(d=tmp_path) if a else str(bad) for a in command]
        if None not in command:
            args.append(str(bad))
        before = set(os.listdir(tmp_path))
        check_error(invoke(args), *needles)
        assert set(os.listdir(tmp_path)) == before, name
    assert len(cases) >= 12


def test_full_disk_leaves_no_partial_vectors(tmp_path, monkeypatch):
    """Simulated ENOSPC while writing the vectors: a one-line error and no file."""
    real = formats._records

    def full(*args):
        gen = real(*args)
        yield next(gen)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(formats, "_records", full)
    corpus = write(tmp_path / "c.txt", GOOD)
    r = invoke(["train", corpus, "-q", "--min-count", "1", "--dim", "8", "-o", tmp_path / "v.bin"])
    check_error(r, "No space left")
    assert sorted(os.listdir(tmp_path)) == ["c.txt"]


def test_fuzz_corpus_mutations(tmp_path):
    """40 seeded mutations of a valid corpus: training succeeds or fails with a one-line error."""
    rng = np.random.default_rng(1234)
    base = bytearray(GOOD * 3)
    outcomes = {"ok": 0, "error": 0}
    for case in range(40):
        data = bytearray(base)
        for _ in range(rng.integers(1, 30)):
            op = rng.integers(0, 4)
            i = int(rng.integers(0, max(len(data), 1)))
            if op == 0 and i < len(data):
                data[i] = int(rng.integers(0, 256))
            elif op == 1:
                del data[i:i + int(rng.integers(1, 200))]
            elif op == 2:
                data[i:i] = rng.integers(0, 256, int(rng.integers(1, 50)), dtype=np.uint8).tobytes()
            else:
                data = data[:max(i, 1)]
        corpus = write(tmp_path / f"f{case}.txt", bytes(data))
        out = tmp_path / f"f{case}.bin"
        r = invoke(["train", corpus, "-q", "--min-count", str(int(rng.integers(1, 4))), "--dim", "8", "--epochs",
                    "1", "--threads", "1", "-o", out])
        if r.exit_code == 0:
            outcomes["ok"] += 1
            Vectors.load(out)
        else:
            check_error(r)
            assert not out.exists()
            outcomes["error"] += 1
    assert outcomes["ok"] > 0


def test_fuzz_vectors_mutations(tmp_path):
    """300 seeded mutations of valid binary and text vectors: load() returns vectors or raises W2VError."""
    rng = np.random.default_rng(99)
    v = Vectors([f"w{i}" for i in range(20)], rng.normal(size=(20, 6)).astype(np.float32))
    v.save(tmp_path / "v.bin")
    v.save(tmp_path / "v.txt")
    seeds = [(tmp_path / "v.bin").read_bytes(), (tmp_path / "v.txt").read_bytes()]
    loaded = failed = 0
    for case in range(300):
        data = bytearray(seeds[case % 2])
        for _ in range(rng.integers(1, 6)):
            i = int(rng.integers(0, max(len(data), 1)))
            op = rng.integers(0, 3)
            if op == 0 and data:
                data[i % len(data)] = int(rng.integers(0, 256))
            elif op == 1:
                del data[i:i + int(rng.integers(1, 40))]
            else:
                data[i:i] = bytes([int(rng.integers(0, 256))])
        p = write(tmp_path / "m.vec", bytes(data))
        try:
            Vectors.load(p)
            loaded += 1
        except W2VError as e:
            assert "\n" not in str(e)
            failed += 1
    assert loaded > 0 and failed > 0


def _executable(path):
    """Bytes shaped like a small executable: a header, NUL-padded tables and a few strings."""
    rng = np.random.default_rng(3)
    blob = b"\x7fELF\x02\x01\x01" + bytes(9) + rng.integers(0, 256, 3000, dtype=np.uint8).tobytes()
    blob += b"\x00libc.so.6\x00printf\x00main\x00" * 20 + bytes(500)
    path.write_bytes(blob)
    return str(path)


def test_a_binary_file_is_refused_unless_forced(tmp_path):
    """3 KB of an executable was trained as text (a 12-word vectors file, exit 0): now one line naming the
    file and what gave it away, exit 1, no vectors file; --force-text reads it (and finds its few words)."""
    exe = _executable(tmp_path / "a.out")
    out = tmp_path / "v.txt"
    r = CliRunner().invoke(cli, ["train", exe, "-o", str(out), "--min-count", "1", "--epochs", "1", "--quiet"])
    assert r.exit_code == 1 and not out.exists()
    assert r.output.count("\n") == 1 and "a.out looks like binary data" in r.output and "NUL bytes" in r.output
    r = CliRunner().invoke(cli, ["train", exe, "-o", str(out), "--min-count", "1", "--window", "2", "--epochs", "1",
                                 "--quiet", "--force-text"])
    assert r.exit_code == 0, r.output
    assert "printf" in Vectors.load(str(out)).words


def test_text_in_another_encoding_is_not_taken_for_binary(tmp_path):
    """Latin-1 text: its accented bytes are not UTF-8, but it is text (counted, replaced, warned about)."""
    from w2v.corpus import binary_reason

    latin = ("le caf\u00e9 et la cr\u00e8me de la cr\u00e8me \u00e0 la fran\u00e7aise\n" * 200).encode("latin-1")
    assert binary_reason(latin) is None
    assert binary_reason(b"\x00" * 100 + b"\n \t") is None  # nothing but separators: an empty corpus, not binary
    assert binary_reason(b"a\x00b\x0bc\x0cd e f\n") is None  # a NUL between words now and then: text
    assert "NUL bytes" in binary_reason(b"ab\x00\x00\x00\x00" * 100)
    assert "not text" in binary_reason(bytes(range(1, 32)) * 10)


def test_binary_standard_input_is_refused(tmp_path):
    exe = _executable(tmp_path / "a.out")
    with open(exe, "rb") as f:
        r = CliRunner().invoke(cli, ["train", "-", "-o", str(tmp_path / "v.bin"), "--min-count", "1", "--quiet"],
                               input=f.read())
    assert r.exit_code == 1 and "standard input looks like binary data" in r.output
