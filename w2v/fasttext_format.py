"""fastText's model file (``.bin``, format version 12, as fastText 0.9 writes and reads it; version 11
read too): its arguments, dictionary, input matrix (words then n-gram buckets) and output matrix, in
little-endian order. w2v writes subword models in it, so that fastText (``fasttext.load_model``) and gensim
(``load_facebook_model``/``load_facebook_vectors``) load them with equal vectors, and reads fastText's own
files, pretrained ones included. Quantized models (``.ftz``) are refused with a message.

Layout: int32 magic 793712314, int32 version; the args (int32 dim, ws, epoch, minCount, neg, wordNgrams,
loss, model, bucket, minn, maxn, lrUpdateRate, then float64 t); the dictionary (int32 size, nwords,
nlabels, int64 ntokens, pruneidx_size (-1: not pruned), then per entry the word's UTF-8 bytes, a NUL, int64 count, int8
type (0 word, 1 label), then pruneidx_size int32 pairs); uint8 quantized flag, the input matrix (int64
rows, int64 cols, float32 values); uint8 quantized flag, the output matrix likewise.

Output layers: negative sampling's output rows are the words', as w2v's. fastText's hierarchical softmax
builds its Huffman tree as word2vec.c does (inner node ``V + k`` made k-th) but scores a node's code as
the label where word2vec scores 1 - code, so its rows are written as w2v's negated (and it keeps V rows
where w2v keeps V - 1). That the two trees number their nodes alike is tested on fastText's own HS model
(tests/test_subwords.py): its rows, converted back, score real pairs under w2v's tree. (gensim's
``load_facebook_model``, as we read its ``_init_post_load``, takes the rows as they are for its own HS,
which scores word2vec's label: its further training of any fastText HS file would start from flipped
output rows. The word vectors it loads are unaffected.)
"""

import mmap
import os
import struct

import numpy as np

from w2v.atomic import atomic_write
from w2v.errors import FormatError

MAGIC, VERSION = 793712314, 12
_ARGS = struct.Struct("<12id")  # dim ws epoch minCount neg wordNgrams loss model bucket minn maxn lrUpdateRate, t
_ARG_NAMES = ("dim", "ws", "epoch", "minCount", "neg", "wordNgrams", "loss", "model", "bucket", "minn", "maxn",
              "lrUpdateRate", "t")
LOSSES = {"hs": 1, "ns": 2, "softmax": 3, "ova": 4}
MODELS = {"cbow": 1, "sg": 2, "sup": 3}


def is_target(path, fmt=None):
    """Whether a subword model written to ``path`` in ``fmt`` is fastText's model file: ``fmt`` fasttext, or
    no format and a .bin path (other formats hold the vocabulary's vectors)."""
    return fmt in ("fasttext", "ft") or (fmt is None and os.fspath(path).lower().endswith(".bin"))


def is_fasttext(path):
    """Whether ``path`` starts with fastText's magic number."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError:
        return False
    return len(head) == 4 and struct.unpack("<i", head)[0] == MAGIC


def read(path):
    """fastText's model file as a dict: ``args`` (its names), ``words``, ``counts``, ``labels`` (the
    entries of type label, e.g. a classifier's), ``ntokens``, ``W_in`` (words + buckets rows) and ``W_out``."""
    path = os.fspath(path)
    try:
        f = open(path, "rb")
    except OSError as e:
        raise FormatError(f"cannot read {path}: {e.strerror or e}") from None
    with f:
        size = os.fstat(f.fileno()).st_size
        if size < 8 + _ARGS.size + 28:
            raise FormatError(f"{path}: truncated fastText model file ({size} bytes)")
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            try:
                return _parse(path, m)
            except (struct.error, ValueError, IndexError) as e:
                raise FormatError(f"{path}: truncated or corrupt fastText model file ({e})") from None


