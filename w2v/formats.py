"""Vector file formats: word2vec binary and text, GloVe text, as (words, matrix). Writes are atomic;
reads detect the format and decompress gzip, bzip2 and xz; Vectors.save and Vectors.load wrap them.

* word2vec binary: header ``V D\\n``, then per word: the word, a space, D little-endian float32 and a
  newline (as word2vec.c writes; gensim omits the newline, and both are read).
* word2vec text: the same header, then ``word v1 ... vD`` per line.
* GloVe text: the lines without the header.

Words never contain ASCII whitespace (the tokenizer splits on it), so every word can be written.
"""

import os
import re

import numpy as np

from w2v.atomic import atomic_write
from w2v.errors import FormatError, OptionError, OutputError

FORMATS = ("word2vec-binary", "word2vec-text", "glove")
_HEADER = re.compile(rb"^\s*(\d+)\s+(\d+)\s*$")


def format_for_path(path, fmt=None):
    """The output format: ``fmt`` if given (bin, text, glove or a full name), else from the suffix."""
    aliases = {"bin": "word2vec-binary", "binary": "word2vec-binary", "text": "word2vec-text",
               "txt": "word2vec-text", "vec": "word2vec-text", "glove": "glove"}
    if fmt:
        fmt = aliases.get(fmt, fmt)
        if fmt not in FORMATS:
            raise OptionError(f"unknown format {fmt!r}: choose bin, text or glove")
        return fmt
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext == ".bin":
        return "word2vec-binary"
    if ext in (".txt", ".vec"):
        return "word2vec-text"
    raise OptionError(f"cannot tell the format from {path!r}: use a .bin, .txt or .vec suffix or --format")


def write(words, mat, path, fmt=None):
    """Write ``words`` and their rows of ``mat`` to ``path`` atomically in ``fmt`` (or the suffix's format)."""
    fmt = format_for_path(path, fmt)
    mat = np.ascontiguousarray(mat, dtype="<f4")
    for w in words:
        if not w or any(c in w for c in " \t\n\r\v\f\0"):
            raise OutputError(f"word {w!r} is empty or contains whitespace and cannot be written")
    with atomic_write(path, "wb", direct=True) as f:
        for chunk in _records(words, mat, fmt):
            f.write(chunk)


def _records(words, mat, fmt):
    """The file's bytes in pieces: header, then batches of records."""
    if fmt != "glove":
        yield f"{len(words)} {mat.shape[1]}\n".encode()
    if fmt == "word2vec-binary":
        for s in range(0, len(words), 4096):
            yield b"".join(w.encode("utf-8") + b" " + row.tobytes() + b"\n"
                           for w, row in zip(words[s:s + 4096], mat[s:s + 4096]))
        return
    line = " ".join(["%.6f"] * mat.shape[1])
    for s in range(0, len(words), 4096):
        yield "".join(f"{w} {line % tuple(row)}\n" for w, row in zip(words[s:s + 4096],
                                                                     mat[s:s + 4096].tolist())).encode("utf-8")


def is_model_file(path):
    """Whether ``path`` is a zip (.npz): an NPLM model rather than a vectors file."""
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"PK\x03\x04"
    except OSError:
        return False


_MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "lzma"))
CHUNK = 16 << 20  # bytes read at a time: a file is never read whole
TEXT_CHUNK = 4 << 20  # (text: each number is a bytes object while it is parsed)


def _open(path):
    """A binary reader over the file, decompressed when it is gzip, bzip2 or xz (by its first bytes)."""
    import bz2
    import gzip
    import lzma

    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise FormatError(f"vectors file not found: {path}") from None
    except OSError as e:
        raise FormatError(f"cannot read {path}: {e.strerror or e}") from None
    head = f.read(6)
    f.seek(0)
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            f.close()
            return {"gzip": gzip.open, "bz2": bz2.open, "lzma": lzma.open}[kind](path, "rb")
    return f


