"""Synthetic Zipf-distributed text, streamed: for scale benchmarks without storing a corpus.

Word ranks follow p(r) ~ r^-s over ``types`` ranks (s = 1.07 by default, close to English text), drawn by
inverting the continuous power law's CDF; the word of rank r is r - 1 written in base 25 (a-y), padded
after a "z" with letters hashed from r to a length that grows with log r as in English (frequent words
short, rare ones 7-14 letters), so distinct ranks are distinct words. Sentences have 5-40 words.
Everything comes from numpy in blocks of a million tokens.

    python -m corpora.zipf --tokens 100000000 | w2v train - -o vectors.bin
    python -m corpora.zipf --tokens 1000000 --types 50000 --seed 3 > small.txt
"""

import argparse
import sys

import numpy as np

_BLOCK = 1 << 20


def _mix(x):
    """splitmix64's finaliser on uint64 arrays."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def ranks(rng, n, types, exponent):
    """``n`` ranks in 1..types with p(r) ~ r^-exponent (continuous power law, floored)."""
    u = rng.random(n)
    a = 1.0 - exponent
    x = (1.0 + u * ((types + 1.0) ** a - 1.0)) ** (1.0 / a)
    return np.minimum(np.floor(x).astype(np.int64), types)


def words_bytes(r, sentence_ends):
    """The text of ranks ``r`` (int64 array) with a newline after the positions marked in ``sentence_ends``.

    The word of rank r is r - 1 in base 25 with the letters a-y, then, when English would have a longer
    word there, "z" and letters hashed from r: the first "z" ends the number, so ranks never collide."""
    r0 = (r - 1).astype(np.uint64)
    digits = np.ones(len(r), np.int64)  # base-25 length of r - 1
    v = r0 // np.uint64(25)
    while v.any():
        digits += v > 0
        v //= np.uint64(25)
    h = _mix(r0 + np.uint64(0x9E3779B97F4A7C15))
    target = 1 + np.floor(1.2 * np.log(r.astype(np.float64)) / np.log(4.0)).astype(np.int64) \
        + (h % np.uint64(3)).astype(np.int64)
    length = np.where(target > digits, np.minimum(np.maximum(target, digits + 1), 16), digits)
    ends = np.cumsum(length + 1)
    starts = ends - length - 1
    out = np.empty(int(ends[-1]), np.uint8)
    for k in range(int(length.max())):
        m = length > k
        d = digits[m]
        place = np.where(k < d, d - 1 - k, 0).astype(np.uint64)
        letter = np.where(k < d, (r0[m] // (np.uint64(25) ** place)) % np.uint64(25),
                          np.where(k == d, np.uint64(25), _mix(h[m] + np.uint64(k)) % np.uint64(26)))
        out[starts[m] + k] = (97 + letter).astype(np.uint8)
    out[ends - 1] = np.where(sentence_ends, 10, 32)
    return out


def zipf_text(tokens, types=50_000_000, exponent=1.07, seed=0):
    """Yield blocks of bytes holding ``tokens`` words in sentences of 5-40 words."""
    rng = np.random.default_rng(seed)
    left, sentence_left = tokens, int(rng.integers(5, 41))
    while left > 0:
        n = min(_BLOCK, left)
        r = ranks(rng, n, types, exponent)
        ends = np.zeros(n, bool)
        i = sentence_left - 1
        while i < n:
            ends[i] = True
            i += int(rng.integers(5, 41))
        sentence_left = i - n + 1
        if n == left:
            ends[-1] = True
        yield words_bytes(r, ends).tobytes()
        left -= n


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", type=int, required=True)
    ap.add_argument("--types", type=int, default=50_000_000)
    ap.add_argument("--exponent", type=float, default=1.07)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    out = sys.stdout.buffer
    try:
        for block in zipf_text(args.tokens, args.types, args.exponent, args.seed):
            out.write(block)
        out.flush()
    except BrokenPipeError:
        pass


if __name__ == "__main__":
    main()
