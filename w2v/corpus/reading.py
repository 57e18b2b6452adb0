"""Opening a corpus: plain, .gz, .bz2, .xz, standard input, URLs (through fsspec), several files read as
one text, or an iterable of token lists; inputs expanded from directories and globs; background reading."""

import bz2
import contextlib
import contextvars
import gzip
import lzma
import os
import queue
import re
import sys
import threading


from w2v.errors import CorpusError

READ_BYTES = 8 << 20  # raw bytes per read


def is_url(path):
    """Whether ``path`` names a file by URL (``s3://bucket/key``, ``https://...``, ``file:///...``), which
    fsspec opens, rather than a local path."""
    return isinstance(path, str) and re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", path) is not None


def _fs(url):
    """fsspec's filesystem and path for ``url``; a one-line error when fsspec or the filesystem's own
    package (s3fs, gcsfs, aiohttp for http...) is missing."""
    try:
        import fsspec
    except ImportError:
        raise CorpusError(f"reading {url} needs fsspec: pip install fsspec (and the filesystem's package, "
                          "such as s3fs)") from None
    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as e:
        raise CorpusError(f"cannot open {url}: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None


def _url_call(url, what):
    """``what(fs, path)`` for ``url``, its failures (not found, no access, the network) as one line."""
    fs, p = _fs(url)
    try:
        return what(fs, p)
    except FileNotFoundError:
        raise CorpusError(f"corpus not found: {url}") from None
    except (OSError, ValueError) as e:
        raise CorpusError(f"cannot read {url}: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None


def file_size(path):
    """Bytes of a file: a local path or a URL."""
    return _url_call(path, lambda fs, p: fs.size(p)) if is_url(path) else os.path.getsize(path)


def is_file(path):
    return _url_call(path, lambda fs, p: fs.isfile(p)) if is_url(path) else os.path.isfile(path)


def open_raw(path):
    """A file's bytes as stored (not decompressed), seekable: a local path or a URL."""
    return _url_call(path, lambda fs, p: fs.open(p, "rb")) if is_url(path) else open(path, "rb")


SNIFF_BYTES = 64 << 10  # the start of a file that must look like text
_TEXT_ONLY = contextvars.ContextVar("w2v_text_only", default=True)


@contextlib.contextmanager
def forcing_text(force=True):
    """Within it, open_binary reads files that look binary too (``--force-text``)."""
    token = _TEXT_ONLY.set(not force)
    try:
        yield
    finally:
        _TEXT_ONLY.reset(token)


def text_only():
    """Whether inputs that look binary are refused (not within forcing_text)."""
    return _TEXT_ONLY.get()


def binary_reason(sample):
    """Why bytes that start a file are not text, or None: more than 30% of its characters are neither
    printable nor whitespace (NUL and other control bytes, bytes that are not UTF-8). Text in another
    encoding (Latin-1) passes, and so does text with a NUL between words now and then (word2vec's
    tokenizer splits at NUL): their few odd bytes are counted and handled as training reads them."""
    sample = sample[:SNIFF_BYTES]
    if not sample.translate(None, b"\x00 \t\n\r\f\v"):
        return None  # nothing but separators: no tokens, which the count reports as an empty corpus
    text = sample.decode("utf-8", "replace")
    text = text[:-3] if len(text) > 16 else text  # (the last character may be cut by the sample's end)
    bad = sum(1 for ch in text if ch == "\ufffd" or (ch < " " and ch not in "\t\n\r\f\v"))
    if len(text) >= 256 and bad > 0.3 * len(text):  # (a shorter start says too little; the count's own
        nul = sample.count(0)                         # check, a share of tokens not UTF-8, still applies)
        return (f"{100 * bad // len(text)}% of its first {len(text)} characters are not text"
                + (f": {nul} NUL bytes" if nul else ""))
    return None


class TextOnly:
    """A reader that refuses binary data: the first bytes it reads must look like text (binary_reason)."""

    def __init__(self, inner, name):
        self.inner, self.name, self.checked = inner, name, False

    def _check(self, b):
        if not self.checked and b:
            self.checked = True
            why = binary_reason(b)
            if why:
                raise CorpusError(f"{self.name} looks like binary data, not text ({why}); --force-text reads "
                                  f"it anyway")

    def read(self, n):
        b = self.inner.read(n)
        self._check(b)
        return b

    def __iter__(self):  # lines
        for line in self.inner:
            self._check(line)
            yield line

    def readline(self):
        line = self.inner.readline()
        self._check(line)
        return line

    def close(self):
        close_source(self.inner)


def open_binary(path):
    """Open a corpus for binary reading, decompressing by suffix; ``-`` is standard input; a URL is
    opened by fsspec. What does not start as text is refused on its first read (TextOnly), unless within
    ``forcing_text()``."""
    f = _open_binary(path)
    return TextOnly(f, "standard input" if path == "-" else os.fspath(path)) if text_only() else f


def _open_binary(path):
    if path == "-":
        return sys.stdin.buffer
    path = os.fspath(path)
    if is_url(path):
        import fsspec

        if not is_file(path):
            raise CorpusError(f"corpus not found (or not a file): {path}")
        return _url_call(path, lambda fs, p: fsspec.open(path, "rb", compression="infer").open())
    if os.path.isdir(path):
        raise CorpusError(f"corpus is a directory, not a file: {path}")
    if not os.path.exists(path):
        raise CorpusError(f"corpus not found: {path}")
    opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open, ".lzma": lzma.open}.get(
        os.path.splitext(path)[1].lower(), open)
    try:
        return opener(path, "rb")
    except OSError as e:
        raise CorpusError(f"cannot open corpus {path}: {e.strerror or e}") from None


def expand_inputs(corpus):
    """Inputs as given on the command line to what open_corpus reads: each of files, directories (their
    files, recursively, in sorted order, hidden ones skipped) and globs (sorted matches) in turn; ``-``
    (standard input) only alone. One path stays a path; anything else (an iterable of sentences) is
    returned as it is."""
    import glob

    specs = [corpus] if _is_path(corpus) else list(corpus) if isinstance(corpus, (list, tuple)) else None
    if specs is None or not all(_is_path(p) for p in specs):
        return corpus
    if not specs:
        raise CorpusError("no corpus given")
    if "-" in specs:
        if len(specs) > 1:
            raise CorpusError("- (standard input) cannot be combined with other inputs")
        return "-"
    paths = []
    for spec in map(os.fspath, specs):
        if is_url(spec):
            paths += _expand_url(spec)
        elif os.path.isdir(spec):
            found = sorted(os.path.join(d, f) for d, dirs, files in os.walk(spec) for f in files
                           if not f.startswith(".") and not any(p.startswith(".") for p in
                                                                  os.path.relpath(d, spec).split(os.sep) if p != "."))
            if not found:
                raise CorpusError(f"directory has no files: {spec}")
            paths += found
        elif not os.path.exists(spec) and glob.has_magic(spec):
            found = sorted(p for p in glob.glob(spec, recursive=True) if os.path.isfile(p))
            if not found:
                raise CorpusError(f"no files match {spec}")
            paths += found
        else:
            paths.append(spec)
    return paths[0] if len(paths) == 1 else paths


def _expand_url(spec):
    """A URL as expand reads it: a glob's matches or a directory's files (sorted, hidden ones skipped) as
    URLs, or the URL itself."""
    import glob

    def find(fs, p):
        if glob.has_magic(p):
            hidden = p.rsplit("/", 1)[-1].startswith(".")  # (hidden files match only as the local glob's do)
            found = [f for f in sorted(fs.glob(p))
                     if fs.isfile(f) and (hidden or not f.rsplit("/", 1)[-1].startswith("."))]
            if not found:
                raise CorpusError(f"no files match {spec}")
        elif fs.isdir(p):
            root = p.rstrip("/")
            found = [f for f in sorted(fs.find(p)) if not any(x.startswith(".") for x in f[len(root):].split("/"))]
            if not found:
                raise CorpusError(f"directory has no files: {spec}")
        else:
            return [spec]
        return [fs.unstrip_protocol(f) for f in found]

    return _url_call(spec, find)


def input_paths(corpus):
    """The files a corpus reads (through a phrase model too), or None (standard input, an iterable)."""
    if hasattr(corpus, "corpus"):
        return input_paths(corpus.corpus)
    if _is_path(corpus):
        return None if corpus == "-" else [os.fspath(corpus)]
    if isinstance(corpus, (list, tuple)) and corpus and all(_is_path(p) for p in corpus):
        return [os.fspath(p) for p in corpus]
    return None


def local_bytes(corpus):
    """The bytes of the local files a corpus reads (as stored, compressed or not), or None: standard input,
    an iterable, a URL, or an input that cannot be sized (reading it says what is wrong)."""
    paths = input_paths(corpus)
    if paths is None or any(is_url(p) for p in paths):
        return None
    try:
        files = expand_inputs(paths)
        return sum(os.path.getsize(p) for p in ([files] if isinstance(files, str) else files))
    except Exception:  # noqa: BLE001 - the reading reports it
        return None


def fingerprint_files(corpus):
    """The file names a corpus reads (for a checkpoint's corpus check), or None for other corpora."""
    paths = input_paths(corpus)
    return None if paths is None else [os.path.basename(p) for p in paths]


def describe(corpus):
    """A corpus's name for messages: its path, its paths, or what kind of iterable it is."""
    if hasattr(corpus, "open_binary"):
        return corpus.describe()
    if _is_path(corpus):
        return os.fspath(corpus)
    if isinstance(corpus, (list, tuple)) and corpus and all(_is_path(p) for p in corpus):
        return ", ".join(os.fspath(p) for p in corpus) if len(corpus) <= 3 else \
            f"{os.fspath(corpus[0])} and {len(corpus) - 1} more files"
    return f"the {type(corpus).__name__} of sentences"


def _is_path(x):
    return isinstance(x, (str, bytes, os.PathLike))


def open_corpus(corpus):
    """A binary reader over ``corpus``: a path (``-``: standard input), a list of paths read one after
    another as one text (each file ends its last sentence), or any iterable of token lists (gensim's
    ``sentences``; iterated once, since the epochs read the encoded stream), or an object that opens its own
    reader (``phrases.Phrased``: a corpus read through a phrase model)."""
    if hasattr(corpus, "open_binary"):
        return corpus.open_binary()
    if _is_path(corpus):
        return open_binary(corpus)
    if isinstance(corpus, (list, tuple)) and corpus and all(_is_path(p) for p in corpus):
        return Files(corpus)
    try:
        return _Sentences(iter(corpus))
    except TypeError:
        raise CorpusError(f"a corpus is a path, a list of paths or an iterable of token lists, not a "
                          f"{type(corpus).__name__}") from None


class Files:
    """Files read one after another, with a newline after any file whose text does not end in one.
    ``open_one`` opens each source (default: a path, by open_binary; corpus/pieces.py passes byte ranges)."""

    def __init__(self, sources, open_one=None):
        self.sources = list(sources)
        if open_one is None:
            for p in self.sources:  # missing files are found before any counting
                if not os.path.isfile(p):
                    open_binary(p).close()  # raises the right error (not found, a directory)
        self.open_one = open_one or open_binary
        self.f = None
        self.last = b"\n"

    def read(self, n):
        while self.sources or self.f:
            if self.f is None:
                self.source = self.sources.pop(0)
                self.f = self.open_one(self.source)
            try:
                b = self.f.read(n)
            except CorpusError:  # (already says what and which file: binary data, say)
                raise
            except Exception as e:  # name the file that failed, not the list
                raise _read_error(getattr(self.source, "path", self.source), e) from None
            if b:
                self.last = b[-1:]
                return b
            self.f.close()
            self.f = None
            if self.last != b"\n":
                self.last = b"\n"
                return b"\n"
        return b""

    def close(self):
        if self.f:
            self.f.close()


class _Sentences:
    """An iterable of token lists as whitespace-separated lines of UTF-8."""

    def __init__(self, sentences):
        self.sentences = sentences

    def read(self, n):
        out, size = [], 0
        for tokens in self.sentences:
            if isinstance(tokens, (str, bytes)):
                raise CorpusError("a sentence must be a list of tokens, not a string (split it first)")
            line = " ".join(tokens)
            if len(line.split()) != len(tokens):
                raise CorpusError(f"tokens may not be empty or contain whitespace: {tokens[:10]!r}")
            out.append(line.encode("utf-8") + b"\n")
            size += len(out[-1])
            if size >= n:
                break
        return b"".join(out)

    def close(self):
        pass


def _read_error(path, e):
    kind = type(e).__name__
    return CorpusError(f"cannot read corpus {path}: {kind}: {e} (truncated or corrupt file?)")


class Prefetch:
    """Read blocks in a background thread, so decompression overlaps with scanning."""

    def __init__(self, f, path):
        self.q = queue.Queue(maxsize=3)
        self.path = path
        self.stop = False
        # (in the caller's context: a reader that opens its files lazily, as Files does, must see its
        # --force-text setting, a context variable)
        self.t = threading.Thread(target=contextvars.copy_context().run, args=(self._run, f), daemon=True)
        self.t.start()

    def _run(self, f):
        try:
            while not self.stop:
                b = f.read(READ_BYTES)
                self.q.put(b)
                if not b:
                    return
        except Exception as e:  # delivered to the consumer, raised there
            self.q.put(e)

    def __iter__(self):
        while True:
            b = self.q.get()
            if isinstance(b, CorpusError):
                raise b
            if isinstance(b, Exception):
                raise _read_error(self.path, b)
            if not b:
                return
            yield b

    def close(self):
        self.stop = True
        while self.t.is_alive():
            try:
                self.q.get(timeout=0.05)
            except queue.Empty:
                pass


class Copy:
    """A reader that also writes what it reads to a file; closing it closes both (never standard input)."""

    def __init__(self, inner, path):
        self.inner, self.out = inner, open(path, "wb")

    def read(self, n):
        b = self.inner.read(n)
        self.out.write(b)
        return b

    def close(self):
        self.out.close()
        close_source(self.inner)


def close_source(f):
    """Close a reader that open_corpus gave, unless it is standard input (which stays the process's)."""
    if f is not sys.stdin.buffer:
        f.close()


def rereadable(corpus):
    """Whether open_corpus can read ``corpus`` again: files can, standard input and iterables cannot."""
    return input_paths(corpus) is not None