def read(path, unicode_errors="strict", limit=None):
    """Read a word2vec binary/text or GloVe text file (gzip, bzip2 or xz compressed or not): (words,
    float32 matrix); the format is detected from the content. ``limit`` reads only the first ``limit``
    words (as gensim's ``limit``). The file is read in chunks, so memory is about the matrix."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise FormatError(f"vectors path is a directory: {path}")
    if limit is not None and limit < 1:
        raise OptionError(f"limit must be at least 1 (got {limit})")
    try:
        with _open(path) as f:
            first = f.readline(1 << 16)
            skipped = 0
            while first and not first.strip():
                skipped += len(first)
                first = f.readline(1 << 16)
            if not first:
                raise FormatError(f"vectors file is empty: {path}")
            m = _HEADER.match(first.rstrip(b"\r\n"))
            if m is None:  # GloVe: no header; the first line is a word and its numbers
                return _load_text(path, f, first, None, None, unicode_errors, limit)
            n, dim = int(m.group(1)), int(m.group(2))
            if dim < 1:
                raise FormatError(f"{path}: header announces dimension {dim}")
            buf = f.read(min(CHUNK, 64 * dim + 4096))
            if _looks_binary(buf, dim):
                return _load_binary(path, f, buf, n, dim, unicode_errors, limit, skipped + len(first))
            return _load_text(path, f, buf, n, dim, unicode_errors, limit)
    except (EOFError, OSError, ValueError) as e:  # a damaged compressed stream, a read error
        if isinstance(e, (FormatError, OptionError)):
            raise
        raise FormatError(f"cannot read {path}: {type(e).__name__}: {e} (truncated or corrupt file?)") from None


def _looks_binary(data, dim):
    """A text record is one line of a word and ``dim`` numbers; anything else is taken as binary."""
    end = data.find(b"\n")
    line = data[: end if end >= 0 else len(data)]
    parts = line.rstrip().split(b" ")
    if len(parts) != dim + 1:
        return True
    try:
        [float(p) for p in parts[1:]]
    except ValueError:
        return True
    return False


def _decode(path, raw, where, unicode_errors):
    try:
        return raw.decode("utf-8", unicode_errors)
    except UnicodeDecodeError:
        raise FormatError(f"{path}: invalid UTF-8 in the word at {where}") from None


def _load_binary(path, f, data, n, dim, unicode_errors, limit, offset):
    """Records of word, space, ``dim`` little-endian float32 (and a newline, or not), read in chunks."""
    count = n if limit is None else min(n, limit)
    words = []
    mat = np.empty((count, dim), np.float32)
    size = 4 * dim
    pos = 0  # (``offset``: the file's bytes before ``data``, for messages)
    eof = False
    for i in range(count):
        while True:
            while pos < len(data) and data[pos] == 10:
                pos += 1
            sp = data.find(b" ", pos, pos + 4096)
            if sp >= 0 and sp + 1 + size <= len(data):
                break
            if eof:
                if sp < 0:
                    raise FormatError(f"{path}: truncated or malformed binary file: record {i + 1} of {n} at byte "
                                      f"offset {offset + pos} has no word (the header announces {n} vectors)")
                raise FormatError(f"{path}: truncated binary file: record {i + 1} of {n} at byte offset "
                                  f"{offset + pos} needs {size} bytes of vector, {len(data) - sp - 1} remain")
            more = f.read(CHUNK)
            eof = not more
            offset += pos
            data = data[pos:] + more
            pos = 0
        words.append(_decode(path, data[pos:sp], f"byte offset {offset + pos}", unicode_errors))
        mat[i] = np.frombuffer(data, "<f4", dim, sp + 1)
        pos = sp + 1 + size
    if limit is None or limit >= n:
        rest = data[pos:] + f.read()
        if rest.strip(b"\n"):
            raise FormatError(f"{path}: {len(rest)} bytes follow the {n} records the header announces "
                              f"(byte offset {offset + pos}): wrong header count or dimension?")
    return words, mat


def _load_text(path, f, data, n, dim, unicode_errors, limit):
    """Lines of a word and its numbers, parsed a chunk of lines at a time (numbers by numpy, in C)."""
    # with a header the matrix is allocated once and filled; GloVe's files (no header) stack their blocks
    mat = np.empty((n if limit is None else min(n, limit), dim), np.float32) if n is not None else None
    words, blocks = [], []
    lineno = 1 if n is not None else 0
    pending = data
    while True:
        more = f.read(TEXT_CHUNK) if (limit is None or len(words) < limit) else b""  # (without a limit every
        # line is read, and their number checked against the header's)
        chunk = pending + more
        if more:
            cut = chunk.rfind(b"\n") + 1
            chunk, pending = (chunk[:cut], chunk[cut:]) if cut else (b"", chunk)
        else:
            pending = b""
        if chunk:
            keys, numbers = [], []
            for raw in chunk.split(b"\n"):
                lineno += 1
                raw = raw.strip()
                if not raw:
                    continue
                if limit is not None and len(words) + len(keys) >= limit:
                    break
                sp = raw.find(b" ")
                if dim is None:
                    dim = len(raw.split()) - 1
                    if dim < 1 or sp < 0:
                        raise FormatError(f"{path}, line {lineno}: not a vectors file: a word and its numbers "
                                          f"per line (word2vec text or GloVe) or a word2vec header were expected")
                if sp < 0:
                    raise FormatError(f"{path}, line {lineno}: expected a word and {dim} numbers, found none")
                keys.append((raw[:sp], lineno))
                numbers.append(raw[sp + 1:])
            if keys:
                try:
                    flat = np.array(b" ".join(numbers).split(), dtype=np.float32)
                except ValueError:
                    for (word, at), nums in zip(keys, numbers):
                        try:
                            np.array(nums.split(), dtype=np.float32)
                        except ValueError:
                            raise FormatError(f"{path}, line {at}: non-numeric value in the vector") from None
                    raise
                if flat.size != dim * len(keys):
                    for (word, at), nums in zip(keys, numbers):  # find the line at fault
                        if len(nums.split()) != dim:
                            raise FormatError(f"{path}, line {at}: expected a word and {dim} numbers, found "
                                              f"{len(nums.split())} fields after the word")
                if mat is None:
                    blocks.append(flat.reshape(len(keys), dim))
                elif len(words) + len(keys) > len(mat):
                    rest = sum(1 for line in (pending + f.read()).split(b"\n") if line.strip())
                    raise FormatError(f"{path}: the header announces {n} vectors but the file has "
                                      f"{len(words) + len(keys) + rest}")
                else:
                    mat[len(words):len(words) + len(keys)] = flat.reshape(len(keys), dim)
                words += [_decode(path, w, f"line {at}", unicode_errors) for w, at in keys]
        if not more:
            break
    if not words:
        raise FormatError(f"{path}: no vectors found")
    if n is not None and limit is None and len(words) != n:
        raise FormatError(f"{path}: the header announces {n} vectors but the file has {len(words)}")
    return words, (np.vstack(blocks) if mat is None else mat[:len(words)])
