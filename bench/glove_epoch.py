"""GloVe's epoch kernel alone: updates per second on real or random pairs, for one checkout.

    w2v cooccur bench-en.txt -o cooc.npz
    python bench/glove_epoch.py --cooc cooc.npz --pairs 20000000 --threads 1      # real pairs, shuffled
    python bench/glove_epoch.py --words 500 --threads 1                           # every row in cache
    python bench/glove_epoch.py --root /tmp/other-checkout --cooc cooc.npz         # another revision
    python bench/glove_epoch.py --cooc cooc.npz --pairs 0 --tile 0 --threads 2     # every pair, one plain shuffle

Trains ``--epochs`` epochs (the first compiles or loads the kernel) from GloVe's initial values, dim 100,
x-max 100, eta 0.05, and prints each epoch's rate and mean cost (equal costs: the same computation).
"""

import argparse
import os
import sys
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--cooc", help="a `w2v cooccur` .npz (else random pairs over --words words)")
    ap.add_argument("--words", type=int, default=121300)
    ap.add_argument("--pairs", type=int, default=10_000_000, help="the first N pairs of the order (0: all)")
    ap.add_argument("--tile", type=int, default=0,
                    help="--cooc: words per side of the order's tiles (tiled_shuffle; -1: tile_words' choice) [0: plain]")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()
    sys.path.insert(0, args.root)
    import numba
    from w2v import glove_kernels as gk

    if args.cooc:
        z = np.load(args.cooc)
        rows, cols, vals = z["rows"].copy(), z["cols"].copy(), z["vals"].copy()
        n_words = len(z["counts"])
        side = gk.tile_words(n_words, 100) if args.tile < 0 else args.tile
        print(f"order: {'tiles of %d words a side' % side if side else 'one plain shuffle'}")
        if side:
            gk.tiled_shuffle(rows, cols, vals, 1, side)
        else:  # (older checkouts have no tiled_shuffle)
            gk.shuffle(rows, cols, vals, 1)
        if args.pairs:
            rows, cols, vals = rows[:args.pairs].copy(), cols[:args.pairs].copy(), vals[:args.pairs].copy()
    else:
        rng = np.random.default_rng(0)
        n_words = args.words
        rows = rng.integers(0, n_words, args.pairs).astype(np.int32)
        cols = rng.integers(0, n_words, args.pairs).astype(np.int32)
        vals = rng.uniform(1, 200, args.pairs)
    n = len(rows)
    numba.set_num_threads(args.threads)
    bounds = np.minimum(np.arange(0, n + gk.CHUNK, gk.CHUNK), n)
    starts, ends = bounds[:-1].copy(), bounds[1:].copy()
    params = gk.init_params(n_words, 100, 1)
    for e in range(args.epochs):
        costs, done = np.zeros(len(starts)), np.zeros(len(starts), np.int64)
        t = time.perf_counter()
        gk.epoch(rows, cols, vals, starts, ends, params, 100.0, 0.75, 0.05, 100.0, costs, done,
                 np.zeros(1, np.int64))
        dt = time.perf_counter() - t
        print(f"{gk.__file__}: epoch {e + 1}, {args.threads} thread(s), {n_words} words: {n / dt / 1e6:.2f}M "
              f"updates/s ({dt / n * 1e9 * args.threads:.0f} ns per update per thread), mean cost {costs.sum() / n:.6f}",
              flush=True)


if __name__ == "__main__":
    main()
