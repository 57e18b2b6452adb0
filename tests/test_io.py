"""Vector files: round trips, interop with gensim, and clear errors for malformed files."""

import os

import numpy as np
import pytest

from w2v import formats
from w2v.errors import W2VError
from w2v.vectors import Vectors

WORDS = ["the", "naïve", "東京", "x", "don't", "a\u00a0b"]  # \u00a0 is not ASCII whitespace


@pytest.fixture
def vecs():
    rng = np.random.default_rng(0)
    return Vectors(WORDS, rng.normal(size=(len(WORDS), 5)).astype(np.float32))


@pytest.mark.parametrize("name,fmt", [("v.bin", None), ("v.txt", None), ("v.vec", None), ("v.glove", "glove")])
def test_round_trip(tmp_path, vecs, name, fmt):
    p = tmp_path / name
    vecs.save(p, fmt)
    back = Vectors.load(p)
    assert back.words == WORDS
    if name.endswith(".bin"):
        assert np.array_equal(back.vectors, vecs.vectors)
    else:
        assert np.allclose(back.vectors, vecs.vectors, atol=1e-6)


def test_binary_layout_is_word2vec_c(tmp_path, vecs):
    p = tmp_path / "v.bin"
    vecs.save(p)
    data = p.read_bytes()
    assert data.startswith(b"6 5\nthe ")
    rec = 4 + 20 + 1  # "the " + 5 floats + "\n"
    assert data[4 + rec - 1:4 + rec] == b"\n"
    assert np.array_equal(np.frombuffer(data[8:28], "<f4"), vecs.vectors[0])


def test_gensim_loads_our_files(tmp_path, vecs):
    from gensim.models import KeyedVectors

    vecs.save(tmp_path / "v.bin")
    vecs.save(tmp_path / "v.txt")
    kb = KeyedVectors.load_word2vec_format(str(tmp_path / "v.bin"), binary=True)
    kt = KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"), binary=False)
    assert list(kb.index_to_key) == WORDS and list(kt.index_to_key) == WORDS
    assert np.array_equal(kb.vectors, vecs.vectors)
    assert np.allclose(kt.vectors, vecs.vectors, atol=1e-6)


def test_we_load_gensim_files(tmp_path, vecs):
    from gensim.models import KeyedVectors

    kv = KeyedVectors(5)
    kv.add_vectors(WORDS, vecs.vectors)
    kv.save_word2vec_format(str(tmp_path / "g.bin"), binary=True)  # gensim: no newline after records
    kv.save_word2vec_format(str(tmp_path / "g.txt"), binary=False)
    for name in ("g.bin", "g.txt"):
        back = Vectors.load(tmp_path / name)
        assert back.words == WORDS
        assert np.allclose(back.vectors, vecs.vectors, atol=1e-6)
    assert np.array_equal(Vectors.load(tmp_path / "g.bin").vectors, vecs.vectors)


def test_text_without_final_newline_and_trailing_spaces(tmp_path):
    p = tmp_path / "v.txt"
    p.write_bytes(b"2 3\nfoo 1 2 3 \nbar 4 5 6")
    v = Vectors.load(p)
    assert v.words == ["foo", "bar"] and v.vectors.tolist() == [[1, 2, 3], [4, 5, 6]]


def test_glove_text_detected(tmp_path):
    p = tmp_path / "g.txt"
    p.write_text("foo 0.1 0.2\nbar 0.3 0.4\n")
    v = Vectors.load(p)
    assert v.words == ["foo", "bar"] and v.dim == 2


@pytest.mark.parametrize("content,match", [
    (b"", "empty"),
    (b"3 2\nfoo 1 2\nbar 3 4\n", "announces 3 vectors but the file has 2"),
    (b"1 2\nfoo 1 2\nbar 3 4\n", "announces 1 vectors but the file has 2"),
    (b"2 2\nfoo 1 2\nbar 3\n", "line 3"),
    (b"2 2\nfoo 1 2\nbar 3 x\n", "non-numeric"),
    (b"foo 1 2\nbar 1 2 3\n", "line 2"),
])
def test_malformed_text(tmp_path, content, match):
    p = tmp_path / "bad.txt"
    p.write_bytes(content)
    with pytest.raises(W2VError, match=match):
        Vectors.load(p)


