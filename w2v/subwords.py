"""fastText's subword model (Bojanowski et al. 2017), the side without Numba: a word's character n-grams
hashed into buckets (the vectors of a subword model, which answer words never seen from their n-grams, are
vectors.SubwordVectors).

fastText's definition, exactly (its ``Dictionary::computeSubwords`` and ``hash``): the word is wrapped as
``<word>``; every run of ``minn`` to ``maxn`` characters (UTF-8 characters: a continuation byte never
starts one) is an n-gram, except a lone ``<`` or ``>``; its bucket is FNV-1a over its bytes, each byte
sign-extended first (fastText hashes ``int8_t`` bytes), modulo ``buckets``. Duplicates are kept (``<aaa>``
has ``aa`` twice) and the order is fastText's (by start, then length), so a word's row list is the one
fastText builds. A word's input rows are its own row then ``V + bucket`` for each n-gram; its hidden vector
is their mean. A word outside the vocabulary has only its n-grams.

The hashing is NumPy over every n-gram of a batch of words at once (one pass per byte position), so
reading a pretrained model of 2M words takes seconds and needs no compiled kernel.
"""

import numpy as np


BOW, EOW = "<", ">"
EOS = "</s>"  # fastText's end-of-line token: no n-grams
FNV_OFFSET, FNV_PRIME = np.uint32(2166136261), np.uint32(16777619)
BATCH = 20_000  # words hashed at once (their temporaries stay small: 100,000 ran 1.3-1.8x slower)


def ngram_buckets(words, minn, maxn, buckets):
    """Each word's n-gram buckets, as fastText computes them: (ptr int64[len(words) + 1], buckets int64),
    word ``i``'s being ``buckets[ptr[i]:ptr[i + 1]]`` in fastText's order. ``EOS`` has none."""
    counts, parts = [], []
    for s in range(0, len(words), BATCH):
        c, b = _batch(words[s:s + BATCH], minn, maxn, buckets)
        counts.append(c)
        parts.append(b)
    counts = np.concatenate(counts) if counts else np.zeros(0, np.int64)
    ptr = np.zeros(len(words) + 1, np.int64)
    np.cumsum(counts, out=ptr[1:])
    return ptr, (np.concatenate(parts) if parts else np.zeros(0, np.int64))


def _batch(words, minn, maxn, buckets):
    n_words = len(words)
    if maxn < 1 or n_words == 0:
        return np.zeros(n_words, np.int64), np.zeros(0, np.int64)
    enc = [b"" if w == EOS else (BOW + w + EOW).encode("utf-8", "surrogateescape") for w in words]
    nbytes = np.fromiter(map(len, enc), np.int64, n_words)
    buf = np.frombuffer(b"".join(enc) + b"\0", np.uint8)
    word_end = np.cumsum(nbytes)
    char_byte = np.flatnonzero((buf[:-1] & 0xC0) != 0x80)  # where each character starts
    word_of = np.searchsorted(word_end, char_byte, side="right")
    n_chars = np.bincount(word_of, minlength=n_words)
    first = np.zeros(n_words, np.int64)
    np.cumsum(n_chars[:-1], out=first[1:])
    local = np.arange(len(char_byte)) - first[word_of]  # a character's place in its word
    left = n_chars[word_of] - local  # characters from it to the word's end
    # the n-grams starting at a character are those of lengths lo..hi, in fastText's order (by start character,
    # then by length): each character's run of them, laid out in turn
    lo = np.full(len(char_byte), max(minn, 1), np.int64)
    if minn <= 1:  # a lone '<' or '>' is not an n-gram
        lo[(local == 0) | (left == 1)] = 2
    count = np.maximum(np.minimum(left, maxn) - lo + 1, 0)
    at = np.repeat(np.arange(len(char_byte)), count)  # each n-gram's first character
    n = lo[at] + np.arange(len(at)) - np.repeat(np.cumsum(count) - count, count)  # its length in characters
    start = char_byte[at]
    end = np.where(left[at] > n, char_byte[np.minimum(at + n, len(char_byte) - 1)], word_end[word_of[at]])
    h = np.full(len(start), FNV_OFFSET, np.uint32)
    signed = buf.view(np.int8).astype(np.int32).view(np.uint32)  # fastText hashes int8_t bytes
    length = end - start
    shortest = int(length.min()) if len(start) else 0
    for t in range(int(length.max()) if len(start) else 0):  # byte t of the n-grams that have one
        if t < shortest:
            h = (h ^ signed[start + t]) * FNV_PRIME
        else:
            i = np.flatnonzero(length > t)
            h[i] = (h[i] ^ signed[start[i] + t]) * FNV_PRIME
    counts = np.bincount(word_of, weights=count, minlength=n_words).astype(np.int64)
    return counts, (h % np.uint32(buckets)).astype(np.int64)


def input_rows(words, minn, maxn, buckets):
    """The input rows of each word of a vocabulary: its own row, then ``len(words) + bucket`` per n-gram
    (fastText's ``getSubwords``): (ptr int64[V + 1], rows int32)."""
    ptr, grams = ngram_buckets(words, minn, maxn, buckets)
    V = len(words)
    counts = np.diff(ptr) + 1
    out_ptr = np.zeros(V + 1, np.int64)
    np.cumsum(counts, out=out_ptr[1:])
    rows = np.empty(int(out_ptr[-1]), np.int64)
    rows[out_ptr[:-1]] = np.arange(V)
    rest = np.ones(len(rows), bool)
    rest[out_ptr[:-1]] = False
    rows[rest] = grams + V
    return out_ptr, rows.astype(np.int32 if V + buckets < 2 ** 31 else np.int64)


def mean_rows(W, ptr, rows):
    """Row ``i`` of the result (float32) is the mean of ``W[rows[ptr[i]:ptr[i + 1]]]`` (zero where there are
    none): a sparse matrix of weights ``1 / n`` times ``W`` (scipy), each row added once in ``rows``' order,
    as fastText's ``getWordVector`` sums them and scales by ``1 / n``; no gathered copy of the rows (5x
    faster than numpy's gather and ``reduceat``: 0.15 s against 0.73 s for 60k words of bench-en)."""
    from scipy import sparse

    n = np.diff(ptr)
    weights = np.repeat((1.0 / np.maximum(n, 1)).astype(np.float32), n)
    M = sparse.csr_matrix((weights, rows, ptr), shape=(len(ptr) - 1, W.shape[0]))
    return np.asarray(M @ np.asarray(W, np.float32), np.float32)
