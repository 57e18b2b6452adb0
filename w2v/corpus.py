"""Corpus: open (plain, .gz, .bz2, .xz, standard input, or a URL through fsspec), scan once into counts and
an encoded id stream on disk.

The encoded corpus is a flat ``int32`` file: word ids with ``-1`` after every sentence. It is read back
in fixed-size blocks cut at sentence ends, so resident memory does not grow with the corpus.
"""

import bz2
import gzip
import lzma
import os
import queue
import re
import sys
import threading
from typing import NamedTuple

import numpy as np

from w2v.errors import CorpusError

READ_BYTES = 8 << 20  # raw bytes per read
OUT_IDS = 4 << 20  # ids per write of the provisional stream
DEFAULT_COUNT_LIMIT = 21_000_000  # word2vec.c prunes at 0.7 * 30M hash slots
LIVE_TYPES = 4_000_000  # live types beyond which an exact count spills the table to disk (about 0.25 GB)


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


def open_binary(path):
    """Open a corpus for binary reading, decompressing by suffix; ``-`` is standard input; a URL is
    opened by fsspec."""
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


def expand(corpus):
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
        return _Files(corpus)
    try:
        return _Sentences(iter(corpus))
    except TypeError:
        raise CorpusError(f"a corpus is a path, a list of paths or an iterable of token lists, not a "
                          f"{type(corpus).__name__}") from None


class _Files:
    """Files read one after another, with a newline after any file whose text does not end in one.
    ``open_one`` opens each source (default: a path, by open_binary; cluster.py passes byte ranges)."""

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


class _Prefetch:
    """Read blocks in a background thread, so decompression overlaps with scanning."""

    def __init__(self, f, path):
        self.q = queue.Queue(maxsize=3)
        self.path = path
        self.stop = False
        self.t = threading.Thread(target=self._run, args=(f,), daemon=True)
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


class ScanResult(NamedTuple):
    words: list  # str per live entry, in entry order
    counts: np.ndarray  # int64 per live entry
    pids: np.ndarray  # provisional id per live entry
    n_pids: int  # provisional ids ever issued
    prov_path: str  # provisional id stream (int32, -1 at line ends)
    total_tokens: int  # every token read, in vocabulary or not
    overlong: int  # tokens skipped for being longer than MAX_TOKEN_BYTES
    invalid_utf8: int  # tokens whose bytes were not valid UTF-8 (decoded with U+FFFD)
    pruned: int = 0  # rounds of pruning rare types while counting (counts are then approximate)
    table_bytes: int = 0  # the counting pass's peak: the table (while it grows, old and new arrays), the
    # Python strings of its types, and the scan's buffers
    text_path: str | None = None  # a copy of the text read (keep_text), for a second read
    types: int = 0  # live types at the end (words, counts and pids hold those counted >= min_count)
    spilled: int = 0  # runs of the table written to disk (spill.py; counts stay exact)
    spill_bytes: int = 0  # the disk those runs took

    @property
    def complete(self):
        """Whether the provisional stream holds every token: neither pruning nor spilling gave a type that
        came back a second provisional id (the stream was then no longer written)."""
        return not (self.pruned or self.spilled)