def _parse(path, m):
    magic, version = struct.unpack_from("<ii", m, 0)
    if magic != MAGIC:
        raise FormatError(f"{path}: not a fastText model file (no magic number)")
    if version not in (11, 12):
        raise FormatError(f"{path}: fastText model format version {version} (w2v reads 11 and 12)")
    args = dict(zip(_ARG_NAMES, _ARGS.unpack_from(m, 8)))
    pos = 8 + _ARGS.size
    n_entries, n_words, n_labels, ntokens, n_prune = struct.unpack_from("<iiiqq", m, pos)
    pos += 28
    if n_entries != n_words + n_labels or n_entries < 0:
        raise FormatError(f"{path}: its dictionary announces {n_entries} entries, {n_words} words and "
                          f"{n_labels} labels")
    words, counts, labels = [], np.empty(n_words, np.int64), []
    for _ in range(n_entries):
        end = m.find(b"\0", pos)
        if end < 0:
            raise FormatError(f"{path}: truncated fastText dictionary")
        word = bytes(m[pos:end]).decode("utf-8", "replace")
        count, kind = struct.unpack_from("<qb", m, end + 1)
        pos = end + 10
        if kind == 0:
            counts[len(words)] = count
            words.append(word)
        else:
            labels.append(word)
    pos += 8 * max(n_prune, 0)  # (-1: never pruned)
    if n_prune > 0:
        raise FormatError(f"{path}: a pruned (quantized) fastText model; w2v reads unquantized .bin files")
    mats = []
    for name in ("input", "output"):
        quant = m[pos]
        if quant:
            raise FormatError(f"{path}: its {name} matrix is quantized (a .ftz model); w2v reads unquantized "
                              f".bin files")
        rows, cols = struct.unpack_from("<qq", m, pos + 1)
        pos += 17
        count = rows * cols
        if pos + 4 * count > len(m):
            raise FormatError(f"{path}: truncated fastText model file ({name} matrix {rows} x {cols})")
        mats.append(np.frombuffer(m, "<f4", count, pos).reshape(rows, cols).copy())
        pos += 4 * count
    if mats[0].shape != (n_words + args["bucket"], args["dim"]):
        raise FormatError(f"{path}: input matrix {mats[0].shape[0]} x {mats[0].shape[1]}, expected "
                          f"{n_words} words + {args['bucket']} buckets x {args['dim']}")
    return {"args": args, "words": words, "counts": counts, "labels": labels, "ntokens": ntokens,
            "W_in": mats[0], "W_out": mats[1]}


def write(path, words, counts, W_in, W_out, args):
    """Write a fastText model file atomically: ``args`` (the names above; missing ones take fastText's
    defaults, ``dim``, ``bucket``, ``minn``, ``maxn`` required), the words with their counts, the input
    matrix (words + buckets rows; or a tuple of arrays, its rows in turn, so that it need not be copied
    whole) and the output matrix as fastText keeps it."""
    full = {"ws": 5, "epoch": 5, "minCount": 5, "neg": 5, "wordNgrams": 1, "loss": LOSSES["ns"],
            "model": MODELS["sg"], "lrUpdateRate": 100, "t": 1e-4, **args}
    parts = W_in if isinstance(W_in, tuple) else (W_in,)
    if sum(len(p) for p in parts) != len(words) + full["bucket"] or any(p.shape[1] != full["dim"] for p in parts):
        raise ValueError("the input matrix must have a row per word and per bucket")
    counts = np.asarray(counts, np.int64)
    with atomic_write(path, "wb", direct=True) as f:
        f.write(struct.pack("<ii", MAGIC, VERSION))
        f.write(_ARGS.pack(*(int(full[k]) for k in _ARG_NAMES[:-1]), float(full["t"])))
        f.write(struct.pack("<iiiqq", len(words), len(words), 0, int(full.get("ntokens", counts.sum())), -1))
        for s in range(0, len(words), 65536):
            f.write(b"".join(w.encode("utf-8", "surrogateescape") + b"\0" + struct.pack("<qb", int(c), 0)
                             for w, c in zip(words[s:s + 65536], counts[s:s + 65536].tolist())))
        for mats in (parts, (W_out,)):
            f.write(struct.pack("<?qq", False, sum(len(m) for m in mats), full["dim"]))
            for mat in mats:
                for s in range(0, len(mat), 1 << 16):  # (a contiguous slice is written from its own memory)
                    f.write(memoryview(np.ascontiguousarray(mat[s:s + (1 << 16)], "<f4")).cast("B"))


def output_for_fasttext(loss, W_out, n_words):
    """W_out as fastText keeps it: NS's word rows as they are; HS's inner-node rows negated, padded to
    ``n_words`` rows."""
    if loss == "hs":
        out = np.zeros((n_words, W_out.shape[1]), np.float32)
        out[:len(W_out)] = -W_out
        return out
    return W_out


def word_rows_for(vectors, ngrams, ptr, rows):
    """The words' own input rows that make each word's vector (the mean of its rows, ``rows[ptr[i]:ptr[i +
    1]]``: its own, ``i``, then ``V + bucket`` per n-gram) the one in ``vectors``: ``len(rows)`` times its
    vector minus its n-grams' rows (``ngrams``, the bucket rows)."""
    V = len(vectors)
    n = np.diff(ptr)
    grams = np.zeros((V, vectors.shape[1]), np.float32)
    gram_rows = np.ones(len(rows), bool)
    gram_rows[ptr[:-1]] = False
    np.add.at(grams, np.repeat(np.arange(V), n)[gram_rows], ngrams[rows[gram_rows] - V])
    return vectors * n[:, None].astype(np.float32) - grams
