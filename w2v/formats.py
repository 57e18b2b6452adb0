"""Vector file formats: word2vec binary and text, GloVe text, as (words, matrix). Writes are atomic;
reads detect the format. io.py wraps these in Vectors.

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
    with atomic_write(path, "wb") as f:
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


def read(path, unicode_errors="strict"):
    """Read a word2vec binary/text or GloVe text file: (words, float32 matrix); the format is detected
    from the content."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise FormatError(f"vectors path is a directory: {path}")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise FormatError(f"vectors file not found: {path}") from None
    except OSError as e:
        raise FormatError(f"cannot read {path}: {e.strerror or e}") from None
    if not data.strip():
        raise FormatError(f"vectors file is empty: {path}")
    nl = data.find(b"\n")
    first = data[: nl if nl >= 0 else len(data)]
    m = _HEADER.match(first)
    if m is None:
        return _load_text(path, data, 0, None, None, unicode_errors)
    n, dim = int(m.group(1)), int(m.group(2))
    if dim < 1:
        raise FormatError(f"{path}: header announces dimension {dim}")
    start = nl + 1
    if _looks_binary(data, start, dim):
        return _load_binary(path, data, start, n, dim, unicode_errors)
    return _load_text(path, data, start, n, dim, unicode_errors)


def _looks_binary(data, start, dim):
    """A text record is one line of a word and ``dim`` numbers; anything else is taken as binary."""
    end = data.find(b"\n", start)
    line = data[start: end if end >= 0 else len(data)]
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


def _load_binary(path, data, pos, n, dim, unicode_errors):
    words = []
    mat = np.empty((n, dim), np.float32)
    size = 4 * dim
    for i in range(n):
        while pos < len(data) and data[pos] in b"\n":
            pos += 1
        sp = data.find(b" ", pos, pos + 4096)
        if sp < 0:
            raise FormatError(f"{path}: truncated or malformed binary file: record {i + 1} of {n} at byte "
                           f"offset {pos} has no word (the header announces {n} vectors)")
        words.append(_decode(path, data[pos:sp], f"byte offset {pos}", unicode_errors))
        if sp + 1 + size > len(data):
            raise FormatError(f"{path}: truncated binary file: record {i + 1} of {n} at byte offset {pos} "
                           f"needs {size} bytes of vector, {len(data) - sp - 1} remain")
        mat[i] = np.frombuffer(data, "<f4", dim, sp + 1)
        pos = sp + 1 + size
    if data[pos:].strip(b"\n"):
        raise FormatError(f"{path}: {len(data) - pos} bytes follow the {n} records the header announces "
                       f"(byte offset {pos}): wrong header count or dimension?")
    return words, mat


def _load_text(path, data, pos, n, dim, unicode_errors):
    words, rows = [], []
    lineno = 1 if pos else 0
    for raw in data[pos:].split(b"\n"):
        lineno += 1
        if not raw.strip():
            continue
        parts = raw.rstrip().split(b" ")
        if dim is None:
            dim = len(parts) - 1
            if dim < 1:
                raise FormatError(f"{path}, line {lineno}: not a vectors file (no numbers after the word)")
        if len(parts) != dim + 1:
            raise FormatError(f"{path}, line {lineno}: expected a word and {dim} numbers, found "
                           f"{len(parts) - 1} fields after the word")
        try:
            rows.append(np.array(parts[1:], dtype=np.float32))
        except ValueError:
            raise FormatError(f"{path}, line {lineno}: non-numeric value in the vector") from None
        words.append(_decode(path, parts[0], f"line {lineno}", unicode_errors))
    if not words:
        raise FormatError(f"{path}: no vectors found")
    if n is not None and len(words) != n:
        raise FormatError(f"{path}: the header announces {n} vectors but the file has {len(words)}")
    return words, np.vstack(rows)