class _Table:
    """The growable hash table of token types that scan_block fills (arrays only; logic is in scan.py)."""

    def __init__(self, n_entries=1 << 16, arena_bytes=1 << 20):
        from w2v import scan

        self.slots = np.full(2 * n_entries, -1, np.int32)  # entry per slot (-1: empty); at most half full
        self.e_hash = np.zeros(n_entries, np.uint64)
        self.e_off = np.zeros(n_entries, np.int64)
        self.e_len = np.zeros(n_entries, np.int32)  # (tokens are at most MAX_TOKEN_BYTES)
        self.e_count = np.zeros(n_entries, np.int64)
        self.e_pid = np.zeros(n_entries, np.int64)
        self.arena = np.zeros(arena_bytes, np.uint8)
        self.st = np.zeros(scan.ST_SIZE, np.int64)

    def nbytes(self):
        return sum(a.nbytes for a in self.args())

    def args(self):
        return (self.slots, self.e_hash, self.e_off, self.e_len, self.e_count, self.e_pid, self.arena, self.st)

    def grow(self):
        from w2v import scan

        n = self.st[scan.ST_N]
        if n >= len(self.e_hash) or 2 * n >= len(self.slots):
            cap = 2 * len(self.e_hash)
            limit = int(self.st[scan.ST_LIMIT])
            if n < limit < cap:  # the scan prunes at the live-type limit: no entry beyond it is ever used
                cap = limit
            for name in ("e_hash", "e_off", "e_len", "e_count", "e_pid"):
                old = getattr(self, name)
                new = np.zeros(cap, old.dtype)
                new[:n] = old[:n]
                setattr(self, name, new)
            self.slots = None  # (the old slots go before the new ones come)
            self.slots = np.empty(1 << int(2 * cap - 1).bit_length(), np.int32)  # a power of two, >= 2 cap
            scan.rebuild_slots(self.slots, self.e_hash, n)
        if self.st[scan.ST_ARENA] + scan.MAX_TOKEN_BYTES + 1 > len(self.arena):
            new = np.zeros(2 * len(self.arena), np.uint8)
            new[: self.st[scan.ST_ARENA]] = self.arena[: self.st[scan.ST_ARENA]]
            self.arena = new

    def prune(self, min_reduce):
        from w2v import scan

        scan.prune_entries(self.e_hash, self.e_off, self.e_len, self.e_count, self.e_pid, self.arena,
                           self.st, min_reduce)
        scan.rebuild_slots(self.slots, self.e_hash, self.st[scan.ST_N])

    def freeze(self, words):
        """Pre-fill with a known vocabulary (``--read-vocab``): word i gets provisional id i."""
        from w2v import scan

        raw = [w.encode("utf-8") for w in words]
        n = len(raw)
        if len(self.e_hash) <= n:  # (room for them all at once: growing re-inserts entries not yet filled)
            for name in ("e_hash", "e_off", "e_len", "e_count", "e_pid"):
                setattr(self, name, np.zeros(n + 1, getattr(self, name).dtype))
            self.slots = np.empty(1 << int(2 * (n + 1) - 1).bit_length(), np.int32)
        blob = b"\n".join(raw) + b"\n"
        if len(blob) > len(self.arena):
            self.arena = np.zeros(len(blob) + scan.MAX_TOKEN_BYTES + 1, np.uint8)
        self.arena[: len(blob)] = np.frombuffer(blob, np.uint8)
        lengths = np.array([len(r) for r in raw], np.int64)
        self.e_len[:n] = lengths
        self.e_off[:n] = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]) if n else []
        self.e_hash[:n] = [_fnv1a(r) for r in raw]
        self.e_pid[:n] = np.arange(n)
        self.e_count[:n] = 0
        self.st[scan.ST_N] = n
        self.st[scan.ST_ARENA] = len(blob)
        self.st[scan.ST_NEXT_PID] = n
        self.st[scan.ST_FROZEN] = 1
        scan.rebuild_slots(self.slots, self.e_hash, n)

    def decode_words(self, min_count=1):
        """The words (str) of the live entries counted at least ``min_count`` times, the entries they
        belong to (None: all of them), and how many tokens had invalid UTF-8. Where every word is valid
        UTF-8 only those entries are decoded (a Python str per type costs ~60 bytes, and the rare types
        can outnumber the kept ones 20 to 1); where some is not, every entry is (two invalid byte strings
        may decode to the same word, whose counts add up)."""
        from w2v import scan

        n = int(self.st[scan.ST_N])
        arena = memoryview(self.arena)[: self.st[scan.ST_ARENA]]
        try:
            if min_count <= 1:
                return str(arena, "utf-8").split("\n")[:n], None, 0
            str(arena, "utf-8")  # every word is valid (a str of the arena's size, at once released)
            keep = np.flatnonzero(self.e_count[:n] >= min_count)
            words = [str(arena[o:o + k], "utf-8") for o, k in zip(self.e_off[keep].tolist(), self.e_len[keep].tolist())]
            return words, keep, 0
        except UnicodeDecodeError:
            pass
        blob = arena.tobytes()
        words = blob.decode("utf-8", "replace").split("\n")[:n]
        invalid = 0
        for e, w in enumerate(words):
            if "\ufffd" in w:
                o, length = self.e_off[e], self.e_len[e]
                try:
                    blob[o:o + length].decode("utf-8")
                except UnicodeDecodeError:
                    invalid += int(self.e_count[e])
        return words, None, invalid


