"""Shards: the inputs (files, directories, globs, URLs) cut into pieces (plain files at line ends, compressed
files whole) and dealt into shards of about equal bytes, which Dask's workers open themselves and a local
count reads in two halves side by side (counting.py)."""

import os
from typing import NamedTuple


from w2v.errors import CorpusError, OptionError

PIECE_BYTES = 64 << 20  # plain files are cut into byte ranges of about this size

COMPRESSED = (".gz", ".bz2", ".xz", ".lzma")


class Piece(NamedTuple):
    """Lines of ``path`` that start in ``[start, end)`` (end None: to the end; a compressed file whole)."""

    path: str
    start: int = 0
    end: int | None = None


def _files(corpus):
    """The input files as (path, bytes), expanded and sized once (a URL's glob and sizes are remote calls)."""
    from w2v.corpus.reading import expand_inputs, file_size, is_file, is_url

    paths = expand_inputs(corpus)
    if paths == "-" or not isinstance(paths, (str, list)):
        raise OptionError("--dask reads files (workers open them), not standard input or a Python iterable")
    out = []
    for p in [paths] if isinstance(paths, str) else paths:
        if not is_file(p):
            raise CorpusError(f"corpus not found: {p}")
        out.append((p if is_url(p) else os.path.abspath(p), file_size(p)))
    return out


def pieces(files, piece_bytes=PIECE_BYTES):
    """The files (``_files``) as Pieces with their sizes: plain files in byte ranges, compressed files whole."""
    out = []
    for p, size in files:
        if os.path.splitext(p)[1].lower() in COMPRESSED or size <= piece_bytes:
            out.append((Piece(p), size))
            continue
        cuts = list(range(0, size, piece_bytes)) + [size]
        out += [(Piece(p, a, b), b - a) for a, b in zip(cuts, cuts[1:])]
    return out


def shards(corpus, n, piece_bytes=None):
    """``n`` shards (lists of Pieces, in order) of about equal bytes (fewer when compressed files are too
    few to share out). Plain files are cut into pieces small enough for that: at most PIECE_BYTES, and a
    quarter of a shard's share."""
    files = _files(corpus)
    if piece_bytes is None:
        piece_bytes = max(1 << 12, min(PIECE_BYTES, sum(size for _, size in files) // (4 * n) + 1))
    ps = pieces(files, piece_bytes)
    total = max(sum(size for _, size in ps), 1)
    out, acc = [[] for _ in range(n)], 0
    for p, size in ps:
        out[min(n - 1, int(n * (acc + size / 2) / total))].append(p)
        acc += size
    return [s for s in out if s] or [[]]


class _PieceReader:
    """A binary reader over the lines of one Piece."""

    def __init__(self, piece):
        from w2v.corpus.reading import TextOnly, open_binary, open_raw, text_only

        self.piece = piece
        if piece.end is None and piece.start == 0:
            self.f, self.left = open_binary(piece.path), None
            return
        # (a file's first piece must start as text, as the whole file opened by open_binary must)
        self.f = TextOnly(open_raw(piece.path), piece.path) if piece.start == 0 and text_only() else open_raw(piece.path)
        start = piece.start
        if start > 0:  # the line running through `start` belongs to the piece before
            self.f.seek(start - 1)
            if self.f.read(1) != b"\n":
                self.f.readline()
            start = self.f.tell()
        self.left = max(0, piece.end - start)  # bytes before `end`; then the line in progress is finished

    def read(self, n):
        if self.left is None:
            return self.f.read(n)
        if self.left > 0:
            b = self.f.read(min(n, self.left))
            self.left -= len(b)
            if self.left == 0 and b and not b.endswith(b"\n"):
                b += self.f.readline()
            elif not b:
                self.left = 0
            return b
        return b""

    def close(self):
        self.f.close()


class Shard:
    """A corpus made of Pieces (corpus.open_corpus reads it through ``open_binary``)."""

    def __init__(self, pieces_):
        self.pieces = list(pieces_)

    def describe(self):
        return f"a shard of {len(self.pieces)} pieces"

    def open_binary(self):
        from w2v.corpus.reading import Files

        return Files(self.pieces, open_one=_PieceReader)