def test_truncated_binary(tmp_path, vecs):
    p = tmp_path / "v.bin"
    vecs.save(p)
    data = p.read_bytes()
    p.write_bytes(data[:-30])
    with pytest.raises(W2VError, match="truncated"):
        Vectors.load(p)


def test_binary_with_fewer_records_than_header(tmp_path, vecs):
    p = tmp_path / "v.bin"
    vecs.save(p)
    data = p.read_bytes()
    p.write_bytes(b"7 5\n" + data[4:])
    with pytest.raises(W2VError, match="record 7 of 7"):
        Vectors.load(p)


def test_binary_with_more_records_than_header(tmp_path, vecs):
    p = tmp_path / "v.bin"
    vecs.save(p)
    p.write_bytes(b"5 5\n" + p.read_bytes()[4:])
    with pytest.raises(W2VError, match="follow the 5 records"):
        Vectors.load(p)


def test_binary_utf8_error_names_offset(tmp_path, vecs):
    p = tmp_path / "v.bin"
    Vectors(["ab", "cd"], np.zeros((2, 2), np.float32)).save(p)
    data = bytearray(p.read_bytes())
    data[4] = 0xFF
    p.write_bytes(bytes(data))
    with pytest.raises(W2VError, match="byte offset 4"):
        Vectors.load(p)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(W2VError, match="not found"):
        Vectors.load(tmp_path / "nope.bin")
    with pytest.raises(W2VError, match="directory"):
        Vectors.load(tmp_path)


def test_words_with_whitespace_refused(tmp_path):
    with pytest.raises(W2VError, match="whitespace"):
        Vectors(["ok", "has space"], np.zeros((2, 5), np.float32)).save(tmp_path / "v.bin")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_failed_write_leaves_previous_file_and_no_partial_file(tmp_path, vecs, monkeypatch, error):
    p = tmp_path / "v.bin"
    vecs.save(p)
    before = p.read_bytes()
    real = formats._records

    def failing(*args):
        gen = real(*args)
        yield next(gen)
        raise error

    monkeypatch.setattr(formats, "_records", failing)
    with pytest.raises((W2VError, KeyboardInterrupt)) as e:
        vecs.save(p)
    if isinstance(error, OSError):
        assert "No space left" in str(e.value)
    assert p.read_bytes() == before
    assert [f.name for f in tmp_path.iterdir()] == ["v.bin"]  # no temporary file left behind


@pytest.mark.parametrize("sizes", [[], [1], [4095], [4096, 1], [3000, 9000, 0, 5000], [20000], [8192, 8192]])
def test_a_direct_write_holds_the_bytes_a_buffered_one_does(tmp_path, monkeypatch, sizes):
    """Past the page cache, through a staging buffer of 8 KB here (so pieces span, fill and end it), the file
    is the pieces' bytes, whatever their lengths and alignment; so is the file after the file system turns
    the direct write down midway (EINVAL), which then continues through the page cache."""
    from w2v import atomic

    probe = os.open(tmp_path / "probe", os.O_WRONLY | os.O_CREAT)
    direct = atomic._direct_file(probe)
    if direct is None:
        os.close(probe)
        pytest.skip(f"the file system of {tmp_path} refuses O_DIRECT")
    direct.close()
    monkeypatch.setattr(atomic, "STAGE", 8192)
    rng = np.random.default_rng(len(sizes))
    pieces = [rng.integers(0, 256, n, dtype=np.uint8) for n in sizes]
    pieces.append(np.arange(6, dtype=np.float32).reshape(2, 3))  # (a 2-D array's memory, as the writers pass)
    expected = b"".join(p.tobytes() for p in pieces)
    for refuse in (False, True):
        if refuse:
            real, calls = os.write, []

            def write(fd, data):
                calls.append(len(data))
                if len(calls) == 2:
                    raise OSError(22, "Invalid argument")
                return real(fd, data)

            monkeypatch.setattr(atomic.os, "write", write)
        path = tmp_path / f"d{refuse}.bin"
        with atomic.atomic_write(path, "wb", direct=True) as f:
            assert isinstance(f, atomic.DirectFile)
            for p in pieces:
                f.write(memoryview(p))
        assert path.read_bytes() == expected
        if refuse and len(calls) >= 2:  # (a file of one buffer or less is written in one call)
            assert not f.direct
        monkeypatch.undo()
        monkeypatch.setattr(atomic, "STAGE", 8192)