def _fnv1a(b):
    h = 14695981039346656037
    for c in b:
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def scan_corpus(path, workdir, count_limit=None, known_words=None, sink=None, seed_words=(),
                keep_text=False, reread_if_pruned=False, min_count=1, max_vocab=None):
    """Count token types and write the provisional id stream to ``workdir``.

    ``count_limit`` None counts exactly: beyond ``LIVE_TYPES`` live types the table is spilled to disk and
    merged at the end (spill.py); the stream is then no longer written (``ScanResult.complete`` is False: the
    caller reads the corpus again with the words fixed). ``max_vocab`` lets that merge leave out words that
    cannot be among the ``max_vocab`` most frequent. An int bounds the live types instead by pruning the rare
    ones as word2vec.c's ReduceVocab does (counts become approximate); with a ``sink`` (which needs the whole
    stream) the default is ``DEFAULT_COUNT_LIMIT``. ``known_words`` (from ``--read-vocab``) freezes the table:
    only those words are counted and encoded. ``sink`` (a callable) receives the stream's blocks instead of
    the file (a reused buffer: copy what outlives the call; ``prov_path`` is then None). ``seed_words`` get
    provisional ids 0, 1, ... whether or not they occur (their counts may be 0). With ``known_words`` an
    unknown word's id is ``len(known_words)``. ``keep_text`` copies what is read to ``workdir`` (for a corpus
    that cannot be read twice, such as standard input). With ``reread_if_pruned`` the stream is no longer
    written once pruning starts (the caller reads the corpus again). ``min_count`` leaves the types counted
    fewer times out of the result's words, counts and pids (their ids map to nothing; where some word is
    invalid UTF-8 all are kept, see _Table.decode_words).
    """
    from w2v import scan
    from w2v.spill import Runs

    runs = Runs(workdir) if count_limit is None and sink is None else None
    if count_limit is None:
        count_limit = DEFAULT_COUNT_LIMIT if runs is None else LIVE_TYPES
    table = _Table()
    table.st[scan.ST_LIMIT] = count_limit
    if known_words is not None:
        table.freeze(known_words)
    elif seed_words:
        table.freeze(seed_words)
        table.st[scan.ST_FROZEN] = 0
    buf = np.zeros(READ_BYTES + 2 * scan.MAX_TOKEN_BYTES + 16, np.uint8)
    out = np.empty(OUT_IDS, np.int32)
    out_n = 0
    carry = 0
    min_reduce = 1
    prov_path = None if sink else os.path.join(workdir, "provisional.i32")
    f = open_corpus(path)
    text_path = os.path.join(workdir, "text.txt") if keep_text else None
    source = _Copy(f, text_path) if keep_text else f
    reader = _Prefetch(source, describe(path))
    pruned = 0
    table_bytes = table.nbytes()
    try:
        with open(prov_path or os.devnull, "wb") as fout:
            flush = sink or (lambda ids: ids.tofile(fout))
            blocks = iter(reader)
            while True:
                chunk = next(blocks, None)
                final = chunk is None
                if final:
                    # a virtual newline closes the last line
                    chunk = b"\n"
                end = carry + len(chunk)
                if end > len(buf):
                    buf = np.concatenate([buf[:carry], np.zeros(end - carry, np.uint8)])
                buf[carry:end] = np.frombuffer(chunk, np.uint8)
                pos = 0
                while True:
                    pos, out_n, status = scan.scan_block(buf, pos, end, final, *table.args(), out, out_n)
                    if status == scan.DONE:
                        break
                    if status == scan.OUT_FULL:
                        flush(out[:out_n])
                        out_n = 0
                    elif status == scan.NEED_PRUNE:
                        if runs is not None:
                            runs.spill(table)
                        else:
                            table.prune(min_reduce)  # word2vec.c's ReduceVocab
                            min_reduce += 1
                            pruned += 1
                        if (runs is not None and runs.n == 1) or (reread_if_pruned and pruned == 1):
                            # the stream will be encoded by a second read (prepare.py): stop writing it,
                            # so neither its disk nor its provisional ids grow with the pruning's churn
                            fout.truncate(0)
                            flush = _discard
                    else:
                        before = table.nbytes()
                        table.grow()
                        table_bytes = max(table_bytes, before + table.nbytes())  # old and new arrays, briefly
                carry = end - pos
                buf[:carry] = buf[pos:end]
                if final:
                    break
            flush(out[:out_n])
    except OSError as e:
        raise CorpusError(f"cannot write the encoded corpus{' or the counts spilled' if runs else ''} to "
                          f"{workdir}: {e.strerror or e}") from None
    finally:
        reader.close()
        if source is not sys.stdin.buffer:
            source.close()
    if runs is not None and runs.n:
        try:
            runs.spill(table)  # the live types join the runs, and the table goes before they are merged
            st, table = table.st, None
            return _merged(runs, st, min_count, max_vocab, count_limit, prov_path, text_path, table_bytes,
                           buf.nbytes + out.nbytes + 4 * READ_BYTES)
        except OSError as e:
            raise CorpusError(f"cannot write or read the counts spilled to {workdir}: {e.strerror or e}") from None
    n = int(table.st[scan.ST_N])
    words, keep, invalid = table.decode_words(min_count)
    counts, pids = table.e_count[:n], table.e_pid[:n]
    if keep is not None:
        counts, pids = counts[keep], pids[keep]
    # decoding makes a Python str per word decoded (about 64 bytes and its length) beside the table
    arena = int(table.st[scan.ST_ARENA])
    kept = n if keep is None else len(keep)
    decoded = table.nbytes() + 2 * arena + 64 * kept
    return ScanResult(words=words, counts=counts.copy(), pids=pids.copy(),
                      n_pids=int(table.st[scan.ST_NEXT_PID]) + (known_words is not None), prov_path=prov_path,
                      total_tokens=int(table.st[scan.ST_TOKENS]), overlong=int(table.st[scan.ST_OVERLONG]),
                      invalid_utf8=invalid, pruned=pruned, text_path=text_path,
                      table_bytes=max(table_bytes, decoded) + buf.nbytes + out.nbytes + 4 * READ_BYTES, types=n)


