"""Word classes: w2v's k-means (word2vec.c's -classes) against scipy's kmeans2 on the same vectors.

    python bench/bench_classes.py --vectors /tmp/w2v-bench/w2v-shared-sg-ns-e1.bin -k 500

The vectors are any word2vec file (bench_core.py leaves its skip-gram vectors of bench-en in its work
directory). Both run the same number of iterations on the unit-length vectors (word2vec.c's dot-product
rule on unit vectors is the Euclidean rule with unit centroids); quality is the usual k-means inertia of
each result on those unit vectors (lower is better), and w2v's own objective, the mean dot product of a
word with its class centroid (higher is better).
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vectors", default="/tmp/w2v-bench/w2v-shared-sg-ns-e1.bin")
    ap.add_argument("-k", type=int, default=500)
    ap.add_argument("--iterations", type=int, default=10)
    args = ap.parse_args()
    from scipy.cluster.vq import kmeans2

    from w2v.vectors import Vectors
    from w2v.classes import inertia, kmeans
    from w2v.vectors import Vectors

    v = Vectors.load(args.vectors)
    U = v.unit
    unit = Vectors(v.words, U)
    print(f"{len(v)} words x {v.dim}, k {args.k}, {args.iterations} iterations")
    rows = []
    for name, init in (("w2v word2vec init", "word2vec"), ("w2v kmeans++", "kmeans++")):
        t0 = time.perf_counter()
        found = kmeans(unit, args.k, iterations=args.iterations, init=init, seed=1)
        rows.append((name, time.perf_counter() - t0, found.labels, found.iterations))
    for name, minit in (("scipy kmeans2 ++", "++"), ("scipy kmeans2 points", "points")):
        t0 = time.perf_counter()
        _, labels = kmeans2(U.astype(np.float64), args.k, iter=args.iterations, minit=minit, seed=1)
        rows.append((name, time.perf_counter() - t0, labels, args.iterations))
    print("| method | seconds | iterations | inertia (unit vectors) | mean cos to own centroid |")
    print("|---|---:|---:|---:|---:|")
    for name, secs, labels, its in rows:
        sums = np.zeros((args.k, v.dim))
        np.add.at(sums, labels, U)
        cents = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
        mean_cos = float(np.mean(np.einsum("ij,ij->i", U, cents[labels])))
        print(f"| {name} | {secs:.2f} | {its} | {inertia(U, labels, args.k):.1f} | {mean_cos:.4f} |", flush=True)


if __name__ == "__main__":
    main()