def test_a_failed_direct_write_leaves_no_file(tmp_path):
    from w2v import atomic

    path = tmp_path / "v.bin"
    with pytest.raises(RuntimeError):
        with atomic.atomic_write(path, "wb", direct=True) as f:
            f.write(b"x" * 10000)
            raise RuntimeError("stopped")
    assert list(tmp_path.iterdir()) == []


def test_format_from_suffix():
    assert formats.format_for_path("a.bin") == "word2vec-binary"
    assert formats.format_for_path("a.vec") == "word2vec-text"
    assert formats.format_for_path("a.whatever", "glove") == "glove"
    with pytest.raises(W2VError, match="suffix"):
        formats.format_for_path("a.model")


def test_written_files_follow_the_umask(tmp_path):
    """Vectors get the permissions a plain open() gives (the temporary file's 0600 would lock others out)."""
    v = Vectors(["a", "b"], np.ones((2, 3), np.float32))
    old = os.umask(0o022)
    try:
        v.save(tmp_path / "v.bin")
        assert (os.stat(tmp_path / "v.bin").st_mode & 0o777) == 0o644
        os.umask(0o077)
        v.save(tmp_path / "w.txt")
        assert (os.stat(tmp_path / "w.txt").st_mode & 0o777) == 0o600
        os.chmod(tmp_path / "v.bin", 0o640)  # rewriting an existing file keeps its mode, as open() does
        v.save(tmp_path / "v.bin")
        assert (os.stat(tmp_path / "v.bin").st_mode & 0o777) == 0o640
    finally:
        os.umask(old)


@pytest.mark.parametrize("fmt", ["bin", "text", "glove"])
@pytest.mark.parametrize("compress", [None, "gz", "bz2", "xz"])
def test_compressed_files_and_limit_read_as_gensim_reads_them(tmp_path, fmt, compress):
    """GoogleNews-vectors-negative300.bin.gz, cc.en.300.vec.gz and glove.6B.100d.txt are such files: gzip,
    bzip2 and xz (found by their first bytes, whatever the name) and ``limit`` (the first N words) read
    as gensim's load_word2vec_format reads them; GloVe's files have no header."""
    import bz2
    import gzip
    import lzma

    rng = np.random.default_rng(4)
    vecs = Vectors([f"w{i}" for i in range(50)] + ["d\u00e9j\u00e0"], rng.normal(size=(51, 7)).astype(np.float32))
    plain = tmp_path / f"v.{fmt}"
    vecs.save(plain, fmt)
    path = plain
    if compress:
        opener = {"gz": gzip.open, "bz2": bz2.open, "xz": lzma.open}[compress]
        path = tmp_path / f"v.{fmt}.{compress}"
        with opener(path, "wb") as f:
            f.write(plain.read_bytes())
    back = Vectors.load(path)
    assert back.words == vecs.words and np.allclose(back.vectors, vecs.vectors, atol=1e-6)
    part = Vectors.load(path, limit=10)
    assert part.words == vecs.words[:10] and np.allclose(part.vectors, vecs.vectors[:10], atol=1e-6)
    if fmt != "glove":
        from gensim.models import KeyedVectors

        kv = KeyedVectors.load_word2vec_format(str(path), binary=fmt == "bin", limit=10)
        assert kv.index_to_key == part.words and np.allclose(kv.vectors, part.vectors, atol=1e-6)


def test_a_file_in_no_vectors_format_is_named(tmp_path):
    p = tmp_path / "model.bin"
    p.write_bytes(b"\xa7\x16\x4f\x2f" + bytes(range(256)) * 4)  # (fastText's magic but one byte)
    with pytest.raises(W2VError, match="not a vectors file: a word and its numbers per line"):
        Vectors.load(p)
    p.write_bytes(b"\xba\x16\x4f\x2f" + bytes(range(256)) * 4)  # fastText's magic, then no model
    with pytest.raises(W2VError, match="fastText model format version"):
        Vectors.load(p)
    p.write_bytes(gzip_bytes(b"3 2\na 1 2\nb 3 4\n"))
    with pytest.raises(W2VError, match="announces 3 vectors but the file has 2"):
        Vectors.load(p)


def gzip_bytes(data):
    import gzip

    return gzip.compress(data)