def _merged(runs, st, min_count, max_vocab, limit, prov_path, text_path, table_bytes, buffers):
    """The ScanResult of a scan that spilled (``st``: its scan state): the runs merged (spill.py) one
    hash range of about ``limit`` entries at a time."""
    from w2v import scan

    words, counts, types, invalid, merging = runs.merge(min_count, max_vocab, range_entries=limit)
    return ScanResult(words=words, counts=counts, pids=np.arange(len(words)), n_pids=0, prov_path=prov_path,
                      total_tokens=int(st[scan.ST_TOKENS]), overlong=int(st[scan.ST_OVERLONG]),
                      invalid_utf8=invalid, spilled=runs.n, spill_bytes=runs.bytes, text_path=text_path,
                      table_bytes=max(table_bytes, runs.peak, merging + 64 * len(words)) + buffers, types=types)


def _discard(ids):
    pass


class _Copy:
    """A reader that also writes what it reads to a file; closing it closes both (never standard input)."""

    def __init__(self, inner, path):
        self.inner, self.out = inner, open(path, "wb")

    def read(self, n):
        b = self.inner.read(n)
        self.out.write(b)
        return b

    def close(self):
        self.out.close()
        if self.inner is not sys.stdin.buffer:
            self.inner.close()


def rereadable(corpus):
    """Whether open_corpus can read ``corpus`` again: files can, standard input and iterables cannot."""
    return input_paths(corpus) is not None


class EncodedCorpus(NamedTuple):
    """The training stream on disk: int32 word ids, -1 after each sentence."""

    path: str
    n_ids: int  # length of the stream, sentinels included
    n_words: int  # in-vocabulary tokens in the stream
    total_tokens: int  # raw tokens of the corpus (what words/s counts)
    counting_bytes: int = 0  # memory the counting pass took at its peak
    spill_bytes: int = 0  # temporary disk of the runs counting spilled (deleted once merged)

    def blocks(self, block_ids=1 << 21, start=0):
        """Yield ``(start, ids)`` blocks of whole sentences from ``start`` (a block boundary); ``ids`` is a
        reused buffer."""
        buf = np.empty(block_ids, np.int32)
        with open(self.path, "rb") as f:
            while start < self.n_ids:
                f.seek(4 * start)
                n = f.readinto(memoryview(buf).cast("B")) // 4
                if n <= 0:
                    raise CorpusError(f"encoded corpus {self.path} is truncated")
                block = buf[:n]
                if start + n < self.n_ids:
                    # cut after the last sentence end (sentences are <= MAX_SENTENCE ids long)
                    n -= int(np.argmax(block[::-1] == -1))
                yield start, buf[:n]
                start += n


def encode(scan_result, remap, workdir):
    """Rewrite the provisional stream with final ids (``remap[pid]``, -1 = dropped) into the training stream."""
    from w2v import scan

    path = os.path.join(workdir, "corpus.i32")
    remap = np.asarray(remap, np.int32)
    prov = np.empty(OUT_IDS, np.int32)
    out = np.empty(OUT_IDS + OUT_IDS // scan.MAX_SENTENCE + 2, np.int32)
    sent_len = np.zeros(1, np.int64)
    n_ids = n_words = 0  # (n_words counts the ids written: the stream's own figure, not the vocabulary's)
    with open(scan_result.prov_path, "rb") as fin, open(path, "wb") as fout:
        while True:
            n = fin.readinto(memoryview(prov).cast("B")) // 4
            if n == 0:
                break
            m = scan.remap_block(prov, n, remap, out, sent_len)
            out[:m].tofile(fout)
            n_ids += m
            n_words += m - int(np.count_nonzero(out[:m] < 0))
        if sent_len[0] > 0:
            np.array([-1], np.int32).tofile(fout)
            n_ids += 1
    os.unlink(scan_result.prov_path)
    return EncodedCorpus(path=path, n_ids=n_ids, n_words=n_words, total_tokens=scan_result.total_tokens,
                         counting_bytes=scan_result.table_bytes, spill_bytes=scan_result.spill_bytes)
