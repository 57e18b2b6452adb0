"""The NPLM's full-softmax block against this machine's single-precision matrix multiply, one thread.

    python bench/bench_softmax_block.py                       # V 1,342 and 20,000; blocks of 16 and 64
    python bench/bench_softmax_block.py --rows 10000 --batch 64 --rounds 5

First the machine's sgemm rate (numpy's BLAS, 2048 x 2048, best of 5), then the block
(output/kernels.py ``softmax_block``: scores, log-sum-exp, dL/dH, dL/dW_out and the rows' step) on random
float32 inputs of the NPLM's shape (len(h) = hidden 100 + bias), best of ``--rounds``, as GFLOP/s (its
three products, 6 x batch x V x len(h) FLOP a block) and as a share of the sgemm rate. The kernel is
compiled (or loaded from Numba's cache) before any timing.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numba
import numpy as np

from w2v.output.kernels import softmax_block


@numba.njit
def _blocks(H, n_in, W_out, targets, G, S, reps):
    loss = 0.0
    for _ in range(reps):
        loss += softmax_block(H, n_in, W_out, targets, 1e-6, G, S)
    return loss


def sgemm_rate(n=2048, rounds=5):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = a.copy()
    best = min(_timed(lambda: a @ b) for _ in range(rounds))
    return 2 * n ** 3 / best / 1e9


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def block_rate(V, n_in, n_h, rounds, flop_per_round=2e9):
    rng = np.random.default_rng(1)
    H = (rng.standard_normal((n_in, n_h)) * 0.1).astype(np.float32)
    W_out = (rng.standard_normal((V, n_h)) * 0.1).astype(np.float32)
    targets = rng.integers(0, V, n_in)
    G = np.zeros((n_in, n_h), np.float32)
    S = np.zeros((n_in, V), np.float64)
    flop = 6 * n_in * V * n_h
    reps = max(1, int(flop_per_round / flop))
    _blocks(H, n_in, W_out, targets, G, S, 1)
    best = min(_timed(lambda: _blocks(H, n_in, W_out, targets, G, S, reps)) for _ in range(rounds))
    return flop * reps / best / 1e9


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", default="1342,20000", help="output rows V, comma-separated")
    ap.add_argument("--batch", default="16,64", help="examples per block, comma-separated")
    ap.add_argument("--hidden", type=int, default=100, help="len(h) is this plus the bias")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    peak = sgemm_rate()
    print(f"sgemm 2048 x 2048, 1 thread: {peak:.1f} GFLOP/s")
    for V in (int(x) for x in args.rows.split(",")):
        for n_in in (int(x) for x in args.batch.split(",")):
            rate = block_rate(V, n_in, args.hidden + 1, args.rounds)
            print(f"softmax block, V {V:,} x batch {n_in}: {rate:.1f} GFLOP/s, {100 * rate / peak:.0f}% of sgemm")


if __name__ == "__main__":
    main()
